//! `autoscale_queue_exporter_manifest`: a Celery queue metrics exporter, the maintained
//! open-source Celery exporter (danihodovic/celery-exporter) — Deployment, Service and optionally
//! a ServiceMonitor, the broker URL from a Secret — rendered and checked at plan time; a
//! `Manifest` kind. Its `external_rule` output is the prometheus-adapter rule serving the worker HPAs'
//! metric name from the exporter's series; its `yaml` lets the adapter check, at plan time, that
//! every rule selects a series the exporter exports (`series_exported_by`).

use std::collections::BTreeMap;

use serde::Deserialize;
use tfplugin::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::value::{Type, from_value};
use tfplugin::{Diagnostic, Diagnostics, Value, validate};

use super::manifest::ManifestKind;
use super::manifest_files::{set, set_documents};
use crate::render::queue_exporter::{self as exporter, QueueExporter, ServiceMonitor};
use crate::render::{Overrides, RenderError, TemplateName, Violation};

/// The manifest kind; the resource is `Manifest<QueueExporterManifest>`.
pub struct QueueExporterManifest;

const TYPE_NAME: &str = QueueExporterManifest::TYPE_NAME;
const DEFAULT_ADAPTER_METRIC: &str = "celery_queue_depth";
const DEFAULT_ADAPTER_WINDOW: &str = "2m";

fn rule_type() -> Type {
    Type::object([("metric_name", Type::String), ("series_query", Type::String), ("namespaced", Type::Bool), ("window", Type::String)])
}

/// The schema; shared with the docs generator through `Resource::schema`.
pub fn schema() -> Schema {
    Schema::new(
        0,
        Block::new(
            "The Celery queue exporter (danihodovic/celery-exporter) as Kubernetes objects: a Deployment, its Service and, with \
             `service_monitor`, a prometheus-operator ServiceMonitor. The broker URL is read from a Secret key (`CE_BROKER_URL`), \
             never written into the manifest. The exporter publishes `celery_queue_length` (label `queue_name`), \
             `celery_active_worker_count` and task metrics on port 9808; `external_rule` is the prometheus-adapter rule that serves \
             them as the external metric `adapter_metric_name` (`celery_queue_depth` by default, the name the quickstart's worker HPA uses). Nothing is sent to a cluster: \
             apply `yaml`, or let `output_path` write it to a file.",
        )
        .attribute(Attribute::string("id").computed().description("`namespace/name`."))
        .attribute(Attribute::string("name").default("celery-exporter").description("Name of the Deployment, Service and ServiceMonitor."))
        .attribute(Attribute::string("namespace").default("monitoring").description("Namespace of the objects and of the broker Secret."))
        .attribute(Attribute::map_of("labels", Type::String).optional().description("Extra labels of the objects and pods."))
        .attribute(Attribute::string("image").default(exporter::DEFAULT_IMAGE).description("The exporter's image."))
        .attribute(Attribute::list_of("queues", Type::String).required().description(
            "Queues always reported (`--queues`), e.g. `[\"celery\", \"video-processing\", \"default\"]`. The exporter otherwise reports only queues a running worker consumes, so a queue of workers scaled to zero would vanish from the metrics.",
        ))
        .attribute(Attribute::int("port").default(exporter::DEFAULT_PORT).validator(validate::int_between(1, 65535)).description("Port of `/metrics` and `/health` (`--port`)."))
        .attribute(Attribute::string("metric_prefix").default(exporter::DEFAULT_METRIC_PREFIX).description("Prefix of every series (`--metric-prefix`)."))
        .attribute(Attribute::string("adapter_metric_name").default(DEFAULT_ADAPTER_METRIC).description("The external metric name `external_rule` serves, e.g. `celery_queue_depth`."))
        .attribute(Attribute::string("adapter_window").default(DEFAULT_ADAPTER_WINDOW).description("Averaging window of `external_rule` (a Prometheus duration), e.g. `2m`."))
        .attribute(Attribute::string("output_path").optional().description(
            "File to write the YAML to. A file changed or deleted outside Terraform shows as drift in the next plan and apply writes it again; destroy removes it.",
        ))
        .attribute(Attribute::list_of("external_rule", rule_type()).computed().description(
            "One prometheus-adapter rule serving `adapter_metric_name` from the exporter's `queue_length` series, summed across series and averaged over `adapter_window`, cluster-wide (`namespaced = false`). Feed it to `autoscale_prometheus_adapter_manifest` with a `dynamic \"external_rule\"` block, and pass `yaml` as its `series_exported_by`. HPAs select a queue with the exporter's label: `selector = { queue_name = \"celery\" }`.",
        ))
        .attribute(Attribute::string("yaml").computed().description("The rendered objects, separated by `---`; pass it to `autoscale_prometheus_adapter_manifest.series_exported_by`."))
        .attribute(Attribute::list_of("documents", Type::String).computed().description("Each object as its own YAML document."))
        .attribute(Attribute::string("sha256").computed().description("SHA-256 (hex) of `yaml`."))
        .attribute(Attribute::string("output_file_sha256").computed().description("SHA-256 of the file at `output_path` when last read; null when there is no file."))
        .block(
            NestedBlock::single(
                "broker_url_secret",
                Block::new("The Secret key holding the broker URL (e.g. `redis://:password@redis.queues:6379/0`); only its name and key are rendered.")
                    .attribute(Attribute::string("name").required().description("Name of the Secret, in `namespace`."))
                    .attribute(Attribute::string("key").required().description("Key in the Secret.")),
            )
            .min_items(1)
            .max_items(1),
        )
        .block(NestedBlock::single(
            "service_monitor",
            Block::new("Renders a prometheus-operator ServiceMonitor scraping the exporter.")
                .attribute(Attribute::string("interval").default("15s").description("Scrape interval."))
                .attribute(Attribute::map_of("labels", Type::String).optional().description("Extra labels, e.g. the `release` label your Prometheus selects ServiceMonitors by.")),
        )),
    )
}

#[derive(Debug, Deserialize)]
struct SecretModel {
    name: Option<String>,
    key: Option<String>,
}

#[derive(Debug, Deserialize)]
struct MonitorModel {
    interval: Option<String>,
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
struct ExporterModel {
    name: Option<String>,
    namespace: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    image: Option<String>,
    queues: Option<Vec<String>>,
    port: Option<i64>,
    metric_prefix: Option<String>,
    adapter_metric_name: Option<String>,
    adapter_window: Option<String>,
    broker_url_secret: Option<SecretModel>,
    service_monitor: Option<MonitorModel>,
}

/// The exporter and the adapter rule's name and window.
#[derive(Debug, Clone, PartialEq)]
pub struct ExporterSpec {
    pub exporter: QueueExporter,
    pub adapter_metric_name: String,
    pub adapter_window: String,
}

fn spec_of(value: &Value) -> Result<ExporterSpec, Diagnostics> {
    let m: ExporterModel = from_value(value).map_err(|e| Diagnostics::from(Diagnostic::error("Provider bug", format!("reading the {TYPE_NAME} arguments: {e}"))))?;
    Ok(ExporterSpec {
        exporter: QueueExporter {
            name: m.name.unwrap_or_else(|| "celery-exporter".into()),
            namespace: m.namespace.unwrap_or_else(|| "monitoring".into()),
            labels: m.labels.unwrap_or_default(),
            image: m.image.unwrap_or_else(|| exporter::DEFAULT_IMAGE.into()),
            broker_url_secret: m.broker_url_secret.as_ref().and_then(|s| s.name.clone()).unwrap_or_default(),
            broker_url_key: m.broker_url_secret.as_ref().and_then(|s| s.key.clone()).unwrap_or_default(),
            queues: m.queues.unwrap_or_default(),
            port: m.port.unwrap_or(exporter::DEFAULT_PORT),
            metric_prefix: m.metric_prefix.unwrap_or_else(|| exporter::DEFAULT_METRIC_PREFIX.into()),
            service_monitor: m.service_monitor.map(|s| ServiceMonitor { interval: s.interval.unwrap_or_else(|| "15s".into()), labels: s.labels.unwrap_or_default() }),
        },
        adapter_metric_name: m.adapter_metric_name.unwrap_or_else(|| DEFAULT_ADAPTER_METRIC.into()),
        adapter_window: m.adapter_window.unwrap_or_else(|| DEFAULT_ADAPTER_WINDOW.into()),
    })
}

/// The adapter rule, checked by the adapter's own rules (so a bad name or window is reported at
/// this resource's argument).
fn adapter_rule(spec: &ExporterSpec) -> crate::render::prometheus_adapter::ExternalRule {
    crate::render::prometheus_adapter::ExternalRule {
        metric_name: spec.adapter_metric_name.clone(),
        series_query: format!("{}queue_length{{queue_name!=\"\"}}", spec.exporter.metric_prefix),
        series_name_matches: None,
        resource_overrides: BTreeMap::new(),
        namespaced: false,
        aggregation: None,
        window: Some(spec.adapter_window.clone()),
        metrics_query: None,
    }
}

fn validate_spec(spec: &ExporterSpec) -> Vec<Violation> {
    let mut out = exporter::validate(&spec.exporter);
    let adapter = crate::render::prometheus_adapter::PrometheusAdapter {
        name: "adapter".into(),
        namespace: "monitoring".into(),
        labels: None,
        annotations: None,
        rules: vec![adapter_rule(spec)],
    };
    for violation in crate::render::prometheus_adapter::validate(&adapter) {
        let attribute = if violation.path.to_string().ends_with("window") { "adapter_window" } else { "adapter_metric_name" };
        out.push(Violation::new(tfplugin::AttributePath::root(attribute), violation.message));
    }
    out
}

/// The arguments a manifest file describes (import).
fn flatten(content: &str) -> Result<Value, String> {
    use serde_json::Value as Json;
    let documents = crate::render::parse_documents(content)?;
    let find = |kind: &str| documents.iter().find(|d| d.get("kind").and_then(Json::as_str) == Some(kind));
    let deployment = find("Deployment").ok_or("the file holds no Deployment")?;
    let container = deployment
        .pointer("/spec/template/spec/containers")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .find(|c| c.get("name").and_then(Json::as_str) == Some(exporter::CONTAINER))
        .ok_or("the Deployment has no celery-exporter container")?;
    let args: Vec<&str> = container.get("args").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str).collect();
    let arg = |flag: &str| args.iter().find_map(|a| a.strip_prefix(flag));
    let secret = container.pointer("/env/0/valueFrom/secretKeyRef").ok_or("the container takes no broker URL from a Secret")?;
    let text = |v: &Json, p: &str| v.pointer(p).and_then(Json::as_str).map_or(Value::Null, Value::from);
    let selector_keys = ["app.kubernetes.io/name", "app.kubernetes.io/instance"];
    let labels: BTreeMap<String, String> = deployment
        .pointer("/metadata/labels")
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
        .filter(|(k, _)| !selector_keys.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    let monitor = find("ServiceMonitor").map_or(Value::Null, |m| {
        let extra: BTreeMap<String, String> = m
            .pointer("/metadata/labels")
            .and_then(Json::as_object)
            .into_iter()
            .flatten()
            .filter(|(k, _)| !selector_keys.contains(&k.as_str()) && !labels.contains_key(k.as_str()))
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        Value::object([
            ("interval", text(m, "/spec/endpoints/0/interval")),
            ("labels", if extra.is_empty() { Value::Null } else { Value::map(extra.into_iter().map(|(k, v)| (k, Value::from(v)))) }),
        ])
    });
    let port = arg("--port=").and_then(|p| p.parse::<i64>().ok()).unwrap_or(exporter::DEFAULT_PORT);
    Ok(Value::object([
        ("id", Value::Null),
        ("name", text(deployment, "/metadata/name")),
        ("namespace", text(deployment, "/metadata/namespace")),
        ("labels", if labels.is_empty() { Value::Null } else { Value::map(labels.into_iter().map(|(k, v)| (k, Value::from(v)))) }),
        ("image", text(container, "/image")),
        ("queues", Value::list(arg("--queues=").unwrap_or_default().split(',').filter(|q| !q.is_empty()).map(Value::from))),
        ("port", Value::from(port)),
        ("metric_prefix", Value::from(arg("--metric-prefix=").unwrap_or(exporter::DEFAULT_METRIC_PREFIX))),
        // Not in the objects: the adapter rule's name and window are taken as their defaults.
        ("adapter_metric_name", Value::from(DEFAULT_ADAPTER_METRIC)),
        ("adapter_window", Value::from(DEFAULT_ADAPTER_WINDOW)),
        ("output_path", Value::Null),
        ("external_rule", Value::Null),
        ("yaml", Value::Null),
        ("documents", Value::Null),
        ("sha256", Value::Null),
        ("output_file_sha256", Value::Null),
        ("broker_url_secret", Value::object([("name", text(secret, "/name")), ("key", text(secret, "/key"))])),
        ("service_monitor", monitor),
    ]))
}

impl ManifestKind for QueueExporterManifest {
    type Spec = ExporterSpec;
    type Rendered = exporter::Rendered;

    const TYPE_NAME: &'static str = "autoscale_queue_exporter_manifest";
    const WHAT: &'static str = "Celery queue exporter manifest";
    const INVALID: &'static str = "Invalid Celery queue exporter setting";
    const NOUN: &'static str = "queue exporter manifest";
    const TEMPLATES: &'static [TemplateName] = &[TemplateName::QueueExporter];
    const OUTPUTS: &'static [&'static str] = &["id", "external_rule", "yaml", "documents", "sha256", "output_file_sha256"];

    fn schema() -> Schema {
        schema()
    }

    fn spec_of(value: &Value) -> Result<ExporterSpec, Diagnostics> {
        spec_of(value)
    }

    fn validate(spec: &ExporterSpec) -> Vec<Violation> {
        validate_spec(spec)
    }

    fn render(spec: &ExporterSpec, overrides: &Overrides) -> Result<exporter::Rendered, RenderError> {
        let violations = validate_spec(spec);
        if !violations.is_empty() {
            return Err(RenderError::Invalid(violations));
        }
        exporter::render(&spec.exporter, overrides)
    }

    fn set_outputs(state: &mut Value, spec: &ExporterSpec, rendered: &exporter::Rendered) {
        let rule = adapter_rule(spec);
        set(
            state,
            "external_rule",
            Value::list([Value::object([
                ("metric_name", Value::from(rule.metric_name.as_str())),
                ("series_query", Value::from(rule.series_query.as_str())),
                ("namespaced", Value::from(rule.namespaced)),
                ("window", rule.window.as_deref().map_or(Value::Null, Value::from)),
            ])]),
        );
        let id = format!("{}/{}", spec.exporter.namespace, spec.exporter.name);
        set_documents(state, id, &rendered.yaml, &rendered.documents, &rendered.sha256);
    }

    fn flatten(content: &str) -> Result<Value, String> {
        flatten(content)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_recovers_the_arguments() {
        let spec = ExporterSpec {
            exporter: QueueExporter {
                labels: BTreeMap::from([("team".into(), "platform".into())]),
                ..crate::render::queue_exporter::tests::celery_exporter()
            },
            adapter_metric_name: DEFAULT_ADAPTER_METRIC.into(),
            adapter_window: DEFAULT_ADAPTER_WINDOW.into(),
        };
        let rendered = exporter::render(&spec.exporter, &Overrides::none()).unwrap_or_else(|e| panic!("{e}"));
        let state = flatten(&rendered.yaml).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec_of(&state).unwrap_or_else(|d| panic!("{d:?}")), spec);
        assert!(state.conform(&schema().value_type(), &tfplugin::AttributePath::empty()).is_ok());
    }

    #[test]
    fn the_adapter_rule_is_checked_at_this_resource() {
        let mut spec = spec_of(&flatten(&exporter::render(&crate::render::queue_exporter::tests::celery_exporter(), &Overrides::none()).unwrap_or_else(|e| panic!("{e}")).yaml).unwrap_or_else(|e| panic!("{e}"))).unwrap_or_else(|d| panic!("{d:?}"));
        spec.adapter_window = "2 minutes".into();
        let paths: Vec<String> = validate_spec(&spec).iter().map(|v| v.path.to_string()).collect();
        assert_eq!(paths, ["adapter_window"]);
        assert_eq!(adapter_rule(&spec).series_query, "celery_queue_length{queue_name!=\"\"}");
    }
}

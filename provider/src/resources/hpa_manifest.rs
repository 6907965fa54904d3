//! `autoscale_hpa_manifest`: a HorizontalPodAutoscaler (autoscaling/v2) rendered from typed
//! arguments, checked at plan time against the API server's rules, with its YAML, JSON and
//! SHA-256 known in the plan; optionally written to `output_path` with drift detection. An
//! optional `external_metrics_served_by` (an adapter's YAML) checks that every External metric
//! is served by a prometheus-adapter rule.

use std::collections::BTreeMap;

use serde::Deserialize;
use tfplugin::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::value::{Type, from_value};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value, validate};

use super::manifest::ManifestKind;
use super::manifest_files::set;
use super::scaling_behavior::{self, BehaviorModel, ReferenceModel, flatten_reference, opt_text, reference, target_block};
use crate::render::hpa::{self, HorizontalPodAutoscaler, LabelSelector, MetricIdentifier, MetricSource, MetricSpec, MetricTarget, ObjectMeta, ResourceSource};
use crate::render::prometheus_adapter::served_external_metrics;
use crate::render::{Overrides, RenderError, TemplateName, Violation};

/// The manifest kind; the resource is `Manifest<HpaManifest>`.
pub struct HpaManifest;

const TYPE_NAME: &str = HpaManifest::TYPE_NAME;
/// Attributes that are outputs, not inputs.
const OUTPUTS: [&str; 5] = ["id", "yaml", "json", "sha256", "output_file_sha256"];
const SERVED_BY: &str = "external_metrics_served_by";
const RENDER_JSON: &str = "render_json";
/// 1: `json` is filled only when `render_json` is set (version 0 always filled it).
const SCHEMA_VERSION: i64 = 1;

/// The schema; shared with the docs generator through `Resource::schema`.
pub fn schema() -> Schema {
    let output = |name: &str, description: &str| Attribute::string(name).computed().description(description);
    Schema::new(
        SCHEMA_VERSION,
        Block::new(
            "A Kubernetes HorizontalPodAutoscaler (`autoscaling/v2`) rendered as YAML (and JSON on request), checked at plan time against the rules \
             the API server enforces (replica bounds, stabilization windows, policies, targets, names and labels), so mistakes show in \
             `terraform plan` instead of at `kubectl apply`. The rendered manifest is known at plan time and shown as a diff. \
             Nothing is sent to a cluster: apply the `yaml` with the tool of your choice, or let `output_path` write it to a file.",
        )
        .attribute(Attribute::string("id").computed().description("`namespace/name`."))
        .attribute(Attribute::string("name").required().description("Name of the HorizontalPodAutoscaler (a DNS-1123 subdomain)."))
        .attribute(Attribute::string("namespace").default("default").description("Namespace of the HPA and of its target."))
        .attribute(Attribute::map_of("labels", Type::String).optional().description("Labels of the HPA."))
        .attribute(Attribute::map_of("annotations", Type::String).optional().description("Annotations of the HPA."))
        .attribute(Attribute::int("min_replicas").optional().description("Lowest replica count. At least 1; Kubernetes defaults to 1."))
        .attribute(Attribute::int("max_replicas").required().description("Highest replica count; at least 1 and not below `min_replicas`."))
        .attribute(Attribute::string(SERVED_BY).optional().description(
            "The `yaml` of an `autoscale_prometheus_adapter_manifest` (or any prometheus-adapter ConfigMap, `config.yaml`, or Helm values with \
             `rules.external`). When set, every `External` metric must be named by one of its external rules; checked at plan time.",
        ))
        .attribute(Attribute::string("output_path").optional().description(
            "File to write the YAML to. A file changed or deleted outside Terraform shows as drift in the next plan and apply writes it again; \
             destroy removes it.",
        ))
        .attribute(output("yaml", "The rendered manifest."))
        .attribute(Attribute::bool(RENDER_JSON).default(false).description(
            "Also fill `json`. Off by default: every rendered copy is kept in state, which Terraform rewrites after each resource an apply \
             changes, so a second copy of each manifest slows large applies. `jsonencode(yamldecode(yaml))` gives the same object in Terraform.",
        ))
        .attribute(output("json", "The manifest as JSON (one object) when `render_json` is true; null otherwise."))
        .attribute(output("sha256", "SHA-256 (hex) of `yaml`."))
        .attribute(output("output_file_sha256", "SHA-256 of the file at `output_path` when last read; null when there is no file. Differs from `sha256` after an out-of-band change."))
        .block(NestedBlock::single("target", target_block("The workload to scale (`scaleTargetRef`).", "HPA")).min_items(1).max_items(1))
        .block(super::hpa_check::block())
        .block(NestedBlock::list(
            "metric",
            Block::new("A metric the HPA scales on; with several, the largest proposal wins. Set exactly one of `average_utilization`, `average_value` or `value`.")
                .attribute(Attribute::string("type").required().validator(validate::one_of(hpa::METRIC_TYPES)).description(
                    "`Resource` (cpu, memory of the pods), `ContainerResource` (of one container), `Pods` (a per-pod metric), `Object` (a metric of another object) or `External` (a metric from outside the cluster, e.g. a queue depth served by prometheus-adapter).",
                ))
                .attribute(Attribute::string("name").required().description("The resource name (`cpu`, `memory`) for Resource metrics, else the metric name."))
                .attribute(Attribute::string("container").optional().description("The container, for `ContainerResource` metrics."))
                .attribute(Attribute::map_of("selector", Type::String).optional().description("Label selector (`matchLabels`) narrowing a Pods, Object or External metric."))
                .attribute(Attribute::int("average_utilization").optional().description("Target average utilization in percent of the requests (Resource and ContainerResource only)."))
                .attribute(Attribute::string("average_value").optional().description("Target value per pod, a quantity such as `100` or `500m`."))
                .attribute(Attribute::string("value").optional().description("Target total value, a quantity (Object and External metrics)."))
                .block(NestedBlock::single("described_object", target_block("The object an `Object` metric describes.", "HPA"))),
        ))
        .block(super::scaling_behavior::block()),
    )
}

#[derive(Debug, Deserialize)]
struct MetricModel {
    #[serde(rename = "type")]
    type_: Option<String>,
    name: Option<String>,
    container: Option<String>,
    selector: Option<BTreeMap<String, String>>,
    average_utilization: Option<i64>,
    average_value: Option<String>,
    value: Option<String>,
    described_object: Option<ReferenceModel>,
}

/// The arguments (computed attributes are read from values directly).
#[derive(Debug, Deserialize)]
struct HpaModel {
    name: Option<String>,
    namespace: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    annotations: Option<BTreeMap<String, String>>,
    min_replicas: Option<i64>,
    max_replicas: Option<i64>,
    target: Option<ReferenceModel>,
    metric: Option<Vec<MetricModel>>,
    behavior: Option<BehaviorModel>,
}

impl ManifestKind for HpaManifest {
    type Spec = HorizontalPodAutoscaler;
    type Rendered = hpa::Rendered;

    const TYPE_NAME: &'static str = "autoscale_hpa_manifest";
    const WHAT: &'static str = "HorizontalPodAutoscaler";
    const INVALID: &'static str = "Invalid HorizontalPodAutoscaler";
    const NOUN: &'static str = "HPA manifest";
    const TEMPLATES: &'static [TemplateName] = &[TemplateName::Hpa];
    const OUTPUTS: &'static [&'static str] = &OUTPUTS;
    const CHECKS: &'static [&'static str] = &[SERVED_BY];

    fn schema() -> Schema {
        schema()
    }

    fn spec_of(value: &Value) -> Result<HorizontalPodAutoscaler, Diagnostics> {
        spec_of(value)
    }

    fn validate(spec: &HorizontalPodAutoscaler) -> Vec<Violation> {
        hpa::validate(spec)
    }

    fn render(spec: &HorizontalPodAutoscaler, overrides: &Overrides) -> Result<hpa::Rendered, RenderError> {
        hpa::render(spec, overrides)
    }

    fn set_outputs(state: &mut Value, spec: &HorizontalPodAutoscaler, rendered: &hpa::Rendered) {
        set(state, "id", Value::from(id_of(spec)));
        set(state, "yaml", Value::from(rendered.yaml.as_str()));
        let json = if state.get(RENDER_JSON).and_then(Value::as_bool) == Some(true) { Value::from(rendered.json.as_str()) } else { Value::Null };
        set(state, "json", json);
        set(state, "sha256", Value::from(rendered.sha256.as_str()));
    }

    fn flatten(content: &str) -> Result<Value, String> {
        hpa::parse(content).map(|spec| flatten(&spec))
    }

    /// Version 0 always kept `json`; version 1 keeps it only on request. The upgraded state drops
    /// it, so a configuration that does not ask for it plans no change.
    fn upgrade_state(from_version: i64, mut json: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
        if from_version != 0 {
            return Err(Diagnostic::error("Unsupported state version", format!("{TYPE_NAME} has no upgrader for stored state of schema version {from_version}.")).into());
        }
        if let Some(attributes) = json.as_object_mut() {
            attributes.insert("json".into(), serde_json::Value::Null);
            attributes.insert(RENDER_JSON.into(), serde_json::Value::Bool(false));
        }
        Ok(json)
    }

    fn check_spec(planned: &Value, spec: &HorizontalPodAutoscaler) -> Diagnostics {
        check_served_by(spec, planned.get(SERVED_BY).unwrap_or(&Value::Null))
    }

    fn check_rendered(config: &Value, rendered: &hpa::Rendered) -> Diagnostics {
        super::hpa_check::run(config.get("check"), &rendered.yaml)
    }
}

fn id_of(spec: &HorizontalPodAutoscaler) -> String {
    format!("{}/{}", spec.metadata.namespace.as_deref().unwrap_or("default"), spec.metadata.name)
}

/// Checks that each External metric is served by the adapter configuration given.
fn check_served_by(spec: &HorizontalPodAutoscaler, served_by: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let Some(yaml) = served_by.as_str() else { return diags };
    let served = match served_external_metrics(yaml) {
        Ok(served) => served,
        Err(e) => {
            diags.error_at(AttributePath::root(SERVED_BY), "Cannot read the adapter configuration", e);
            return diags;
        }
    };
    for (index, name) in hpa::external_metric_names(spec) {
        if !served.serves(name) {
            let known = served.names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ");
            diags.error_at(
                AttributePath::root("metric").index(index).attr("name"),
                "External metric not served by the adapter",
                format!("The External metric {name:?} is not named by any external rule of {SERVED_BY} (it serves: {known}). The HPA would report FailedGetExternalMetric and never scale on it: add a rule, or fix the name."),
            );
        }
    }
    diags
}

fn bad_model(e: impl std::fmt::Display) -> Diagnostics {
    Diagnostic::error("Provider bug", format!("reading the {TYPE_NAME} arguments: {e}")).into()
}

/// The target type follows the value set: utilization, average value or value. With several set,
/// the first wins the type and validation reports the conflict.
fn target(m: &MetricModel) -> MetricTarget {
    let type_ = if m.average_utilization.is_some() {
        "Utilization"
    } else if m.average_value.is_some() {
        "AverageValue"
    } else if m.value.is_some() {
        "Value"
    } else {
        ""
    };
    MetricTarget { type_: type_.into(), value: m.value.clone(), average_value: m.average_value.clone(), average_utilization: m.average_utilization }
}

fn metric(m: &MetricModel) -> MetricSpec {
    let type_ = m.type_.clone().unwrap_or_default();
    let name = m.name.clone().unwrap_or_default();
    let mut spec = MetricSpec { type_: type_.clone(), ..MetricSpec::default() };
    match type_.as_str() {
        "Resource" => spec.resource = Some(ResourceSource { name, container: None, target: target(m) }),
        "ContainerResource" => spec.container_resource = Some(ResourceSource { name, container: m.container.clone(), target: target(m) }),
        _ => {
            let source = MetricSource {
                described_object: m.described_object.as_ref().map(|d| reference(Some(d))),
                metric: MetricIdentifier { name, selector: m.selector.clone().filter(|s| !s.is_empty()).map(|labels| LabelSelector { match_labels: Some(labels) }) },
                target: target(m),
            };
            match type_.as_str() {
                "Pods" => spec.pods = Some(source),
                "Object" => spec.object = Some(source),
                _ => spec.external = Some(source),
            }
        }
    }
    spec
}

/// The HPA an object value (configuration or plan) describes.
fn spec_of(value: &Value) -> Result<HorizontalPodAutoscaler, Diagnostics> {
    let model: HpaModel = from_value(value).map_err(bad_model)?;
    Ok(expand(&model))
}

fn expand(model: &HpaModel) -> HorizontalPodAutoscaler {
    // An empty `behavior {}` stays a behavior (see scaling_behavior::expand).
    let behavior = scaling_behavior::expand(model.behavior.as_ref());
    let metrics: Vec<MetricSpec> = model.metric.iter().flatten().map(metric).collect();
    HorizontalPodAutoscaler {
        api_version: hpa::API_VERSION.into(),
        kind: hpa::KIND.into(),
        metadata: ObjectMeta {
            name: model.name.clone().unwrap_or_default(),
            namespace: Some(model.namespace.clone().unwrap_or_else(|| "default".into())),
            labels: model.labels.clone().filter(|m| !m.is_empty()),
            annotations: model.annotations.clone().filter(|m| !m.is_empty()),
        },
        spec: hpa::HpaSpec {
            scale_target_ref: reference(model.target.as_ref()),
            min_replicas: model.min_replicas,
            max_replicas: model.max_replicas.unwrap_or(0),
            metrics: if metrics.is_empty() { None } else { Some(metrics) },
            behavior,
        },
    }
}

fn opt_map(map: Option<&BTreeMap<String, String>>) -> Value {
    map.map_or(Value::Null, |m| Value::map(m.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str())))))
}

fn flatten_metric(metric: &MetricSpec) -> Value {
    let (name, container, selector, described, target) = if let Some(r) = metric.resource.as_ref().or(metric.container_resource.as_ref()) {
        (r.name.as_str(), r.container.as_ref(), None, None, &r.target)
    } else if let Some(s) = metric.pods.as_ref().or(metric.object.as_ref()).or(metric.external.as_ref()) {
        (s.metric.name.as_str(), None, s.metric.selector.as_ref().and_then(|s| s.match_labels.as_ref()), s.described_object.as_ref(), &s.target)
    } else {
        return Value::object([("type", Value::from(metric.type_.as_str()))]);
    };
    Value::object([
        ("type", Value::from(metric.type_.as_str())),
        ("name", Value::from(name)),
        ("container", opt_text(container)),
        ("selector", opt_map(selector)),
        ("average_utilization", target.average_utilization.map_or(Value::Null, Value::from)),
        ("average_value", opt_text(target.average_value.as_ref())),
        ("value", opt_text(target.value.as_ref())),
        ("described_object", described.map_or(Value::Null, flatten_reference)),
    ])
}

/// The state of an HPA read from a manifest (import): arguments only, outputs null.
fn flatten(spec: &HorizontalPodAutoscaler) -> Value {
    let behavior = scaling_behavior::flatten(spec.spec.behavior.as_ref());
    Value::object([
        ("check", Value::list([])),
        ("id", Value::Null),
        ("name", Value::from(spec.metadata.name.as_str())),
        ("namespace", Value::from(spec.metadata.namespace.as_deref().unwrap_or("default"))),
        ("labels", opt_map(spec.metadata.labels.as_ref())),
        ("annotations", opt_map(spec.metadata.annotations.as_ref())),
        ("min_replicas", spec.spec.min_replicas.map_or(Value::Null, Value::from)),
        ("max_replicas", Value::from(spec.spec.max_replicas)),
        (SERVED_BY, Value::Null),
        ("output_path", Value::Null),
        ("yaml", Value::Null),
        ("json", Value::Null),
        (RENDER_JSON, Value::from(false)),
        ("sha256", Value::Null),
        ("output_file_sha256", Value::Null),
        ("target", flatten_reference(&spec.spec.scale_target_ref)),
        ("metric", Value::list(spec.spec.metrics.iter().flatten().map(flatten_metric))),
        ("behavior", behavior),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::manifest::Manifest;
    use crate::resources::manifest_files::text;
    use tfplugin::provider::{Context, Plan, Resource};

    const RESOURCE: Manifest<HpaManifest> = Manifest::new();

    fn config() -> Value {
        let policy = |t: &str, v: i64, p: i64| Value::object([("type", Value::from(t)), ("value", Value::from(v)), ("period_seconds", Value::from(p))]);
        let metric = |t: &str, n: &str| {
            Value::object([
                ("type", Value::from(t)),
                ("name", Value::from(n)),
                ("container", Value::Null),
                ("selector", Value::map([("queue", Value::from("celery"))])),
                ("average_utilization", Value::Null),
                ("average_value", Value::from("100")),
                ("value", Value::Null),
                ("described_object", Value::Null),
            ])
        };
        let mut value = flatten(&expand(&HpaModel {
            name: Some("worker".into()),
            namespace: Some("production".into()),
            labels: None,
            annotations: None,
            min_replicas: Some(2),
            max_replicas: Some(100),
            target: Some(ReferenceModel { api_version: Some("apps/v1".into()), kind: Some("Deployment".into()), name: Some("worker".into()) }),
            metric: None,
            behavior: None,
        }));
        set(&mut value, "metric", Value::list([metric("External", "celery_queue_depth")]));
        set(&mut value, "behavior", Value::object([("scale_up", Value::object([("stabilization_window_seconds", Value::from(0)), ("select_policy", Value::Null), ("policy", Value::list([policy("Percent", 200, 30)]))])), ("scale_down", Value::Null)]));
        value
    }

    #[test]
    fn expand_then_flatten_is_identity() {
        let value = config();
        let spec = spec_of(&value).unwrap_or_else(|d| panic!("{d:?}"));
        assert!(hpa::validate(&spec).is_empty(), "{:?}", hpa::validate(&spec));
        assert_eq!(flatten(&spec), value);
        let conformed = value.clone().conform(&schema().value_type(), &AttributePath::empty());
        assert!(conformed.is_ok(), "{conformed:?}");
    }

    #[test]
    fn served_by_names_the_metric_path() {
        let spec = spec_of(&config()).unwrap_or_else(|d| panic!("{d:?}"));
        let adapter = "externalRules:\n- seriesQuery: other\n  name: {as: other}\n";
        let diags = check_served_by(&spec, &Value::from(adapter));
        let paths: Vec<String> = diags.iter().filter_map(|d| d.path.as_ref().map(ToString::to_string)).collect();
        assert_eq!(paths, vec!["metric[0].name"]);
        let ok = "externalRules:\n- seriesQuery: x\n  name: {as: celery_queue_depth}\n";
        assert!(check_served_by(&spec, &Value::from(ok)).is_empty());
    }

    /// `behavior {}` is not the same as no behavior in autoscaling/v2: the API server fills both
    /// directions' default rules only into a non-nil behavior, and the controller then takes its
    /// rate-limited path instead of the legacy one. So the block must reach the manifest, and
    /// the plan-time check must simulate the defaults.
    #[tokio::test]
    async fn empty_behavior_reaches_the_manifest_and_the_simulation() {
        use crate::simulate::{Behavior as SimulatedBehavior, Hpa as SimulatedHpa};
        let mut config = config();
        set(&mut config, "behavior", Value::object([("scale_up", Value::Null), ("scale_down", Value::Null)]));
        let spec = spec_of(&config).unwrap_or_else(|d| panic!("{d:?}"));
        assert_eq!(spec.spec.behavior, Some(hpa::Behavior::default()));
        assert_eq!(flatten(&spec).get("behavior"), config.get("behavior"), "import reads the empty block back");
        let mut plan = plan_for(config.clone());
        let diags = RESOURCE.modify_plan(&ctx(), &mut plan).await;
        assert!(diags.is_empty(), "{diags:?}");
        let yaml = text(&plan.planned, "yaml").unwrap_or_default().to_string();
        assert!(yaml.ends_with("\n  behavior: {}\n"), "{yaml}");
        assert_eq!(SimulatedHpa::from_yaml(&yaml).ok().and_then(|h| h.behavior), Some(SimulatedBehavior::defaults()));
        // Without the block: no behavior in the manifest, and the legacy path.
        set(&mut config, "behavior", Value::Null);
        let mut plan = plan_for(config);
        let diags = RESOURCE.modify_plan(&ctx(), &mut plan).await;
        assert!(diags.is_empty(), "{diags:?}");
        let yaml = text(&plan.planned, "yaml").unwrap_or_default().to_string();
        assert!(!yaml.contains("behavior"), "{yaml}");
        assert_eq!(SimulatedHpa::from_yaml(&yaml).map(|h| h.behavior).ok(), Some(None));
    }

    fn plan_for(config: Value) -> Plan {
        tfplugin::plan::plan_change(&schema().block, &Value::Null, &config, &config, Vec::new())
    }

    fn ctx() -> Context {
        Context::new(None, tokio_util::sync::CancellationToken::new(), TYPE_NAME)
    }

    #[tokio::test]
    async fn plan_knows_the_manifest_when_inputs_are_known() {
        let mut plan = plan_for(config());
        let diags = RESOURCE.modify_plan(&ctx(), &mut plan).await;
        assert!(diags.is_empty(), "{diags:?}");
        let yaml = text(&plan.planned, "yaml").unwrap_or_default();
        assert!(yaml.contains("maxReplicas: 100") && yaml.contains("name: celery_queue_depth"), "{yaml}");
        assert_eq!(text(&plan.planned, "sha256").map(str::to_string), Some(crate::render::sha256_hex(yaml)));
        assert_eq!(text(&plan.planned, "id"), Some("production/worker"));
        assert_eq!(plan.planned.get("output_file_sha256"), Some(&Value::Null));
    }

    #[tokio::test]
    async fn unknown_inputs_leave_the_manifest_unknown_and_unchecked() {
        let mut config = config();
        set(&mut config, "max_replicas", Value::Unknown);
        assert!(RESOURCE.validate(&ctx(), &config).await.is_empty());
        let mut plan = plan_for(config);
        let diags = RESOURCE.modify_plan(&ctx(), &mut plan).await;
        assert!(diags.is_empty(), "{diags:?}");
        for output in OUTPUTS {
            assert_eq!(plan.planned.get(output), Some(&Value::Unknown), "{output}");
        }
    }

    #[tokio::test]
    async fn bad_values_fail_validate_with_paths_and_no_duplicates() {
        let mut config = config();
        set(&mut config, "max_replicas", Value::from(1));
        let diags = RESOURCE.validate(&ctx(), &config).await;
        let paths: Vec<String> = diags.iter().filter_map(|d| d.path.as_ref().map(ToString::to_string)).collect();
        assert_eq!(paths, ["max_replicas"]);
        // period_seconds out of range: the schema validator reports it; validate does not repeat it.
        let mut config = self::config();
        if let Some(Value::Object(behavior)) = config.get("behavior").cloned() {
            let mut behavior = Value::Object(behavior);
            let mut up = behavior.get("scale_up").cloned().unwrap_or_default();
            set(&mut up, "policy", Value::list([Value::object([("type", Value::from("Pods")), ("value", Value::from(1)), ("period_seconds", Value::from(1801))])]));
            set(&mut behavior, "scale_up", up);
            set(&mut config, "behavior", behavior);
        }
        let broken = hpa::validate(&spec_of(&config).unwrap_or_else(|d| panic!("{d:?}")));
        assert_eq!(broken.iter().map(|v| v.path.to_string()).collect::<Vec<_>>(), ["behavior.scale_up.policy[0].period_seconds"]);
        assert!(RESOURCE.validate(&ctx(), &config).await.is_empty());
    }
}

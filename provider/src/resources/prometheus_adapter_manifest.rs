//! `autoscale_prometheus_adapter_manifest`: the prometheus-adapter ConfigMap whose
//! `config.yaml` exposes Prometheus series as external metrics for HPAs, rendered from typed
//! rules, checked and known at plan time; optionally written to `output_path` with drift
//! detection. Its `yaml` feeds `autoscale_hpa_manifest.external_metrics_served_by`.

use std::collections::BTreeMap;

use serde::Deserialize;

use tfplugin::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::value::{Type, from_value};
use tfplugin::{Diagnostic, Diagnostics, Value, validate};

use super::manifest::ManifestKind;
use super::manifest_files::set;
use crate::render::{Overrides, RenderError, TemplateName, Violation};
use crate::render::prometheus_adapter::{self as adapter, ExternalRule, PrometheusAdapter};

/// The manifest kind; the resource is `Manifest<PrometheusAdapterManifest>`.
pub struct PrometheusAdapterManifest;

const TYPE_NAME: &str = PrometheusAdapterManifest::TYPE_NAME;
/// The exporter whose series the rules must select (a plan-time check, not rendered).
const EXPORTED_BY: &str = "series_exported_by";

/// The schema; shared with the docs generator through `Resource::schema`.
pub fn schema() -> Schema {
    Schema::new(
        0,
        Block::new(
            "The prometheus-adapter ConfigMap exposing Prometheus series as external metrics (`external.metrics.k8s.io`) for \
             HorizontalPodAutoscalers. Each `external_rule` becomes an entry of `externalRules` in `config.yaml`; the metricsQuery is \
             generated from an aggregation and an optional averaging window, or given whole. Only one component may serve external \
             metrics in a cluster (prometheus-adapter and KEDA collide). Nothing is sent to a cluster: apply `yaml`, or let \
             `output_path` write it to a file.",
        )
        .attribute(Attribute::string("id").computed().description("`namespace/name`."))
        .attribute(Attribute::string("name").default("prometheus-adapter").description("Name of the ConfigMap (the adapter's `--config` is mounted from it)."))
        .attribute(Attribute::string("namespace").default("monitoring").description("Namespace of the ConfigMap, where the adapter runs."))
        .attribute(Attribute::map_of("labels", Type::String).optional().description("Labels of the ConfigMap."))
        .attribute(Attribute::map_of("annotations", Type::String).optional().description("Annotations of the ConfigMap."))
        .attribute(Attribute::string("output_path").optional().description(
            "File to write the YAML to. A file changed or deleted outside Terraform shows as drift in the next plan and apply writes it again; destroy removes it.",
        ))
        .attribute(Attribute::string(EXPORTED_BY).optional().description(
            "The `yaml` of an `autoscale_queue_exporter_manifest`. When set, every rule's `series_query` must select a series that \
             exporter exports (with its metric prefix); checked at plan time, so a renamed series fails the plan instead of leaving \
             the HPA without a metric.",
        ))
        .attribute(Attribute::string("config_yaml").computed().description("The adapter's `config.yaml` alone (e.g. for Helm values)."))
        .attribute(Attribute::list_of("external_metric_names", Type::String).computed().description("The external metric names served, in rule order."))
        .attribute(Attribute::string("yaml").computed().description("The rendered ConfigMap; pass it to `autoscale_hpa_manifest.external_metrics_served_by`."))
        .attribute(Attribute::string("sha256").computed().description("SHA-256 (hex) of `yaml`."))
        .attribute(Attribute::string("output_file_sha256").computed().description("SHA-256 of the file at `output_path` when last read; null when there is no file."))
        .block(
            NestedBlock::list(
                "external_rule",
                Block::new("One external metric.")
                    .attribute(Attribute::string("metric_name").required().description("The external metric name HPAs ask for (`name.as`), e.g. `celery_queue_depth`."))
                    .attribute(Attribute::string("series_query").required().description("Prometheus series selector (`seriesQuery`), e.g. `celery_queue_depth{queue!=\"\"}`."))
                    .attribute(Attribute::string("series_name_matches").optional().description("Regular expression over series names (`name.matches`); the adapter's default when unset."))
                    .attribute(Attribute::map_of("resource_overrides", Type::String).optional().description("Prometheus label → Kubernetes resource (`resources.overrides`), e.g. `{ namespace = \"namespace\" }`."))
                    .attribute(Attribute::bool("namespaced").default(true).description("Whether the HPA's namespace is added to the query (`resources.namespaced`). Set `false` for cluster-wide metrics such as a shared queue."))
                    .attribute(
                        Attribute::string("aggregation")
                            .optional()
                            .validator(validate::one_of(adapter::AGGREGATIONS))
                            .description("How series combine in the generated metricsQuery: `sum` (the default), `avg`, `max`, `min` or `count`. Leave it unset for `sum`: a generated query does not say whether `sum` was written or defaulted, so import reads it back as unset and an explicit `sum` would show one no-op update after an import."),
                    )
                    .attribute(Attribute::string("window").optional().description("Averaging window (a Prometheus duration such as `2m`): each series is averaged over it first, smoothing spikes."))
                    .attribute(
                        Attribute::string("metrics_query")
                            .optional()
                            .conflicts_with("window")
                            .conflicts_with("aggregation")
                            .description("A complete metricsQuery replacing the generated one: a Go template with `<< >>` delimiters over `.Series`, `.LabelMatchers` and `.GroupBy`."),
                    ),
            )
            .min_items(1),
        ),
    )
}

#[derive(Debug, Deserialize)]
struct RuleModel {
    metric_name: Option<String>,
    series_query: Option<String>,
    series_name_matches: Option<String>,
    resource_overrides: Option<BTreeMap<String, String>>,
    namespaced: Option<bool>,
    aggregation: Option<String>,
    window: Option<String>,
    metrics_query: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AdapterModel {
    name: Option<String>,
    namespace: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    annotations: Option<BTreeMap<String, String>>,
    external_rule: Option<Vec<RuleModel>>,
}

fn spec_of(value: &Value) -> Result<PrometheusAdapter, Diagnostics> {
    let m: AdapterModel = from_value(value).map_err(|e| Diagnostics::from(Diagnostic::error("Provider bug", format!("reading the {TYPE_NAME} arguments: {e}"))))?;
    Ok(PrometheusAdapter {
        name: m.name.unwrap_or_else(|| "prometheus-adapter".into()),
        namespace: m.namespace.unwrap_or_else(|| "monitoring".into()),
        labels: m.labels.filter(|l| !l.is_empty()),
        annotations: m.annotations.filter(|a| !a.is_empty()),
        rules: m
            .external_rule
            .unwrap_or_default()
            .into_iter()
            .map(|r| ExternalRule {
                metric_name: r.metric_name.unwrap_or_default(),
                series_query: r.series_query.unwrap_or_default(),
                series_name_matches: r.series_name_matches,
                resource_overrides: r.resource_overrides.unwrap_or_default(),
                namespaced: r.namespaced.unwrap_or(true),
                aggregation: r.aggregation,
                window: r.window,
                metrics_query: r.metrics_query,
            })
            .collect(),
    })
}

impl ManifestKind for PrometheusAdapterManifest {
    type Spec = PrometheusAdapter;
    type Rendered = adapter::Rendered;

    const TYPE_NAME: &'static str = "autoscale_prometheus_adapter_manifest";
    const WHAT: &'static str = "prometheus-adapter ConfigMap";
    const INVALID: &'static str = "Invalid prometheus-adapter rule";
    const NOUN: &'static str = "prometheus-adapter manifest";
    const TEMPLATES: &'static [TemplateName] = &[TemplateName::PrometheusAdapter, TemplateName::PrometheusAdapterConfig];
    const OUTPUTS: &'static [&'static str] = &["id", "config_yaml", "external_metric_names", "yaml", "sha256", "output_file_sha256"];
    const CHECKS: &'static [&'static str] = &[EXPORTED_BY];

    fn schema() -> Schema {
        schema()
    }

    fn spec_of(value: &Value) -> Result<PrometheusAdapter, Diagnostics> {
        spec_of(value)
    }

    fn validate(spec: &PrometheusAdapter) -> Vec<Violation> {
        adapter::validate(spec)
    }

    fn render(spec: &PrometheusAdapter, overrides: &Overrides) -> Result<adapter::Rendered, RenderError> {
        adapter::render(spec, overrides)
    }

    fn set_outputs(state: &mut Value, spec: &PrometheusAdapter, rendered: &adapter::Rendered) {
        set(state, "id", Value::from(format!("{}/{}", spec.namespace, spec.name)));
        set(state, "config_yaml", Value::from(rendered.config_yaml.as_str()));
        set(state, "external_metric_names", Value::list(rendered.external_metric_names.iter().map(|n| Value::from(n.as_str()))));
        set(state, "yaml", Value::from(rendered.yaml.as_str()));
        set(state, "sha256", Value::from(rendered.sha256.as_str()));
    }

    fn flatten(content: &str) -> Result<Value, String> {
        flatten(content)
    }

    fn check_spec(planned: &Value, spec: &PrometheusAdapter) -> Diagnostics {
        check_exported_by(spec, planned.get(EXPORTED_BY).unwrap_or(&Value::Null))
    }
}

/// Checks that each rule selects a series the exporter given in `series_exported_by` exports.
fn check_exported_by(spec: &PrometheusAdapter, exported_by: &Value) -> Diagnostics {
    use crate::render::queue_exporter::{exported_series, selected_metric};
    let mut diags = Diagnostics::new();
    let Some(yaml) = exported_by.as_str() else { return diags };
    let series = match exported_series(yaml) {
        Ok(series) => series,
        Err(e) => {
            diags.error_at(tfplugin::AttributePath::root(EXPORTED_BY), "Cannot read the exporter manifest", e);
            return diags;
        }
    };
    for (index, rule) in spec.rules.iter().enumerate() {
        let selected = selected_metric(&rule.series_query);
        if selected.as_ref().is_none_or(|name| !series.contains(name)) {
            diags.error_at(
                tfplugin::AttributePath::root("external_rule").index(index).attr("series_query"),
                "Series not exported by the queue exporter",
                format!(
                    "series_query {:?} selects {}, which the exporter of {EXPORTED_BY} does not export (it exports {}). The adapter would serve no value and the HPA would never scale on {:?}.",
                    rule.series_query,
                    selected.map_or_else(|| "no metric name".to_string(), |n| format!("{n:?}")),
                    series.iter().take(4).map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ") + ", …",
                    rule.metric_name
                ),
            );
        }
    }
    diags
}

/// Reads aggregation and window back from a generated metricsQuery; any other query is kept whole.
fn flatten_query(query: &str) -> (Value, Value, Value) {
    let series = "<<.Series>>{<<.LabelMatchers>>}";
    for aggregation in adapter::AGGREGATIONS {
        let Some(inner) = query.strip_prefix(&format!("{aggregation}(")).and_then(|q| q.strip_suffix(") by (<<.GroupBy>>)")) else { continue };
        let aggregation_value = if aggregation == "sum" { Value::Null } else { Value::from(aggregation) };
        if inner == series {
            return (aggregation_value, Value::Null, Value::Null);
        }
        if let Some(window) = inner.strip_prefix(&format!("avg_over_time({series}[")).and_then(|w| w.strip_suffix("])")) {
            return (aggregation_value, Value::from(window), Value::Null);
        }
    }
    (Value::Null, Value::Null, Value::from(query))
}

/// The arguments recovered from a rendered ConfigMap (import).
fn flatten(content: &str) -> Result<Value, String> {
    use serde_json::Value as Json;
    let documents = crate::render::parse_documents(content)?;
    let config_map = documents.iter().find(|d| d.get("kind").and_then(Json::as_str) == Some("ConfigMap")).ok_or("the file holds no ConfigMap")?;
    let config_text = config_map.pointer("/data/config.yaml").and_then(Json::as_str).ok_or("the ConfigMap has no data.config.yaml")?;
    let config = crate::render::parse_documents(config_text)?.into_iter().next().ok_or("config.yaml is empty")?;
    let text_at = |v: &Json, p: &str| v.pointer(p).and_then(Json::as_str).map_or(Value::Null, Value::from);
    let map_at = |v: &Json, p: &str| v.pointer(p).and_then(Json::as_object).map_or(Value::Null, |m| Value::map(m.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str().unwrap_or_default())))));
    let rules = config.get("externalRules").and_then(Json::as_array).ok_or("config.yaml has no externalRules")?;
    let rules = rules.iter().map(|rule| {
        let (aggregation, window, metrics_query) = flatten_query(rule.get("metricsQuery").and_then(Json::as_str).unwrap_or_default());
        let overrides = rule.pointer("/resources/overrides").and_then(Json::as_object).map_or(Value::Null, |m| {
            Value::map(m.iter().map(|(label, r)| (label.clone(), Value::from(r.get("resource").and_then(Json::as_str).unwrap_or_default()))))
        });
        Value::object([
            ("metric_name", text_at(rule, "/name/as")),
            ("series_query", text_at(rule, "/seriesQuery")),
            ("series_name_matches", text_at(rule, "/name/matches")),
            ("resource_overrides", overrides),
            ("namespaced", Value::from(rule.pointer("/resources/namespaced").and_then(Json::as_bool).unwrap_or(true))),
            ("aggregation", aggregation),
            ("window", window),
            ("metrics_query", metrics_query),
        ])
    });
    Ok(Value::object([
        ("id", Value::Null),
        ("name", text_at(config_map, "/metadata/name")),
        ("namespace", text_at(config_map, "/metadata/namespace")),
        ("labels", map_at(config_map, "/metadata/labels")),
        ("annotations", map_at(config_map, "/metadata/annotations")),
        ("output_path", Value::Null),
        (EXPORTED_BY, Value::Null),
        ("config_yaml", Value::Null),
        ("external_metric_names", Value::Null),
        ("yaml", Value::Null),
        ("sha256", Value::Null),
        ("output_file_sha256", Value::Null),
        ("external_rule", Value::list(rules)),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_must_select_a_series_the_exporter_exports() {
        let exporter = crate::render::queue_exporter::render(&crate::render::queue_exporter::tests::celery_exporter(), &crate::render::Overrides::none()).unwrap_or_else(|e| panic!("{e}"));
        let rule = |series_query: &str| ExternalRule {
            metric_name: "celery_queue_depth".into(),
            series_query: series_query.into(),
            series_name_matches: None,
            resource_overrides: BTreeMap::new(),
            namespaced: false,
            aggregation: None,
            window: Some("2m".into()),
            metrics_query: None,
        };
        let spec = PrometheusAdapter { name: "a".into(), namespace: "monitoring".into(), labels: None, annotations: None, rules: vec![rule("celery_queue_length{queue_name!=\"\"}"), rule("celery_queue_depth{queue!=\"\"}")] };
        let diags = check_exported_by(&spec, &Value::from(exporter.yaml.as_str()));
        let paths: Vec<String> = diags.iter().filter_map(|d| d.path.as_ref().map(ToString::to_string)).collect();
        assert_eq!(paths, ["external_rule[1].series_query"]);
        assert!(check_exported_by(&spec, &Value::Null).is_empty());
        let not_exporter = check_exported_by(&spec, &Value::from("kind: ConfigMap\n"));
        assert_eq!(not_exporter.iter().filter_map(|d| d.path.as_ref().map(ToString::to_string)).collect::<Vec<_>>(), ["series_exported_by"]);
    }

    #[test]
    fn import_recovers_the_rules() {
        let spec = PrometheusAdapter {
            name: "adapter".into(),
            namespace: "monitoring".into(),
            labels: None,
            annotations: None,
            rules: vec![
                ExternalRule {
                    metric_name: "celery_queue_depth".into(),
                    series_query: "celery_queue_depth{queue!=\"\"}".into(),
                    series_name_matches: None,
                    resource_overrides: BTreeMap::new(),
                    namespaced: false,
                    aggregation: None,
                    window: Some("2m".into()),
                    metrics_query: None,
                },
                ExternalRule {
                    metric_name: "lag".into(),
                    series_query: "kafka_lag".into(),
                    series_name_matches: Some("^kafka_(.*)$".into()),
                    resource_overrides: BTreeMap::from([("namespace".into(), "namespace".into())]),
                    namespaced: true,
                    aggregation: None,
                    window: None,
                    metrics_query: Some("max(<<.Series>>{<<.LabelMatchers>>})".into()),
                },
            ],
        };
        let rendered = adapter::render(&spec, &crate::render::Overrides::none()).unwrap_or_else(|e| panic!("{e}"));
        let state = flatten(&rendered.yaml).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec_of(&state).unwrap_or_else(|d| panic!("{d:?}")), spec);
        assert!(state.conform(&schema().value_type(), &tfplugin::AttributePath::empty()).is_ok());
    }
}

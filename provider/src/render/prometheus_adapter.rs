//! prometheus-adapter external rules: typed rules, their checks, the adapter's `config.yaml`
//! (metricsQuery is a Go template with `<< >>` delimiters, printed as a quoted YAML string so
//! neither YAML nor handlebars ever interprets it) and the ConfigMap wrapping it. Also reads the
//! external metric names an adapter configuration serves, for the HPA's `served_by` check.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value as Json;
use tfplugin::AttributePath;

use super::kubernetes::{check_annotations, check_labels, check_name, check_namespace};
use super::templates::{self, Overrides, TemplateName};
use super::{RenderError, Violation, sha256_hex};

/// Aggregations a rule may apply across series.
pub const AGGREGATIONS: [&str; 5] = ["sum", "avg", "max", "min", "count"];

/// One external rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalRule {
    /// The external metric name HPAs ask for (`name.as`).
    pub metric_name: String,
    /// Prometheus series selector (`seriesQuery`).
    pub series_query: String,
    /// Regex over series names (`name.matches`); absent means the adapter's default.
    pub series_name_matches: Option<String>,
    /// Prometheus label → Kubernetes resource (`resources.overrides`).
    pub resource_overrides: BTreeMap<String, String>,
    /// Whether the HPA's namespace is added to the query.
    pub namespaced: bool,
    /// Aggregation across series, `sum` when absent.
    pub aggregation: Option<String>,
    /// Averaging window (`2m`): the query averages each series over it first.
    pub window: Option<String>,
    /// A complete metricsQuery replacing the generated one.
    pub metrics_query: Option<String>,
}

impl ExternalRule {
    /// The metricsQuery this rule renders.
    pub fn query(&self) -> String {
        if let Some(query) = &self.metrics_query {
            return query.clone();
        }
        let aggregation = self.aggregation.as_deref().unwrap_or("sum");
        let series = "<<.Series>>{<<.LabelMatchers>>}";
        let inner = match &self.window {
            Some(window) => format!("avg_over_time({series}[{window}])"),
            None => series.to_string(),
        };
        format!("{aggregation}({inner}) by (<<.GroupBy>>)")
    }
}

/// The ConfigMap and its rules.
#[derive(Debug, Clone, PartialEq)]
pub struct PrometheusAdapter {
    pub name: String,
    pub namespace: String,
    pub labels: Option<BTreeMap<String, String>>,
    pub annotations: Option<BTreeMap<String, String>>,
    pub rules: Vec<ExternalRule>,
}

fn is_metric_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '.' | '-'))
}

fn is_prometheus_duration(text: &str) -> bool {
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let n = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if n == 0 {
            return false;
        }
        rest = &rest[n..];
        let unit = ["ms", "s", "m", "h", "d", "w", "y"].into_iter().find(|u| rest.starts_with(u));
        let Some(unit) = unit else { return false };
        rest = &rest[unit.len()..];
    }
    true
}

/// Checks the rules and metadata at the resource's attribute paths.
pub fn validate(adapter: &PrometheusAdapter) -> Vec<Violation> {
    let mut out = Vec::new();
    check_name(&adapter.name, AttributePath::root("name"), &mut out);
    check_namespace(&adapter.namespace, AttributePath::root("namespace"), &mut out);
    if let Some(labels) = &adapter.labels {
        check_labels(labels, &AttributePath::root("labels"), &mut out);
    }
    if let Some(annotations) = &adapter.annotations {
        check_annotations(annotations, &AttributePath::root("annotations"), &mut out);
    }
    if adapter.rules.is_empty() {
        out.push(Violation::new(AttributePath::root("external_rule"), "set at least one external_rule."));
    }
    let mut seen = BTreeSet::new();
    for (i, rule) in adapter.rules.iter().enumerate() {
        let at = |attr: &str| AttributePath::root("external_rule").index(i).attr(attr);
        if !is_metric_name(&rule.metric_name) {
            out.push(Violation::new(at("metric_name"), format!("{:?} is not a metric name: use letters, digits, '_', ':', '.' and '-', starting with a letter or '_'.", rule.metric_name)));
        } else if !seen.insert(rule.metric_name.as_str()) {
            out.push(Violation::new(at("metric_name"), format!("{:?} is served by an earlier rule already: each external metric needs exactly one rule.", rule.metric_name)));
        }
        if rule.series_query.trim().is_empty() {
            out.push(Violation::new(at("series_query"), "series_query must not be empty: write a Prometheus series selector such as `celery_queue_depth{queue!=\"\"}`."));
        }
        if let Some(pattern) = &rule.series_name_matches
            && let Err(e) = regex::Regex::new(pattern) {
                out.push(Violation::new(at("series_name_matches"), format!("{pattern:?} is not a regular expression: {e}")));
            }
        for (label, resource) in &rule.resource_overrides {
            let label_ok = label.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !label_ok {
                out.push(Violation::new(at("resource_overrides").key(label.clone()), format!("{label:?} is not a Prometheus label name.")));
            }
            let resource_ok = !resource.is_empty() && resource.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'));
            if !resource_ok {
                out.push(Violation::new(at("resource_overrides").key(label.clone()), format!("{resource:?} is not a Kubernetes resource: write it like \"namespace\", \"pod\" or \"deployment.apps\".")));
            }
        }
        if let Some(aggregation) = &rule.aggregation
            && !AGGREGATIONS.contains(&aggregation.as_str()) {
                out.push(Violation::new(at("aggregation"), format!("{aggregation:?} is not an aggregation: use sum, avg, max, min or count.")));
            }
        if let Some(window) = &rule.window
            && !is_prometheus_duration(window) {
                out.push(Violation::new(at("window"), format!("{window:?} is not a Prometheus duration: write it like \"2m\" or \"1h30m\".")));
            }
        if let Some(query) = &rule.metrics_query {
            if rule.window.is_some() || rule.aggregation.is_some() {
                out.push(Violation::new(at("metrics_query"), "metrics_query replaces the generated query: leave aggregation and window out when it is set."));
            }
            if !query.contains("<<.Series>>") && !query.contains(&rule.metric_name) {
                out.push(Violation::new(at("metrics_query"), "metrics_query must select the series, with <<.Series>> (and usually {<<.LabelMatchers>>} and by (<<.GroupBy>>))."));
            }
        }
    }
    out
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfigData {
    external_rules: Vec<RuleData>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleData {
    series_query: String,
    resources: ResourcesData,
    name: NameData,
    metrics_query: String,
}

#[derive(Serialize)]
struct ResourcesData {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    overrides: BTreeMap<String, BTreeMap<&'static str, String>>,
    namespaced: bool,
}

#[derive(Serialize)]
struct NameData {
    #[serde(skip_serializing_if = "Option::is_none")]
    matches: Option<String>,
    #[serde(rename = "as")]
    as_: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfigMapData<'a> {
    name: &'a str,
    namespace: &'a str,
    labels: &'a Option<BTreeMap<String, String>>,
    annotations: &'a Option<BTreeMap<String, String>>,
    config_yaml: &'a str,
}

/// What rendering produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The adapter's `config.yaml`.
    pub config_yaml: String,
    /// The ConfigMap holding it.
    pub yaml: String,
    pub sha256: String,
    /// The external metric names the rules serve, in rule order.
    pub external_metric_names: Vec<String>,
}

/// Validates and renders.
///
/// # Errors
/// [`RenderError::Invalid`] for broken rules; template errors; [`RenderError::Output`] when a
/// user template's output is not a ConfigMap whose `config.yaml` holds the rules.
pub fn render(adapter: &PrometheusAdapter, overrides: &Overrides) -> Result<Rendered, RenderError> {
    let violations = validate(adapter);
    if !violations.is_empty() {
        return Err(RenderError::Invalid(violations));
    }
    render_unchecked(adapter, overrides)
}

/// Renders without checking the rules first (the property tests feed arbitrary strings through
/// the templates this way; user templates are still checked).
///
/// # Errors
/// Template errors, or [`RenderError::Output`] for a user template's invalid output.
pub fn render_unchecked(adapter: &PrometheusAdapter, overrides: &Overrides) -> Result<Rendered, RenderError> {
    let data = ConfigData {
        external_rules: adapter
            .rules
            .iter()
            .map(|rule| RuleData {
                series_query: rule.series_query.clone(),
                resources: ResourcesData {
                    overrides: rule.resource_overrides.iter().map(|(label, resource)| (label.clone(), BTreeMap::from([("resource", resource.clone())]))).collect(),
                    namespaced: rule.namespaced,
                },
                name: NameData { matches: rule.series_name_matches.clone(), as_: rule.metric_name.clone() },
                metrics_query: rule.query(),
            })
            .collect(),
    };
    let config_yaml = templates::render(TemplateName::PrometheusAdapterConfig, &data, overrides)?;
    let yaml = templates::render(
        TemplateName::PrometheusAdapter,
        &ConfigMapData { name: &adapter.name, namespace: &adapter.namespace, labels: &adapter.labels, annotations: &adapter.annotations, config_yaml: &config_yaml },
        overrides,
    )?;
    let external_metric_names: Vec<String> = adapter.rules.iter().map(|r| r.metric_name.clone()).collect();
    if !overrides.is_empty() {
        let served = served_external_metrics(&yaml).map_err(|message| RenderError::Output { file: TemplateName::PrometheusAdapter.file_name(), message })?;
        if let Some(missing) = external_metric_names.iter().find(|n| !served.serves(n)) {
            return Err(RenderError::Output {
                file: TemplateName::PrometheusAdapterConfig.file_name(),
                message: format!("the rendered ConfigMap does not serve the external metric {missing:?}"),
            });
        }
    }
    let sha256 = sha256_hex(&yaml);
    Ok(Rendered { config_yaml, yaml, sha256, external_metric_names })
}

/// The external metrics an adapter configuration serves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServedMetrics {
    /// Names known exactly.
    pub names: BTreeSet<String>,
    /// Some rule names its metric with a regex replacement (`$1`): any name may be served.
    pub has_patterns: bool,
}

impl ServedMetrics {
    /// Whether `name` is (or may be) served.
    pub fn serves(&self, name: &str) -> bool {
        self.has_patterns || self.names.contains(name)
    }
}

/// Reads the external metric names served by a prometheus-adapter configuration: the YAML of a
/// ConfigMap holding `config.yaml` (such as this provider's adapter `yaml` output), a bare
/// `config.yaml`, or Helm values with `rules.external`. Several documents may be given.
///
/// # Errors
/// A message when the text is not YAML or holds no external rules.
pub fn served_external_metrics(yaml: &str) -> Result<ServedMetrics, String> {
    let mut served = ServedMetrics::default();
    let mut rules_found = false;
    for document in super::parse_documents(yaml)? {
        let mut configs = vec![document.clone()];
        if document.get("kind").and_then(Json::as_str) == Some("ConfigMap") {
            for value in document.get("data").and_then(Json::as_object).into_iter().flatten().map(|(_, v)| v) {
                if let Some(text) = value.as_str() {
                    configs.extend(super::parse_documents(text).unwrap_or_default());
                }
            }
        }
        for config in configs {
            let rules = config.get("externalRules").or_else(|| config.pointer("/rules/external"));
            for rule in rules.and_then(Json::as_array).into_iter().flatten() {
                rules_found = true;
                match rule.pointer("/name/as").and_then(Json::as_str) {
                    Some(name) if !name.contains('$') => {
                        served.names.insert(name.to_string());
                    }
                    Some(_) => served.has_patterns = true,
                    None => {
                        // Without `name`, the adapter keeps the series name; a bare selector names it.
                        let query = rule.get("seriesQuery").and_then(Json::as_str).unwrap_or_default();
                        let series = query.split('{').next().unwrap_or_default().trim();
                        if rule.pointer("/name/matches").is_none() && is_metric_name(series) {
                            served.names.insert(series.to_string());
                        } else {
                            served.has_patterns = true;
                        }
                    }
                }
            }
        }
    }
    if !rules_found {
        return Err("no prometheus-adapter external rules found: pass the adapter ConfigMap (such as autoscale_prometheus_adapter_manifest's yaml), its config.yaml, or Helm values with rules.external".into());
    }
    Ok(served)
}

#[cfg(test)]
mod tests {
    use super::super::yaml_scalar::strategies::{map, text};
    use super::*;
    use proptest::prelude::*;

    /// The seed's adapter rule: celery_queue_depth averaged over 2 minutes.
    pub(crate) fn seed() -> PrometheusAdapter {
        PrometheusAdapter {
            name: "prometheus-adapter".into(),
            namespace: "monitoring".into(),
            labels: None,
            annotations: None,
            rules: vec![ExternalRule {
                metric_name: "celery_queue_depth".into(),
                series_query: "celery_queue_depth{queue!=\"\"}".into(),
                series_name_matches: None,
                resource_overrides: BTreeMap::new(),
                namespaced: false,
                aggregation: Some("sum".into()),
                window: Some("2m".into()),
                metrics_query: None,
            }],
        }
    }

    #[test]
    fn go_template_delimiters_survive() {
        let rendered = render(&seed(), &Overrides::none()).unwrap_or_else(|e| panic!("{e}"));
        assert!(rendered.yaml.contains("  config.yaml: |\n    externalRules:\n"), "{}", rendered.yaml);
        let served = served_external_metrics(&rendered.yaml).unwrap_or_default();
        assert_eq!(served.names, BTreeSet::from(["celery_queue_depth".to_string()]));
        let docs = super::super::parse_documents(&rendered.config_yaml).unwrap_or_default();
        assert_eq!(docs[0]["externalRules"][0]["metricsQuery"], "sum(avg_over_time(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)");
    }

    #[test]
    fn served_metrics_from_every_shape() {
        let helm = "rules:\n  external:\n  - seriesQuery: 'x{a=\"b\"}'\n    name: {as: \"queue\"}\n  - seriesQuery: plain_series\n";
        assert_eq!(served_external_metrics(helm).map(|s| s.names.into_iter().collect::<Vec<_>>()), Ok(vec!["plain_series".to_string(), "queue".to_string()]));
        let pattern = "externalRules:\n- seriesQuery: 'x'\n  name: {matches: '^(.*)_total$', as: '$1'}\n";
        assert!(served_external_metrics(pattern).is_ok_and(|s| s.serves("anything")));
        assert!(served_external_metrics("kind: ConfigMap\ndata: {}\n").is_err());
        assert!(served_external_metrics(": : :").is_err());
    }

    #[test]
    fn rules_are_reported_at_attribute_paths() {
        let mut adapter = seed();
        adapter.rules.push(ExternalRule { metric_name: "celery_queue_depth".into(), window: Some("2 minutes".into()), aggregation: Some("median".into()), series_name_matches: Some("(".into()), ..adapter.rules[0].clone() });
        adapter.rules.push(ExternalRule { metric_name: "x".into(), metrics_query: Some("up".into()), series_query: " ".into(), ..adapter.rules[0].clone() });
        let paths: Vec<String> = validate(&adapter).iter().map(|v| v.path.to_string()).collect();
        assert_eq!(
            paths,
            [
                "external_rule[1].metric_name",
                "external_rule[1].series_name_matches",
                "external_rule[1].aggregation",
                "external_rule[1].window",
                "external_rule[2].series_query",
                "external_rule[2].metrics_query",
                "external_rule[2].metrics_query",
            ]
        );
    }

    #[test]
    fn user_templates_must_still_serve_every_rule() {
        let mut overrides = Overrides::none();
        overrides.insert(TemplateName::PrometheusAdapterConfig, "externalRules: []\n".into());
        let err = render(&seed(), &overrides).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("no prometheus-adapter external rules") || err.contains("does not serve"), "{err}");
        overrides.insert(TemplateName::PrometheusAdapterConfig, "externalRules:\n- seriesQuery: x\n  name: {as: other}\n".into());
        let err = render(&seed(), &overrides).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("does not serve the external metric \"celery_queue_depth\""), "{err}");
    }

    fn any_rule() -> impl Strategy<Value = ExternalRule> {
        (text(), text(), proptest::option::of(text()), proptest::collection::btree_map(text(), text(), 0..3), any::<bool>(), proptest::option::of(text()))
            .prop_map(|(metric_name, series_query, series_name_matches, resource_overrides, namespaced, metrics_query)| ExternalRule {
                metric_name,
                series_query,
                series_name_matches,
                resource_overrides,
                namespaced,
                aggregation: None,
                window: None,
                metrics_query,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Output safety, twice over: the ConfigMap parses, its config.yaml parses, and both give
        /// back exactly the input strings.
        #[test]
        fn any_input_round_trips(name in text(), namespace in text(), labels in map(), annotations in map(), rules in proptest::collection::vec(any_rule(), 1..3)) {
            let adapter = PrometheusAdapter { name, namespace, labels, annotations, rules };
            let rendered = render_unchecked(&adapter, &Overrides::none()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let docs = super::super::parse_documents(&rendered.yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{}", rendered.yaml)))?;
            prop_assert_eq!(docs.len(), 1);
            let cm = &docs[0];
            prop_assert_eq!(cm["metadata"]["name"].as_str(), Some(adapter.name.as_str()));
            prop_assert_eq!(cm["metadata"]["namespace"].as_str(), Some(adapter.namespace.as_str()));
            prop_assert_eq!(&cm["metadata"]["labels"], &serde_json::to_value(&adapter.labels).unwrap_or_default());
            prop_assert_eq!(&cm["metadata"]["annotations"], &serde_json::to_value(&adapter.annotations).unwrap_or_default());
            prop_assert_eq!(cm["data"]["config.yaml"].as_str(), Some(rendered.config_yaml.as_str()), "{}", rendered.yaml);
            let config = super::super::parse_documents(&rendered.config_yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{}", rendered.config_yaml)))?;
            let rules = config[0]["externalRules"].as_array().cloned().unwrap_or_default();
            prop_assert_eq!(rules.len(), adapter.rules.len());
            for (got, want) in rules.iter().zip(&adapter.rules) {
                prop_assert_eq!(got["seriesQuery"].as_str(), Some(want.series_query.as_str()));
                prop_assert_eq!(got["name"]["as"].as_str(), Some(want.metric_name.as_str()));
                prop_assert_eq!(got["name"]["matches"].as_str(), want.series_name_matches.as_deref());
                let query = want.query();
                prop_assert_eq!(got["metricsQuery"].as_str(), Some(query.as_str()));
                prop_assert_eq!(got["resources"]["namespaced"].as_bool(), Some(want.namespaced));
                for (label, resource) in &want.resource_overrides {
                    prop_assert_eq!(got["resources"]["overrides"][label]["resource"].as_str(), Some(resource.as_str()));
                }
            }
        }
    }
}

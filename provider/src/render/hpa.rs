//! The HorizontalPodAutoscaler (autoscaling/v2): its typed shape (serde, the same field names as
//! the Kubernetes API so the JSON output and the parse-back of user templates need no mapping),
//! the API server's validation rules reported at the resource's attribute paths, and rendering.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use tfplugin::AttributePath;

use super::kubernetes::{check_annotations, check_labels, check_name, check_namespace, check_positive_quantity};
use super::templates::{self, Overrides, TemplateName};
use super::{RenderError, Violation, sha256_hex};

pub const API_VERSION: &str = "autoscaling/v2";
pub const KIND: &str = "HorizontalPodAutoscaler";

/// Longest stabilization window the API accepts (one hour).
pub const MAX_STABILIZATION_WINDOW_SECONDS: i64 = 3600;
/// Longest policy period the API accepts (30 minutes).
pub const MAX_PERIOD_SECONDS: i64 = 1800;

/// Metric source types.
pub const METRIC_TYPES: [&str; 5] = ["Resource", "ContainerResource", "Pods", "Object", "External"];
/// Scaling policy types.
pub const POLICY_TYPES: [&str; 2] = ["Pods", "Percent"];
/// How the policies of one direction combine.
pub const SELECT_POLICIES: [&str; 3] = ["Max", "Min", "Disabled"];

/// A HorizontalPodAutoscaler object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HorizontalPodAutoscaler {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: HpaSpec,
}

/// The metadata the provider sets.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HpaSpec {
    pub scale_target_ref: ObjectReference,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_replicas: Option<i64>,
    pub max_replicas: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<MetricSpec>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behavior: Option<Behavior>,
}

/// `scaleTargetRef` and `describedObject`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricSpec {
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_resource: Option<ResourceSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<MetricSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<MetricSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<MetricSource>,
}

/// A Resource or ContainerResource source (`container` only for the latter).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSource {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    pub target: MetricTarget,
}

/// A Pods, Object or External source (`describedObject` only for Object).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub described_object: Option<ObjectReference>,
    pub metric: MetricIdentifier,
    pub target: MetricTarget,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricIdentifier {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricTarget {
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "quantity")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "quantity")]
    pub average_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_utilization: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Behavior {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_up: Option<ScalingRules>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down: Option<ScalingRules>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingRules {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stabilization_window_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select_policy: Option<String>,
    #[serde(default)]
    pub policies: Vec<ScalingPolicy>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingPolicy {
    #[serde(rename = "type")]
    pub type_: String,
    pub value: i64,
    pub period_seconds: i64,
}

/// Quantities are strings in the API but YAML written by hand often has bare numbers.
fn quantity<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Int(i64),
        Float(f64),
    }
    Ok(Option::<Raw>::deserialize(deserializer)?.map(|raw| match raw {
        Raw::Text(s) => s,
        Raw::Int(n) => n.to_string(),
        Raw::Float(f) => f.to_string(),
    }))
}

/// What rendering produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub yaml: String,
    pub json: String,
    pub sha256: String,
}

/// The attribute path of the metric at `index`.
fn metric_path(index: usize) -> AttributePath {
    AttributePath::root("metric").index(index)
}

/// Checks every rule the API server applies to an HPA (and the metadata syntax), reporting
/// each at the resource attribute that sets it.
pub fn validate(hpa: &HorizontalPodAutoscaler) -> Vec<Violation> {
    let mut out = Vec::new();
    check_meta(&hpa.metadata, &mut out);
    let spec = &hpa.spec;
    check_reference(&spec.scale_target_ref, &AttributePath::root("target"), &mut out);
    if let Some(min) = spec.min_replicas
        && min < 1 {
            out.push(Violation::new(AttributePath::root("min_replicas"), format!("min_replicas is {min}, but it must be at least 1 (scale to zero needs the HPAScaleToZero feature gate, which this provider does not assume).")));
        }
    if spec.max_replicas < 1 {
        out.push(Violation::new(AttributePath::root("max_replicas"), format!("max_replicas is {}, but it must be at least 1.", spec.max_replicas)));
    } else if spec.max_replicas < spec.min_replicas.unwrap_or(1) {
        out.push(Violation::new(
            AttributePath::root("max_replicas"),
            format!("max_replicas ({}) must be greater than or equal to min_replicas ({}).", spec.max_replicas, spec.min_replicas.unwrap_or(1)),
        ));
    }
    for (i, metric) in spec.metrics.iter().flatten().enumerate() {
        check_metric(metric, i, &mut out);
    }
    if let Some(behavior) = &spec.behavior {
        check_behavior(behavior, &AttributePath::root("behavior"), &mut out);
    }
    out
}

/// The metadata rules (name, namespace, labels, annotations), at the resource's top-level
/// attributes of the same names; shared by the kinds whose object metadata is `ObjectMeta`.
pub fn check_meta(meta: &ObjectMeta, out: &mut Vec<Violation>) {
    check_name(&meta.name, AttributePath::root("name"), out);
    if let Some(namespace) = &meta.namespace {
        check_namespace(namespace, AttributePath::root("namespace"), out);
    }
    if let Some(labels) = &meta.labels {
        check_labels(labels, &AttributePath::root("labels"), out);
    }
    if let Some(annotations) = &meta.annotations {
        check_annotations(annotations, &AttributePath::root("annotations"), out);
    }
}

/// The API server's rules for a `behavior` (both directions), reported below `path`; shared with
/// KEDA's `advanced.horizontalPodAutoscalerConfig.behavior`, which becomes an HPA's behavior.
pub fn check_behavior(behavior: &Behavior, path: &AttributePath, out: &mut Vec<Violation>) {
    if let Some(rules) = &behavior.scale_up {
        check_rules(rules, &path.clone().attr("scale_up"), out);
    }
    if let Some(rules) = &behavior.scale_down {
        check_rules(rules, &path.clone().attr("scale_down"), out);
    }
}

/// A path segment name as the API checks it: not empty, not `.` or `..`, no `/` or `%`.
pub fn check_reference(reference: &ObjectReference, path: &AttributePath, out: &mut Vec<Violation>) {
    if reference.kind.is_empty() {
        out.push(Violation::new(path.clone().attr("kind"), "kind must not be empty."));
    }
    let name = &reference.name;
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '%']) {
        out.push(Violation::new(path.clone().attr("name"), format!("{name:?} is not a valid object name: it must not be empty, '.' or '..', and must not contain '/' or '%'.")));
    }
    if let Some(api_version) = &reference.api_version {
        let valid = !api_version.is_empty() && api_version.split('/').count() <= 2 && api_version.split('/').all(|p| !p.is_empty() && !p.contains(char::is_whitespace));
        if !valid {
            out.push(Violation::new(path.clone().attr("api_version"), format!("{api_version:?} is not an API version: write `version` or `group/version`, such as \"apps/v1\".")));
        }
    }
}

fn check_metric(metric: &MetricSpec, index: usize, out: &mut Vec<Violation>) {
    let path = metric_path(index);
    let type_path = path.clone().attr("type");
    let (target, name, utilization_allowed) = match metric.type_.as_str() {
        "Resource" => match &metric.resource {
            Some(source) => (&source.target, &source.name, true),
            None => return out.push(Violation::new(type_path, "a Resource metric needs its resource source.")),
        },
        "ContainerResource" => match &metric.container_resource {
            Some(source) => {
                if source.container.as_deref().is_none_or(str::is_empty) {
                    out.push(Violation::new(path.clone().attr("container"), "a ContainerResource metric needs the container name."));
                }
                (&source.target, &source.name, true)
            }
            None => return out.push(Violation::new(type_path, "a ContainerResource metric needs its source.")),
        },
        "Pods" | "Object" | "External" => {
            let source = match metric.type_.as_str() {
                "Pods" => &metric.pods,
                "Object" => &metric.object,
                _ => &metric.external,
            };
            let Some(source) = source else {
                return out.push(Violation::new(type_path, format!("a {} metric needs its source.", metric.type_)));
            };
            if metric.type_ == "Object" && source.described_object.is_none() {
                out.push(Violation::new(path.clone().attr("described_object"), "an Object metric needs described_object (the object the metric describes)."));
            }
            if let Some(described) = &source.described_object {
                check_reference(described, &path.clone().attr("described_object"), out);
            }
            if let Some(labels) = source.metric.selector.as_ref().and_then(|s| s.match_labels.as_ref()) {
                check_labels(labels, &path.clone().attr("selector"), out);
            }
            (&source.target, &source.metric.name, false)
        }
        other => {
            return out.push(Violation::new(type_path, format!("{other:?} is not a metric type: use one of Resource, ContainerResource, Pods, Object or External.")));
        }
    };
    if name.is_empty() {
        out.push(Violation::new(path.clone().attr("name"), "the metric name must not be empty."));
    }
    check_target(target, &metric.type_, utilization_allowed, &path, out);
}

/// Exactly one of the three target values, matching the target type, allowed for this source.
fn check_target(target: &MetricTarget, metric_type: &str, utilization_allowed: bool, path: &AttributePath, out: &mut Vec<Violation>) {
    let set: Vec<&str> = [
        target.average_utilization.map(|_| "average_utilization"),
        target.average_value.as_ref().map(|_| "average_value"),
        target.value.as_ref().map(|_| "value"),
    ]
    .into_iter()
    .flatten()
    .collect();
    match set.len() {
        0 => {
            out.push(Violation::new(path.clone(), format!("a {metric_type} metric needs a target: set one of average_utilization, average_value or value.")));
            return;
        }
        1 => {}
        _ => {
            let what = if metric_type == "External" { "an External metric sets exactly one of value or average_value".to_string() } else { "a metric target sets exactly one of average_utilization, average_value or value".to_string() };
            out.push(Violation::new(path.clone().attr(set[1]), format!("{what}, but {} are set.", set.join(" and "))));
            return;
        }
    }
    let expected = match set[0] {
        "average_utilization" => "Utilization",
        "average_value" => "AverageValue",
        _ => "Value",
    };
    if target.type_ != expected {
        out.push(Violation::new(path.clone().attr(set[0]), format!("the target type is {:?}, which does not match {} (type {expected}).", target.type_, set[0])));
    }
    if let Some(utilization) = target.average_utilization {
        if !utilization_allowed {
            out.push(Violation::new(path.clone().attr("average_utilization"), format!("Utilization targets are only for Resource and ContainerResource metrics; a {metric_type} metric takes average_value or value.")));
        } else if utilization < 1 {
            out.push(Violation::new(path.clone().attr("average_utilization"), format!("average_utilization is {utilization}, but it must be greater than 0 (percent of the requests).")));
        }
    }
    if metric_type == "Pods" && target.value.is_some() {
        out.push(Violation::new(path.clone().attr("value"), "a Pods metric takes average_value (per pod), not value."));
    }
    if let Some(value) = &target.average_value {
        check_positive_quantity(value, path.clone().attr("average_value"), out);
    }
    if let Some(value) = &target.value {
        check_positive_quantity(value, path.clone().attr("value"), out);
    }
}

fn check_rules(rules: &ScalingRules, path: &AttributePath, out: &mut Vec<Violation>) {
    if let Some(window) = rules.stabilization_window_seconds
        && !(0..=MAX_STABILIZATION_WINDOW_SECONDS).contains(&window) {
            out.push(Violation::new(path.clone().attr("stabilization_window_seconds"), format!("stabilization_window_seconds is {window}, but it must be between 0 and {MAX_STABILIZATION_WINDOW_SECONDS}.")));
        }
    if let Some(select) = &rules.select_policy
        && !SELECT_POLICIES.contains(&select.as_str()) {
            out.push(Violation::new(path.clone().attr("select_policy"), format!("{select:?} is not a select policy: use Max, Min or Disabled.")));
        }
    if rules.policies.is_empty() {
        out.push(Violation::new(path.clone().attr("policy"), "a scaling rules block needs at least one policy."));
    }
    for (i, policy) in rules.policies.iter().enumerate() {
        let at = path.clone().attr("policy").index(i);
        if !POLICY_TYPES.contains(&policy.type_.as_str()) {
            out.push(Violation::new(at.clone().attr("type"), format!("{:?} is not a policy type: use Pods or Percent.", policy.type_)));
        }
        if policy.value < 1 {
            out.push(Violation::new(at.clone().attr("value"), format!("value is {}, but it must be greater than 0.", policy.value)));
        }
        if !(1..=MAX_PERIOD_SECONDS).contains(&policy.period_seconds) {
            out.push(Violation::new(at.attr("period_seconds"), format!("period_seconds is {}, but it must be between 1 and {MAX_PERIOD_SECONDS}.", policy.period_seconds)));
        }
    }
}

/// The names of the External metrics of an HPA, with their metric index.
pub fn external_metric_names(hpa: &HorizontalPodAutoscaler) -> Vec<(usize, &str)> {
    hpa.spec
        .metrics
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, m)| m.external.as_ref().filter(|_| m.type_ == "External").map(|e| (i, e.metric.name.as_str())))
        .collect()
}

/// Validates and renders an HPA.
///
/// # Errors
/// [`RenderError::Invalid`] when a rule is broken, a template error, or [`RenderError::Output`]
/// when a user template's output is not a valid HPA.
pub fn render(hpa: &HorizontalPodAutoscaler, overrides: &Overrides) -> Result<Rendered, RenderError> {
    let violations = validate(hpa);
    if !violations.is_empty() {
        return Err(RenderError::Invalid(violations));
    }
    render_unchecked(hpa, overrides)
}

/// Renders without checking the Kubernetes rules first (the property tests feed arbitrary
/// strings through the templates this way; user templates are still checked).
///
/// # Errors
/// Template errors, or [`RenderError::Output`] for a user template's invalid output.
pub fn render_unchecked(hpa: &HorizontalPodAutoscaler, overrides: &Overrides) -> Result<Rendered, RenderError> {
    let yaml = templates::render(TemplateName::Hpa, hpa, overrides)?;
    let json = if overrides.get(TemplateName::Hpa).is_none() {
        serde_json::to_string(hpa).map_err(|e| RenderError::Output { file: TemplateName::Hpa.file_name(), message: e.to_string() })?
    } else {
        let parsed = parse(&yaml).map_err(|message| RenderError::Output { file: TemplateName::Hpa.file_name(), message })?;
        let violations = validate(&parsed);
        if !violations.is_empty() {
            return Err(RenderError::Output { file: TemplateName::Hpa.file_name(), message: super::summary(&violations) });
        }
        let documents = super::parse_documents(&yaml).map_err(|message| RenderError::Output { file: TemplateName::Hpa.file_name(), message })?;
        documents.first().map(ToString::to_string).unwrap_or_default()
    };
    let sha256 = sha256_hex(&yaml);
    Ok(Rendered { yaml, json, sha256 })
}

/// Reads an HPA back from YAML (one document).
///
/// # Errors
/// A message when the text is not one HorizontalPodAutoscaler of autoscaling/v2.
pub fn parse(yaml: &str) -> Result<HorizontalPodAutoscaler, String> {
    let documents = super::parse_documents(yaml)?;
    let [document] = documents.as_slice() else {
        return Err(format!("expected one YAML document, found {}", documents.len()));
    };
    let hpa: HorizontalPodAutoscaler = serde_json::from_value(document.clone()).map_err(|e| format!("not a HorizontalPodAutoscaler: {e}"))?;
    if hpa.api_version != API_VERSION || hpa.kind != KIND {
        return Err(format!("expected {API_VERSION} {KIND}, found {} {}", hpa.api_version, hpa.kind));
    }
    Ok(hpa)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed's API HPA: 2–50 pods on CPU 70 % and memory 80 %.
    pub(crate) fn api_hpa() -> HorizontalPodAutoscaler {
        let resource = |name: &str, utilization: i64| MetricSpec {
            type_: "Resource".into(),
            resource: Some(ResourceSource { name: name.into(), container: None, target: MetricTarget { type_: "Utilization".into(), average_utilization: Some(utilization), ..MetricTarget::default() } }),
            ..MetricSpec::default()
        };
        HorizontalPodAutoscaler {
            api_version: API_VERSION.into(),
            kind: KIND.into(),
            metadata: ObjectMeta { name: "api".into(), namespace: Some("production".into()), labels: Some(BTreeMap::from([("app".into(), "api".into())])), annotations: None },
            spec: HpaSpec {
                scale_target_ref: ObjectReference { api_version: Some("apps/v1".into()), kind: "Deployment".into(), name: "api".into() },
                min_replicas: Some(2),
                max_replicas: 50,
                metrics: Some(vec![resource("cpu", 70), resource("memory", 80)]),
                behavior: Some(Behavior {
                    scale_up: Some(ScalingRules {
                        stabilization_window_seconds: Some(0),
                        select_policy: Some("Max".into()),
                        policies: vec![
                            ScalingPolicy { type_: "Percent".into(), value: 100, period_seconds: 15 },
                            ScalingPolicy { type_: "Pods".into(), value: 4, period_seconds: 15 },
                        ],
                    }),
                    scale_down: Some(ScalingRules { stabilization_window_seconds: Some(300), select_policy: None, policies: vec![ScalingPolicy { type_: "Percent".into(), value: 50, period_seconds: 15 }] }),
                }),
            },
        }
    }

    #[test]
    fn renders_and_parses_back() {
        let hpa = api_hpa();
        let rendered = render(&hpa, &Overrides::none()).unwrap_or_else(|e| panic!("{e}"));
        println!("{}", rendered.yaml);
        assert_eq!(parse(&rendered.yaml).unwrap_or_else(|e| panic!("{e}\n{}", rendered.yaml)), hpa);
    }

    /// An empty behavior is printed as `behavior: {}`, not left out (Kubernetes defaults both
    /// directions' rules into a present behavior only), and reads back as itself.
    #[test]
    fn empty_behavior_is_kept() {
        let mut hpa = api_hpa();
        hpa.spec.behavior = Some(Behavior::default());
        let rendered = render(&hpa, &Overrides::none()).unwrap_or_else(|e| panic!("{e}"));
        assert!(rendered.yaml.ends_with("\n  behavior: {}\n"), "{}", rendered.yaml);
        assert!(rendered.json.ends_with(r#""behavior":{}}}"#), "{}", rendered.json);
        assert_eq!(parse(&rendered.yaml).unwrap_or_else(|e| panic!("{e}")), hpa);
        hpa.spec.behavior = Some(Behavior { scale_up: None, ..api_hpa().spec.behavior.unwrap_or_default() });
        let rendered = render(&hpa, &Overrides::none()).unwrap_or_else(|e| panic!("{e}"));
        assert!(rendered.yaml.contains("\n  behavior:\n    scaleDown:\n"), "{}", rendered.yaml);
        assert_eq!(parse(&rendered.yaml).unwrap_or_else(|e| panic!("{e}")), hpa);
    }

    use super::super::yaml_scalar::strategies::{map, text};
    use proptest::prelude::*;

    fn target() -> impl Strategy<Value = MetricTarget> {
        (text(), proptest::option::of(text()), proptest::option::of(text()), proptest::option::of(any::<i64>()))
            .prop_map(|(type_, value, average_value, average_utilization)| MetricTarget { type_, value, average_value, average_utilization })
    }

    fn reference() -> impl Strategy<Value = ObjectReference> {
        (proptest::option::of(text()), text(), text()).prop_map(|(api_version, kind, name)| ObjectReference { api_version, kind, name })
    }

    fn metric() -> impl Strategy<Value = MetricSpec> {
        let source = (proptest::option::of(reference()), text(), map(), target()).prop_map(|(described_object, name, labels, target)| MetricSource {
            described_object,
            metric: MetricIdentifier { name, selector: labels.map(|l| LabelSelector { match_labels: Some(l) }) },
            target,
        });
        let resource = (text(), proptest::option::of(text()), target()).prop_map(|(name, container, target)| ResourceSource { name, container, target });
        (text(), 0..5usize, resource, source).prop_map(|(type_, which, resource, source)| {
            let mut m = MetricSpec { type_, ..MetricSpec::default() };
            match which {
                0 => m.resource = Some(ResourceSource { container: None, ..resource }),
                1 => m.container_resource = Some(resource),
                2 => m.pods = Some(source),
                3 => m.object = Some(source),
                _ => m.external = Some(source),
            }
            m
        })
    }

    fn rules() -> impl Strategy<Value = ScalingRules> {
        let policy = (text(), any::<i64>(), any::<i64>()).prop_map(|(type_, value, period_seconds)| ScalingPolicy { type_, value, period_seconds });
        (proptest::option::of(any::<i64>()), proptest::option::of(text()), proptest::collection::vec(policy, 1..3))
            .prop_map(|(stabilization_window_seconds, select_policy, policies)| ScalingRules { stabilization_window_seconds, select_policy, policies })
    }

    fn any_hpa() -> impl Strategy<Value = HorizontalPodAutoscaler> {
        // Both directions may be absent: `behavior: {}` is a behavior of its own.
        let behavior = (proptest::option::of(rules()), proptest::option::of(rules())).prop_map(|(scale_up, scale_down)| Behavior { scale_up, scale_down });
        (
            (text(), proptest::option::of(text()), map(), map()),
            reference(),
            proptest::option::of(any::<i64>()),
            any::<i64>(),
            proptest::option::of(proptest::collection::vec(metric(), 1..4)),
            proptest::option::of(behavior),
        )
            .prop_map(|((name, namespace, labels, annotations), scale_target_ref, min_replicas, max_replicas, metrics, behavior)| HorizontalPodAutoscaler {
                api_version: API_VERSION.into(),
                kind: KIND.into(),
                metadata: ObjectMeta { name, namespace, labels, annotations },
                spec: HpaSpec { scale_target_ref, min_replicas, max_replicas, metrics, behavior },
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Output safety: whatever the strings, the YAML parses and gives back exactly the input,
        /// and the JSON output says the same.
        #[test]
        fn any_input_round_trips(hpa in any_hpa()) {
            let rendered = render_unchecked(&hpa, &Overrides::none()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let parsed = parse(&rendered.yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{}", rendered.yaml)))?;
            prop_assert_eq!(&parsed, &hpa, "{}", rendered.yaml);
            let from_json: HorizontalPodAutoscaler = serde_json::from_str(&rendered.json).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(from_json, hpa);
        }
    }

    #[test]
    fn rules_are_reported_at_attribute_paths() {
        let mut hpa = api_hpa();
        hpa.spec.min_replicas = Some(0);
        hpa.spec.max_replicas = 0;
        if let Some(b) = hpa.spec.behavior.as_mut() {
            if let Some(up) = b.scale_up.as_mut() {
                up.stabilization_window_seconds = Some(3601);
                up.select_policy = Some("Largest".into());
                up.policies[0].period_seconds = 1801;
                up.policies[1].value = 0;
                up.policies[1].type_ = "Nodes".into();
            }
            if let Some(down) = b.scale_down.as_mut() {
                down.policies.clear();
            }
        }
        if let Some(metrics) = hpa.spec.metrics.as_mut() {
            metrics.push(MetricSpec {
                type_: "External".into(),
                external: Some(MetricSource {
                    described_object: None,
                    metric: MetricIdentifier { name: "q".into(), selector: None },
                    target: MetricTarget { type_: "Utilization".into(), value: Some("1".into()), average_value: Some("2".into()), average_utilization: Some(50) },
                }),
                ..MetricSpec::default()
            });
            metrics.push(MetricSpec {
                type_: "Pods".into(),
                pods: Some(MetricSource { described_object: None, metric: MetricIdentifier { name: "rps".into(), selector: None }, target: MetricTarget { type_: "Utilization".into(), average_utilization: Some(50), ..MetricTarget::default() } }),
                ..MetricSpec::default()
            });
        }
        hpa.metadata.name = "API".into();
        let paths: Vec<String> = validate(&hpa).iter().map(|v| v.path.to_string()).collect();
        assert_eq!(
            paths,
            vec![
                "name",
                "min_replicas",
                "max_replicas",
                "metric[2].average_value",
                "metric[3].average_utilization",
                "behavior.scale_up.stabilization_window_seconds",
                "behavior.scale_up.select_policy",
                "behavior.scale_up.policy[0].period_seconds",
                "behavior.scale_up.policy[1].type",
                "behavior.scale_up.policy[1].value",
                "behavior.scale_down.policy",
            ]
        );
        hpa = api_hpa();
        hpa.spec.min_replicas = Some(10);
        hpa.spec.max_replicas = 5;
        assert_eq!(validate(&hpa).iter().map(|v| v.path.to_string()).collect::<Vec<_>>(), vec!["max_replicas"]);
    }

    #[test]
    fn user_templates_are_checked() {
        let mut overrides = Overrides::none();
        overrides.insert(TemplateName::Hpa, "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {{yaml metadata.name}}\nspec:\n  scaleTargetRef: {kind: Deployment, name: x}\n  maxReplicas: 0\n".into());
        let err = render(&api_hpa(), &overrides).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("max_replicas"), "{err}");
        overrides.insert(TemplateName::Hpa, "{{#if}}".into());
        assert!(matches!(render(&api_hpa(), &overrides), Err(RenderError::Template(_))));
        overrides.insert(TemplateName::Hpa, "custom: {{yaml metadata.name}}\n".into());
        assert!(matches!(render(&api_hpa(), &overrides), Err(RenderError::Output { .. })));
    }
}

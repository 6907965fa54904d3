//! The HorizontalPodAutoscaler as the simulator sees it: replica bounds, metrics and behavior,
//! read from autoscaling/v2 YAML (v2beta2 and v1 too) or built in code, checked with the API
//! server's validation rules and completed with its defaults.
//!
//! Defaults follow the API server, not the documentation's prose: `minReplicas` 1, metrics
//! `[cpu Utilization 80]`, and when `behavior` is present each missing field of `scaleUp`
//! (window 0, selectPolicy Max, policies Pods 4/15 s + Percent 100/15 s) and `scaleDown`
//! (window = the controller's `--horizontal-pod-autoscaler-downscale-stabilization`, selectPolicy
//! Max, policies Percent 100/15 s) is filled one by one. Without `behavior` the controller runs
//! its legacy path (scale-up capped at max(2 × current, 4) per sync); that is why `behavior` stays
//! an `Option` here instead of being defaulted away.

use std::fmt;

use serde::Deserialize;

/// An HPA's scaling spec, validated, with the API server's defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Hpa {
    /// `spec.minReplicas` (default 1).
    pub min_replicas: u32,
    /// `spec.maxReplicas`.
    pub max_replicas: u32,
    /// `spec.metrics`; never empty once defaulted.
    pub metrics: Vec<Metric>,
    /// `spec.behavior`; `None` selects the controller's legacy rate limit.
    pub behavior: Option<Behavior>,
}

/// One entry of `spec.metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub source: MetricSource,
    pub target: MetricTarget,
}

/// Where a metric comes from; the name is the resource or metric name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricSource {
    /// A resource of the pods (`cpu`, `memory`).
    Resource(String),
    /// A resource of one container of the pods.
    ContainerResource(String),
    /// A custom per-pod metric.
    Pods(String),
    /// A metric of another Kubernetes object.
    Object(String),
    /// A metric from outside the cluster, e.g. a queue's depth.
    External(String),
}

impl MetricSource {
    /// The resource or metric name.
    pub fn name(&self) -> &str {
        match self {
            Self::Resource(n) | Self::ContainerResource(n) | Self::Pods(n) | Self::Object(n) | Self::External(n) => n,
        }
    }

    /// The `type` the API uses for this source.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Resource(_) => "Resource",
            Self::ContainerResource(_) => "ContainerResource",
            Self::Pods(_) => "Pods",
            Self::Object(_) => "Object",
            Self::External(_) => "External",
        }
    }

    /// Whether the metric is measured on each pod (and so spreads over the ready pods).
    pub fn per_pod(&self) -> bool {
        matches!(self, Self::Resource(_) | Self::ContainerResource(_) | Self::Pods(_))
    }
}

/// A metric's target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricTarget {
    /// `averageUtilization`: percent of the pods' requests.
    Utilization(f64),
    /// `averageValue`: the value per pod.
    AverageValue(f64),
    /// `value`: the metric's total value.
    Value(f64),
}

/// `spec.behavior` after defaulting.
#[derive(Debug, Clone, PartialEq)]
pub struct Behavior {
    pub scale_up: ScalingRules,
    pub scale_down: ScalingRules,
}

/// One direction's rules.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingRules {
    /// `stabilizationWindowSeconds`; `None` for scale-down means the controller's flag.
    pub stabilization_window_seconds: Option<u32>,
    pub select_policy: SelectPolicy,
    pub policies: Vec<ScalingPolicy>,
}

/// `selectPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectPolicy {
    /// The policy allowing the largest change.
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// One rate-limit policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScalingPolicy {
    pub kind: PolicyKind,
    /// Pods, or percent of the replicas at the start of the period.
    pub value: u32,
    pub period_seconds: u32,
}

/// A policy's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    Pods,
    Percent,
}

impl ScalingRules {
    /// The scale-up rules the API server fills in for missing fields.
    pub fn default_scale_up() -> Self {
        Self {
            stabilization_window_seconds: Some(0),
            select_policy: SelectPolicy::Max,
            policies: vec![
                ScalingPolicy { kind: PolicyKind::Pods, value: 4, period_seconds: 15 },
                ScalingPolicy { kind: PolicyKind::Percent, value: 100, period_seconds: 15 },
            ],
        }
    }

    /// The scale-down rules the API server fills in; the window is left to the controller's flag.
    pub fn default_scale_down() -> Self {
        Self {
            stabilization_window_seconds: None,
            select_policy: SelectPolicy::Max,
            policies: vec![ScalingPolicy { kind: PolicyKind::Percent, value: 100, period_seconds: 15 }],
        }
    }
}

impl Behavior {
    /// The behavior of an HPA that sets `behavior: {}`: every default.
    pub fn defaults() -> Self {
        Self { scale_up: ScalingRules::default_scale_up(), scale_down: ScalingRules::default_scale_down() }
    }
}

/// A problem with an HPA, located by its field path in the Kubernetes object
/// (`spec.behavior.scaleUp.policies[0].value`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct HpaError {
    pub path: FieldPath,
    pub message: String,
}

/// A path into the Kubernetes object, in the API's own field names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<FieldStep>);

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldStep {
    Field(&'static str),
    Index(usize),
}

impl FieldPath {
    pub fn field(mut self, name: &'static str) -> Self {
        self.0.push(FieldStep::Field(name));
        self
    }

    pub fn index(mut self, i: usize) -> Self {
        self.0.push(FieldStep::Index(i));
        self
    }

    fn spec() -> Self {
        Self::default().field("spec")
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                FieldStep::Field(name) if i == 0 => write!(f, "{name}")?,
                FieldStep::Field(name) => write!(f, ".{name}")?,
                FieldStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

fn error(path: FieldPath, message: impl Into<String>) -> HpaError {
    HpaError { path, message: message.into() }
}

impl Hpa {
    /// Checks the rules the API server enforces, so that a simulated HPA is one Kubernetes would
    /// accept. Every problem is reported, not only the first.
    pub fn validate(&self) -> Vec<HpaError> {
        let mut errors = Vec::new();
        let spec = FieldPath::spec();
        if self.min_replicas < 1 {
            // Zero needs the HPAScaleToZero feature gate and an Object or External metric.
            let scale_to_zero_possible = self.metrics.iter().any(|m| matches!(m.source, MetricSource::Object(_) | MetricSource::External(_)));
            if !scale_to_zero_possible {
                errors.push(error(spec.clone().field("minReplicas"), "must be at least 1 (0 only with an Object or External metric and the HPAScaleToZero feature gate)"));
            }
        }
        if self.max_replicas < 1 {
            errors.push(error(spec.clone().field("maxReplicas"), "must be at least 1"));
        } else if self.max_replicas < self.min_replicas {
            errors.push(error(
                spec.clone().field("maxReplicas"),
                format!("is {} but must be greater than or equal to minReplicas ({})", self.max_replicas, self.min_replicas),
            ));
        }
        for (i, metric) in self.metrics.iter().enumerate() {
            let path = spec.clone().field("metrics").index(i);
            if metric.source.name().is_empty() {
                errors.push(error(path.clone().field("name"), "must not be empty"));
            }
            let (value, what) = match metric.target {
                MetricTarget::Utilization(v) => {
                    if !matches!(metric.source, MetricSource::Resource(_) | MetricSource::ContainerResource(_)) {
                        errors.push(error(path.clone().field("target"), "averageUtilization is only for Resource and ContainerResource metrics"));
                    }
                    (v, "averageUtilization")
                }
                MetricTarget::AverageValue(v) => (v, "averageValue"),
                MetricTarget::Value(v) => {
                    if metric.source.per_pod() {
                        errors.push(error(path.clone().field("target"), format!("value targets are only for Object and External metrics, not {}", metric.source.kind())));
                    }
                    (v, "value")
                }
            };
            if !(value.is_finite() && value > 0.0) {
                errors.push(error(path.field("target").field(what), format!("is {value} but must be greater than 0")));
            }
        }
        if let Some(behavior) = &self.behavior {
            let path = spec.field("behavior");
            validate_rules(&behavior.scale_up, path.clone().field("scaleUp"), &mut errors);
            validate_rules(&behavior.scale_down, path.field("scaleDown"), &mut errors);
        }
        errors
    }

    /// Reads the HPA from Kubernetes YAML: one document, or a stream of documents of which exactly
    /// one is a HorizontalPodAutoscaler. Accepts autoscaling/v2, v2beta2 and v1.
    ///
    /// # Errors
    /// When the YAML does not parse, holds no HPA or several, uses a field this version of the
    /// API does not have, or breaks the API server's validation.
    pub fn from_yaml(text: &str) -> Result<Self, Vec<HpaError>> {
        let fail = |message: String| vec![error(FieldPath::default(), message)];
        let mut heads = Vec::new();
        for document in serde_norway::Deserializer::from_str(text) {
            let head = DocumentHead::deserialize(document).map_err(|e| fail(format!("the YAML does not parse: {e}")))?;
            heads.push(head);
        }
        let hpas: Vec<usize> = heads.iter().enumerate().filter(|(_, h)| h.kind.as_deref() == Some("HorizontalPodAutoscaler")).map(|(i, _)| i).collect();
        let index = match hpas.as_slice() {
            [one] => *one,
            [] if heads.len() == 1 && heads[0].kind.is_none() => {
                return Err(fail("the YAML has no `kind`: expected a HorizontalPodAutoscaler object".into()));
            }
            [] => return Err(fail(format!("the YAML holds no HorizontalPodAutoscaler (found {})", kinds(&heads)))),
            _ => return Err(fail(format!("the YAML holds {} HorizontalPodAutoscalers; give exactly one", hpas.len()))),
        };
        let api_version = heads[index].api_version.clone().unwrap_or_default();
        let Some(document) = serde_norway::Deserializer::from_str(text).nth(index) else {
            return Err(fail("the YAML changed while it was read".into()));
        };
        let hpa = match api_version.as_str() {
            "autoscaling/v2" | "autoscaling/v2beta2" => {
                let object = DocumentV2::deserialize(document).map_err(|e| fail(format!("the HPA does not match {api_version}: {e}")))?;
                object.spec.into_hpa()?
            }
            "autoscaling/v1" => {
                let object = DocumentV1::deserialize(document).map_err(|e| fail(format!("the HPA does not match autoscaling/v1: {e}")))?;
                object.spec.into_hpa()
            }
            other => {
                return Err(vec![error(
                    FieldPath::default().field("apiVersion"),
                    format!("is {other:?}; expected \"autoscaling/v2\" (v2beta2 and v1 are read too)"),
                )]);
            }
        };
        let errors = hpa.validate();
        if errors.is_empty() { Ok(hpa) } else { Err(errors) }
    }
}

fn validate_rules(rules: &ScalingRules, path: FieldPath, errors: &mut Vec<HpaError>) {
    if let Some(window) = rules.stabilization_window_seconds
        && window > 3600
    {
        errors.push(error(path.clone().field("stabilizationWindowSeconds"), format!("is {window} but must be between 0 and 3600")));
    }
    if rules.policies.is_empty() {
        errors.push(error(path.clone().field("policies"), "must hold at least one policy"));
    }
    for (i, policy) in rules.policies.iter().enumerate() {
        let at = path.clone().field("policies").index(i);
        if policy.value == 0 {
            errors.push(error(at.clone().field("value"), "must be greater than 0"));
        }
        if !(1..=1800).contains(&policy.period_seconds) {
            errors.push(error(at.field("periodSeconds"), format!("is {} but must be between 1 and 1800", policy.period_seconds)));
        }
    }
}

fn kinds(heads: &[DocumentHead]) -> String {
    let names: Vec<&str> = heads.iter().map(|h| h.kind.as_deref().unwrap_or("a document without kind")).collect();
    if names.is_empty() { "no documents".into() } else { names.join(", ") }
}

/// Reads a Kubernetes quantity (`100`, `500m`, `1.5k`, `2Gi`, `1e3`) as a number.
pub fn parse_quantity(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E').unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    // An exponent is part of the number only when digits follow it ("1e3"); "1E" alone is exa.
    let (number, suffix) = match number.char_indices().find(|(_, c)| *c == 'e' || *c == 'E') {
        Some((i, _)) if number[i + 1..].is_empty() => (&number[..i], &text[i..]),
        _ => (number, suffix),
    };
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => return None,
    };
    let value: f64 = number.parse().ok()?;
    value.is_finite().then_some(value * factor)
}

// ---------------------------------------------------------------------------------------------
// The YAML shape (only what scaling needs; unknown fields inside spec are errors, so that a typo
// such as `stabilizationWindow` is not silently ignored).
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DocumentHead {
    api_version: Option<String>,
    kind: Option<String>,
}

#[derive(Deserialize)]
struct DocumentV2 {
    spec: SpecV2,
}

#[derive(Deserialize)]
struct DocumentV1 {
    spec: SpecV1,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SpecV1 {
    #[allow(dead_code)]
    scale_target_ref: Option<serde_norway::Value>,
    min_replicas: Option<u32>,
    max_replicas: u32,
    #[serde(rename = "targetCPUUtilizationPercentage")]
    target_cpu_utilization_percentage: Option<u32>,
}

impl SpecV1 {
    fn into_hpa(self) -> Hpa {
        let target = f64::from(self.target_cpu_utilization_percentage.unwrap_or(80));
        Hpa {
            min_replicas: self.min_replicas.unwrap_or(1),
            max_replicas: self.max_replicas,
            metrics: vec![Metric { source: MetricSource::Resource("cpu".into()), target: MetricTarget::Utilization(target) }],
            behavior: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SpecV2 {
    #[allow(dead_code)]
    scale_target_ref: Option<serde_norway::Value>,
    min_replicas: Option<u32>,
    max_replicas: u32,
    #[serde(default)]
    metrics: Vec<MetricYaml>,
    behavior: Option<BehaviorYaml>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MetricYaml {
    #[serde(rename = "type")]
    kind: String,
    resource: Option<ResourceSourceYaml>,
    container_resource: Option<ResourceSourceYaml>,
    pods: Option<MetricSourceYaml>,
    object: Option<MetricSourceYaml>,
    external: Option<MetricSourceYaml>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResourceSourceYaml {
    name: String,
    #[allow(dead_code)]
    container: Option<String>,
    target: TargetYaml,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MetricSourceYaml {
    metric: MetricIdentifierYaml,
    #[allow(dead_code)]
    described_object: Option<serde_norway::Value>,
    target: TargetYaml,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricIdentifierYaml {
    name: String,
    #[allow(dead_code)]
    selector: Option<serde_norway::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TargetYaml {
    #[serde(rename = "type")]
    kind: String,
    average_utilization: Option<f64>,
    average_value: Option<QuantityYaml>,
    value: Option<QuantityYaml>,
}

/// A quantity as YAML gives it: a number or a string such as `500m`.
#[derive(Deserialize)]
#[serde(untagged)]
enum QuantityYaml {
    Number(f64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BehaviorYaml {
    scale_up: Option<RulesYaml>,
    scale_down: Option<RulesYaml>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RulesYaml {
    stabilization_window_seconds: Option<u32>,
    select_policy: Option<String>,
    policies: Option<Vec<PolicyYaml>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PolicyYaml {
    #[serde(rename = "type")]
    kind: String,
    value: u32,
    period_seconds: u32,
}

impl SpecV2 {
    fn into_hpa(self) -> Result<Hpa, Vec<HpaError>> {
        let spec = FieldPath::spec();
        let mut errors = Vec::new();
        let mut metrics = Vec::new();
        for (i, metric) in self.metrics.into_iter().enumerate() {
            match metric.into_metric(spec.clone().field("metrics").index(i)) {
                Ok(m) => metrics.push(m),
                Err(e) => errors.push(e),
            }
        }
        if metrics.is_empty() && errors.is_empty() {
            metrics.push(Metric { source: MetricSource::Resource("cpu".into()), target: MetricTarget::Utilization(80.0) });
        }
        let behavior = self.behavior.map(|b| {
            let path = spec.clone().field("behavior");
            let scale_up = rules(b.scale_up, ScalingRules::default_scale_up(), path.clone().field("scaleUp"), &mut errors);
            let scale_down = rules(b.scale_down, ScalingRules::default_scale_down(), path.field("scaleDown"), &mut errors);
            Behavior { scale_up, scale_down }
        });
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Hpa { min_replicas: self.min_replicas.unwrap_or(1), max_replicas: self.max_replicas, metrics, behavior })
    }
}

impl MetricYaml {
    fn into_metric(self, path: FieldPath) -> Result<Metric, HpaError> {
        let missing = |field: &'static str| error(path.clone().field(field), format!("must be set for a metric of type {}", self.kind));
        let (source, target, field) = match self.kind.as_str() {
            "Resource" => {
                let r = self.resource.as_ref().ok_or_else(|| missing("resource"))?;
                (MetricSource::Resource(r.name.clone()), &r.target, "resource")
            }
            "ContainerResource" => {
                let r = self.container_resource.as_ref().ok_or_else(|| missing("containerResource"))?;
                (MetricSource::ContainerResource(r.name.clone()), &r.target, "containerResource")
            }
            "Pods" => {
                let m = self.pods.as_ref().ok_or_else(|| missing("pods"))?;
                (MetricSource::Pods(m.metric.name.clone()), &m.target, "pods")
            }
            "Object" => {
                let m = self.object.as_ref().ok_or_else(|| missing("object"))?;
                (MetricSource::Object(m.metric.name.clone()), &m.target, "object")
            }
            "External" => {
                let m = self.external.as_ref().ok_or_else(|| missing("external"))?;
                (MetricSource::External(m.metric.name.clone()), &m.target, "external")
            }
            other => {
                return Err(error(path.field("type"), format!("is {other:?}; expected Resource, ContainerResource, Pods, Object or External")));
            }
        };
        let target = target.to_target(path.field(field).field("target"))?;
        Ok(Metric { source, target })
    }
}

impl TargetYaml {
    fn to_target(&self, path: FieldPath) -> Result<MetricTarget, HpaError> {
        let quantity = |q: &Option<QuantityYaml>, field: &'static str| -> Result<f64, HpaError> {
            match q {
                None => Err(error(path.clone().field(field), format!("must be set for a target of type {}", self.kind))),
                Some(QuantityYaml::Number(n)) => Ok(*n),
                Some(QuantityYaml::Text(t)) => {
                    parse_quantity(t).ok_or_else(|| error(path.clone().field(field), format!("{t:?} is not a Kubernetes quantity (such as 100, 500m or 2k)")))
                }
            }
        };
        let set = [self.average_utilization.is_some(), self.average_value.is_some(), self.value.is_some()].iter().filter(|s| **s).count();
        if set > 1 {
            return Err(error(path, "must set exactly one of averageUtilization, averageValue and value"));
        }
        match self.kind.as_str() {
            "Utilization" => self
                .average_utilization
                .map(MetricTarget::Utilization)
                .ok_or_else(|| error(path.clone().field("averageUtilization"), "must be set for a target of type Utilization")),
            "AverageValue" => quantity(&self.average_value, "averageValue").map(MetricTarget::AverageValue),
            "Value" => quantity(&self.value, "value").map(MetricTarget::Value),
            other => Err(error(path.field("type"), format!("is {other:?}; expected Utilization, AverageValue or Value"))),
        }
    }
}

fn rules(given: Option<RulesYaml>, mut defaults: ScalingRules, path: FieldPath, errors: &mut Vec<HpaError>) -> ScalingRules {
    let Some(given) = given else { return defaults };
    if let Some(window) = given.stabilization_window_seconds {
        defaults.stabilization_window_seconds = Some(window);
    }
    if let Some(select) = given.select_policy {
        match select.as_str() {
            "Max" => defaults.select_policy = SelectPolicy::Max,
            "Min" => defaults.select_policy = SelectPolicy::Min,
            "Disabled" => defaults.select_policy = SelectPolicy::Disabled,
            other => errors.push(error(path.clone().field("selectPolicy"), format!("is {other:?}; expected Max, Min or Disabled"))),
        }
    }
    if let Some(policies) = given.policies {
        defaults.policies = Vec::new();
        for (i, policy) in policies.into_iter().enumerate() {
            let kind = match policy.kind.as_str() {
                "Pods" => PolicyKind::Pods,
                "Percent" => PolicyKind::Percent,
                other => {
                    errors.push(error(path.clone().field("policies").index(i).field("type"), format!("is {other:?}; expected Pods or Percent")));
                    continue;
                }
            };
            defaults.policies.push(ScalingPolicy { kind, value: policy.value, period_seconds: policy.period_seconds });
        }
    }
    defaults
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const API_HPA: &str = r#"
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: api
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 2
  maxReplicas: 50
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
    - type: External
      external:
        metric: {name: celery_queue_depth, selector: {matchLabels: {queue: celery}}}
        target: {type: AverageValue, averageValue: "100"}
  behavior:
    scaleUp:
      policies:
        - {type: Percent, value: 200, periodSeconds: 30}
    scaleDown:
      stabilizationWindowSeconds: 600
"#;

    #[test]
    fn reads_v2_and_fills_partial_behavior_with_defaults() {
        let hpa = Hpa::from_yaml(API_HPA).unwrap();
        assert_eq!((hpa.min_replicas, hpa.max_replicas), (2, 50));
        assert_eq!(hpa.metrics[0], Metric { source: MetricSource::Resource("cpu".into()), target: MetricTarget::Utilization(70.0) });
        assert_eq!(hpa.metrics[1], Metric { source: MetricSource::External("celery_queue_depth".into()), target: MetricTarget::AverageValue(100.0) });
        let behavior = hpa.behavior.unwrap();
        // scaleUp: given policies, defaulted window and selectPolicy.
        assert_eq!(behavior.scale_up.stabilization_window_seconds, Some(0));
        assert_eq!(behavior.scale_up.select_policy, SelectPolicy::Max);
        assert_eq!(behavior.scale_up.policies, vec![ScalingPolicy { kind: PolicyKind::Percent, value: 200, period_seconds: 30 }]);
        // scaleDown: given window, defaulted policies.
        assert_eq!(behavior.scale_down.stabilization_window_seconds, Some(600));
        assert_eq!(behavior.scale_down.policies, ScalingRules::default_scale_down().policies);
    }

    #[test]
    fn without_behavior_or_metrics_the_api_defaults_apply() {
        let hpa = Hpa::from_yaml("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  maxReplicas: 5\n").unwrap();
        assert_eq!(hpa.min_replicas, 1);
        assert_eq!(hpa.metrics, vec![Metric { source: MetricSource::Resource("cpu".into()), target: MetricTarget::Utilization(80.0) }]);
        assert_eq!(hpa.behavior, None);
        let hpa = Hpa::from_yaml("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  maxReplicas: 5\n  behavior: {}\n").unwrap();
        assert_eq!(hpa.behavior, Some(Behavior::defaults()));
    }

    #[test]
    fn reads_v1_and_picks_the_hpa_from_a_stream() {
        let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\n---\napiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nspec:\n  minReplicas: 2\n  maxReplicas: 9\n  targetCPUUtilizationPercentage: 60\n";
        let hpa = Hpa::from_yaml(yaml).unwrap();
        assert_eq!((hpa.min_replicas, hpa.max_replicas), (2, 9));
        assert_eq!(hpa.metrics[0].target, MetricTarget::Utilization(60.0));
    }

    #[test]
    fn max_below_min_is_reported_at_max_replicas() {
        let errors = Hpa::from_yaml("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  minReplicas: 5\n  maxReplicas: 3\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path.to_string(), "spec.maxReplicas");
        assert!(errors[0].message.contains("minReplicas (5)"), "{}", errors[0]);
    }

    #[test]
    fn out_of_range_policies_and_typos_are_errors() {
        let yaml = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  maxReplicas: 3\n  behavior:\n    scaleUp:\n      stabilizationWindowSeconds: 4000\n      policies: [{type: Pods, value: 0, periodSeconds: 2000}]\n";
        let errors: Vec<String> = Hpa::from_yaml(yaml).unwrap_err().iter().map(ToString::to_string).collect();
        assert!(errors.iter().any(|e| e.starts_with("spec.behavior.scaleUp.stabilizationWindowSeconds")), "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("spec.behavior.scaleUp.policies[0].value")), "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("spec.behavior.scaleUp.policies[0].periodSeconds")), "{errors:?}");

        let typo = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  maxReplicas: 3\n  behavior:\n    scaleUp:\n      stabilizationWindow: 40\n";
        let errors = Hpa::from_yaml(typo).unwrap_err();
        assert!(errors[0].message.contains("stabilizationWindow"), "{}", errors[0]);
        let empty = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  maxReplicas: 3\n  behavior:\n    scaleDown:\n      policies: []\n";
        assert_eq!(Hpa::from_yaml(empty).unwrap_err()[0].path.to_string(), "spec.behavior.scaleDown.policies");
    }

    #[test]
    fn yaml_that_is_no_hpa_says_what_it_found() {
        let errors = Hpa::from_yaml("apiVersion: apps/v1\nkind: Deployment\n").unwrap_err();
        assert!(errors[0].message.contains("no HorizontalPodAutoscaler (found Deployment)"), "{}", errors[0]);
        let errors = Hpa::from_yaml("spec: [unclosed").unwrap_err();
        assert!(errors[0].message.contains("does not parse"), "{}", errors[0]);
        let errors = Hpa::from_yaml("apiVersion: autoscaling/v3\nkind: HorizontalPodAutoscaler\nspec: {maxReplicas: 2}\n").unwrap_err();
        assert_eq!(errors[0].path.to_string(), "apiVersion");
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("100"), Some(100.0));
        assert_eq!(parse_quantity("500m"), Some(0.5));
        assert_eq!(parse_quantity("1.5k"), Some(1500.0));
        assert_eq!(parse_quantity("2Ki"), Some(2048.0));
        assert_eq!(parse_quantity("1e3"), Some(1000.0));
        assert_eq!(parse_quantity("1E"), Some(1e18));
        assert_eq!(parse_quantity("ten"), None);
        assert_eq!(parse_quantity("5x"), None);
    }
}

//! The `behavior` block (autoscaling/v2 `HorizontalPodAutoscalerBehavior`) shared by the
//! resources that render one: `autoscale_hpa_manifest` puts it in the HPA's `spec.behavior`,
//! `autoscale_keda_scaled_object_manifest` in `advanced.horizontalPodAutoscalerConfig.behavior`,
//! which KEDA copies into the HPA it generates. One schema, one model, one expand and one
//! flatten, so the two resources cannot drift apart; the rules are `render::hpa::check_behavior`.
//!
//! The same goes for the `target` block (`scaleTargetRef`): both name the workload alike.

use serde::Deserialize;
use tfplugin::schema::{Attribute, Block, NestedBlock};
use tfplugin::{Value, validate};

use crate::render::hpa::{self, Behavior, ObjectReference, ScalingPolicy, ScalingRules};

/// The `behavior` block, described for the object whose HPA it shapes.
pub fn block() -> NestedBlock {
    NestedBlock::single(
        "behavior",
        Block::new(
            "Scaling speed limits. Without it Kubernetes may at most double (or add 4 pods) per step. An empty block (`behavior {}`) is \
             rendered as `behavior: {}`: Kubernetes then applies the default rules of both directions below, counted per 15 s period.",
        )
        .block(rules_block("scale_up", "Kubernetes' defaults: window 0, `Max` of 4 pods or 100 % per 15 s."))
        .block(rules_block("scale_down", "Kubernetes' defaults: window 300 s, 100 % per 15 s.")),
    )
}

fn rules_block(direction: &str, defaults: &str) -> NestedBlock {
    NestedBlock::single(
        direction,
        Block::new(format!("Scaling rules when scaling {}. {defaults}", if direction == "scale_up" { "up" } else { "down" }))
            .attribute(
                Attribute::int("stabilization_window_seconds")
                    .optional()
                    .validator(validate::int_between(0, hpa::MAX_STABILIZATION_WINDOW_SECONDS))
                    .description("Seconds of past recommendations considered: scaling up takes the lowest of the window, scaling down the highest."),
            )
            .attribute(
                Attribute::string("select_policy")
                    .optional()
                    .validator(validate::one_of(hpa::SELECT_POLICIES))
                    .description("`Max` takes the policy allowing the largest change, `Min` the smallest, `Disabled` turns scaling in this direction off. Kubernetes' default is `Max`."),
            )
            .block(
                NestedBlock::list(
                    "policy",
                    Block::new("A limit on the change per period. Policies are limits, not targets: the metric decides how far to scale, the policies how fast.")
                        .attribute(Attribute::string("type").required().validator(validate::one_of(hpa::POLICY_TYPES)).description("`Pods` (a number of pods) or `Percent` (of the current replicas)."))
                        .attribute(Attribute::int("value").required().validator(validate::int_at_least(1)).description("How many pods, or what percentage, may change per period."))
                        .attribute(
                            Attribute::int("period_seconds")
                                .required()
                                .validator(validate::int_between(1, hpa::MAX_PERIOD_SECONDS))
                                .description("The window over which the change is limited."),
                        ),
                )
                .min_items(1),
            ),
    )
}

/// The `target` block's attributes; `what` names the object whose namespace the target is in.
pub fn target_block(description: &str, what: &str) -> Block {
    Block::new(description)
        .attribute(Attribute::string("api_version").optional().description("API version of the object, e.g. `apps/v1`."))
        .attribute(Attribute::string("kind").required().description("Kind of the object, e.g. `Deployment` or `StatefulSet`."))
        .attribute(Attribute::string("name").required().description(format!("Name of the object, in the {what}'s namespace.")))
}

/// An object reference as configured (`target`, `described_object`).
#[derive(Debug, Deserialize)]
pub struct ReferenceModel {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PolicyModel {
    #[serde(rename = "type")]
    type_: Option<String>,
    value: Option<i64>,
    period_seconds: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct RulesModel {
    stabilization_window_seconds: Option<i64>,
    select_policy: Option<String>,
    policy: Option<Vec<PolicyModel>>,
}

/// The `behavior` block as configured.
#[derive(Debug, Deserialize)]
pub struct BehaviorModel {
    scale_up: Option<RulesModel>,
    scale_down: Option<RulesModel>,
}

/// The reference a configured block names (missing parts empty, for validation to report).
pub fn reference(model: Option<&ReferenceModel>) -> ObjectReference {
    ObjectReference {
        api_version: model.and_then(|m| m.api_version.clone()),
        kind: model.and_then(|m| m.kind.clone()).unwrap_or_default(),
        name: model.and_then(|m| m.name.clone()).unwrap_or_default(),
    }
}

/// The behavior a configured block describes.
///
/// An empty `behavior {}` stays a behavior: Kubernetes' autoscaling/v2 defaulting
/// (SetDefaults_HorizontalPodAutoscalerBehavior) fills both directions' rules whenever
/// `spec.behavior` is non-nil, and the controller takes its rate-limited path; only a nil
/// behavior selects the legacy max(2 × current, 4) limit.
pub fn expand(model: Option<&BehaviorModel>) -> Option<Behavior> {
    model.map(|b| Behavior { scale_up: rules(b.scale_up.as_ref()), scale_down: rules(b.scale_down.as_ref()) })
}

fn rules(model: Option<&RulesModel>) -> Option<ScalingRules> {
    let model = model?;
    Some(ScalingRules {
        stabilization_window_seconds: model.stabilization_window_seconds,
        select_policy: model.select_policy.clone(),
        policies: model
            .policy
            .iter()
            .flatten()
            .map(|p| ScalingPolicy { type_: p.type_.clone().unwrap_or_default(), value: p.value.unwrap_or(0), period_seconds: p.period_seconds.unwrap_or(0) })
            .collect(),
    })
}

/// Optional text as a value (null when absent).
pub fn opt_text(value: Option<&String>) -> Value {
    value.map_or(Value::Null, |s| Value::from(s.as_str()))
}

/// The `behavior` block value of a behavior (import).
pub fn flatten(behavior: Option<&Behavior>) -> Value {
    behavior.map_or(Value::Null, |b| Value::object([("scale_up", flatten_rules(b.scale_up.as_ref())), ("scale_down", flatten_rules(b.scale_down.as_ref()))]))
}

fn flatten_rules(rules: Option<&ScalingRules>) -> Value {
    let Some(rules) = rules else { return Value::Null };
    Value::object([
        ("stabilization_window_seconds", rules.stabilization_window_seconds.map_or(Value::Null, Value::from)),
        ("select_policy", opt_text(rules.select_policy.as_ref())),
        (
            "policy",
            Value::list(rules.policies.iter().map(|p| {
                Value::object([("type", Value::from(p.type_.as_str())), ("value", Value::from(p.value)), ("period_seconds", Value::from(p.period_seconds))])
            })),
        ),
    ])
}

/// The `target` block value of a reference (import).
pub fn flatten_reference(reference: &ObjectReference) -> Value {
    Value::object([("api_version", opt_text(reference.api_version.as_ref())), ("kind", Value::from(reference.kind.as_str())), ("name", Value::from(reference.name.as_str()))])
}

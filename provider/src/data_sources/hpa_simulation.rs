//! `autoscale_hpa_simulation`: runs an HPA (YAML or typed arguments) through a load profile at
//! plan time and reports the timeline, time to maxReplicas and peak replicas; `expect` blocks
//! turn a missed target into a plan-time error or warning carrying the simulated timeline.
//!
//! The simulator itself is `crate::simulate` (pure). This file maps configuration to a
//! `Scenario` and results back to attributes. The argument set, the parsing and the check
//! diagnostics are public so that a `check` block elsewhere (autoscale_hpa_manifest) can offer
//! the same arguments: [`scenario_arguments`], [`expect_block`], [`scenario_from_config`],
//! [`expectations_from_config`] and [`check_expectations`].

use serde::Deserialize;
use tfplugin::provider::{Context, DataSource, StateResult};
use tfplugin::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::value::{Number, Type, Value, from_value};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, validate};

use crate::simulate::{
    Behavior, CheckOutcome, ControllerSettings, Counting, Demand, Expectation, FieldPath, FieldStep, Hpa, HpaError, LoadProfile, LoadStep, Metric, MetricSource,
    MetricTarget, NAMED_PROFILES, NodeModel, PolicyKind, Provisioner, Scenario, ScenarioError, ScenarioField, ScalingPolicy, ScalingRules, SelectPolicy, Simulation, simulate,
};
use crate::simulate::keda::hpa_or_scaled_object;

/// Seconds from the Cluster Autoscaler seeing a pending pod to the new node taking pods, when
/// `node_group` leaves it out (the seed: "Cluster Autoscaler provisions node (2-5 min)").
pub const DEFAULT_PROVISION_DELAY_SECONDS: u32 = 180;

/// Seconds from Karpenter closing a batch to the new node taking pods, when `node_group` leaves
/// it out: the EKS user guide's "Karpenter launches right-sized compute resources ... in under a
/// minute", at its bound (docs/design/karpenter-reference.md).
pub const DEFAULT_KARPENTER_LAUNCH_SECONDS: u32 = 60;
/// Karpenter's `--batch-idle-duration` and `--batch-max-duration` defaults (settings reference).
pub const DEFAULT_BATCH_IDLE_SECONDS: u32 = 1;
pub const DEFAULT_BATCH_MAX_SECONDS: u32 = 10;

/// The data source.
pub struct HpaSimulation;

#[tfplugin::async_trait]
impl DataSource for HpaSimulation {
    fn type_name(&self) -> &str {
        "autoscale_hpa_simulation"
    }

    fn schema(&self) -> Schema {
        let block = Block::new(
            "Simulates the Kubernetes HPA controller (autoscaling/v2) at plan time: an HPA — the YAML of an `autoscale_hpa_manifest`, \
             or the same settings as arguments — meets a load profile, pods take time to start, and pods that do not fit the nodes \
             wait for the Cluster Autoscaler. Reports the timeline, when `maxReplicas` is reached and the peak, and fails or warns \
             at plan time when an `expect` block is not met.\n\n\
             The controller is followed step by step: a sync every `sync_period_seconds`, no change within `tolerance`, the largest \
             proposal of several metrics, stabilization windows (scale-up: the lowest recommendation in the window; scale-down: the \
             highest), per-policy rate limits from the replicas at the start of each period, `selectPolicy`, the min/max clamp, and the \
             legacy max(2 × current, 4) cap when `behavior` is absent. A recommendation or scale event exactly one window or period \
             old no longer counts. The HPA sees the load of the moment (no metrics-pipeline delay), and the first sync is at t = 0. \
             See docs/design/simulation.md for every convention.",
        )
        .attribute(
            Attribute::string("hpa_yaml")
                .optional()
                .conflicts_with("min_replicas")
                .conflicts_with("max_replicas")
                .description(
                    "The HPA as Kubernetes YAML (autoscaling/v2; v2beta2 and v1 are read too), e.g. the `yaml` of an \
                     `autoscale_hpa_manifest`. A stream of documents may hold other objects but exactly one HorizontalPodAutoscaler. \
                     Or a KEDA ScaledObject, e.g. the `yaml` of an `autoscale_keda_scaled_object_manifest`: then the HPA KEDA \
                     generates is simulated (min `max(1, minReplicaCount)`, a queue trigger's target per pod against `queue_depth`, \
                     the advanced behavior) together with KEDA's own step from and to zero — activation at the first poll \
                     (`pollingInterval`) that sees the queue above its activation value, zero again at the first poll \
                     `cooldownPeriod` after the last active one; `initial_replicas = 0` starts idle. Cron and MessageRate \
                     triggers are not simulated. Give this, or `max_replicas` with optional `min_replicas`, `metric` and `behavior`.",
                ),
        )
        .attribute(
            Attribute::int("min_replicas")
                .optional()
                .computed()
                .validator(validate::int_at_least(0))
                .description("`spec.minReplicas` when the HPA is given as arguments (default 1); read from `hpa_yaml` otherwise."),
        )
        .attribute(
            Attribute::int("max_replicas")
                .optional()
                .computed()
                .validator(validate::int_at_least(1))
                .description("`spec.maxReplicas` when the HPA is given as arguments; read from `hpa_yaml` otherwise."),
        )
        .block(metric_block())
        .block(behavior_block());
        let block = scenario_arguments(block).block(expect_block());
        Schema::new(0, outputs(block))
    }

    async fn validate(&self, _ctx: &Context, config: &Value) -> Diagnostics {
        let mut schema_diags = Diagnostics::new();
        tfplugin::schema::validate_config(&self.schema().block, config, &AttributePath::empty(), &mut schema_diags);
        if schema_diags.has_errors() {
            // The server reports those; the checks below assume well-formed values.
            return Diagnostics::new();
        }
        let at = AttributePath::empty();
        if config.is_wholly_known() {
            return match build(config, &at) {
                Ok(_) => Diagnostics::new(),
                Err(diags) => diags,
            };
        }
        // Some values are only known at apply: check what is known now.
        let mut diags = Diagnostics::new();
        if let Some(yaml) = config.get("hpa_yaml").and_then(Value::as_str)
            && let Err(errors) = hpa_or_scaled_object(yaml)
        {
            diags.extend(yaml_diagnostics(&errors, &at));
        }
        diags.extend(exclusive_inputs(config, &at));
        if let Some(capacity) = config.get("per_pod_capacity").and_then(Value::as_number)
            && let Err(e) = check_capacity(capacity.as_f64())
        {
            diags.push(scenario_diagnostic(&e, config, &at, false));
        }
        diags
    }

    async fn read(&self, _ctx: &Context, config: &Value) -> StateResult {
        let at = AttributePath::empty();
        let built = match build(config, &at) {
            Ok(built) => built,
            Err(diags) => return StateResult::failed(Value::Null, diags),
        };
        let simulation = match simulate(&built.scenario) {
            Ok(s) => s,
            Err(errors) => {
                let diags = Diagnostics(errors.iter().map(|e| scenario_diagnostic(e, config, &at, built.typed_hpa)).collect());
                return StateResult::failed(Value::Null, diags);
            }
        };
        let (diags, outcomes) = check_expectations(&simulation, &built.expectations, &built.label, &at);
        let state = state(config, &built, &simulation, &outcomes);
        StateResult { state, private: Vec::new(), diags }
    }
}

// ---------------------------------------------------------------------------------------------
// Schema pieces (shared with other plan-time checks)
// ---------------------------------------------------------------------------------------------

fn metric_block() -> NestedBlock {
    NestedBlock::list(
        "metric",
        Block::new("One entry of `spec.metrics` (when the HPA is given as arguments); without any, the API's default applies: cpu at 80 % utilization.")
            .attribute(
                Attribute::string("type")
                    .required()
                    .validator(validate::one_of(["Resource", "ContainerResource", "Pods", "Object", "External"]))
                    .description("The metric source type."),
            )
            .attribute(Attribute::string("name").required().description("The resource name (`cpu`, `memory`) or the metric's name."))
            .attribute(Attribute::number("average_utilization").optional().description("Target utilization in percent of the pods' requests (Resource and ContainerResource)."))
            .attribute(Attribute::number("average_value").optional().description("Target value per pod."))
            .attribute(Attribute::number("value").optional().description("Target total value (Object and External).")),
    )
}

fn rules_block(name: &str, what: &str) -> NestedBlock {
    NestedBlock::single(
        name,
        Block::new(format!("`spec.behavior.{what}`; fields left out take the API's defaults."))
            .attribute(
                Attribute::int("stabilization_window_seconds")
                    .optional()
                    .validator(validate::int_between(0, 3600))
                    .description("Stabilization window. Defaults to 0 for scale-up, and to `downscale_stabilization_seconds` for scale-down."),
            )
            .attribute(
                Attribute::string("select_policy")
                    .optional()
                    .validator(validate::one_of(["Max", "Min", "Disabled"]))
                    .description("Which policy applies when several do: the largest change (`Max`, default), the smallest (`Min`), or none (`Disabled`)."),
            )
            .block(NestedBlock::list(
                "policy",
                Block::new("A rate limit. Defaults: scale-up Pods 4 and Percent 100 per 15 s; scale-down Percent 100 per 15 s.")
                    .attribute(Attribute::string("type").required().validator(validate::one_of(["Pods", "Percent"])).description("`Pods` or `Percent`."))
                    .attribute(Attribute::int("value").required().validator(validate::int_at_least(1)).description("Pods, or percent of the replicas at the start of the period."))
                    .attribute(Attribute::int("period_seconds").required().validator(validate::int_between(1, 1800)).description("The period the limit applies over.")),
            )),
    )
}

fn behavior_block() -> NestedBlock {
    NestedBlock::single(
        "behavior",
        Block::new("`spec.behavior` (when the HPA is given as arguments). Without it the controller's legacy limit applies: at most max(2 × current, 4) per sync, and the downscale window.")
            .block(rules_block("scale_up", "scaleUp"))
            .block(rules_block("scale_down", "scaleDown")),
    )
}

fn number(value: f64) -> Value {
    Number::from_f64(value).map_or(Value::Null, Value::Number)
}

/// Adds the load, cluster and controller arguments to `block`: `profile`, `step`,
/// `per_pod_capacity`, `initial_replicas`, `pod_startup_seconds`, `node_group`,
/// `sync_period_seconds`, `tolerance`, `downscale_stabilization_seconds`. Read them back with
/// [`scenario_from_config`].
pub fn scenario_arguments(block: Block) -> Block {
    block
        .attribute(Attribute::string("profile").optional().validator(validate::one_of(NAMED_PROFILES)).description(
            "A named load profile (all in requests per second): `sustained` — 1000 req/s for 10 minutes; \
             `spike` — 100 req/s for 2 minutes, 10 000 req/s for 1 minute (from t = 120 s), 100 req/s for 2 minutes; `ramp` — \
             500 req/s rising by 500 each minute to 5000 req/s in the tenth. Give this or `step` blocks.",
        ))
        .block(NestedBlock::list(
            "step",
            Block::new("A custom load profile: steps of constant demand, one after another from t = 0. Each step sets `requests_per_second` or `cpu_utilization`, and/or `queue_depth`.")
                .attribute(Attribute::int("duration_seconds").required().validator(validate::int_at_least(1)).description("How long the step lasts."))
                .attribute(Attribute::number("requests_per_second").optional().description(
                    "A fixed load shared by the ready pods. Every per-pod metric (Resource, ContainerResource, Pods) reads \
                     load ÷ (ready pods × `per_pod_capacity`) of its target, in whole percent for utilization targets.",
                ))
                .attribute(Attribute::number("cpu_utilization").optional().conflicts_with("requests_per_second").description(
                    "The average CPU utilization (percent of requests) the ready pods report, held whatever the replica count — a load that grows \
                     with capacity, or a what-if \"metric far above target\". Drives cpu Resource metrics with a Utilization target.",
                ))
                .attribute(Attribute::number("queue_depth").optional().description(
                    "The value of Object and External metrics (e.g. jobs waiting): AverageValue targets want ceil(depth ÷ target) pods. \
                     The simulation does not work the queue off; the step says what it holds.",
                )),
        ))
        .attribute(Attribute::number("per_pod_capacity").optional().description(
            "Requests per second one pod serves with its metrics exactly at target (e.g. at 70 % CPU for a 70 % target). Required when the \
             load is in requests per second; must be greater than 0.",
        ))
        .attribute(
            Attribute::int("initial_replicas")
                .optional()
                .computed()
                .validator(validate::int_at_least(0))
                .description("Replicas running and ready at t = 0; the HPA is assumed settled there (its past recommendations all equal this). Defaults to `min_replicas`. 0 only for a KEDA ScaledObject that scales to zero (the HPA does not act on a target at zero)."),
        )
        .attribute(
            Attribute::int("pod_startup_seconds")
                .default(0)
                .validator(validate::int_between(0, 86_400))
                .description("Seconds from a pod being scheduled to it being ready. Not-ready pods count as idle when the HPA scales up and are ignored when it scales down, as the controller does."),
        )
        .block(NestedBlock::single(
            "node_group",
            Block::new(
                "The node group the pods run on. Pods beyond what the ready nodes hold stay pending. With `provisioner = \"cluster-autoscaler\"` \
                 the Cluster Autoscaler asks at once for just enough nodes for them, which become ready `provision_delay_seconds` later, up to \
                 `max_nodes`. With `provisioner = \"karpenter\"` pending pods are batched (a batch closes `batch_idle_seconds` after the last \
                 pending pod, at most `batch_max_seconds` after the first), then Karpenter launches nodes sized for the batch (full nodes of \
                 `pods_per_node`, one smaller node for the rest), ready `provision_delay_seconds` later; its limits cap all nodes together at \
                 `max_nodes × pods_per_node` pods. Nodes are never removed during the simulation (Cluster Autoscaler scale-down takes 10 minutes \
                 or more; Karpenter consolidation is not modelled). Without this block, capacity is unlimited.",
            )
            .attribute(
                Attribute::string("provisioner")
                    .default("cluster-autoscaler")
                    .validator(validate::one_of(["cluster-autoscaler", "karpenter"]))
                    .description("Who adds nodes: `cluster-autoscaler` (a managed node group) or `karpenter` (a NodePool)."),
            )
            .attribute(
                Attribute::int("batch_idle_seconds")
                    .default(DEFAULT_BATCH_IDLE_SECONDS)
                    .validator(validate::int_between(0, 3600))
                    .description("Karpenter's `--batch-idle-duration`: a batch closes when no pod became pending for this long (Karpenter's default 1 s). Not used by the Cluster Autoscaler."),
            )
            .attribute(
                Attribute::int("batch_max_seconds")
                    .default(DEFAULT_BATCH_MAX_SECONDS)
                    .validator(validate::int_between(0, 3600))
                    .description("Karpenter's `--batch-max-duration`: a batch closes at the latest this long after it opened (Karpenter's default 10 s). Not used by the Cluster Autoscaler."),
            )
            .attribute(Attribute::int("pods_per_node").required().validator(validate::int_at_least(1)).description("How many of these pods one node holds (allocatable ÷ the pod's requests, after daemonsets)."))
            .attribute(Attribute::int("max_nodes").required().validator(validate::int_at_least(1)).description(
                "The node group's maximum size. For Karpenter: the NodePool's `limits` in nodes of the largest size (`limits.cpu` ÷ that type's vCPUs, \
                 e.g. 200 ÷ 4 = 50); with `pods_per_node` it caps the pods all nodes hold.",
            ))
            .attribute(
                Attribute::int("initial_nodes")
                    .optional()
                    .computed()
                    .validator(validate::int_at_least(0))
                    .description("Nodes ready at t = 0. Defaults to just enough for `initial_replicas` (at most `max_nodes`)."),
            )
            .attribute(
                Attribute::int("provision_delay_seconds")
                    .optional()
                    .computed()
                    .validator(validate::int_between(0, 86_400))
                    .description(
                        "Cluster Autoscaler: from a pod becoming pending to a new node taking pods (the autoscaler's scan, the instance's launch and \
                         boot, the node joining); default 180 (the seed: \"provisions node (2-5 min)\"). Karpenter: from a batch closing to its \
                         nodes taking pods; default 60 (the EKS user guide: Karpenter launches capacity \"in under a minute\").",
                    ),
            ),
        ))
        .attribute(
            Attribute::int("sync_period_seconds")
                .default(15)
                .validator(validate::int_between(1, 3600))
                .description("The controller's `--horizontal-pod-autoscaler-sync-period`."),
        )
        .attribute(
            Attribute::number("tolerance")
                .default(number(0.1))
                .validator(validate::float_between(0.0, 0.99))
                .description("The controller's `--horizontal-pod-autoscaler-tolerance`: no scaling while the metric is within this fraction of its target."),
        )
        .attribute(
            Attribute::int("downscale_stabilization_seconds")
                .default(300)
                .validator(validate::int_between(0, 3600))
                .description("The controller's `--horizontal-pod-autoscaler-downscale-stabilization`: the scale-down window when `behavior` does not set one, and the window without `behavior`."),
        )
}

/// The `expect` block: "at least `replicas` within `within_seconds`", checked at plan time.
pub fn expect_block() -> NestedBlock {
    NestedBlock::list(
        "expect",
        Block::new(
            "A scaling target checked at plan time: when the simulation does not reach `replicas` within `within_seconds` (counted from \
             `from_seconds`), the plan fails (`severity = \"error\"`) or warns, with the simulated timeline in the message.",
        )
        .attribute(Attribute::int("replicas").required().validator(validate::int_at_least(1)).description("The count to reach."))
        .attribute(Attribute::int("within_seconds").required().validator(validate::int_at_least(0)).description("The time allowed, from `from_seconds`."))
        .attribute(
            Attribute::int("from_seconds")
                .default(0)
                .validator(validate::int_at_least(0))
                .description("Where the clock starts, in seconds from the start of the profile (e.g. 120 for the `spike` profile's spike)."),
        )
        .attribute(
            Attribute::string("count")
                .default("ready_pods")
                .validator(validate::one_of(["ready_pods", "desired_replicas"]))
                .description("What must reach `replicas`: pods running and ready, or the replicas the HPA asks for."),
        )
        .attribute(Attribute::string("severity").default("error").validator(validate::one_of(["error", "warning"])).description("Fail the plan, or warn."))
        .attribute(Attribute::bool("met").computed().description("Whether the target is reached in time."))
        .attribute(Attribute::int("reached_after_seconds").computed().description("Seconds after `from_seconds` at which `replicas` was reached; null if never.")),
    )
}

fn timeline_type() -> Type {
    Type::object([
        ("time_seconds", Type::Number),
        ("desired_replicas", Type::Number),
        ("ready_pods", Type::Number),
        ("pending_pods", Type::Number),
        ("nodes", Type::Number),
        ("load", Type::String),
    ])
}

fn outputs(block: Block) -> Block {
    block
        .attribute(Attribute::list_of("timeline", timeline_type()).computed().description(
            "One entry per HPA sync: `time_seconds`, `desired_replicas` (set at that sync), `ready_pods`, `pending_pods` (no node holds \
             them yet), `nodes` (ready nodes; null without `node_group`) and `load` (the demand in force).",
        ))
        .attribute(Attribute::int("duration_seconds").computed().description("The load profile's length."))
        .attribute(Attribute::int("time_to_max").computed().description("Seconds until the HPA first asks for `max_replicas`; null if it never does."))
        .attribute(Attribute::int("time_to_max_ready").computed().description("Seconds until `max_replicas` pods are ready (exact to the second); null if never."))
        .attribute(Attribute::int("peak_replicas").computed().description("The most replicas the HPA asks for."))
        .attribute(Attribute::int("peak_nodes").computed().description("The most ready nodes; null without `node_group`."))
        .attribute(Attribute::string("timeline_table").computed().description("The timeline as a compact text table (rows where something changes), as shown in `expect` diagnostics."))
}

// ---------------------------------------------------------------------------------------------
// Configuration → Scenario
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct HpaArgs {
    hpa_yaml: Option<String>,
    min_replicas: Option<i64>,
    max_replicas: Option<i64>,
    metric: Option<Vec<MetricArgs>>,
    behavior: Option<BehaviorArgs>,
}

#[derive(Deserialize)]
struct MetricArgs {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    average_utilization: Option<f64>,
    average_value: Option<f64>,
    value: Option<f64>,
}

#[derive(Deserialize)]
struct BehaviorArgs {
    scale_up: Option<RulesArgs>,
    scale_down: Option<RulesArgs>,
}

#[derive(Deserialize)]
struct RulesArgs {
    stabilization_window_seconds: Option<i64>,
    select_policy: Option<String>,
    policy: Option<Vec<PolicyArgs>>,
}

#[derive(Deserialize)]
struct PolicyArgs {
    #[serde(rename = "type")]
    kind: String,
    value: i64,
    period_seconds: i64,
}

#[derive(Deserialize, Default)]
struct ScenarioArgs {
    profile: Option<String>,
    step: Option<Vec<StepArgs>>,
    per_pod_capacity: Option<f64>,
    initial_replicas: Option<i64>,
    pod_startup_seconds: Option<i64>,
    node_group: Option<NodeGroupArgs>,
    sync_period_seconds: Option<i64>,
    tolerance: Option<f64>,
    downscale_stabilization_seconds: Option<i64>,
}

#[derive(Deserialize)]
struct StepArgs {
    duration_seconds: i64,
    requests_per_second: Option<f64>,
    cpu_utilization: Option<f64>,
    queue_depth: Option<f64>,
}

#[derive(Deserialize)]
struct NodeGroupArgs {
    pods_per_node: i64,
    max_nodes: i64,
    initial_nodes: Option<i64>,
    provision_delay_seconds: Option<i64>,
    provisioner: Option<String>,
    batch_idle_seconds: Option<i64>,
    batch_max_seconds: Option<i64>,
}

#[derive(Deserialize)]
struct ExpectArgs {
    replicas: i64,
    within_seconds: i64,
    from_seconds: Option<i64>,
    count: Option<String>,
    severity: Option<String>,
}

/// How a missed expectation is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// An `expect` block, read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectationArg {
    pub expectation: Expectation,
    pub severity: Severity,
}

/// Everything `read` needs.
struct Built {
    scenario: Scenario,
    expectations: Vec<ExpectationArg>,
    label: String,
    typed_hpa: bool,
}

fn provider_bug(e: impl std::fmt::Display) -> Diagnostics {
    Diagnostic::error("Provider bug", format!("reading the configuration: {e}")).into()
}

/// A whole number that must fit `u32`, or a diagnostic at `path` (the schema's validators
/// normally catch these first).
fn whole(value: i64, path: AttributePath, what: &str) -> Result<u32, Diagnostics> {
    u32::try_from(value).map_err(|_| Diagnostic::error("Value out of range", format!("{what} is {value}, but it must be between 0 and {}.", u32::MAX)).at(path).into())
}

fn build(config: &Value, at: &AttributePath) -> Result<Built, Diagnostics> {
    let mut diags = exclusive_inputs(config, at);
    if diags.has_errors() {
        return Err(diags);
    }
    let typed_hpa = config.get("hpa_yaml").is_none_or(Value::is_null);
    let hpa = match hpa_from_config(config, at) {
        Ok(hpa) => Some(hpa),
        Err(d) => {
            diags.extend(d);
            None
        }
    };
    let scenario = hpa.and_then(|hpa| match scenario_from_config(config, hpa, at) {
        Ok(s) => Some(s),
        Err(d) => {
            diags.extend(d);
            None
        }
    });
    let expectations = match expectations_from_config(config, at) {
        Ok(e) => e,
        Err(d) => {
            diags.extend(d);
            Vec::new()
        }
    };
    match scenario {
        Some(scenario) if !diags.has_errors() => {
            let label = load_label(config);
            Ok(Built { scenario, expectations, label, typed_hpa })
        }
        _ => Err(diags),
    }
}

fn load_label(config: &Value) -> String {
    match config.get("profile").and_then(Value::as_str) {
        Some(name) => format!("the {name} profile"),
        None => {
            let steps = config.get("step").and_then(Value::as_list).map_or(0, <[Value]>::len);
            format!("the {steps}-step load profile")
        }
    }
}

/// `hpa_yaml` versus the typed HPA arguments, `profile` versus `step`.
fn exclusive_inputs(config: &Value, at: &AttributePath) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let set = |name: &str| match config.get(name) {
        None | Some(Value::Null) => false,
        Some(Value::List(items)) => !items.is_empty(),
        Some(_) => true,
    };
    let known = |name: &str| config.get(name).is_none_or(Value::is_known);
    if set("hpa_yaml") {
        for typed in ["metric", "behavior"] {
            if set(typed) {
                diags.error_at(at.clone().attr(typed), "Conflicting arguments", format!("`{typed}` cannot be set together with `hpa_yaml`: the HPA comes from one or the other."));
            }
        }
    } else if known("hpa_yaml") && known("max_replicas") && !set("max_replicas") {
        diags.error_at(
            at.clone().attr("hpa_yaml"),
            "Missing HPA",
            "Give the HPA to simulate: `hpa_yaml` (e.g. the yaml of an autoscale_hpa_manifest), or `max_replicas` with optional `min_replicas`, `metric` and `behavior`.",
        );
    }
    if set("profile") && set("step") {
        diags.error_at(at.clone().attr("step"), "Conflicting arguments", "`step` blocks cannot be set together with `profile`: the load comes from one or the other.");
    } else if known("profile") && known("step") && !set("profile") && !set("step") {
        diags.error_at(
            at.clone().attr("profile"),
            "Missing load profile",
            format!("Give the load to simulate: `profile` ({}) or `step` blocks.", NAMED_PROFILES.join(", ")),
        );
    }
    diags
}

/// The HPA from `hpa_yaml` or the typed arguments under `at`.
///
/// # Errors
/// Diagnostics at `hpa_yaml` (with the Kubernetes field path in the detail) or at the typed
/// argument at fault.
pub fn hpa_from_config(config: &Value, at: &AttributePath) -> Result<Hpa, Diagnostics> {
    let args: HpaArgs = from_value(config).map_err(provider_bug)?;
    if let Some(yaml) = &args.hpa_yaml {
        return hpa_or_scaled_object(yaml).map(|(hpa, _)| hpa).map_err(|errors| yaml_diagnostics(&errors, at));
    }
    let mut diags = Diagnostics::new();
    let max_replicas = match args.max_replicas {
        Some(max) => whole(max, at.clone().attr("max_replicas"), "max_replicas")?,
        None => {
            diags.error_at(at.clone().attr("max_replicas"), "Missing max_replicas", "Without `hpa_yaml`, the HPA needs `max_replicas`.");
            return Err(diags);
        }
    };
    let min_replicas = whole(args.min_replicas.unwrap_or(1), at.clone().attr("min_replicas"), "min_replicas")?;
    let mut metrics = Vec::new();
    for (i, m) in args.metric.unwrap_or_default().into_iter().enumerate() {
        let path = at.clone().attr("metric").index(i);
        let target = match (m.average_utilization, m.average_value, m.value) {
            (Some(u), None, None) => MetricTarget::Utilization(u),
            (None, Some(v), None) => MetricTarget::AverageValue(v),
            (None, None, Some(v)) => MetricTarget::Value(v),
            _ => {
                diags.error_at(path, "Invalid metric target", format!("metric[{i}] must set exactly one of `average_utilization`, `average_value` and `value`."));
                continue;
            }
        };
        let source = match m.kind.as_str() {
            "Resource" => MetricSource::Resource(m.name),
            "ContainerResource" => MetricSource::ContainerResource(m.name),
            "Pods" => MetricSource::Pods(m.name),
            "Object" => MetricSource::Object(m.name),
            _ => MetricSource::External(m.name),
        };
        metrics.push(Metric { source, target });
    }
    if metrics.is_empty() && diags.is_empty() {
        metrics.push(Metric { source: MetricSource::Resource("cpu".into()), target: MetricTarget::Utilization(80.0) });
    }
    let behavior = args.behavior.map(|b| Behavior {
        scale_up: rules(b.scale_up, ScalingRules::default_scale_up()),
        scale_down: rules(b.scale_down, ScalingRules::default_scale_down()),
    });
    if diags.has_errors() {
        return Err(diags);
    }
    let hpa = Hpa { min_replicas, max_replicas, metrics, behavior };
    let errors = hpa.validate();
    if errors.is_empty() {
        Ok(hpa)
    } else {
        Err(Diagnostics(errors.iter().map(|e| Diagnostic::error("Invalid HPA", format!("{} {}.", typed_name(&e.path), e.message)).at(typed_path(&e.path, at))).collect()))
    }
}

fn rules(given: Option<RulesArgs>, mut rules: ScalingRules) -> ScalingRules {
    let Some(given) = given else { return rules };
    if let Some(window) = given.stabilization_window_seconds {
        rules.stabilization_window_seconds = Some(u32::try_from(window).unwrap_or(u32::MAX));
    }
    match given.select_policy.as_deref() {
        Some("Min") => rules.select_policy = SelectPolicy::Min,
        Some("Disabled") => rules.select_policy = SelectPolicy::Disabled,
        Some(_) => rules.select_policy = SelectPolicy::Max,
        None => {}
    }
    let policies = given.policy.unwrap_or_default();
    if !policies.is_empty() {
        rules.policies = policies
            .into_iter()
            .map(|p| ScalingPolicy {
                kind: if p.kind == "Pods" { PolicyKind::Pods } else { PolicyKind::Percent },
                value: u32::try_from(p.value).unwrap_or(0),
                period_seconds: u32::try_from(p.period_seconds).unwrap_or(0),
            })
            .collect();
    }
    rules
}

fn yaml_diagnostics(errors: &[HpaError], at: &AttributePath) -> Diagnostics {
    Diagnostics(
        errors
            .iter()
            .map(|e| {
                let detail = if e.path.0.is_empty() { format!("In hpa_yaml, {}.", e.message) } else { format!("In hpa_yaml, {} {}.", e.path, e.message) };
                Diagnostic::error("Invalid HPA", detail).at(at.clone().attr("hpa_yaml"))
            })
            .collect(),
    )
}

/// The argument name a Kubernetes field maps to, for messages about typed arguments.
fn typed_name(path: &FieldPath) -> String {
    let attr = typed_path(path, &AttributePath::empty());
    if attr.is_empty() { "the HPA".into() } else { attr.to_string() }
}

/// A Kubernetes field path (`spec.behavior.scaleUp.policies[0].periodSeconds`) as the typed
/// arguments' path (`behavior.scale_up.policy[0].period_seconds`).
fn typed_path(path: &FieldPath, at: &AttributePath) -> AttributePath {
    let mut out = at.clone();
    for step in &path.0 {
        out = match step {
            FieldStep::Index(i) => out.index(*i),
            FieldStep::Field("spec" | "target" | "resource" | "containerResource" | "pods" | "object" | "external") => out,
            FieldStep::Field("metrics") => out.attr("metric"),
            FieldStep::Field("policies") => out.attr("policy"),
            FieldStep::Field(name) => out.attr(snake_case(name)),
        };
    }
    out
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn check_capacity(capacity: f64) -> Result<(), ScenarioError> {
    if capacity.is_finite() && capacity > 0.0 { Ok(()) } else { Err(ScenarioError::InvalidCapacity(capacity)) }
}

/// The scenario arguments of [`scenario_arguments`] under `at`, around `hpa`.
///
/// # Errors
/// Diagnostics naming the argument at fault.
pub fn scenario_from_config(config: &Value, hpa: Hpa, at: &AttributePath) -> Result<Scenario, Diagnostics> {
    let args: ScenarioArgs = from_value(config).map_err(provider_bug)?;
    let load = match (&args.profile, &args.step) {
        (Some(name), _) => LoadProfile::named(name).ok_or_else(|| {
            Diagnostics::from(
                Diagnostic::error("Unknown load profile", format!("profile is {name:?}, but it must be one of {}.", NAMED_PROFILES.join(", "))).at(at.clone().attr("profile")),
            )
        })?,
        (None, steps) => {
            let mut out = Vec::new();
            for (i, s) in steps.iter().flatten().enumerate() {
                let duration_seconds = whole(s.duration_seconds, at.clone().attr("step").index(i).attr("duration_seconds"), "duration_seconds")?;
                let demand = Demand { requests_per_second: s.requests_per_second, cpu_utilization: s.cpu_utilization, queue_depth: s.queue_depth };
                out.push(LoadStep { duration_seconds, demand });
            }
            LoadProfile::new(out)
        }
    };
    let initial_replicas = args.initial_replicas.map(|n| whole(n, at.clone().attr("initial_replicas"), "initial_replicas")).transpose()?;
    let starting = initial_replicas.unwrap_or(hpa.min_replicas);
    let mut provisioner = Provisioner::ClusterAutoscaler;
    let nodes = match &args.node_group {
        None => None,
        Some(n) => {
            let path = |name: &str| at.clone().attr("node_group").attr(name);
            let pods_per_node = whole(n.pods_per_node, path("pods_per_node"), "pods_per_node")?;
            let max_nodes = whole(n.max_nodes, path("max_nodes"), "max_nodes")?;
            let initial_nodes = match n.initial_nodes {
                Some(v) => whole(v, path("initial_nodes"), "initial_nodes")?,
                None => starting.div_ceil(pods_per_node.max(1)).min(max_nodes),
            };
            let karpenter = n.provisioner.as_deref() == Some("karpenter");
            let default_delay = if karpenter { DEFAULT_KARPENTER_LAUNCH_SECONDS } else { DEFAULT_PROVISION_DELAY_SECONDS };
            let provision_delay_seconds = whole(n.provision_delay_seconds.unwrap_or(i64::from(default_delay)), path("provision_delay_seconds"), "provision_delay_seconds")?;
            if karpenter {
                provisioner = Provisioner::Karpenter {
                    batch_idle_seconds: whole(n.batch_idle_seconds.unwrap_or(i64::from(DEFAULT_BATCH_IDLE_SECONDS)), path("batch_idle_seconds"), "batch_idle_seconds")?,
                    batch_max_seconds: whole(n.batch_max_seconds.unwrap_or(i64::from(DEFAULT_BATCH_MAX_SECONDS)), path("batch_max_seconds"), "batch_max_seconds")?,
                };
            }
            Some(NodeModel { pods_per_node, initial_nodes, max_nodes, provision_delay_seconds })
        }
    };
    let defaults = ControllerSettings::default();
    let controller = ControllerSettings {
        sync_period_seconds: args.sync_period_seconds.map_or(Ok(defaults.sync_period_seconds), |v| whole(v, at.clone().attr("sync_period_seconds"), "sync_period_seconds"))?,
        tolerance: args.tolerance.unwrap_or(defaults.tolerance),
        downscale_stabilization_seconds: args
            .downscale_stabilization_seconds
            .map_or(Ok(defaults.downscale_stabilization_seconds), |v| whole(v, at.clone().attr("downscale_stabilization_seconds"), "downscale_stabilization_seconds"))?,
    };
    let pod_startup_seconds = whole(args.pod_startup_seconds.unwrap_or(0), at.clone().attr("pod_startup_seconds"), "pod_startup_seconds")?;
    let typed_hpa = config.get("hpa_yaml").is_none_or(Value::is_null);
    // A ScaledObject's YAML adds KEDA's step from and to idle (the HPA is its generated one).
    let keda = config.get("hpa_yaml").and_then(Value::as_str).and_then(|yaml| hpa_or_scaled_object(yaml).ok()).and_then(|(_, keda)| keda);
    let scenario = Scenario { hpa, load, per_pod_capacity: args.per_pod_capacity, initial_replicas, pod_startup_seconds, nodes, provisioner, controller, keda };
    let errors = scenario.validate();
    if errors.is_empty() {
        Ok(scenario)
    } else {
        Err(Diagnostics(errors.iter().map(|e| scenario_diagnostic(e, config, at, typed_hpa)).collect()))
    }
}

/// A scenario error as a diagnostic at the argument it is about.
fn scenario_diagnostic(error: &ScenarioError, config: &Value, at: &AttributePath, typed_hpa: bool) -> Diagnostic {
    let path = match (error, error.field()) {
        (ScenarioError::Hpa(e), _) if typed_hpa => typed_path(&e.path, at),
        (_, ScenarioField::Hpa) => at.clone().attr("hpa_yaml"),
        (ScenarioError::NegativeDemand { step, field, .. }, _) => at.clone().attr("step").index(*step).attr(*field),
        (ScenarioError::ConflictingDemand { step }, _) => at.clone().attr("step").index(*step).attr("cpu_utilization"),
        (ScenarioError::EmptyStep { step }, _) => at.clone().attr("step").index(*step).attr("duration_seconds"),
        (_, ScenarioField::Load { step: Some(i) }) => at.clone().attr("step").index(i),
        (_, ScenarioField::Load { step: None }) => {
            if config.get("profile").is_some_and(|p| !p.is_null()) { at.clone().attr("profile") } else { at.clone().attr("step") }
        }
        (_, ScenarioField::PerPodCapacity) => at.clone().attr("per_pod_capacity"),
        (_, ScenarioField::InitialReplicas) => at.clone().attr("initial_replicas"),
        (_, ScenarioField::PodStartupSeconds) => at.clone().attr("pod_startup_seconds"),
        (_, ScenarioField::Nodes(field)) => at.clone().attr("node_group").attr(field),
        (_, ScenarioField::Controller(field)) => at.clone().attr(field),
    };
    let summary = match error.field() {
        ScenarioField::Hpa => "Invalid HPA",
        ScenarioField::Load { .. } => "Invalid load profile",
        _ => "Invalid simulation argument",
    };
    let mut text = error.to_string();
    // A sentence starts with a capital, unless it starts with an argument's name.
    let first_word = text.split_whitespace().next().unwrap_or_default();
    if !first_word.contains(['_', '['])
        && let Some(first) = text.get(..1)
    {
        text = format!("{}{}", first.to_uppercase(), &text[1..]);
    }
    Diagnostic::error(summary, format!("{text}.")).at(path)
}

/// The `expect` blocks under `at`.
///
/// # Errors
/// Diagnostics at an `expect` argument that does not fit.
pub fn expectations_from_config(config: &Value, at: &AttributePath) -> Result<Vec<ExpectationArg>, Diagnostics> {
    #[derive(Deserialize)]
    struct Wrapper {
        expect: Option<Vec<ExpectArgs>>,
    }
    let wrapper: Wrapper = from_value(config).map_err(provider_bug)?;
    let mut out = Vec::new();
    for (i, e) in wrapper.expect.unwrap_or_default().into_iter().enumerate() {
        let path = |name: &str| at.clone().attr("expect").index(i).attr(name);
        let from = e.from_seconds.unwrap_or(0);
        out.push(ExpectationArg {
            expectation: Expectation {
                replicas: whole(e.replicas, path("replicas"), "replicas")?,
                within_seconds: u64::from(whole(e.within_seconds, path("within_seconds"), "within_seconds")?),
                from_seconds: u64::from(whole(from, path("from_seconds"), "from_seconds")?),
                counting: if e.count.as_deref() == Some("desired_replicas") { Counting::DesiredReplicas } else { Counting::ReadyPods },
            },
            severity: if e.severity.as_deref() == Some("warning") { Severity::Warning } else { Severity::Error },
        });
    }
    Ok(out)
}

/// Checks each expectation; a missed one becomes an error or warning at `expect[i]` under `at`,
/// with the simulated timeline in its detail. Returns the diagnostics and every outcome.
pub fn check_expectations(simulation: &Simulation, expectations: &[ExpectationArg], label: &str, at: &AttributePath) -> (Diagnostics, Vec<CheckOutcome>) {
    let mut diags = Diagnostics::new();
    let mut outcomes = Vec::new();
    for (i, e) in expectations.iter().enumerate() {
        let outcome = simulation.check(&e.expectation, label);
        if !outcome.met {
            let path = at.clone().attr("expect").index(i);
            let diagnostic = match e.severity {
                Severity::Error => Diagnostic::error(outcome.summary.clone(), outcome.detail.clone()),
                Severity::Warning => Diagnostic::warning(outcome.summary.clone(), outcome.detail.clone()),
            };
            diags.push(diagnostic.at(path));
        }
        outcomes.push(outcome);
    }
    (diags, outcomes)
}

// ---------------------------------------------------------------------------------------------
// Results → state
// ---------------------------------------------------------------------------------------------

fn optional(n: Option<u64>) -> Value {
    n.map_or(Value::Null, Value::from)
}

fn state(config: &Value, built: &Built, simulation: &Simulation, outcomes: &[CheckOutcome]) -> Value {
    let Value::Object(mut fields) = config.clone() else { return Value::Null };
    let scenario = &built.scenario;
    let mut set = |name: &str, value: Value| {
        fields.insert(name.to_string(), value);
    };
    set("min_replicas", Value::from(scenario.hpa.min_replicas));
    set("max_replicas", Value::from(scenario.hpa.max_replicas));
    set("initial_replicas", Value::from(scenario.starting_replicas()));
    set("pod_startup_seconds", Value::from(scenario.pod_startup_seconds));
    set("sync_period_seconds", Value::from(scenario.controller.sync_period_seconds));
    set("tolerance", config.get("tolerance").filter(|v| !v.is_null()).cloned().unwrap_or_else(|| number(scenario.controller.tolerance)));
    set("downscale_stabilization_seconds", Value::from(scenario.controller.downscale_stabilization_seconds));
    if let (Some(nodes), Some(Value::Object(given))) = (&scenario.nodes, config.get("node_group")) {
        let mut given = given.clone();
        given.insert("initial_nodes".into(), Value::from(nodes.initial_nodes));
        given.insert("provision_delay_seconds".into(), Value::from(nodes.provision_delay_seconds));
        set("node_group", Value::Object(given));
    }
    if let Some(Value::List(expects)) = config.get("expect") {
        let filled = expects
            .iter()
            .zip(built.expectations.iter().zip(outcomes))
            .map(|(given, (arg, outcome))| {
                let Value::Object(given) = given else { return given.clone() };
                let mut given = given.clone();
                given.insert("from_seconds".into(), Value::from(arg.expectation.from_seconds));
                given.insert("count".into(), Value::from(arg.expectation.counting.name()));
                given.insert("severity".into(), Value::from(if arg.severity == Severity::Warning { "warning" } else { "error" }));
                given.insert("met".into(), Value::Bool(outcome.met));
                given.insert("reached_after_seconds".into(), optional(outcome.reached_after_seconds));
                Value::Object(given)
            })
            .collect();
        set("expect", Value::List(filled));
    }
    let timeline = simulation
        .timeline
        .iter()
        .map(|p| {
            Value::object([
                ("time_seconds", Value::from(p.time_seconds)),
                ("desired_replicas", Value::from(p.desired_replicas)),
                ("ready_pods", Value::from(p.ready_pods)),
                ("pending_pods", Value::from(p.pending_pods)),
                ("nodes", p.nodes.map_or(Value::Null, Value::from)),
                ("load", Value::from(p.demand.clone())),
            ])
        })
        .collect();
    set("timeline", Value::List(timeline));
    set("duration_seconds", Value::from(simulation.duration_seconds));
    set("time_to_max", optional(simulation.time_to_max()));
    set("time_to_max_ready", optional(simulation.time_to_max_ready()));
    set("peak_replicas", Value::from(simulation.peak_replicas()));
    set("peak_nodes", simulation.peak_nodes().map_or(Value::Null, Value::from));
    set("timeline_table", Value::from(simulation.table()));
    Value::Object(fields)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A configuration object as Terraform would send it: every attribute and block present.
    fn config(set: &[(&str, Value)]) -> Value {
        super::super::test_config(&HpaSimulation.schema(), set)
    }

    fn paths(diags: &Diagnostics) -> Vec<String> {
        diags.iter().map(|d| d.path.as_ref().map(ToString::to_string).unwrap_or_default()).collect()
    }

    fn validate(config: &Value) -> Diagnostics {
        let ctx = Context::new(None, tokio_util::sync::CancellationToken::new(), "autoscale_hpa_simulation");
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(HpaSimulation.validate(&ctx, config))
    }

    #[test]
    fn validation_with_unknown_values_checks_what_is_known() {
        // hpa_yaml and profile come from elsewhere and are unknown at plan: no "missing" errors,
        // but the known bad capacity is reported.
        let cfg = config(&[("hpa_yaml", Value::Unknown), ("profile", Value::Unknown), ("per_pod_capacity", number(-1.0))]);
        assert_eq!(paths(&validate(&cfg)), vec!["per_pod_capacity"]);
        // A known bad YAML is reported even when other values are unknown.
        let cfg = config(&[("hpa_yaml", Value::from("kind: Deployment\n")), ("profile", Value::Unknown)]);
        assert_eq!(paths(&validate(&cfg)), vec!["hpa_yaml"]);
        // Wholly known and valid: nothing.
        let cfg = config(&[("hpa_yaml", Value::from(crate::simulate::seed::API_HPA)), ("profile", Value::from("ramp")), ("per_pod_capacity", Value::from(100))]);
        assert!(validate(&cfg).is_empty());
        // Schema errors are left to the server's schema validation (no duplicates here).
        let cfg = config(&[("hpa_yaml", Value::from(crate::simulate::seed::API_HPA)), ("profile", Value::from("burst")), ("per_pod_capacity", Value::from(100))]);
        assert!(validate(&cfg).is_empty());
    }

    #[test]
    fn typed_paths_follow_the_argument_names() {
        let path = FieldPath::default().field("spec").field("behavior").field("scaleUp").field("policies").index(1).field("periodSeconds");
        assert_eq!(typed_path(&path, &AttributePath::empty()).to_string(), "behavior.scale_up.policy[1].period_seconds");
        let path = FieldPath::default().field("spec").field("metrics").index(0).field("external").field("target").field("averageValue");
        assert_eq!(typed_path(&path, &AttributePath::empty()).to_string(), "metric[0].average_value");
        assert_eq!(typed_path(&FieldPath::default().field("spec").field("maxReplicas"), &AttributePath::root("check")).to_string(), "check.max_replicas");
    }

    #[test]
    fn typed_hpa_runs_and_fills_the_outputs() {
        let metric = Value::object([
            ("type", Value::from("Resource")),
            ("name", Value::from("cpu")),
            ("average_utilization", Value::from(70)),
            ("average_value", Value::Null),
            ("value", Value::Null),
        ]);
        let cfg = config(&[
            ("max_replicas", Value::from(50)),
            ("min_replicas", Value::from(2)),
            ("metric", Value::List(vec![metric])),
            ("behavior", Value::object([("scale_up", Value::Null), ("scale_down", Value::Null)])),
            ("profile", Value::from("sustained")),
            ("per_pod_capacity", Value::from(60)),
        ]);
        let built = build(&cfg, &AttributePath::empty()).unwrap();
        let simulation = simulate(&built.scenario).unwrap();
        let state = state(&cfg, &built, &simulation, &[]);
        assert_eq!(state.get("peak_replicas").and_then(Value::as_i64), Some(17));
        assert_eq!(state.get("initial_replicas").and_then(Value::as_i64), Some(2));
        assert_eq!(state.get("time_to_max"), Some(&Value::Null));
        assert_eq!(state.get("timeline").and_then(Value::as_list).map(<[Value]>::len), Some(40));
        // The state must have the schema's type.
        state.clone().conform(&HpaSimulation.schema().value_type(), &AttributePath::empty()).unwrap();
    }

    #[test]
    fn missing_and_conflicting_inputs_name_their_arguments() {
        let diags = build(&config(&[("per_pod_capacity", Value::from(10))]), &AttributePath::empty()).err().unwrap();
        assert_eq!(paths(&diags), vec!["hpa_yaml", "profile"]);
        let step = Value::object([("duration_seconds", Value::from(60)), ("requests_per_second", Value::from(10)), ("cpu_utilization", Value::Null), ("queue_depth", Value::Null)]);
        let cfg = config(&[("max_replicas", Value::from(5)), ("profile", Value::from("ramp")), ("step", Value::List(vec![step]))]);
        assert_eq!(paths(&build(&cfg, &AttributePath::empty()).err().unwrap()), vec!["step"]);
    }

    #[test]
    fn scenario_errors_land_on_their_arguments() {
        let yaml = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  minReplicas: 3\n  maxReplicas: 2\n";
        let diags = build(&config(&[("hpa_yaml", Value::from(yaml)), ("profile", Value::from("spike")), ("per_pod_capacity", Value::from(10))]), &AttributePath::empty()).err().unwrap();
        assert_eq!(paths(&diags), vec!["hpa_yaml"]);
        assert!(diags.0[0].detail.contains("spec.maxReplicas is 2 but must be greater than or equal to minReplicas (3)"), "{:?}", diags.0[0]);

        let yaml = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  maxReplicas: 20\n";
        let queue = Value::object([("duration_seconds", Value::from(60)), ("requests_per_second", Value::Null), ("cpu_utilization", Value::Null), ("queue_depth", Value::from(100))]);
        let cfg = config(&[("hpa_yaml", Value::from(yaml)), ("step", Value::List(vec![queue])), ("per_pod_capacity", number(-5.0))]);
        let diags = build(&cfg, &AttributePath::empty()).err().unwrap();
        assert_eq!(paths(&diags), vec!["step[0]", "per_pod_capacity"]);
        assert!(diags.0[1].detail.contains("per_pod_capacity is -5, but it must be greater than 0"), "{:?}", diags.0[1]);

        let cfg = config(&[("max_replicas", Value::from(5)), ("min_replicas", Value::from(6)), ("profile", Value::from("spike")), ("per_pod_capacity", Value::from(10))]);
        let diags = build(&cfg, &AttributePath::empty()).err().unwrap();
        assert_eq!(paths(&diags), vec!["max_replicas"]);
        assert!(diags.0[0].detail.starts_with("max_replicas is 5 but must be greater than or equal to minReplicas (6)"), "{:?}", diags.0[0]);
    }

    #[test]
    fn missed_expectations_become_errors_or_warnings_with_the_timeline() {
        let yaml = crate::simulate::seed::API_HPA;
        let expect = |replicas: i64, severity: &str| {
            Value::object([
                ("replicas", Value::from(replicas)),
                ("within_seconds", Value::from(120)),
                ("from_seconds", Value::from(120)),
                ("count", Value::Null),
                ("severity", Value::from(severity)),
                ("met", Value::Null),
                ("reached_after_seconds", Value::Null),
            ])
        };
        let cfg = config(&[
            ("hpa_yaml", Value::from(yaml)),
            ("profile", Value::from("spike")),
            ("per_pod_capacity", Value::from(60)),
            ("expect", Value::List(vec![expect(48, "error"), expect(50, "warning"), expect(50, "error")])),
        ]);
        let built = build(&cfg, &AttributePath::empty()).unwrap();
        let simulation = simulate(&built.scenario).unwrap();
        let (diags, outcomes) = check_expectations(&simulation, &built.expectations, &built.label, &AttributePath::empty());
        assert_eq!(outcomes.iter().map(|o| o.met).collect::<Vec<_>>(), vec![true, false, false]);
        assert_eq!(paths(&diags), vec!["expect[1]", "expect[2]"]);
        assert!(!diags.0[0].is_error() && diags.0[1].is_error());
        assert!(diags.0[1].detail.contains("Under the spike profile, 50 ready pods are never reached"), "{}", diags.0[1].detail);
        assert!(diags.0[1].detail.contains("  165s       48     48        0  10000 rps"), "{}", diags.0[1].detail);
        let state = state(&cfg, &built, &simulation, &outcomes);
        let first = &state.get("expect").and_then(Value::as_list).unwrap()[0];
        assert_eq!(first.get("reached_after_seconds").and_then(Value::as_i64), Some(45));
        assert_eq!(first.get("count").and_then(Value::as_str), Some("ready_pods"));
    }
}

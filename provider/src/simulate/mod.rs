//! Plan-time scaling simulation: the Kubernetes HPA controller (autoscaling/v2) driving a
//! Deployment whose pods start up, fill nodes, and wait for the Cluster Autoscaler when the
//! nodes are full. Pure — no IO, no clock, no randomness — and fast: an hour of 15 s syncs takes
//! well under a millisecond (the work is O(syncs × stabilization window / sync period)).
//!
//! Used by the `autoscale_hpa_simulation` data source, and meant for any plan-time check of an
//! HPA (such as a `check` block on `autoscale_hpa_manifest`):
//!
//! ```
//! use autoscale::simulate::{Expectation, Hpa, LoadProfile, Scenario, simulate};
//!
//! let hpa = Hpa::from_yaml(
//!     "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  minReplicas: 2\n  maxReplicas: 50\n  \
//!      metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]\n  behavior: {}\n",
//! )
//! .expect("a valid HPA");
//! let scenario = Scenario::new(hpa, LoadProfile::named("spike").expect("a named profile")).per_pod_capacity(60.0).initial_replicas(2);
//! let simulation = simulate(&scenario).expect("a valid scenario");
//! // The one-minute spike (from 120 s) holds four syncs: 2 → 6 → 12 → 24 → 48, never 50.
//! assert_eq!(simulation.peak_replicas(), 48);
//! assert_eq!(simulation.time_to_max(), None);
//! let outcome = simulation.check(&Expectation::ready(48, 60).from(120), "the spike profile");
//! assert!(outcome.met);
//! let outcome = simulation.check(&Expectation::ready(50, 120).from(120), "the spike profile");
//! assert!(!outcome.met);
//! // When not met, `outcome.summary` and `outcome.detail` (with the timeline table) make the
//! // diagnostic; the caller picks error or warning and the attribute path.
//! ```
//!
//! The conventions (what an exactly-one-period-old event means, how demand becomes metric values,
//! what the node model leaves out) are listed in the submodules and in docs/design/simulation.md.

mod cluster;
mod controller;
mod hpa;
pub mod keda;
mod load;
mod report;
#[cfg(test)]
pub(crate) mod seed;

pub use cluster::{NodeModel, Provisioner};
pub use controller::ControllerSettings;
pub use hpa::{
    Behavior, FieldPath, FieldStep, Hpa, HpaError, Metric, MetricSource, MetricTarget, PolicyKind, ScalingPolicy, ScalingRules, SelectPolicy, parse_quantity,
};
pub use keda::KedaScaling;
pub use load::{Demand, LoadProfile, LoadStep, NAMED_PROFILES};
pub use report::{CheckOutcome, Counting, Expectation, Simulation, TimelinePoint};

use cluster::Cluster;
use controller::{Controller, Observation};
use load::LoadCursor;

/// The longest load profile simulated: one day.
pub const MAX_DURATION_SECONDS: u64 = 86_400;

/// Everything a simulation needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub hpa: Hpa,
    pub load: LoadProfile,
    /// Requests per second one pod serves with its metrics exactly at target; needed when the
    /// load is in requests per second.
    pub per_pod_capacity: Option<f64>,
    /// Replicas (all ready) at t = 0; `None` means `minReplicas`.
    pub initial_replicas: Option<u32>,
    /// From a pod being scheduled to it being ready.
    pub pod_startup_seconds: u32,
    /// The node group; `None` means capacity is never short.
    pub nodes: Option<NodeModel>,
    /// Who adds nodes to the node group when pods are pending.
    pub provisioner: Provisioner,
    pub controller: ControllerSettings,
    /// KEDA's idle step when the HPA is one a ScaledObject generates; `None` for a plain HPA.
    pub keda: Option<KedaScaling>,
}

/// Which input a [`ScenarioError`] is about, for callers that map it to their own arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScenarioField {
    Hpa,
    /// The load profile, or one of its steps.
    Load { step: Option<usize> },
    PerPodCapacity,
    InitialReplicas,
    PodStartupSeconds,
    /// A field of the node model, by its snake_case name.
    Nodes(&'static str),
    /// A controller setting, by its snake_case name.
    Controller(&'static str),
}

/// A scenario that cannot be simulated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScenarioError {
    /// The HPA breaks the API server's validation.
    #[error("{0}")]
    Hpa(HpaError),
    #[error("the load profile has no steps")]
    NoSteps,
    #[error("step[{step}] lasts 0 seconds; a step lasts at least 1 second")]
    EmptyStep { step: usize },
    #[error("step[{step}] sets no demand: give requests_per_second, cpu_utilization or queue_depth")]
    NoDemand { step: usize },
    #[error("step[{step}] sets both requests_per_second and cpu_utilization, which both drive CPU: give one")]
    ConflictingDemand { step: usize },
    #[error("step[{step}]: {field} is {value}, but it must be a number of at least 0")]
    NegativeDemand { step: usize, field: &'static str, value: f64 },
    #[error("step[{step}] ({demand}) drives none of the HPA's metrics ({metrics}); {hint}")]
    Undriven { step: usize, demand: String, metrics: String, hint: &'static str },
    #[error("per_pod_capacity must be set when the load is in requests per second: it says how many requests per second one pod serves at its metrics' targets")]
    MissingCapacity,
    #[error("per_pod_capacity is {0}, but it must be greater than 0")]
    InvalidCapacity(f64),
    #[error("initial_replicas is 0; the HPA does not act on a target scaled to zero, so start from at least 1")]
    ZeroInitialReplicas,
    #[error("the load profile lasts {0} s; at most {MAX_DURATION_SECONDS} s (one day) can be simulated")]
    TooLong(u64),
    #[error("pod_startup_seconds is {0}; at most {MAX_DURATION_SECONDS} s is allowed")]
    StartupTooLong(u32),
    #[error("{field} is {value}, but {rule}")]
    Nodes { field: &'static str, value: u32, rule: &'static str },
    #[error("{field} is {value}, but it must {rule}")]
    Controller { field: &'static str, value: f64, rule: &'static str },
}

impl ScenarioError {
    /// The input the error is about.
    pub fn field(&self) -> ScenarioField {
        match self {
            Self::Hpa(_) => ScenarioField::Hpa,
            Self::NoSteps | Self::TooLong(_) => ScenarioField::Load { step: None },
            Self::EmptyStep { step } | Self::NoDemand { step } | Self::ConflictingDemand { step } | Self::NegativeDemand { step, .. } | Self::Undriven { step, .. } => {
                ScenarioField::Load { step: Some(*step) }
            }
            Self::MissingCapacity | Self::InvalidCapacity(_) => ScenarioField::PerPodCapacity,
            Self::ZeroInitialReplicas => ScenarioField::InitialReplicas,
            Self::StartupTooLong(_) => ScenarioField::PodStartupSeconds,
            Self::Nodes { field, .. } => ScenarioField::Nodes(field),
            Self::Controller { field, .. } => ScenarioField::Controller(field),
        }
    }
}

impl Scenario {
    /// A scenario with the controller's defaults, no node limit and instant pod start-up.
    pub fn new(hpa: Hpa, load: LoadProfile) -> Self {
        Self {
            hpa,
            load,
            per_pod_capacity: None,
            initial_replicas: None,
            pod_startup_seconds: 0,
            nodes: None,
            provisioner: Provisioner::ClusterAutoscaler,
            controller: ControllerSettings::default(),
            keda: None,
        }
    }

    pub fn per_pod_capacity(mut self, requests_per_second: f64) -> Self {
        self.per_pod_capacity = Some(requests_per_second);
        self
    }

    pub fn initial_replicas(mut self, replicas: u32) -> Self {
        self.initial_replicas = Some(replicas);
        self
    }

    pub fn pod_startup_seconds(mut self, seconds: u32) -> Self {
        self.pod_startup_seconds = seconds;
        self
    }

    pub fn nodes(mut self, nodes: NodeModel) -> Self {
        self.nodes = Some(nodes);
        self
    }

    pub fn provisioner(mut self, provisioner: Provisioner) -> Self {
        self.provisioner = provisioner;
        self
    }

    /// The replicas at t = 0.
    pub fn starting_replicas(&self) -> u32 {
        self.initial_replicas.unwrap_or(self.hpa.min_replicas)
    }

    /// Every reason the scenario cannot be simulated.
    pub fn validate(&self) -> Vec<ScenarioError> {
        let mut errors: Vec<ScenarioError> = self.hpa.validate().into_iter().map(ScenarioError::Hpa).collect();
        if self.load.steps.is_empty() {
            errors.push(ScenarioError::NoSteps);
        }
        for (step, s) in self.load.steps.iter().enumerate() {
            if s.duration_seconds == 0 {
                errors.push(ScenarioError::EmptyStep { step });
            }
            let d = &s.demand;
            let fields = [("requests_per_second", d.requests_per_second), ("cpu_utilization", d.cpu_utilization), ("queue_depth", d.queue_depth)];
            if fields.iter().all(|(_, v)| v.is_none()) {
                errors.push(ScenarioError::NoDemand { step });
                continue;
            }
            if d.requests_per_second.is_some() && d.cpu_utilization.is_some() {
                errors.push(ScenarioError::ConflictingDemand { step });
            }
            for (field, value) in fields {
                if let Some(value) = value.filter(|v| !(v.is_finite() && *v >= 0.0)) {
                    errors.push(ScenarioError::NegativeDemand { step, field, value });
                }
            }
            if !self.hpa.metrics.iter().any(|m| drives(d, m)) {
                errors.push(ScenarioError::Undriven { step, demand: d.label(), metrics: metric_list(&self.hpa), hint: undriven_hint(d) });
            }
        }
        let duration = self.load.duration_seconds();
        if duration > MAX_DURATION_SECONDS {
            errors.push(ScenarioError::TooLong(duration));
        }
        match self.per_pod_capacity {
            None if self.load.uses_requests_per_second() => errors.push(ScenarioError::MissingCapacity),
            Some(c) if !(c.is_finite() && c > 0.0) => errors.push(ScenarioError::InvalidCapacity(c)),
            _ => {}
        }
        // Zero is a start only where KEDA's idle step can leave it.
        if self.initial_replicas == Some(0) && self.keda.is_none_or(|k| k.idle_replicas != 0) {
            errors.push(ScenarioError::ZeroInitialReplicas);
        }
        if u64::from(self.pod_startup_seconds) > MAX_DURATION_SECONDS {
            errors.push(ScenarioError::StartupTooLong(self.pod_startup_seconds));
        }
        if let Some(n) = &self.nodes {
            if n.pods_per_node == 0 {
                errors.push(ScenarioError::Nodes { field: "pods_per_node", value: 0, rule: "a node must hold at least one pod" });
            }
            if n.max_nodes == 0 {
                errors.push(ScenarioError::Nodes { field: "max_nodes", value: 0, rule: "the node group must allow at least one node" });
            }
            if n.initial_nodes > n.max_nodes {
                errors.push(ScenarioError::Nodes { field: "initial_nodes", value: n.initial_nodes, rule: "it cannot be above max_nodes" });
            }
            if u64::from(n.provision_delay_seconds) > MAX_DURATION_SECONDS {
                errors.push(ScenarioError::Nodes { field: "provision_delay_seconds", value: n.provision_delay_seconds, rule: "at most one day is allowed" });
            }
        }
        let c = &self.controller;
        if !(1..=3600).contains(&c.sync_period_seconds) {
            errors.push(ScenarioError::Controller { field: "sync_period_seconds", value: f64::from(c.sync_period_seconds), rule: "be between 1 and 3600" });
        }
        if !(c.tolerance.is_finite() && (0.0..1.0).contains(&c.tolerance)) {
            errors.push(ScenarioError::Controller { field: "tolerance", value: c.tolerance, rule: "be at least 0 and below 1" });
        }
        if c.downscale_stabilization_seconds > 3600 {
            errors.push(ScenarioError::Controller {
                field: "downscale_stabilization_seconds",
                value: f64::from(c.downscale_stabilization_seconds),
                rule: "be between 0 and 3600",
            });
        }
        errors
    }
}

/// Whether a step's demand moves a metric (see [`load`] for the mapping).
pub fn drives(demand: &Demand, metric: &Metric) -> bool {
    let cpu = matches!(&metric.source, MetricSource::Resource(n) | MetricSource::ContainerResource(n) if n == "cpu");
    match (&metric.source, metric.target) {
        (source, MetricTarget::Utilization(_)) if source.per_pod() => demand.requests_per_second.is_some() || (cpu && demand.cpu_utilization.is_some()),
        (source, MetricTarget::AverageValue(_)) if source.per_pod() => demand.requests_per_second.is_some(),
        (MetricSource::Object(_) | MetricSource::External(_), MetricTarget::AverageValue(_) | MetricTarget::Value(_)) => demand.queue_depth.is_some(),
        _ => false,
    }
}

fn metric_list(hpa: &Hpa) -> String {
    hpa.metrics.iter().map(|m| format!("{} {}", m.source.kind(), m.source.name())).collect::<Vec<_>>().join(", ")
}

fn undriven_hint(demand: &Demand) -> &'static str {
    if demand.queue_depth.is_some() {
        "queue_depth drives Object and External metrics with a Value or AverageValue target"
    } else if demand.cpu_utilization.is_some() {
        "cpu_utilization drives cpu Resource metrics with a Utilization target"
    } else {
        "requests_per_second drives Resource, ContainerResource and Pods metrics"
    }
}

/// Runs the scenario: one HPA sync every `sync_period_seconds` from t = 0 while the load profile
/// lasts, pods and nodes changing at their exact seconds in between.
///
/// # Errors
/// Every problem [`Scenario::validate`] finds; nothing is simulated then.
pub fn simulate(scenario: &Scenario) -> Result<Simulation, Vec<ScenarioError>> {
    let errors = scenario.validate();
    if !errors.is_empty() {
        return Err(errors);
    }
    let initial = scenario.starting_replicas();
    let mut cluster = Cluster::new(initial, scenario.pod_startup_seconds, scenario.nodes, scenario.provisioner);
    let mut controller = Controller::new(&scenario.hpa, scenario.controller, initial);
    let mut load = LoadCursor::new(&scenario.load);
    let duration = scenario.load.duration_seconds();
    let period = u64::from(scenario.controller.sync_period_seconds);
    let mut timeline = Vec::with_capacity(usize::try_from(duration / period + 1).unwrap_or(0));
    // HPA syncs every `period`; with KEDA, its polls too (both from t = 0; at the same second the
    // poll comes first, so a workload KEDA activates is synced by the HPA at once).
    let polling = scenario.keda.map(|k| u64::from(k.polling_interval_seconds.max(1)));
    let mut idle_step = scenario.keda.map(|k| IdleStep::new(k, scenario.hpa.min_replicas));
    let (mut next_sync, mut next_poll) = (0, polling.map_or(u64::MAX, |_| 0));
    loop {
        let t = next_sync.min(next_poll);
        if t >= duration {
            break;
        }
        cluster.advance_to(t);
        let demand = load.at(t);
        if t == next_poll {
            if let Some(step) = idle_step.as_mut()
                && let Some(replicas) = step.poll(t, cluster.pods(), demand)
            {
                cluster.scale_to(t, replicas);
            }
            next_poll += polling.unwrap_or(u64::MAX);
        }
        if t == next_sync {
            let observed = Observation { current: cluster.pods(), ready: cluster.ready(), demand, per_pod_capacity: scenario.per_pod_capacity };
            let time = i64::try_from(t).unwrap_or(i64::MAX);
            if let Some(desired) = controller.sync(time, &observed) {
                cluster.scale_to(t, desired);
            }
            next_sync += period;
        }
        timeline.push(TimelinePoint {
            time_seconds: t,
            desired_replicas: cluster.pods(),
            ready_pods: cluster.ready(),
            pending_pods: cluster.pending(),
            nodes: cluster.nodes(),
            demand: demand.map(Demand::label).unwrap_or_default(),
        });
    }
    cluster.advance_to(duration);
    Ok(Simulation { max_replicas: scenario.hpa.max_replicas, duration_seconds: duration, timeline, ready_history: cluster.ready_history().to_vec() })
}

/// KEDA's 0 ↔ 1 step at its polls: activate from idle when the queue is above the activation
/// value, return to idle at the first poll `cooldownPeriod` after the last active one.
struct IdleStep {
    scaling: KedaScaling,
    /// The generated HPA's minimum: where activation puts the workload.
    active_replicas: u32,
    /// The last poll that found a trigger active; the start counts as one (the ScaledObject is
    /// created with its workload as it is).
    last_active: u64,
}

impl IdleStep {
    fn new(scaling: KedaScaling, active_replicas: u32) -> Self {
        Self { scaling, active_replicas, last_active: 0 }
    }

    /// The replicas KEDA sets at this poll, if it sets any.
    fn poll(&mut self, t: u64, current: u32, demand: Option<&Demand>) -> Option<u32> {
        let k = self.scaling;
        let active = demand.and_then(|d| d.queue_depth).is_some_and(|depth| depth > k.activation_value);
        if active {
            self.last_active = t;
            return (current <= k.idle_replicas).then_some(self.active_replicas.max(current));
        }
        let cooled = t >= u64::from(k.initial_cooldown_period_seconds) && t - self.last_active >= u64::from(k.cooldown_period_seconds);
        (cooled && current > k.idle_replicas).then_some(k.idle_replicas)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn cpu_hpa(min: u32, max: u32) -> Hpa {
        Hpa {
            min_replicas: min,
            max_replicas: max,
            metrics: vec![Metric { source: MetricSource::Resource("cpu".into()), target: MetricTarget::Utilization(70.0) }],
            behavior: Some(Behavior::defaults()),
        }
    }

    fn steps(list: &[(u32, Demand)]) -> LoadProfile {
        LoadProfile::new(list.iter().map(|(d, demand)| LoadStep { duration_seconds: *d, demand: *demand }).collect())
    }

    #[test]
    fn the_one_minute_spike_holds_four_syncs_and_peaks_at_48() {
        let scenario = Scenario::new(cpu_hpa(2, 50), LoadProfile::named("spike").unwrap()).per_pod_capacity(60.0);
        let sim = simulate(&scenario).unwrap();
        let desired: Vec<u32> = sim.timeline.iter().map(|p| p.desired_replicas).collect();
        // 100 req/s on 2 pods reads 58 % against 70 %: −17 %, but ceil(1.67) = 2 = min. The spike
        // covers [120 s, 180 s): syncs at 120, 135, 150 and 165 s take 2 → 6 → 12 → 24 → 48. At
        // 180 s the load is back to 100 req/s and the 300 s scale-down window holds 48 to the end.
        assert_eq!(&desired[..8], &[2; 8]);
        assert_eq!(&desired[8..12], &[6, 12, 24, 48]);
        assert!(desired[12..].iter().all(|&d| d == 48), "{desired:?}");
        assert_eq!(sim.time_to_max(), None);
        assert_eq!(sim.peak_replicas(), 48);
        assert_eq!(sim.time_to_reach(48, Counting::ReadyPods, 120), Some(165));
        assert_eq!(sim.timeline.len(), 20);
    }

    #[test]
    fn start_up_delay_and_full_nodes_slow_the_ready_pods() {
        // 30 s start-up, 10 pods per node, 1 node, at most 3, 120 s to provision.
        let nodes = NodeModel { pods_per_node: 10, initial_nodes: 1, max_nodes: 3, provision_delay_seconds: 120 };
        let scenario = Scenario::new(cpu_hpa(2, 50), steps(&[(600, Demand::cpu_utilization(700.0))])).pod_startup_seconds(30).nodes(nodes);
        let sim = simulate(&scenario).unwrap();
        // Desired: 2 → 6 (0 s); at 15 s 2 ready + 4 starting read 700 × 2/6 = 233 % → 12 (limit);
        // 12 > 10 slots: 2 pending, one node asked for at 15 s, ready at 135 s.
        assert_eq!(sim.timeline[0].desired_replicas, 6);
        assert_eq!(sim.timeline[1].desired_replicas, 12);
        assert_eq!(sim.timeline[1].pending_pods, 2);
        assert_eq!(sim.time_to_reach(6, Counting::ReadyPods, 0), Some(30));
        assert_eq!(sim.time_to_reach(10, Counting::ReadyPods, 0), Some(45));
        // The third node arrives 120 s after the pods that needed it; 30 pods fit at most.
        assert_eq!(sim.peak_nodes(), Some(3));
        assert_eq!(sim.time_to_max_ready(), None);
        assert_eq!(sim.timeline.last().unwrap().ready_pods, 30);
        assert_eq!(sim.timeline.last().unwrap().pending_pods, 20);
    }

    #[test]
    fn bad_scenarios_name_their_field() {
        let mut scenario = Scenario::new(cpu_hpa(2, 50), steps(&[(0, Demand::requests_per_second(-1.0)), (60, Demand::queue_depth(10.0)), (60, Demand::default())]));
        scenario.per_pod_capacity = Some(-3.0);
        scenario.nodes = Some(NodeModel { pods_per_node: 0, initial_nodes: 4, max_nodes: 3, provision_delay_seconds: 60 });
        scenario.controller.tolerance = 1.5;
        let fields: Vec<ScenarioField> = scenario.validate().iter().map(ScenarioError::field).collect();
        assert_eq!(
            fields,
            vec![
                ScenarioField::Load { step: Some(0) },
                ScenarioField::Load { step: Some(0) },
                ScenarioField::Load { step: Some(1) },
                ScenarioField::Load { step: Some(2) },
                ScenarioField::PerPodCapacity,
                ScenarioField::Nodes("pods_per_node"),
                ScenarioField::Nodes("initial_nodes"),
                ScenarioField::Controller("tolerance"),
            ]
        );
        let errors = scenario.validate();
        assert!(errors[2].to_string().contains("drives none of the HPA's metrics (Resource cpu)"), "{}", errors[2]);
        let missing = Scenario::new(cpu_hpa(2, 50), LoadProfile::named("ramp").unwrap());
        assert_eq!(missing.validate(), vec![ScenarioError::MissingCapacity]);
    }

    #[test]
    fn an_hour_takes_well_under_a_millisecond() {
        // Not a benchmark (debug builds are slow and the machine is shared): a guard against an
        // accidental quadratic. The release-mode figure belongs to the bench.
        let mut behavior = Behavior::defaults();
        behavior.scale_down.stabilization_window_seconds = Some(3600);
        let hpa = Hpa { behavior: Some(behavior), ..cpu_hpa(2, 500) };
        let load = steps(&[(1200, Demand::requests_per_second(30_000.0)), (1200, Demand::requests_per_second(100.0)), (1200, Demand::requests_per_second(9_000.0))]);
        let nodes = NodeModel { pods_per_node: 8, initial_nodes: 1, max_nodes: 100, provision_delay_seconds: 150 };
        let scenario = Scenario::new(hpa, load).per_pod_capacity(60.0).pod_startup_seconds(40).nodes(nodes);
        let started = std::time::Instant::now();
        let runs = 20;
        for _ in 0..runs {
            let sim = simulate(&scenario).unwrap();
            assert_eq!(sim.timeline.len(), 240);
        }
        let each = started.elapsed() / runs;
        eprintln!("one simulated hour (240 syncs, 3600 s window, node model): {each:?} per run, debug build");
        assert!(each < std::time::Duration::from_millis(20), "one simulated hour took {each:?} in a debug build");
    }
}

//! The HPA controller's decision at one sync, following kube-controller-manager's
//! podautoscaler (horizontal.go, replica_calculator.go) step by step:
//!
//! 1. Outside `[minReplicas, maxReplicas]` the target is simply brought back inside.
//! 2. Each metric proposes a replica count (no change while |ratio − 1| ≤ tolerance); the largest
//!    proposal wins. Metrics the load does not drive propose nothing.
//! 3. With `behavior`: the proposal is stabilized (scale-up to the minimum of the recommendations
//!    within the scaleUp window, scale-down to the maximum within the scaleDown window), then
//!    rate-limited per policy from the replicas at the start of each policy's period
//!    (current − added in the period + removed in the period), `selectPolicy` choosing among
//!    policies, and clamped to `[min, max]`. Without `behavior`: the maximum recommendation within
//!    the downscale window, capped at max(2 × current, 4), clamped to `[min, max]`.
//!
//! Time convention: a recommendation or scale event exactly one window or period old no longer
//! counts. The controller compares timestamps strictly (`After(cutoff)`), and since each sync
//! starts 15 s after the previous one *ended*, an event recorded k syncs ago is always slightly
//! more than 15·k s old when it is looked at. So with the default 15 s policies, each sync starts
//! from the replicas it finds, as the documented 2 → 6 → 12 → 24 sequence shows.

use super::hpa::{Behavior, Hpa, MetricSource, MetricTarget, PolicyKind, ScalingRules, SelectPolicy};
use super::load::Demand;

/// The kube-controller-manager flags the HPA controller reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ControllerSettings {
    /// `--horizontal-pod-autoscaler-sync-period` [15 s].
    pub sync_period_seconds: u32,
    /// `--horizontal-pod-autoscaler-tolerance` [0.1].
    pub tolerance: f64,
    /// `--horizontal-pod-autoscaler-downscale-stabilization` [300 s]: the scale-down window when
    /// `behavior` leaves it out, and the legacy path's window.
    pub downscale_stabilization_seconds: u32,
}

impl Default for ControllerSettings {
    fn default() -> Self {
        Self { sync_period_seconds: 15, tolerance: 0.1, downscale_stabilization_seconds: 300 }
    }
}

/// What the controller sees at a sync.
pub(crate) struct Observation<'a> {
    /// The scale target's spec replicas (pods created, ready or not).
    pub current: u32,
    /// Pods running and ready.
    pub ready: u32,
    pub demand: Option<&'a Demand>,
    /// Requests per second one pod serves at exactly its metrics' targets.
    pub per_pod_capacity: Option<f64>,
}

#[derive(Clone, Copy)]
struct Recommendation {
    at: i64,
    replicas: i64,
}

#[derive(Clone, Copy)]
struct ScaleEvent {
    at: i64,
    change: i64,
    outdated: bool,
}

/// The controller's memory for one HPA: recent recommendations and scale events.
pub(crate) struct Controller<'a> {
    hpa: &'a Hpa,
    settings: ControllerSettings,
    /// Resolved behavior (scale-down window filled from the flag); `None` is the legacy path.
    behavior: Option<Behavior>,
    recommendations: Vec<Recommendation>,
    scale_up_events: Vec<ScaleEvent>,
    scale_down_events: Vec<ScaleEvent>,
}

impl<'a> Controller<'a> {
    /// A controller that, before t = 0, had recommended `steady_replicas` at every sync — the HPA
    /// was settled at the starting replica count when the load profile begins.
    pub(crate) fn new(hpa: &'a Hpa, settings: ControllerSettings, steady_replicas: u32) -> Self {
        let behavior = hpa.behavior.clone().map(|mut b| {
            b.scale_down.stabilization_window_seconds.get_or_insert(settings.downscale_stabilization_seconds);
            b
        });
        let longest_window = match &behavior {
            Some(b) => window(&b.scale_up).max(window(&b.scale_down)),
            None => i64::from(settings.downscale_stabilization_seconds),
        };
        let period = i64::from(settings.sync_period_seconds.max(1));
        let recommendations = (1..=(longest_window + period - 1) / period).map(|k| Recommendation { at: -k * period, replicas: i64::from(steady_replicas) }).collect();
        Self { hpa, settings, behavior, recommendations, scale_up_events: Vec::new(), scale_down_events: Vec::new() }
    }

    /// The replica count the controller sets at time `now`, or `None` when no metric gives a
    /// value (the controller then leaves the target alone).
    pub(crate) fn sync(&mut self, now: i64, observed: &Observation<'_>) -> Option<u32> {
        let current = i64::from(observed.current);
        let min = i64::from(self.hpa.min_replicas);
        let max = i64::from(self.hpa.max_replicas);
        let desired = if current == 0 && min != 0 {
            // The controller treats a target scaled to zero by hand as autoscaling switched off.
            return Some(0);
        } else if current > max {
            max
        } else if current < min {
            min
        } else {
            let mut proposal = None;
            let mut invalid = false;
            for metric in &self.hpa.metrics {
                match self.proposal(&metric.source, metric.target, observed) {
                    Proposal::Undriven => {}
                    Proposal::Invalid => invalid = true,
                    Proposal::Replicas(n) => proposal = proposal.max(Some(n)),
                }
            }
            // No valid metric, or a scale-down while some metric is invalid: the controller
            // reports an error and leaves the target alone.
            let proposal = proposal?;
            if invalid && proposal < current {
                return None;
            }
            match self.behavior.take() {
                Some(behavior) => {
                    let stabilized = self.stabilize(now, current, proposal, &behavior);
                    let limited = self.rate_limit(now, current, stabilized, &behavior);
                    self.behavior = Some(behavior);
                    limited
                }
                None => {
                    let stabilized = self.stabilize_legacy(now, proposal);
                    let cap = (2 * current).max(4).min(max);
                    stabilized.clamp(min.min(cap), cap)
                }
            }
        };
        if desired != current {
            self.record_scale_event(now, current, desired);
        }
        Some(u32::try_from(desired.max(0)).unwrap_or(u32::MAX))
    }

    /// One metric's proposal (replica_calculator.go).
    fn proposal(&self, source: &MetricSource, target: MetricTarget, o: &Observation<'_>) -> Proposal {
        let Some(demand) = o.demand else { return Proposal::Undriven };
        let tolerance = self.settings.tolerance;
        let current = i64::from(o.current);
        let ready = i64::from(o.ready);
        match source {
            MetricSource::Resource(_) | MetricSource::ContainerResource(_) | MetricSource::Pods(_) => {
                let cpu = matches!(source, MetricSource::Resource(n) | MetricSource::ContainerResource(n) if n == "cpu");
                // The pods' average in the target's unit, before the metrics pipeline rounds it.
                let average = match (demand.cpu_utilization, demand.requests_per_second, o.per_pod_capacity, target) {
                    (Some(utilization), _, _, MetricTarget::Utilization(_)) if cpu => Average::Fixed(utilization),
                    (_, Some(rps), Some(capacity), MetricTarget::Utilization(t) | MetricTarget::AverageValue(t)) => Average::Spread(t * rps / capacity),
                    _ => return Proposal::Undriven,
                };
                if ready == 0 {
                    // No ready pod reports a value: the controller counts the metric as invalid.
                    return Proposal::Invalid;
                }
                let (average, target_value, grain) = match (average, target) {
                    (Average::Fixed(u), MetricTarget::Utilization(t)) => (u, t, Grain::Percent),
                    (Average::Spread(total), MetricTarget::Utilization(t)) => (total / ready as f64, t, Grain::Percent),
                    (Average::Spread(total), MetricTarget::AverageValue(a)) => (total / ready as f64, a, Grain::Milli),
                    _ => return Proposal::Undriven,
                };
                Proposal::Replicas(per_pod_replicas(current, ready, average, target_value, grain, tolerance))
            }
            MetricSource::Object(_) | MetricSource::External(_) => {
                let Some(value) = demand.queue_depth else { return Proposal::Undriven };
                match target {
                    MetricTarget::AverageValue(per_pod) => {
                        let ratio = value / (per_pod * current as f64);
                        Proposal::Replicas(if (1.0 - ratio).abs() <= tolerance { current } else { (value / per_pod).ceil() as i64 })
                    }
                    MetricTarget::Value(total) => {
                        let ratio = value / total;
                        if current == 0 {
                            Proposal::Replicas(ratio.ceil() as i64)
                        } else if (1.0 - ratio).abs() <= tolerance {
                            Proposal::Replicas(current)
                        } else if ready == 0 {
                            Proposal::Invalid
                        } else {
                            Proposal::Replicas((ratio * ready as f64).ceil() as i64)
                        }
                    }
                    MetricTarget::Utilization(_) => Proposal::Undriven,
                }
            }
        }
    }

    /// stabilizeRecommendationWithBehaviors: the proposal is held between the lowest
    /// recommendation of the scale-up window and the highest of the scale-down window.
    fn stabilize(&mut self, now: i64, current: i64, proposal: i64, behavior: &Behavior) -> i64 {
        let up_cutoff = now - window(&behavior.scale_up);
        let down_cutoff = now - window(&behavior.scale_down);
        let mut up = proposal;
        let mut down = proposal;
        let mut reusable = None;
        for (i, r) in self.recommendations.iter().enumerate() {
            if r.at > up_cutoff {
                up = up.min(r.replicas);
            }
            if r.at > down_cutoff {
                down = down.max(r.replicas);
            }
            if r.at < up_cutoff && r.at < down_cutoff {
                reusable = Some(i);
            }
        }
        self.remember(reusable, now, proposal);
        current.max(up).min(down)
    }

    /// stabilizeRecommendation (no behavior): the highest recommendation of the downscale window.
    fn stabilize_legacy(&mut self, now: i64, proposal: i64) -> i64 {
        let cutoff = now - i64::from(self.settings.downscale_stabilization_seconds);
        let mut highest = proposal;
        let mut reusable = None;
        for (i, r) in self.recommendations.iter().enumerate() {
            if r.at < cutoff {
                reusable = Some(i);
            } else if r.at > cutoff {
                highest = highest.max(r.replicas);
            }
        }
        self.remember(reusable, now, proposal);
        highest
    }

    fn remember(&mut self, reusable: Option<usize>, now: i64, replicas: i64) {
        let recommendation = Recommendation { at: now, replicas };
        match reusable {
            Some(i) => self.recommendations[i] = recommendation,
            None => self.recommendations.push(recommendation),
        }
    }

    /// convertDesiredReplicasWithBehaviorRate: policy limits, then `[min, max]`.
    fn rate_limit(&self, now: i64, current: i64, desired: i64, behavior: &Behavior) -> i64 {
        let min = i64::from(self.hpa.min_replicas);
        let max = i64::from(self.hpa.max_replicas);
        if desired > current {
            let limit = self.scale_up_limit(now, current, &behavior.scale_up).max(current);
            desired.min(max.min(limit))
        } else if desired < current {
            let limit = self.scale_down_limit(now, current, &behavior.scale_down).min(current);
            desired.max(min.max(limit))
        } else {
            desired
        }
    }

    fn scale_up_limit(&self, now: i64, current: i64, rules: &ScalingRules) -> i64 {
        let proposals = rules.policies.iter().map(|p| {
            let start = self.period_start(now, current, p.period_seconds);
            match p.kind {
                PolicyKind::Pods => start + i64::from(p.value),
                PolicyKind::Percent => (start as f64 * (1.0 + f64::from(p.value) / 100.0)).ceil() as i64,
            }
        });
        match rules.select_policy {
            SelectPolicy::Disabled => current,
            SelectPolicy::Max => proposals.max().unwrap_or(current),
            SelectPolicy::Min => proposals.min().unwrap_or(current),
        }
    }

    fn scale_down_limit(&self, now: i64, current: i64, rules: &ScalingRules) -> i64 {
        let proposals = rules.policies.iter().map(|p| {
            let start = self.period_start(now, current, p.period_seconds);
            match p.kind {
                PolicyKind::Pods => start - i64::from(p.value),
                // Go's int32(float) truncates toward zero.
                PolicyKind::Percent => (start as f64 * (1.0 - f64::from(p.value) / 100.0)).trunc() as i64,
            }
        });
        // The largest change down is the lowest count.
        match rules.select_policy {
            SelectPolicy::Disabled => current,
            SelectPolicy::Max => proposals.min().unwrap_or(current),
            SelectPolicy::Min => proposals.max().unwrap_or(current),
        }
    }

    /// The replicas at the start of a policy's period: current − added + removed within it.
    fn period_start(&self, now: i64, current: i64, period_seconds: u32) -> i64 {
        let cutoff = now - i64::from(period_seconds);
        let within = |events: &[ScaleEvent]| events.iter().filter(|e| e.at > cutoff).map(|e| e.change).sum::<i64>();
        current - within(&self.scale_up_events) + within(&self.scale_down_events)
    }

    /// storeScaleEvent: events older than the direction's longest policy period are marked
    /// outdated and their slots reused, as the controller does.
    fn record_scale_event(&mut self, now: i64, previous: i64, new: i64) {
        let Some(behavior) = &self.behavior else { return };
        let (events, rules, change) = if new > previous {
            (&mut self.scale_up_events, &behavior.scale_up, new - previous)
        } else {
            (&mut self.scale_down_events, &behavior.scale_down, previous - new)
        };
        let longest = rules.policies.iter().map(|p| i64::from(p.period_seconds)).max().unwrap_or(0);
        for event in events.iter_mut() {
            if event.at < now - longest {
                event.outdated = true;
            }
        }
        let event = ScaleEvent { at: now, change, outdated: false };
        match events.iter_mut().find(|e| e.outdated) {
            Some(slot) => *slot = event,
            None => events.push(event),
        }
    }
}

fn window(rules: &ScalingRules) -> i64 {
    i64::from(rules.stabilization_window_seconds.unwrap_or(0))
}

/// A metric's verdict at one sync.
enum Proposal {
    /// The load profile does not move this metric: it takes no part.
    Undriven,
    /// Driven, but no ready pod reports it (the controller's "invalid metric").
    Invalid,
    Replicas(i64),
}

/// How the load sets a per-pod metric.
#[derive(Clone, Copy)]
enum Average {
    /// The average itself, whatever the pod count (`cpu_utilization`).
    Fixed(f64),
    /// A total in the target's unit, shared by the ready pods (`requests_per_second`).
    Spread(f64),
}

/// The resolution at which the metrics pipeline hands a per-pod average to the controller:
/// utilization in whole percent (`int32(total × 100 / requests)`), values in milli-units.
#[derive(Clone, Copy)]
enum Grain {
    Percent,
    Milli,
}

impl Grain {
    fn round(self, x: f64) -> f64 {
        match self {
            Self::Percent => x.floor(),
            Self::Milli => (x * 1000.0).floor() / 1000.0,
        }
    }
}

/// calcPlainMetricReplicas for per-pod metrics, given the ready pods' `average` against `target`.
/// Pods not yet ready are left out on scale-down and counted at zero on scale-up; a scale-up that
/// the not-ready pods would turn around (or bring within tolerance) does not happen. Arithmetic is
/// the controller's own (f64, plain `ceil`).
fn per_pod_replicas(current: i64, ready: i64, average: f64, target: f64, grain: Grain, tolerance: f64) -> i64 {
    let ratio = grain.round(average) / target;
    let unready = current - ready;
    if unready <= 0 || ratio <= 1.0 {
        return if (1.0 - ratio).abs() <= tolerance { current } else { (ratio * ready as f64).ceil() as i64 };
    }
    let diluted = grain.round(average * ready as f64 / current as f64) / target;
    if (1.0 - diluted).abs() <= tolerance || diluted < 1.0 {
        return current;
    }
    ((diluted * current as f64).ceil() as i64).max(current)
}

#[cfg(test)]
mod tests {
    //! Fidelity: sequences computed by hand from the controller's rules.
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::simulate::hpa::{Metric, ScalingPolicy};

    fn cpu_hpa(min: u32, max: u32, behavior: Option<Behavior>) -> Hpa {
        Hpa { min_replicas: min, max_replicas: max, metrics: vec![Metric { source: MetricSource::Resource("cpu".into()), target: MetricTarget::Utilization(50.0) }], behavior }
    }

    fn policy(kind: PolicyKind, value: u32, period_seconds: u32) -> ScalingPolicy {
        ScalingPolicy { kind, value, period_seconds }
    }

    /// Runs syncs every 15 s with pods ready at once, the demand given per sync; returns the
    /// replica count after each sync.
    fn run(hpa: &Hpa, start: u32, demands: &[Demand], capacity: Option<f64>) -> Vec<u32> {
        let mut controller = Controller::new(hpa, ControllerSettings::default(), start);
        let mut replicas = start;
        let mut seen = Vec::new();
        for (i, demand) in demands.iter().enumerate() {
            let observed = Observation { current: replicas, ready: replicas, demand: Some(demand), per_pod_capacity: capacity };
            replicas = controller.sync(15 * i as i64, &observed).unwrap_or(replicas);
            seen.push(replicas);
        }
        seen
    }

    #[test]
    fn default_scale_up_doubles_or_adds_four_per_sync() {
        // Pods 4 and Percent 100 per 15 s, selectPolicy Max; CPU far above target.
        let hpa = cpu_hpa(2, 50, Some(Behavior::defaults()));
        let seen = run(&hpa, 2, &[Demand::cpu_utilization(5000.0); 6], None);
        assert_eq!(seen, vec![6, 12, 24, 48, 50, 50]);
    }

    #[test]
    fn reference_worker_policies_take_twenty_pods_to_fifty_in_one_step() {
        let behavior = Behavior {
            scale_up: ScalingRules { stabilization_window_seconds: Some(0), select_policy: SelectPolicy::Max, policies: vec![policy(PolicyKind::Percent, 200, 30), policy(PolicyKind::Pods, 10, 30)] },
            scale_down: ScalingRules { stabilization_window_seconds: Some(600), select_policy: SelectPolicy::Max, policies: vec![policy(PolicyKind::Percent, 25, 60)] },
        };
        let hpa = Hpa {
            min_replicas: 2,
            max_replicas: 100,
            metrics: vec![Metric { source: MetricSource::External("celery_queue_depth".into()), target: MetricTarget::AverageValue(100.0) }],
            behavior: Some(behavior),
        };
        // 5000 jobs at 100 per pod: 50 wanted; 20 × (1 + 200 %) = 60 allowed.
        assert_eq!(run(&hpa, 20, &[Demand::queue_depth(5000.0)], None), vec![50]);
        // From 5 pods the 30 s period matters: 5 → 15 (Percent 200) at 0 s; at 15 s the period
        // still holds the +10, so the start is 5 and the limit stays 15; at 30 s the event is
        // exactly one period old and drops out: 15 → 45; at 60 s: 50.
        assert_eq!(run(&hpa, 5, &[Demand::queue_depth(5000.0); 5], None), vec![15, 15, 45, 45, 50]);
    }

    #[test]
    fn the_legacy_path_caps_at_twice_or_four() {
        let hpa = cpu_hpa(1, 100, None);
        assert_eq!(run(&hpa, 1, &[Demand::cpu_utilization(10_000.0); 6], None), vec![4, 8, 16, 32, 64, 100]);
    }

    #[test]
    fn tolerance_holds_within_ten_percent() {
        let hpa = cpu_hpa(1, 50, Some(Behavior::defaults()));
        // 10 pods at a 50 % target: 54 % (+8 %) holds, 56 % (+12 %) scales to ceil(11.2).
        assert_eq!(run(&hpa, 10, &[Demand::cpu_utilization(54.0)], None), vec![10]);
        assert_eq!(run(&hpa, 10, &[Demand::cpu_utilization(54.9)], None), vec![10], "utilization arrives in whole percent");
        assert_eq!(run(&hpa, 10, &[Demand::cpu_utilization(56.0)], None), vec![12]);
        // Requests: 10 pods × 100 req/s at target; 1090 req/s reads 54 %, 1150 req/s 57 %.
        assert_eq!(run(&hpa, 10, &[Demand::requests_per_second(1090.0)], Some(100.0)), vec![10]);
        assert_eq!(run(&hpa, 10, &[Demand::requests_per_second(1150.0)], Some(100.0)), vec![12]);
        // Down, with a zero window so that the raw decision shows: 45 % (−10 %) holds, 44 % goes
        // to ceil(8.8).
        let mut behavior = Behavior::defaults();
        behavior.scale_down.stabilization_window_seconds = Some(0);
        let hpa = cpu_hpa(1, 50, Some(behavior));
        assert_eq!(run(&hpa, 10, &[Demand::cpu_utilization(45.0)], None), vec![10]);
        assert_eq!(run(&hpa, 10, &[Demand::cpu_utilization(44.0)], None), vec![9]);
    }

    #[test]
    fn the_scale_down_window_holds_for_its_length() {
        // Window 60 s, steady at 10 before t = 0; the load falls to a fifth at t = 0.
        let mut behavior = Behavior::defaults();
        behavior.scale_down.stabilization_window_seconds = Some(60);
        let hpa = cpu_hpa(1, 50, Some(behavior));
        let seen = run(&hpa, 10, &[Demand::requests_per_second(200.0); 6], Some(100.0));
        // Recommendations of 10 were made at −15, −30, −45: the one at −15 s counts until it is
        // exactly 60 s old, at 45 s. Then Percent 100 per 15 s allows all the way to 2.
        assert_eq!(seen, vec![10, 10, 10, 2, 2, 2]);

        // With a high load for a while then a drop: the last high recommendation (at 30 s) holds
        // the replicas until 90 s.
        let mut demands = vec![Demand::requests_per_second(1000.0); 3];
        demands.extend([Demand::requests_per_second(200.0); 6]);
        let seen = run(&hpa, 10, &demands, Some(100.0));
        assert_eq!(seen, vec![10, 10, 10, 10, 10, 10, 2, 2, 2]);
    }

    #[test]
    fn the_scale_up_window_takes_the_lowest_recent_recommendation() {
        let mut behavior = Behavior::defaults();
        behavior.scale_up.stabilization_window_seconds = Some(30);
        let hpa = cpu_hpa(1, 50, Some(behavior));
        // Steady at 4; demand jumps to 8 pods' worth. At 0 s the window (−30 s, 0 s] still holds
        // the 4 recommended at −15 s, so the replicas stay; at 15 s it holds only 8s, and the rate
        // limit allows 8 (4 + 4, or 4 × 2).
        let seen = run(&hpa, 4, &[Demand::requests_per_second(800.0); 3], Some(100.0));
        assert_eq!(seen, vec![4, 8, 8]);
    }

    #[test]
    fn scale_down_policies_with_select_policy_min_and_max() {
        let rules = |select_policy| Behavior {
            scale_up: ScalingRules::default_scale_up(),
            scale_down: ScalingRules {
                stabilization_window_seconds: Some(0),
                select_policy,
                policies: vec![policy(PolicyKind::Percent, 50, 15), policy(PolicyKind::Pods, 2, 15)],
            },
        };
        let low = [Demand::requests_per_second(100.0); 4];
        // The load wants 1 pod. Max takes the larger drop each sync: 20 → 10 (−50 % beats −2)
        // → 5 → 2 (floor(2.5) beats 5 − 2) → 1 (the minimum).
        assert_eq!(run(&cpu_hpa(1, 50, Some(rules(SelectPolicy::Max))), 20, &low, Some(100.0)), vec![10, 5, 2, 1]);
        // Min: the smaller drop: 20 → 18 (−2 beats −10) → 16 → 14 → 12.
        assert_eq!(run(&cpu_hpa(1, 50, Some(rules(SelectPolicy::Min))), 20, &low, Some(100.0)), vec![18, 16, 14, 12]);
        // Disabled: never down.
        assert_eq!(run(&cpu_hpa(1, 50, Some(rules(SelectPolicy::Disabled))), 20, &low, Some(100.0)), vec![20, 20, 20, 20]);
    }

    #[test]
    fn scale_up_select_policy_min_and_disabled() {
        let mut behavior = Behavior::defaults();
        behavior.scale_up.select_policy = SelectPolicy::Min;
        let hpa = cpu_hpa(2, 50, Some(behavior.clone()));
        // Min of (start + 4, start × 2): 2 → 4 → 8 → 12 → 16.
        assert_eq!(run(&hpa, 2, &[Demand::cpu_utilization(5000.0); 4], None), vec![4, 8, 12, 16]);
        behavior.scale_up.select_policy = SelectPolicy::Disabled;
        let hpa = cpu_hpa(2, 50, Some(behavior));
        assert_eq!(run(&hpa, 2, &[Demand::cpu_utilization(5000.0); 3], None), vec![2, 2, 2]);
    }

    #[test]
    fn a_longer_period_counts_what_was_added_within_it() {
        let mut behavior = Behavior::defaults();
        behavior.scale_up.policies = vec![policy(PolicyKind::Pods, 5, 60)];
        let hpa = cpu_hpa(1, 50, Some(behavior));
        // +5 per 60 s: 2 → 7 at 0 s, held at 15/30/45 s, the event drops out at 60 s → 12.
        assert_eq!(run(&hpa, 2, &[Demand::cpu_utilization(5000.0); 6], None), vec![7, 7, 7, 7, 12, 12]);
    }

    #[test]
    fn outside_the_bounds_the_target_is_brought_back_first() {
        let hpa = cpu_hpa(3, 10, Some(Behavior::defaults()));
        assert_eq!(run(&hpa, 1, &[Demand::cpu_utilization(50.0)], None), vec![3]);
        assert_eq!(run(&hpa, 40, &[Demand::cpu_utilization(50.0)], None), vec![10]);
    }

    #[test]
    fn several_metrics_take_the_largest_proposal() {
        let hpa = Hpa {
            min_replicas: 1,
            max_replicas: 100,
            metrics: vec![
                Metric { source: MetricSource::Resource("cpu".into()), target: MetricTarget::Utilization(70.0) },
                Metric { source: MetricSource::External("queue".into()), target: MetricTarget::AverageValue(100.0) },
            ],
            behavior: Some(Behavior { scale_up: ScalingRules { policies: vec![policy(PolicyKind::Percent, 1000, 15)], ..ScalingRules::default_scale_up() }, ..Behavior::defaults() }),
        };
        // CPU wants ceil(10 × 140 / 70) = 20; the queue wants 30.
        let both = Demand { cpu_utilization: Some(140.0), queue_depth: Some(3000.0), ..Demand::default() };
        assert_eq!(run(&hpa, 10, &[both], None), vec![30]);
        let both = Demand { cpu_utilization: Some(280.0), queue_depth: Some(3000.0), ..Demand::default() };
        assert_eq!(run(&hpa, 10, &[both], None), vec![40]);
    }

    #[test]
    fn not_ready_pods_count_as_idle_on_scale_up() {
        let replicas = |current, ready, average| per_pod_replicas(current, ready, average, 50.0, Grain::Percent, 0.1);
        assert_eq!(replicas(10, 10, 100.0), 20);
        // 10 pods of which 5 ready at twice the target: with the 5 starting pods at zero the
        // average is on target → no change.
        assert_eq!(replicas(10, 5, 100.0), 10);
        // 5 of 10 ready at four times the target: ceil(4 × 5) = 20.
        assert_eq!(replicas(10, 5, 200.0), 20);
        // Scale-down ignores the not-ready pods: 3 ready at half the target → ceil(1.5) = 2.
        assert_eq!(replicas(10, 3, 25.0), 2);
    }

    #[test]
    fn an_invalid_metric_blocks_scale_down_but_not_scale_up() {
        let hpa = Hpa {
            min_replicas: 1,
            max_replicas: 50,
            metrics: vec![
                Metric { source: MetricSource::Resource("cpu".into()), target: MetricTarget::Utilization(50.0) },
                Metric { source: MetricSource::External("queue".into()), target: MetricTarget::AverageValue(100.0) },
            ],
            behavior: Some(Behavior { scale_down: ScalingRules { stabilization_window_seconds: Some(0), ..ScalingRules::default_scale_down() }, ..Behavior::defaults() }),
        };
        let mut controller = Controller::new(&hpa, ControllerSettings::default(), 10);
        // No pod is ready, so the per-pod CPU metric is invalid. The queue alone wants 1 pod:
        // a scale-down with an invalid metric does not happen.
        let low = Demand { requests_per_second: Some(10.0), queue_depth: Some(20.0), ..Demand::default() };
        let observed = Observation { current: 10, ready: 0, demand: Some(&low), per_pod_capacity: Some(100.0) };
        assert_eq!(controller.sync(0, &observed), None);
        // The queue wants 30: a scale-up goes ahead (rate-limited to 10 × 2).
        let high = Demand { requests_per_second: Some(10.0), queue_depth: Some(3000.0), ..Demand::default() };
        let observed = Observation { current: 10, ready: 0, demand: Some(&high), per_pod_capacity: Some(100.0) };
        assert_eq!(controller.sync(15, &observed), Some(20));
    }

    #[test]
    fn undriven_metrics_leave_the_target_alone() {
        let hpa = cpu_hpa(1, 10, Some(Behavior::defaults()));
        let mut controller = Controller::new(&hpa, ControllerSettings::default(), 4);
        let queue = Demand::queue_depth(1000.0);
        let observed = Observation { current: 4, ready: 4, demand: Some(&queue), per_pod_capacity: None };
        assert_eq!(controller.sync(0, &observed), None);
    }
}

//! What a simulation produced: the timeline of syncs, the exact history of ready pods, the
//! headline numbers, expectation checks and the compact table shown in diagnostics.

use std::fmt::Write as _;

/// The state right after the HPA's sync at `time_seconds`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelinePoint {
    pub time_seconds: u64,
    /// The replicas the HPA set at this sync (the Deployment's spec).
    pub desired_replicas: u32,
    /// Pods running and ready.
    pub ready_pods: u32,
    /// Pods that no node can hold yet (waiting for the Cluster Autoscaler).
    pub pending_pods: u32,
    /// Ready nodes; `None` without a node model.
    pub nodes: Option<u32>,
    /// The demand in force, as a short label ("10000 rps").
    pub demand: String,
}

/// The result of [`simulate`](super::simulate).
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    pub max_replicas: u32,
    /// The load profile's length; syncs happen at 0, period, 2 × period, … before it.
    pub duration_seconds: u64,
    /// One point per sync.
    pub timeline: Vec<TimelinePoint>,
    /// (time, ready pods) at every change, exact to the second, up to `duration_seconds`.
    pub ready_history: Vec<(u64, u32)>,
}

/// What an expectation counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    /// Pods running and ready (serving traffic).
    ReadyPods,
    /// Replicas the HPA asked for (pods may still be pending or starting).
    DesiredReplicas,
}

impl Counting {
    /// The name used in configuration and the timeline.
    pub fn name(self) -> &'static str {
        match self {
            Self::ReadyPods => "ready_pods",
            Self::DesiredReplicas => "desired_replicas",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Self::ReadyPods => "ready pods",
            Self::DesiredReplicas => "desired replicas",
        }
    }
}

/// "At least `replicas` within `within_seconds` of `from_seconds`".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expectation {
    pub replicas: u32,
    pub within_seconds: u64,
    /// Where the clock starts (e.g. 120 for the spike profile's spike).
    pub from_seconds: u64,
    pub counting: Counting,
}

impl Expectation {
    /// At least `replicas` ready pods within `within_seconds` of the start.
    pub fn ready(replicas: u32, within_seconds: u64) -> Self {
        Self { replicas, within_seconds, from_seconds: 0, counting: Counting::ReadyPods }
    }

    /// Starts the clock at `from_seconds` instead of 0.
    pub fn from(mut self, from_seconds: u64) -> Self {
        self.from_seconds = from_seconds;
        self
    }

    /// Counts desired replicas instead of ready pods.
    pub fn desired(mut self) -> Self {
        self.counting = Counting::DesiredReplicas;
        self
    }
}

/// An expectation checked against a simulation. `summary` and `detail` are ready to become a
/// diagnostic (error or warning, as the caller decides) when `met` is false.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    pub met: bool,
    /// Seconds after `from_seconds` at which the count was first reached; `None` if never.
    pub reached_after_seconds: Option<u64>,
    pub summary: String,
    /// Explanation plus the timeline table.
    pub detail: String,
}

impl Simulation {
    /// When the HPA first asked for `max_replicas` (seconds from the start), if it did.
    pub fn time_to_max(&self) -> Option<u64> {
        self.time_to_reach(self.max_replicas, Counting::DesiredReplicas, 0)
    }

    /// When `max_replicas` pods were first ready, if they were.
    pub fn time_to_max_ready(&self) -> Option<u64> {
        self.time_to_reach(self.max_replicas, Counting::ReadyPods, 0)
    }

    /// The most replicas the HPA asked for.
    pub fn peak_replicas(&self) -> u32 {
        self.timeline.iter().map(|p| p.desired_replicas).max().unwrap_or(0)
    }

    /// The most ready nodes; `None` without a node model.
    pub fn peak_nodes(&self) -> Option<u32> {
        self.timeline.iter().filter_map(|p| p.nodes).max()
    }

    /// The first moment at or after `from_seconds` when the count was at least `replicas`
    /// (absolute seconds). Ready pods are exact to the second; desired replicas change at syncs.
    pub fn time_to_reach(&self, replicas: u32, counting: Counting, from_seconds: u64) -> Option<u64> {
        match counting {
            Counting::DesiredReplicas => {
                let before = self.timeline.iter().take_while(|p| p.time_seconds <= from_seconds).last();
                if before.is_some_and(|p| p.desired_replicas >= replicas) {
                    return Some(from_seconds);
                }
                self.timeline.iter().find(|p| p.time_seconds > from_seconds && p.desired_replicas >= replicas).map(|p| p.time_seconds)
            }
            Counting::ReadyPods => {
                let before = self.ready_history.iter().take_while(|(t, _)| *t <= from_seconds).last();
                if before.is_some_and(|(_, n)| *n >= replicas) {
                    return Some(from_seconds);
                }
                self.ready_history.iter().find(|(t, n)| *t > from_seconds && *n >= replicas).map(|(t, _)| *t)
            }
        }
    }

    /// Checks an expectation; `label` names the scenario in messages ("the spike profile").
    pub fn check(&self, expectation: &Expectation, label: &str) -> CheckOutcome {
        let Expectation { replicas, within_seconds, from_seconds, counting } = *expectation;
        let reached = self.time_to_reach(replicas, counting, from_seconds).map(|t| t - from_seconds);
        let met = reached.is_some_and(|after| after <= within_seconds);
        let noun = counting.noun();
        let clock = if from_seconds == 0 { String::new() } else { format!(" of t = {from_seconds} s") };
        let summary = if met {
            format!("{replicas} {noun} reached within {within_seconds} s{clock}")
        } else {
            format!("The HPA does not reach {replicas} {noun} within {within_seconds} s{clock}")
        };
        let mut detail = match reached {
            Some(after) if met => format!("Under {label}, {replicas} {noun} are reached {after} s after t = {from_seconds} s."),
            Some(after) => format!("Under {label}, {replicas} {noun} are reached {after} s after t = {from_seconds} s, not within {within_seconds} s."),
            None => format!(
                "Under {label}, {replicas} {noun} are never reached in the {} s simulated (peak: {} desired replicas).",
                self.duration_seconds,
                self.peak_replicas()
            ),
        };
        if replicas > self.max_replicas {
            let _ = write!(detail, " maxReplicas is {}, so {replicas} can never be reached.", self.max_replicas);
        }
        detail.push_str("\n\nSimulated timeline (rows where something changes):\n");
        detail.push_str(&self.table());
        CheckOutcome { met, reached_after_seconds: reached, summary, detail }
    }

    /// The timeline as a compact text table: the first and last syncs and every sync where
    /// something changed, at most about 40 rows.
    pub fn table(&self) -> String {
        const MAX_ROWS: usize = 40;
        let with_nodes = self.timeline.iter().any(|p| p.nodes.is_some());
        let mut rows: Vec<&TimelinePoint> = Vec::new();
        for (i, point) in self.timeline.iter().enumerate() {
            let changed = rows.last().is_none_or(|last| {
                (last.desired_replicas, last.ready_pods, last.pending_pods, last.nodes, &last.demand)
                    != (point.desired_replicas, point.ready_pods, point.pending_pods, point.nodes, &point.demand)
            });
            if changed || i + 1 == self.timeline.len() {
                rows.push(point);
            }
        }
        let mut out = String::new();
        let _ = write!(out, "{:>6}  {:>7}  {:>5}  {:>7}", "time", "desired", "ready", "pending");
        if with_nodes {
            let _ = write!(out, "  {:>5}", "nodes");
        }
        out.push_str("  load\n");
        let skipped = rows.len().saturating_sub(MAX_ROWS);
        for (i, point) in rows.iter().enumerate() {
            if skipped > 0 && i == MAX_ROWS / 2 {
                let _ = writeln!(out, "{:>6}  ({skipped} more rows)", "…");
            }
            if skipped > 0 && i >= MAX_ROWS / 2 && i < MAX_ROWS / 2 + skipped {
                continue;
            }
            let _ = write!(out, "{:>5}s  {:>7}  {:>5}  {:>7}", point.time_seconds, point.desired_replicas, point.ready_pods, point.pending_pods);
            if with_nodes {
                let _ = write!(out, "  {:>5}", point.nodes.unwrap_or(0));
            }
            let _ = writeln!(out, "  {}", point.demand);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(time_seconds: u64, desired_replicas: u32, ready_pods: u32) -> TimelinePoint {
        TimelinePoint { time_seconds, desired_replicas, ready_pods, pending_pods: 0, nodes: None, demand: "100 rps".into() }
    }

    fn sample() -> Simulation {
        Simulation {
            max_replicas: 10,
            duration_seconds: 60,
            timeline: vec![point(0, 2, 2), point(15, 6, 2), point(30, 10, 6), point(45, 10, 6)],
            ready_history: vec![(0, 2), (40, 6), (55, 10)],
        }
    }

    #[test]
    fn reach_times_use_syncs_for_desired_and_exact_seconds_for_ready() {
        let sim = sample();
        assert_eq!(sim.time_to_max(), Some(30));
        assert_eq!(sim.time_to_max_ready(), Some(55));
        assert_eq!(sim.time_to_reach(6, Counting::ReadyPods, 0), Some(40));
        assert_eq!(sim.time_to_reach(6, Counting::ReadyPods, 50), Some(50), "already there when the clock starts");
        assert_eq!(sim.time_to_reach(11, Counting::DesiredReplicas, 0), None);
        assert_eq!(sim.peak_replicas(), 10);
        assert_eq!(sim.peak_nodes(), None);
    }

    #[test]
    fn a_missed_expectation_explains_itself_with_the_timeline() {
        let sim = sample();
        let outcome = sim.check(&Expectation::ready(10, 30), "the test profile");
        assert!(!outcome.met);
        assert_eq!(outcome.reached_after_seconds, Some(55));
        assert_eq!(outcome.summary, "The HPA does not reach 10 ready pods within 30 s");
        assert!(outcome.detail.starts_with("Under the test profile, 10 ready pods are reached 55 s after t = 0 s, not within 30 s."), "{}", outcome.detail);
        assert!(outcome.detail.contains("   30s       10      6        0  100 rps"), "{}", outcome.detail);

        let outcome = sim.check(&Expectation::ready(10, 30).from(20).desired(), "the test profile");
        assert!(outcome.met, "{outcome:?}");
        assert_eq!(outcome.reached_after_seconds, Some(10));

        let outcome = sim.check(&Expectation::ready(12, 600), "the test profile");
        assert!(!outcome.met);
        assert!(outcome.detail.contains("never reached") && outcome.detail.contains("maxReplicas is 10"), "{}", outcome.detail);
    }

    #[test]
    fn the_table_keeps_only_rows_that_change() {
        let table = sample().table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 5, "header + 4 rows (the last is kept although unchanged):\n{table}");
        let long = Simulation {
            max_replicas: 500,
            duration_seconds: 1500,
            timeline: (0..100).map(|i| point(15 * i, i as u32, i as u32)).collect(),
            ready_history: vec![(0, 0)],
        };
        let table = long.table();
        assert_eq!(table.lines().count(), 42, "{table}");
        assert!(table.contains("(60 more rows)"), "{table}");
        assert!(table.lines().last().is_some_and(|l| l.contains("1485s")), "{table}");
    }
}

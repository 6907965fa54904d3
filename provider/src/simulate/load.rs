//! Load profiles: consecutive steps of constant demand, and the seed's three named scenarios.
//!
//! Demand comes in three forms, each driving the metrics it can move:
//! - `requests_per_second`: a fixed load spread over the ready pods. With a per-pod capacity C
//!   (requests per second at which a pod sits exactly at its target), every per-pod metric
//!   (Resource, ContainerResource, Pods — whatever its target type) reads
//!   `load / (ready pods × C)` of its target.
//! - `cpu_utilization`: the average CPU utilization (percent of requests) the pods report,
//!   held at that value whatever the replica count — a load that grows with capacity, or the
//!   "metric far above target" of a what-if. Drives Resource/ContainerResource `cpu` metrics with
//!   a Utilization target.
//! - `queue_depth`: the total value of Object and External metrics (a backlog); jobs are not
//!   worked off by the simulation — the step says what the queue holds.

/// Demand during one step. At least one field is set; `requests_per_second` and
/// `cpu_utilization` both move CPU and so exclude each other.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Demand {
    pub requests_per_second: Option<f64>,
    pub cpu_utilization: Option<f64>,
    pub queue_depth: Option<f64>,
}

impl Demand {
    pub fn requests_per_second(rps: f64) -> Self {
        Self { requests_per_second: Some(rps), ..Self::default() }
    }

    pub fn cpu_utilization(percent: f64) -> Self {
        Self { cpu_utilization: Some(percent), ..Self::default() }
    }

    pub fn queue_depth(depth: f64) -> Self {
        Self { queue_depth: Some(depth), ..Self::default() }
    }

    /// A short text for tables: "10000 rps", "cpu 95%", "queue 5000".
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if let Some(rps) = self.requests_per_second {
            parts.push(format!("{} rps", trim(rps)));
        }
        if let Some(cpu) = self.cpu_utilization {
            parts.push(format!("cpu {}%", trim(cpu)));
        }
        if let Some(depth) = self.queue_depth {
            parts.push(format!("queue {}", trim(depth)));
        }
        parts.join(", ")
    }
}

fn trim(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{n:.0}") } else { format!("{n}") }
}

/// One step of constant demand.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadStep {
    pub duration_seconds: u32,
    pub demand: Demand,
}

/// The load over time: steps one after another, starting at t = 0.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadProfile {
    pub steps: Vec<LoadStep>,
}

/// The named profiles, from the seed's load tests.
pub const NAMED_PROFILES: [&str; 3] = ["sustained", "spike", "ramp"];

impl LoadProfile {
    pub fn new(steps: Vec<LoadStep>) -> Self {
        Self { steps }
    }

    /// A named profile (all in requests per second):
    /// - `sustained`: 1000 req/s for 10 minutes;
    /// - `spike`: 100 req/s for 2 minutes, 10 000 req/s for 1 minute (from t = 120 s), 100 req/s
    ///   for 2 minutes;
    /// - `ramp`: 500 req/s, then +500 each minute, to 5000 req/s in the tenth minute.
    pub fn named(name: &str) -> Option<Self> {
        let rps = |duration_seconds: u32, rps: f64| LoadStep { duration_seconds, demand: Demand::requests_per_second(rps) };
        let steps = match name {
            "sustained" => vec![rps(600, 1000.0)],
            "spike" => vec![rps(120, 100.0), rps(60, 10_000.0), rps(120, 100.0)],
            "ramp" => (1..=10).map(|minute| rps(60, 500.0 * f64::from(minute))).collect(),
            _ => return None,
        };
        Some(Self { steps })
    }

    /// The profile's length in seconds.
    pub fn duration_seconds(&self) -> u64 {
        self.steps.iter().map(|s| u64::from(s.duration_seconds)).sum()
    }

    /// Whether any step is expressed in requests per second (and so needs a per-pod capacity).
    pub fn uses_requests_per_second(&self) -> bool {
        self.steps.iter().any(|s| s.demand.requests_per_second.is_some())
    }
}

/// Walks a profile forward in time without searching from the start each time.
pub(crate) struct LoadCursor<'a> {
    steps: &'a [LoadStep],
    index: usize,
    step_end: u64,
}

impl<'a> LoadCursor<'a> {
    pub(crate) fn new(profile: &'a LoadProfile) -> Self {
        let step_end = profile.steps.first().map_or(0, |s| u64::from(s.duration_seconds));
        Self { steps: &profile.steps, index: 0, step_end }
    }

    /// The demand at time `t` (a step covers `[start, start + duration)`); `t` never decreases.
    pub(crate) fn at(&mut self, t: u64) -> Option<&'a Demand> {
        while t >= self.step_end {
            self.index += 1;
            let step = self.steps.get(self.index)?;
            self.step_end += u64::from(step.duration_seconds);
        }
        self.steps.get(self.index).map(|s| &s.demand)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn named_profiles_match_the_reference_load_tests() {
        let sustained = LoadProfile::named("sustained").unwrap();
        assert_eq!(sustained.duration_seconds(), 600);
        let spike = LoadProfile::named("spike").unwrap();
        let mut cursor = LoadCursor::new(&spike);
        assert_eq!(cursor.at(0).unwrap().requests_per_second, Some(100.0));
        assert_eq!(cursor.at(119).unwrap().requests_per_second, Some(100.0));
        assert_eq!(cursor.at(120).unwrap().requests_per_second, Some(10_000.0));
        assert_eq!(cursor.at(180).unwrap().requests_per_second, Some(100.0));
        assert_eq!(cursor.at(300), None);
        let ramp = LoadProfile::named("ramp").unwrap();
        assert_eq!(ramp.duration_seconds(), 600);
        assert_eq!(ramp.steps[0].demand.requests_per_second, Some(500.0));
        assert_eq!(ramp.steps[1].demand.requests_per_second, Some(1000.0));
        assert_eq!(ramp.steps[9].demand.requests_per_second, Some(5000.0));
        assert!(LoadProfile::named("burst").is_none());
    }

    #[test]
    fn labels() {
        assert_eq!(Demand::requests_per_second(10_000.0).label(), "10000 rps");
        assert_eq!(Demand { cpu_utilization: Some(95.5), queue_depth: Some(5000.0), ..Demand::default() }.label(), "cpu 95.5%, queue 5000");
    }
}

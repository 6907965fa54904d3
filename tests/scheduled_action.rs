//! Acceptance tests of `autoscale_scheduled_action`: basic (with the next-runs preview),
//! disappears, update (drift, and hashicorp/terraform-provider-aws#38983: a changed recurrence
//! gets a fresh start time, never one in the past), import, plan-time errors, and the node-group
//! form.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance::{Workspace, assert_plan_error, aws, emulator, run, unique};
use autoscale::aws::scheduled_actions::{PutScheduledAction, ScheduledAction, delete_scheduled_action, find_scheduled_action, put_scheduled_action};
use autoscale::schedule::{next_occurrence, parse_recurrence, parse_time_zone, parse_timestamp};
use chrono::{DateTime, Datelike, Timelike, Utc};
use serde_json::Value as Json;

fn find(asg: &str, name: &str) -> Option<ScheduledAction> {
    let client = &aws().autoscaling;
    run(find_scheduled_action(client, asg, name)).expect("describing scheduled actions")
}

fn action_config(asg: &str, name: &str, body: &str) -> String {
    format!(
        r#"
resource "autoscale_scheduled_action" "this" {{
  asg_name = "{asg}"
  name     = "{name}"
{body}
}}
"#
    )
}

const WEEKDAY_MORNINGS: &str = r#"
  recurrence       = "0 8 * * MON-FRI"
  time_zone        = "Europe/Paris"
  min_size         = 1
  max_size         = 5
  desired_capacity = 2
"#;

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from(std::time::SystemTime::now())
}

/// next_runs: five runs, ahead, in order, each an 08:00 weekday in Paris, its UTC instant 06:00
/// or 07:00 depending on daylight-saving time, and `local` the same instant as `utc`.
fn assert_paris_weekday_mornings(runs: &Json) {
    let runs = runs.as_array().expect("next_runs is a list");
    assert_eq!(runs.len(), 5, "{runs:?}");
    let paris = parse_time_zone("Europe/Paris").unwrap();
    let mut last = now();
    for run in runs {
        let utc = parse_timestamp(run["utc"].as_str().unwrap()).unwrap();
        let local = DateTime::parse_from_rfc3339(run["local"].as_str().unwrap()).unwrap();
        assert!(utc > last, "runs ahead and in order: {runs:?}");
        assert_eq!(local.with_timezone(&Utc), utc, "local and utc are one instant: {run}");
        assert_eq!(local.offset().local_minus_utc(), utc.with_timezone(&paris).offset().fix().local_minus_utc(), "{run}");
        assert_eq!((local.hour(), local.minute()), (8, 0), "{run}");
        assert!(local.weekday().number_from_monday() <= 5, "{run}");
        assert!(matches!(utc.hour(), 6 | 7), "{run}");
        last = utc;
    }
}

use chrono::Offset;

#[test]
fn basic() {
    let asg = unique("sa-basic");
    acceptance::create_asg(&asg);
    let ws = Workspace::new(&action_config(&asg, "weekday-up", WEEKDAY_MORNINGS));
    ws.apply();
    ws.assert_no_changes();

    let attrs = ws.attrs("autoscale_scheduled_action.this");
    assert_eq!(attrs["id"], Json::from(format!("{asg}/weekday-up")));
    assert!(attrs["arn"].as_str().is_some_and(|a| a.starts_with("arn:aws:autoscaling:")), "{attrs:?}");
    assert_paris_weekday_mornings(&attrs["next_runs"]);

    let found = find(&asg, "weekday-up").expect("the action exists");
    assert_eq!(found.recurrence.as_deref(), Some("0 8 * * MON-FRI"));
    assert_eq!(found.time_zone.as_deref(), Some("Europe/Paris"));
    assert_eq!((found.min_size, found.max_size, found.desired_capacity), (Some(1), Some(5), Some(2)));
    // No start time was configured, and none was sent.
    let puts: Vec<Json> = emulator().call_log_for(&asg).into_iter().filter(|c| c["action"] == "PutScheduledUpdateGroupAction").collect();
    assert_eq!(puts.len(), 1);
    assert!(puts[0]["params"].get("StartTime").is_none(), "{puts:?}");

    ws.assert_import_verifies("autoscale_scheduled_action.this", &format!("{asg}/weekday-up"), &[]);

    ws.destroy();
    assert!(find(&asg, "weekday-up").is_none(), "destroy deletes the action");
}

#[test]
fn disappears() {
    let asg = unique("sa-gone");
    acceptance::create_asg(&asg);
    let ws = Workspace::new(&action_config(&asg, "up", WEEKDAY_MORNINGS));
    ws.apply();
    let client = &aws().autoscaling;
    assert!(run(delete_scheduled_action(client, &asg, "up")).unwrap());
    ws.assert_changes(&["autoscale_scheduled_action.this will be created"]);
    ws.apply();
    assert!(find(&asg, "up").is_some());
    ws.destroy();
}

/// The AWS provider's bug (hashicorp/terraform-provider-aws#38983): AWS keeps the start time it
/// derived from the first recurrence. Here a start time configured in the past is never sent —
/// the emulator, like AWS, would refuse it — and changing the recurrence sends the new
/// recurrence's next occurrence.
#[test]
fn update_recurrence_sends_a_fresh_start_time_never_a_past_one() {
    let asg = unique("sa-update");
    acceptance::create_asg(&asg);
    let past = "2024-01-01T08:00:00Z";
    let body = |recurrence: &str, desired: i64| {
        format!("  recurrence = \"{recurrence}\"\n  time_zone = \"Europe/Paris\"\n  start_time = \"{past}\"\n  desired_capacity = {desired}\n")
    };
    let ws = Workspace::new(&action_config(&asg, "up", &body("0 8 * * MON-FRI", 2)));
    let out = ws.apply();
    assert!(out.text().contains("Start time in the past"), "the plan warns: {}", out.text());
    ws.assert_no_changes();

    ws.write_config(&action_config(&asg, "up", &body("30 9 * * MON-FRI", 3)));
    ws.assert_changes(&["recurrence", "desired_capacity", "next_runs"]);
    let before = now();
    ws.apply();
    ws.assert_no_changes();

    let puts: Vec<Json> = emulator().call_log_for(&asg).into_iter().filter(|c| c["action"] == "PutScheduledUpdateGroupAction").collect();
    assert_eq!(puts.len(), 2, "{puts:?}");
    assert!(puts[0]["params"].get("StartTime").is_none(), "the past start time is not sent on create: {puts:?}");
    let sent = puts[1]["params"]["StartTime"].as_str().expect("the update sends a start time");
    let sent = parse_timestamp(sent).unwrap();
    assert!(sent > before, "start time {sent} is not in the past (update began {before})");
    let expected = next_occurrence(&parse_recurrence("30 9 * * MON-FRI").unwrap(), parse_time_zone("Europe/Paris").unwrap(), before).unwrap();
    assert_eq!(sent, expected, "the start time is the new recurrence's next run");

    let found = find(&asg, "up").unwrap();
    assert_eq!(found.start_time, Some(expected));
    assert_eq!(found.recurrence.as_deref(), Some("30 9 * * MON-FRI"));
    assert_eq!(found.desired_capacity, Some(3));
    let attrs = ws.attrs("autoscale_scheduled_action.this");
    assert_eq!(attrs["start_time"], Json::from(past), "the configured start time stays as written");
    assert_eq!(attrs["next_runs"][0]["utc"], Json::from(chrono_text(expected)));
    ws.destroy();
}

fn chrono_text(time: DateTime<Utc>) -> String {
    autoscale::schedule::utc_text(time)
}

#[test]
fn update_and_drift() {
    let asg = unique("sa-drift");
    acceptance::create_asg(&asg);
    let ws = Workspace::new(&action_config(&asg, "up", WEEKDAY_MORNINGS));
    ws.apply();

    // Out-of-band changes to every field show in the plan.
    let client = &aws().autoscaling;
    run(put_scheduled_action(
        client,
        &PutScheduledAction {
            asg_name: asg.clone(),
            name: "up".into(),
            recurrence: Some("0 7 * * *".into()),
            time_zone: Some("America/New_York".into()),
            end_time: Some(now() + chrono::Duration::days(400)),
            min_size: Some(0),
            max_size: Some(9),
            desired_capacity: Some(4),
            ..Default::default()
        },
    ))
    .unwrap();
    let out = ws.assert_changes(&["recurrence", "time_zone", "min_size", "max_size", "desired_capacity", "end_time"]);
    // end_time appeared out of band and is not configured: removing it replaces the action.
    assert!(out.stdout.contains("must be replaced"), "{}", out.stdout);
    ws.apply();
    ws.assert_no_changes();
    let found = find(&asg, "up").unwrap();
    assert_eq!((found.recurrence.as_deref(), found.time_zone.as_deref(), found.end_time), (Some("0 8 * * MON-FRI"), Some("Europe/Paris"), None));

    // An in-place update: sizes and an end time.
    let end = "2031-12-31T00:00:00Z";
    ws.write_config(&action_config(&asg, "up", &format!("{WEEKDAY_MORNINGS}  end_time = \"{end}\"\n").replace("max_size         = 5", "max_size         = 6")));
    let out = ws.assert_changes(&["max_size", "end_time"]);
    assert!(out.stdout.contains("updated in-place"), "{}", out.stdout);
    ws.apply();
    ws.assert_no_changes();
    let found = find(&asg, "up").unwrap();
    assert_eq!((found.max_size, found.end_time), (Some(6), Some(parse_timestamp(end).unwrap())));
    ws.destroy();
}

#[test]
fn plan_time_errors_name_the_attribute_and_write_nothing() {
    let asg = unique("sa-errors");
    acceptance::create_asg(&asg);
    assert_plan_error(
        &action_config(&asg, "bad-cron", "  recurrence = \"0 8 * * MON#2\"\n  desired_capacity = 1\n"),
        &["Invalid recurrence", "recurrence = \"0 8 * * MON#2\"", "MON#2"],
    );
    assert_plan_error(&action_config(&asg, "bad-fields", "  recurrence = \"0 8 * *\"\n  desired_capacity = 1\n"), &["Invalid recurrence", "it has 4 fields"]);
    assert_plan_error(
        &action_config(&asg, "bad-zone", "  recurrence = \"0 8 * * *\"\n  time_zone = \"Europe/Pariss\"\n  desired_capacity = 1\n"),
        &["Unknown time zone", "time_zone = \"Europe/Pariss\"", "IANA"],
    );
    assert_plan_error(
        &action_config(&asg, "bad-sizes", "  recurrence = \"0 8 * * *\"\n  min_size = 5\n  max_size = 2\n"),
        &["Inconsistent sizes", "min_size = 5", "greater than max_size"],
    );
    assert_plan_error(
        &action_config(&asg, "bad-desired", "  recurrence = \"0 8 * * *\"\n  max_size = 2\n  desired_capacity = 3\n"),
        &["Inconsistent sizes", "desired_capacity = 3", "above max_size"],
    );
    assert_plan_error(&action_config(&asg, "no-size", "  recurrence = \"0 8 * * *\"\n"), &["No capacity to set"]);
    assert_plan_error(
        &action_config(&asg, "bad-end", "  recurrence = \"0 8 * * *\"\n  start_time = \"2031-01-02T00:00:00Z\"\n  end_time = \"2031-01-01T00:00:00Z\"\n  desired_capacity = 1\n"),
        &["End time not after start time", "end_time = \"2031-01-01T00:00:00Z\""],
    );
    assert_plan_error(
        &action_config(&asg, "bad-time", "  recurrence = \"0 8 * * *\"\n  start_time = \"tomorrow\"\n  desired_capacity = 1\n"),
        &["Invalid timestamp", "start_time = \"tomorrow\"", "RFC 3339"],
    );
    // Yearly on the 1st of a month five months ahead, ending in two days: it would never run.
    let far_month = (now().month() + 5) % 12 + 1;
    let soon = autoscale::schedule::utc_text(now() + chrono::Duration::days(2));
    assert_plan_error(
        &action_config(&asg, "end-first", &format!("  recurrence = \"0 8 1 {far_month} *\"\n  end_time = \"{soon}\"\n  desired_capacity = 1\n")),
        &["End time before the first run", &format!("end_time = \"{soon}\"")],
    );
    assert_plan_error(
        &action_config(&asg, "past-once", "  start_time = \"2024-01-01T00:00:00Z\"\n  desired_capacity = 1\n"),
        &["Start time in the past", "one-time action would never run"],
    );
    acceptance::assert_no_scheduled_action_put(&asg);
}

#[test]
fn node_group_form_looks_up_the_group_and_refuses_max_zero() {
    let cluster = unique("sa-eks");
    acceptance::create_cluster(&cluster);
    let asg = acceptance::create_node_group(&cluster, "workers", &[], &[]);
    let config = |body: &str| {
        format!(
            r#"
resource "autoscale_scheduled_action" "this" {{
  cluster_name    = "{cluster}"
  node_group_name = "workers"
  name            = "nightly-down"
{body}
}}
"#
        )
    };
    // EKS node groups need max_size >= 1, whether named through the node group or directly.
    assert_plan_error(&config("  recurrence = \"0 20 * * *\"\n  min_size = 0\n  max_size = 0\n  desired_capacity = 0\n"), &["max_size 0 on an EKS node group", "max_size = 0"]);
    assert_plan_error(
        &action_config(&asg, "direct-zero", "  recurrence = \"0 20 * * *\"\n  max_size = 0\n  min_size = 0\n"),
        &["max_size 0 on an EKS node group", "max_size = 0"],
    );
    acceptance::assert_no_scheduled_action_put(&asg);

    let ws = Workspace::new(&config("  recurrence = \"0 20 * * *\"\n  min_size = 0\n  max_size = 3\n  desired_capacity = 0\n"));
    let out = ws.plan(&[]);
    assert!(out.stdout.contains("asg_name") && out.stdout.contains("(known after apply)"), "the group is looked up at apply:\n{}", out.stdout);
    ws.apply();
    ws.assert_no_changes();
    let attrs = ws.attrs("autoscale_scheduled_action.this");
    assert_eq!(attrs["asg_name"], Json::from(asg.clone()));
    assert!(find(&asg, "nightly-down").is_some());
    ws.assert_import_verifies("autoscale_scheduled_action.this", &format!("{asg}/nightly-down"), &[]);
    ws.destroy();
    assert!(find(&asg, "nightly-down").is_none());
}

//! `autoscale_scaling_schedule`: a readable weekly schedule for one Auto Scaling group or managed
//! node group — windows of in-hours capacity and an off-hours capacity — implemented as the
//! scheduled actions it implies, with its instance-hours and savings worked out at plan time.
//!
//! It owns exactly the actions named `<name>-w<i>-start` and `<name>-w<i>-end` on its group
//! (see `schedule::WeeklySchedule::actions`): an update puts the ones that differ and deletes
//! its own stale ones; actions with other names are never touched. Refresh rebuilds the windows
//! from those actions, so a change made outside Terraform shows in the plan, and `actions`
//! (read from AWS, planned from configuration) shows any action missing, added or altered.
//!
//! `next_runs` follows the rule of `autoscale_scheduled_action`: a plan computes it when the
//! schedule changes and otherwise keeps it; a refresh rolls it forward once its first run has
//! passed. Plans of an unchanged schedule stay empty.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tfplugin::provider::{Context, Plan, Resource, StateResult, import_passthrough};
use tfplugin::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::value::{Type, Value, from_value, to_value};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, validate};

use super::scheduled_action::{
    asg_is_eks_node_group, fill_node_group_from_tags, find_import_target, known_text, names_node_group, now, plan_target, resolve_asg, set,
    validate_target,
};
use crate::aws::Clients;
use crate::aws::scheduled_actions::{PutScheduledAction, ScheduledAction, delete_scheduled_action_bounded, put_scheduled_action_bounded};
use crate::schedule::{
    Capacity, DaySet, FoundAction, NEXT_RUN_COUNT, Place, PlannedAction, Problem, Recurrence, TimeOfDay, WeeklySchedule, Window, next_runs_of,
    parse_action_name, parse_recurrence, parse_time_zone, rebuild, same_time_zone, start_time_to_send, utc_text,
};

const TYPE_NAME: &str = "autoscale_scaling_schedule";

/// Most windows one schedule may have: each is up to two actions, and AWS allows 125 scheduled
/// actions per group.
const MAX_WINDOWS: i64 = 50;

/// The `autoscale_scaling_schedule` resource.
pub struct ScalingScheduleResource;

/// The state, field for field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Model {
    id: Option<String>,
    asg_name: Option<String>,
    cluster_name: Option<String>,
    node_group_name: Option<String>,
    name: String,
    time_zone: Option<String>,
    window: Option<Vec<WindowModel>>,
    off_hours: Option<CapacityModel>,
    actions: Option<BTreeMap<String, String>>,
    weekly_instance_hours: Option<f64>,
    savings_percent: Option<f64>,
    next_runs: Option<Vec<RunModel>>,
}

/// One `window` block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct WindowModel {
    days: String,
    start: String,
    end: String,
    min_size: Option<i64>,
    max_size: Option<i64>,
    desired_capacity: Option<i64>,
}

/// The `off_hours` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct CapacityModel {
    min_size: Option<i64>,
    max_size: Option<i64>,
    desired_capacity: Option<i64>,
}

/// One element of `next_runs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RunModel {
    action: String,
    utc: String,
    local: String,
}

fn run_type() -> Type {
    Type::object([("action", Type::String), ("utc", Type::String), ("local", Type::String)])
}

fn size(name: &str, what: &str) -> Attribute {
    Attribute::int(name).optional().validator(validate::int_between(0, i64::from(i32::MAX))).description(format!(
        "The group's {what} in this period. Set it in every window and in `off_hours`, or in none (a value set in one period only would stay in force after the first switch)."
    ))
}

fn desired(what: &str) -> Attribute {
    Attribute::int("desired_capacity")
        .required()
        .validator(validate::int_between(0, i64::from(i32::MAX)))
        .description(format!("The group's desired capacity {what}; the instance-hours count it."))
}

#[tfplugin::async_trait]
impl Resource for ScalingScheduleResource {
    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let window = Block::new("A period of in-hours capacity on some days of the week, in `time_zone`. Windows may touch but not overlap.")
            .attribute(Attribute::string("days").required().description(
                "Days of the week the window applies to, as a cron day-of-week field: `MON-FRI`, `SAT,SUN`, `MON,WED,FRI`, `*` (names or numbers, 0 or 7 = Sunday).",
            ))
            .attribute(Attribute::string("start").required().description("Time of day the window starts, `HH:MM` (24-hour), in `time_zone`."))
            .attribute(Attribute::string("end").required().description(
                "Time of day the window ends, `HH:MM`, after `start` on the same day; `24:00` ends it at midnight. A window cannot cross midnight: split it in two.",
            ))
            .attribute(size("min_size", "minimum size"))
            .attribute(size("max_size", "maximum size"))
            .attribute(desired("in this window"));
        let off_hours = Block::new("The capacity outside every window, set by each window's end action.")
            .attribute(size("min_size", "minimum size"))
            .attribute(size("max_size", "maximum size"))
            .attribute(desired("outside the windows"));
        let block = Block::new(
            "A weekly scaling schedule for one Auto Scaling group or EKS managed node group: in-hours windows and an off-hours capacity, in an IANA time zone. \
             It is implemented as Auto Scaling scheduled actions, which it manages exactly: for window `i` of a schedule named `<name>`, `<name>-w<i>-start` sets the window's capacity at its start \
             and `<name>-w<i>-end` sets the off-hours capacity at its end (left out on the days another window starts at that minute). Actions with other names on the group are never touched; \
             actions of this schedule that it no longer needs are deleted. The plan shows the actions, the next runs, the weekly instance-hours and the savings against running the in-hours capacity all week.",
        );
        let block = super::scheduled_action::target_attributes(block, "schedule")
            .attribute(
                Attribute::string("name")
                    .required()
                    .requires_replace()
                    .validator(validate::matches("^[A-Za-z0-9._-]{1,200}$", "be 1 to 200 letters, digits, dots, dashes or underscores"))
                    .description("Name of the schedule: the prefix of its scheduled actions' names (`<name>-w0-start`, `<name>-w0-end`, …)."),
            )
            .attribute(Attribute::string("time_zone").default("UTC").description(
                "IANA time zone the windows are read in, such as `Europe/Paris`: a window starting at 08:00 starts at 08:00 local time all year, daylight-saving time included.",
            ))
            .block(NestedBlock::list("window", window).min_items(1).max_items(MAX_WINDOWS))
            .block(NestedBlock::single("off_hours", off_hours).min_items(1).max_items(1))
            .attribute(Attribute::map_of("actions", Type::String).computed().description(
                "The scheduled actions implementing the schedule: action name → recurrence (5-field cron in `time_zone`, days by number). Planned from the configuration, refreshed from AWS.",
            ))
            .attribute(Attribute::number("weekly_instance_hours").computed().description(
                "Instance-hours in a standard 168-hour week: each window's `desired_capacity` × its hours × its days, plus `off_hours.desired_capacity` × the remaining hours.",
            ))
            .attribute(Attribute::number("savings_percent").computed().description(
                "Savings against running the in-hours capacity all week: `100 × (1 − weekly_instance_hours ÷ (in-hours capacity × 168))`, where the in-hours capacity is the largest `desired_capacity` of any window; rounded to two decimals. \
                 For 5 instances 08:00–18:00 Monday to Friday and 1 otherwise: 368 instance-hours against 840, 56.19.",
            ))
            .attribute(Attribute::list_of("next_runs", run_type()).computed().description(
                "The next 5 runs of the schedule's actions, each an object with `action`, `utc` and `local` (the instant in `time_zone`, with its offset). \
                 A plan computes it when the schedule changes and otherwise keeps it, so plans of an unchanged schedule stay empty; a refresh rolls it forward once its first run has passed (Terraform shows that as a change outside Terraform, not as a planned change).",
            ));
        Schema::new(0, block)
    }

    async fn validate(&self, _ctx: &Context, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        validate_target(config, &mut diags);
        if let Some(zone) = known_text(config, "time_zone")
            && let Err(err) = parse_time_zone(zone)
        {
            diags.error_at(AttributePath::root("time_zone"), "Unknown time zone", format!("time_zone is not valid: {err}."));
        }
        if let Some(weekly) = weekly_of_config(config, &mut diags) {
            for problem in weekly.problems(names_node_group(config)) {
                diags.push(problem_diagnostic(&problem));
            }
        }
        diags
    }

    async fn modify_plan(&self, ctx: &Context, plan: &mut Plan) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if plan.planned.is_null() {
            return diags;
        }
        plan_target(plan);
        let inputs = ["name", "time_zone", "window", "off_hours"];
        let known = inputs.iter().all(|f| plan.planned.get(f).is_some_and(Value::is_wholly_known));
        let planned: Option<(String, String, WeeklySchedule)> = if known {
            let mut ignore = Diagnostics::new();
            match (known_text(&plan.planned, "name"), known_text(&plan.planned, "time_zone"), weekly_of_config(&plan.planned, &mut ignore)) {
                (Some(name), Some(zone), Some(weekly)) if !ignore.has_errors() => Some((name.to_string(), zone.to_string(), weekly)),
                _ => None,
            }
        } else {
            None
        };
        let Some((name, zone_name, weekly)) = planned else {
            for field in ["actions", "weekly_instance_hours", "savings_percent", "next_runs"] {
                set(&mut plan.planned, field, Value::Unknown);
            }
            return diags;
        };
        let actions = weekly.actions(&name);
        set(&mut plan.planned, "actions", action_map_value(&actions));
        set(&mut plan.planned, "weekly_instance_hours", number(weekly.weekly_instance_hours()));
        set(&mut plan.planned, "savings_percent", number(weekly.savings_percent()));
        let now = now();
        let unchanged = !plan.is_create()
            && inputs.iter().all(|f| Value::semantically_equal(plan.prior.get(f).unwrap_or(&Value::Null), plan.planned.get(f).unwrap_or(&Value::Null)));
        // As for scheduled actions: an unchanged schedule keeps its stored runs; refresh rolls them.
        let next_runs = match (unchanged, plan.prior.get("next_runs").and_then(|v| from_value::<Vec<RunModel>>(v).ok())) {
            (true, Some(prior)) => to_value(&prior).unwrap_or(Value::Unknown),
            _ => parse_time_zone(&zone_name).map(|zone| to_value(&runs_of(&actions, zone, now)).unwrap_or(Value::Unknown)).unwrap_or(Value::Unknown),
        };
        set(&mut plan.planned, "next_runs", next_runs);
        let any_max_zero = weekly.windows.iter().map(|w| w.capacity).chain(std::iter::once(weekly.off_hours)).any(|c| c.max_size == Some(0));
        if any_max_zero && asg_is_eks_node_group(ctx, &plan.config).await {
            for problem in weekly.problems(true).iter().filter(|p| p.summary.starts_with("max_size 0")) {
                diags.push(problem_diagnostic(problem));
            }
        }
        diags
    }

    async fn create(&self, ctx: &Context, planned: &Value, _config: &Value) -> StateResult {
        let clients = match crate::aws::clients(ctx).await {
            Ok(c) => c,
            Err(d) => return StateResult::failed(Value::Null, d),
        };
        let (model, weekly, zone) = match decode(planned) {
            Ok(decoded) => decoded,
            Err(d) => return StateResult::failed(Value::Null, d),
        };
        let asg = match resolve_asg(&clients, planned).await {
            Ok(asg) => asg,
            Err(d) => return StateResult::failed(Value::Null, d),
        };
        let existing = match own_actions(&clients, &asg, &model.name).await {
            Ok(existing) => existing,
            Err(d) => return StateResult::failed(Value::Null, d),
        };
        if !existing.is_empty() {
            let names = existing.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ");
            return StateResult::failed(
                Value::Null,
                Diagnostic::error(
                    "Schedule already exists",
                    format!(
                        "Auto Scaling group {asg} already has actions of a schedule named {} ({names}). Import it (`terraform import <address> {asg}/{}`) or choose another name; nothing was changed.",
                        model.name, model.name
                    ),
                )
                .at(AttributePath::root("name")),
            );
        }
        let created = Model { id: Some(format!("{asg}/{}", model.name)), asg_name: Some(asg.clone()), ..model };
        let state = applied_state(&created, planned, &weekly, &zone);
        // Every action written so far belongs to the schedule: a failure part-way returns the
        // schedule, so Terraform keeps it (tainted) and destroy removes what was written.
        for action in weekly.actions(&created.name) {
            let put = put_of(&asg, &action, &zone, None);
            if let Err(e) = put_scheduled_action_bounded(&clients.autoscaling, &put, &ctx.cancellation_token()).await {
                return StateResult::failed(state, Diagnostic::from_error(&e));
            }
        }
        StateResult::ok(state)
    }

    async fn read(&self, ctx: &Context, state: &Value, _private: &[u8]) -> StateResult {
        let clients = match crate::aws::clients(ctx).await {
            Ok(c) => c,
            Err(d) => return StateResult::failed(state.clone(), d),
        };
        let model: Model = match from_value(state) {
            Ok(m) => m,
            Err(e) => return StateResult::failed(state.clone(), e.to_diagnostic()),
        };
        let Some(asg) = model.asg_name.clone() else { return StateResult::ok(state.clone()) };
        match own_actions(&clients, &asg, &model.name).await {
            Ok(found) if found.is_empty() => StateResult::ok(Value::Null),
            Ok(found) => StateResult::ok(to_value(&flatten(&model, &found, now())).unwrap_or_else(|_| state.clone())),
            Err(d) => StateResult::failed(state.clone(), d),
        }
    }

    async fn update(&self, ctx: &Context, prior: &Value, planned: &Value, _config: &Value, _private: &[u8]) -> StateResult {
        let clients = match crate::aws::clients(ctx).await {
            Ok(c) => c,
            Err(d) => return StateResult::failed(prior.clone(), d),
        };
        let (model, weekly, zone) = match decode(planned) {
            Ok(decoded) => decoded,
            Err(d) => return StateResult::failed(prior.clone(), d),
        };
        let Some(asg) = model.asg_name.clone().or_else(|| known_text(prior, "asg_name").map(str::to_string)) else {
            return StateResult::failed(prior.clone(), Diagnostic::error("Provider bug", "the schedule's Auto Scaling group is not in state"));
        };
        let existing = match own_actions(&clients, &asg, &model.name).await {
            Ok(existing) => existing,
            Err(d) => return StateResult::failed(prior.clone(), d),
        };
        let wanted = weekly.actions(&model.name);
        let steps = reconcile(&existing, &wanted, &zone, &asg, now());
        let cancel = ctx.cancellation_token();
        for step in steps {
            let result = match &step {
                Step::Delete(name) => delete_scheduled_action_bounded(&clients.autoscaling, &asg, name, &cancel).await.map(|_| ()),
                Step::Put(put) => put_scheduled_action_bounded(&clients.autoscaling, put, &cancel).await,
            };
            if let Err(e) = result {
                // Part of the update may be done: the prior state plus a refresh will show it.
                return StateResult::failed(prior.clone(), Diagnostic::from_error(&e));
            }
        }
        let updated = Model { id: Some(format!("{asg}/{}", model.name)), asg_name: Some(asg), ..model };
        StateResult::ok(applied_state(&updated, planned, &weekly, &zone))
    }

    async fn delete(&self, ctx: &Context, prior: &Value, _private: &[u8]) -> Diagnostics {
        let clients = match crate::aws::clients(ctx).await {
            Ok(c) => c,
            Err(d) => return d.into(),
        };
        let (Some(asg), Some(name)) = (known_text(prior, "asg_name"), known_text(prior, "name")) else { return Diagnostics::new() };
        let found = match own_actions(&clients, asg, name).await {
            Ok(found) => found,
            Err(d) => return d.into(),
        };
        let mut diags = Diagnostics::new();
        for action in found {
            if let Err(e) = delete_scheduled_action_bounded(&clients.autoscaling, asg, &action.name, &ctx.cancellation_token()).await {
                diags.push(Diagnostic::from_error(&e));
            }
        }
        diags
    }

    async fn import(&self, ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        let clients = crate::aws::clients(ctx).await?;
        let (asg, name) =
            find_import_target(&clients, id, "<asg-name>/<schedule-name>", |found: &[ScheduledAction], name: &str| found.iter().any(|a| parse_action_name(name, &a.name).is_some()))
                .await?;
        let mut state = import_passthrough(&self.schema(), "id", &format!("{asg}/{name}"));
        set(&mut state, "asg_name", Value::from(asg.clone()));
        set(&mut state, "name", Value::from(name));
        fill_node_group_from_tags(&clients, &asg, &mut state).await;
        Ok(state)
    }
}

// ---------------------------------------------------------------------------------------------
// Pure expand / flatten
// ---------------------------------------------------------------------------------------------

/// The weekly schedule a configuration (or plan) describes, when its parts are known; errors
/// in its parts go to `diags` at their paths, problems of the whole are left to the caller.
pub(crate) fn weekly_of_config(config: &Value, diags: &mut Diagnostics) -> Option<WeeklySchedule> {
    let windows = config.get("window")?.as_list()?;
    let mut parsed = Vec::new();
    let mut complete = true;
    for (i, window) in windows.iter().enumerate() {
        let path = AttributePath::root("window").index(i);
        let days = known_text(window, "days").map(|t| DaySet::parse(t).map_err(|e| diags.error_at(path.clone().attr("days"), "Invalid days", format!("days is not valid: {e}."))));
        let start = known_text(window, "start").map(|t| TimeOfDay::parse(t, false).map_err(|e| diags.error_at(path.clone().attr("start"), "Invalid start", format!("start is not valid: {e}."))));
        let end = known_text(window, "end").map(|t| TimeOfDay::parse(t, true).map_err(|e| diags.error_at(path.clone().attr("end"), "Invalid end", format!("end is not valid: {e}."))));
        let capacity = capacity_of(window);
        match (days, start, end, capacity) {
            (Some(Ok(days)), Some(Ok(start)), Some(Ok(end)), Some(capacity)) => parsed.push(Window { days, start, end, capacity }),
            _ => complete = false,
        }
    }
    let off_hours = config.get("off_hours").filter(|v| !v.is_null()).and_then(capacity_of);
    match (complete, off_hours) {
        (true, Some(off_hours)) => Some(WeeklySchedule { windows: parsed, off_hours }),
        _ => None,
    }
}

/// The sizes of a window or off-hours object, when all are known.
fn capacity_of(object: &Value) -> Option<Capacity> {
    let size = |field: &str| -> Option<Option<i64>> {
        match object.get(field) {
            None | Some(Value::Null) => Some(None),
            Some(v) if v.is_known() => Some(v.as_i64()),
            Some(_) => None,
        }
    };
    Some(Capacity { min_size: size("min_size")?, max_size: size("max_size")?, desired_capacity: size("desired_capacity")? })
}

pub(crate) fn problem_diagnostic(problem: &Problem) -> Diagnostic {
    let path = match &problem.place {
        Place::Window(i, field) => AttributePath::root("window").index(*i).attr(*field),
        Place::OffHours(field) => AttributePath::root("off_hours").attr(*field),
    };
    Diagnostic::error(problem.summary, problem.detail.replace("windows[", "window[")).at(path)
}

/// A planned value decoded: the model, its weekly schedule and its time zone name.
fn decode(planned: &Value) -> Result<(Model, WeeklySchedule, String), Diagnostic> {
    let model: Model = from_value(planned).map_err(|e| e.to_diagnostic())?;
    let mut diags = Diagnostics::new();
    let weekly = weekly_of_config(planned, &mut diags);
    let weekly = match (weekly, diags.iter().next()) {
        (Some(w), None) => w,
        (_, Some(d)) => return Err(d.clone()),
        (None, None) => return Err(Diagnostic::error("Provider bug", "the planned schedule is incomplete")),
    };
    let zone = model.time_zone.clone().unwrap_or_else(|| "UTC".into());
    Ok((model, weekly, zone))
}

fn number(value: Option<f64>) -> Value {
    value.and_then(|v| to_value(&v).ok()).unwrap_or(Value::Null)
}

fn action_map(actions: &[PlannedAction]) -> BTreeMap<String, String> {
    actions.iter().map(|a| (a.name.clone(), a.recurrence.clone())).collect()
}

fn action_map_value(actions: &[PlannedAction]) -> Value {
    to_value(&action_map(actions)).unwrap_or(Value::Unknown)
}

fn recurrences(actions: &[(String, String)]) -> Vec<(String, Recurrence)> {
    actions.iter().filter_map(|(name, text)| parse_recurrence(text).ok().map(|r| (name.clone(), r))).collect()
}

fn runs_of(actions: &[PlannedAction], zone: chrono_tz::Tz, now: DateTime<Utc>) -> Vec<RunModel> {
    let pairs: Vec<(String, String)> = actions.iter().map(|a| (a.name.clone(), a.recurrence.clone())).collect();
    named_runs(&recurrences(&pairs), zone, now)
}

fn named_runs(actions: &[(String, Recurrence)], zone: chrono_tz::Tz, now: DateTime<Utc>) -> Vec<RunModel> {
    next_runs_of(actions, zone, now, NEXT_RUN_COUNT).into_iter().map(|r| RunModel { action: r.action, utc: utc_text(r.run.utc), local: r.run.local }).collect()
}

fn first_run_ahead(runs: &[RunModel], now: DateTime<Utc>) -> bool {
    runs.first().is_some_and(|first| crate::schedule::parse_timestamp(&first.utc).is_ok_and(|t| t > now))
}

/// The state after a successful create or update: the plan, with what the plan left unknown.
fn applied_state(model: &Model, planned: &Value, weekly: &WeeklySchedule, zone: &str) -> Value {
    let actions = weekly.actions(&model.name);
    let planned_runs = planned.get("next_runs").filter(|v| v.is_wholly_known() && !v.is_null()).and_then(|v| from_value::<Vec<RunModel>>(v).ok());
    let next_runs = planned_runs.or_else(|| parse_time_zone(zone).ok().map(|z| runs_of(&actions, z, now())));
    let state = Model {
        time_zone: Some(zone.to_string()),
        actions: Some(action_map(&actions)),
        weekly_instance_hours: weekly.weekly_instance_hours(),
        savings_percent: weekly.savings_percent(),
        next_runs,
        ..model.clone()
    };
    to_value(&state).unwrap_or(Value::Null)
}

/// The put for one planned action; `start_time` as `start_time_to_send` decides.
fn put_of(asg: &str, action: &PlannedAction, zone: &str, start_time: Option<DateTime<Utc>>) -> PutScheduledAction {
    PutScheduledAction {
        asg_name: asg.to_string(),
        name: action.name.clone(),
        recurrence: Some(action.recurrence.clone()),
        time_zone: Some(zone.to_string()),
        start_time,
        end_time: None,
        min_size: action.capacity.min_size,
        max_size: action.capacity.max_size,
        desired_capacity: action.capacity.desired_capacity,
    }
}

/// One call of an update.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Delete(String),
    Put(PutScheduledAction),
}

/// The calls that turn the schedule's `existing` actions into `wanted`: stale ones deleted first
/// (so no two actions share a minute), then each differing action put. An action that must lose
/// a value (a size, an end time — AWS keeps unspecified values) is deleted and put anew; one
/// whose recurrence or time zone changes gets the next occurrence as its start time.
fn reconcile(existing: &[ScheduledAction], wanted: &[PlannedAction], zone: &str, asg: &str, now: DateTime<Utc>) -> Vec<Step> {
    let mut steps: Vec<Step> = existing.iter().filter(|e| !wanted.iter().any(|w| w.name == e.name)).map(|e| Step::Delete(e.name.clone())).collect();
    let tz = parse_time_zone(zone).ok();
    for action in wanted {
        let current = existing.iter().find(|e| e.name == action.name);
        let Some(current) = current else {
            steps.push(Step::Put(put_of(asg, action, zone, None)));
            continue;
        };
        let same_timing = current.recurrence.as_deref() == Some(action.recurrence.as_str()) && same_time_zone(current.time_zone.as_deref(), Some(zone));
        let c = action.capacity;
        let same_sizes = current.min_size == c.min_size && current.max_size == c.max_size && current.desired_capacity == c.desired_capacity;
        if same_timing && same_sizes && current.end_time.is_none() {
            continue;
        }
        let loses_value = (current.min_size.is_some() && c.min_size.is_none())
            || (current.max_size.is_some() && c.max_size.is_none())
            || (current.desired_capacity.is_some() && c.desired_capacity.is_none())
            || current.end_time.is_some();
        if loses_value {
            steps.push(Step::Delete(action.name.clone()));
            steps.push(Step::Put(put_of(asg, action, zone, None)));
            continue;
        }
        let recurrence = parse_recurrence(&action.recurrence).ok();
        let start = match tz {
            Some(tz) => start_time_to_send(None, recurrence.as_ref(), tz, !same_timing, now),
            None => None,
        };
        steps.push(Step::Put(put_of(asg, action, zone, start)));
    }
    steps
}

/// The schedule's own actions on a group: those whose names it implies.
async fn own_actions(clients: &Clients, asg: &str, name: &str) -> Result<Vec<ScheduledAction>, Diagnostic> {
    let all = clients.scheduled_actions.of_group(asg).await.map_err(|e| Diagnostic::from_error(&e))?;
    Ok(all.into_iter().filter(|a| parse_action_name(name, &a.name).is_some()).collect())
}

fn weekly_of_model(model: &Model) -> Option<WeeklySchedule> {
    let value = to_value(model).ok()?;
    weekly_of_config(&value, &mut Diagnostics::new())
}

fn capacity_model(capacity: Capacity) -> CapacityModel {
    CapacityModel { min_size: capacity.min_size, max_size: capacity.max_size, desired_capacity: capacity.desired_capacity }
}

/// The state for the schedule's actions as found on the group, given its state (`prior`):
/// windows and off-hours rebuilt from the actions (keeping the written form of what did not
/// change), `actions` as found, hours and savings of what is found, `next_runs` kept or rolled.
fn flatten(prior: &Model, found: &[ScheduledAction], now: DateTime<Utc>) -> Model {
    let applied = weekly_of_model(prior);
    let found_actions: Vec<FoundAction> =
        found.iter().map(|a| FoundAction { name: a.name.clone(), recurrence: a.recurrence.clone(), capacity: Capacity { min_size: a.min_size, max_size: a.max_size, desired_capacity: a.desired_capacity } }).collect();
    let rebuilt = rebuild(&prior.name, &found_actions, applied.as_ref()).or_else(|| applied.clone());
    let prior_zone = prior.time_zone.clone();
    let time_zone = found
        .iter()
        .map(|a| a.time_zone.clone())
        .find(|z| !same_time_zone(z.as_deref(), prior_zone.as_deref()))
        .map(|z| z.unwrap_or_else(|| "UTC".into()))
        .or(prior_zone)
        .or_else(|| found.iter().find_map(|a| a.time_zone.clone()))
        .unwrap_or_else(|| "UTC".into());
    let prior_windows = prior.window.clone().unwrap_or_default();
    let applied_windows = applied.as_ref().map(|a| a.windows.clone()).unwrap_or_default();
    let (window, off_hours) = match &rebuilt {
        Some(weekly) => {
            let windows = weekly
                .windows
                .iter()
                .enumerate()
                .map(|(i, w)| match (prior_windows.get(i), applied_windows.get(i)) {
                    (Some(written), Some(applied)) if applied == w => written.clone(),
                    _ => WindowModel {
                        days: w.days.names(),
                        start: w.start.text(),
                        end: w.end.text(),
                        min_size: w.capacity.min_size,
                        max_size: w.capacity.max_size,
                        desired_capacity: w.capacity.desired_capacity,
                    },
                })
                .collect();
            (Some(windows), Some(capacity_model(weekly.off_hours)))
        }
        None => (prior.window.clone(), prior.off_hours.clone()),
    };
    let actions: BTreeMap<String, String> = found.iter().map(|a| (a.name.clone(), a.recurrence.clone().unwrap_or_default())).collect();
    let unchanged = prior.actions.as_ref() == Some(&actions) && prior.time_zone.as_deref() == Some(time_zone.as_str());
    let next_runs = match &prior.next_runs {
        Some(runs) if unchanged && first_run_ahead(runs, now) => Some(runs.clone()),
        _ => parse_time_zone(&time_zone).ok().map(|zone| {
            let pairs: Vec<(String, String)> = actions.iter().map(|(n, r)| (n.clone(), r.clone())).collect();
            named_runs(&recurrences(&pairs), zone, now)
        }),
    };
    Model {
        id: Some(format!("{}/{}", prior.asg_name.clone().unwrap_or_default(), prior.name)),
        time_zone: Some(time_zone),
        window,
        off_hours,
        actions: Some(actions),
        weekly_instance_hours: rebuilt.as_ref().and_then(WeeklySchedule::weekly_instance_hours),
        savings_percent: rebuilt.as_ref().and_then(WeeklySchedule::savings_percent),
        next_runs,
        ..prior.clone()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        crate::schedule::parse_timestamp(text).unwrap()
    }

    fn staging_config() -> Value {
        let window = Value::object([
            ("days", Value::from("MON-FRI")),
            ("start", Value::from("08:00")),
            ("end", Value::from("18:00")),
            ("min_size", Value::Null),
            ("max_size", Value::Null),
            ("desired_capacity", Value::from(5)),
        ]);
        Value::object([
            ("name", Value::from("staging")),
            ("asg_name", Value::from("g")),
            ("cluster_name", Value::Null),
            ("node_group_name", Value::Null),
            ("time_zone", Value::from("Europe/Paris")),
            ("window", Value::List(vec![window])),
            ("off_hours", Value::object([("min_size", Value::Null), ("max_size", Value::Null), ("desired_capacity", Value::from(1))])),
        ])
    }

    fn found(name: &str, recurrence: &str, desired: i64) -> ScheduledAction {
        ScheduledAction {
            asg_name: "g".into(),
            name: name.into(),
            arn: None,
            recurrence: Some(recurrence.into()),
            time_zone: Some("Europe/Paris".into()),
            start_time: None,
            end_time: None,
            min_size: None,
            max_size: None,
            desired_capacity: Some(desired),
        }
    }

    fn applied() -> Model {
        let (model, weekly, zone) = decode(&staging_config()).unwrap();
        let model = Model { id: Some("g/staging".into()), ..model };
        from_value(&applied_state(&model, &Value::Null, &weekly, &zone)).unwrap()
    }

    #[test]
    fn the_staging_config_plans_two_actions_and_its_savings() {
        let state = applied();
        assert_eq!(
            state.actions.clone().unwrap().into_iter().collect::<Vec<_>>(),
            vec![("staging-w0-end".to_string(), "0 18 * * 1-5".to_string()), ("staging-w0-start".into(), "0 8 * * 1-5".into())]
        );
        assert_eq!(state.weekly_instance_hours, Some(368.0));
        assert_eq!(state.savings_percent, Some(56.19));
        assert_eq!(state.next_runs.unwrap().len(), 5);
    }

    #[test]
    fn refresh_of_unchanged_actions_changes_nothing() {
        let state = applied();
        let found = vec![found("staging-w0-start", "0 8 * * 1-5", 5), found("staging-w0-end", "0 18 * * 1-5", 1)];
        let first = state.next_runs.clone().unwrap();
        let now = utc(&first[0].utc) - chrono::Duration::minutes(1);
        assert_eq!(flatten(&state, &found, now), state);
    }

    #[test]
    fn refresh_shows_drift_in_windows_off_hours_zone_and_actions() {
        let state = applied();
        let now = utc("2020-01-01T00:00:00Z");
        let moved = vec![found("staging-w0-start", "0 9 * * 1-5", 6), found("staging-w0-end", "0 18 * * 1-5", 2)];
        let drifted = flatten(&state, &moved, now);
        let window = &drifted.window.as_ref().unwrap()[0];
        assert_eq!((window.start.as_str(), window.desired_capacity), ("09:00", Some(6)));
        assert_eq!(drifted.off_hours.as_ref().unwrap().desired_capacity, Some(2));
        assert_eq!(drifted.actions.as_ref().unwrap()["staging-w0-start"], "0 9 * * 1-5");
        let mut other_zone = found("staging-w0-end", "0 18 * * 1-5", 1);
        other_zone.time_zone = Some("UTC".into());
        let zoned = flatten(&state, &[found("staging-w0-start", "0 8 * * 1-5", 5), other_zone], now);
        assert_eq!(zoned.time_zone.as_deref(), Some("UTC"));
        // A deleted end action shows as a missing action; the window keeps its end.
        let partial = flatten(&state, &[found("staging-w0-start", "0 8 * * 1-5", 5)], now);
        assert_eq!(partial.actions.as_ref().unwrap().len(), 1);
        assert_eq!(partial.window.as_ref().unwrap()[0].end, "18:00");
    }

    #[test]
    fn import_rebuilds_the_configuration() {
        let state = applied();
        let found = vec![found("staging-w0-start", "0 8 * * 1-5", 5), found("staging-w0-end", "0 18 * * 1-5", 1), found("staging-extra", "0 1 * * *", 9)];
        let own: Vec<ScheduledAction> = found.into_iter().filter(|a| parse_action_name("staging", &a.name).is_some()).collect();
        let imported = Model { id: Some("g/staging".into()), asg_name: Some("g".into()), name: "staging".into(), window: Some(Vec::new()), ..Model::default() };
        let rebuilt = flatten(&imported, &own, utc("2020-01-01T00:00:00Z"));
        assert_eq!(rebuilt.window, state.window);
        assert_eq!(rebuilt.off_hours, state.off_hours);
        assert_eq!(rebuilt.time_zone, state.time_zone);
        assert_eq!(rebuilt.actions, state.actions);
        assert_eq!(rebuilt.savings_percent, Some(56.19));
    }

    #[test]
    fn reconcile_touches_only_what_differs_and_never_sends_a_past_start() {
        let now = utc("2027-03-24T12:00:00Z");
        let (model, weekly, zone) = decode(&staging_config()).unwrap();
        let wanted = weekly.actions(&model.name);
        let existing = vec![found("staging-w0-start", "0 8 * * 1-5", 5), found("staging-w0-end", "0 18 * * 1-5", 1)];
        assert!(reconcile(&existing, &wanted, &zone, "g", now).is_empty());
        // Stale own action deleted first; a changed recurrence gets its next occurrence as start.
        let existing = vec![found("staging-w0-start", "0 7 * * 1-5", 5), found("staging-w0-end", "0 18 * * 1-5", 1), found("staging-w1-start", "0 9 * * 6", 2)];
        let steps = reconcile(&existing, &wanted, &zone, "g", now);
        assert_eq!(steps[0], Step::Delete("staging-w1-start".into()));
        let Step::Put(put) = &steps[1] else { panic!("{steps:?}") };
        assert_eq!(put.name, "staging-w0-start");
        assert_eq!(put.start_time, Some(utc("2027-03-25T07:00:00Z")));
        assert!(put.start_time.unwrap() > now);
        assert_eq!(steps.len(), 2);
        // Losing a size means delete and put anew.
        let mut sized = found("staging-w0-end", "0 18 * * 1-5", 1);
        sized.min_size = Some(1);
        let steps = reconcile(&[found("staging-w0-start", "0 8 * * 1-5", 5), sized], &wanted, &zone, "g", now);
        assert_eq!(steps.iter().map(|s| matches!(s, Step::Delete(_))).collect::<Vec<_>>(), vec![true, false]);
    }

    #[test]
    fn config_problems_have_block_paths() {
        let mut config = staging_config();
        let mut window = config.get("window").unwrap().as_list().unwrap()[0].clone();
        set(&mut window, "end", Value::from("07:00"));
        set(&mut config, "window", Value::List(vec![window]));
        let mut diags = Diagnostics::new();
        let weekly = weekly_of_config(&config, &mut diags).unwrap();
        let problems: Vec<Diagnostic> = weekly.problems(false).iter().map(problem_diagnostic).collect();
        assert_eq!(problems[0].path.as_ref().map(ToString::to_string).as_deref(), Some("window[0].end"));
        assert!(problems[0].detail.contains("window[0]"), "{}", problems[0].detail);
        let mut bad = staging_config();
        set(&mut bad, "window", Value::List(vec![Value::object([("days", Value::from("MON#2")), ("start", Value::from("8")), ("end", Value::from("18:00")), ("desired_capacity", Value::from(1))])]));
        let mut diags = Diagnostics::new();
        assert!(weekly_of_config(&bad, &mut diags).is_none());
        let paths: Vec<String> = diags.iter().filter_map(|d| d.path.as_ref().map(ToString::to_string)).collect();
        assert_eq!(paths, vec!["window[0].days", "window[0].start"]);
    }
}

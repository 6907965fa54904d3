//! `autoscale_scheduled_action`: one Auto Scaling scheduled action, on a group named directly or
//! on a managed node group's group (looked up at apply), with its next runs previewed in the
//! plan — in UTC and in the action's time zone, across daylight-saving changes.
//!
//! Two choices shape this file:
//! - **`next_runs` is stable.** It is computed at plan time from "now", but a value that moved
//!   with the clock would make every plan show a change. So a plan recomputes it only when what
//!   decides the runs changes (recurrence, time zone, start or end time), and a refresh only
//!   when that changed in AWS or the first stored run has passed. A refresh that rolls the list
//!   forward changes only this computed attribute, which Terraform reports as "changed outside
//!   of Terraform" with an otherwise empty plan (exit code 0), never as a planned change.
//! - **Start times are never stale.** A start time in the past is never sent (AWS refuses it),
//!   and when the recurrence, time zone or start time of an existing action changes, the next
//!   occurrence of the new recurrence is sent as its start time — AWS otherwise keeps the start
//!   it derived from the old recurrence (hashicorp/terraform-provider-aws#38983).
//!
//! The target handling (`asg_name`, or `cluster_name` + `node_group_name`) is shared with
//! `autoscale_scaling_schedule`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tfplugin::provider::{Context, Plan, Resource, StateResult, import_passthrough};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::value::{Type, Value, from_value, to_value};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, validate};

use crate::aws::Clients;
use crate::aws::scheduled_actions::{
    PutScheduledAction, ScheduledAction, ScheduledActionError, asg_of_node_group, delete_scheduled_action_bounded, node_group_of_asg,
    put_scheduled_action_bounded,
};
use crate::schedule::{
    ActionTiming, Capacity, NEXT_RUN_COUNT, next_occurrence, parse_recurrence, parse_time_zone, parse_timestamp, same_time_zone,
    start_time_to_send, utc_text,
};

const TYPE_NAME: &str = "autoscale_scheduled_action";

/// The `autoscale_scheduled_action` resource.
pub struct ScheduledActionResource;

/// The state, field for field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Model {
    id: Option<String>,
    asg_name: Option<String>,
    cluster_name: Option<String>,
    node_group_name: Option<String>,
    name: String,
    recurrence: Option<String>,
    time_zone: Option<String>,
    start_time: Option<String>,
    end_time: Option<String>,
    min_size: Option<i64>,
    max_size: Option<i64>,
    desired_capacity: Option<i64>,
    next_runs: Option<Vec<RunModel>>,
    arn: Option<String>,
}

/// One element of `next_runs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RunModel {
    utc: String,
    local: String,
}

fn run_type() -> Type {
    Type::object([("utc", Type::String), ("local", Type::String)])
}

/// Whether a value was set and is now removed: AWS cannot unset a scheduled action's value, so
/// removing one replaces the action.
fn removed(prior: &Value, planned: &Value) -> bool {
    !prior.is_null() && planned.is_null()
}

#[tfplugin::async_trait]
impl Resource for ScheduledActionResource {
    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let size = |name: &str, what: &str| {
            Attribute::int(name)
                .optional()
                .validator(validate::int_between(0, i64::from(i32::MAX)))
                .requires_replace_if("it is removed (AWS cannot unset it)", removed)
                .description(format!("The group's {what} once the action runs. Left unset, the action does not change it. Set at least one of `min_size`, `max_size` and `desired_capacity`."))
        };
        let block = Block::new(
            "One Auto Scaling scheduled action (`aws_autoscaling_schedule` in the AWS provider), on an Auto Scaling group named directly or on the group of an EKS managed node group. \
             The recurrence and time zone are checked at plan time, and the plan previews the next runs in UTC and in local time, daylight-saving changes included. \
             A start time in the past is never sent, and changing the recurrence recomputes the start time (the AWS provider keeps a stale one: hashicorp/terraform-provider-aws#38983).",
        );
        let block = target_attributes(block, "action")
            .attribute(
                Attribute::string("name")
                    .required()
                    .requires_replace()
                    .validator(validate::length_between(1, 255))
                    .description("Name of the scheduled action, unique within its Auto Scaling group (`scheduled_action_name` in the AWS provider)."),
            )
            .attribute(
                Attribute::string("recurrence")
                    .optional()
                    .requires_replace_if("it is removed (AWS cannot unset it)", removed)
                    .description(
                        "When the action recurs: a 5-field Unix cron expression, `minute hour day-of-month month day-of-week`, read in `time_zone` (e.g. `0 8 * * MON-FRI`). \
                         Numbers, `*`, ranges, lists, steps and three-letter month and day names are accepted; extensions such as `L`, `W`, `#`, `?` and `@daily` are not. \
                         Leave it unset for a one-time action at `start_time`.",
                    ),
            )
            .attribute(Attribute::string("time_zone").default("UTC").description(
                "IANA time zone the recurrence is read in, such as `Europe/Paris` or `America/New_York`. An 08:00 action in `Europe/Paris` runs at 07:00 UTC in winter and 06:00 UTC in summer.",
            ))
            .attribute(Attribute::string("start_time").optional().description(
                "When the action starts, as an RFC 3339 timestamp (`2030-01-31T08:00:00Z`). With a recurrence, AWS runs the action at this time and then on the recurrence; without one, this is the one run. \
                 A start time already in the past is not sent (AWS would refuse it): a recurring action then simply runs on its recurrence.",
            ))
            .attribute(
                Attribute::string("end_time")
                    .optional()
                    .requires_replace_if("it is removed (AWS cannot unset it)", removed)
                    .description("When the recurring schedule ends, as an RFC 3339 timestamp. Must be after `start_time`."),
            )
            .attribute(size("min_size", "minimum size"))
            .attribute(size("max_size", "maximum size"))
            .attribute(size("desired_capacity", "desired capacity"))
            .attribute(Attribute::list_of("next_runs", run_type()).computed().description(
                "The next 5 runs, each an object with `utc` (`2030-01-31T07:00:00Z`) and `local` (the same instant in `time_zone`, with its offset: `2030-01-31T08:00:00+01:00`). \
                 A plan computes it when the recurrence, time zone, start or end time changes and otherwise keeps it, so plans stay empty; a refresh rolls it forward once its first run has passed (Terraform shows that as a change outside Terraform, not as a planned change).",
            ))
            .attribute(Attribute::string("arn").computed().use_state_for_unknown().description("ARN of the scheduled action, when AWS reports one."));
        Schema::new(0, block)
    }

    async fn validate(&self, _ctx: &Context, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        validate_target(config, &mut diags);
        let recurrence = known_text(config, "recurrence");
        if let Some(text) = recurrence
            && let Err(err) = parse_recurrence(text)
        {
            diags.error_at(AttributePath::root("recurrence"), "Invalid recurrence", format!("recurrence is not valid: {err}."));
        }
        if let Some(zone) = known_text(config, "time_zone")
            && let Err(err) = parse_time_zone(zone)
        {
            diags.error_at(AttributePath::root("time_zone"), "Unknown time zone", format!("time_zone is not valid: {err}."));
        }
        let mut times = [None, None];
        for (slot, field) in times.iter_mut().zip(["start_time", "end_time"]) {
            if let Some(text) = known_text(config, field) {
                match parse_timestamp(text) {
                    Ok(time) => *slot = Some(time),
                    Err(err) => diags.error_at(AttributePath::root(field), "Invalid timestamp", format!("{field} is not valid: {err}.")),
                }
            }
        }
        if let [Some(start), Some(end)] = times
            && end <= start
        {
            diags.error_at(
                AttributePath::root("end_time"),
                "End time not after start time",
                format!("end_time ({}) must be after start_time ({}).", utc_text(end), utc_text(start)),
            );
        }
        if is_null(config, "recurrence") && is_null(config, "start_time") {
            diags.error_at(
                AttributePath::root("recurrence"),
                "Nothing says when the action runs",
                "Set recurrence for a recurring action, start_time for a one-time action, or both.",
            );
        }
        validate_capacity(config, &AttributePath::empty(), &mut diags);
        if names_node_group(config) && config.get("max_size").and_then(Value::as_i64) == Some(0) {
            diags.push(eks_max_zero(AttributePath::root("max_size")));
        }
        diags
    }

    async fn modify_plan(&self, ctx: &Context, plan: &mut Plan) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if plan.planned.is_null() {
            return diags;
        }
        plan_target(plan);
        let now = now();
        let create = plan.is_create();
        let changed = |plan: &Plan, field: &str| create || !Value::semantically_equal(plan.prior.get(field).unwrap_or(&Value::Null), plan.planned.get(field).unwrap_or(&Value::Null));
        let start = known_text(&plan.planned, "start_time").and_then(|t| parse_timestamp(t).ok());
        let end = known_text(&plan.planned, "end_time").and_then(|t| parse_timestamp(t).ok());
        let recurring = !is_null(&plan.planned, "recurrence");
        if let Some(start) = start.filter(|s| *s <= now)
            && changed(plan, "start_time")
        {
            if recurring {
                diags.warning_at(
                    AttributePath::root("start_time"),
                    "Start time in the past",
                    format!("start_time ({}) has passed, so it will not be sent: the action runs on its recurrence from now on.", utc_text(start)),
                );
            } else {
                diags.error_at(
                    AttributePath::root("start_time"),
                    "Start time in the past",
                    format!("start_time ({}) has passed: a one-time action would never run. Set a future start_time, or a recurrence.", utc_text(start)),
                );
            }
        }
        if let Some(end) = end
            && changed(plan, "end_time")
        {
            if end <= now {
                diags.error_at(
                    AttributePath::root("end_time"),
                    "End time in the past",
                    format!("end_time ({}) has passed: the action would never run. Set a future end_time or remove it.", utc_text(end)),
                );
            } else if let Some(first) = first_recurring_run(&plan.planned, start, now)
                && end <= first
            {
                // AWS refuses it too ("Given end time is before the start time"), but only at apply.
                diags.error_at(
                    AttributePath::root("end_time"),
                    "End time before the first run",
                    format!("end_time ({}) is not after the action's first run ({}): the action would never run.", utc_text(end), utc_text(first)),
                );
            }
        }
        let timing_known = ["recurrence", "time_zone", "start_time", "end_time"].iter().all(|f| plan.planned.get(f).is_some_and(Value::is_known));
        let next_runs = if !timing_known {
            Value::Unknown
        } else {
            let timing_same = !create && ["recurrence", "time_zone", "start_time", "end_time"].iter().all(|f| !changed(plan, f));
            // Unchanged timing keeps the stored list even if its first run passed: rolling it
            // forward is refresh's business, and a plan must not propose an update for it.
            match (timing_same, plan.prior.get("next_runs")) {
                (true, Some(prior)) if prior.is_wholly_known() && !prior.is_null() => prior.clone(),
                _ => timing_of(&plan.planned).map(|t| runs_value(&t, now)).unwrap_or(Value::Unknown),
            }
        };
        set(&mut plan.planned, "next_runs", next_runs);
        if create {
            set(&mut plan.planned, "arn", Value::Unknown);
        }
        if plan.planned.get("max_size").and_then(Value::as_i64) == Some(0) && asg_is_eks_node_group(ctx, &plan.config).await {
            diags.push(eks_max_zero(AttributePath::root("max_size")));
        }
        diags
    }

    async fn create(&self, ctx: &Context, planned: &Value, _config: &Value) -> StateResult {
        let clients = match crate::aws::clients(ctx).await {
            Ok(c) => c,
            Err(d) => return StateResult::failed(Value::Null, d),
        };
        let model: Model = match from_value(planned) {
            Ok(m) => m,
            Err(e) => return StateResult::failed(Value::Null, e.to_diagnostic()),
        };
        let asg = match resolve_asg(&clients, planned).await {
            Ok(asg) => asg,
            Err(d) => return StateResult::failed(Value::Null, d),
        };
        match clients.scheduled_actions.find(&asg, &model.name).await {
            Ok(None) => {}
            Ok(Some(_)) => return StateResult::failed(Value::Null, already_exists(&asg, &model.name)),
            Err(e) => return StateResult::failed(Value::Null, Diagnostic::from_error(&e)),
        }
        let now = now();
        let put = match expand(&model, &asg, None, now) {
            Ok(put) => put,
            Err(d) => return StateResult::failed(Value::Null, d),
        };
        let created = Model { id: Some(format!("{asg}/{}", model.name)), asg_name: Some(asg.clone()), ..model };
        match put_scheduled_action_bounded(&clients.autoscaling, &put, &ctx.cancellation_token()).await {
            Ok(()) => read_back(&clients, created, planned, now).await,
            // No answer: the action may exist. Kept in state (tainted), so the next apply's
            // refresh finds it or drops it, and the re-run never meets "already exists".
            Err(e @ ScheduledActionError::Put { answered: false, .. }) => StateResult::failed(
                state_value(&unconfirmed(&created, planned, now)),
                Diagnostic::error(
                    e.to_string(),
                    "No answer came back, so AWS may have written the action. It is kept in state as tainted: the next apply \
                     reads it back and writes it again, or forgets it if it was never written.",
                ),
            ),
            Err(e) => StateResult::failed(Value::Null, Diagnostic::from_error(&e)),
        }
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
        match clients.scheduled_actions.find(&asg, &model.name).await {
            Ok(Some(found)) => StateResult::ok(state_value(&flatten(&found, &model, now(), None))),
            Ok(None) => StateResult::ok(Value::Null),
            Err(e) => StateResult::failed(state.clone(), Diagnostic::from_error(&e)),
        }
    }

    async fn update(&self, ctx: &Context, prior: &Value, planned: &Value, _config: &Value, _private: &[u8]) -> StateResult {
        let clients = match crate::aws::clients(ctx).await {
            Ok(c) => c,
            Err(d) => return StateResult::failed(prior.clone(), d),
        };
        let (before, model): (Model, Model) = match (from_value(prior), from_value(planned)) {
            (Ok(b), Ok(m)) => (b, m),
            (Err(e), _) | (_, Err(e)) => return StateResult::failed(prior.clone(), e.to_diagnostic()),
        };
        let Some(asg) = model.asg_name.clone().or_else(|| before.asg_name.clone()) else {
            return StateResult::failed(prior.clone(), Diagnostic::error("Provider bug", "the action's Auto Scaling group is not in state"));
        };
        let now = now();
        let put = match expand(&model, &asg, Some(&before), now) {
            Ok(put) => put,
            Err(d) => return StateResult::failed(prior.clone(), d),
        };
        if let Err(e) = put_scheduled_action_bounded(&clients.autoscaling, &put, &ctx.cancellation_token()).await {
            return StateResult::failed(prior.clone(), Diagnostic::from_error(&e));
        }
        let updated = Model { id: Some(format!("{asg}/{}", model.name)), asg_name: Some(asg), ..model };
        read_back(&clients, updated, planned, now).await
    }

    async fn delete(&self, ctx: &Context, prior: &Value, _private: &[u8]) -> Diagnostics {
        let clients = match crate::aws::clients(ctx).await {
            Ok(c) => c,
            Err(d) => return d.into(),
        };
        let (Some(asg), Some(name)) = (known_text(prior, "asg_name"), known_text(prior, "name")) else { return Diagnostics::new() };
        match delete_scheduled_action_bounded(&clients.autoscaling, asg, name, &ctx.cancellation_token()).await {
            Ok(_) => Diagnostics::new(),
            Err(e) => Diagnostic::from_error(&e).into(),
        }
    }

    async fn import(&self, ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        let clients = crate::aws::clients(ctx).await?;
        let (asg, name) = find_import_target(&clients, id, "<asg-name>/<action-name>", |found: &[ScheduledAction], name: &str| {
            found.iter().any(|a| a.name == name)
        })
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

/// The `PutScheduledUpdateGroupAction` for a planned model; `before` is the prior state on update.
fn expand(model: &Model, asg: &str, before: Option<&Model>, now: DateTime<Utc>) -> Result<PutScheduledAction, Diagnostic> {
    let invalid = |field: &str, err: crate::schedule::ScheduleError| Diagnostic::error(format!("Invalid {field}"), err.to_string()).at(AttributePath::root(field));
    let zone_name = model.time_zone.clone().unwrap_or_else(|| "UTC".into());
    let zone = parse_time_zone(&zone_name).map_err(|e| invalid("time_zone", e))?;
    let recurrence = model.recurrence.as_deref().map(parse_recurrence).transpose().map_err(|e| invalid("recurrence", e))?;
    let start = model.start_time.as_deref().map(parse_timestamp).transpose().map_err(|e| invalid("start_time", e))?;
    let end = model.end_time.as_deref().map(parse_timestamp).transpose().map_err(|e| invalid("end_time", e))?;
    let timing_changed = before.is_some_and(|b| {
        b.recurrence != model.recurrence || !same_time_zone(b.time_zone.as_deref(), Some(&zone_name)) || b.start_time != model.start_time
    });
    Ok(PutScheduledAction {
        asg_name: asg.to_string(),
        name: model.name.clone(),
        recurrence: model.recurrence.clone(),
        time_zone: Some(zone_name),
        start_time: start_time_to_send(start, recurrence.as_ref(), zone, timing_changed, now),
        end_time: end,
        min_size: model.min_size,
        max_size: model.max_size,
        desired_capacity: model.desired_capacity,
    })
}

/// The state for an action as AWS reports it, given the state it had (`prior`). Values equal to
/// the prior ones keep their written form; `next_runs` is `planned_runs` when given (apply must
/// return what was planned), else kept or recomputed as the module header explains.
fn flatten(found: &ScheduledAction, prior: &Model, now: DateTime<Utc>, planned_runs: Option<Vec<RunModel>>) -> Model {
    let imported = prior.next_runs.is_none() && planned_runs.is_none();
    let prior_zone = prior.time_zone.clone().unwrap_or_else(|| "UTC".into());
    let time_zone = if same_time_zone(found.time_zone.as_deref(), Some(&prior_zone)) { prior_zone } else { found.time_zone.clone().unwrap_or_else(|| "UTC".into()) };
    let same_second = |a: DateTime<Utc>, b: DateTime<Utc>| a.timestamp() == b.timestamp();
    let end_time = match (found.end_time, prior.end_time.as_deref().and_then(|t| parse_timestamp(t).ok())) {
        (Some(f), Some(p)) if same_second(f, p) => prior.end_time.clone(),
        (f, _) => f.map(utc_text),
    };
    let start_time = if imported {
        // A recurring action without a start time reports its next run as its start time, so a
        // start at or before the recurrence's next run is taken as AWS's, not as configured.
        let zone = parse_time_zone(&time_zone).ok();
        let recurrence = found.recurrence.as_deref().and_then(|r| parse_recurrence(r).ok());
        match (found.start_time, recurrence, zone) {
            (Some(start), Some(rec), Some(zone)) => next_occurrence(&rec, zone, now).filter(|next| start > *next).map(|_| utc_text(start)),
            (Some(start), None, _) => Some(utc_text(start)),
            _ => None,
        }
    } else {
        match prior.start_time.as_deref().map(|t| (t, parse_timestamp(t).ok())) {
            None => None,
            // Once a configured start has passed, AWS may report the run after it: not drift.
            Some((text, Some(p))) if found.start_time.is_some_and(|f| same_second(f, p)) || p <= now => Some(text.to_string()),
            Some(_) => found.start_time.map(utc_text),
        }
    };
    let mut model = Model {
        id: Some(format!("{}/{}", found.asg_name, found.name)),
        asg_name: Some(found.asg_name.clone()),
        cluster_name: prior.cluster_name.clone(),
        node_group_name: prior.node_group_name.clone(),
        name: found.name.clone(),
        recurrence: found.recurrence.clone(),
        time_zone: Some(time_zone),
        start_time,
        end_time,
        min_size: found.min_size,
        max_size: found.max_size,
        desired_capacity: found.desired_capacity,
        next_runs: None,
        arn: found.arn.clone(),
    };
    let timing_same = prior.recurrence == model.recurrence && prior.time_zone == model.time_zone && prior.start_time == model.start_time && prior.end_time == model.end_time;
    model.next_runs = match planned_runs {
        Some(runs) => Some(runs),
        None => match &prior.next_runs {
            Some(runs) if timing_same && first_run_ahead(runs, now) => Some(runs.clone()),
            _ => timing_of_model(&model).map(|t| run_models(&t, now)),
        },
    };
    model
}

fn timing_of_model(model: &Model) -> Option<ActionTiming> {
    Some(ActionTiming {
        recurrence: match model.recurrence.as_deref() {
            Some(text) => Some(parse_recurrence(text).ok()?),
            None => None,
        },
        time_zone: parse_time_zone(model.time_zone.as_deref().unwrap_or("UTC")).ok()?,
        start: match model.start_time.as_deref() {
            Some(text) => Some(parse_timestamp(text).ok()?),
            None => None,
        },
        end: match model.end_time.as_deref() {
            Some(text) => Some(parse_timestamp(text).ok()?),
            None => None,
        },
    })
}

/// The timing of a planned value whose timing attributes are known.
fn timing_of(planned: &Value) -> Option<ActionTiming> {
    let model = Model {
        recurrence: known_text(planned, "recurrence").map(str::to_string),
        time_zone: known_text(planned, "time_zone").map(str::to_string),
        start_time: known_text(planned, "start_time").map(str::to_string),
        end_time: known_text(planned, "end_time").map(str::to_string),
        ..Model::default()
    };
    timing_of_model(&model)
}

/// When a recurring action without a future start time first runs: its recurrence's next
/// occurrence after `now`, in its time zone (what AWS takes as its start time).
fn first_recurring_run(planned: &Value, start: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if start.is_some_and(|s| s > now) {
        return None;
    }
    let recurrence = parse_recurrence(known_text(planned, "recurrence")?).ok()?;
    let zone = parse_time_zone(known_text(planned, "time_zone").unwrap_or("UTC")).ok()?;
    next_occurrence(&recurrence, zone, now)
}

fn run_models(timing: &ActionTiming, now: DateTime<Utc>) -> Vec<RunModel> {
    timing.next_runs(now, NEXT_RUN_COUNT).into_iter().map(|r| RunModel { utc: utc_text(r.utc), local: r.local }).collect()
}

fn runs_value(timing: &ActionTiming, now: DateTime<Utc>) -> Value {
    to_value(&run_models(timing, now)).unwrap_or(Value::Unknown)
}

/// Whether stored runs can stand: the first is still ahead. An empty list is recomputed (cheap,
/// and it stays empty unless the timing changed).
fn first_run_ahead(runs: &[RunModel], now: DateTime<Utc>) -> bool {
    runs.first().is_some_and(|first| parse_timestamp(&first.utc).is_ok_and(|t| t > now))
}

/// After a put: the state from what AWS now reports, `next_runs` as planned. A failed read-back
/// still returns the action, so Terraform keeps it.
async fn read_back(clients: &Clients, model: Model, planned: &Value, now: DateTime<Utc>) -> StateResult {
    let asg = model.asg_name.clone().unwrap_or_default();
    let fallback = unconfirmed(&model, planned, now);
    match clients.scheduled_actions.find(&asg, &model.name).await {
        Ok(Some(found)) => {
            let mut state = flatten(&found, &Model { next_runs: Some(Vec::new()), ..model.clone() }, now, fallback.next_runs.clone());
            // What apply returns must match the plan: keep the written forms the plan holds.
            state.start_time = model.start_time.clone();
            state.cluster_name = model.cluster_name.clone();
            state.node_group_name = model.node_group_name.clone();
            StateResult::ok(state_value(&state))
        }
        Ok(None) => StateResult::failed(
            state_value(&fallback),
            Diagnostic::error(format!("reading scheduled action ({asg}/{}) after writing it", model.name), "AWS accepted the action but does not list it."),
        ),
        Err(e) => StateResult::failed(state_value(&fallback), Diagnostic::from_error(&e)),
    }
}

/// The state of an action written (or maybe written) but not read back: the plan's values.
fn unconfirmed(model: &Model, planned: &Value, now: DateTime<Utc>) -> Model {
    let planned_runs = planned.get("next_runs").filter(|v| v.is_wholly_known() && !v.is_null()).and_then(|v| from_value::<Vec<RunModel>>(v).ok());
    Model { next_runs: planned_runs.or_else(|| timing_of_model(model).map(|t| run_models(&t, now))), ..model.clone() }
}

fn state_value(model: &Model) -> Value {
    to_value(model).unwrap_or(Value::Null)
}

fn already_exists(asg: &str, name: &str) -> Diagnostic {
    Diagnostic::error(
        "Scheduled action already exists",
        format!(
            "Auto Scaling group {asg} already has a scheduled action named {name}. Import it (`terraform import <address> {asg}/{name}`) or choose another name; it was left as it is."
        ),
    )
    .at(AttributePath::root("name"))
}

// ---------------------------------------------------------------------------------------------
// Shared with autoscale_scaling_schedule: the target group, values, capacity checks
// ---------------------------------------------------------------------------------------------

/// The current time (the only clock read of the scheduling resources).
pub(crate) fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from(std::time::SystemTime::now())
}

/// The attributes naming the Auto Scaling group: `asg_name`, or `cluster_name` and
/// `node_group_name`. `thing` is what the resource manages ("action", "schedule").
pub(crate) fn target_attributes(block: Block, thing: &str) -> Block {
    block
        .attribute(Attribute::string("id").computed().use_state_for_unknown().description("`<asg_name>/<name>`, the import id."))
        .attribute(Attribute::string("asg_name").optional().computed().conflicts_with("cluster_name").conflicts_with("node_group_name").description(format!(
            "Name of the Auto Scaling group (`autoscaling_group_name` in the AWS provider). Set it, or `cluster_name` and `node_group_name`; with those, it is the node group's group, looked up at apply. Changing the group replaces the {thing}."
        )))
        .attribute(Attribute::string("cluster_name").optional().computed().description(format!(
            "Name of the EKS cluster of the managed node group whose Auto Scaling group the {thing} is for. Set together with `node_group_name`. Changing it replaces the {thing}."
        )))
        .attribute(Attribute::string("node_group_name").optional().computed().description(format!(
            "Name of the EKS managed node group whose Auto Scaling group the {thing} is for. Set together with `cluster_name`. Changing it replaces the {thing}."
        )))
}

/// Exactly one way of naming the group.
pub(crate) fn validate_target(config: &Value, diags: &mut Diagnostics) {
    let asg = !is_null(config, "asg_name");
    let cluster = !is_null(config, "cluster_name");
    let node_group = !is_null(config, "node_group_name");
    if asg {
        return; // conflicts_with reports asg_name together with the others
    }
    match (cluster, node_group) {
        (true, true) => {}
        (true, false) => diags.error_at(AttributePath::root("node_group_name"), "Missing node group name", "cluster_name is set, so node_group_name must be too: they name the node group whose Auto Scaling group is scheduled."),
        (false, true) => diags.error_at(AttributePath::root("cluster_name"), "Missing cluster name", "node_group_name is set, so cluster_name must be too: they name the node group whose Auto Scaling group is scheduled."),
        (false, false) => diags.error_at(AttributePath::root("asg_name"), "No Auto Scaling group", "Set asg_name, or cluster_name and node_group_name to schedule a managed node group's Auto Scaling group."),
    }
}

/// Plans `asg_name`, `cluster_name`, `node_group_name` and `id`, and the replacement a change
/// of group means. The planner cannot do it alone: these are optional and computed, each form
/// fills the other's attributes, and a node group's group is known only at apply.
pub(crate) fn plan_target(plan: &mut Plan) {
    let create = plan.is_create();
    let config_asg = plan.config.get("asg_name").cloned().unwrap_or(Value::Null);
    let prior_of = |plan: &Plan, field: &str| if create { Value::Null } else { plan.prior.get(field).cloned().unwrap_or(Value::Null) };
    if !config_asg.is_null() {
        // Group named directly: cluster and node group keep what import or earlier applies found.
        let prior_asg = prior_of(plan, "asg_name");
        if !create && !Value::semantically_equal(&prior_asg, &config_asg) {
            plan.requires_replace.push(AttributePath::root("asg_name"));
        }
        let replace = !create && !Value::semantically_equal(&prior_asg, &config_asg);
        for field in ["cluster_name", "node_group_name"] {
            let value = if replace { Value::Null } else { prior_of(plan, field) };
            set(&mut plan.planned, field, value);
        }
        set(&mut plan.planned, "asg_name", config_asg);
    } else {
        let mut same = !create;
        for field in ["cluster_name", "node_group_name"] {
            let config = plan.config.get(field).cloned().unwrap_or(Value::Null);
            if !Value::semantically_equal(&prior_of(plan, field), &config) {
                same = false;
                if !create {
                    plan.requires_replace.push(AttributePath::root(field));
                }
            }
            set(&mut plan.planned, field, config);
        }
        let asg = if same { prior_of(plan, "asg_name") } else { Value::Unknown };
        set(&mut plan.planned, "asg_name", asg);
    }
    let id = match (plan.planned.get("asg_name").and_then(Value::as_str), plan.planned.get("name").and_then(Value::as_str)) {
        (Some(asg), Some(name)) => Value::from(format!("{asg}/{name}")),
        _ => Value::Unknown,
    };
    set(&mut plan.planned, "id", id);
}

/// The group a planned target names: `asg_name`, or the node group's one group.
pub(crate) async fn resolve_asg(clients: &Clients, planned: &Value) -> Result<String, Diagnostic> {
    if let Some(asg) = known_text(planned, "asg_name") {
        return Ok(asg.to_string());
    }
    match (known_text(planned, "cluster_name"), known_text(planned, "node_group_name")) {
        (Some(cluster), Some(node_group)) => asg_of_node_group(&clients.eks, cluster, node_group)
            .await
            .map_err(|e| Diagnostic::from_error(&e).at(AttributePath::root("node_group_name"))),
        _ => Err(Diagnostic::error("No Auto Scaling group", "Set asg_name, or cluster_name and node_group_name.").at(AttributePath::root("asg_name"))),
    }
}

/// Whether a configuration names its group through an EKS managed node group (known at
/// validation time).
pub(crate) fn names_node_group(config: &Value) -> bool {
    is_null(config, "asg_name") && !is_null(config, "cluster_name")
}

/// Whether a configuration names its group directly and that group belongs to an EKS managed
/// node group (by EKS's tags; a plan-time lookup). Unknown (provider not configured, lookup
/// failed) counts as no: the check is a courtesy, AWS has the last word.
pub(crate) async fn asg_is_eks_node_group(ctx: &Context, config: &Value) -> bool {
    let Some(asg) = known_text(config, "asg_name") else { return false };
    let Ok(clients) = crate::aws::clients(ctx).await else { return false };
    matches!(node_group_of_asg(&clients.autoscaling, asg).await, Ok(Some(_)))
}

/// The error for max_size 0 on an EKS node group's group.
pub(crate) fn eks_max_zero(path: AttributePath) -> Diagnostic {
    Diagnostic::error(
        "max_size 0 on an EKS node group",
        "This Auto Scaling group belongs to an EKS managed node group, and EKS requires a maximum size of at least 1: a maximum of 0 puts the group out of step with its node group. To scale to zero, set min_size and desired_capacity to 0 and keep max_size at 1 or more.",
    )
    .at(path)
}

/// Checks `min_size`, `max_size` and `desired_capacity` of the object at `path`: at least one set,
/// min ≤ desired ≤ max.
pub(crate) fn validate_capacity(object: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    let fields = ["min_size", "max_size", "desired_capacity"];
    if fields.iter().all(|f| is_null(object, f)) {
        diags.error_at(path.clone().attr("desired_capacity"), "No capacity to set", "Set at least one of min_size, max_size and desired_capacity: a scheduled action must change something.");
        return;
    }
    let capacity = Capacity {
        min_size: object.get("min_size").and_then(Value::as_i64),
        max_size: object.get("max_size").and_then(Value::as_i64),
        desired_capacity: object.get("desired_capacity").and_then(Value::as_i64),
    };
    if let Some((field, detail)) = capacity.problem() {
        diags.error_at(path.clone().attr(field), "Inconsistent sizes", detail);
    }
}

/// Finds `<asg>/<name>` in an import id. Group and action names may both contain `/`, so each
/// split is tried until `has(actions of the group, name)` says the action is there.
pub(crate) async fn find_import_target(
    clients: &Clients,
    id: &str,
    form: &str,
    has: impl Fn(&[ScheduledAction], &str) -> bool,
) -> Result<(String, String), Diagnostics> {
    let splits: Vec<(&str, &str)> = id.match_indices('/').map(|(i, _)| (&id[..i], &id[i + 1..])).filter(|(a, n)| !a.is_empty() && !n.is_empty()).collect();
    if splits.is_empty() {
        return Err(Diagnostic::error("Invalid import ID", format!("{id:?} is not of the form {form}.")).into());
    }
    for (asg, name) in splits {
        let found = crate::aws::scheduled_actions::scheduled_actions_of_group(&clients.autoscaling, asg).await.map_err(|e| Diagnostics::from(Diagnostic::from_error(&e)))?;
        if has(&found, name) {
            return Ok((asg.to_string(), name.to_string()));
        }
    }
    Err(Diagnostic::error("Cannot import", format!("No Auto Scaling group has what {id:?} names ({form}).")).into())
}

/// Fills `cluster_name` and `node_group_name` of an imported state from the group's EKS tags, so
/// that a configuration naming the node group plans no change after import.
pub(crate) async fn fill_node_group_from_tags(clients: &Clients, asg: &str, state: &mut Value) {
    if let Ok(Some((cluster, node_group))) = node_group_of_asg(&clients.autoscaling, asg).await {
        set(state, "cluster_name", Value::from(cluster));
        set(state, "node_group_name", Value::from(node_group));
    }
}

/// A known, non-null string attribute.
pub(crate) fn known_text<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object.get(field).and_then(Value::as_str)
}

/// Whether an attribute is null (unknown is not null: it will be set).
pub(crate) fn is_null(object: &Value, field: &str) -> bool {
    object.get(field).is_none_or(Value::is_null)
}

/// Sets an attribute of an object value.
pub(crate) fn set(object: &mut Value, field: &str, value: Value) {
    if let Value::Object(fields) = object {
        fields.insert(field.to_string(), value);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        parse_timestamp(text).unwrap()
    }

    fn found() -> ScheduledAction {
        ScheduledAction {
            asg_name: "g".into(),
            name: "up".into(),
            arn: Some("arn:x".into()),
            recurrence: Some("0 8 * * MON-FRI".into()),
            time_zone: Some("Europe/Paris".into()),
            start_time: Some(utc("2027-03-25T07:00:00Z")),
            end_time: None,
            min_size: Some(1),
            max_size: None,
            desired_capacity: Some(5),
        }
    }

    fn model() -> Model {
        Model {
            id: Some("g/up".into()),
            asg_name: Some("g".into()),
            name: "up".into(),
            recurrence: Some("0 8 * * MON-FRI".into()),
            time_zone: Some("Europe/Paris".into()),
            min_size: Some(1),
            desired_capacity: Some(5),
            ..Model::default()
        }
    }

    #[test]
    fn expand_sends_no_start_time_on_create_and_the_next_occurrence_when_the_recurrence_changes() {
        let now = utc("2027-03-24T12:00:00Z");
        let put = expand(&model(), "g", None, now).unwrap();
        assert_eq!(put.start_time, None);
        assert_eq!(put.time_zone.as_deref(), Some("Europe/Paris"));
        assert_eq!((put.min_size, put.max_size, put.desired_capacity), (Some(1), None, Some(5)));
        let before = Model { recurrence: Some("0 9 * * MON-FRI".into()), ..model() };
        let put = expand(&model(), "g", Some(&before), now).unwrap();
        assert_eq!(put.start_time, Some(utc("2027-03-25T07:00:00Z")));
        // Only capacity changed: no start time.
        let before = Model { desired_capacity: Some(4), ..model() };
        assert_eq!(expand(&model(), "g", Some(&before), now).unwrap().start_time, None);
        // A configured start in the past is never sent, even with a new recurrence.
        let past = Model { start_time: Some("2027-01-01T00:00:00Z".into()), ..model() };
        assert_eq!(expand(&past, "g", Some(&past), now).unwrap().start_time, None);
        let before = Model { recurrence: Some("0 9 * * MON-FRI".into()), ..past.clone() };
        assert_eq!(expand(&past, "g", Some(&before), now).unwrap().start_time, Some(utc("2027-03-25T07:00:00Z")));
    }

    #[test]
    fn flatten_keeps_next_runs_until_the_first_has_passed() {
        let now = utc("2027-03-24T12:00:00Z");
        let first = flatten(&found(), &Model { next_runs: Some(Vec::new()), ..model() }, now, None);
        let runs = first.next_runs.clone().unwrap();
        assert_eq!(runs.len(), 5);
        assert_eq!(runs[0], RunModel { utc: "2027-03-25T07:00:00Z".into(), local: "2027-03-25T08:00:00+01:00".into() });
        assert_eq!(runs[2].utc, "2027-03-29T06:00:00Z");
        // An hour later nothing moves; after the first run the list rolls forward.
        assert_eq!(flatten(&found(), &first, now + chrono::Duration::hours(1), None).next_runs, Some(runs.clone()));
        let later = flatten(&found(), &first, utc("2027-03-25T07:30:00Z"), None);
        assert_eq!(later.next_runs.unwrap()[0].utc, "2027-03-26T07:00:00Z");
        // A changed recurrence recomputes them.
        let moved = ScheduledAction { recurrence: Some("0 9 * * MON-FRI".into()), ..found() };
        assert_eq!(flatten(&moved, &first, now, None).next_runs.unwrap()[0].utc, "2027-03-25T08:00:00Z");
    }

    #[test]
    fn flatten_shows_drift_in_every_field() {
        let now = utc("2027-03-24T12:00:00Z");
        let prior = Model { next_runs: Some(Vec::new()), end_time: Some("2027-12-31T00:00:00Z".into()), ..model() };
        let changed = ScheduledAction {
            recurrence: Some("0 7 * * *".into()),
            time_zone: Some("America/New_York".into()),
            end_time: Some(utc("2028-01-31T00:00:00Z")),
            min_size: Some(2),
            max_size: Some(9),
            desired_capacity: None,
            ..found()
        };
        let state = flatten(&changed, &prior, now, None);
        assert_eq!(state.recurrence.as_deref(), Some("0 7 * * *"));
        assert_eq!(state.time_zone.as_deref(), Some("America/New_York"));
        assert_eq!(state.end_time.as_deref(), Some("2028-01-31T00:00:00Z"));
        assert_eq!((state.min_size, state.max_size, state.desired_capacity), (Some(2), Some(9), None));
        assert_eq!(state.arn.as_deref(), Some("arn:x"));
        // Equal values keep their written form; UTC spelled differently is not drift.
        let written = Model { end_time: Some("2027-12-31T01:00:00+01:00".into()), time_zone: Some("UTC".into()), ..prior.clone() };
        let same = ScheduledAction { end_time: Some(utc("2027-12-31T00:00:00Z")), time_zone: Some("Etc/UTC".into()), ..found() };
        let state = flatten(&same, &written, now, None);
        assert_eq!(state.end_time.as_deref(), Some("2027-12-31T01:00:00+01:00"));
        assert_eq!(state.time_zone.as_deref(), Some("UTC"));
    }

    #[test]
    fn flatten_tells_a_configured_start_from_the_one_aws_derives() {
        let now = utc("2027-03-24T12:00:00Z");
        // Not configured: AWS's derived start is not the user's.
        assert_eq!(flatten(&found(), &Model { next_runs: Some(Vec::new()), ..model() }, now, None).start_time, None);
        // Configured and equal, or configured and passed: kept as written.
        let configured = Model { next_runs: Some(Vec::new()), start_time: Some("2027-03-25T08:00:00+01:00".into()), ..model() };
        assert_eq!(flatten(&found(), &configured, now, None).start_time.as_deref(), Some("2027-03-25T08:00:00+01:00"));
        let passed = Model { start_time: Some("2027-03-01T00:00:00Z".into()), ..configured.clone() };
        assert_eq!(flatten(&found(), &passed, now, None).start_time.as_deref(), Some("2027-03-01T00:00:00Z"));
        // Configured in the future and changed out of band: drift.
        let future = Model { start_time: Some("2027-06-01T00:00:00Z".into()), ..configured };
        assert_eq!(flatten(&found(), &future, now, None).start_time.as_deref(), Some("2027-03-25T07:00:00Z"));
        // Import: a start beyond the next run is a configured one; the next run itself is not.
        let imported = Model { next_runs: None, ..model() };
        assert_eq!(flatten(&found(), &imported, now, None).start_time, None);
        let far = ScheduledAction { start_time: Some(utc("2027-06-01T00:00:00Z")), ..found() };
        assert_eq!(flatten(&far, &imported, now, None).start_time.as_deref(), Some("2027-06-01T00:00:00Z"));
    }

    #[test]
    fn capacity_checks_name_the_attribute() {
        let mut diags = Diagnostics::new();
        validate_capacity(&Value::object([("min_size", Value::from(5)), ("max_size", Value::from(2)), ("desired_capacity", Value::Null)]), &AttributePath::empty(), &mut diags);
        assert_eq!(diags.iter().map(|d| d.path.as_ref().map(ToString::to_string)).collect::<Vec<_>>(), vec![Some("min_size".to_string())]);
        let mut diags = Diagnostics::new();
        validate_capacity(&Value::object([("min_size", Value::Null), ("max_size", Value::Null), ("desired_capacity", Value::Null)]), &AttributePath::root("off_hours"), &mut diags);
        assert_eq!(diags.iter().next().and_then(|d| d.path.as_ref()).map(ToString::to_string).as_deref(), Some("off_hours.desired_capacity"));
        // Unknown sizes are not missing.
        let mut diags = Diagnostics::new();
        validate_capacity(&Value::object([("min_size", Value::Unknown), ("max_size", Value::Null), ("desired_capacity", Value::Null)]), &AttributePath::empty(), &mut diags);
        assert!(diags.is_empty());
    }
}

//! `autoscale_cost_estimate`: what a node group costs a week and a month, On-Demand or Spot,
//! constant or on a weekly schedule, priced at plan time from AWS's own price data — the
//! On-Demand price from the Price List Query API, the spot price from EC2's spot price history —
//! and what it saves against running its peak all week.
//!
//! This file maps configuration to the inputs of `crate::cost` (pure arithmetic) and its figures
//! back to attributes; prices come from `crate::aws::prices` (one call per instance type and
//! region per provider process). A schedule is read with `autoscale_scaling_schedule`'s own
//! parser, and its instance-hours are the schedule module's, so the two never disagree.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tfplugin::provider::{Context, DataSource, StateResult};
use tfplugin::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::value::{Type, Value, from_value, to_value};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, validate};

use crate::aws::Clients;
use crate::aws::node_groups::find_node_group;
use crate::cost::{CapacityType, CostError, Estimate, SpotPrice, Statistic, TypePrice, WeeklyUsage, estimate, monthly, round};
use crate::resources::scaling_schedule::{problem_diagnostic, weekly_of_config};

const TYPE_NAME: &str = "autoscale_cost_estimate";

/// Lookback of the spot price history when `spot_lookback_hours` is not set: a week, the period
/// the weekly figures are for.
pub const DEFAULT_SPOT_LOOKBACK_HOURS: i64 = 168;

/// The longest lookback: EC2 keeps 90 days of spot price history.
const MAX_SPOT_LOOKBACK_HOURS: i64 = 90 * 24;

/// The instance type EKS launches when a node group names none (EKS API, CreateNodegroup:
/// `instanceTypes` defaults to t3.medium).
const EKS_DEFAULT_INSTANCE_TYPE: &str = "t3.medium";

/// The three ways of giving the capacity over a week.
const USAGE_FORMS: [&str; 3] = ["node_count", "window", "weekly_instance_hours"];

/// The data source.
pub struct CostEstimate;

/// The configuration and state, field for field.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Model {
    region: Option<String>,
    instance_types: Option<Vec<String>>,
    cluster_name: Option<String>,
    node_group_name: Option<String>,
    capacity_type: Option<String>,
    weights: Option<BTreeMap<String, f64>>,
    node_count: Option<f64>,
    window: Option<Vec<WindowModel>>,
    off_hours: Option<OffHoursModel>,
    weekly_instance_hours: Option<f64>,
    static_node_count: Option<f64>,
    price_override: Option<Vec<OverrideModel>>,
    spot_lookback_hours: Option<i64>,
    spot_statistic: Option<String>,
    prices: Option<Vec<PriceModel>>,
    on_demand_hourly_price: Option<f64>,
    spot_hourly_price: Option<f64>,
    hourly_price: Option<f64>,
    weekly_cost: Option<f64>,
    monthly_cost: Option<f64>,
    weekly_on_demand_static_cost: Option<f64>,
    monthly_on_demand_static_cost: Option<f64>,
    weekly_spot_static_cost: Option<f64>,
    monthly_spot_static_cost: Option<f64>,
    savings_vs_on_demand_static_percent: Option<f64>,
    savings_vs_spot_static_percent: Option<f64>,
    savings_vs_baseline_percent: Option<f64>,
    summary: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct WindowModel {
    days: String,
    start: String,
    end: String,
    desired_capacity: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct OffHoursModel {
    desired_capacity: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct OverrideModel {
    instance_type: String,
    on_demand: Option<f64>,
    spot: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PriceModel {
    instance_type: String,
    on_demand_hourly: f64,
    spot_hourly: f64,
    spot_by_availability_zone: BTreeMap<String, f64>,
    spot_records: i64,
    weight: f64,
    on_demand_source: String,
    spot_source: String,
}

fn price_type() -> Type {
    Type::object([
        ("instance_type", Type::String),
        ("on_demand_hourly", Type::Number),
        ("spot_hourly", Type::Number),
        ("spot_by_availability_zone", Type::map(Type::Number)),
        ("spot_records", Type::Number),
        ("weight", Type::Number),
        ("on_demand_source", Type::String),
        ("spot_source", Type::String),
    ])
}

fn computed_number(name: &str, description: &str) -> Attribute {
    Attribute::number(name).computed().description(description)
}

#[tfplugin::async_trait]
impl DataSource for CostEstimate {
    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let window = Block::new("An in-hours period, as in `autoscale_scaling_schedule`: on `days`, from `start` to `end`, `desired_capacity` nodes. Windows may touch but not overlap.")
            .attribute(Attribute::string("days").required().description("Days of the week, as a cron day-of-week field: `MON-FRI`, `SAT,SUN`, `*`."))
            .attribute(Attribute::string("start").required().description("Time of day the window starts, `HH:MM` (24-hour)."))
            .attribute(Attribute::string("end").required().description("Time of day the window ends, `HH:MM`, after `start`; `24:00` ends it at midnight."))
            .attribute(Attribute::int("desired_capacity").required().validator(validate::int_between(0, i64::from(i32::MAX))).description("Nodes running in the window."));
        let off_hours = Block::new("The capacity outside every window.")
            .attribute(Attribute::int("desired_capacity").required().validator(validate::int_between(0, i64::from(i32::MAX))).description("Nodes running outside the windows."));
        let price_override = Block::new(
            "A price to use instead of AWS's for one instance type, for air-gapped use, negotiated prices or what-if plans. A price given here is not asked of AWS; one left out still is.",
        )
        .attribute(Attribute::string("instance_type").required().description("The instance type, one of the estimate's."))
        .attribute(Attribute::number("on_demand").optional().validator(validate::float_between(0.000_001, 1_000_000.0)).description("On-Demand USD per hour."))
        .attribute(Attribute::number("spot").optional().validator(validate::float_between(0.000_001, 1_000_000.0)).description("Spot USD per hour."));
        let block = Block::new(
            "Estimates what a node group costs a week and a month and what it saves against static provisioning, at plan time, from AWS's own price data: \
             the On-Demand hourly price from the AWS Price List Query API (`pricing:GetProducts`: Linux, shared tenancy, no pre-installed software, in `region`) \
             and the spot price from EC2's spot price history (`ec2:DescribeSpotPriceHistory` over `spot_lookback_hours`, summarised per Availability Zone by \
             `spot_statistic`). Give the instance types (or a node group to read them from), the capacity type, and the capacity over a week: a constant \
             `node_count`, `window` blocks with `off_hours` like `autoscale_scaling_schedule`, or `weekly_instance_hours`. A week is 168 hours, a month 730. \
             Each price is asked once per instance type and region in a plan, however many estimates name it. A price AWS does not have is an error naming the \
             type and region, never a zero; `price_override` supplies one. See the cost guide for the seed's figures worked through.",
        )
        .attribute(Attribute::string("region").optional().computed().validator(validate::matches(r"^[a-z]{2}(-[a-z]+)+-\d+$", "be an AWS region code such as eu-west-1")).description(
            "AWS region whose prices apply (and where `cluster_name` is). Defaults to the provider's region.",
        ))
        .attribute(
            Attribute::list_of("instance_types", Type::String)
                .optional()
                .computed()
                .conflicts_with("cluster_name")
                .conflicts_with("node_group_name")
                .validator(validate::each(validate::matches(r"^[a-z0-9-]+\.[a-z0-9-]+$", "be an EC2 instance type such as m5.large")))
                .description("Instance types of the group, e.g. an `autoscale_spot_node_group`'s `instance_types`. Give these, or `cluster_name` and `node_group_name`; read from the node group otherwise."),
        )
        .attribute(Attribute::string("cluster_name").optional().description("EKS cluster of the node group to read the instance types and capacity type from (with `node_group_name`)."))
        .attribute(Attribute::string("node_group_name").optional().description(
            "EKS managed node group to read the instance types (EKS's default `t3.medium` when it names none) and capacity type from, with `cluster_name`.",
        ))
        .attribute(Attribute::string("capacity_type").optional().computed().validator(validate::one_of(CapacityType::NAMES)).description(
            "What is bought: `ON_DEMAND` or `SPOT`, as EKS names them. Defaults to the node group's capacity type, else `ON_DEMAND`.",
        ))
        .attribute(Attribute::map_of("weights", Type::Number).optional().description(
            "Share of the group's instances per instance type (any positive numbers; only their ratios matter). Types left out weigh 1; without weights every type weighs the same.",
        ))
        .attribute(Attribute::number("node_count").optional().validator(validate::float_between(0.0, 1_000_000.0)).description(
            "Nodes running all week (the capacity as a constant). Give this, `window` blocks with `off_hours`, or `weekly_instance_hours`.",
        ))
        .block(NestedBlock::list("window", window).max_items(50))
        .block(NestedBlock::single("off_hours", off_hours).max_items(1))
        .attribute(Attribute::number("weekly_instance_hours").optional().computed().validator(validate::float_between(0.0, 1e9)).description(
            "Instance-hours in a 168-hour week, e.g. an `autoscale_scaling_schedule`'s `weekly_instance_hours`. When the capacity is given otherwise, computed: \
             `node_count × 168`, or for a schedule each window's `desired_capacity` × its hours × its days plus `off_hours.desired_capacity` × the remaining hours.",
        ))
        .attribute(Attribute::number("static_node_count").optional().computed().validator(validate::float_between(0.0, 1_000_000.0)).description(
            "The static baseline: nodes a static setup runs all 168 hours (the peak count). Defaults to `node_count`, or the largest `desired_capacity` of the windows \
             and `off_hours`; with `weekly_instance_hours` alone there is no default and the static figures are null.",
        ))
        .block(NestedBlock::list("price_override", price_override).max_items(50))
        .attribute(Attribute::int("spot_lookback_hours").default(DEFAULT_SPOT_LOOKBACK_HOURS).validator(validate::int_between(1, MAX_SPOT_LOOKBACK_HOURS)).description(
            "Hours of spot price history to read, ending now (EC2 keeps 90 days). The history is read once per plan; plans a few hours apart can differ when the spot price moved.",
        ))
        .attribute(Attribute::string("spot_statistic").default("median").validator(validate::one_of(Statistic::NAMES)).description(
            "How a spot price history becomes one price: `median` (default), `mean`, `min` or `max` of the price changes in the window (each record counts once, not weighted by \
             how long it lasted), taken per Availability Zone; the instance type's spot price is the same statistic over its zones' figures.",
        ))
        .attribute(Attribute::list_of("prices", price_type()).computed().description(
            "Per instance type, in the order of `instance_types`: `on_demand_hourly` and `spot_hourly` (USD per hour), `spot_by_availability_zone` (the statistic per zone), \
             `spot_records` (price changes read), `weight`, and `on_demand_source` / `spot_source` (`aws` or `override`).",
        ))
        .attribute(computed_number("on_demand_hourly_price", "Blended On-Demand USD per hour of one node: `Σ weight × on_demand_hourly ÷ Σ weight`."))
        .attribute(computed_number("spot_hourly_price", "Blended spot USD per hour of one node: `Σ weight × spot_hourly ÷ Σ weight`."))
        .attribute(computed_number("hourly_price", "The blended hourly price of `capacity_type`: `spot_hourly_price` for SPOT, `on_demand_hourly_price` for ON_DEMAND."))
        .attribute(computed_number("weekly_cost", "USD a week for the capacity as given: `weekly_instance_hours × hourly_price`, rounded to the cent."))
        .attribute(computed_number("monthly_cost", "USD a 730-hour month: `weekly_cost × 730 ÷ 168` (from the unrounded weekly cost), rounded to the cent."))
        .attribute(computed_number("weekly_on_demand_static_cost", "USD a week for `static_node_count` nodes On-Demand all week: `static_node_count × 168 × on_demand_hourly_price`."))
        .attribute(computed_number("monthly_on_demand_static_cost", "`weekly_on_demand_static_cost × 730 ÷ 168`: `static_node_count × 730 × on_demand_hourly_price`."))
        .attribute(computed_number("weekly_spot_static_cost", "USD a week for `static_node_count` nodes on Spot all week: `static_node_count × 168 × spot_hourly_price`."))
        .attribute(computed_number("monthly_spot_static_cost", "`weekly_spot_static_cost × 730 ÷ 168`: `static_node_count × 730 × spot_hourly_price`."))
        .attribute(computed_number(
            "savings_vs_on_demand_static_percent",
            "Savings against static On-Demand provisioning, the total of Spot and the schedule: `100 × (1 − weekly_cost ÷ weekly_on_demand_static_cost)`, two decimals. \
             Spot at $0.10 against $0.50 On-Demand, constant: 80.",
        ))
        .attribute(computed_number(
            "savings_vs_spot_static_percent",
            "Savings against the same nodes on Spot all week: `100 × (1 − weekly_cost ÷ weekly_spot_static_cost)`, two decimals; negative when On-Demand capacity costs more than static Spot.",
        ))
        .attribute(computed_number(
            "savings_vs_baseline_percent",
            "Savings against the baseline — `static_node_count` nodes of `capacity_type` all week: `100 × (1 − weekly_instance_hours ÷ (static_node_count × 168))`, two decimals; \
             what the schedule alone saves, as `autoscale_scaling_schedule`'s `savings_percent` (staging 5/1 over 08:00–18:00 Monday–Friday: 56.19; dev 3/0: 70.24).",
        ))
        .attribute(Attribute::string("summary").computed().description("The estimate in one sentence, for outputs and logs."));
        Schema::new(0, block)
    }

    async fn validate(&self, _ctx: &Context, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        check_inputs(config, &mut diags);
        diags
    }

    async fn read(&self, ctx: &Context, config: &Value) -> StateResult {
        let mut diags = Diagnostics::new();
        check_inputs(config, &mut diags);
        if diags.has_errors() {
            return StateResult::failed(Value::Null, diags);
        }
        let model: Model = match from_value(config) {
            Ok(m) => m,
            Err(e) => return StateResult::failed(Value::Null, e.to_diagnostic()),
        };
        let clients = match crate::aws::clients(ctx).await {
            Ok(c) => c,
            Err(d) => return StateResult::failed(Value::Null, d),
        };
        let region = model.region.clone().unwrap_or_else(|| clients.region.clone());
        let group = match group_of(&clients, &model, &region).await {
            Ok(group) => group,
            Err(d) => return StateResult::failed(Value::Null, d),
        };
        let usage = match usage_of(config, &model) {
            Ok(usage) => usage,
            Err(d) => return StateResult::failed(Value::Null, d),
        };
        let statistic = model.spot_statistic.as_deref().and_then(Statistic::parse).unwrap_or(Statistic::Median);
        let hours = u32::try_from(model.spot_lookback_hours.unwrap_or(DEFAULT_SPOT_LOOKBACK_HOURS).clamp(1, MAX_SPOT_LOOKBACK_HOURS)).unwrap_or(168);
        let now = crate::resources::scheduled_action::now().timestamp();
        let mut priced = Vec::new();
        for (i, instance_type) in group.instance_types.iter().enumerate() {
            match price_type_of(&clients, &model, &region, instance_type, statistic, hours, now).await {
                Ok(p) => priced.push(p),
                Err(message) => {
                    let path = if group.from_node_group { AttributePath::root("node_group_name") } else { AttributePath::root("instance_types").index(i) };
                    diags.push(Diagnostic::error(format!("No price for {instance_type} in {region}"), format!("{message}. Set a price_override for it to estimate anyway.")).at(path));
                }
            }
        }
        if diags.has_errors() {
            return StateResult::failed(Value::Null, diags);
        }
        let types: Vec<TypePrice> = priced.iter().map(|p| p.price.clone()).collect();
        let figures = match estimate(&types, group.capacity_type, &usage, model.static_node_count) {
            Ok(figures) => figures,
            Err(e) => return StateResult::failed(Value::Null, cost_diagnostic(&e)),
        };
        let state = Model {
            region: Some(region.clone()),
            instance_types: Some(group.instance_types.clone()),
            capacity_type: Some(group.capacity_type.name().to_string()),
            spot_lookback_hours: Some(i64::from(hours)),
            spot_statistic: Some(model.spot_statistic.clone().unwrap_or_else(|| "median".into())),
            ..fill(&model, &priced, &figures, group.capacity_type, &region)
        };
        match to_value(&state) {
            Ok(value) => StateResult { state: value, private: Vec::new(), diags },
            Err(e) => StateResult::failed(Value::Null, e.to_diagnostic()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Checks of the configuration (plan time, unknown values allowed)
// ---------------------------------------------------------------------------------------------

/// Whether an argument may be set: known and not null (or an empty block list), or unknown.
fn is_set(config: &Value, field: &str) -> bool {
    match config.get(field) {
        None | Some(Value::Null) => false,
        Some(Value::List(items)) => !items.is_empty(),
        Some(_) => true,
    }
}

/// Whether an argument is set for certain (an unknown value may turn out null at apply, as
/// with `var.x == null ? null : ...` in a module).
fn is_known_set(config: &Value, field: &str) -> bool {
    is_set(config, field) && config.get(field).is_some_and(Value::is_known)
}

/// Where a capacity form is written: the attribute, or the first `window` block.
fn form_path(form: &str) -> AttributePath {
    match form {
        "window" => AttributePath::root("window").index(0),
        other => AttributePath::root(other),
    }
}

/// What can be checked before any price is asked for; each problem at its attribute.
fn check_inputs(config: &Value, diags: &mut Diagnostics) {
    let given: Vec<&str> = USAGE_FORMS.iter().copied().filter(|f| is_known_set(config, f)).collect();
    let maybe = USAGE_FORMS.iter().any(|f| is_set(config, f));
    match given.as_slice() {
        [] if maybe => {}
        [] => diags.error_at(
            AttributePath::root("node_count"),
            "Capacity missing",
            "Give the capacity over a week: node_count (nodes all week), window blocks with off_hours (a weekly schedule), or weekly_instance_hours.",
        ),
        [_] => {}
        [_, second, ..] => diags.error_at(
            // An attribute rather than a block: Terraform quotes an attribute's line.
            AttributePath::root(given.iter().rev().find(|f| **f != "window").copied().unwrap_or(second)),
            "Capacity given twice",
            format!("{} are different ways of giving the capacity; give one.", given.join(" and ")),
        ),
    }
    let has_off_hours = is_set(config, "off_hours");
    if is_known_set(config, "window") && !has_off_hours {
        diags.error_at(form_path("window"), "off_hours missing", "A schedule needs an off_hours block with the desired_capacity outside the windows.");
    }
    if is_known_set(config, "off_hours") && !is_set(config, "window") {
        diags.error_at(AttributePath::root("off_hours"), "window missing", "off_hours is the capacity outside the windows: add at least one window block, or give node_count instead.");
    }
    if is_set(config, "window") && has_off_hours {
        let mut parse = Diagnostics::new();
        if let Some(weekly) = weekly_of_config(config, &mut parse) {
            for problem in weekly.problems(false) {
                parse.push(problem_diagnostic(&problem));
            }
        }
        diags.extend(parse);
    }
    let node_group = ["cluster_name", "node_group_name"].map(|f| is_set(config, f));
    let known_node_group = ["cluster_name", "node_group_name"].map(|f| is_known_set(config, f) || config.get(f).is_some_and(Value::is_null));
    if node_group[0] != node_group[1] && known_node_group[0] && known_node_group[1] {
        let missing = if node_group[0] { "node_group_name" } else { "cluster_name" };
        diags.error_at(AttributePath::root(missing), "Node group incomplete", "cluster_name and node_group_name name the node group together: set both, or give instance_types instead.");
    }
    if !is_set(config, "instance_types") && !node_group[0] && !node_group[1] {
        diags.error_at(AttributePath::root("instance_types"), "Instance types missing", "Give instance_types, or cluster_name and node_group_name of a node group to read them from.");
    }
    if let Some(Value::List(types)) = config.get("instance_types") {
        let known: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
        for (i, t) in known.iter().enumerate() {
            if known[..i].contains(t) {
                diags.error_at(AttributePath::root("instance_types").index(i), "Duplicate instance type", format!("{t} is listed twice; use weights to give a type a larger share."));
            }
        }
        if known.len() == types.len() {
            check_named_types(config, &known, diags);
        }
    }
    if let Some(Value::Map(weights)) = config.get("weights") {
        for (name, weight) in weights {
            if let Some(w) = weight.as_number().map(|n| n.as_f64())
                && !(w > 0.0 && w.is_finite())
            {
                diags.error_at(AttributePath::root("weights"), "Invalid weight", format!("The weight of {name} is {w}, but weights must be greater than 0."));
            }
        }
    }
    if let Some(Value::List(overrides)) = config.get("price_override") {
        for (i, o) in overrides.iter().enumerate() {
            let unset = |f: &str| o.get(f).is_none_or(Value::is_null);
            if unset("on_demand") && unset("spot") {
                diags.error_at(AttributePath::root("price_override").index(i), "Empty price override", "A price_override needs on_demand, spot or both.");
            }
        }
    }
}

/// Weights and overrides must name types of the estimate (when those are known).
fn check_named_types(config: &Value, types: &[&str], diags: &mut Diagnostics) {
    let list = types.join(", ");
    if let Some(Value::Map(weights)) = config.get("weights") {
        for name in weights.keys() {
            if !types.contains(&name.as_str()) {
                diags.error_at(AttributePath::root("weights"), "Weight of an unknown type", format!("weights names {name}, which is not one of instance_types ({list})."));
            }
        }
    }
    if let Some(Value::List(overrides)) = config.get("price_override") {
        for (i, o) in overrides.iter().enumerate() {
            if let Some(name) = o.get("instance_type").and_then(Value::as_str)
                && !types.contains(&name)
            {
                diags.error_at(
                    AttributePath::root("price_override").index(i).attr("instance_type"),
                    "Override of an unknown type",
                    format!("price_override names {name}, which is not one of instance_types ({list})."),
                );
            }
        }
    }
}

fn cost_diagnostic(err: &CostError) -> Diagnostic {
    let path = match err {
        CostError::NoInstanceTypes => AttributePath::root("instance_types"),
        CostError::Weight { .. } => AttributePath::root("weights"),
        CostError::Negative { what, .. } => AttributePath::root(*what),
        CostError::HoursAboveStatic { .. } => AttributePath::root("static_node_count"),
        CostError::IncompleteSchedule => AttributePath::root("off_hours"),
    };
    Diagnostic::error("Cannot estimate the cost", format!("The cost cannot be estimated: {err}.")).at(path)
}

// ---------------------------------------------------------------------------------------------
// Inputs → prices
// ---------------------------------------------------------------------------------------------

/// The instance types and capacity type, given or read from the node group.
struct Group {
    instance_types: Vec<String>,
    capacity_type: CapacityType,
    from_node_group: bool,
}

async fn group_of(clients: &Clients, model: &Model, region: &str) -> Result<Group, Diagnostic> {
    let given_capacity = model.capacity_type.as_deref().and_then(CapacityType::parse);
    if let Some(types) = model.instance_types.clone().filter(|t| !t.is_empty()) {
        return Ok(Group { instance_types: types, capacity_type: given_capacity.unwrap_or(CapacityType::OnDemand), from_node_group: false });
    }
    let (Some(cluster), Some(name)) = (model.cluster_name.as_deref(), model.node_group_name.as_deref()) else {
        return Err(Diagnostic::error("Instance types missing", "Give instance_types, or cluster_name and node_group_name.").at(AttributePath::root("instance_types")));
    };
    let eks = if region == clients.region {
        clients.eks.clone()
    } else {
        aws_sdk_eks::Client::from_conf(clients.eks.config().to_builder().region(aws_types::region::Region::new(region.to_string())).build())
    };
    let found = find_node_group(&eks, cluster, name).await.map_err(|e| Diagnostic::from_error(&e).at(AttributePath::root("node_group_name")))?;
    let Some(group) = found else {
        return Err(Diagnostic::error("Node group not found", format!("EKS has no node group {name} in cluster {cluster} ({region}).")).at(AttributePath::root("node_group_name")));
    };
    let mut instance_types = group.instance_types().to_vec();
    if instance_types.is_empty() {
        instance_types.push(EKS_DEFAULT_INSTANCE_TYPE.to_string());
    }
    let from_group = group.capacity_type().and_then(|c| CapacityType::parse(c.as_str()));
    Ok(Group { instance_types, capacity_type: given_capacity.or(from_group).unwrap_or(CapacityType::OnDemand), from_node_group: true })
}

fn usage_of(config: &Value, model: &Model) -> Result<WeeklyUsage, Diagnostic> {
    if let Some(nodes) = model.node_count {
        return Ok(WeeklyUsage::Constant(nodes));
    }
    if is_set(config, "window") {
        let mut diags = Diagnostics::new();
        return match weekly_of_config(config, &mut diags) {
            Some(weekly) => Ok(WeeklyUsage::Schedule(weekly)),
            None => Err(diags.iter().next().cloned().unwrap_or_else(|| Diagnostic::error("Schedule incomplete", "The windows or off_hours are incomplete.").at(AttributePath::root("window")))),
        };
    }
    match model.weekly_instance_hours {
        Some(hours) => Ok(WeeklyUsage::Hours(hours)),
        None => Err(Diagnostic::error("Capacity missing", "Give node_count, window blocks with off_hours, or weekly_instance_hours.").at(AttributePath::root("node_count"))),
    }
}

/// One type priced, with where each price came from.
struct Priced {
    price: TypePrice,
    spot: Option<SpotPrice>,
    on_demand_source: &'static str,
    spot_source: &'static str,
}

async fn price_type_of(clients: &Clients, model: &Model, region: &str, instance_type: &str, statistic: Statistic, hours: u32, now: i64) -> Result<Priced, String> {
    let given = model.price_override.iter().flatten().find(|o| o.instance_type == instance_type);
    let (on_demand, on_demand_source) = match given.and_then(|o| o.on_demand) {
        Some(price) => (price, "override"),
        None => (clients.prices.on_demand(region, instance_type).await.map_err(|e| capitalized(&e.to_string()))?, "aws"),
    };
    let (spot_price, spot, spot_source) = match given.and_then(|o| o.spot) {
        Some(price) => (price, None, "override"),
        None => {
            let records = clients.prices.spot(region, instance_type, hours, now).await.map_err(|e| capitalized(&e.to_string()))?;
            let spot = SpotPrice::from_history(&records, statistic).ok_or_else(|| {
                capitalized(&crate::aws::prices::PriceError::NoSpotPrice { instance_type: instance_type.into(), region: region.into(), hours }.to_string())
            })?;
            (spot.hourly, Some(spot), "aws")
        }
    };
    let weight = model.weights.as_ref().and_then(|w| w.get(instance_type)).copied().unwrap_or(1.0);
    Ok(Priced { price: TypePrice { instance_type: instance_type.to_string(), on_demand, spot: spot_price, weight }, spot, on_demand_source, spot_source })
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Figures → state
// ---------------------------------------------------------------------------------------------

fn cents(value: f64) -> f64 {
    round(value, 2)
}

fn fill(model: &Model, priced: &[Priced], figures: &Estimate, capacity: CapacityType, region: &str) -> Model {
    let prices = priced
        .iter()
        .map(|p| PriceModel {
            instance_type: p.price.instance_type.clone(),
            on_demand_hourly: p.price.on_demand,
            spot_hourly: round(p.price.spot, 6),
            spot_by_availability_zone: p.spot.as_ref().map(|s| s.by_availability_zone.iter().map(|(z, v)| (z.clone(), round(*v, 6))).collect()).unwrap_or_default(),
            spot_records: p.spot.as_ref().map_or(0, |s| i64::try_from(s.records).unwrap_or(i64::MAX)),
            weight: p.price.weight,
            on_demand_source: p.on_demand_source.to_string(),
            spot_source: p.spot_source.to_string(),
        })
        .collect();
    let percent = |v: Option<f64>| v.map(|v| round(v, 2));
    Model {
        prices: Some(prices),
        on_demand_hourly_price: Some(round(figures.on_demand_hourly, 6)),
        spot_hourly_price: Some(round(figures.spot_hourly, 6)),
        hourly_price: Some(round(figures.hourly, 6)),
        // A given value is kept as written (the state must not contradict the configuration).
        weekly_instance_hours: model.weekly_instance_hours.or(Some(round(figures.weekly_instance_hours, 4))),
        static_node_count: figures.static_node_count,
        weekly_cost: Some(cents(figures.weekly_cost)),
        monthly_cost: Some(cents(monthly(figures.weekly_cost))),
        weekly_on_demand_static_cost: figures.weekly_on_demand_static_cost.map(cents),
        monthly_on_demand_static_cost: figures.weekly_on_demand_static_cost.map(|w| cents(monthly(w))),
        weekly_spot_static_cost: figures.weekly_spot_static_cost.map(cents),
        monthly_spot_static_cost: figures.weekly_spot_static_cost.map(|w| cents(monthly(w))),
        savings_vs_on_demand_static_percent: percent(figures.savings_vs_on_demand_static_percent),
        savings_vs_spot_static_percent: percent(figures.savings_vs_spot_static_percent),
        savings_vs_baseline_percent: percent(figures.savings_vs_baseline_percent),
        summary: Some(summary(priced, figures, capacity, region)),
        ..model.clone()
    }
}

fn summary(priced: &[Priced], figures: &Estimate, capacity: CapacityType, region: &str) -> String {
    let types = priced.iter().map(|p| p.price.instance_type.as_str()).collect::<Vec<_>>().join(", ");
    let kind = match capacity {
        CapacityType::OnDemand => "On-Demand",
        CapacityType::Spot => "Spot",
    };
    let mut text = format!(
        "{types} ({kind}, {region}): {} instance-hours a week at ${:.4}/h, ${:.2} a week, ${:.2} a month",
        round(figures.weekly_instance_hours, 2),
        figures.hourly,
        figures.weekly_cost,
        monthly(figures.weekly_cost)
    );
    if let (Some(nodes), Some(saved), Some(static_cost)) = (figures.static_node_count, figures.savings_vs_on_demand_static_percent, figures.weekly_on_demand_static_cost) {
        text.push_str(&format!("; {:.2} % less than {nodes} nodes On-Demand all week (${:.2} a month)", saved, monthly(static_cost)));
    }
    text.push('.');
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A configuration as Terraform sends it: every attribute and block present.
    fn config(set: &[(&str, Value)]) -> Value {
        super::super::test_config(&CostEstimate.schema(), set)
    }

    fn paths(config: &Value) -> Vec<String> {
        let mut diags = Diagnostics::new();
        check_inputs(config, &mut diags);
        diags.iter().map(|d| d.path.as_ref().map(ToString::to_string).unwrap_or_default()).collect()
    }

    fn types(names: &[&str]) -> (&'static str, Value) {
        ("instance_types", Value::List(names.iter().map(|n| Value::from(*n)).collect()))
    }

    fn window(days: &str, start: &str, end: &str, desired: i64) -> Value {
        Value::object([("days", Value::from(days)), ("start", Value::from(start)), ("end", Value::from(end)), ("desired_capacity", Value::from(desired))])
    }

    #[test]
    fn the_capacity_is_given_exactly_once() {
        assert_eq!(paths(&config(&[types(&["m5.large"])])), vec!["node_count"]);
        assert!(paths(&config(&[types(&["m5.large"]), ("node_count", Value::from(3))])).is_empty());
        assert_eq!(paths(&config(&[types(&["m5.large"]), ("node_count", Value::from(3)), ("weekly_instance_hours", Value::from(100))])), vec!["weekly_instance_hours"]);
        let schedule = [types(&["m5.large"]), ("window", Value::List(vec![window("MON-FRI", "08:00", "18:00", 5)]))];
        assert_eq!(paths(&config(&schedule)), vec!["window[0]"]);
        let mut with_off = schedule.to_vec();
        with_off.push(("off_hours", Value::object([("desired_capacity", Value::from(1))])));
        assert!(paths(&config(&with_off)).is_empty());
    }

    #[test]
    fn schedule_problems_land_on_their_window() {
        let cfg = config(&[
            types(&["m5.large"]),
            ("window", Value::List(vec![window("MON-FRI", "18:00", "08:00", 5), window("MON-XYZ", "08:00", "09:00", 5)])),
            ("off_hours", Value::object([("desired_capacity", Value::from(1))])),
        ]);
        assert_eq!(paths(&cfg), vec!["window[1].days"]);
        let cfg = config(&[
            types(&["m5.large"]),
            ("window", Value::List(vec![window("MON-FRI", "18:00", "08:00", 5)])),
            ("off_hours", Value::object([("desired_capacity", Value::from(1))])),
        ]);
        assert_eq!(paths(&cfg), vec!["window[0].end"]);
    }

    #[test]
    fn weights_and_overrides_name_the_estimates_types() {
        let weights = ("weights", Value::map([("c5.xlarge", Value::from(2)), ("m5.large", Value::from(0))]));
        let cfg = config(&[types(&["m5.large", "m5.large"]), ("node_count", Value::from(1)), weights]);
        assert_eq!(paths(&cfg), vec!["instance_types[1]", "weights", "weights"]);
        let empty = Value::object([("instance_type", Value::from("m5.large")), ("on_demand", Value::Null), ("spot", Value::Null)]);
        let other = Value::object([("instance_type", Value::from("c5.xlarge")), ("on_demand", Value::from(1)), ("spot", Value::Null)]);
        let cfg = config(&[types(&["m5.large"]), ("node_count", Value::from(1)), ("price_override", Value::List(vec![empty, other]))]);
        assert_eq!(paths(&cfg), vec!["price_override[1].instance_type", "price_override[0]"]);
    }

    #[test]
    fn a_node_group_needs_both_names() {
        let cfg = config(&[("cluster_name", Value::from("prod")), ("node_count", Value::from(1))]);
        assert_eq!(paths(&cfg), vec!["node_group_name"]);
        let cfg = config(&[("cluster_name", Value::from("prod")), ("node_group_name", Value::from("batch")), ("node_count", Value::from(1))]);
        assert!(paths(&cfg).is_empty());
        // Unknown values (known only at apply) are not reported missing.
        let cfg = config(&[("instance_types", Value::Unknown), ("node_count", Value::Unknown)]);
        assert!(paths(&cfg).is_empty());
        // A module's `cond ? null : x` for each form: unknown until apply, so not "given twice".
        let cfg = config(&[types(&["m5.large"]), ("node_count", Value::Unknown), ("weekly_instance_hours", Value::Unknown)]);
        assert!(paths(&cfg).is_empty());
    }

    #[test]
    fn the_state_has_the_schemas_type() {
        let priced = vec![Priced {
            price: TypePrice { instance_type: "m5.large".into(), on_demand: 0.5, spot: 0.1, weight: 1.0 },
            spot: None,
            on_demand_source: "override",
            spot_source: "override",
        }];
        let figures = estimate(&[priced[0].price.clone()], CapacityType::Spot, &WeeklyUsage::Constant(2.0), None).unwrap();
        let state = fill(&Model::default(), &priced, &figures, CapacityType::Spot, "us-east-1");
        assert_eq!(state.savings_vs_on_demand_static_percent, Some(80.0));
        assert_eq!(state.monthly_cost, Some(146.0));
        assert_eq!(
            state.summary.as_deref(),
            Some("m5.large (Spot, us-east-1): 336 instance-hours a week at $0.1000/h, $33.60 a week, $146.00 a month; 80.00 % less than 2 nodes On-Demand all week ($730.00 a month).")
        );
        to_value(&state).unwrap().conform(&CostEstimate.schema().value_type(), &AttributePath::empty()).unwrap();
    }
}

//! Cost arithmetic without IO, behind `autoscale_cost_estimate`: a spot price from a price
//! history (per Availability Zone, then per instance type, with a named statistic), the blended
//! hourly price of a group of instance types, the instance-hours of a week of capacity, and the
//! weekly and monthly costs and savings they add up to.
//!
//! Conventions (each also in the data source's attribute descriptions):
//! - A week is 168 hours and a month 730 hours (8760 / 12, the month AWS's pricing pages use).
//! - The instance-hours of a weekly schedule are `schedule::WeeklySchedule::weekly_instance_hours`,
//!   the same figure `autoscale_scaling_schedule` reports; nothing here counts hours again.
//! - A statistic is taken over the price changes a history holds (each record is one change),
//!   not weighted by how long each price lasted.
//! - Money is in USD; costs are rounded to the cent and percentages to two decimals only when
//!   shown, never inside a computation.

use std::collections::BTreeMap;

use crate::schedule::{WEEK_HOURS, WeeklySchedule};

/// Hours in the month the monthly figures use: 730 (8760 hours a year ÷ 12).
pub const MONTH_HOURS: f64 = 730.0;

/// Why an estimate cannot be made. Messages complete "… cannot be estimated: ".
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CostError {
    /// No instance type to price.
    #[error("no instance type is given")]
    NoInstanceTypes,
    /// A weight that is not a positive number.
    #[error("the weight of {instance_type} is {weight}, but weights must be greater than 0")]
    Weight { instance_type: String, weight: f64 },
    /// A node count or number of hours below zero.
    #[error("{what} is {value}, but it cannot be negative")]
    Negative { what: &'static str, value: f64 },
    /// Instance-hours beyond what a week holds at the static count.
    #[error("{hours} instance-hours a week is more than {static_nodes} nodes running all 168 hours ({max})")]
    HoursAboveStatic { hours: f64, static_nodes: f64, max: f64 },
    /// A schedule whose periods lack a desired capacity.
    #[error("every window and off_hours need a desired_capacity")]
    IncompleteSchedule,
}

/// How the prices of a history are summarised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    Median,
    Mean,
    Min,
    Max,
}

impl Statistic {
    /// Every statistic by name, as the `spot_statistic` argument takes them.
    pub const NAMES: [&'static str; 4] = ["median", "mean", "min", "max"];

    /// The statistic named `name` (one of [`Statistic::NAMES`]).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "median" => Some(Self::Median),
            "mean" => Some(Self::Mean),
            "min" => Some(Self::Min),
            "max" => Some(Self::Max),
            _ => None,
        }
    }

    /// The statistic of `values`; `None` when there are none. A median of an even count is the
    /// mean of the two middle values.
    pub fn of(self, values: &[f64]) -> Option<f64> {
        if values.is_empty() {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        Some(match self {
            Self::Min => sorted[0],
            Self::Max => sorted[n - 1],
            Self::Mean => sorted.iter().sum::<f64>() / n as f64,
            Self::Median if n % 2 == 1 => sorted[n / 2],
            Self::Median => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        })
    }
}

/// One record of a spot price history: a zone and the price that took effect there.
#[derive(Debug, Clone, PartialEq)]
pub struct SpotRecord {
    pub availability_zone: String,
    pub price: f64,
}

/// The spot price of one instance type: the statistic of each zone's history, and the same
/// statistic over the zones' figures (Spot launches in whichever zones the group's subnets
/// cover, so no single zone stands for the group).
#[derive(Debug, Clone, PartialEq)]
pub struct SpotPrice {
    pub hourly: f64,
    pub by_availability_zone: BTreeMap<String, f64>,
    /// How many price records the figures come from.
    pub records: usize,
}

impl SpotPrice {
    /// The spot price of `records` under `statistic`; `None` when there are no records.
    pub fn from_history(records: &[SpotRecord], statistic: Statistic) -> Option<Self> {
        let mut by_zone: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for record in records {
            by_zone.entry(record.availability_zone.clone()).or_default().push(record.price);
        }
        let by_availability_zone: BTreeMap<String, f64> = by_zone.into_iter().filter_map(|(zone, prices)| statistic.of(&prices).map(|p| (zone, p))).collect();
        let zone_figures: Vec<f64> = by_availability_zone.values().copied().collect();
        let hourly = statistic.of(&zone_figures)?;
        Some(Self { hourly, by_availability_zone, records: records.len() })
    }
}

/// One instance type of a group, priced.
#[derive(Debug, Clone, PartialEq)]
pub struct TypePrice {
    pub instance_type: String,
    pub on_demand: f64,
    pub spot: f64,
    /// Its share of the group's instances, relative to the other types' weights.
    pub weight: f64,
}

/// The weighted mean of the types' prices: `Σ weight × price ÷ Σ weight`. With equal weights,
/// the plain mean (Spot and the Cluster Autoscaler may launch any of the types).
pub fn blended(types: &[TypePrice], price: impl Fn(&TypePrice) -> f64) -> Result<f64, CostError> {
    if types.is_empty() {
        return Err(CostError::NoInstanceTypes);
    }
    for t in types {
        if !(t.weight > 0.0 && t.weight.is_finite()) {
            return Err(CostError::Weight { instance_type: t.instance_type.clone(), weight: t.weight });
        }
    }
    let total: f64 = types.iter().map(|t| t.weight).sum();
    Ok(types.iter().map(|t| t.weight * price(t)).sum::<f64>() / total)
}

/// The capacity of a group over a week, in one of three forms.
#[derive(Debug, Clone, PartialEq)]
pub enum WeeklyUsage {
    /// The same number of nodes all week.
    Constant(f64),
    /// A weekly schedule, as `autoscale_scaling_schedule` takes it.
    Schedule(WeeklySchedule),
    /// Instance-hours a week, e.g. an `autoscale_scaling_schedule`'s `weekly_instance_hours`.
    Hours(f64),
}

impl WeeklyUsage {
    /// Instance-hours in a 168-hour week.
    ///
    /// # Errors
    /// A negative count or number of hours, or a schedule period without a desired capacity.
    pub fn weekly_instance_hours(&self) -> Result<f64, CostError> {
        match self {
            Self::Constant(nodes) if *nodes < 0.0 => Err(CostError::Negative { what: "node_count", value: *nodes }),
            Self::Constant(nodes) => Ok(nodes * WEEK_HOURS),
            Self::Schedule(schedule) => schedule.weekly_instance_hours().ok_or(CostError::IncompleteSchedule),
            Self::Hours(hours) if *hours < 0.0 => Err(CostError::Negative { what: "weekly_instance_hours", value: *hours }),
            Self::Hours(hours) => Ok(*hours),
        }
    }

    /// The most nodes the usage runs at once: the count, or the largest desired capacity of
    /// any window and off-hours; unknown for bare instance-hours.
    pub fn peak(&self) -> Option<f64> {
        match self {
            Self::Constant(nodes) => Some(*nodes),
            Self::Schedule(schedule) => {
                let off = schedule.off_hours.desired_capacity?;
                let peak = schedule.in_hours_capacity().map_or(off, |inside| inside.max(off));
                Some(peak as f64)
            }
            Self::Hours(_) => None,
        }
    }
}

/// What is bought: Spot or On-Demand capacity, as EKS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapacityType {
    OnDemand,
    Spot,
}

impl CapacityType {
    pub const NAMES: [&'static str; 2] = ["ON_DEMAND", "SPOT"];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "ON_DEMAND" => Some(Self::OnDemand),
            "SPOT" => Some(Self::Spot),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::OnDemand => "ON_DEMAND",
            Self::Spot => "SPOT",
        }
    }
}

/// The figures of an estimate. Static figures are `None` when the static node count is
/// unknown (usage given as bare instance-hours without `static_node_count`).
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub on_demand_hourly: f64,
    pub spot_hourly: f64,
    /// The blended hourly price of the capacity type bought.
    pub hourly: f64,
    pub weekly_instance_hours: f64,
    pub static_node_count: Option<f64>,
    pub weekly_cost: f64,
    pub weekly_on_demand_static_cost: Option<f64>,
    pub weekly_spot_static_cost: Option<f64>,
    pub savings_vs_on_demand_static_percent: Option<f64>,
    pub savings_vs_spot_static_percent: Option<f64>,
    pub savings_vs_baseline_percent: Option<f64>,
}

/// Weekly figure → monthly: `× 730 ÷ 168`.
pub fn monthly(weekly: f64) -> f64 {
    weekly * MONTH_HOURS / WEEK_HOURS
}

/// `100 × (1 − cost ÷ reference)`; `None` when the reference costs nothing.
pub fn savings_percent(cost: f64, reference: f64) -> Option<f64> {
    (reference > 0.0).then(|| 100.0 * (1.0 - cost / reference))
}

/// Rounds to `places` decimals (for display: the state holds rounded figures).
pub fn round(value: f64, places: i32) -> f64 {
    let factor = 10f64.powi(places);
    (value * factor).round() / factor
}

/// The estimate for `types` bought as `capacity` with `usage`, against `static_node_count`
/// nodes all week (default: the usage's peak).
///
/// # Errors
/// No types, a bad weight, a negative count, hours above what the static count can run.
pub fn estimate(types: &[TypePrice], capacity: CapacityType, usage: &WeeklyUsage, static_node_count: Option<f64>) -> Result<Estimate, CostError> {
    let on_demand_hourly = blended(types, |t| t.on_demand)?;
    let spot_hourly = blended(types, |t| t.spot)?;
    let hourly = match capacity {
        CapacityType::OnDemand => on_demand_hourly,
        CapacityType::Spot => spot_hourly,
    };
    let weekly_instance_hours = usage.weekly_instance_hours()?;
    if let Some(nodes) = static_node_count.filter(|n| *n < 0.0) {
        return Err(CostError::Negative { what: "static_node_count", value: nodes });
    }
    let static_nodes = static_node_count.or_else(|| usage.peak());
    if let Some(nodes) = static_nodes {
        let max = nodes * WEEK_HOURS;
        // A little slack for hours computed elsewhere and rounded.
        if weekly_instance_hours > max + 1e-6 {
            return Err(CostError::HoursAboveStatic { hours: weekly_instance_hours, static_nodes: nodes, max });
        }
    }
    let weekly_cost = weekly_instance_hours * hourly;
    let static_cost = |price: f64| static_nodes.map(|n| n * WEEK_HOURS * price);
    let weekly_on_demand_static_cost = static_cost(on_demand_hourly);
    let weekly_spot_static_cost = static_cost(spot_hourly);
    let baseline = static_cost(hourly);
    Ok(Estimate {
        on_demand_hourly,
        spot_hourly,
        hourly,
        weekly_instance_hours,
        static_node_count: static_nodes,
        weekly_cost,
        weekly_on_demand_static_cost,
        weekly_spot_static_cost,
        savings_vs_on_demand_static_percent: weekly_on_demand_static_cost.and_then(|r| savings_percent(weekly_cost, r)),
        savings_vs_spot_static_percent: weekly_spot_static_cost.and_then(|r| savings_percent(weekly_cost, r)),
        savings_vs_baseline_percent: baseline.and_then(|r| savings_percent(weekly_cost, r)),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::schedule::{Capacity, DaySet, TimeOfDay, Window};

    /// The seed's prices: $0.50 an hour On-Demand, $0.10 Spot.
    fn seed_type() -> Vec<TypePrice> {
        vec![TypePrice { instance_type: "seed".into(), on_demand: 0.50, spot: 0.10, weight: 1.0 }]
    }

    fn office_hours(inside: i64, outside: i64) -> WeeklyUsage {
        let desired = |n| Capacity { desired_capacity: Some(n), ..Capacity::default() };
        WeeklyUsage::Schedule(WeeklySchedule {
            windows: vec![Window {
                days: DaySet::parse("MON-FRI").unwrap(),
                start: TimeOfDay::parse("08:00", false).unwrap(),
                end: TimeOfDay::parse("18:00", true).unwrap(),
                capacity: desired(inside),
            }],
            off_hours: desired(outside),
        })
    }

    #[test]
    fn seed_spot_at_ten_cents_saves_eighty_percent_of_fifty_cents_on_demand() {
        let e = estimate(&seed_type(), CapacityType::Spot, &WeeklyUsage::Constant(1.0), None).unwrap();
        assert_eq!(round(e.savings_vs_on_demand_static_percent.unwrap(), 2), 80.0);
        assert_eq!(round(e.weekly_cost, 2), 16.8);
        assert_eq!(round(monthly(e.weekly_cost), 2), 73.0);
        assert_eq!(round(e.savings_vs_spot_static_percent.unwrap(), 2), 0.0);
    }

    #[test]
    fn seed_staging_five_and_one_saves_56_19_percent_and_dev_three_and_zero_70_24() {
        let staging = estimate(&seed_type(), CapacityType::OnDemand, &office_hours(5, 1), None).unwrap();
        assert_eq!(staging.weekly_instance_hours, 368.0);
        assert_eq!(staging.static_node_count, Some(5.0));
        assert_eq!(round(staging.savings_vs_baseline_percent.unwrap(), 2), 56.19);
        assert_eq!(round(staging.savings_vs_on_demand_static_percent.unwrap(), 2), 56.19);
        let dev = estimate(&seed_type(), CapacityType::OnDemand, &office_hours(3, 0), None).unwrap();
        assert_eq!(dev.weekly_instance_hours, 150.0);
        assert_eq!(round(dev.savings_vs_baseline_percent.unwrap(), 2), 70.24);
        // The schedule's figure and ours are the same computation.
        let WeeklyUsage::Schedule(schedule) = office_hours(3, 0) else { unreachable!() };
        assert_eq!(schedule.savings_percent(), Some(70.24));
    }

    #[test]
    fn statistics_over_a_history() {
        assert_eq!(Statistic::Median.of(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(Statistic::Median.of(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(Statistic::Mean.of(&[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!((Statistic::Min.of(&[2.0, 1.0]), Statistic::Max.of(&[2.0, 1.0])), (Some(1.0), Some(2.0)));
        assert_eq!(Statistic::Median.of(&[]), None);
        let record = |zone: &str, price: f64| SpotRecord { availability_zone: zone.into(), price };
        let history = [record("a", 0.065), record("a", 0.068), record("a", 0.072), record("a", 0.068), record("b", 0.071), record("c", 0.064)];
        let spot = SpotPrice::from_history(&history, Statistic::Median).unwrap();
        assert_eq!(spot.by_availability_zone["a"], 0.068);
        assert_eq!(spot.hourly, 0.068, "the median zone");
        assert_eq!(spot.records, 6);
        assert_eq!(SpotPrice::from_history(&history, Statistic::Max).unwrap().hourly, 0.072);
        assert!(SpotPrice::from_history(&[], Statistic::Median).is_none());
    }

    #[test]
    fn blended_prices_follow_the_weights() {
        let types = vec![
            TypePrice { instance_type: "a".into(), on_demand: 0.2, spot: 0.1, weight: 1.0 },
            TypePrice { instance_type: "b".into(), on_demand: 0.4, spot: 0.2, weight: 3.0 },
        ];
        assert!((blended(&types, |t| t.on_demand).unwrap() - 0.35).abs() < 1e-12);
        let mut bad = types.clone();
        bad[1].weight = 0.0;
        assert_eq!(blended(&bad, |t| t.spot), Err(CostError::Weight { instance_type: "b".into(), weight: 0.0 }));
        assert_eq!(blended(&[], |t| t.spot), Err(CostError::NoInstanceTypes));
    }

    #[test]
    fn bare_hours_need_a_static_count_for_the_static_figures() {
        let e = estimate(&seed_type(), CapacityType::OnDemand, &WeeklyUsage::Hours(368.0), None).unwrap();
        assert_eq!((e.static_node_count, e.savings_vs_baseline_percent), (None, None));
        assert_eq!(round(e.weekly_cost, 2), 184.0);
        let e = estimate(&seed_type(), CapacityType::OnDemand, &WeeklyUsage::Hours(368.0), Some(5.0)).unwrap();
        assert_eq!(round(e.savings_vs_baseline_percent.unwrap(), 2), 56.19);
        let err = estimate(&seed_type(), CapacityType::OnDemand, &WeeklyUsage::Hours(900.0), Some(5.0)).unwrap_err();
        assert!(matches!(err, CostError::HoursAboveStatic { .. }), "{err}");
        assert!(estimate(&seed_type(), CapacityType::OnDemand, &WeeklyUsage::Constant(-1.0), None).is_err());
    }

    /// The seed's "30–40 % total savings vs static provisioning", for the mix written in
    /// docs/guides/cost.md: production 10 nodes On-Demand all week (not scheduled), staging 5/1
    /// and dev 3/0 On-Demand on office hours, batch 4 nodes moved to Spot; static provisioning
    /// is every group at its peak, On-Demand, all week; prices $0.50 / $0.10.
    #[test]
    fn seed_total_savings_for_the_documented_mix_fall_in_thirty_to_forty_percent() {
        let fleet = |production_nodes: f64| {
            let groups = [
                (CapacityType::OnDemand, WeeklyUsage::Constant(production_nodes)),
                (CapacityType::OnDemand, office_hours(5, 1)),
                (CapacityType::OnDemand, office_hours(3, 0)),
                (CapacityType::Spot, WeeklyUsage::Constant(4.0)),
            ];
            let estimates: Vec<Estimate> = groups.iter().map(|(c, u)| estimate(&seed_type(), *c, u, None).unwrap()).collect();
            let cost: f64 = estimates.iter().map(|e| e.weekly_cost).sum();
            let static_cost: f64 = estimates.iter().map(|e| e.weekly_on_demand_static_cost.unwrap()).sum();
            (round(cost, 2), round(static_cost, 2), savings_percent(cost, static_cost).unwrap())
        };
        let (cost, static_cost, total) = fleet(10.0);
        assert_eq!((cost, static_cost, round(total, 2)), (1166.2, 1848.0, 36.89));
        assert!((30.0..=40.0).contains(&total));
        // The claim is about the mix: twice the static production group and it no longer holds.
        let (cost, static_cost, total) = fleet(20.0);
        assert_eq!((cost, static_cost, round(total, 2)), (2006.2, 2688.0, 25.36));
        assert!(!(30.0..=40.0).contains(&total));
    }

    /// docs/guides/cost.md states the figures these tests compute.
    #[test]
    fn the_cost_guide_shows_the_computed_figures() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/guides/cost.md");
        let guide = std::fs::read_to_string(&path).unwrap();
        for figure in ["**80.00**", "**56.19**", "**70.24**", "**$1166.20**", "**$1848.00**", "**36.89 %**", "25.36 %", "$2006.20", "$2688.00", "368 instance-hours", "150 instance-hours"] {
            assert!(guide.contains(figure), "{} does not show {figure}", path.display());
        }
    }
}

//! A KEDA ScaledObject as the simulator sees it: the HPA KEDA generates (min
//! `max(1, minReplicaCount)`, max `maxReplicaCount`, one External metric per queue trigger, one
//! Resource metric per cpu/memory trigger, `advanced.horizontalPodAutoscalerConfig.behavior`)
//! plus KEDA's own 0 ↔ 1 step, which no HPA takes: while the workload is idle KEDA polls the
//! triggers every `pollingInterval` and scales to the HPA's minimum as soon as the queue exceeds
//! the activation value; it returns to idle (0) at the first poll at least `cooldownPeriod`
//! after the last active one. Facts: docs/design/keda-reference.md.
//!
//! What is not modelled: cron triggers (the load profile has no clock time), RabbitMQ
//! `MessageRate` (the load has no publish rate). A queue trigger's metric is the load's
//! `queue_depth`; several queue triggers all see the same depth.

use serde_json::Value as Json;

use super::hpa::{FieldPath, Hpa, HpaError};
use crate::render::hpa::{HorizontalPodAutoscaler, HpaSpec, MetricIdentifier, MetricSpec, MetricTarget, ObjectMeta, ResourceSource};
use crate::render::keda::{self, ScaledObject};

/// KEDA's part of the scaling: when the workload leaves and returns to idle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KedaScaling {
    /// `pollingInterval` (default 30 s): how often KEDA checks the triggers.
    pub polling_interval_seconds: u32,
    /// `cooldownPeriod` (default 300 s): how long after the last active poll it returns to idle.
    pub cooldown_period_seconds: u32,
    /// `initialCooldownPeriod` (default 0 s): no return to idle before this time.
    pub initial_cooldown_period_seconds: u32,
    /// A queue trigger is active when the queue depth is above this (the lowest activation value
    /// of the queue triggers; KEDA's default 0).
    pub activation_value: f64,
    /// Replicas while no trigger is active: 0 to scale to zero (`idleReplicaCount`, or 0 when
    /// `minReplicaCount` is 0).
    pub idle_replicas: u32,
}

fn error(message: impl Into<String>) -> Vec<HpaError> {
    vec![HpaError { path: FieldPath::default(), message: message.into() }]
}

/// Reads the scaling of `text`: the one ScaledObject (keda.sh/v1alpha1) it holds, as the HPA KEDA
/// generates and KEDA's idle step; `None` when the YAML holds no ScaledObject.
///
/// # Errors
/// When the YAML does not parse, holds several ScaledObjects, or the ScaledObject has no trigger
/// the simulation models, or its generated HPA breaks the API server's rules.
pub fn from_yaml(text: &str) -> Result<Option<(Hpa, Option<KedaScaling>)>, Vec<HpaError>> {
    let documents = crate::render::parse_documents(text).map_err(|e| error(format!("the YAML does not parse: {e}")))?;
    let mut scaled_objects = documents.into_iter().filter(|d| d.get("kind").and_then(Json::as_str) == Some(keda::SCALED_OBJECT));
    let (Some(document), None) = (scaled_objects.next(), scaled_objects.next()) else {
        let count = crate::render::parse_documents(text).map(|d| d.iter().filter(|d| d.get("kind").and_then(Json::as_str) == Some(keda::SCALED_OBJECT)).count()).unwrap_or(0);
        return if count == 0 { Ok(None) } else { Err(error(format!("the YAML holds {count} ScaledObjects; give exactly one"))) };
    };
    let so = keda::scaled_object_from_json(document).map_err(error)?;
    scaling_of(&so).map(Some)
}

/// The scaling a YAML describes: its ScaledObject's (the generated HPA and KEDA's idle step) if it
/// holds one, else its HorizontalPodAutoscaler's.
///
/// # Errors
/// As [`from_yaml`] and [`Hpa::from_yaml`].
pub fn hpa_or_scaled_object(text: &str) -> Result<(Hpa, Option<KedaScaling>), Vec<HpaError>> {
    match from_yaml(text)? {
        Some(found) => Ok(found),
        None => Hpa::from_yaml(text).map(|hpa| (hpa, None)),
    }
}

/// The generated HPA and KEDA's idle step of a ScaledObject.
///
/// # Errors
/// When no trigger is modelled, or the generated HPA is invalid.
pub fn scaling_of(so: &ScaledObject) -> Result<(Hpa, Option<KedaScaling>), Vec<HpaError>> {
    let spec = &so.spec;
    let (min, max) = keda::generated_hpa_bounds(spec);
    let mut metrics = Vec::new();
    let mut activation: Option<f64> = None;
    for trigger in &spec.triggers {
        let meta = |key: &str| trigger.metadata.get(key).map(String::as_str);
        let number = |key: &str| meta(key).and_then(|v| v.trim().parse::<f64>().ok());
        let (target, activation_key) = match trigger.type_.as_str() {
            "redis" => (number("listLength").or(Some(5.0)), "activationListLength"),
            "rabbitmq" if meta("mode") != Some("MessageRate") => (number("value").or_else(|| number("queueLength")).or(Some(20.0)), "activationValue"),
            "prometheus" => (number("threshold"), "activationThreshold"),
            "cpu" | "memory" => {
                let value = meta("value").unwrap_or_default().to_string();
                let target = if trigger.metric_type.as_deref() == Some("Utilization") {
                    MetricTarget { type_: "Utilization".into(), average_utilization: value.parse().ok(), ..MetricTarget::default() }
                } else {
                    MetricTarget { type_: "AverageValue".into(), average_value: Some(value), ..MetricTarget::default() }
                };
                metrics.push(MetricSpec { type_: "Resource".into(), resource: Some(ResourceSource { name: trigger.type_.clone(), container: None, target }), ..MetricSpec::default() });
                continue;
            }
            _ => continue,
        };
        let Some(target) = target else { continue };
        let value_type = trigger.metric_type.as_deref() == Some("Value");
        let target_text = target.to_string();
        let metric_target = if value_type {
            MetricTarget { type_: "Value".into(), value: Some(target_text), ..MetricTarget::default() }
        } else {
            MetricTarget { type_: "AverageValue".into(), average_value: Some(target_text), ..MetricTarget::default() }
        };
        let name = format!("s{}-{}", metrics.len(), trigger.type_);
        metrics.push(MetricSpec {
            type_: "External".into(),
            external: Some(crate::render::hpa::MetricSource { described_object: None, metric: MetricIdentifier { name, selector: None }, target: metric_target }),
            ..MetricSpec::default()
        });
        let value = number(activation_key).unwrap_or(0.0);
        activation = Some(activation.map_or(value, |a: f64| a.min(value)));
    }
    if metrics.is_empty() {
        return Err(error("the ScaledObject has no trigger the simulation models (redis, rabbitmq QueueLength, prometheus, cpu, memory); cron and MessageRate triggers are not simulated"));
    }
    let behavior = spec.advanced.as_ref().and_then(|a| a.horizontal_pod_autoscaler_config.as_ref()).and_then(|c| c.behavior.clone());
    let generated = HorizontalPodAutoscaler {
        api_version: crate::render::hpa::API_VERSION.into(),
        kind: crate::render::hpa::KIND.into(),
        metadata: ObjectMeta { name: format!("keda-hpa-{}", so.metadata.name), ..ObjectMeta::default() },
        spec: HpaSpec { scale_target_ref: spec.scale_target_ref.clone(), min_replicas: Some(min), max_replicas: max, metrics: Some(metrics), behavior },
    };
    // Through the HPA reader, so the API server's defaults and rules apply as to any HPA.
    let text = serde_json::to_string(&generated).map_err(|e| error(e.to_string()))?;
    let hpa = Hpa::from_yaml(&text)?;
    let min_count = spec.min_replica_count.unwrap_or(keda::DEFAULT_MIN_REPLICA_COUNT);
    let idle = if min_count == 0 { Some(spec.idle_replica_count.unwrap_or(0)) } else { spec.idle_replica_count };
    let seconds = |value: Option<i64>, default: i64| u32::try_from(value.unwrap_or(default).max(0)).unwrap_or(u32::MAX);
    let scaling = match (idle, activation) {
        (Some(idle), Some(activation_value)) => Some(KedaScaling {
            polling_interval_seconds: seconds(spec.polling_interval, keda::DEFAULT_POLLING_INTERVAL).max(1),
            cooldown_period_seconds: seconds(spec.cooldown_period, keda::DEFAULT_COOLDOWN_PERIOD),
            initial_cooldown_period_seconds: seconds(spec.initial_cooldown_period, 0),
            activation_value,
            idle_replicas: u32::try_from(idle.max(0)).unwrap_or(0),
        }),
        // Only cpu/memory triggers: KEDA cannot leave zero, the HPA alone scales.
        _ => None,
    };
    Ok((hpa, scaling))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::render::Overrides;
    use crate::simulate::{Counting, Demand, LoadProfile, LoadStep, Scenario, simulate};

    fn worker_yaml() -> String {
        crate::render::keda::render(&crate::render::keda::tests::celery_worker(), &Overrides::none()).unwrap().yaml
    }

    #[test]
    fn the_celery_worker_becomes_an_hpa_and_an_idle_step() {
        let (hpa, scaling) = from_yaml(&worker_yaml()).unwrap().unwrap();
        assert_eq!((hpa.min_replicas, hpa.max_replicas), (1, 100));
        assert_eq!(hpa.metrics.len(), 1, "the cron trigger is not simulated");
        assert!(hpa.behavior.is_some());
        assert_eq!(scaling, Some(KedaScaling { polling_interval_seconds: 15, cooldown_period_seconds: 600, initial_cooldown_period_seconds: 0, activation_value: 0.0, idle_replicas: 0 }));
        assert_eq!(from_yaml("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n").unwrap(), None);
    }

    fn steps(list: &[(u32, f64)]) -> LoadProfile {
        LoadProfile::new(list.iter().map(|(d, q)| LoadStep { duration_seconds: *d, demand: Demand::queue_depth(*q) }).collect())
    }

    fn scenario(load: LoadProfile, polling: u32, cooldown: u32) -> Scenario {
        let (hpa, scaling) = from_yaml(&worker_yaml()).unwrap().unwrap();
        let mut scaling = scaling.unwrap();
        scaling.polling_interval_seconds = polling;
        scaling.cooldown_period_seconds = cooldown;
        let mut scenario = Scenario::new(hpa, load).initial_replicas(0);
        scenario.keda = Some(scaling);
        scenario
    }

    /// A backlog arriving at 10 s while the worker is at zero: KEDA's next poll (30 s) starts the
    /// first pod, within one polling interval; the HPA then grows it.
    #[test]
    fn a_backlog_from_zero_gets_its_first_pod_within_one_polling_interval() {
        let sim = simulate(&scenario(steps(&[(10, 0.0), (600, 5000.0)]), 30, 300)).unwrap();
        let at = |t: u64| sim.timeline.iter().rev().find(|p| p.time_seconds <= t).map(|p| p.desired_replicas).unwrap();
        assert_eq!(at(0), 0, "idle at the start");
        assert_eq!(at(29), 0, "the poll at 30 s is the first to see the queue");
        assert!(at(30) >= 1, "{:?}", sim.timeline);
        let first = sim.time_to_reach(1, Counting::ReadyPods, 10).unwrap();
        assert!(first - 10 <= 30, "first pod {first} s, backlog at 10 s");
        assert_eq!(sim.peak_replicas(), 50, "5000 jobs at 100 per pod");
    }

    /// With the queue empty from 300 s, the last active poll is at 285 s (every 15 s), so the
    /// worker goes to zero at the first poll at or after 285 + 600 = 885 s — not before.
    #[test]
    fn scale_to_zero_happens_exactly_after_the_cooldown() {
        let sim = simulate(&scenario(steps(&[(300, 5000.0), (1200, 0.0)]), 15, 600)).unwrap();
        let zero = sim.timeline.iter().find(|p| p.time_seconds > 0 && p.desired_replicas == 0).map(|p| p.time_seconds);
        assert_eq!(zero, Some(885), "{:?}", sim.timeline.iter().map(|p| (p.time_seconds, p.desired_replicas)).collect::<Vec<_>>());
        assert!(sim.timeline.iter().filter(|p| (300..885).contains(&p.time_seconds)).all(|p| p.desired_replicas >= 1));
        assert!(sim.timeline.iter().filter(|p| p.time_seconds >= 885).all(|p| p.desired_replicas == 0));
    }

    #[test]
    fn activation_value_keeps_a_small_queue_idle() {
        let mut s = scenario(steps(&[(300, 40.0)]), 30, 300);
        if let Some(k) = s.keda.as_mut() {
            k.activation_value = 50.0;
        }
        let sim = simulate(&s).unwrap();
        assert!(sim.timeline.iter().all(|p| p.desired_replicas == 0), "40 jobs do not pass the activation value 50");
    }

    /// The figures docs/guides/queue-scaling.md quotes: a 5000-job backlog (held for 10 minutes,
    /// then the queue is empty for 20), 30 s pod start-up, against the reference worker HPA
    /// (adapter form, from its 2 pods) and the worker's KEDA form (from zero at night).
    #[test]
    fn the_queue_scaling_guide_figures() {
        let load = steps(&[(600, 5000.0), (1200, 0.0)]);
        let hpa_yaml = include_str!("../../../tests/fixtures/seed/worker-hpa.yaml");
        let adapter = Scenario::new(Hpa::from_yaml(hpa_yaml).unwrap(), load.clone()).pod_startup_seconds(30);
        let adapter = simulate(&adapter).unwrap();
        let keda = simulate(&scenario(load, 15, 600).pod_startup_seconds(30)).unwrap();
        if std::env::var_os("PRINT_TIMELINES").is_some() {
            println!("adapter form:\n{}\nKEDA form:\n{}", adapter.table(), keda.table());
        }
        // Adapter form: 2 → 12 → 36 → 50 pods asked for at 0, 30 and 60 s (10 pods, then 200 %, per
        // 30 s); 50 ready at 90 s.
        assert_eq!(adapter.time_to_reach(50, Counting::DesiredReplicas, 0), Some(60));
        assert_eq!(adapter.time_to_reach(50, Counting::ReadyPods, 0), Some(90));
        // KEDA form: activated at the first poll (0 s) to 1, the HPA takes it 1 → 11 → 33 → 50.
        assert_eq!(keda.time_to_reach(1, Counting::DesiredReplicas, 0), Some(0));
        assert_eq!(keda.time_to_reach(50, Counting::DesiredReplicas, 0), Some(60));
        assert_eq!(keda.time_to_reach(50, Counting::ReadyPods, 0), Some(90));
        // After the queue empties at 600 s: the HPA form keeps its floor of 2; the KEDA form is at
        // zero from 585 + 600 = 1185 s.
        assert_eq!(adapter.timeline.last().map(|p| p.desired_replicas), Some(2));
        let zero = keda.timeline.iter().find(|p| p.time_seconds > 0 && p.desired_replicas == 0).map(|p| p.time_seconds);
        assert_eq!(zero, Some(1185));
    }

    #[test]
    fn only_pod_metrics_means_no_idle_step() {
        let yaml = "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: api}\nspec:\n  scaleTargetRef: {name: api}\n  minReplicaCount: 2\n  maxReplicaCount: 50\n  triggers:\n  - type: cpu\n    metricType: Utilization\n    metadata: {value: \"70\"}\n";
        let (hpa, scaling) = from_yaml(yaml).unwrap().unwrap();
        assert_eq!((hpa.min_replicas, hpa.max_replicas, scaling), (2, 50, None));
    }
}

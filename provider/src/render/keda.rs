//! KEDA's ScaledObject (`keda.sh/v1alpha1`) and the TriggerAuthentications its triggers name:
//! their typed shape (the API's field names, so parse-back needs no mapping), the rules KEDA's
//! CRD, admission webhook and scalers enforce, reported at the resource's attribute paths, and
//! rendering. Facts and their sources: docs/design/keda-reference.md.
//!
//! Trigger metadata is a map of strings in KEDA. The scalers this provider types (redis,
//! rabbitmq, prometheus, cpu, memory, cron) are described once in [`SCALERS`]: each parameter's
//! metadata key, the Terraform attribute that sets it, its kind and whether it is required. The
//! resource's schema, its expand and flatten, and the rules here all read that one table.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tfplugin::AttributePath;

use super::cluster_autoscaler::split_documents;
use super::hpa::{Behavior, ObjectMeta, ObjectReference, check_behavior, check_meta, check_reference};
use super::kubernetes::{check_name, check_positive_quantity, is_dns1123_subdomain};
use super::templates::{self, Overrides, TemplateName};
use super::{RenderError, Violation, sha256_hex};
use crate::schedule;

pub const API_VERSION: &str = "keda.sh/v1alpha1";
pub const SCALED_OBJECT: &str = "ScaledObject";
pub const TRIGGER_AUTHENTICATION: &str = "TriggerAuthentication";

/// KEDA's defaults for unset fields (ScaledObject specification).
pub const DEFAULT_POLLING_INTERVAL: i64 = 30;
pub const DEFAULT_COOLDOWN_PERIOD: i64 = 300;
pub const DEFAULT_MIN_REPLICA_COUNT: i64 = 0;
pub const DEFAULT_MAX_REPLICA_COUNT: i64 = 100;

/// Metric types of the cpu and memory scalers, and of every other scaler.
pub const RESOURCE_METRIC_TYPES: [&str; 2] = ["Utilization", "AverageValue"];
pub const EXTERNAL_METRIC_TYPES: [&str; 2] = ["AverageValue", "Value"];
pub const RABBITMQ_MODES: [&str; 2] = ["QueueLength", "MessageRate"];
pub const RABBITMQ_PROTOCOLS: [&str; 3] = ["auto", "amqp", "http"];
pub const AUTHENTICATION_KINDS: [&str; 2] = ["TriggerAuthentication", "ClusterTriggerAuthentication"];

/// How a metadata value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// Any non-empty text.
    Text,
    /// A whole number ≥ 0.
    Count,
    /// A whole number ≥ 1.
    PositiveCount,
    /// A decimal number > 0 (a target).
    Target,
    /// A decimal number ≥ 0 (an activation value).
    Activation,
    /// `true` or `false`.
    Flag,
}

/// One metadata parameter of a scaler.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// The key in the trigger's `metadata`.
    pub key: &'static str,
    /// The Terraform attribute in the scaler's block.
    pub attribute: &'static str,
    pub kind: ParamKind,
    pub required: bool,
    /// Markdown for the generated docs.
    pub description: &'static str,
}

/// A scaler the provider types: its trigger `type`, the parameters, and the auth parameters a
/// TriggerAuthentication may supply to it.
#[derive(Debug, Clone, Copy)]
pub struct Scaler {
    pub type_: &'static str,
    pub description: &'static str,
    pub params: &'static [Param],
    pub auth_parameters: &'static [&'static str],
}

const fn param(key: &'static str, attribute: &'static str, kind: ParamKind, required: bool, description: &'static str) -> Param {
    Param { key, attribute, kind, required, description }
}

const RESOURCE_PARAMS: &[Param] = &[
    param("value", "value", ParamKind::Text, true, "Target: a percentage of the requests for `metric_type = \"Utilization\"`, a quantity per pod (e.g. `500m`, `512Mi`) for `AverageValue`."),
    param("containerName", "container_name", ParamKind::Text, false, "Only this container's usage (needs the HPAContainerMetrics feature)."),
];

/// The scalers, in the order of the trigger block's sub-blocks.
pub const SCALERS: &[Scaler] = &[
    Scaler {
        type_: "redis",
        description: "Redis list length (`type: redis`). The connection comes from `address`, or `host` and `port`, or a `secret_target_ref` with parameter `address` or `host`; a password only through `secret_target_ref` (parameter `password`).",
        params: &[
            param("listName", "list_name", ParamKind::Text, true, "The Redis list to watch, e.g. `celery` (Celery's default queue on Redis is a list of that name)."),
            param("listLength", "list_length", ParamKind::PositiveCount, true, "Target list length per replica: with 100, 5000 queued jobs ask for 50 replicas."),
            param("activationListLength", "activation_list_length", ParamKind::Count, false, "The workload is activated (0 → 1) when the list is longer than this. KEDA's default is 0."),
            param("address", "address", ParamKind::Text, false, "`host:port` of the Redis server."),
            param("host", "host", ParamKind::Text, false, "Host of the Redis server (with `port`, instead of `address`)."),
            param("port", "port", ParamKind::PositiveCount, false, "Port of the Redis server (with `host`)."),
            param("databaseIndex", "database_index", ParamKind::Count, false, "Redis database index. KEDA's default is 0."),
            param("enableTLS", "enable_tls", ParamKind::Flag, false, "`true` to connect with TLS. KEDA's default is `false`."),
        ],
        auth_parameters: &["address", "host", "port", "username", "password", "tls", "ca", "cert", "key", "keyPassword"],
    },
    Scaler {
        type_: "rabbitmq",
        description: "RabbitMQ queue (`type: rabbitmq`). The broker URL (which holds the credentials) comes only from a `secret_target_ref` with parameter `host`, or from `authentication_ref`.",
        params: &[
            param("queueName", "queue_name", ParamKind::Text, true, "The queue to watch."),
            param("mode", "mode", ParamKind::Text, true, "`QueueLength` (messages waiting) or `MessageRate` (published per second; needs `protocol = \"http\"`)."),
            param("value", "value", ParamKind::Target, true, "Target messages (or messages per second) per replica; may be a decimal number."),
            param("activationValue", "activation_value", ParamKind::Activation, false, "The workload is activated (0 → 1) above this value. KEDA's default is 0."),
            param("vhostName", "vhost_name", ParamKind::Text, false, "Virtual host, overriding the one in the broker URL."),
            param("protocol", "protocol", ParamKind::Text, false, "`auto` (KEDA's default: from the URL), `amqp` or `http`."),
        ],
        auth_parameters: &["host", "username", "password", "tls", "ca", "cert", "key", "keyPassword", "workloadIdentityResource"],
    },
    Scaler {
        type_: "prometheus",
        description: "A Prometheus query (`type: prometheus`); it must return one element. For an endpoint that needs credentials set `auth_modes` and give them through `secret_target_ref` (e.g. parameter `bearerToken` with `auth_modes = \"bearer\"`).",
        params: &[
            param("serverAddress", "server_address", ParamKind::Text, true, "URL of the Prometheus server, e.g. `http://prometheus.monitoring:9090`."),
            param("query", "query", ParamKind::Text, true, "The PromQL query, e.g. `sum(celery_queue_length{queue_name=\"celery\"})`."),
            param("threshold", "threshold", ParamKind::Target, true, "Target value per replica; may be a decimal number."),
            param("activationThreshold", "activation_threshold", ParamKind::Activation, false, "The workload is activated (0 → 1) above this value. KEDA's default is 0."),
            param("authModes", "auth_modes", ParamKind::Text, false, "Comma-separated authentication modes: `bearer`, `basic`, `tls`, `custom`; their credentials come from `secret_target_ref`."),
        ],
        auth_parameters: &["bearerToken", "username", "password", "ca", "cert", "key", "customAuthHeader", "customAuthValue"],
    },
    Scaler {
        type_: "cpu",
        description: "CPU of the pods (`type: cpu`); needs metrics-server and CPU requests. Cannot scale to or from zero: with only cpu and memory triggers `min_replica_count` must be at least 1.",
        params: RESOURCE_PARAMS,
        auth_parameters: &[],
    },
    Scaler {
        type_: "memory",
        description: "Memory of the pods (`type: memory`); needs metrics-server and memory requests. Cannot scale to or from zero: with only cpu and memory triggers `min_replica_count` must be at least 1.",
        params: RESOURCE_PARAMS,
        auth_parameters: &[],
    },
    Scaler {
        type_: "cron",
        description: "A time window (`type: cron`): between `start` and `end` the trigger asks for `desired_replicas`. Checked with the same cron and IANA time-zone code as `autoscale_scheduled_action`. For zero at night, set `min_replica_count = 0`.",
        params: &[
            param("timezone", "timezone", ParamKind::Text, true, "IANA time zone name, e.g. `Europe/Paris`."),
            param("start", "start", ParamKind::Text, true, "5-field cron expression (minute hour day-of-month month day-of-week) starting the window, e.g. `0 8 * * 1-5`."),
            param("end", "end", ParamKind::Text, true, "5-field cron expression ending the window, e.g. `0 20 * * 1-5`; must differ from `start`."),
            param("desiredReplicas", "desired_replicas", ParamKind::PositiveCount, true, "Replicas inside the window."),
        ],
        auth_parameters: &[],
    },
];

/// The scaler of a trigger type.
pub fn scaler(type_: &str) -> Option<&'static Scaler> {
    SCALERS.iter().find(|s| s.type_ == type_)
}

/// A ScaledObject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaledObject {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: ScaledObjectSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaledObjectSpec {
    pub scale_target_ref: ObjectReference,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polling_interval: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown_period: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_cooldown_period: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_replica_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_replica_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_replica_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Fallback>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced: Option<Advanced>,
    #[serde(default)]
    pub triggers: Vec<Trigger>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fallback {
    pub failure_threshold: i64,
    pub replicas: i64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Advanced {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_to_original_replica_count: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizontal_pod_autoscaler_config: Option<HpaConfig>,
}

/// `advanced.horizontalPodAutoscalerConfig`: the generated HPA's name and behavior.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HpaConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behavior: Option<Behavior>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trigger {
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_type: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_ref: Option<AuthenticationRef>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationRef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A TriggerAuthentication holding only secret references: values stay in the Secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerAuthentication {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: TriggerAuthenticationSpec,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerAuthenticationSpec {
    #[serde(default)]
    pub secret_target_ref: Vec<SecretTargetRef>,
}

/// One auth parameter taken from a key of a Secret.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SecretTargetRef {
    pub parameter: String,
    pub name: String,
    pub key: String,
}

/// What the resource renders: the TriggerAuthentications its triggers own, then the ScaledObject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KedaManifest {
    pub trigger_authentications: Vec<TriggerAuthentication>,
    pub scaled_object: ScaledObject,
}

impl KedaManifest {
    /// The TriggerAuthentication rendered with this manifest that a trigger names, if any.
    pub fn owned_authentication(&self, trigger: &Trigger) -> Option<&TriggerAuthentication> {
        let reference = trigger.authentication_ref.as_ref()?;
        if reference.kind.as_deref().is_some_and(|k| k != TRIGGER_AUTHENTICATION) {
            return None;
        }
        self.trigger_authentications.iter().find(|a| a.metadata.name == reference.name)
    }
}

/// The name of the TriggerAuthentication generated for trigger `index` of type `type_`:
/// `<scaled object>-<type>`, with the index when several triggers have that type.
pub fn authentication_name(scaled_object: &str, triggers: &[&str], index: usize) -> String {
    let type_ = triggers.get(index).copied().unwrap_or_default();
    if triggers.iter().filter(|t| **t == type_).count() > 1 { format!("{scaled_object}-{type_}-{index}") } else { format!("{scaled_object}-{type_}") }
}

/// What rendering produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// All documents, separated by `---` lines.
    pub yaml: String,
    /// Each object on its own (TriggerAuthentications first).
    pub documents: Vec<String>,
    pub sha256: String,
}

fn trigger_path(index: usize) -> AttributePath {
    AttributePath::root("trigger").index(index)
}

/// The attribute path of a scaler parameter.
fn param_path(index: usize, type_: &str, attribute: &str) -> AttributePath {
    trigger_path(index).attr(type_).attr(attribute)
}

fn parse_decimal(text: &str) -> Option<f64> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed != text {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Checks every rule, each at the attribute that sets it.
pub fn validate(manifest: &KedaManifest) -> Vec<Violation> {
    let mut out = Vec::new();
    let so = &manifest.scaled_object;
    check_meta(&so.metadata, &mut out);
    let spec = &so.spec;
    check_reference(&spec.scale_target_ref, &AttributePath::root("target"), &mut out);
    check_replicas(spec, &mut out);
    for (value, attribute, least) in [
        (spec.polling_interval, "polling_interval", 1),
        (spec.cooldown_period, "cooldown_period", 0),
        (spec.initial_cooldown_period, "initial_cooldown_period", 0),
    ] {
        if let Some(seconds) = value
            && seconds < least {
                out.push(Violation::new(AttributePath::root(attribute), format!("{attribute} is {seconds} seconds, but it must be at least {least}.")));
            }
    }
    if let Some(config) = spec.advanced.as_ref().and_then(|a| a.horizontal_pod_autoscaler_config.as_ref()) {
        if let Some(name) = &config.name {
            check_name(name, AttributePath::root("hpa_name"), &mut out);
        }
        if let Some(behavior) = &config.behavior {
            check_behavior(behavior, &AttributePath::root("behavior"), &mut out);
        }
    }
    if spec.triggers.is_empty() {
        out.push(Violation::new(AttributePath::root("trigger"), "a ScaledObject needs at least one trigger."));
    }
    for (index, trigger) in spec.triggers.iter().enumerate() {
        check_trigger(manifest, trigger, index, &mut out);
    }
    check_fallback(spec, &mut out);
    // The TriggerAuthentications are named after the ScaledObject (`<name>-<type>`): a name near
    // the length limit leaves no room for the suffix.
    for auth in &manifest.trigger_authentications {
        if is_dns1123_subdomain(&so.metadata.name) && !is_dns1123_subdomain(&auth.metadata.name) {
            out.push(Violation::new(
                AttributePath::root("name"),
                format!("the TriggerAuthentication named after this ScaledObject, {:?}, is not a valid object name (at most 253 characters): shorten name.", auth.metadata.name),
            ));
        }
    }
    out
}

/// Replica bounds: KEDA's `CheckReplicaCountBoundsAreValid` with the documented reading of idle
/// (strictly below min), and the webhook's refusal of zero with only cpu/memory triggers.
fn check_replicas(spec: &ScaledObjectSpec, out: &mut Vec<Violation>) {
    let min = spec.min_replica_count.unwrap_or(DEFAULT_MIN_REPLICA_COUNT);
    let max = spec.max_replica_count.unwrap_or(DEFAULT_MAX_REPLICA_COUNT);
    if min < 0 {
        out.push(Violation::new(AttributePath::root("min_replica_count"), format!("min_replica_count is {min}, but it must be 0 or more.")));
    }
    if max < 1 {
        out.push(Violation::new(AttributePath::root("max_replica_count"), format!("max_replica_count is {max}, but it must be at least 1.")));
    } else if min > max {
        out.push(Violation::new(AttributePath::root("max_replica_count"), format!("max_replica_count ({max}) must be greater than or equal to min_replica_count ({min}).")));
    }
    if let Some(idle) = spec.idle_replica_count {
        if idle < 0 {
            out.push(Violation::new(AttributePath::root("idle_replica_count"), format!("idle_replica_count is {idle}, but it must be 0 or more.")));
        } else if idle >= min {
            out.push(Violation::new(
                AttributePath::root("idle_replica_count"),
                format!("idle_replica_count ({idle}) must be less than min_replica_count ({min}): KEDA scales to the idle count when no trigger is active and to at least min_replica_count otherwise. Only 0 works reliably (kedacore/keda#2314)."),
            ));
        }
    }
    let only_resource = !spec.triggers.is_empty() && spec.triggers.iter().all(|t| matches!(t.type_.as_str(), "cpu" | "memory"));
    if only_resource && min == 0 {
        let path = if spec.min_replica_count.is_some() { AttributePath::root("min_replica_count") } else { AttributePath::root("trigger") };
        out.push(Violation::new(
            path,
            "with only cpu and memory triggers min_replica_count must be at least 1 (it is 0 when unset): KEDA cannot activate a workload from zero on pod metrics, since no pod reports them. Add a queue, prometheus or cron trigger, or set min_replica_count.",
        ));
    }
}

/// KEDA 2.20 refuses a fallback unless at least one trigger is neither cpu nor memory.
fn check_fallback(spec: &ScaledObjectSpec, out: &mut Vec<Violation>) {
    let Some(fallback) = &spec.fallback else { return };
    let path = AttributePath::root("fallback");
    if fallback.failure_threshold < 1 {
        out.push(Violation::new(path.clone().attr("failure_threshold"), format!("failure_threshold is {}, but it must be at least 1 (failed polls before the fallback applies).", fallback.failure_threshold)));
    }
    if fallback.replicas < 0 {
        out.push(Violation::new(path.clone().attr("replicas"), format!("replicas is {}, but it must be 0 or more.", fallback.replicas)));
    }
    if !spec.triggers.is_empty() && spec.triggers.iter().all(|t| matches!(t.type_.as_str(), "cpu" | "memory")) {
        out.push(Violation::new(path, "fallback needs at least one trigger that is neither cpu nor memory (KEDA applies it only to AverageValue metrics of external scalers)."));
    }
}

fn check_trigger(manifest: &KedaManifest, trigger: &Trigger, index: usize, out: &mut Vec<Violation>) {
    let at = trigger_path(index);
    let Some(scaler) = scaler(&trigger.type_) else {
        let known: Vec<&str> = SCALERS.iter().map(|s| s.type_).collect();
        out.push(Violation::new(at, format!("a trigger needs exactly one scaler block: one of {}.", known.join(", "))));
        return;
    };
    if let Some(name) = &trigger.name
        && (name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
            out.push(Violation::new(at.clone().attr("name"), format!("{name:?} is not a usable trigger name: letters, digits, '-' and '_' only (KEDA puts it in metric names).")));
        }
    let resource = matches!(scaler.type_, "cpu" | "memory");
    match (&trigger.metric_type, resource) {
        (None, true) => out.push(Violation::new(at.clone().attr("metric_type"), format!("a {} trigger needs metric_type: Utilization or AverageValue.", scaler.type_))),
        (Some(t), true) if !RESOURCE_METRIC_TYPES.contains(&t.as_str()) => {
            out.push(Violation::new(at.clone().attr("metric_type"), format!("{t:?} is not a metric type of the {} scaler: use Utilization or AverageValue.", scaler.type_)));
        }
        (Some(t), false) if !EXTERNAL_METRIC_TYPES.contains(&t.as_str()) => {
            out.push(Violation::new(at.clone().attr("metric_type"), format!("{t:?} is not a metric type of the {} scaler: use AverageValue (per replica, KEDA's default) or Value.", scaler.type_)));
        }
        _ => {}
    }
    for key in trigger.metadata.keys() {
        if !scaler.params.iter().any(|p| p.key == key) {
            out.push(Violation::new(at.clone().attr(scaler.type_), format!("metadata {key:?} is not a parameter this provider knows for the {} scaler.", scaler.type_)));
        }
    }
    for param in scaler.params {
        let path = param_path(index, scaler.type_, param.attribute);
        match trigger.metadata.get(param.key) {
            None if param.required => out.push(Violation::new(path, format!("the {} scaler needs {} ({}).", scaler.type_, param.attribute, param.key))),
            None => {}
            Some(value) => check_param(param, value, path, out),
        }
    }
    let auth = manifest.owned_authentication(trigger);
    if let Some(reference) = &trigger.authentication_ref {
        if auth.is_none() && !is_dns1123_subdomain(&reference.name) {
            out.push(Violation::new(at.clone().attr("authentication_ref"), format!("{:?} is not a valid object name (a DNS-1123 subdomain).", reference.name)));
        }
        if let Some(kind) = &reference.kind
            && !AUTHENTICATION_KINDS.contains(&kind.as_str()) {
                out.push(Violation::new(at.clone().attr("authentication_kind"), format!("{kind:?} is not TriggerAuthentication or ClusterTriggerAuthentication.")));
            }
    }
    if let Some(auth) = auth {
        check_secret_refs(scaler, auth, index, out);
    }
    let supplied = |parameter: &str| auth.is_some_and(|a| a.spec.secret_target_ref.iter().any(|r| r.parameter == parameter));
    let external_auth = trigger.authentication_ref.is_some() && auth.is_none();
    let meta = |key: &str| trigger.metadata.get(key);
    match scaler.type_ {
        "redis" => {
            let (address, host, port) = (meta("address"), meta("host"), meta("port"));
            if address.is_some() && (host.is_some() || port.is_some()) {
                out.push(Violation::new(param_path(index, "redis", "address"), "set either address or host and port, not both."));
            }
            if host.is_some() != port.is_some() && !(supplied("host") || supplied("port")) {
                let missing = if host.is_some() { "port" } else { "host" };
                out.push(Violation::new(param_path(index, "redis", missing), format!("host and port go together: {missing} is missing.")));
            }
            if let Some(address) = address
                && address.rsplit_once(':').is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err()) {
                    out.push(Violation::new(param_path(index, "redis", "address"), format!("{address:?} is not host:port (e.g. \"redis.queues:6379\").")));
                }
            if address.is_none() && host.is_none() && !supplied("address") && !supplied("host") && !external_auth {
                out.push(Violation::new(trigger_path(index).attr("redis"), "the redis scaler needs a server: set address, or host and port, or a secret_target_ref with parameter address or host."));
            }
        }
        "rabbitmq" => {
            if meta("mode").is_some_and(|m| !RABBITMQ_MODES.contains(&m.as_str())) {
                out.push(Violation::new(param_path(index, "rabbitmq", "mode"), "mode must be QueueLength or MessageRate."));
            }
            if let Some(protocol) = meta("protocol")
                && !RABBITMQ_PROTOCOLS.contains(&protocol.as_str()) {
                    out.push(Violation::new(param_path(index, "rabbitmq", "protocol"), "protocol must be auto, amqp or http."));
                }
            if meta("mode").map(String::as_str) == Some("MessageRate") && meta("protocol").map(String::as_str) != Some("http") {
                out.push(Violation::new(param_path(index, "rabbitmq", "protocol"), "mode MessageRate needs protocol \"http\" (the management API): KEDA refuses it over AMQP."));
            }
            if !supplied("host") && !external_auth {
                out.push(Violation::new(
                    trigger_path(index).attr("secret_target_ref"),
                    "the rabbitmq scaler needs the broker URL, which holds its credentials: add a secret_target_ref with parameter \"host\" (or name an existing TriggerAuthentication with authentication_ref).",
                ));
            }
        }
        "prometheus" => {
            if let Some(address) = meta("serverAddress")
                && (!(address.starts_with("http://") || address.starts_with("https://")) || address.contains(char::is_whitespace)) {
                    out.push(Violation::new(param_path(index, "prometheus", "server_address"), "server_address must be an http:// or https:// URL without spaces."));
                }
        }
        "cpu" | "memory" => {
            if let Some(value) = meta("value") {
                let path = param_path(index, scaler.type_, "value");
                if trigger.metric_type.as_deref() == Some("Utilization") {
                    if value.parse::<i64>().map_or(true, |n| n < 1) {
                        out.push(Violation::new(path, format!("{value:?} is not a Utilization target: a whole percentage of the requests, at least 1.")));
                    }
                } else {
                    check_positive_quantity(value, path, out);
                }
            }
        }
        "cron" => check_cron(trigger, index, out),
        _ => {}
    }
}

fn check_param(param: &Param, value: &str, path: AttributePath, out: &mut Vec<Violation>) {
    let fail = |what: &str| Violation::new(path.clone(), format!("{} is {value:?}, but it must be {what}.", param.attribute));
    match param.kind {
        ParamKind::Text if value.is_empty() => out.push(fail("non-empty")),
        ParamKind::Count if value.parse::<u64>().is_err() => out.push(fail("a whole number, 0 or more")),
        ParamKind::PositiveCount if value.parse::<u64>().map_or(true, |n| n < 1) => out.push(fail("a whole number, at least 1")),
        ParamKind::Target if parse_decimal(value).is_none_or(|n| n <= 0.0) => out.push(fail("a number greater than 0")),
        ParamKind::Activation if parse_decimal(value).is_none_or(|n| n < 0.0) => out.push(fail("a number, 0 or more")),
        ParamKind::Flag if value != "true" && value != "false" => out.push(fail("\"true\" or \"false\"")),
        _ => {}
    }
}

fn check_cron(trigger: &Trigger, index: usize, out: &mut Vec<Violation>) {
    let meta = |key: &str| trigger.metadata.get(key);
    if let Some(zone) = meta("timezone")
        && let Err(e) = schedule::parse_time_zone(zone) {
            out.push(Violation::new(param_path(index, "cron", "timezone"), format!("{e}.")));
        }
    for (key, attribute) in [("start", "start"), ("end", "end")] {
        if let Some(text) = meta(key)
            && let Err(e) = schedule::parse_recurrence(text) {
                out.push(Violation::new(param_path(index, "cron", attribute), format!("{e}.")));
            }
    }
    if let (Some(start), Some(end)) = (meta("start"), meta("end"))
        && start.split_whitespace().eq(end.split_whitespace()) {
            out.push(Violation::new(param_path(index, "cron", "end"), "start and end are the same time: KEDA refuses a window that ends when it starts."));
        }
}

fn check_secret_refs(scaler: &Scaler, auth: &TriggerAuthentication, index: usize, out: &mut Vec<Violation>) {
    let mut seen = Vec::new();
    for (i, reference) in auth.spec.secret_target_ref.iter().enumerate() {
        let at = trigger_path(index).attr("secret_target_ref").index(i);
        if !scaler.auth_parameters.contains(&reference.parameter.as_str()) {
            let allowed = if scaler.auth_parameters.is_empty() { "none".to_string() } else { scaler.auth_parameters.join(", ") };
            out.push(Violation::new(at.clone().attr("parameter"), format!("{:?} is not an auth parameter of the {} scaler (it takes: {allowed}).", reference.parameter, scaler.type_)));
        } else if seen.contains(&reference.parameter.as_str()) {
            out.push(Violation::new(at.clone().attr("parameter"), format!("parameter {:?} is given twice.", reference.parameter)));
        }
        seen.push(reference.parameter.as_str());
        if !is_dns1123_subdomain(&reference.name) {
            out.push(Violation::new(at.clone().attr("name"), format!("{:?} is not a Secret name (a DNS-1123 subdomain).", reference.name)));
        }
        let key_ok = !reference.key.is_empty() && reference.key.len() <= 253 && reference.key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !key_ok {
            out.push(Violation::new(at.attr("key"), format!("{:?} is not a Secret key: letters, digits, '-', '_' and '.' only.", reference.key)));
        }
    }
}

/// Validates and renders.
///
/// # Errors
/// [`RenderError::Invalid`] for broken rules, template errors, or [`RenderError::Output`] when a
/// user template's output is not the objects it should be.
pub fn render(manifest: &KedaManifest, overrides: &Overrides) -> Result<Rendered, RenderError> {
    let violations = validate(manifest);
    if !violations.is_empty() {
        return Err(RenderError::Invalid(violations));
    }
    render_unchecked(manifest, overrides)
}

/// Renders without checking the rules first (the property tests feed arbitrary strings through
/// the template this way; a user template's output is still checked).
///
/// # Errors
/// Template errors, or [`RenderError::Output`] for a user template's invalid output.
pub fn render_unchecked(manifest: &KedaManifest, overrides: &Overrides) -> Result<Rendered, RenderError> {
    let file = TemplateName::KedaScaledObject.file_name();
    let yaml = templates::render(TemplateName::KedaScaledObject, manifest, overrides)?;
    if overrides.get(TemplateName::KedaScaledObject).is_some() {
        let parsed = parse(&yaml).map_err(|message| RenderError::Output { file, message })?;
        let violations = validate(&parsed);
        if !violations.is_empty() {
            return Err(RenderError::Output { file, message: super::summary(&violations) });
        }
    }
    let documents = split_documents(&yaml);
    let sha256 = sha256_hex(&yaml);
    Ok(Rendered { yaml, documents, sha256 })
}

/// Reads the objects back from YAML: one ScaledObject and any TriggerAuthentications.
///
/// # Errors
/// A message when the text is not that.
pub fn parse(yaml: &str) -> Result<KedaManifest, String> {
    let documents = super::parse_documents(yaml)?;
    let mut scaled_objects = Vec::new();
    let mut trigger_authentications = Vec::new();
    for document in documents {
        let api_version = document.get("apiVersion").and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let kind = document.get("kind").and_then(|v| v.as_str()).unwrap_or_default().to_string();
        if api_version != API_VERSION {
            return Err(format!("expected {API_VERSION} objects, found {api_version:?} {kind}"));
        }
        match kind.as_str() {
            SCALED_OBJECT => scaled_objects.push(scaled_object_from_json(document)?),
            TRIGGER_AUTHENTICATION => {
                trigger_authentications.push(serde_json::from_value::<TriggerAuthentication>(document).map_err(|e| format!("not a TriggerAuthentication: {e}"))?);
            }
            other => return Err(format!("expected a ScaledObject and TriggerAuthentications, found a {other}")),
        }
    }
    let mut scaled_objects = scaled_objects.into_iter();
    match (scaled_objects.next(), scaled_objects.next()) {
        (Some(scaled_object), None) => Ok(KedaManifest { trigger_authentications, scaled_object }),
        (None, _) => Err("no ScaledObject found".into()),
        _ => Err("more than one ScaledObject found".into()),
    }
}

/// A ScaledObject from its parsed document.
///
/// # Errors
/// A message when the document is not a ScaledObject's shape.
pub fn scaled_object_from_json(mut document: serde_json::Value) -> Result<ScaledObject, String> {
    // KEDA defaults the target's kind to Deployment; the typed reference needs it.
    if let Some(reference) = document.pointer_mut("/spec/scaleTargetRef").and_then(|r| r.as_object_mut()) {
        reference.entry("kind").or_insert_with(|| "Deployment".into());
    }
    serde_json::from_value::<ScaledObject>(document).map_err(|e| format!("not a ScaledObject: {e}"))
}

/// The replica bounds of the HPA KEDA generates: min `max(1, minReplicaCount)`, max
/// `maxReplicaCount` (100 when unset) — `GetHPAMinReplicas` / `GetHPAMaxReplicas`.
pub fn generated_hpa_bounds(spec: &ScaledObjectSpec) -> (i64, i64) {
    (spec.min_replica_count.unwrap_or(DEFAULT_MIN_REPLICA_COUNT).max(1), spec.max_replica_count.unwrap_or(DEFAULT_MAX_REPLICA_COUNT))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::yaml_scalar::strategies::{map, text};
    use super::super::hpa::{ScalingPolicy, ScalingRules};
    use super::*;
    use proptest::prelude::*;

    fn meta(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    /// The quickstart's Celery worker in KEDA's form: Redis list `celery`, 100 jobs per pod, 2–100 by day,
    /// zero at night, the worker HPA's behavior.
    pub(crate) fn celery_worker() -> KedaManifest {
        let behavior = Behavior {
            scale_up: Some(ScalingRules {
                stabilization_window_seconds: Some(0),
                select_policy: Some("Max".into()),
                policies: vec![ScalingPolicy { type_: "Percent".into(), value: 200, period_seconds: 30 }, ScalingPolicy { type_: "Pods".into(), value: 10, period_seconds: 30 }],
            }),
            scale_down: Some(ScalingRules { stabilization_window_seconds: Some(600), select_policy: None, policies: vec![ScalingPolicy { type_: "Percent".into(), value: 25, period_seconds: 60 }] }),
        };
        KedaManifest {
            trigger_authentications: vec![TriggerAuthentication {
                api_version: API_VERSION.into(),
                kind: TRIGGER_AUTHENTICATION.into(),
                metadata: ObjectMeta { name: "worker-redis".into(), namespace: Some("production".into()), labels: None, annotations: None },
                spec: TriggerAuthenticationSpec { secret_target_ref: vec![SecretTargetRef { parameter: "password".into(), name: "redis".into(), key: "password".into() }] },
            }],
            scaled_object: ScaledObject {
                api_version: API_VERSION.into(),
                kind: SCALED_OBJECT.into(),
                metadata: ObjectMeta { name: "worker".into(), namespace: Some("production".into()), labels: None, annotations: None },
                spec: ScaledObjectSpec {
                    scale_target_ref: ObjectReference { api_version: Some("apps/v1".into()), kind: "Deployment".into(), name: "worker".into() },
                    polling_interval: Some(15),
                    cooldown_period: Some(600),
                    initial_cooldown_period: None,
                    idle_replica_count: None,
                    min_replica_count: Some(0),
                    max_replica_count: Some(100),
                    fallback: Some(Fallback { failure_threshold: 3, replicas: 10 }),
                    advanced: Some(Advanced { restore_to_original_replica_count: None, horizontal_pod_autoscaler_config: Some(HpaConfig { name: None, behavior: Some(behavior) }) }),
                    triggers: vec![
                        Trigger {
                            type_: "redis".into(),
                            name: None,
                            metric_type: None,
                            metadata: meta(&[("address", "redis.queues:6379"), ("listName", "celery"), ("listLength", "100"), ("activationListLength", "0")]),
                            authentication_ref: Some(AuthenticationRef { name: "worker-redis".into(), kind: None }),
                        },
                        Trigger {
                            type_: "cron".into(),
                            name: None,
                            metric_type: None,
                            metadata: meta(&[("timezone", "Europe/Paris"), ("start", "0 8 * * 1-5"), ("end", "0 20 * * 1-5"), ("desiredReplicas", "2")]),
                            authentication_ref: None,
                        },
                    ],
                },
            },
        }
    }

    #[test]
    fn renders_and_parses_back() {
        let manifest = celery_worker();
        assert_eq!(validate(&manifest), Vec::new());
        let rendered = render(&manifest, &Overrides::none()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rendered.documents.len(), 2, "{}", rendered.yaml);
        assert!(rendered.documents[0].contains("kind: TriggerAuthentication"), "{}", rendered.yaml);
        assert!(rendered.yaml.contains("      listLength: \"100\"\n"), "metadata values are strings: {}", rendered.yaml);
        assert_eq!(parse(&rendered.yaml).unwrap_or_else(|e| panic!("{e}\n{}", rendered.yaml)), manifest);
    }

    #[test]
    fn empty_behavior_is_kept() {
        let mut manifest = celery_worker();
        manifest.scaled_object.spec.advanced = Some(Advanced { restore_to_original_replica_count: Some(true), horizontal_pod_autoscaler_config: Some(HpaConfig { name: Some("worker-hpa".into()), behavior: Some(Behavior::default()) }) });
        let rendered = render(&manifest, &Overrides::none()).unwrap_or_else(|e| panic!("{e}"));
        assert!(rendered.yaml.contains("      behavior: {}\n"), "{}", rendered.yaml);
        assert_eq!(parse(&rendered.yaml).unwrap_or_else(|e| panic!("{e}")), manifest);
    }

    fn paths(manifest: &KedaManifest) -> Vec<String> {
        validate(manifest).iter().map(|v| v.path.to_string()).collect()
    }

    #[test]
    fn replica_rules() {
        let mut m = celery_worker();
        m.scaled_object.spec.min_replica_count = Some(5);
        m.scaled_object.spec.max_replica_count = Some(4);
        m.scaled_object.spec.idle_replica_count = Some(5);
        assert_eq!(paths(&m), ["max_replica_count", "idle_replica_count"]);
        m.scaled_object.spec.max_replica_count = Some(0);
        m.scaled_object.spec.min_replica_count = Some(0);
        m.scaled_object.spec.idle_replica_count = Some(0);
        assert_eq!(paths(&m), ["max_replica_count", "idle_replica_count"]);
        m = celery_worker();
        m.scaled_object.spec.polling_interval = Some(0);
        m.scaled_object.spec.cooldown_period = Some(-1);
        assert_eq!(paths(&m), ["polling_interval", "cooldown_period"]);
    }

    #[test]
    fn zero_with_only_pod_metrics_is_refused() {
        let mut m = celery_worker();
        m.trigger_authentications.clear();
        m.scaled_object.spec.fallback = None;
        m.scaled_object.spec.triggers = vec![Trigger { type_: "cpu".into(), metric_type: Some("Utilization".into()), metadata: meta(&[("value", "70")]), ..Trigger::default() }];
        assert_eq!(paths(&m), ["min_replica_count"]);
        m.scaled_object.spec.min_replica_count = None;
        assert_eq!(paths(&m), ["trigger"], "unset is KEDA's 0");
        m.scaled_object.spec.min_replica_count = Some(1);
        assert_eq!(paths(&m), Vec::<String>::new());
        m.scaled_object.spec.fallback = Some(Fallback { failure_threshold: 3, replicas: 2 });
        assert_eq!(paths(&m), ["fallback"]);
    }

    #[test]
    fn trigger_rules_name_their_attributes() {
        let mut m = celery_worker();
        let triggers = &mut m.scaled_object.spec.triggers;
        triggers[0].metadata = meta(&[("host", "redis"), ("listName", ""), ("listLength", "0"), ("enableTLS", "yes")]);
        triggers[1].metadata = meta(&[("timezone", "Europe/Pariss"), ("start", "0 8 * *"), ("end", "0 20 * * *")]);
        triggers.push(Trigger { type_: "rabbitmq".into(), metadata: meta(&[("queueName", "video-processing"), ("mode", "MessageRate"), ("value", "-1")]), ..Trigger::default() });
        triggers.push(Trigger { type_: "memory".into(), metric_type: Some("Value".into()), metadata: meta(&[("value", "80")]), ..Trigger::default() });
        triggers.push(Trigger { type_: "prometheus".into(), metric_type: None, metadata: meta(&[("serverAddress", "prometheus:9090"), ("query", "x"), ("threshold", "1e400")]), ..Trigger::default() });
        m.trigger_authentications[0].spec.secret_target_ref.push(SecretTargetRef { parameter: "passwd".into(), name: "Redis".into(), key: "a/b".into() });
        assert_eq!(
            paths(&m),
            [
                "trigger[0].redis.list_name",
                "trigger[0].redis.list_length",
                "trigger[0].redis.enable_tls",
                "trigger[0].secret_target_ref[1].parameter",
                "trigger[0].secret_target_ref[1].name",
                "trigger[0].secret_target_ref[1].key",
                "trigger[0].redis.port",
                "trigger[1].cron.desired_replicas",
                "trigger[1].cron.timezone",
                "trigger[1].cron.start",
                "trigger[2].rabbitmq.value",
                "trigger[2].rabbitmq.protocol",
                "trigger[2].secret_target_ref",
                "trigger[3].metric_type",
                "trigger[4].prometheus.threshold",
                "trigger[4].prometheus.server_address",
            ]
        );
    }

    #[test]
    fn a_long_name_leaves_room_for_the_trigger_authentication() {
        let mut m = celery_worker();
        let name = "w".repeat(250);
        m.scaled_object.metadata.name = name.clone();
        m.trigger_authentications[0].metadata.name = format!("{name}-redis");
        if let Some(reference) = m.scaled_object.spec.triggers[0].authentication_ref.as_mut() {
            reference.name = format!("{name}-redis");
        }
        assert_eq!(paths(&m), ["name"]);
    }

    #[test]
    fn cron_window_must_not_be_empty() {
        let mut m = celery_worker();
        m.scaled_object.spec.triggers[1].metadata.insert("end".into(), "0  8 * * 1-5".into());
        assert_eq!(paths(&m), ["trigger[1].cron.end"]);
    }

    #[test]
    fn generated_hpa_has_at_least_one_replica() {
        let m = celery_worker();
        assert_eq!(generated_hpa_bounds(&m.scaled_object.spec), (1, 100));
    }

    #[test]
    fn user_templates_are_checked() {
        let mut overrides = Overrides::none();
        overrides.insert(TemplateName::KedaScaledObject, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n".into());
        assert!(matches!(render(&celery_worker(), &overrides), Err(RenderError::Output { .. })));
        overrides.insert(TemplateName::KedaScaledObject, "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: {{yaml scaledObject.metadata.name}}\nspec:\n  scaleTargetRef: {name: w}\n  maxReplicaCount: 0\n  triggers: []\n".into());
        let err = render(&celery_worker(), &overrides).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("max_replica_count"), "{err}");
    }

    fn trigger() -> impl Strategy<Value = Trigger> {
        (
            text(),
            proptest::option::of(text()),
            proptest::option::of(text()),
            map(),
            proptest::option::of((text(), proptest::option::of(text())).prop_map(|(name, kind)| AuthenticationRef { name, kind })),
        )
            .prop_map(|(type_, name, metric_type, metadata, authentication_ref)| Trigger { type_, name, metric_type, metadata: metadata.unwrap_or_default(), authentication_ref })
    }

    fn object_meta() -> impl Strategy<Value = ObjectMeta> {
        (text(), proptest::option::of(text()), map(), map()).prop_map(|(name, namespace, labels, annotations)| ObjectMeta { name, namespace, labels, annotations })
    }

    fn any_manifest() -> impl Strategy<Value = KedaManifest> {
        let authentication = (object_meta(), proptest::collection::vec((text(), text(), text()), 0..3)).prop_map(|(metadata, refs)| TriggerAuthentication {
            api_version: API_VERSION.into(),
            kind: TRIGGER_AUTHENTICATION.into(),
            metadata,
            spec: TriggerAuthenticationSpec { secret_target_ref: refs.into_iter().map(|(parameter, name, key)| SecretTargetRef { parameter, name, key }).collect() },
        });
        let reference = (proptest::option::of(text()), text(), text()).prop_map(|(api_version, kind, name)| ObjectReference { api_version, kind, name });
        let advanced = (proptest::option::of(any::<bool>()), proptest::option::of(proptest::option::of(text()))).prop_map(|(restore, config)| Advanced {
            restore_to_original_replica_count: restore,
            horizontal_pod_autoscaler_config: config.map(|name| HpaConfig { name, behavior: None }),
        });
        let counts = proptest::collection::vec(proptest::option::of(any::<i64>()), 6);
        (
            proptest::collection::vec(authentication, 0..2),
            object_meta(),
            reference,
            counts,
            proptest::option::of((any::<i64>(), any::<i64>()).prop_map(|(failure_threshold, replicas)| Fallback { failure_threshold, replicas })),
            proptest::option::of(advanced),
            proptest::collection::vec(trigger(), 0..3),
        )
            .prop_map(|(trigger_authentications, metadata, scale_target_ref, counts, fallback, advanced, triggers)| KedaManifest {
                trigger_authentications,
                scaled_object: ScaledObject {
                    api_version: API_VERSION.into(),
                    kind: SCALED_OBJECT.into(),
                    metadata,
                    spec: ScaledObjectSpec {
                        scale_target_ref,
                        polling_interval: counts[0],
                        cooldown_period: counts[1],
                        initial_cooldown_period: counts[2],
                        idle_replica_count: counts[3],
                        min_replica_count: counts[4],
                        max_replica_count: counts[5],
                        fallback,
                        advanced,
                        triggers,
                    },
                },
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Output safety: whatever the strings (names, metadata keys and values, secret
        /// references, the HPA name), the YAML parses back to exactly the input.
        #[test]
        fn any_input_round_trips(manifest in any_manifest()) {
            let rendered = render_unchecked(&manifest, &Overrides::none()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let parsed = parse(&rendered.yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{}", rendered.yaml)))?;
            prop_assert_eq!(&parsed, &manifest, "{}", rendered.yaml);
            prop_assert_eq!(rendered.documents.len(), manifest.trigger_authentications.len() + 1);
        }
    }
}

//! The Celery queue exporter (danihodovic/celery-exporter): a Deployment, its Service and
//! optionally a prometheus-operator ServiceMonitor, with the broker URL read from a Secret
//! (`CE_BROKER_URL`, which the exporter's CLI reads for `--broker-url`), so the URL and the
//! password inside it never reach the manifest. Also the prometheus-adapter rule that serves the
//! worker HPAs' metric name from the exporter's series, and the series an exporter manifest exports
//! (for the adapter's plan-time cross-check). Facts: docs/design/keda-reference.md.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value as Json;
use tfplugin::AttributePath;

use super::cluster_autoscaler::split_documents;
use super::kubernetes::{check_labels, check_name, check_namespace, is_dns1123_subdomain, is_go_duration};
use super::templates::{self, Overrides, TemplateName};
use super::{RenderError, Violation, sha256_hex};

/// The exporter's image (its GitHub Container Registry release, tag without `v`).
pub const DEFAULT_IMAGE: &str = "ghcr.io/danihodovic/celery-exporter:0.12.2";
/// The exporter's default `--port`.
pub const DEFAULT_PORT: i64 = 9808;
/// The exporter's default `--metric-prefix`.
pub const DEFAULT_METRIC_PREFIX: &str = "celery_";
/// The container name; the cross-check finds the exporter by it.
pub const CONTAINER: &str = "celery-exporter";
/// The environment variable the exporter reads `--broker-url` from (`auto_envvar_prefix="CE"`).
pub const BROKER_URL_ENV: &str = "CE_BROKER_URL";

/// The exporter's series names after its prefix: the queue gauges (label `queue_name`) and the
/// task and worker series.
pub const SERIES: [&str; 15] = [
    "queue_length",
    "active_worker_count",
    "active_process_count",
    "active_consumer_count",
    "task_sent_total",
    "task_received_total",
    "task_started_total",
    "task_succeeded_total",
    "task_failed_total",
    "task_rejected_total",
    "task_revoked_total",
    "task_retried_total",
    "worker_up",
    "worker_tasks_active",
    "task_runtime_bucket",
];

/// What the resource renders.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueExporter {
    pub name: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub image: String,
    /// The Secret and key holding the broker URL (`redis://…`, `amqp://…`).
    pub broker_url_secret: String,
    pub broker_url_key: String,
    /// Queues always reported, even with no worker consuming them (`--queues`).
    pub queues: Vec<String>,
    pub port: i64,
    pub metric_prefix: String,
    pub service_monitor: Option<ServiceMonitor>,
}

/// The prometheus-operator ServiceMonitor, when Prometheus finds targets through it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceMonitor {
    /// Scrape interval, a duration such as `15s`.
    pub interval: String,
    /// Extra labels, e.g. the `release` label a Prometheus selects ServiceMonitors by.
    pub labels: BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TemplateData<'a> {
    name: &'a str,
    namespace: &'a str,
    labels: BTreeMap<&'a str, &'a str>,
    selector: BTreeMap<&'a str, &'a str>,
    image: &'a str,
    container: &'static str,
    args: Vec<String>,
    env_name: &'static str,
    secret_name: &'a str,
    secret_key: &'a str,
    port: i64,
    service_monitor: Option<MonitorData<'a>>,
}

#[derive(Serialize)]
struct MonitorData<'a> {
    interval: &'a str,
    labels: BTreeMap<&'a str, &'a str>,
}

/// What rendering produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub yaml: String,
    pub documents: Vec<String>,
    pub sha256: String,
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Checks the settings, each at its attribute.
pub fn validate(e: &QueueExporter) -> Vec<Violation> {
    let mut out = Vec::new();
    check_name(&e.name, AttributePath::root("name"), &mut out);
    check_namespace(&e.namespace, AttributePath::root("namespace"), &mut out);
    check_labels(&e.labels, &AttributePath::root("labels"), &mut out);
    if e.image.is_empty() || e.image.contains(char::is_whitespace) {
        out.push(Violation::new(AttributePath::root("image"), format!("{:?} is not an image reference.", e.image)));
    }
    let secret = AttributePath::root("broker_url_secret");
    if !is_dns1123_subdomain(&e.broker_url_secret) {
        out.push(Violation::new(secret.clone().attr("name"), format!("{:?} is not a Secret name (a DNS-1123 subdomain).", e.broker_url_secret)));
    }
    if e.broker_url_key.is_empty() || !e.broker_url_key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        out.push(Violation::new(secret.attr("key"), format!("{:?} is not a Secret key: letters, digits, '-', '_' and '.' only.", e.broker_url_key)));
    }
    if e.queues.is_empty() {
        out.push(Violation::new(AttributePath::root("queues"), "name at least one queue: with workers at zero the exporter reports only the queues it is told about."));
    }
    for (i, queue) in e.queues.iter().enumerate() {
        if queue.is_empty() || queue.contains([',', ' ']) {
            out.push(Violation::new(AttributePath::root("queues").index(i), format!("{queue:?} is not a queue name the exporter's --queues list can carry (no commas or spaces).")));
        }
    }
    if !(1..=65535).contains(&e.port) {
        out.push(Violation::new(AttributePath::root("port"), format!("port is {}, but it must be between 1 and 65535.", e.port)));
    }
    if !is_metric_name(&e.metric_prefix) {
        out.push(Violation::new(AttributePath::root("metric_prefix"), format!("{:?} is not a Prometheus metric name prefix.", e.metric_prefix)));
    }
    if let Some(monitor) = &e.service_monitor {
        let at = AttributePath::root("service_monitor");
        if !is_go_duration(&monitor.interval) {
            out.push(Violation::new(at.clone().attr("interval"), format!("{:?} is not a duration such as \"15s\".", monitor.interval)));
        }
        check_labels(&monitor.labels, &at.attr("labels"), &mut out);
    }
    out
}

/// Validates and renders.
///
/// # Errors
/// Broken rules, template errors, or an override's output that is not the objects.
pub fn render(e: &QueueExporter, overrides: &Overrides) -> Result<Rendered, RenderError> {
    let violations = validate(e);
    if !violations.is_empty() {
        return Err(RenderError::Invalid(violations));
    }
    render_unchecked(e, overrides)
}

/// Renders without checking first (property tests).
///
/// # Errors
/// Template errors, or an override's output without the Deployment and Service.
pub fn render_unchecked(e: &QueueExporter, overrides: &Overrides) -> Result<Rendered, RenderError> {
    let selector = BTreeMap::from([("app.kubernetes.io/name", CONTAINER), ("app.kubernetes.io/instance", e.name.as_str())]);
    let mut labels: BTreeMap<&str, &str> = e.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    labels.extend(selector.iter().map(|(k, v)| (*k, *v)));
    let args = vec![format!("--port={}", e.port), format!("--queues={}", e.queues.join(",")), format!("--metric-prefix={}", e.metric_prefix)];
    let data = TemplateData {
        name: &e.name,
        namespace: &e.namespace,
        labels: labels.clone(),
        selector,
        image: &e.image,
        container: CONTAINER,
        args,
        env_name: BROKER_URL_ENV,
        secret_name: &e.broker_url_secret,
        secret_key: &e.broker_url_key,
        port: e.port,
        service_monitor: e.service_monitor.as_ref().map(|m| {
            let mut all = labels.clone();
            all.extend(m.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            MonitorData { interval: &m.interval, labels: all }
        }),
    };
    let yaml = templates::render(TemplateName::QueueExporter, &data, overrides)?;
    if overrides.get(TemplateName::QueueExporter).is_some() {
        exported_series(&yaml).map_err(|message| RenderError::Output { file: TemplateName::QueueExporter.file_name(), message })?;
    }
    let documents = split_documents(&yaml);
    let sha256 = sha256_hex(&yaml);
    Ok(Rendered { yaml, documents, sha256 })
}

/// The series names an exporter manifest exports: the `celery-exporter` container of its
/// Deployment, with its `--metric-prefix`.
///
/// # Errors
/// When the YAML holds no Deployment with that container.
pub fn exported_series(yaml: &str) -> Result<Vec<String>, String> {
    let documents = super::parse_documents(yaml)?;
    let container = documents
        .iter()
        .filter(|d| d.get("kind").and_then(Json::as_str) == Some("Deployment"))
        .filter_map(|d| d.pointer("/spec/template/spec/containers").and_then(Json::as_array))
        .flatten()
        .find(|c| c.get("name").and_then(Json::as_str) == Some(CONTAINER))
        .ok_or_else(|| format!("no Deployment with a {CONTAINER:?} container (the yaml of an autoscale_queue_exporter_manifest)"))?;
    let prefix = container
        .get("args")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .find_map(|a| a.strip_prefix("--metric-prefix="))
        .unwrap_or(DEFAULT_METRIC_PREFIX);
    Ok(SERIES.iter().map(|s| format!("{prefix}{s}")).collect())
}

/// The metric name a Prometheus series selector selects: `name{…}` or `{__name__="name", …}`.
pub fn selected_metric(series_query: &str) -> Option<String> {
    let query = series_query.trim();
    let head: String = query.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':').collect();
    if !head.is_empty() {
        return Some(head);
    }
    let start = query.find("__name__=\"")? + "__name__=\"".len();
    query[start..].split('"').next().map(str::to_string)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::yaml_scalar::strategies::text;
    use super::*;
    use proptest::prelude::*;

    /// The quickstart's exporter: queues celery, video-processing and default, scraped every 15 s.
    pub(crate) fn celery_exporter() -> QueueExporter {
        QueueExporter {
            name: "celery-exporter".into(),
            namespace: "monitoring".into(),
            labels: BTreeMap::new(),
            image: DEFAULT_IMAGE.into(),
            broker_url_secret: "celery-broker".into(),
            broker_url_key: "url".into(),
            queues: vec!["celery".into(), "video-processing".into(), "default".into()],
            port: DEFAULT_PORT,
            metric_prefix: DEFAULT_METRIC_PREFIX.into(),
            service_monitor: Some(ServiceMonitor { interval: "15s".into(), labels: BTreeMap::from([("release".into(), "prometheus".into())]) }),
        }
    }

    #[test]
    fn renders_three_objects_with_the_secret_by_reference() {
        let rendered = render(&celery_exporter(), &Overrides::none()).unwrap_or_else(|e| panic!("{e}"));
        let docs = crate::render::parse_documents(&rendered.yaml).unwrap_or_else(|e| panic!("{e}"));
        let kinds: Vec<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
        assert_eq!(kinds, ["Deployment", "Service", "ServiceMonitor"]);
        let container = &docs[0]["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["env"][0]["valueFrom"]["secretKeyRef"], serde_json::json!({"name": "celery-broker", "key": "url"}));
        assert_eq!(container["args"], serde_json::json!(["--port=9808", "--queues=celery,video-processing,default", "--metric-prefix=celery_"]));
        assert_eq!(docs[2]["spec"]["endpoints"][0]["interval"], "15s");
        assert_eq!(docs[2]["metadata"]["labels"]["release"], "prometheus");
        assert_eq!(exported_series(&rendered.yaml).unwrap_or_default()[0], "celery_queue_length");
        assert_eq!(rendered.documents.len(), 3);
    }

    #[test]
    fn rules_name_their_attributes() {
        let mut e = celery_exporter();
        e.queues = vec!["a,b".into()];
        e.port = 0;
        e.broker_url_key = "a/b".into();
        e.service_monitor = Some(ServiceMonitor { interval: "15 seconds".into(), labels: BTreeMap::new() });
        let paths: Vec<String> = validate(&e).iter().map(|v| v.path.to_string()).collect();
        assert_eq!(paths, ["broker_url_secret.key", "queues[0]", "port", "service_monitor.interval"]);
    }

    #[test]
    fn series_queries_name_their_metric() {
        assert_eq!(selected_metric("celery_queue_length{queue_name!=\"\"}").as_deref(), Some("celery_queue_length"));
        assert_eq!(selected_metric("{__name__=\"celery_queue_length\"}").as_deref(), Some("celery_queue_length"));
        assert_eq!(selected_metric("{job=\"x\"}"), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Output safety: whatever the strings, the objects parse and carry them unchanged.
        #[test]
        fn any_strings_stay_inside_their_values(name in text(), namespace in text(), image in text(), secret in text(), key in text(), queue in text(), interval in text(), label in text()) {
            let e = QueueExporter {
                name: name.clone(), namespace, labels: BTreeMap::from([("team".into(), label.clone())]), image: image.clone(), broker_url_secret: secret.clone(), broker_url_key: key.clone(),
                queues: vec![queue.clone()], port: 9808, metric_prefix: "celery_".into(),
                service_monitor: Some(ServiceMonitor { interval: interval.clone(), labels: BTreeMap::from([("release".into(), label.clone())]) }),
            };
            let rendered = render_unchecked(&e, &Overrides::none()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let docs = crate::render::parse_documents(&rendered.yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{}", rendered.yaml)))?;
            prop_assert_eq!(docs.len(), 3, "{}", rendered.yaml);
            let container = &docs[0]["spec"]["template"]["spec"]["containers"][0];
            prop_assert_eq!(container["image"].as_str(), Some(image.as_str()));
            prop_assert_eq!(container["env"][0]["valueFrom"]["secretKeyRef"]["name"].as_str(), Some(secret.as_str()));
            prop_assert_eq!(container["env"][0]["valueFrom"]["secretKeyRef"]["key"].as_str(), Some(key.as_str()));
            let queues_arg = format!("--queues={queue}");
            prop_assert_eq!(container["args"][1].as_str(), Some(queues_arg.as_str()));
            prop_assert_eq!(docs[1]["metadata"]["name"].as_str(), Some(name.as_str()));
            prop_assert_eq!(docs[1]["metadata"]["labels"]["team"].as_str(), Some(label.as_str()));
            prop_assert_eq!(docs[2]["spec"]["endpoints"][0]["interval"].as_str(), Some(interval.as_str()));
        }
    }
}

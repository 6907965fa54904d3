//! The Cluster Autoscaler for AWS: its typed settings (one field per command-line flag, with
//! CA's defaults), the matching image for a Kubernetes minor version, the checks, and rendering
//! of its ServiceAccount, RBAC and Deployment as one multi-document YAML.

use std::collections::BTreeMap;

use serde::Serialize;
use tfplugin::AttributePath;

use super::kubernetes::{check_namespace, is_dns1123_label, is_dns1123_subdomain, is_go_duration, quantity_is_positive};
use super::templates::{self, Overrides, TemplateName};
use super::{RenderError, Violation, sha256_hex};

/// Where the images are published.
pub const IMAGE_REPOSITORY: &str = "registry.k8s.io/autoscaling/cluster-autoscaler";

/// The Cluster Autoscaler release used for each Kubernetes minor (CA minor = Kubernetes minor):
/// the newest patch tagged `cluster-autoscaler-1.MINOR.PATCH` in kubernetes/autoscaler for each
/// minor (read from the repository's tags and each tag's `version/version.go`; the 1.32 branch
/// already says 1.32.8 but has no such tag, so 1.32.7 stays). How the table is kept current is
/// in docs/design/cluster-autoscaler-flags.md; `image` overrides it.
pub const RELEASES: [(u32, &str); 5] = [(29, "1.29.5"), (30, "1.30.7"), (31, "1.31.5"), (32, "1.32.7"), (33, "1.33.6")];

/// Expander names CA accepts.
pub const EXPANDERS: [&str; 7] = ["random", "most-pods", "least-waste", "least-nodes", "price", "priority", "grpc"];

/// The typed flags, one field per flag; defaults are CA's.
#[derive(Debug, Clone, PartialEq)]
pub struct Flags {
    pub expander: Vec<String>,
    pub auto_discovery_tags: Vec<String>,
    pub balance_similar_node_groups: bool,
    pub skip_nodes_with_system_pods: bool,
    pub skip_nodes_with_local_storage: bool,
    pub scale_down_delay_after_add: String,
    pub scale_down_delay_after_delete: String,
    pub scale_down_delay_after_failure: String,
    pub scale_down_unneeded_time: String,
    pub scale_down_utilization_threshold: f64,
    pub max_node_provision_time: String,
    pub max_graceful_termination_sec: i64,
    pub scan_interval: String,
    pub max_nodes_total: Option<i64>,
    pub cores_total: Option<String>,
    pub memory_total: Option<String>,
    pub expendable_pods_priority_cutoff: i64,
}

impl Flags {
    /// CA's defaults, with the canonical discovery tags of `cluster_name` and the least-waste
    /// expander (CA's own default only from 1.33; `random` before, so it is always rendered).
    pub fn defaults(cluster_name: &str) -> Self {
        Self {
            expander: vec!["least-waste".into()],
            auto_discovery_tags: default_discovery_tags(cluster_name),
            balance_similar_node_groups: false,
            skip_nodes_with_system_pods: true,
            skip_nodes_with_local_storage: true,
            scale_down_delay_after_add: "10m".into(),
            scale_down_delay_after_delete: "0s".into(),
            scale_down_delay_after_failure: "3m".into(),
            scale_down_unneeded_time: "10m".into(),
            scale_down_utilization_threshold: 0.5,
            max_node_provision_time: "15m".into(),
            max_graceful_termination_sec: 600,
            scan_interval: "10s".into(),
            max_nodes_total: None,
            cores_total: None,
            memory_total: None,
            expendable_pods_priority_cutoff: -10,
        }
    }
}

/// The canonical discovery tag keys of a cluster.
pub fn default_discovery_tags(cluster_name: &str) -> Vec<String> {
    vec!["k8s.io/cluster-autoscaler/enabled".into(), format!("k8s.io/cluster-autoscaler/{cluster_name}")]
}

/// Everything the manifests are rendered from.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterAutoscaler {
    /// Name of every object (ServiceAccount, roles, bindings, Deployment).
    pub name: String,
    pub namespace: String,
    pub cluster_name: String,
    pub image: String,
    pub iam_role_arn: Option<String>,
    pub priority_class_name: Option<String>,
    pub resource_requests: BTreeMap<String, String>,
    pub resource_limits: BTreeMap<String, String>,
    pub flags: Flags,
    pub extra_args: Vec<String>,
}

/// The image of the CA release matching `kubernetes_version` (`1.31`, `1.31.4` or `v1.31`).
///
/// # Errors
/// A sentence when the version cannot be read or no release is known for its minor.
pub fn image_for(kubernetes_version: &str) -> Result<String, String> {
    let minor = kubernetes_minor(kubernetes_version).ok_or_else(|| format!("{kubernetes_version:?} is not a Kubernetes version: write it like \"1.31\"."))?;
    RELEASES.iter().find(|(m, _)| *m == minor).map(|(_, release)| format!("{IMAGE_REPOSITORY}:v{release}")).ok_or_else(|| {
        let known = RELEASES.iter().map(|(m, _)| format!("1.{m}")).collect::<Vec<_>>().join(", ");
        format!("no Cluster Autoscaler release is known to this provider for Kubernetes 1.{minor} (known: {known}); set `image` to the release matching your cluster.")
    })
}

/// The minor number of `1.MINOR[.PATCH]` (an optional leading `v` allowed).
pub fn kubernetes_minor(version: &str) -> Option<u32> {
    let version = version.strip_prefix('v').unwrap_or(version);
    let mut parts = version.split('.');
    if parts.next()? != "1" {
        return None;
    }
    let minor = parts.next()?.parse().ok()?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(minor),
        (Some(patch), None) if patch.parse::<u32>().is_ok() => Some(minor),
        _ => None,
    }
}

/// The flags CA is started with, in a stable order; extra arguments last.
pub fn command(ca: &ClusterAutoscaler) -> Vec<String> {
    let f = &ca.flags;
    let mut args = vec![
        "./cluster-autoscaler".to_string(),
        "--v=4".into(),
        "--stderrthreshold=info".into(),
        "--cloud-provider=aws".into(),
        // The autoscaler's own default is kube-system; the Role, RoleBinding, status ConfigMap
        // and lease must all be in the namespace it runs in.
        format!("--namespace={}", ca.namespace),
        format!("--node-group-auto-discovery=asg:tag={}", f.auto_discovery_tags.join(",")),
        format!("--expander={}", f.expander.join(",")),
        format!("--balance-similar-node-groups={}", f.balance_similar_node_groups),
        format!("--skip-nodes-with-system-pods={}", f.skip_nodes_with_system_pods),
        format!("--skip-nodes-with-local-storage={}", f.skip_nodes_with_local_storage),
        format!("--scale-down-delay-after-add={}", f.scale_down_delay_after_add),
        format!("--scale-down-delay-after-delete={}", f.scale_down_delay_after_delete),
        format!("--scale-down-delay-after-failure={}", f.scale_down_delay_after_failure),
        format!("--scale-down-unneeded-time={}", f.scale_down_unneeded_time),
        format!("--scale-down-utilization-threshold={}", f.scale_down_utilization_threshold),
        format!("--max-node-provision-time={}", f.max_node_provision_time),
        format!("--max-graceful-termination-sec={}", f.max_graceful_termination_sec),
        format!("--scan-interval={}", f.scan_interval),
        format!("--expendable-pods-priority-cutoff={}", f.expendable_pods_priority_cutoff),
    ];
    if let Some(n) = f.max_nodes_total {
        args.push(format!("--max-nodes-total={n}"));
    }
    if let Some(range) = &f.cores_total {
        args.push(format!("--cores-total={range}"));
    }
    if let Some(range) = &f.memory_total {
        args.push(format!("--memory-total={range}"));
    }
    args.extend(ca.extra_args.iter().cloned());
    args
}

/// The flag names set by typed arguments, which `extra_args` may not repeat.
pub const TYPED_FLAGS: [&str; 21] = [
    "--v", "--stderrthreshold", "--cloud-provider", "--namespace", "--node-group-auto-discovery", "--expander", "--balance-similar-node-groups",
    "--skip-nodes-with-system-pods", "--skip-nodes-with-local-storage", "--scale-down-delay-after-add", "--scale-down-delay-after-delete",
    "--scale-down-delay-after-failure", "--scale-down-unneeded-time", "--scale-down-utilization-threshold", "--max-node-provision-time",
    "--max-graceful-termination-sec", "--scan-interval", "--max-nodes-total", "--cores-total", "--memory-total", "--expendable-pods-priority-cutoff",
];

/// The port the autoscaler serves `/metrics` and `/health-check` on (its `--address` default,
/// `:8085`); the liveness probe, the container port and the scrape annotation use it.
pub const METRICS_PORT: u16 = 8085;

/// The flag that makes the autoscaler handle ProvisioningRequests (1.30 and later); with it the
/// ClusterRole also grants what that needs (see docs/design/cluster-autoscaler-flags.md).
pub const PROVISIONING_REQUESTS_FLAG: &str = "--enable-provisioning-requests";

/// A Go boolean flag value as `flag.ParseBool` reads it.
fn go_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// The Kubernetes minor of the image tag (`...:v1.31.4`), when the tag names one.
fn image_minor(image: &str) -> Option<u32> {
    let (_, tag) = image.rsplit_once(':')?;
    kubernetes_minor(tag)
}

/// Whether `extra_args` turns ProvisioningRequest handling on (the last occurrence wins, as in
/// Go's flag package).
pub fn provisioning_requests_enabled(ca: &ClusterAutoscaler) -> bool {
    ca.extra_args
        .iter()
        .filter_map(|arg| match arg.split_once('=') {
            Some((flag, value)) if flag == PROVISIONING_REQUESTS_FLAG => go_bool(value),
            None if arg == PROVISIONING_REQUESTS_FLAG => Some(true),
            _ => None,
        })
        .next_back()
        .unwrap_or(false)
}

/// Why an `extra_args` flag (with its value, if written `--flag=value`) cannot run with the
/// rendered RBAC and Deployment; `None` when it can. Every flag here is in the table of
/// docs/design/cluster-autoscaler-flags.md with the source lines it is read from.
fn extra_arg_problem(flag: &str, value: Option<&str>, image: &str) -> Option<String> {
    match (flag, value) {
        ("--address", _) => Some(format!(
            "--address moves the metrics and /health-check endpoint, but the liveness probe, the container port and the scrape annotation use port {METRICS_PORT}: leave it out."
        )),
        ("--leader-elect-resource-lock", Some("leases")) | ("--leader-elect-resource-name", Some("cluster-autoscaler")) | ("--status-config-map-name", Some("cluster-autoscaler-status")) => None,
        ("--leader-elect-resource-lock", _) => {
            Some("Cluster Autoscaler 1.29 to 1.33 only accept the `leases` lock (the others were removed from client-go) and the ClusterRole grants leases: leave it out.".into())
        }
        ("--leader-elect-resource-name", _) => {
            Some("the ClusterRole lets the autoscaler get and update only the lease named cluster-autoscaler, so leader election would be forbidden: leave it out.".into())
        }
        ("--status-config-map-name", _) => Some(
            "the Role lets the autoscaler update only the ConfigMap named cluster-autoscaler-status, so writing its status would be forbidden: leave it out.".into(),
        ),
        (PROVISIONING_REQUESTS_FLAG, Some(v)) if go_bool(v).is_none() => Some(format!("{v:?} is not a boolean: write {PROVISIONING_REQUESTS_FLAG} or {PROVISIONING_REQUESTS_FLAG}=false.")),
        _ => {
            let (minor, since) = (image_minor(image)?, FLAGS_SINCE.iter().find(|(f, _)| *f == flag)?.1);
            (minor < since).then(|| format!("Cluster Autoscaler 1.{minor} has no {flag} flag (it came with 1.{since}) and would exit on it."))
        }
    }
}

/// Flags of the table in docs/design/cluster-autoscaler-flags.md that older releases lack, with
/// the first minor that has them; an unknown flag makes the autoscaler exit at start.
const FLAGS_SINCE: [(&str, u32); 2] = [(PROVISIONING_REQUESTS_FLAG, 30), ("--enable-dynamic-resource-allocation", 32)];

/// The argument setting a typed flag.
fn typed_argument(flag: &str) -> &str {
    match flag {
        "--node-group-auto-discovery" => "auto_discovery_tags",
        "--v" | "--stderrthreshold" | "--cloud-provider" => "(fixed by the provider)",
        _ => flag.trim_start_matches('-'),
    }
}

fn is_iam_role_arn(arn: &str) -> bool {
    let Some(rest) = arn.strip_prefix("arn:") else { return false };
    let mut parts = rest.splitn(5, ':');
    let (Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    partition.starts_with("aws")
        && service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c)))
}

/// An EKS cluster name: 1 to 100 letters, digits, `-` and `_`, starting with a letter or digit.
pub fn is_cluster_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 100 && name.starts_with(|c: char| c.is_ascii_alphanumeric()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `min:max` with whole numbers, min ≤ max.
fn is_range(text: &str) -> bool {
    text.split_once(':').and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?))).is_some_and(|(a, b)| a <= b)
}

/// Checks the settings, reporting at the resource's attribute paths.
pub fn validate(ca: &ClusterAutoscaler) -> Vec<Violation> {
    let mut out = Vec::new();
    let at = AttributePath::root;
    if !is_dns1123_label(&ca.name) {
        out.push(Violation::new(at("name"), format!("{:?} is not a valid name: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit.", ca.name)));
    }
    check_namespace(&ca.namespace, at("namespace"), &mut out);
    if !is_cluster_name(&ca.cluster_name) {
        out.push(Violation::new(at("cluster_name"), format!("{:?} is not an EKS cluster name: use 1 to 100 letters, digits, '-' and '_', starting with a letter or digit.", ca.cluster_name)));
    }
    if ca.image.is_empty() || ca.image.chars().any(char::is_whitespace) {
        out.push(Violation::new(at("image"), format!("{:?} is not an image reference.", ca.image)));
    }
    if let Some(arn) = &ca.iam_role_arn
        && !is_iam_role_arn(arn) {
            out.push(Violation::new(at("iam_role_arn"), format!("{arn:?} is not an IAM role ARN: write it like \"arn:aws:iam::123456789012:role/cluster-autoscaler\".")));
        }
    if let Some(class) = &ca.priority_class_name
        && !is_dns1123_subdomain(class) {
            out.push(Violation::new(at("priority_class_name"), format!("{class:?} is not a valid priority class name.")));
        }
    for (attribute, map) in [("resource_requests", &ca.resource_requests), ("resource_limits", &ca.resource_limits)] {
        for (key, quantity) in map {
            let path = at(attribute).key(key.clone());
            if !matches!(key.as_str(), "cpu" | "memory" | "ephemeral-storage") {
                out.push(Violation::new(path.clone(), format!("{key:?} is not a container resource this manifest sets: use cpu, memory or ephemeral-storage.")));
            }
            if quantity_is_positive(quantity).is_none() {
                out.push(Violation::new(path, format!("{quantity:?} is not a Kubernetes quantity: write it like \"100m\" or \"600Mi\".")));
            }
        }
    }
    let f = &ca.flags;
    if f.expander.is_empty() {
        out.push(Violation::new(at("expander"), "set at least one expander, e.g. [\"least-waste\"]."));
    }
    for (i, expander) in f.expander.iter().enumerate() {
        if !EXPANDERS.contains(&expander.as_str()) {
            out.push(Violation::new(at("expander").index(i), format!("{expander:?} is not an expander: use random, most-pods, least-waste, least-nodes, price, priority or grpc.")));
        } else if f.expander[..i].contains(expander) {
            out.push(Violation::new(at("expander").index(i), format!("{expander:?} is listed twice.")));
        }
    }
    if f.auto_discovery_tags.is_empty() {
        out.push(Violation::new(at("auto_discovery_tags"), "set at least one tag key, or leave the argument out for the canonical pair."));
    }
    // Tags derived from an invalid cluster name are already reported at cluster_name.
    let derived = default_discovery_tags(&ca.cluster_name);
    for (i, tag) in f.auto_discovery_tags.iter().enumerate() {
        if !is_cluster_name(&ca.cluster_name) && derived.contains(tag) {
            continue;
        }
        let (key, value) = tag.split_once('=').map_or((tag.as_str(), None), |(k, v)| (k, Some(v)));
        let ok = !key.is_empty() && key.len() <= 128 && value.is_none_or(|v| v.len() <= 256) && !tag.contains(',') && !tag.chars().any(char::is_whitespace);
        if !ok {
            out.push(Violation::new(at("auto_discovery_tags").index(i), format!("{tag:?} is not a discovery tag: write `key` or `key=value` (key up to 128 characters, value up to 256, no commas or spaces).")));
        }
    }
    for (attribute, value) in [
        ("scale_down_delay_after_add", &f.scale_down_delay_after_add),
        ("scale_down_delay_after_delete", &f.scale_down_delay_after_delete),
        ("scale_down_delay_after_failure", &f.scale_down_delay_after_failure),
        ("scale_down_unneeded_time", &f.scale_down_unneeded_time),
        ("max_node_provision_time", &f.max_node_provision_time),
        ("scan_interval", &f.scan_interval),
    ] {
        if !is_go_duration(value) {
            out.push(Violation::new(at(attribute), format!("{value:?} is not a duration: write it like \"10m\", \"30s\" or \"1h30m\".")));
        }
    }
    if !(0.0..=1.0).contains(&f.scale_down_utilization_threshold) {
        out.push(Violation::new(at("scale_down_utilization_threshold"), format!("{} must be between 0 and 1 (a fraction of allocatable CPU and memory).", f.scale_down_utilization_threshold)));
    }
    if f.max_graceful_termination_sec < 0 {
        out.push(Violation::new(at("max_graceful_termination_sec"), "max_graceful_termination_sec must not be negative."));
    }
    if f.max_nodes_total.is_some_and(|n| n < 0) {
        out.push(Violation::new(at("max_nodes_total"), "max_nodes_total must not be negative (0 means no limit)."));
    }
    for (attribute, value) in [("cores_total", &f.cores_total), ("memory_total", &f.memory_total)] {
        if let Some(range) = value
            && !is_range(range) {
                out.push(Violation::new(at(attribute), format!("{range:?} is not a range: write it as \"min:max\" with whole numbers, min not above max.")));
            }
    }
    for (i, arg) in ca.extra_args.iter().enumerate() {
        let flag = arg.split('=').next().unwrap_or_default();
        if !arg.starts_with("--") || flag.len() < 3 {
            out.push(Violation::new(at("extra_args").index(i), format!("{arg:?} is not a flag: write it like \"--new-pod-scale-up-delay=30s\".")));
        } else if TYPED_FLAGS.contains(&flag) {
            out.push(Violation::new(at("extra_args").index(i), format!("{flag} is set by the typed argument `{}`: set it there instead.", typed_argument(flag))));
        } else if let Some(problem) = extra_arg_problem(flag, arg.split_once('=').map(|(_, v)| v), &ca.image) {
            out.push(Violation::new(at("extra_args").index(i), problem));
        }
    }
    out
}

/// The data the template sees.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TemplateData<'a> {
    name: &'a str,
    namespace: &'a str,
    cluster_name: &'a str,
    image: &'a str,
    labels: BTreeMap<&'a str, &'a str>,
    service_account_annotations: BTreeMap<&'a str, &'a str>,
    priority_class_name: Option<&'a str>,
    resources: BTreeMap<&'a str, &'a BTreeMap<String, String>>,
    command: Vec<String>,
    metrics_port: u16,
    /// Grant what `--enable-provisioning-requests` needs.
    provisioning_requests: bool,
}

/// What rendering produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// All documents, separated by `---` lines.
    pub yaml: String,
    /// Each object on its own.
    pub documents: Vec<String>,
    pub sha256: String,
}

/// The object kinds rendered, in order.
pub const KINDS: [&str; 6] = ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment"];

/// Validates and renders.
///
/// # Errors
/// [`RenderError::Invalid`] for broken rules; template errors; [`RenderError::Output`] when the
/// output (of a user template) does not parse or lacks one of the six objects.
pub fn render(ca: &ClusterAutoscaler, overrides: &Overrides) -> Result<Rendered, RenderError> {
    let violations = validate(ca);
    if !violations.is_empty() {
        return Err(RenderError::Invalid(violations));
    }
    render_unchecked(ca, overrides)
}

/// Renders without checking the settings first (the property tests feed arbitrary strings
/// through the template this way; user templates are still checked).
///
/// # Errors
/// Template errors, or [`RenderError::Output`] for a user template's invalid output.
pub fn render_unchecked(ca: &ClusterAutoscaler, overrides: &Overrides) -> Result<Rendered, RenderError> {
    let mut resources = BTreeMap::new();
    if !ca.resource_requests.is_empty() {
        resources.insert("requests", &ca.resource_requests);
    }
    if !ca.resource_limits.is_empty() {
        resources.insert("limits", &ca.resource_limits);
    }
    let mut service_account_annotations = BTreeMap::new();
    if let Some(arn) = &ca.iam_role_arn {
        service_account_annotations.insert("eks.amazonaws.com/role-arn", arn.as_str());
    }
    let data = TemplateData {
        name: &ca.name,
        namespace: &ca.namespace,
        cluster_name: &ca.cluster_name,
        image: &ca.image,
        labels: BTreeMap::from([("app.kubernetes.io/name", ca.name.as_str())]),
        service_account_annotations,
        priority_class_name: ca.priority_class_name.as_deref(),
        resources,
        command: command(ca),
        metrics_port: METRICS_PORT,
        provisioning_requests: provisioning_requests_enabled(ca),
    };
    let yaml = templates::render(TemplateName::ClusterAutoscaler, &data, overrides)?;
    let documents = split_documents(&yaml);
    let file = TemplateName::ClusterAutoscaler.file_name();
    if overrides.get(TemplateName::ClusterAutoscaler).is_some() {
        check_output(&documents, &KINDS).map_err(|message| RenderError::Output { file, message })?;
    }
    let sha256 = sha256_hex(&yaml);
    Ok(Rendered { yaml, documents, sha256 })
}

/// Splits multi-document YAML at `---` lines (at column 0: a document marker can be nothing
/// else, since strings are quoted on one line or indented in blocks). Empty documents are dropped.
pub fn split_documents(yaml: &str) -> Vec<String> {
    let mut documents = Vec::new();
    let mut current = String::new();
    for line in yaml.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if bare == "---" || bare.starts_with("--- ") {
            documents.push(std::mem::take(&mut current));
        } else {
            current.push_str(line);
        }
    }
    documents.push(current);
    documents.into_iter().filter(|d| !d.trim().is_empty() && d.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))).collect()
}

/// Every document parses alone, names an object, and each of `kinds_wanted` is there (the check of a
/// user template's output, shared by the multi-document manifests).
pub(super) fn check_output(documents: &[String], kinds_wanted: &[&str]) -> Result<(), String> {
    let mut kinds = Vec::new();
    for (i, document) in documents.iter().enumerate() {
        let parsed = super::parse_documents(document).map_err(|e| format!("document {}: {e}", i + 1))?;
        let [object] = parsed.as_slice() else { return Err(format!("document {} holds {} objects", i + 1, parsed.len())) };
        let kind = object.get("kind").and_then(|k| k.as_str()).unwrap_or_default();
        if object.get("apiVersion").and_then(|v| v.as_str()).is_none() || object.pointer("/metadata/name").and_then(|v| v.as_str()).is_none() {
            return Err(format!("document {} ({kind}) lacks apiVersion or metadata.name", i + 1));
        }
        kinds.push(kind.to_string());
    }
    for kind in kinds_wanted {
        if !kinds.iter().any(|k| k == kind) {
            return Err(format!("no {kind} was rendered"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::yaml_scalar::strategies::text;
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// The seed's Cluster Autoscaler: least-waste, ASG tag discovery, scale-down 10 minutes after
    /// add, threshold 0.5, 15 minutes to provision.
    pub(crate) fn seed() -> ClusterAutoscaler {
        ClusterAutoscaler {
            name: "cluster-autoscaler".into(),
            namespace: "kube-system".into(),
            cluster_name: "production".into(),
            image: image_for("1.31").unwrap_or_default(),
            iam_role_arn: Some("arn:aws:iam::123456789012:role/cluster-autoscaler".into()),
            priority_class_name: Some("system-cluster-critical".into()),
            resource_requests: BTreeMap::from([("cpu".into(), "100m".into()), ("memory".into(), "600Mi".into())]),
            resource_limits: BTreeMap::from([("cpu".into(), "100m".into()), ("memory".into(), "600Mi".into())]),
            flags: Flags::defaults("production"),
            extra_args: Vec::new(),
        }
    }

    #[test]
    fn image_follows_the_kubernetes_minor() {
        // The newest tagged patch of each minor (docs/design/cluster-autoscaler-flags.md).
        for (version, tag) in [("1.29", "v1.29.5"), ("1.30", "v1.30.7"), ("1.31.4", "v1.31.5"), ("1.32", "v1.32.7"), ("v1.33.2", "v1.33.6")] {
            assert_eq!(image_for(version), Ok(format!("registry.k8s.io/autoscaling/cluster-autoscaler:{tag}")), "{version}");
        }
        assert!(image_for("1.28").err().unwrap_or_default().contains("set `image`"));
        assert!(image_for("1.x").is_err());
        assert!(image_for("2.1").is_err());
    }

    #[test]
    fn renders_six_documents_with_every_flag() {
        let rendered = render(&seed(), &Overrides::none()).unwrap_or_else(|e| panic!("{e}"));
        let kinds: Vec<String> = rendered.documents.iter().map(|d| super::super::parse_documents(d).unwrap_or_default()[0]["kind"].as_str().unwrap_or_default().to_string()).collect();
        assert_eq!(kinds, KINDS);
        for flag in ["--expander=least-waste", "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/production", "--scale-down-delay-after-add=10m", "--scale-down-utilization-threshold=0.5", "--max-node-provision-time=15m"] {
            assert!(rendered.yaml.contains(flag), "{flag} missing:\n{}", rendered.yaml);
        }
        assert_eq!(rendered.documents.concat().len() + 4 * 5, rendered.yaml.len(), "documents are the yaml split at ---");
    }

    /// The parsed objects, in the order of [`KINDS`].
    fn objects(ca: &ClusterAutoscaler) -> Vec<serde_json::Value> {
        let rendered = render(ca, &Overrides::none()).unwrap_or_else(|e| panic!("{e}"));
        super::super::parse_documents(&rendered.yaml).unwrap_or_else(|e| panic!("{e}"))
    }

    fn container(objects: &[serde_json::Value]) -> &serde_json::Value {
        &objects[5]["spec"]["template"]["spec"]["containers"][0]
    }

    /// Issue 19: CA's `--namespace` defaults to kube-system, so without the flag a manifest in
    /// another namespace writes its status where the Role grants nothing.
    #[test]
    fn the_namespace_reaches_the_autoscaler_and_every_namespaced_object() {
        let mut ca = seed();
        ca.namespace = "autoscaling".into();
        let objects = objects(&ca);
        let command = container(&objects)["command"].as_array().cloned().unwrap_or_default();
        assert_eq!(command.iter().filter(|a| a.as_str().is_some_and(|a| a.starts_with("--namespace"))).count(), 1, "{command:?}");
        assert!(command.contains(&json!("--namespace=autoscaling")), "{command:?}");
        for (i, kind) in [(0, "ServiceAccount"), (3, "Role"), (4, "RoleBinding"), (5, "Deployment")] {
            assert_eq!(objects[i]["kind"], kind);
            assert_eq!(objects[i]["metadata"]["namespace"], "autoscaling", "{kind}");
        }
        assert_eq!(objects[4]["subjects"][0]["namespace"], "autoscaling");
        assert_eq!(objects[2]["subjects"][0]["namespace"], "autoscaling");
        ca.extra_args = vec!["--namespace=kube-system".into()];
        let violations = validate(&ca);
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].path.to_string(), "extra_args[0]");
        assert!(violations[0].message.contains("typed argument `namespace`"), "{}", violations[0].message);
    }

    /// Issue 19: the probe and environment of the official chart, and no host trust store (the
    /// image carries its own; `type: File` on a node without the file kept the pod from starting).
    #[test]
    fn the_deployment_probes_health_and_needs_no_host_file() {
        let objects = objects(&seed());
        let container = container(&objects);
        assert_eq!(container["livenessProbe"], json!({"httpGet": {"path": "/health-check", "port": 8085}}));
        assert_eq!(container["ports"], json!([{"name": "metrics", "containerPort": 8085, "protocol": "TCP"}]));
        assert_eq!(
            container["env"],
            json!([
                {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                {"name": "SERVICE_ACCOUNT", "valueFrom": {"fieldRef": {"fieldPath": "spec.serviceAccountName"}}},
            ])
        );
        let pod = &objects[5]["spec"]["template"];
        assert_eq!(pod["metadata"]["annotations"]["prometheus.io/port"], "8085");
        assert_eq!(pod["spec"].get("volumes"), None, "{pod}");
        assert_eq!(container.get("volumeMounts"), None, "{container}");
    }

    fn cluster_role_rules(ca: &ClusterAutoscaler) -> Vec<serde_json::Value> {
        objects(ca)[1]["rules"].as_array().cloned().unwrap_or_default()
    }

    /// Issue 19: `--enable-provisioning-requests` reads ProvisioningRequests and PodTemplates and
    /// writes ProvisioningRequest status; the ClusterRole grants that only with the flag.
    #[test]
    fn provisioning_requests_get_their_rules_only_with_the_flag() {
        let mut ca = seed();
        let without = cluster_role_rules(&ca);
        let mentions = |rules: &[serde_json::Value], resource: &str| rules.iter().any(|r| r["resources"].as_array().is_some_and(|rs| rs.contains(&json!(resource))));
        for resource in ["podtemplates", "provisioningrequests", "provisioningrequests/status"] {
            assert!(!mentions(&without, resource), "{resource} granted without the flag");
        }
        for args in [vec!["--enable-provisioning-requests"], vec!["--enable-provisioning-requests=true"], vec!["--enable-provisioning-requests=false", "--enable-provisioning-requests=1"]] {
            ca.extra_args = args.iter().map(|a| (*a).to_string()).collect();
            let rules = cluster_role_rules(&ca);
            assert_eq!(rules.len(), without.len() + 3, "{args:?}");
            assert!(rules.contains(&json!({"apiGroups": [""], "resources": ["podtemplates"], "verbs": ["watch", "list", "get"]})), "{args:?}");
            assert!(rules.contains(&json!({"apiGroups": ["autoscaling.x-k8s.io"], "resources": ["provisioningrequests"], "verbs": ["watch", "list", "get", "delete"]})));
            assert!(rules.contains(&json!({"apiGroups": ["autoscaling.x-k8s.io"], "resources": ["provisioningrequests/status"], "verbs": ["update", "patch"]})));
        }
        ca.extra_args = vec!["--enable-provisioning-requests=true".into(), "--enable-provisioning-requests=false".into()];
        assert_eq!(cluster_role_rules(&ca), without, "the last occurrence wins");
    }

    /// Issue 19: flags that the rendered RBAC or Deployment cannot serve fail at plan, at their
    /// index in `extra_args`, saying why.
    #[test]
    fn extra_args_the_manifest_cannot_serve_are_refused_with_the_reason() {
        let mut ca = seed();
        ca.image = image_for("1.33").unwrap_or_default();
        ca.extra_args = vec![
            "--new-pod-scale-up-delay=30s".into(),
            "--address=:9090".into(),
            "--status-config-map-name=ca-status".into(),
            "--status-config-map-name=cluster-autoscaler-status".into(),
            "--leader-elect-resource-name=ca".into(),
            "--leader-elect-resource-lock=endpoints".into(),
            "--leader-elect-resource-lock=leases".into(),
            "--enable-provisioning-requests=maybe".into(),
            "--enable-dynamic-resource-allocation=true".into(),
        ];
        let found: Vec<(String, String)> = validate(&ca).into_iter().map(|v| (v.path.to_string(), v.message)).collect();
        let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["extra_args[1]", "extra_args[2]", "extra_args[4]", "extra_args[5]", "extra_args[7]"], "{found:?}");
        for (i, needle) in [(0, "port 8085"), (1, "cluster-autoscaler-status"), (2, "lease named cluster-autoscaler"), (3, "`leases` lock"), (4, "not a boolean")] {
            assert!(found[i].1.contains(needle), "{:?} lacks {needle:?}", found[i]);
        }
        // 1.29 has no such flag: the autoscaler would exit at start.
        ca.image = image_for("1.29").unwrap_or_default();
        ca.extra_args = vec!["--enable-provisioning-requests".into()];
        let found = validate(&ca);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("1.29 has no --enable-provisioning-requests"), "{}", found[0].message);
        ca.image = image_for("1.30").unwrap_or_default();
        assert_eq!(validate(&ca), []);
        ca.image = image_for("1.31").unwrap_or_default();
        ca.extra_args = vec!["--enable-dynamic-resource-allocation=true".into()];
        assert!(validate(&ca).first().is_some_and(|v| v.message.contains("1.31 has no --enable-dynamic-resource-allocation flag (it came with 1.32)")), "{:?}", validate(&ca));
        // An image whose tag names no release is not second-guessed.
        ca.image = "registry.example/cluster-autoscaler@sha256:0123".into();
        assert_eq!(validate(&ca), []);
    }

    #[test]
    fn settings_are_reported_at_attribute_paths() {
        let mut ca = seed();
        ca.flags.expander = vec!["cheapest".into()];
        ca.flags.scale_down_delay_after_add = "10 minutes".into();
        ca.flags.scale_down_utilization_threshold = 1.5;
        ca.flags.cores_total = Some("10:2".into());
        ca.iam_role_arn = Some("role/ca".into());
        ca.extra_args = vec!["--expander=random".into(), "verbose".into()];
        let paths: Vec<String> = validate(&ca).iter().map(|v| v.path.to_string()).collect();
        assert_eq!(paths, ["iam_role_arn", "expander[0]", "scale_down_delay_after_add", "scale_down_utilization_threshold", "cores_total", "extra_args[0]", "extra_args[1]"]);
    }

    #[test]
    fn user_templates_must_render_all_six_objects() {
        let builtin = TemplateName::ClusterAutoscaler.builtin_source();
        let mut overrides = Overrides::none();
        overrides.insert(TemplateName::ClusterAutoscaler, builtin.replace("kind: ClusterRoleBinding", "kind: ClusterRoleBindingX"));
        let err = render(&seed(), &overrides).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("no ClusterRoleBinding"), "{err}");
        overrides.insert(TemplateName::ClusterAutoscaler, format!("{builtin}---\nextra: [\n"));
        assert!(matches!(render(&seed(), &overrides), Err(RenderError::Output { .. })));
        overrides.insert(TemplateName::ClusterAutoscaler, builtin.replace("imagePullPolicy: IfNotPresent", "imagePullPolicy: Always"));
        assert!(render(&seed(), &overrides).is_ok_and(|r| r.yaml.contains("imagePullPolicy: Always")));
    }

    fn any_ca() -> impl Strategy<Value = ClusterAutoscaler> {
        let quantities = || proptest::collection::btree_map(text(), text(), 0..3);
        (
            (text(), text(), text(), text(), proptest::option::of(text()), proptest::option::of(text())),
            (quantities(), quantities()),
            (proptest::collection::vec(text(), 1..3), proptest::collection::vec(text(), 1..3), text(), text(), proptest::option::of(text())),
            proptest::collection::vec(text(), 0..3),
        )
            .prop_map(|((name, namespace, cluster_name, image, iam_role_arn, priority_class_name), (resource_requests, resource_limits), (expander, tags, add, scan, cores), extra_args)| {
                let mut flags = Flags::defaults(cluster_name.as_str());
                flags.expander = expander;
                flags.auto_discovery_tags = tags;
                flags.scale_down_delay_after_add = add;
                flags.scan_interval = scan;
                flags.cores_total = cores;
                ClusterAutoscaler { name, namespace, cluster_name, image, iam_role_arn, priority_class_name, resource_requests, resource_limits, flags, extra_args }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Output safety: whatever the strings, every document parses and holds them exactly.
        #[test]
        fn any_input_round_trips(ca in any_ca()) {
            let rendered = render_unchecked(&ca, &Overrides::none()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(rendered.documents.len(), 6, "{}", rendered.yaml);
            let docs = super::super::parse_documents(&rendered.yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{}", rendered.yaml)))?;
            prop_assert_eq!(docs.len(), 6);
            let (sa, deployment) = (&docs[0], &docs[5]);
            prop_assert_eq!(&sa["metadata"]["name"], &json!(ca.name));
            prop_assert_eq!(&sa["metadata"]["namespace"], &json!(ca.namespace));
            prop_assert_eq!(sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].as_str(), ca.iam_role_arn.as_deref());
            prop_assert_eq!(&docs[2]["subjects"][0]["namespace"], &json!(ca.namespace));
            for namespaced in [&docs[3], &docs[4], deployment] {
                prop_assert_eq!(&namespaced["metadata"]["namespace"], &json!(ca.namespace));
            }
            prop_assert_eq!(&docs[4]["subjects"][0]["namespace"], &json!(ca.namespace));
            let pod = &deployment["spec"]["template"]["spec"];
            prop_assert_eq!(pod["priorityClassName"].as_str(), ca.priority_class_name.as_deref());
            prop_assert_eq!(&pod["containers"][0]["image"], &json!(ca.image));
            prop_assert_eq!(&pod["containers"][0]["command"], &json!(command(&ca)));
            if !ca.resource_requests.is_empty() {
                prop_assert_eq!(&pod["containers"][0]["resources"]["requests"], &json!(ca.resource_requests));
            }
            if !ca.resource_limits.is_empty() {
                prop_assert_eq!(&pod["containers"][0]["resources"]["limits"], &json!(ca.resource_limits));
            }
            prop_assert_eq!(&deployment["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"], &json!(ca.name));
        }
    }
}

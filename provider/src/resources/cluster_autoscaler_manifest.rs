//! `autoscale_cluster_autoscaler_manifest`: the Cluster Autoscaler for AWS (ServiceAccount with
//! the IRSA role annotation, ClusterRole, ClusterRoleBinding, Role, RoleBinding, Deployment)
//! rendered from typed flags with CA's defaults, the image matching the cluster's Kubernetes
//! minor, checked and known at plan time; optionally written to `output_path` with drift
//! detection.

use std::collections::BTreeMap;

use serde::Deserialize;
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::value::{Type, from_value};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value, validate};

use super::manifest::ManifestKind;
use super::manifest_files::{set, set_documents};
use crate::render::{Overrides, RenderError, TemplateName, Violation};
use crate::render::cluster_autoscaler::{self as ca, ClusterAutoscaler, Flags};

/// The manifest kind; the resource is `Manifest<ClusterAutoscalerManifest>`.
pub struct ClusterAutoscalerManifest;

const TYPE_NAME: &str = ClusterAutoscalerManifest::TYPE_NAME;

fn duration(name: &str, default: &str, flag: &str, meaning: &str) -> Attribute {
    Attribute::string(name).default(default).description(format!("`--{flag}`: {meaning} A Go duration such as `10m`."))
}

/// The schema; shared with the docs generator through `Resource::schema`.
pub fn schema() -> Schema {
    let quantities = |cpu: &str, memory: &str| Value::map([("cpu", Value::from(cpu)), ("memory", Value::from(memory))]);
    Schema::new(
        0,
        Block::new(
            "The Cluster Autoscaler for AWS as Kubernetes manifests: a ServiceAccount (with the IAM role for service accounts), \
             the ClusterRole, ClusterRoleBinding, Role and RoleBinding of the official AWS example, and a hardened Deployment \
             running the release matching the cluster's Kubernetes minor, with the official chart's `/health-check` liveness probe on \
             port 8085. The pod trusts the CA certificates of its own image and mounts nothing from the node, so it starts on \
             any node image. Every flag of the AWS setup is a typed argument with \
             Cluster Autoscaler's own default, checked at plan time; the rendered YAML is known in the plan. Nothing is sent to a \
             cluster: apply `yaml` (or each of `documents`) with the tool of your choice, or let `output_path` write it to a file.",
        )
        .attribute(Attribute::string("id").computed().description("`namespace/name`."))
        .attribute(Attribute::string("cluster_name").required().description("Name of the EKS cluster; the default discovery tags are built from it."))
        .attribute(Attribute::string("kubernetes_version").required().description(
            "Kubernetes version of the cluster (`1.31` or `1.31.4`). Picks the newest tagged Cluster Autoscaler patch release of the same minor: \
             1.29.5, 1.30.7, 1.31.5, 1.32.7 or 1.33.6.",
        ))
        .attribute(Attribute::string("image").optional().computed().description(
            "Container image. Defaults to `registry.k8s.io/autoscaling/cluster-autoscaler:v1.MINOR.PATCH` for `kubernetes_version` (see there); \
             set it to run a newer patch or a mirror.",
        ))
        .attribute(Attribute::string("name").default("cluster-autoscaler").description("Name of every object (ServiceAccount, roles, bindings, Deployment)."))
        .attribute(Attribute::string("namespace").default("kube-system").description(
            "Namespace of the ServiceAccount, Role, RoleBinding and Deployment, passed to the autoscaler as `--namespace` (where it keeps its \
             status ConfigMap, its leader-election lease and reads the priority expander's ConfigMap).",
        ))
        .attribute(Attribute::string("iam_role_arn").optional().description(
            "IAM role for the ServiceAccount (`eks.amazonaws.com/role-arn` annotation, IRSA). It needs autoscaling:Describe*, SetDesiredCapacity, \
             TerminateInstanceInAutoScalingGroup, ec2:DescribeImages, DescribeInstanceTypes, DescribeLaunchTemplateVersions, \
             GetInstanceTypesFromInstanceRequirements and eks:DescribeNodegroup.",
        ))
        .attribute(Attribute::string("priority_class_name").default("system-cluster-critical").description("Priority class of the pod."))
        .attribute(Attribute::map_of("resource_requests", Type::String).default(quantities("100m", "600Mi")).description("Container resource requests (`cpu`, `memory`, `ephemeral-storage`)."))
        .attribute(Attribute::map_of("resource_limits", Type::String).default(quantities("100m", "600Mi")).description("Container resource limits."))
        .attribute(
            Attribute::list_of("expander", Type::String)
                .default(Value::list([Value::from("least-waste")]))
                .validator(validate::each(validate::one_of(ca::EXPANDERS)))
                .description(
                    "`--expander`: how a node group is chosen, tried in order (rendered comma-joined). `least-waste` picks the group leaving the least \
                     idle CPU and memory. Always rendered: the autoscaler's own default is `random` up to 1.32 and `least-waste` from 1.33.",
                ),
        )
        .attribute(Attribute::list_of("auto_discovery_tags", Type::String).optional().computed().description(
            "`--node-group-auto-discovery=asg:tag=...`: ASG tag keys (`key` or `key=value`) that mark the groups CA manages. Defaults to \
             `k8s.io/cluster-autoscaler/enabled` and `k8s.io/cluster-autoscaler/<cluster_name>`.",
        ))
        .attribute(Attribute::bool("balance_similar_node_groups").default(false).description("`--balance-similar-node-groups`: keep similar groups (e.g. one per zone) at the same size."))
        .attribute(Attribute::bool("skip_nodes_with_system_pods").default(true).description("`--skip-nodes-with-system-pods`: never remove nodes running kube-system pods (other than DaemonSets)."))
        .attribute(Attribute::bool("skip_nodes_with_local_storage").default(true).description("`--skip-nodes-with-local-storage`: never remove nodes running pods with emptyDir or hostPath volumes. The AWS example sets `false`."))
        .attribute(duration("scale_down_delay_after_add", "10m", "scale-down-delay-after-add", "how long after a scale-up scale-down checks resume."))
        .attribute(duration("scale_down_delay_after_delete", "0s", "scale-down-delay-after-delete", "how long after a node deletion scale-down checks resume."))
        .attribute(duration("scale_down_delay_after_failure", "3m", "scale-down-delay-after-failure", "how long after a failed scale-down checks resume."))
        .attribute(duration("scale_down_unneeded_time", "10m", "scale-down-unneeded-time", "how long a node must be unneeded before it is removed."))
        .attribute(
            Attribute::number("scale_down_utilization_threshold")
                .default(Value::Number(tfplugin::Number::from_f64(0.5).unwrap_or_default()))
                .validator(validate::float_between(0.0, 1.0))
                .description("`--scale-down-utilization-threshold`: a node whose requested CPU and memory (the larger share) is below this fraction of allocatable may be removed."),
        )
        .attribute(duration("max_node_provision_time", "15m", "max-node-provision-time", "how long CA waits for a requested node to register."))
        .attribute(Attribute::int("max_graceful_termination_sec").default(600).validator(validate::int_at_least(0)).description("`--max-graceful-termination-sec`: the longest pod termination grace period honoured when draining a node."))
        .attribute(duration("scan_interval", "10s", "scan-interval", "how often the cluster is evaluated."))
        .attribute(Attribute::int("max_nodes_total").optional().validator(validate::int_at_least(0)).description("`--max-nodes-total`: a cluster-wide node limit (unset or 0: none)."))
        .attribute(Attribute::string("cores_total").optional().description("`--cores-total`: `min:max` cores in the cluster."))
        .attribute(Attribute::string("memory_total").optional().description("`--memory-total`: `min:max` gigabytes of memory in the cluster."))
        .attribute(Attribute::int("expendable_pods_priority_cutoff").default(-10).description("`--expendable-pods-priority-cutoff`: pods below this priority never trigger scale-up and don't block scale-down."))
        .attribute(Attribute::list_of("extra_args", Type::String).optional().description(
            "More flags, each written `--flag` or `--flag=value`, e.g. `--new-pod-scale-up-delay=30s`. Refused at plan: flags with a typed argument \
             (`--namespace` included), `--address` (the probe and metrics port are 8085), `--status-config-map-name`, `--leader-elect-resource-name` \
             and `--leader-elect-resource-lock` with other values than their defaults (the RBAC names those objects), and \
             flags the release in `image` does not have (`--enable-provisioning-requests` before 1.30, \
             `--enable-dynamic-resource-allocation` before 1.32). With `--enable-provisioning-requests` the ClusterRole also grants reading PodTemplates and \
             ProvisioningRequests, deleting ProvisioningRequests and updating their status (the ProvisioningRequest CRD must be installed).",
        ))
        .attribute(Attribute::string("output_path").optional().description(
            "File to write the YAML to. A file changed or deleted outside Terraform shows as drift in the next plan and apply writes it again; destroy removes it.",
        ))
        .attribute(Attribute::string("yaml").computed().description("All six objects, separated by `---`."))
        .attribute(Attribute::list_of("documents", Type::String).computed().description("Each object as its own YAML document (for `for_each`)."))
        .attribute(Attribute::string("sha256").computed().description("SHA-256 (hex) of `yaml`."))
        .attribute(Attribute::string("output_file_sha256").computed().description("SHA-256 of the file at `output_path` when last read; null when there is no file.")),
    )
}

#[derive(Debug, Deserialize)]
struct CaModel {
    name: Option<String>,
    namespace: Option<String>,
    cluster_name: Option<String>,
    kubernetes_version: Option<String>,
    image: Option<String>,
    iam_role_arn: Option<String>,
    priority_class_name: Option<String>,
    resource_requests: Option<BTreeMap<String, String>>,
    resource_limits: Option<BTreeMap<String, String>>,
    expander: Option<Vec<String>>,
    auto_discovery_tags: Option<Vec<String>>,
    balance_similar_node_groups: Option<bool>,
    skip_nodes_with_system_pods: Option<bool>,
    skip_nodes_with_local_storage: Option<bool>,
    scale_down_delay_after_add: Option<String>,
    scale_down_delay_after_delete: Option<String>,
    scale_down_delay_after_failure: Option<String>,
    scale_down_unneeded_time: Option<String>,
    scale_down_utilization_threshold: Option<f64>,
    max_node_provision_time: Option<String>,
    max_graceful_termination_sec: Option<i64>,
    scan_interval: Option<String>,
    max_nodes_total: Option<i64>,
    cores_total: Option<String>,
    memory_total: Option<String>,
    expendable_pods_priority_cutoff: Option<i64>,
    extra_args: Option<Vec<String>>,
}

/// The settings an object value describes; `image` and `auto_discovery_tags` default from the
/// version and cluster name. Errors carry attribute paths.
fn spec_of(value: &Value) -> Result<ClusterAutoscaler, Diagnostics> {
    let m: CaModel = from_value(value).map_err(|e| Diagnostics::from(Diagnostic::error("Provider bug", format!("reading the {TYPE_NAME} arguments: {e}"))))?;
    let cluster_name = m.cluster_name.clone().unwrap_or_default();
    let image = match (&m.image, &m.kubernetes_version) {
        (Some(image), _) => image.clone(),
        (None, Some(version)) => ca::image_for(version).map_err(|e| Diagnostics::from(Diagnostic::error("Unsupported Kubernetes version", e).at(AttributePath::root("kubernetes_version"))))?,
        (None, None) => String::new(),
    };
    if let (Some(version), Some(_)) = (&m.kubernetes_version, &m.image)
        && ca::kubernetes_minor(version).is_none() {
            return Err(Diagnostic::error("Invalid Kubernetes version", format!("{version:?} is not a Kubernetes version: write it like \"1.31\".")).at(AttributePath::root("kubernetes_version")).into());
        }
    let d = Flags::defaults(&cluster_name);
    Ok(ClusterAutoscaler {
        name: m.name.unwrap_or_else(|| "cluster-autoscaler".into()),
        namespace: m.namespace.unwrap_or_else(|| "kube-system".into()),
        cluster_name,
        image,
        iam_role_arn: m.iam_role_arn,
        priority_class_name: m.priority_class_name,
        resource_requests: m.resource_requests.unwrap_or_default(),
        resource_limits: m.resource_limits.unwrap_or_default(),
        flags: Flags {
            expander: m.expander.unwrap_or(d.expander),
            auto_discovery_tags: m.auto_discovery_tags.unwrap_or(d.auto_discovery_tags),
            balance_similar_node_groups: m.balance_similar_node_groups.unwrap_or(d.balance_similar_node_groups),
            skip_nodes_with_system_pods: m.skip_nodes_with_system_pods.unwrap_or(d.skip_nodes_with_system_pods),
            skip_nodes_with_local_storage: m.skip_nodes_with_local_storage.unwrap_or(d.skip_nodes_with_local_storage),
            scale_down_delay_after_add: m.scale_down_delay_after_add.unwrap_or(d.scale_down_delay_after_add),
            scale_down_delay_after_delete: m.scale_down_delay_after_delete.unwrap_or(d.scale_down_delay_after_delete),
            scale_down_delay_after_failure: m.scale_down_delay_after_failure.unwrap_or(d.scale_down_delay_after_failure),
            scale_down_unneeded_time: m.scale_down_unneeded_time.unwrap_or(d.scale_down_unneeded_time),
            scale_down_utilization_threshold: m.scale_down_utilization_threshold.unwrap_or(d.scale_down_utilization_threshold),
            max_node_provision_time: m.max_node_provision_time.unwrap_or(d.max_node_provision_time),
            max_graceful_termination_sec: m.max_graceful_termination_sec.unwrap_or(d.max_graceful_termination_sec),
            scan_interval: m.scan_interval.unwrap_or(d.scan_interval),
            max_nodes_total: m.max_nodes_total,
            cores_total: m.cores_total,
            memory_total: m.memory_total,
            expendable_pods_priority_cutoff: m.expendable_pods_priority_cutoff.unwrap_or(d.expendable_pods_priority_cutoff),
        },
        extra_args: m.extra_args.unwrap_or_default(),
    })
}

impl ManifestKind for ClusterAutoscalerManifest {
    type Spec = ClusterAutoscaler;
    type Rendered = ca::Rendered;

    const TYPE_NAME: &'static str = "autoscale_cluster_autoscaler_manifest";
    const WHAT: &'static str = "Cluster Autoscaler manifest";
    const INVALID: &'static str = "Invalid Cluster Autoscaler setting";
    const NOUN: &'static str = "Cluster Autoscaler manifest";
    const TEMPLATES: &'static [TemplateName] = &[TemplateName::ClusterAutoscaler];
    const OUTPUTS: &'static [&'static str] = &["id", "yaml", "documents", "sha256", "output_file_sha256"];
    /// Optional arguments whose default the plan computes from others.
    const DERIVED: &'static [&'static str] = &["image", "auto_discovery_tags"];

    fn schema() -> Schema {
        schema()
    }

    fn spec_of(value: &Value) -> Result<ClusterAutoscaler, Diagnostics> {
        spec_of(value)
    }

    fn validate(spec: &ClusterAutoscaler) -> Vec<Violation> {
        ca::validate(spec)
    }

    fn render(spec: &ClusterAutoscaler, overrides: &Overrides) -> Result<ca::Rendered, RenderError> {
        ca::render(spec, overrides)
    }

    fn set_outputs(state: &mut Value, spec: &ClusterAutoscaler, rendered: &ca::Rendered) {
        set(state, "image", Value::from(spec.image.as_str()));
        set(state, "auto_discovery_tags", Value::list(spec.flags.auto_discovery_tags.iter().map(|t| Value::from(t.as_str()))));
        set_documents(state, format!("{}/{}", spec.namespace, spec.name), &rendered.yaml, &rendered.documents, &rendered.sha256);
    }

    fn flatten(content: &str) -> Result<Value, String> {
        flatten(content)
    }
}

/// The arguments recovered from a rendered manifest (import). Flags without a typed argument
/// become `extra_args`; the cluster name comes from the canonical discovery tag.
fn flatten(content: &str) -> Result<Value, String> {
    use serde_json::Value as Json;
    let documents = crate::render::parse_documents(content)?;
    let find = |kind: &str| documents.iter().find(|d| d.get("kind").and_then(Json::as_str) == Some(kind));
    let deployment = find("Deployment").ok_or("the file holds no Deployment")?;
    let container = deployment.pointer("/spec/template/spec/containers/0").ok_or("the Deployment has no container")?;
    let str_at = |v: &Json, p: &str| v.pointer(p).and_then(Json::as_str).map(str::to_string);
    let image = str_at(container, "/image").ok_or("the container has no image")?;
    let tag = image.rsplit(':').next().unwrap_or_default();
    let minor = ca::kubernetes_minor(tag).ok_or_else(|| format!("the image tag {tag:?} names no Kubernetes minor"))?;
    let args: Vec<String> = container.get("command").and_then(Json::as_array).into_iter().flatten().filter_map(|a| a.as_str().map(str::to_string)).collect();
    let mut flags = BTreeMap::new();
    let mut extra = Vec::new();
    for arg in args.iter().skip(1) {
        let (flag, value) = arg.split_once('=').unwrap_or((arg.as_str(), ""));
        if matches!(flag, "--v" | "--stderrthreshold" | "--cloud-provider") {
            continue;
        }
        if ca::TYPED_FLAGS.contains(&flag) {
            flags.insert(flag.trim_start_matches('-').replace('-', "_"), value.to_string());
        } else {
            extra.push(Value::from(arg.as_str()));
        }
    }
    let tags: Vec<String> = flags.get("node_group_auto_discovery").and_then(|v| v.strip_prefix("asg:tag=")).map(|t| t.split(',').map(str::to_string).collect()).unwrap_or_default();
    let cluster_name = tags
        .iter()
        .filter_map(|t| t.strip_prefix("k8s.io/cluster-autoscaler/"))
        .find(|c| *c != "enabled" && !c.contains('='))
        .ok_or("no k8s.io/cluster-autoscaler/<cluster> discovery tag names the cluster")?
        .to_string();
    let flag_text = |name: &str| flags.get(name).map_or(Value::Null, |v| Value::from(v.as_str()));
    let flag_bool = |name: &str| flags.get(name).map_or(Value::Null, |v| Value::from(v == "true"));
    let flag_int = |name: &str| flags.get(name).and_then(|v| v.parse::<i64>().ok()).map_or(Value::Null, Value::from);
    let quantities = |p: &str| container.pointer(p).and_then(Json::as_object).map_or(Value::Null, |m| Value::map(m.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str().unwrap_or_default())))));
    let service_account = find("ServiceAccount");
    Ok(Value::object([
        ("id", Value::Null),
        ("cluster_name", Value::from(cluster_name)),
        ("kubernetes_version", Value::from(format!("1.{minor}"))),
        ("image", Value::from(image.as_str())),
        ("name", str_at(deployment, "/metadata/name").map_or(Value::Null, Value::from)),
        ("namespace", str_at(deployment, "/metadata/namespace").map_or(Value::Null, Value::from)),
        ("iam_role_arn", service_account.and_then(|sa| str_at(sa, "/metadata/annotations/eks.amazonaws.com~1role-arn")).map_or(Value::Null, Value::from)),
        ("priority_class_name", str_at(deployment, "/spec/template/spec/priorityClassName").map_or(Value::Null, Value::from)),
        ("resource_requests", quantities("/resources/requests")),
        ("resource_limits", quantities("/resources/limits")),
        ("expander", flags.get("expander").map_or(Value::Null, |v| Value::list(v.split(',').map(Value::from)))),
        ("auto_discovery_tags", Value::list(tags.iter().map(|t| Value::from(t.as_str())))),
        ("balance_similar_node_groups", flag_bool("balance_similar_node_groups")),
        ("skip_nodes_with_system_pods", flag_bool("skip_nodes_with_system_pods")),
        ("skip_nodes_with_local_storage", flag_bool("skip_nodes_with_local_storage")),
        ("scale_down_delay_after_add", flag_text("scale_down_delay_after_add")),
        ("scale_down_delay_after_delete", flag_text("scale_down_delay_after_delete")),
        ("scale_down_delay_after_failure", flag_text("scale_down_delay_after_failure")),
        ("scale_down_unneeded_time", flag_text("scale_down_unneeded_time")),
        (
            "scale_down_utilization_threshold",
            flags.get("scale_down_utilization_threshold").and_then(|v| v.parse::<f64>().ok()).and_then(tfplugin::Number::from_f64).map_or(Value::Null, Value::Number),
        ),
        ("max_node_provision_time", flag_text("max_node_provision_time")),
        ("max_graceful_termination_sec", flag_int("max_graceful_termination_sec")),
        ("scan_interval", flag_text("scan_interval")),
        ("max_nodes_total", flag_int("max_nodes_total")),
        ("cores_total", flag_text("cores_total")),
        ("memory_total", flag_text("memory_total")),
        ("expendable_pods_priority_cutoff", flag_int("expendable_pods_priority_cutoff")),
        ("extra_args", if extra.is_empty() { Value::Null } else { Value::List(extra) }),
        ("output_path", Value::Null),
        ("yaml", Value::Null),
        ("documents", Value::Null),
        ("sha256", Value::Null),
        ("output_file_sha256", Value::Null),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_recovers_the_arguments() {
        let mut config = flatten("").err().map(|_| Value::Null).unwrap_or_default();
        assert!(config.is_null());
        let spec = ClusterAutoscaler {
            name: "cluster-autoscaler".into(),
            namespace: "kube-system".into(),
            cluster_name: "prod".into(),
            image: ca::image_for("1.31").unwrap_or_default(),
            iam_role_arn: Some("arn:aws:iam::123456789012:role/ca".into()),
            priority_class_name: Some("system-cluster-critical".into()),
            resource_requests: BTreeMap::from([("cpu".into(), "100m".into())]),
            resource_limits: BTreeMap::new(),
            flags: Flags { max_nodes_total: Some(50), ..Flags::defaults("prod") },
            extra_args: vec!["--new-pod-scale-up-delay=30s".into()],
        };
        let rendered = ca::render(&spec, &crate::render::Overrides::none()).unwrap_or_else(|e| panic!("{e}"));
        config = flatten(&rendered.yaml).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec_of(&config).unwrap_or_else(|d| panic!("{d:?}")), spec);
        assert!(config.clone().conform(&schema().value_type(), &AttributePath::empty()).is_ok());
    }
}

//! EKS managed node groups: create, update (config and version), tag, delete, and the waiters
//! that follow each to its end — `wait_node_group_active`, `wait_update_successful`,
//! `wait_node_group_deleted`. Lookups go through [`super::node_groups::find_node_group`], shared
//! with the resources that act on a node group's Auto Scaling groups.
//!
//! Every wait honours its timeout and Terraform's stop signal (see [`super::wait`]).

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_eks::operation::delete_nodegroup::DeleteNodegroupError;
use aws_sdk_eks::types::{
    AmiTypes, CapacityTypes, LaunchTemplateSpecification, Nodegroup, NodegroupScalingConfig, NodegroupStatus, NodegroupUpdateConfig, Taint,
    TaintEffect, UpdateLabelsPayload, UpdateStatus, UpdateTaintsPayload,
};
/// The stop signal the waiters take (Terraform's StopProvider, or a caller's own).
pub use tokio_util::sync::CancellationToken;

use super::node_groups::{NodeGroupLookupError, find_node_group};
use super::wait::{Poll, WaitError, poll_until};
use super::{error_code, error_text};

/// How long a node group may take to become ACTIVE when the configuration says nothing; real
/// creates take several minutes, sometimes tens (the AWS provider's default too).
pub const NODE_GROUP_CREATE_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// How long one update (config or version) may take by default; version updates replace every
/// node and can take long.
pub const NODE_GROUP_UPDATE_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// How long a node group may take to disappear after DeleteNodegroup by default.
pub const NODE_GROUP_DELETE_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// Time between two DescribeNodegroup / DescribeUpdate calls while waiting.
pub const NODE_GROUP_POLL_INTERVAL: Duration = Duration::from_secs(10);

/// Errors of node group operations; each names the node group as `cluster:name`.
#[derive(Debug, thiserror::Error)]
pub enum EksError {
    /// CreateNodegroup failed. `answered` is false when no answer came back (connection lost,
    /// timed out): AWS may have created the node group all the same.
    #[error("creating EKS Node Group ({id}): {message}")]
    Create { id: String, message: String, answered: bool },
    /// The node group reached CREATE_FAILED; `issues` are its health issues.
    #[error("creating EKS Node Group ({id}): status CREATE_FAILED: {issues}")]
    CreateFailed { id: String, issues: String, node_group: Box<Nodegroup> },
    /// DescribeNodegroup failed.
    #[error(transparent)]
    Lookup(#[from] NodeGroupLookupError),
    /// The node group disappeared while we waited for it.
    #[error("waiting for EKS Node Group ({id}): it no longer exists")]
    Vanished { id: String },
    /// UpdateNodegroupConfig failed.
    #[error("updating EKS Node Group config ({id}): {message}")]
    UpdateConfig { id: String, message: String },
    /// UpdateNodegroupVersion failed.
    #[error("updating EKS Node Group version ({id}): {message}")]
    UpdateVersion { id: String, message: String },
    /// DescribeUpdate failed.
    #[error("describing EKS Node Group ({id}) update ({update_id}): {message}")]
    DescribeUpdate { id: String, update_id: String, message: String },
    /// The update ended Failed or Cancelled; `errors` are the update's own errors.
    #[error("EKS Node Group ({id}) update ({update_id}) ended {status}: {errors}")]
    UpdateFailed { id: String, update_id: String, status: String, errors: String },
    /// An update did not finish in time, or Terraform asked the provider to stop.
    #[error("updating EKS Node Group ({id}): {message}")]
    Wait { id: String, message: String },
    /// TagResource or UntagResource failed.
    #[error("tagging EKS Node Group ({id}): {message}")]
    Tag { id: String, message: String },
    /// DeleteNodegroup failed.
    #[error("deleting EKS Node Group ({id}): {message}")]
    Delete { id: String, message: String },
    /// The node group reached DELETE_FAILED.
    #[error("deleting EKS Node Group ({id}): status DELETE_FAILED: {issues}")]
    DeleteFailed { id: String, issues: String },
}

/// `cluster:name`, the id used in messages and by import.
pub fn node_group_id(cluster: &str, name: &str) -> String {
    format!("{cluster}:{name}")
}

/// Everything CreateNodegroup takes that this provider sets.
#[derive(Debug, Clone)]
pub struct NewNodeGroup {
    pub cluster_name: String,
    pub node_group_name: String,
    pub node_role_arn: String,
    pub subnet_ids: Vec<String>,
    pub instance_types: Vec<String>,
    pub capacity_type: Option<CapacityTypes>,
    pub ami_type: Option<AmiTypes>,
    pub disk_size: Option<i32>,
    pub version: Option<String>,
    pub release_version: Option<String>,
    pub launch_template: Option<LaunchTemplateSpecification>,
    pub scaling: NodegroupScalingConfig,
    pub update_config: Option<NodegroupUpdateConfig>,
    pub labels: HashMap<String, String>,
    pub taints: Vec<Taint>,
    pub tags: HashMap<String, String>,
}

/// The `clientRequestToken` of a create: a digest of the cluster, the name and everything the
/// request asks for, the same on every run for the same configuration.
///
/// Why not a fresh random token per call: when the response to CreateNodegroup is lost (the
/// endpoint or the connection dies, the call times out, Terraform is stopped) AWS may have
/// created the node group while Terraform recorded nothing. The next apply sends the same
/// request again; with the same token EKS answers with the node group the first run created
/// instead of `ResourceInUseException`, so the re-run adopts it and nothing is orphaned or
/// created twice. (The SDK's own retries of one call already reuse the token; this extends that
/// across runs.)
///
/// The trade-offs: two configurations asking for the identical node group (same cluster, name
/// and arguments) share one token, so the second adopts the first's node group instead of
/// failing with "already exists" — and destroying either removes it. Any difference in the
/// request (a label, a size) gives a different token and the usual "already exists". And AWS
/// documents the token as making retries idempotent without saying how long it is remembered
/// after the node group is deleted; the emulator forgets it with the node group.
pub fn create_token(spec: &NewNodeGroup) -> String {
    use sha2::{Digest, Sha256};
    // Each item length-prefixed: ["a,b"] and ["a", "b"] must not read the same.
    let list = |items: &[String]| items.iter().map(|i| format!("{}:{i}", i.len())).collect::<Vec<_>>().join(",");
    let mut fields: Vec<(&str, String)> = vec![
        ("cluster", spec.cluster_name.clone()),
        ("name", spec.node_group_name.clone()),
        ("role", spec.node_role_arn.clone()),
        ("subnets", list(&spec.subnet_ids)),
        ("instance_types", list(&spec.instance_types)),
        ("capacity_type", spec.capacity_type.as_ref().map_or("", CapacityTypes::as_str).to_string()),
        ("ami_type", spec.ami_type.as_ref().map_or("", AmiTypes::as_str).to_string()),
        ("disk_size", spec.disk_size.map(|d| d.to_string()).unwrap_or_default()),
        ("version", spec.version.clone().unwrap_or_default()),
        ("release_version", spec.release_version.clone().unwrap_or_default()),
        ("min", spec.scaling.min_size().map(|n| n.to_string()).unwrap_or_default()),
        ("max", spec.scaling.max_size().map(|n| n.to_string()).unwrap_or_default()),
        ("desired", spec.scaling.desired_size().map(|n| n.to_string()).unwrap_or_default()),
    ];
    if let Some(template) = &spec.launch_template {
        let parts = [template.id(), template.name(), template.version()].map(|p| p.unwrap_or_default());
        fields.push(("launch_template", parts.join(",")));
    }
    if let Some(update) = &spec.update_config {
        let parts = [update.max_unavailable(), update.max_unavailable_percentage()].map(|p| p.map(|n| n.to_string()).unwrap_or_default());
        fields.push(("update_config", parts.join(",")));
    }
    let sorted = |map: &HashMap<String, String>| {
        let mut pairs: Vec<String> = map.iter().map(|(k, v)| format!("{}:{k}={}:{v}", k.len(), v.len())).collect();
        pairs.sort();
        pairs.join(",")
    };
    fields.push(("labels", sorted(&spec.labels)));
    fields.push(("tags", sorted(&spec.tags)));
    let mut taints: Vec<String> = spec
        .taints
        .iter()
        .map(|t| list(&[t.key(), t.value(), t.effect().map(TaintEffect::as_str)].map(|p| p.unwrap_or_default().to_string())))
        .collect();
    taints.sort();
    fields.push(("taints", list(&taints)));

    let mut digest = Sha256::new();
    for (key, value) in &fields {
        // Length-prefixed, so no two different requests can run together into the same bytes.
        digest.update(format!("{key}:{}:{value}\n", value.len()).as_bytes());
    }
    let hex: String = digest.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// Creates a node group. `client_request_token` (see [`create_token`]) makes a repeated call
/// return the node group the first one created instead of failing with "already exists".
///
/// # Errors
/// `EksError::Create` with AWS's message.
pub async fn create_node_group(client: &aws_sdk_eks::Client, spec: &NewNodeGroup, client_request_token: &str) -> Result<Nodegroup, EksError> {
    let id = node_group_id(&spec.cluster_name, &spec.node_group_name);
    let mut call = client
        .create_nodegroup()
        .cluster_name(&spec.cluster_name)
        .nodegroup_name(&spec.node_group_name)
        .node_role(&spec.node_role_arn)
        .set_subnets(Some(spec.subnet_ids.clone()))
        .scaling_config(spec.scaling.clone())
        .client_request_token(client_request_token)
        .set_capacity_type(spec.capacity_type.clone())
        .set_ami_type(spec.ami_type.clone())
        .set_disk_size(spec.disk_size)
        .set_version(spec.version.clone())
        .set_release_version(spec.release_version.clone())
        .set_launch_template(spec.launch_template.clone())
        .set_update_config(spec.update_config.clone());
    if !spec.instance_types.is_empty() {
        call = call.set_instance_types(Some(spec.instance_types.clone()));
    }
    if !spec.labels.is_empty() {
        call = call.set_labels(Some(spec.labels.clone()));
    }
    if !spec.taints.is_empty() {
        call = call.set_taints(Some(spec.taints.clone()));
    }
    if !spec.tags.is_empty() {
        call = call.set_tags(Some(spec.tags.clone()));
    }
    let output = call
        .send()
        .await
        .map_err(|err| EksError::Create { id: id.clone(), message: error_text(&err), answered: super::answered(&err) })?;
    output.nodegroup.ok_or(EksError::Create { id, message: "the response holds no node group".into(), answered: true })
}

/// What UpdateNodegroupConfig should change; `None` / empty parts are left alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigChange {
    pub labels: Option<UpdateLabelsPayload>,
    pub taints: Option<UpdateTaintsPayload>,
    pub scaling: Option<NodegroupScalingConfig>,
    pub update_config: Option<NodegroupUpdateConfig>,
}

impl ConfigChange {
    /// Whether there is anything to send (AWS rejects an update with nothing in it).
    pub fn is_empty(&self) -> bool {
        self.labels.is_none() && self.taints.is_none() && self.scaling.is_none() && self.update_config.is_none()
    }
}

/// Starts a config update; returns the update's id for [`wait_update_successful`].
///
/// # Errors
/// `EksError::UpdateConfig` with AWS's message.
pub async fn update_node_group_config(client: &aws_sdk_eks::Client, cluster: &str, name: &str, change: &ConfigChange) -> Result<String, EksError> {
    let id = node_group_id(cluster, name);
    let output = client
        .update_nodegroup_config()
        .cluster_name(cluster)
        .nodegroup_name(name)
        .set_labels(change.labels.clone())
        .set_taints(change.taints.clone())
        .set_scaling_config(change.scaling.clone())
        .set_update_config(change.update_config.clone())
        .send()
        .await
        .map_err(|err| EksError::UpdateConfig { id: id.clone(), message: error_text(&err) })?;
    output
        .update
        .and_then(|u| u.id)
        .ok_or(EksError::UpdateConfig { id, message: "the response holds no update id".into() })
}

/// What UpdateNodegroupVersion should change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VersionChange {
    pub version: Option<String>,
    pub release_version: Option<String>,
    pub launch_template: Option<LaunchTemplateSpecification>,
    /// Update even when pods cannot be drained (PodDisruptionBudgets).
    pub force: bool,
}

/// Starts a version update; returns the update's id for [`wait_update_successful`].
///
/// # Errors
/// `EksError::UpdateVersion` with AWS's message.
pub async fn update_node_group_version(client: &aws_sdk_eks::Client, cluster: &str, name: &str, change: &VersionChange) -> Result<String, EksError> {
    let id = node_group_id(cluster, name);
    let output = client
        .update_nodegroup_version()
        .cluster_name(cluster)
        .nodegroup_name(name)
        .set_version(change.version.clone())
        .set_release_version(change.release_version.clone())
        .set_launch_template(change.launch_template.clone())
        .force(change.force)
        .send()
        .await
        .map_err(|err| EksError::UpdateVersion { id: id.clone(), message: error_text(&err) })?;
    output
        .update
        .and_then(|u| u.id)
        .ok_or(EksError::UpdateVersion { id, message: "the response holds no update id".into() })
}

/// Adds or changes tags on the node group's ARN.
///
/// # Errors
/// `EksError::Tag` with AWS's message.
pub async fn tag_node_group(client: &aws_sdk_eks::Client, id: &str, arn: &str, tags: HashMap<String, String>) -> Result<(), EksError> {
    if tags.is_empty() {
        return Ok(());
    }
    client
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tags))
        .send()
        .await
        .map(|_| ())
        .map_err(|err| EksError::Tag { id: id.to_string(), message: error_text(&err) })
}

/// Removes tags from the node group's ARN.
///
/// # Errors
/// `EksError::Tag` with AWS's message.
pub async fn untag_node_group(client: &aws_sdk_eks::Client, id: &str, arn: &str, keys: Vec<String>) -> Result<(), EksError> {
    if keys.is_empty() {
        return Ok(());
    }
    client
        .untag_resource()
        .resource_arn(arn)
        .set_tag_keys(Some(keys))
        .send()
        .await
        .map(|_| ())
        .map_err(|err| EksError::Tag { id: id.to_string(), message: error_text(&err) })
}

/// Starts deleting a node group. A node group that is already gone counts as deleted.
///
/// # Errors
/// `EksError::Delete` with AWS's message.
pub async fn delete_node_group(client: &aws_sdk_eks::Client, cluster: &str, name: &str) -> Result<(), EksError> {
    match client.delete_nodegroup().cluster_name(cluster).nodegroup_name(name).send().await {
        Ok(_) => Ok(()),
        Err(err) if error_code(&err) == Some("ResourceNotFoundException") => Ok(()),
        Err(err) if matches!(err.as_service_error(), Some(DeleteNodegroupError::ResourceNotFoundException(_))) => Ok(()),
        Err(err) => Err(EksError::Delete { id: node_group_id(cluster, name), message: error_text(&err) }),
    }
}

/// The health issues of a node group as one line: `code: message (resources); ...`.
pub fn health_issues(group: &Nodegroup) -> String {
    let issues: Vec<String> = group
        .health()
        .map(|h| h.issues())
        .unwrap_or_default()
        .iter()
        .map(|issue| {
            let code = issue.code().map_or("unknown", |c| c.as_str());
            let message = issue.message().unwrap_or("no message");
            if issue.resource_ids().is_empty() {
                format!("{code}: {message}")
            } else {
                format!("{code}: {message} ({})", issue.resource_ids().join(", "))
            }
        })
        .collect();
    if issues.is_empty() { "no health issues reported".into() } else { issues.join("; ") }
}

fn status_text(group: &Nodegroup) -> String {
    format!("status {}", group.status().map_or("unknown", NodegroupStatus::as_str))
}

/// Waits until the node group is ACTIVE and returns it.
///
/// # Errors
/// `Failed(CreateFailed)` (carrying the node group and its health issues) when it reaches
/// CREATE_FAILED, `Failed(Vanished)` when it disappears, `Timeout` / `Cancelled`.
pub async fn wait_node_group_active(
    client: &aws_sdk_eks::Client,
    cluster: &str,
    name: &str,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<Nodegroup, WaitError<EksError>> {
    let id = node_group_id(cluster, name);
    poll_until(&format!("EKS Node Group ({id}) to become ACTIVE"), timeout, NODE_GROUP_POLL_INTERVAL, cancel, || async {
        match find_node_group(client, cluster, name).await {
            Err(err) => Poll::Failed(EksError::Lookup(err)),
            Ok(None) => Poll::Failed(EksError::Vanished { id: id.clone() }),
            Ok(Some(group)) => match group.status() {
                Some(NodegroupStatus::Active) => Poll::Done(group),
                Some(NodegroupStatus::CreateFailed) => {
                    Poll::Failed(EksError::CreateFailed { id: id.clone(), issues: health_issues(&group), node_group: Box::new(group) })
                }
                _ => Poll::Pending(status_text(&group)),
            },
        }
    })
    .await
}

/// Waits until an update of the node group ends Successful.
///
/// # Errors
/// `Failed(UpdateFailed)` with the update's errors when it ends Failed or Cancelled,
/// `Failed(DescribeUpdate)` when the API fails, `Timeout` / `Cancelled`.
pub async fn wait_update_successful(
    client: &aws_sdk_eks::Client,
    cluster: &str,
    name: &str,
    update_id: &str,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<(), WaitError<EksError>> {
    let id = node_group_id(cluster, name);
    poll_until(&format!("EKS Node Group ({id}) update ({update_id}) to succeed"), timeout, NODE_GROUP_POLL_INTERVAL, cancel, || async {
        let described = client.describe_update().name(cluster).nodegroup_name(name).update_id(update_id).send().await;
        match described {
            Err(err) => Poll::Failed(EksError::DescribeUpdate { id: id.clone(), update_id: update_id.to_string(), message: error_text(&err) }),
            Ok(output) => {
                let Some(update) = output.update else {
                    return Poll::Failed(EksError::DescribeUpdate {
                        id: id.clone(),
                        update_id: update_id.to_string(),
                        message: "the response holds no update".into(),
                    });
                };
                match update.status() {
                    Some(UpdateStatus::Successful) => Poll::Done(()),
                    Some(status @ (UpdateStatus::Failed | UpdateStatus::Cancelled)) => {
                        let errors: Vec<String> = update
                            .errors()
                            .iter()
                            .map(|e| {
                                format!("{}: {}", e.error_code().map_or("unknown", |c| c.as_str()), e.error_message().unwrap_or("no message"))
                            })
                            .collect();
                        Poll::Failed(EksError::UpdateFailed {
                            id: id.clone(),
                            update_id: update_id.to_string(),
                            status: status.as_str().to_string(),
                            errors: if errors.is_empty() { "no errors reported".into() } else { errors.join("; ") },
                        })
                    }
                    other => Poll::Pending(format!("update {}", other.map_or("unknown", UpdateStatus::as_str))),
                }
            }
        }
    })
    .await
}

/// Waits until the node group no longer exists.
///
/// # Errors
/// `Failed(DeleteFailed)` with its health issues when it reaches DELETE_FAILED,
/// `Failed(Lookup)` when the API fails, `Timeout` / `Cancelled`.
pub async fn wait_node_group_deleted(
    client: &aws_sdk_eks::Client,
    cluster: &str,
    name: &str,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<(), WaitError<EksError>> {
    let id = node_group_id(cluster, name);
    poll_until(&format!("EKS Node Group ({id}) to be deleted"), timeout, NODE_GROUP_POLL_INTERVAL, cancel, || async {
        match find_node_group(client, cluster, name).await {
            Err(err) => Poll::Failed(EksError::Lookup(err)),
            Ok(None) => Poll::Done(()),
            Ok(Some(group)) => match group.status() {
                Some(NodegroupStatus::DeleteFailed) => Poll::Failed(EksError::DeleteFailed { id: id.clone(), issues: health_issues(&group) }),
                _ => Poll::Pending(status_text(&group)),
            },
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use aws_sdk_eks::types::{Issue, NodegroupHealth, NodegroupIssueCode};

    use super::*;

    #[test]
    fn health_issues_read_as_one_line() {
        let group = Nodegroup::builder()
            .health(
                NodegroupHealth::builder()
                    .issues(
                        Issue::builder()
                            .code(NodegroupIssueCode::AsgInstanceLaunchFailures)
                            .message("Could not launch Spot Instances. UnfulfillableCapacity")
                            .resource_ids("eks-spot-1234")
                            .build(),
                    )
                    .issues(Issue::builder().code(NodegroupIssueCode::NodeCreationFailure).message("Instances failed to join the kubernetes cluster").build())
                    .build(),
            )
            .build();
        assert_eq!(
            health_issues(&group),
            "AsgInstanceLaunchFailures: Could not launch Spot Instances. UnfulfillableCapacity (eks-spot-1234); \
             NodeCreationFailure: Instances failed to join the kubernetes cluster"
        );
        assert_eq!(health_issues(&Nodegroup::builder().build()), "no health issues reported");
    }

    fn spec() -> NewNodeGroup {
        NewNodeGroup {
            cluster_name: "c1".into(),
            node_group_name: "spot".into(),
            node_role_arn: "arn:aws:iam::123456789012:role/node".into(),
            subnet_ids: vec!["subnet-a".into(), "subnet-b".into()],
            instance_types: vec!["c5.xlarge".into()],
            capacity_type: Some(CapacityTypes::Spot),
            ami_type: None,
            disk_size: None,
            version: None,
            release_version: None,
            launch_template: None,
            scaling: NodegroupScalingConfig::builder().min_size(1).max_size(3).desired_size(1).build(),
            update_config: None,
            labels: HashMap::from([("a".to_string(), "1".to_string()), ("b".to_string(), "2".to_string())]),
            taints: Vec::new(),
            tags: HashMap::from([("team".to_string(), "data".to_string())]),
        }
    }

    #[test]
    fn the_create_token_is_the_same_for_the_same_request() {
        // Built twice: HashMap iteration order differs between instances, the token must not.
        let (first, second) = (create_token(&spec()), create_token(&spec()));
        assert_eq!(first, second);
        assert_eq!(first.len(), 36, "uuid-shaped: {first}");
        assert!(first.chars().all(|c| c.is_ascii_hexdigit() || c == '-'), "{first}");
    }

    #[test]
    fn the_create_token_changes_with_anything_the_request_asks_for() {
        let base = create_token(&spec());
        let variants: Vec<(&str, NewNodeGroup)> = vec![
            ("cluster", NewNodeGroup { cluster_name: "c2".into(), ..spec() }),
            ("name", NewNodeGroup { node_group_name: "spot2".into(), ..spec() }),
            ("size", NewNodeGroup { scaling: NodegroupScalingConfig::builder().min_size(1).max_size(4).desired_size(1).build(), ..spec() }),
            ("label", NewNodeGroup { labels: HashMap::from([("a".to_string(), "1".to_string())]), ..spec() }),
            ("label value", NewNodeGroup { labels: HashMap::from([("a".to_string(), "1,1:b=2".to_string())]), ..spec() }),
            ("tag", NewNodeGroup { tags: HashMap::new(), ..spec() }),
            ("capacity", NewNodeGroup { capacity_type: Some(CapacityTypes::OnDemand), ..spec() }),
            ("taint", NewNodeGroup { taints: vec![Taint::builder().key("k").effect(TaintEffect::NoSchedule).build()], ..spec() }),
            // Items running together must not read the same.
            ("subnets", NewNodeGroup { subnet_ids: vec!["subnet-a,subnet-b".into()], ..spec() }),
        ];
        for (what, changed) in variants {
            assert_ne!(create_token(&changed), base, "changing the {what} must change the token");
        }
    }

    #[test]
    fn empty_config_change_is_empty() {
        assert!(ConfigChange::default().is_empty());
        let change = ConfigChange { scaling: Some(NodegroupScalingConfig::builder().min_size(1).build()), ..ConfigChange::default() };
        assert!(!change.is_empty());
    }
}

//! Looking up a managed node group's Auto Scaling groups — shared by the resources that act on a
//! node group's ASGs (discovery tags, scheduled actions), so their ASG names never have to be
//! known at plan time.

use aws_sdk_eks::operation::describe_nodegroup::DescribeNodegroupError;
use aws_sdk_eks::types::Nodegroup;

use super::{error_code, error_text};

/// Errors looking a node group up.
#[derive(Debug, thiserror::Error)]
pub enum NodeGroupLookupError {
    /// The EKS API failed.
    #[error("describing node group ({cluster}:{node_group}): {message}")]
    Describe { cluster: String, node_group: String, message: String },
    /// The node group does not exist.
    #[error("node group ({cluster}:{node_group}) not found")]
    NotFound { cluster: String, node_group: String },
    /// It exists but has no Auto Scaling group (yet).
    #[error("node group ({cluster}:{node_group}) has no Auto Scaling group yet (status {status})")]
    NoAutoScalingGroup { cluster: String, node_group: String, status: String },
}

/// The node group, or `None` when it does not exist.
///
/// # Errors
/// When the EKS API fails for another reason than "not found".
pub async fn find_node_group(client: &aws_sdk_eks::Client, cluster: &str, node_group: &str) -> Result<Option<Nodegroup>, NodeGroupLookupError> {
    match client.describe_nodegroup().cluster_name(cluster).nodegroup_name(node_group).send().await {
        Ok(output) => Ok(output.nodegroup),
        Err(err) if error_code(&err) == Some("ResourceNotFoundException") => Ok(None),
        Err(err) if matches!(err.as_service_error(), Some(DescribeNodegroupError::ResourceNotFoundException(_))) => Ok(None),
        Err(err) => Err(NodeGroupLookupError::Describe {
            cluster: cluster.to_string(),
            node_group: node_group.to_string(),
            message: error_text(&err),
        }),
    }
}

/// The names of the node group's Auto Scaling groups, sorted.
///
/// # Errors
/// When the node group is missing, has no ASG, or the API fails.
pub async fn asg_names_of_node_group(client: &aws_sdk_eks::Client, cluster: &str, node_group: &str) -> Result<Vec<String>, NodeGroupLookupError> {
    let group = find_node_group(client, cluster, node_group)
        .await?
        .ok_or_else(|| NodeGroupLookupError::NotFound { cluster: cluster.to_string(), node_group: node_group.to_string() })?;
    let mut names = asg_names(&group);
    if names.is_empty() {
        return Err(NodeGroupLookupError::NoAutoScalingGroup {
            cluster: cluster.to_string(),
            node_group: node_group.to_string(),
            status: group.status().map(|s| s.as_str().to_string()).unwrap_or_else(|| "unknown".into()),
        });
    }
    names.sort();
    Ok(names)
}

/// The ASG names a described node group reports.
pub fn asg_names(group: &Nodegroup) -> Vec<String> {
    group
        .resources()
        .map(|r| r.auto_scaling_groups().iter().filter_map(|g| g.name().map(str::to_string)).collect())
        .unwrap_or_default()
}

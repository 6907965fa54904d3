//! Auto Scaling scheduled actions: put, list, find and delete, shared by
//! `autoscale_scheduled_action`, `autoscale_scaling_schedule` and the acceptance tests; plus the
//! two Auto Scaling group lookups those resources need (a node group's one group; whether a
//! group belongs to an EKS node group).
//!
//! Reads go through [`scheduled_actions_of_group`]: one `DescribeScheduledActions` (paged) per
//! group. That call is the unit to coalesce when many resources refresh actions of the same
//! group at once — a batcher keyed by group name can sit in front of it without changing any
//! caller, since [`find_scheduled_action`] and the schedule's read both filter its result.

use aws_sdk_autoscaling::types::ScheduledUpdateGroupAction;
use chrono::{DateTime, Utc};

use super::node_groups::{NodeGroupLookupError, asg_names_of_node_group};
use super::{error_code, error_text};

/// Most actions one `DescribeScheduledActions` page may return (the API's maximum).
const PAGE_SIZE: i32 = 100;

/// Tag EKS puts on a managed node group's Auto Scaling group, naming the node group.
const EKS_NODE_GROUP_TAG: &str = "eks:nodegroup-name";
/// Tag EKS puts on a managed node group's Auto Scaling group, naming the cluster.
const EKS_CLUSTER_TAG: &str = "eks:cluster-name";

/// Errors calling the scheduled-action APIs.
#[derive(Debug, thiserror::Error)]
pub enum ScheduledActionError {
    /// `DescribeScheduledActions` failed.
    #[error("describing scheduled actions of Auto Scaling group ({asg}): {message}")]
    Describe { asg: String, message: String },
    /// `PutScheduledUpdateGroupAction` failed.
    #[error("putting scheduled action ({asg}/{name}): {message}")]
    Put { asg: String, name: String, message: String },
    /// `DeleteScheduledAction` failed.
    #[error("deleting scheduled action ({asg}/{name}): {message}")]
    Delete { asg: String, name: String, message: String },
    /// `DescribeAutoScalingGroups` failed.
    #[error("describing Auto Scaling group ({asg}): {message}")]
    DescribeGroup { asg: String, message: String },
    /// The node group could not be resolved to its group.
    #[error(transparent)]
    NodeGroup(#[from] NodeGroupLookupError),
    /// The node group has several groups; a scheduled action belongs to one.
    #[error("node group ({cluster}:{node_group}) has {count} Auto Scaling groups ({names}); name the one to schedule with asg_name")]
    SeveralGroups { cluster: String, node_group: String, count: usize, names: String },
}

/// A scheduled action as Auto Scaling reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledAction {
    pub asg_name: String,
    pub name: String,
    pub arn: Option<String>,
    pub recurrence: Option<String>,
    pub time_zone: Option<String>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    pub min_size: Option<i64>,
    pub max_size: Option<i64>,
    pub desired_capacity: Option<i64>,
}

/// What one `PutScheduledUpdateGroupAction` sends; `None` fields are left out (on an existing
/// action, AWS then keeps their value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutScheduledAction {
    pub asg_name: String,
    pub name: String,
    pub recurrence: Option<String>,
    pub time_zone: Option<String>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    pub min_size: Option<i64>,
    pub max_size: Option<i64>,
    pub desired_capacity: Option<i64>,
}

fn to_chrono(time: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(time.secs(), time.subsec_nanos())
}

fn to_smithy(time: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs(time.timestamp())
}

fn size(value: Option<i64>) -> Option<i32> {
    value.and_then(|v| i32::try_from(v).ok())
}

fn from_sdk(asg: &str, action: &ScheduledUpdateGroupAction) -> ScheduledAction {
    ScheduledAction {
        asg_name: action.auto_scaling_group_name().unwrap_or(asg).to_string(),
        name: action.scheduled_action_name().unwrap_or_default().to_string(),
        arn: action.scheduled_action_arn().map(str::to_string),
        recurrence: action.recurrence().map(str::to_string),
        time_zone: action.time_zone().map(str::to_string),
        start_time: action.start_time().and_then(to_chrono),
        end_time: action.end_time().and_then(to_chrono),
        min_size: action.min_size().map(i64::from),
        max_size: action.max_size().map(i64::from),
        desired_capacity: action.desired_capacity().map(i64::from),
    }
}

/// Whether an Auto Scaling `ValidationError` says the named thing does not exist.
fn is_not_found<E: aws_smithy_types::error::metadata::ProvideErrorMetadata, R>(
    err: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> bool {
    error_code(err) == Some("ValidationError")
        && err.as_service_error().and_then(|e| e.message()).is_some_and(|m| m.to_ascii_lowercase().contains("not found"))
}

/// Every scheduled action of a group (none when the group does not exist): one
/// `DescribeScheduledActions` per page of 100.
///
/// # Errors
/// When the API fails.
pub async fn scheduled_actions_of_group(client: &aws_sdk_autoscaling::Client, asg: &str) -> Result<Vec<ScheduledAction>, ScheduledActionError> {
    let mut actions = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let response = client
            .describe_scheduled_actions()
            .auto_scaling_group_name(asg)
            .max_records(PAGE_SIZE)
            .set_next_token(token.clone())
            .send()
            .await;
        let output = match response {
            Ok(output) => output,
            Err(err) if is_not_found(&err) => return Ok(Vec::new()),
            Err(err) => return Err(ScheduledActionError::Describe { asg: asg.to_string(), message: error_text(&err) }),
        };
        actions.extend(output.scheduled_update_group_actions().iter().map(|a| from_sdk(asg, a)));
        match output.next_token() {
            Some(next) if !next.is_empty() && token.as_deref() != Some(next) => token = Some(next.to_string()),
            _ => return Ok(actions),
        }
    }
}

/// The named action of a group, or `None` when it (or the group) does not exist.
///
/// # Errors
/// When the API fails.
pub async fn find_scheduled_action(client: &aws_sdk_autoscaling::Client, asg: &str, name: &str) -> Result<Option<ScheduledAction>, ScheduledActionError> {
    Ok(scheduled_actions_of_group(client, asg).await?.into_iter().find(|a| a.name == name))
}

/// Creates or updates a scheduled action.
///
/// # Errors
/// When AWS refuses it (unknown group, bad recurrence, start time in the past, …).
pub async fn put_scheduled_action(client: &aws_sdk_autoscaling::Client, action: &PutScheduledAction) -> Result<(), ScheduledActionError> {
    client
        .put_scheduled_update_group_action()
        .auto_scaling_group_name(&action.asg_name)
        .scheduled_action_name(&action.name)
        .set_recurrence(action.recurrence.clone())
        .set_time_zone(action.time_zone.clone())
        .set_start_time(action.start_time.map(to_smithy))
        .set_end_time(action.end_time.map(to_smithy))
        .set_min_size(size(action.min_size))
        .set_max_size(size(action.max_size))
        .set_desired_capacity(size(action.desired_capacity))
        .send()
        .await
        .map(|_| ())
        .map_err(|err| ScheduledActionError::Put { asg: action.asg_name.clone(), name: action.name.clone(), message: error_text(&err) })
}

/// Deletes a scheduled action; `false` when it was already gone.
///
/// # Errors
/// When the API fails for another reason.
pub async fn delete_scheduled_action(client: &aws_sdk_autoscaling::Client, asg: &str, name: &str) -> Result<bool, ScheduledActionError> {
    match client.delete_scheduled_action().auto_scaling_group_name(asg).scheduled_action_name(name).send().await {
        Ok(_) => Ok(true),
        Err(err) if is_not_found(&err) => Ok(false),
        Err(err) => Err(ScheduledActionError::Delete { asg: asg.to_string(), name: name.to_string(), message: error_text(&err) }),
    }
}

/// The Auto Scaling group of a managed node group, which must have exactly one.
///
/// # Errors
/// When the node group is missing, has no or several groups, or the API fails.
pub async fn asg_of_node_group(client: &aws_sdk_eks::Client, cluster: &str, node_group: &str) -> Result<String, ScheduledActionError> {
    let mut names = asg_names_of_node_group(client, cluster, node_group).await?;
    if names.len() == 1 {
        return Ok(names.remove(0));
    }
    Err(ScheduledActionError::SeveralGroups { cluster: cluster.to_string(), node_group: node_group.to_string(), count: names.len(), names: names.join(", ") })
}

/// The `(cluster, node group)` an Auto Scaling group belongs to, from the tags EKS puts on its
/// groups; `None` for a group of no node group, or no such group.
///
/// # Errors
/// When the API fails.
pub async fn node_group_of_asg(client: &aws_sdk_autoscaling::Client, asg: &str) -> Result<Option<(String, String)>, ScheduledActionError> {
    let output = client
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(asg)
        .send()
        .await
        .map_err(|err| ScheduledActionError::DescribeGroup { asg: asg.to_string(), message: error_text(&err) })?;
    let Some(group) = output.auto_scaling_groups().iter().find(|g| g.auto_scaling_group_name() == Some(asg)) else { return Ok(None) };
    let tag = |key: &str| group.tags().iter().find(|t| t.key() == Some(key)).and_then(|t| t.value()).map(str::to_string);
    Ok(tag(EKS_CLUSTER_TAG).zip(tag(EKS_NODE_GROUP_TAG)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn times_convert_in_whole_seconds() {
        let time = DateTime::parse_from_rfc3339("2030-01-31T08:00:00.750Z").unwrap().with_timezone(&Utc);
        let smithy = to_smithy(time);
        assert_eq!(smithy.secs(), time.timestamp());
        assert_eq!(smithy.subsec_nanos(), 0);
        assert_eq!(to_chrono(&smithy).map(|t| t.timestamp()), Some(time.timestamp()));
    }

    #[test]
    fn sizes_outside_i32_are_left_out() {
        assert_eq!(size(Some(3)), Some(3));
        assert_eq!(size(Some(i64::MAX)), None);
        assert_eq!(size(None), None);
    }
}

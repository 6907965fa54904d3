//! Auto Scaling scheduled actions: put, list, find and delete, shared by
//! `autoscale_scheduled_action`, `autoscale_scaling_schedule` and the acceptance tests; plus the
//! two Auto Scaling group lookups those resources need (a node group's one group; whether a
//! group belongs to an EKS node group).
//!
//! The unit of reading is [`scheduled_actions_of_group`]: one `DescribeScheduledActions` (paged)
//! per group. The resources read through [`ScheduledActionReader`] (in `Clients`), which
//! coalesces the groups asked for by concurrent reads (see [`super::batch`]): a few groups are
//! described one call each, concurrently; many groups at once are answered by one region-wide
//! `DescribeScheduledActions` (no group filter, paged) bucketed by group. A refresh of 100
//! actions over 20 groups at `-parallelism=100` so makes one call instead of 100.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aws_sdk_autoscaling::types::ScheduledUpdateGroupAction;
use chrono::{DateTime, Utc};

use super::batch::{BatchError, BatchSettings, Batcher};

use super::node_groups::{NodeGroupLookupError, asg_names_of_node_group};
use super::wait::{SINGLE_CALL_LIMIT, bounded};
use super::{error_code, error_text};
use tokio_util::sync::CancellationToken;

/// Most actions one `DescribeScheduledActions` page may return (the API's maximum).
const PAGE_SIZE: i32 = 100;

/// How the reads of scheduled actions are coalesced: as DescribeTags is
/// ([`super::asg_tags::COALESCING`]): a batch is ready 25 ms after the last arrival (at most
/// 250 ms after the first), one load at a time, at most one every 150 ms, so the reads arriving
/// while a call is out gather into the next one.
pub const COALESCING: BatchSettings = BatchSettings {
    linger: Duration::from_millis(25),
    max_wait: Duration::from_millis(250),
    max_keys: 1000,
    max_concurrent_loads: 1,
    min_interval: Duration::from_millis(150),
};

/// Fewest groups in one batch for which a region-wide `DescribeScheduledActions` replaces the
/// per-group calls, before any region-wide scan told how many pages the region holds. The scan
/// costs one call per 100 actions in the region (actions of groups nobody asked about included),
/// the per-group calls one per group; once a scan has run, the region-wide form is chosen for any
/// batch of at least as many groups as that scan took pages (and at least 2).
pub const REGION_WIDE_MIN_GROUPS: usize = 5;

/// Per-group `DescribeScheduledActions` calls one batch runs at the same time.
const PER_GROUP_CONCURRENCY: usize = 4;

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
    /// The `DescribeScheduledActions` call shared with other reads failed (its own message names
    /// the group or region it described).
    #[error("reading scheduled actions of Auto Scaling group ({asg}): {message}")]
    Shared { asg: String, message: String },
    /// `PutScheduledUpdateGroupAction` failed. `answered` is false when no answer came back
    /// (connection lost, timed out, stopped): the action may have been written all the same.
    #[error("putting scheduled action ({asg}/{name}): {message}")]
    Put { asg: String, name: String, message: String, answered: bool },
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

/// Every scheduled action of the region (`DescribeScheduledActions` without a group, paged),
/// by group, and the number of pages it took.
///
/// # Errors
/// When the API fails.
pub async fn scheduled_actions_of_region(client: &aws_sdk_autoscaling::Client) -> Result<(HashMap<String, Vec<ScheduledAction>>, usize), ScheduledActionError> {
    let mut by_group: HashMap<String, Vec<ScheduledAction>> = HashMap::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let output = client
            .describe_scheduled_actions()
            .max_records(PAGE_SIZE)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|err| ScheduledActionError::Describe { asg: "all groups of the region".into(), message: error_text(&err) })?;
        pages += 1;
        for action in output.scheduled_update_group_actions() {
            if let Some(group) = action.auto_scaling_group_name() {
                by_group.entry(group.to_string()).or_default().push(from_sdk(group, action));
            }
        }
        match output.next_token() {
            Some(next) if !next.is_empty() && token.as_deref() != Some(next) => token = Some(next.to_string()),
            _ => return Ok((by_group, pages)),
        }
    }
}

/// `DescribeScheduledActions` shared by every resource instance of one provider process: the
/// groups asked for by concurrent reads are described together. Keep one per autoscaling
/// client, in `Clients`.
pub struct ScheduledActionReader {
    by_group: Batcher<String, Arc<Vec<ScheduledAction>>, String>,
}

impl std::fmt::Debug for ScheduledActionReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScheduledActionReader").field("loads", &self.by_group.stats().loads).finish_non_exhaustive()
    }
}

impl ScheduledActionReader {
    pub fn new(client: aws_sdk_autoscaling::Client) -> Self {
        // Pages the latest region-wide scan took (before any scan: REGION_WIDE_MIN_GROUPS): the
        // region-wide scan is chosen only while it costs no more calls than one per group asked.
        let region_pages = Arc::new(AtomicUsize::new(REGION_WIDE_MIN_GROUPS));
        let by_group = Batcher::new(COALESCING, move |groups: Vec<String>| {
            let client = client.clone();
            let region_pages = Arc::clone(&region_pages);
            async move {
                let region_wide = groups.len() >= region_pages.load(Ordering::Relaxed).max(2);
                let mut answer: HashMap<String, Arc<Vec<ScheduledAction>>> = HashMap::with_capacity(groups.len());
                if region_wide {
                    let (mut found, pages) = scheduled_actions_of_region(&client).await.map_err(|e| e.to_string())?;
                    region_pages.store(pages, Ordering::Relaxed);
                    for group in groups {
                        let actions = found.remove(&group).unwrap_or_default();
                        answer.insert(group, Arc::new(actions));
                    }
                    return Ok(answer);
                }
                for chunk in groups.chunks(PER_GROUP_CONCURRENCY) {
                    let mut calls = tokio::task::JoinSet::new();
                    for group in chunk {
                        let (client, group) = (client.clone(), group.clone());
                        calls.spawn(async move {
                            let actions = scheduled_actions_of_group(&client, &group).await;
                            (group, actions)
                        });
                    }
                    while let Some(done) = calls.join_next().await {
                        let (group, actions) = done.map_err(|e| format!("a DescribeScheduledActions call ended abnormally: {e}"))?;
                        answer.insert(group, Arc::new(actions.map_err(|e| e.to_string())?));
                    }
                }
                Ok(answer)
            }
        });
        Self { by_group }
    }

    /// Every scheduled action of `asg` (none when the group does not exist), described together
    /// with the groups other reads ask for at the same time.
    ///
    /// # Errors
    /// When the shared call fails.
    pub async fn of_group(&self, asg: &str) -> Result<Vec<ScheduledAction>, ScheduledActionError> {
        match self.by_group.load(asg.to_string()).await {
            Ok(found) => Ok(found.map(|actions| actions.as_ref().clone()).unwrap_or_default()),
            Err(BatchError::Load(message)) => Err(ScheduledActionError::Shared { asg: asg.to_string(), message }),
            Err(BatchError::Abandoned) => {
                Err(ScheduledActionError::Shared { asg: asg.to_string(), message: "the shared DescribeScheduledActions call was abandoned".into() })
            }
        }
    }

    /// The named action of `asg`, or `None` when it (or the group) does not exist.
    ///
    /// # Errors
    /// When the shared call fails.
    pub async fn find(&self, asg: &str, name: &str) -> Result<Option<ScheduledAction>, ScheduledActionError> {
        Ok(self.of_group(asg).await?.into_iter().find(|a| a.name == name))
    }

    /// Loads made so far (each one `DescribeScheduledActions` scan or a few per-group calls).
    pub fn loads(&self) -> u64 {
        self.by_group.stats().loads
    }
}

/// The named action of a group, or `None` when it (or the group) does not exist.
///
/// # Errors
/// When the API fails.
pub async fn find_scheduled_action(client: &aws_sdk_autoscaling::Client, asg: &str, name: &str) -> Result<Option<ScheduledAction>, ScheduledActionError> {
    Ok(scheduled_actions_of_group(client, asg).await?.into_iter().find(|a| a.name == name))
}

/// Creates or updates a scheduled action, giving up (`answered: false`) when `cancel` fires or
/// [`SINGLE_CALL_LIMIT`] passes.
///
/// # Errors
/// When AWS refuses it, or gives no answer in time.
pub async fn put_scheduled_action_bounded(
    client: &aws_sdk_autoscaling::Client,
    action: &PutScheduledAction,
    cancel: &CancellationToken,
) -> Result<(), ScheduledActionError> {
    bounded("PutScheduledUpdateGroupAction", SINGLE_CALL_LIMIT, cancel, put_scheduled_action(client, action)).await.unwrap_or_else(|interrupted| {
        Err(ScheduledActionError::Put { asg: action.asg_name.clone(), name: action.name.clone(), message: interrupted.to_string(), answered: false })
    })
}

/// Deletes a scheduled action like [`delete_scheduled_action`], giving up when `cancel` fires or
/// [`SINGLE_CALL_LIMIT`] passes.
///
/// # Errors
/// When the API fails, or gives no answer in time.
pub async fn delete_scheduled_action_bounded(
    client: &aws_sdk_autoscaling::Client,
    asg: &str,
    name: &str,
    cancel: &CancellationToken,
) -> Result<bool, ScheduledActionError> {
    bounded("DeleteScheduledAction", SINGLE_CALL_LIMIT, cancel, delete_scheduled_action(client, asg, name)).await.unwrap_or_else(|interrupted| {
        Err(ScheduledActionError::Delete { asg: asg.to_string(), name: name.to_string(), message: interrupted.to_string() })
    })
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
        .map_err(|err| ScheduledActionError::Put {
            asg: action.asg_name.clone(),
            name: action.name.clone(),
            message: error_text(&err),
            answered: super::answered(&err),
        })
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

    fn mocked_autoscaling(rules: &[&aws_smithy_mocks::Rule]) -> aws_sdk_autoscaling::Client {
        let mut interceptor = aws_smithy_mocks::MockResponseInterceptor::new().rule_mode(aws_smithy_mocks::RuleMode::MatchAny);
        for rule in rules {
            interceptor = interceptor.with_rule(rule);
        }
        aws_sdk_autoscaling::Client::from_conf(
            aws_sdk_autoscaling::Config::builder()
                .behavior_version(aws_sdk_autoscaling::config::BehaviorVersion::latest())
                .region(aws_sdk_autoscaling::config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_autoscaling::config::Credentials::new("a", "b", None, None, "test"))
                .http_client(aws_smithy_mocks::create_mock_http_client())
                .interceptor(interceptor)
                .build(),
        )
    }

    fn sdk_action(group: &str, name: &str) -> ScheduledUpdateGroupAction {
        ScheduledUpdateGroupAction::builder().auto_scaling_group_name(group).scheduled_action_name(name).recurrence("0 8 * * *").build()
    }

    #[tokio::test]
    async fn many_groups_at_once_share_one_region_wide_call() {
        use aws_sdk_autoscaling::operation::describe_scheduled_actions::DescribeScheduledActionsOutput;
        let region_wide = aws_smithy_mocks::mock!(aws_sdk_autoscaling::Client::describe_scheduled_actions)
            .match_requests(|r| r.auto_scaling_group_name().is_none())
            .then_output(|| {
                DescribeScheduledActionsOutput::builder()
                    .set_scheduled_update_group_actions(Some((0..6).map(|i| sdk_action(&format!("g{i}"), "up")).chain([sdk_action("other", "up")]).collect()))
                    .build()
            });
        let reader = ScheduledActionReader::new(mocked_autoscaling(&[&region_wide]));
        let (a, b, c, d, e, f, missing) = tokio::join!(
            reader.find("g0", "up"),
            reader.find("g1", "up"),
            reader.find("g2", "up"),
            reader.find("g3", "up"),
            reader.of_group("g4"),
            reader.find("g5", "down"),
            reader.of_group("absent"),
        );
        assert_eq!(region_wide.num_calls(), 1, "seven concurrent reads, one call");
        assert_eq!(reader.loads(), 1);
        for (found, group) in [(a, "g0"), (b, "g1"), (c, "g2"), (d, "g3")] {
            let found = found.unwrap().unwrap();
            assert_eq!((found.asg_name.as_str(), found.name.as_str()), (group, "up"));
        }
        assert_eq!(e.unwrap().len(), 1, "each group gets its own actions only");
        assert_eq!(f.unwrap(), None);
        assert!(missing.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_few_groups_are_described_one_call_each() {
        use aws_sdk_autoscaling::operation::describe_scheduled_actions::DescribeScheduledActionsOutput;
        let per_group = aws_smithy_mocks::mock!(aws_sdk_autoscaling::Client::describe_scheduled_actions)
            .match_requests(|r| r.auto_scaling_group_name().is_some())
            .sequence()
            .output(|| DescribeScheduledActionsOutput::builder().scheduled_update_group_actions(sdk_action("g0", "up")).build())
            .repeatedly()
            .build();
        let region_wide = aws_smithy_mocks::mock!(aws_sdk_autoscaling::Client::describe_scheduled_actions)
            .match_requests(|r| r.auto_scaling_group_name().is_none())
            .then_output(|| DescribeScheduledActionsOutput::builder().build());
        let reader = ScheduledActionReader::new(mocked_autoscaling(&[&per_group, &region_wide]));
        let (a, b) = tokio::join!(reader.find("g0", "up"), reader.of_group("g0"));
        assert!(a.unwrap().is_some());
        assert_eq!(b.unwrap().len(), 1);
        assert_eq!((per_group.num_calls(), region_wide.num_calls()), (1, 0), "one group asked twice: one filtered call");
        let (c, d) = tokio::join!(reader.of_group("g0"), reader.of_group("g1"));
        assert!(c.is_ok() && d.is_ok());
        assert_eq!((per_group.num_calls(), region_wide.num_calls()), (3, 0), "two groups: two filtered calls");
    }

    #[tokio::test]
    async fn a_failed_shared_call_fails_each_reader_with_its_group() {
        let failing = aws_smithy_mocks::mock!(aws_sdk_autoscaling::Client::describe_scheduled_actions).then_http_response(|| {
            aws_smithy_runtime_api::http::Response::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(400).unwrap(),
                aws_smithy_types::body::SdkBody::from(
                    "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed</Message></Error></ErrorResponse>",
                ),
            )
        });
        let reader = ScheduledActionReader::new(mocked_autoscaling(&[&failing]));
        let err = reader.find("g0", "up").await.unwrap_err().to_string();
        assert!(err.starts_with("reading scheduled actions of Auto Scaling group (g0): "), "{err}");
        assert!(err.contains("AccessDenied"), "{err}");
    }

    #[test]
    fn sizes_outside_i32_are_left_out() {
        assert_eq!(size(Some(3)), Some(3));
        assert_eq!(size(Some(i64::MAX)), None);
        assert_eq!(size(None), None);
    }
}

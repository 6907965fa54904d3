//! Auto Scaling group tags: reading them with DescribeTags (several groups and keys per call,
//! paginated, and coalesced across the concurrent reads of one Terraform run), writing them with
//! CreateOrUpdateTags and removing them with DeleteTags.
//!
//! Reads go through [`TagReader`], which lives in `Clients` so that every resource instance served
//! by one provider process shares it: the instances refreshed together in one `terraform plan`
//! make one DescribeTags call (per page of 100 tags) instead of one each. See [`super::batch`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use aws_sdk_autoscaling::types::{Filter, Tag};

use super::batch::{BatchError, BatchSettings, Batcher};
use super::{error_code, error_text};

/// Tags one Auto Scaling group may hold, counting every tag whoever wrote it.
pub const MAX_TAGS_PER_GROUP: usize = 50;
/// Characters in a tag key.
pub const MAX_KEY_CHARS: usize = 128;
/// Characters in a tag value.
pub const MAX_VALUE_CHARS: usize = 256;
/// Values one DescribeTags filter may list ("the maximum number of filters per filter type (for
/// example, auto-scaling-group) is 1000").
pub const MAX_FILTER_VALUES: usize = 1000;
/// Tags per DescribeTags page: the API's maximum (its default is 50).
const PAGE_SIZE: i32 = 100;
/// Groups per DescribeAutoScalingGroups call: names are limited to the page size.
const GROUPS_PER_DESCRIBE: usize = 50;
/// The resource type every ASG tag is written with.
const RESOURCE_TYPE: &str = "auto-scaling-group";

/// How DescribeTags calls are coalesced. The reads Terraform starts together reach the provider
/// spread over some milliseconds (more on a busy machine: each instance first upgrades its state
/// in a call of its own). A batch is ready 25 ms after the last arrival (at most 250 ms after the
/// first) and closes at once when it names as many groups (or keys) as one filter takes. One
/// call at a time, at most one every 150 ms: the reads arriving meanwhile gather into the next
/// call, and the Auto Scaling API's request rate, shared with the Cluster Autoscaler's own
/// DescribeTags polling, stays low. A lone read pays 25 ms, a fraction of one AWS round trip.
pub const COALESCING: BatchSettings = BatchSettings {
    linger: Duration::from_millis(25),
    max_wait: Duration::from_millis(250),
    max_keys: MAX_FILTER_VALUES,
    max_concurrent_loads: 1,
    min_interval: Duration::from_millis(150),
};

/// One tag of a group, as DescribeTags reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsgTag {
    pub value: String,
    pub propagate_at_launch: bool,
}

/// A group's tags by key.
pub type GroupTags = BTreeMap<String, AsgTag>;
/// Tags by group name, then key.
pub type TagsByGroup = BTreeMap<String, GroupTags>;

/// Errors reading and writing ASG tags.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// DescribeTags failed.
    #[error("describing tags of Auto Scaling groups ({groups}): {message}")]
    Describe { groups: String, message: String },
    /// DescribeAutoScalingGroups failed.
    #[error("describing Auto Scaling groups ({groups}): {message}")]
    DescribeGroups { groups: String, message: String },
    /// CreateOrUpdateTags failed.
    #[error("tagging Auto Scaling group ({group}): {message}")]
    Write { group: String, message: String },
    /// DeleteTags failed.
    #[error("removing tags from Auto Scaling group ({group}): {message}")]
    Remove { group: String, message: String },
}

/// Names a few groups for a message: `a, b, c and 97 more`.
pub fn group_list(groups: &[String]) -> String {
    const SHOWN: usize = 3;
    if groups.len() <= SHOWN + 1 { groups.join(", ") } else { format!("{} and {} more", groups[..SHOWN].join(", "), groups.len() - SHOWN) }
}

/// The tags of `groups` (only those with a key in `keys`, when given), all pages. Lists longer
/// than a filter takes are split over several calls. Groups without such tags, or that do not
/// exist, are absent from the answer.
///
/// # Errors
/// When a DescribeTags call fails.
pub async fn describe_tags(client: &aws_sdk_autoscaling::Client, groups: &[String], keys: Option<&[String]>) -> Result<TagsByGroup, TagError> {
    let mut found = TagsByGroup::new();
    let key_chunks: Vec<Option<&[String]>> = match keys {
        Some([]) => return Ok(found),
        Some(keys) => keys.chunks(MAX_FILTER_VALUES).map(Some).collect(),
        None => vec![None],
    };
    for group_chunk in groups.chunks(MAX_FILTER_VALUES) {
        for key_chunk in &key_chunks {
            let mut filters = vec![Filter::builder().name("auto-scaling-group").set_values(Some(group_chunk.to_vec())).build()];
            if let Some(keys) = key_chunk {
                filters.push(Filter::builder().name("key").set_values(Some(keys.to_vec())).build());
            }
            let mut token: Option<String> = None;
            loop {
                let output = client
                    .describe_tags()
                    .set_filters(Some(filters.clone()))
                    .max_records(PAGE_SIZE)
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|err| TagError::Describe { groups: group_list(group_chunk), message: error_text(&err) })?;
                for tag in output.tags() {
                    if let (Some(group), Some(key)) = (tag.resource_id(), tag.key()) {
                        found.entry(group.to_string()).or_default().insert(
                            key.to_string(),
                            AsgTag { value: tag.value().unwrap_or_default().to_string(), propagate_at_launch: tag.propagate_at_launch().unwrap_or(false) },
                        );
                    }
                }
                match output.next_token() {
                    Some(next) if !next.is_empty() => token = Some(next.to_string()),
                    _ => break,
                }
            }
        }
    }
    Ok(found)
}

/// Which of `groups` exist.
///
/// # Errors
/// When DescribeAutoScalingGroups fails.
pub async fn existing_groups(client: &aws_sdk_autoscaling::Client, groups: &[String]) -> Result<BTreeSet<String>, TagError> {
    let mut found = BTreeSet::new();
    for chunk in groups.chunks(GROUPS_PER_DESCRIBE) {
        let mut token: Option<String> = None;
        loop {
            let output = client
                .describe_auto_scaling_groups()
                .set_auto_scaling_group_names(Some(chunk.to_vec()))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|err| TagError::DescribeGroups { groups: group_list(chunk), message: error_text(&err) })?;
            found.extend(output.auto_scaling_groups().iter().filter_map(|g| g.auto_scaling_group_name().map(str::to_string)));
            match output.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => break,
            }
        }
    }
    Ok(found)
}

/// Writes `tags` (key → value) on `group`, creating or overwriting them.
///
/// # Errors
/// When CreateOrUpdateTags fails (a missing group, a limit).
pub async fn create_or_update_tags(
    client: &aws_sdk_autoscaling::Client,
    group: &str,
    tags: &BTreeMap<String, String>,
    propagate_at_launch: bool,
) -> Result<(), TagError> {
    if tags.is_empty() {
        return Ok(());
    }
    let tags = tags
        .iter()
        .map(|(key, value)| {
            Tag::builder().resource_id(group).resource_type(RESOURCE_TYPE).key(key).value(value).propagate_at_launch(propagate_at_launch).build()
        })
        .collect();
    client
        .create_or_update_tags()
        .set_tags(Some(tags))
        .send()
        .await
        .map(|_| ())
        .map_err(|err| TagError::Write { group: group.to_string(), message: error_text(&err) })
}

/// Removes the tags with `keys` from `group`. A group that no longer exists has no tags to
/// remove: that is success.
///
/// # Errors
/// When DeleteTags fails for another reason.
pub async fn delete_tags(client: &aws_sdk_autoscaling::Client, group: &str, keys: &[String]) -> Result<(), TagError> {
    if keys.is_empty() {
        return Ok(());
    }
    let tags = keys.iter().map(|key| Tag::builder().resource_id(group).resource_type(RESOURCE_TYPE).key(key).build()).collect();
    match client.delete_tags().set_tags(Some(tags)).send().await {
        Ok(_) => Ok(()),
        Err(err) if is_group_not_found(error_code(&err), &error_text(&err)) => Ok(()),
        Err(err) => Err(TagError::Remove { group: group.to_string(), message: error_text(&err) }),
    }
}

/// AWS reports a missing group as a `ValidationError` "AutoScalingGroup name not found - ...".
fn is_group_not_found(code: Option<&str>, text: &str) -> bool {
    code == Some("ValidationError") && text.contains("not found")
}

/// DescribeTags shared by every resource instance of one provider process: concurrent callers'
/// groups (and keys) go into one call. Keep one per autoscaling client, in `Clients`.
pub struct TagReader {
    /// Lookups of given keys on given groups: keyed by (group, tag key).
    with_keys: Batcher<(String, String), AsgTag, TagError>,
    /// Lookups of every tag of given groups: keyed by group.
    all: Batcher<String, GroupTags, TagError>,
}

impl std::fmt::Debug for TagReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TagReader").finish_non_exhaustive()
    }
}

impl TagReader {
    pub fn new(client: aws_sdk_autoscaling::Client) -> Self {
        let keyed_client = client.clone();
        let with_keys = Batcher::new(COALESCING, move |pairs: Vec<(String, String)>| {
            let client = keyed_client.clone();
            async move {
                let groups: Vec<String> = pairs.iter().map(|(g, _)| g.clone()).collect::<BTreeSet<_>>().into_iter().collect();
                let keys: Vec<String> = pairs.iter().map(|(_, k)| k.clone()).collect::<BTreeSet<_>>().into_iter().collect();
                let found = describe_tags(&client, &groups, Some(&keys)).await?;
                // The filters ask for every group × every key; callers asked for pairs, and a
                // pair nobody asked for is simply not handed out.
                let mut answer = HashMap::new();
                for (group, tags) in found {
                    for (key, tag) in tags {
                        answer.insert((group.clone(), key), tag);
                    }
                }
                Ok(answer)
            }
        });
        let all = Batcher::new(COALESCING, move |groups: Vec<String>| {
            let client = client.clone();
            async move { Ok(describe_tags(&client, &groups, None).await?.into_iter().collect()) }
        });
        Self { with_keys, all }
    }

    /// The tags with one of `keys` on each of `groups`; every group is in the answer, with no
    /// tags when it has none of the keys (or does not exist).
    ///
    /// # Errors
    /// When the shared DescribeTags call fails.
    pub async fn tags_with_keys(&self, groups: &[String], keys: &[String]) -> Result<TagsByGroup, TagError> {
        let mut pairs = Vec::with_capacity(groups.len() * keys.len());
        for group in groups {
            pairs.extend(keys.iter().map(|key| (group.clone(), key.clone())));
        }
        let found = self.with_keys.load_many(pairs).await.map_err(|err| flatten(err, groups))?;
        let mut answer: TagsByGroup = groups.iter().map(|g| (g.clone(), GroupTags::new())).collect();
        for ((group, key), tag) in found {
            answer.entry(group).or_default().insert(key, tag);
        }
        Ok(answer)
    }

    /// Every tag of each of `groups`; every group is in the answer, with no tags when it has
    /// none (or does not exist).
    ///
    /// # Errors
    /// When the shared DescribeTags call fails.
    pub async fn all_tags(&self, groups: &[String]) -> Result<TagsByGroup, TagError> {
        let found = self.all.load_many(groups.iter().cloned()).await.map_err(|err| flatten(err, groups))?;
        let mut answer: TagsByGroup = groups.iter().map(|g| (g.clone(), GroupTags::new())).collect();
        answer.extend(found);
        Ok(answer)
    }
}

fn flatten(err: BatchError<TagError>, groups: &[String]) -> TagError {
    match err {
        BatchError::Load(err) => err,
        BatchError::Abandoned => TagError::Describe { groups: group_list(groups), message: "the shared DescribeTags call was abandoned".into() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_group_lists_are_shortened() {
        let names: Vec<String> = (0..10).map(|i| format!("asg-{i}")).collect();
        assert_eq!(group_list(&names[..2]), "asg-0, asg-1");
        assert_eq!(group_list(&names[..4]), "asg-0, asg-1, asg-2, asg-3");
        assert_eq!(group_list(&names), "asg-0, asg-1, asg-2 and 7 more");
    }

    #[test]
    fn missing_group_is_recognised() {
        assert!(is_group_not_found(Some("ValidationError"), "ValidationError: AutoScalingGroup name not found - AutoScalingGroup x not found"));
        assert!(!is_group_not_found(Some("ValidationError"), "1 validation error detected"));
        assert!(!is_group_not_found(Some("Throttling"), "not found"));
    }

    #[test]
    fn coalescing_fits_one_filter() {
        const { assert!(COALESCING.max_keys <= MAX_FILTER_VALUES) };
        assert!(COALESCING.linger < COALESCING.max_wait);
    }
}

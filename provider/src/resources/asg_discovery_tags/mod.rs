//! `autoscale_asg_discovery_tags`: the Cluster Autoscaler's discovery and scale-from-zero
//! (`node-template`) tags on the Auto Scaling groups of an EKS managed node group, or of named ASGs.
//!
//! Why a resource of its own: EKS tags a node group's ASG for discovery but never copies the node
//! group's labels and taints into `node-template` tags (aws/containers-roadmap#608), so a tainted
//! group at zero nodes never scales up; and hand-written per-tag resources need the ASG names at
//! plan time, which they are not. Here the ASGs are looked up from the node group at apply.
//!
//! Ownership. The resource owns only the keys it wrote. It never rewrites or deletes a tag it did
//! not write. A desired tag that is already on the ASG with the same value (the discovery pair EKS
//! writes itself) is *adopted*: kept in `tags`, not rewritten, and left in place on destroy, since
//! it was there before us. Which keys of which ASG were written and which adopted is kept in the
//! resource's private state (JSON, [`Ownership`]); an ASG the resource never wrote to (a node
//! group's replacement ASG before the next apply) has nothing deleted from it.
//!
//! Reads cost one DescribeTags call for all of an instance's ASGs and keys, and that call is
//! shared with the other instances refreshed at the same moment (`Clients::asg_tags`).
//!
//! Layout: this file holds the lifecycle (create and update, read, import, delete) and its tests;
//! the pure parts stand beside it: `schema`, `validation` and `model` (spec, desired tags,
//! ownership, write plan, import reconstruction).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use aws_sdk_eks::types::Nodegroup;
use serde::{Deserialize, Serialize};
use tfplugin::provider::{Context, Plan, Resource, StateResult};
use tfplugin::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::validate::{self, Validator};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Number, Type, Value, timeouts};

use crate::aws::Clients;
use crate::aws::asg_tags::{
    self, AsgTag, GroupTags, MAX_KEY_CHARS, MAX_TAGS_PER_GROUP, MAX_VALUE_CHARS, TagError, TagsByGroup, create_or_update_tags, delete_tags, existing_groups,
};
use crate::aws::node_groups::{NodeGroupLookupError, asg_names, find_node_group};
use crate::aws::wait::{SINGLE_CALL_LIMIT, bounded};
use tokio_util::sync::CancellationToken;

mod model;
mod schema;
mod validation;

use model::*;
use schema::schema;
use validation::*;

/// The resource type.
pub struct AsgDiscoveryTags;

const TYPE_NAME: &str = "autoscale_asg_discovery_tags";

/// Every Cluster Autoscaler tag starts with this.
const CA_PREFIX: &str = "k8s.io/cluster-autoscaler/";
/// Discovery: `enabled = true` plus `<cluster> = owned`.
const DISCOVERY_ENABLED: &str = "k8s.io/cluster-autoscaler/enabled";
const DISCOVERY_OWNED_VALUE: &str = "owned";
const LABEL_PREFIX: &str = "k8s.io/cluster-autoscaler/node-template/label/";
const TAINT_PREFIX: &str = "k8s.io/cluster-autoscaler/node-template/taint/";
const RESOURCE_PREFIX: &str = "k8s.io/cluster-autoscaler/node-template/resources/";
const OPTION_PREFIX: &str = "k8s.io/cluster-autoscaler/node-template/autoscaling-options/";
/// EKS writes this on the ASGs of managed node groups.
const EKS_CLUSTER_TAG: &str = "eks:cluster-name";

/// How a per-group option is typed in the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OptionKind {
    /// A utilization ratio, 0 to 1.
    Ratio,
    /// A Go duration (`10m`, `1h30m`).
    Duration,
    Bool,
}

/// The five per-group options of the Cluster Autoscaler: attribute, tag suffix, type, flag it
/// overrides.
const OPTIONS: [(&str, &str, OptionKind, &str); 5] = [
    ("scale_down_utilization_threshold", "scaledownutilizationthreshold", OptionKind::Ratio, "--scale-down-utilization-threshold"),
    ("scale_down_gpu_utilization_threshold", "scaledowngpuutilizationthreshold", OptionKind::Ratio, "--scale-down-gpu-utilization-threshold"),
    ("scale_down_unneeded_time", "scaledownunneededtime", OptionKind::Duration, "--scale-down-unneeded-time"),
    ("scale_down_unready_time", "scaledownunreadytime", OptionKind::Duration, "--scale-down-unready-time"),
    ("ignore_daemonsets_utilization", "ignoredaemonsetsutilization", OptionKind::Bool, "--ignore-daemonsets-utilization"),
];

/// Taint effects as configuration may spell them (Kubernetes or EKS casing).
const EFFECTS: [&str; 6] = ["NoSchedule", "NoExecute", "PreferNoSchedule", "NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"];

/// Failures talking to AWS, turned into diagnostics at the resource edge.
#[derive(Debug, thiserror::Error)]
enum Error {
    #[error(transparent)]
    NodeGroup(#[from] NodeGroupLookupError),
    #[error(transparent)]
    Tags(#[from] TagError),
    #[error("Auto Scaling group ({0}) not found")]
    GroupNotFound(String),
}

impl Error {
    fn diagnostic(&self, path: Option<AttributePath>) -> Diagnostic {
        let d = Diagnostic::from_error(self);
        match path {
            Some(p) => d.at(p),
            None => d,
        }
    }
}

#[tfplugin::async_trait]
impl Resource for AsgDiscoveryTags {
    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, _ctx: &Context, config: &Value) -> Diagnostics {
        validate_config(config)
    }

    async fn modify_plan(&self, ctx: &Context, plan: &mut Plan) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if plan.planned.is_null() {
            return diags;
        }
        let from_node_group = match plan.config.get("from_node_group") {
            Some(Value::Null) | None => Value::Bool(!plan.config.get("node_group_name").is_none_or(Value::is_null)),
            Some(v) => v.clone(),
        };
        set(&mut plan.planned, "from_node_group", from_node_group);
        let id = planned_id(&plan.planned);
        set(&mut plan.planned, "id", id);
        let Some(spec) = Spec::decode(&plan.planned) else {
            // Something is unknown until apply: so are the ASGs and the tags.
            if plan.is_create() {
                set(&mut plan.planned, "tags", Value::Unknown);
            }
            return diags;
        };
        let clients = match crate::aws::clients(ctx).await {
            Ok(c) => c,
            Err(d) => {
                diags.push(d);
                return diags;
            }
        };

        // The ASGs and, with from_node_group, the node group's labels and taints, when they exist.
        let (groups, template) = match &spec.source {
            Source::Groups(groups) => (Some(groups.clone()), None),
            Source::NodeGroup(node_group) => match find_node_group(&clients.eks, &spec.cluster, node_group).await {
                Ok(Some(group)) => {
                    let mut names = asg_names(&group);
                    names.sort();
                    (if names.is_empty() { None } else { Some(names) }, Some(NodeTemplate::of(&group)))
                }
                // Not there yet (created in this apply): known after apply.
                Ok(None) => (None, None),
                Err(err) => {
                    diags.push(Error::from(err).diagnostic(Some(AttributePath::root("node_group_name"))));
                    return diags;
                }
            },
        };
        match &groups {
            Some(names) if matches!(spec.source, Source::NodeGroup(_)) => set(&mut plan.planned, "asg_names", string_set(names)),
            Some(_) => {}
            None => set(&mut plan.planned, "asg_names", Value::Unknown),
        }
        let desired = if spec.from_node_group { template.as_ref().map(|t| desired_tags(&spec, Some(t))) } else { Some(desired_tags(&spec, None)) };
        let Some((desired, problems)) = desired else {
            set(&mut plan.planned, "tags", Value::Unknown);
            return diags;
        };
        diags.extend(problems);
        set(&mut plan.planned, "tags", string_map(&desired));
        if diags.has_errors() {
            return diags;
        }

        // Only a plan that writes needs the live tags: check limits and foreign tags now, so a
        // bad plan fails before anything is written (apply checks again).
        let changes = plan.is_create()
            || ["tags", "asg_names", "propagate_at_launch"]
                .iter()
                .any(|name| !Value::semantically_equal(plan.prior.get(name).unwrap_or(&Value::Null), plan.planned.get(name).unwrap_or(&Value::Null)));
        let Some(groups) = groups else { return diags };
        if !changes {
            return diags;
        }
        let live = match clients.asg_tags.all_tags(&groups).await {
            Ok(live) => live,
            Err(err) => {
                diags.push(Error::from(err).diagnostic(None));
                return diags;
            }
        };
        let ownership = Ownership::decode(&plan.private);
        for group in &groups {
            let Some(tags) = live.get(group) else { continue };
            // An ASG without any tag may not exist yet (created in the same apply): apply checks.
            if tags.is_empty() {
                continue;
            }
            if let Err(problems) = plan_group(group, &desired, spec.propagate_at_launch, ownership.groups.get(group), tags) {
                diags.extend(problems);
            }
        }
        diags
    }

    async fn create(&self, ctx: &Context, planned: &Value, _config: &Value) -> StateResult {
        let clients = match crate::aws::clients(ctx).await {
            Ok(c) => c,
            Err(d) => return StateResult::failed(Value::Null, d),
        };
        apply(&clients, planned, None, &ctx.cancellation_token()).await
    }

    async fn read(&self, ctx: &Context, state: &Value, private: &[u8]) -> StateResult {
        let clients = match crate::aws::clients(ctx).await {
            Ok(c) => c,
            Err(d) => return StateResult::failed(state.clone(), d).with_private(private.to_vec()),
        };
        // Only an import leaves both the tags and the private state empty: every apply records
        // its ownership.
        if private.is_empty() && state.get("tags").is_none_or(Value::is_null) {
            return read_imported(&clients, state).await;
        }
        read_existing(&clients, state, private).await
    }

    async fn update(&self, ctx: &Context, prior: &Value, planned: &Value, _config: &Value, private: &[u8]) -> StateResult {
        let clients = match crate::aws::clients(ctx).await {
            Ok(c) => c,
            Err(d) => return StateResult::failed(prior.clone(), d).with_private(private.to_vec()),
        };
        apply(&clients, planned, Some(Ownership::decode(private)), &ctx.cancellation_token()).await
    }

    async fn delete(&self, ctx: &Context, prior: &Value, private: &[u8]) -> Diagnostics {
        let clients = match crate::aws::clients(ctx).await {
            Ok(c) => c,
            Err(d) => return d.into(),
        };
        let mut diags = Diagnostics::new();
        let mut ownership = Ownership::decode(private);
        if ownership.groups.is_empty() {
            ownership = inferred_ownership(prior);
        }
        // Only what this resource wrote goes; adopted tags (EKS's discovery pair) and ASGs it
        // never wrote to are left alone.
        for (group, owned) in &ownership.groups {
            let keys: Vec<String> = owned.written.iter().cloned().collect();
            if let Err(err) = delete_tags_bounded(&clients, group, &keys, &ctx.cancellation_token()).await {
                diags.push(Error::from(err).diagnostic(None));
            }
        }
        diags
    }

    async fn import(&self, _ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        let mut state = tfplugin::provider::import_passthrough(&self.schema(), "id", id);
        match parse_import_id(id) {
            Ok(ImportId::NodeGroup { cluster, node_group }) => {
                set(&mut state, "cluster_name", Value::from(cluster));
                set(&mut state, "node_group_name", Value::from(node_group));
            }
            Ok(ImportId::Groups(groups)) => set(&mut state, "asg_names", string_set(&groups)),
            Err(message) => return Err(Diagnostic::error("Invalid import id", message).into()),
        }
        Ok(state)
    }
}


// ---------------------------------------------------------------------------------------------
// Create and update
// ---------------------------------------------------------------------------------------------

/// Writes the planned tags: resolves the ASGs, checks everything against the live tags, then
/// writes and removes. `prior` is the ownership before an update (`None` on create).
async fn apply(clients: &Clients, planned: &Value, prior: Option<Ownership>, cancel: &CancellationToken) -> StateResult {
    let is_create = prior.is_none();
    let prior = prior.unwrap_or_default();
    let fail = |diags: Diagnostics| {
        if is_create { StateResult::failed(Value::Null, diags) } else { StateResult::failed(Value::Null, diags).with_private(prior.encode()) }
    };
    let Some(spec) = Spec::decode(planned) else {
        return fail(Diagnostic::error("Provider bug", "the planned configuration still holds unknown values at apply").into());
    };
    let (groups, template) = match resolve_groups(clients, &spec).await {
        Ok(found) => found,
        Err(d) => return fail(d.into()),
    };
    let (desired, problems) = desired_tags(&spec, template.as_ref());
    if problems.has_errors() {
        return fail(problems);
    }
    let live = match clients.asg_tags.all_tags(&groups).await {
        Ok(live) => live,
        Err(err) => return fail(Error::from(err).diagnostic(None).into()),
    };
    // A group with no tags at all may not exist: make sure before writing anything.
    let untagged: Vec<String> = groups.iter().filter(|g| live.get(*g).is_none_or(BTreeMap::is_empty)).cloned().collect();
    if !untagged.is_empty() {
        match existing_groups(&clients.autoscaling, &untagged).await {
            Ok(existing) => {
                if let Some(missing) = untagged.iter().find(|g| !existing.contains(*g)) {
                    return fail(Error::GroupNotFound(missing.clone()).diagnostic(Some(AttributePath::root("asg_names"))).into());
                }
            }
            Err(err) => return fail(Error::from(err).diagnostic(None).into()),
        }
    }
    let mut plans = Vec::new();
    let mut diags = problems;
    for group in &groups {
        let tags = live.get(group).cloned().unwrap_or_default();
        match plan_group(group, &desired, spec.propagate_at_launch, prior.groups.get(group), &tags) {
            Ok(p) => plans.push(p),
            Err(problems) => diags.extend(problems),
        }
    }
    if diags.has_errors() {
        return fail(diags);
    }

    // Everything checked: write. ASGs no longer covered lose what this resource wrote there.
    let mut ownership = prior.clone();
    for (group, owned) in &prior.groups {
        if groups.contains(group) {
            continue;
        }
        let keys: Vec<String> = owned.written.iter().cloned().collect();
        if let Err(err) = delete_tags_bounded(clients, group, &keys, cancel).await {
            diags.push(Error::from(err).diagnostic(None));
            return written_so_far(planned, &spec, &groups, &desired, ownership, diags);
        }
        ownership.groups.remove(group);
    }
    for p in plans {
        if let Err(err) = delete_tags_bounded(clients, &p.group, &p.remove, cancel).await {
            diags.push(Error::from(err).diagnostic(None));
            return written_so_far(planned, &spec, &groups, &desired, ownership, diags);
        }
        let written = bounded("CreateOrUpdateTags", SINGLE_CALL_LIMIT, cancel, create_or_update_tags(&clients.autoscaling, &p.group, &p.write, spec.propagate_at_launch))
            .await
            .unwrap_or_else(|interrupted| Err(TagError::Write { group: p.group.clone(), message: interrupted.to_string() }));
        if let Err(err) = written {
            // Keys written before a failure, or by a call whose answer was lost, may be there:
            // count them as ours, so the re-run (which replaces this tainted resource) removes
            // and rewrites them as written, never adopts them as someone else's.
            let entry = ownership.groups.entry(p.group.clone()).or_default();
            entry.written.extend(p.write.keys().cloned());
            diags.push(Error::from(err).diagnostic(None));
            return written_so_far(planned, &spec, &groups, &desired, ownership, diags);
        }
        ownership.groups.insert(p.group.clone(), p.ownership);
    }
    StateResult::ok(final_state(planned, &spec, &groups, &desired)).with_private(ownership.encode())
}

/// The ownership of a state that arrives without its record. Terraform plans the replacement of
/// a tainted object like a new object, without the prior private state, so the delete half of
/// that replacement gets none: a create that failed after writing (its answer lost, say) would
/// otherwise delete nothing, and the re-create would find its own tags and adopt them. Every tag
/// in the state counts as written, except the discovery pair (`enabled` and `<cluster>`), which
/// EKS writes itself and which is kept as adopted — as on import, minus the check that the ASG is
/// EKS's, which needs the endpoint the delete may not reach. (A tag someone else had set to the
/// very value wanted before the failed create is removed too, and written back by the re-create.)
fn inferred_ownership(prior: &Value) -> Ownership {
    let keys: BTreeSet<String> = string_pairs(prior.get("tags")).into_keys().collect();
    let is_discovery = |key: &str| key == DISCOVERY_ENABLED || key.strip_prefix(CA_PREFIX).is_some_and(|rest| !rest.contains('/'));
    let (adopted, written): (BTreeSet<String>, BTreeSet<String>) = keys.into_iter().partition(|k| is_discovery(k));
    let mut ownership = Ownership::default();
    for group in strings(prior.get("asg_names")) {
        ownership.groups.insert(group, GroupOwnership { written: written.clone(), adopted: adopted.clone() });
    }
    ownership
}

/// DeleteTags, given up when `cancel` fires or [`SINGLE_CALL_LIMIT`] passes.
async fn delete_tags_bounded(clients: &Clients, group: &str, keys: &[String], cancel: &CancellationToken) -> Result<(), TagError> {
    bounded("DeleteTags", SINGLE_CALL_LIMIT, cancel, delete_tags(&clients.autoscaling, group, keys))
        .await
        .unwrap_or_else(|interrupted| Err(TagError::Remove { group: group.to_string(), message: interrupted.to_string() }))
}

/// A failure after some ASGs were written: the object exists, so the state says what it manages
/// and the ownership records what was written; the next refresh shows what is missing.
fn written_so_far(
    planned: &Value,
    spec: &Spec,
    groups: &[String],
    desired: &BTreeMap<String, String>,
    ownership: Ownership,
    diags: Diagnostics,
) -> StateResult {
    StateResult::failed(final_state(planned, spec, groups, desired), diags).with_private(ownership.encode())
}

fn final_state(planned: &Value, spec: &Spec, groups: &[String], desired: &BTreeMap<String, String>) -> Value {
    let mut state = planned.clone();
    set(&mut state, "id", Value::from(spec.id()));
    set(&mut state, "asg_names", string_set(groups));
    set(&mut state, "from_node_group", Value::Bool(spec.from_node_group));
    set(&mut state, "tags", string_map(desired));
    state
}

/// The ASGs to tag and, with `from_node_group`, the node group's template.
async fn resolve_groups(clients: &Clients, spec: &Spec) -> Result<(Vec<String>, Option<NodeTemplate>), Diagnostic> {
    match &spec.source {
        Source::Groups(groups) => Ok((groups.clone(), None)),
        Source::NodeGroup(node_group) => {
            let path = Some(AttributePath::root("node_group_name"));
            let group =
                find_node_group(&clients.eks, &spec.cluster, node_group).await.map_err(|e| Error::from(e).diagnostic(path.clone()))?.ok_or_else(|| {
                    Error::from(NodeGroupLookupError::NotFound { cluster: spec.cluster.clone(), node_group: node_group.clone() }).diagnostic(path.clone())
                })?;
            let mut names = asg_names(&group);
            names.sort();
            if names.is_empty() {
                let status = group.status().map(|s| s.as_str().to_string()).unwrap_or_else(|| "unknown".into());
                return Err(Error::from(NodeGroupLookupError::NoAutoScalingGroup { cluster: spec.cluster.clone(), node_group: node_group.clone(), status })
                    .diagnostic(path));
            }
            Ok((names, spec.from_node_group.then(|| NodeTemplate::of(&group))))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Read
// ---------------------------------------------------------------------------------------------

/// Refreshes a managed instance: the ASGs (a node group's may have been replaced) and the values
/// of the keys it manages, in one (shared) DescribeTags call.
async fn read_existing(clients: &Clients, state: &Value, private: &[u8]) -> StateResult {
    let keep = |diags: Diagnostics| StateResult::failed(state.clone(), diags).with_private(private.to_vec());
    let cluster = text(state, "cluster_name").unwrap_or_default();
    let groups = match text(state, "node_group_name") {
        Some(node_group) => match find_node_group(&clients.eks, &cluster, &node_group).await {
            Ok(Some(group)) => {
                let mut names = asg_names(&group);
                names.sort();
                names
            }
            Ok(None) => return gone(format!("The node group ({cluster}:{node_group}) no longer exists; its tags went with its Auto Scaling groups.")),
            Err(err) => return keep(Error::from(err).diagnostic(None).into()),
        },
        None => strings(state.get("asg_names")),
    };
    let prior_tags = string_pairs(state.get("tags"));
    let keys: Vec<String> = prior_tags.keys().cloned().collect();
    let live = match clients.asg_tags.tags_with_keys(&groups, &keys).await {
        Ok(live) => live,
        Err(err) => return keep(Error::from(err).diagnostic(None).into()),
    };
    let mut groups = groups;
    if state.get("node_group_name").is_none_or(Value::is_null) {
        // Named ASGs: one that answered with none of our keys may be gone.
        let quiet: Vec<String> = groups.iter().filter(|g| live.get(*g).is_none_or(BTreeMap::is_empty)).cloned().collect();
        if !quiet.is_empty() {
            match existing_groups(&clients.autoscaling, &quiet).await {
                Ok(existing) => groups.retain(|g| !quiet.contains(g) || existing.contains(g)),
                Err(err) => return keep(Error::from(err).diagnostic(None).into()),
            }
        }
        if groups.is_empty() {
            return gone(format!("None of the Auto Scaling groups ({}) exists any more.", asg_tags::group_list(&strings(state.get("asg_names")))));
        }
    }
    let ownership = Ownership::decode(private);
    let propagate = state.get("propagate_at_launch").and_then(Value::as_bool).unwrap_or(false);
    let (tags, propagate) = observed(&prior_tags, &groups, &live, &ownership, propagate);
    let mut new_state = state.clone();
    set(&mut new_state, "asg_names", string_set(&groups));
    set(&mut new_state, "tags", string_map(&tags));
    set(&mut new_state, "propagate_at_launch", Value::Bool(propagate));
    StateResult::ok(new_state).with_private(private.to_vec())
}

fn gone(why: String) -> StateResult {
    let mut diags = Diagnostics::new();
    diags.warning(format!("{TYPE_NAME} removed from state"), why);
    StateResult { state: Value::Null, private: Vec::new(), diags }
}

/// Builds the state of a freshly imported instance from the tags on its ASGs: every Cluster
/// Autoscaler tag the ASGs share becomes managed; the discovery pair on an ASG EKS manages
/// (tagged `eks:cluster-name`) is recorded as adopted, since EKS wrote it.
async fn read_imported(clients: &Clients, state: &Value) -> StateResult {
    let fail = |d: Diagnostic| StateResult::failed(Value::Null, d);
    let node_group = text(state, "node_group_name");
    let mut cluster = text(state, "cluster_name");
    let (groups, template) = match (&node_group, &cluster) {
        (Some(node_group), Some(cluster)) => match find_node_group(&clients.eks, cluster, node_group).await {
            Ok(Some(group)) => {
                let mut names = asg_names(&group);
                names.sort();
                (names, Some(NodeTemplate::of(&group)))
            }
            Ok(None) => return fail(Error::from(NodeGroupLookupError::NotFound { cluster: cluster.clone(), node_group: node_group.clone() }).diagnostic(None)),
            Err(err) => return fail(Error::from(err).diagnostic(None)),
        },
        _ => (strings(state.get("asg_names")), None),
    };
    if groups.is_empty() {
        return fail(Diagnostic::error("Nothing to import", "The import id names no Auto Scaling group."));
    }
    match existing_groups(&clients.autoscaling, &groups).await {
        Ok(existing) => {
            if let Some(missing) = groups.iter().find(|g| !existing.contains(*g)) {
                return fail(Error::GroupNotFound(missing.clone()).diagnostic(None));
            }
        }
        Err(err) => return fail(Error::from(err).diagnostic(None)),
    }
    let live = match clients.asg_tags.all_tags(&groups).await {
        Ok(live) => live,
        Err(err) => return fail(Error::from(err).diagnostic(None)),
    };
    if cluster.is_none() {
        cluster = cluster_of(&groups, &live);
    }
    let Some(cluster) = cluster else {
        return fail(Diagnostic::error(
            "Cannot tell the cluster",
            format!(
                "None of the Auto Scaling groups ({}) carries `{EKS_CLUSTER_TAG}` or a `{CA_PREFIX}<cluster> = owned` tag, so the \
                 cluster is unknown. Import with the node group instead (`cluster_name:node_group_name`), or create the resource.",
                asg_tags::group_list(&groups)
            ),
        ));
    };
    let imported = reconstruct(&cluster, &groups, &live, template.as_ref());
    let id = match &node_group {
        Some(node_group) => format!("{cluster}:{node_group}"),
        None => imported.spec.id(),
    };
    let mut new_state = state.clone();
    set(&mut new_state, "id", Value::from(id));
    set(&mut new_state, "cluster_name", Value::from(cluster));
    set(&mut new_state, "asg_names", string_set(&groups));
    set(&mut new_state, "from_node_group", Value::Bool(imported.spec.from_node_group));
    set(&mut new_state, "labels", optional_map(&imported.spec.labels));
    set(&mut new_state, "resources", optional_map(&imported.spec.resources));
    set(&mut new_state, "discovery", Value::Bool(imported.spec.discovery));
    set(&mut new_state, "propagate_at_launch", Value::Bool(imported.spec.propagate_at_launch));
    set(&mut new_state, "tags", string_map(&imported.tags));
    set(
        &mut new_state,
        "taint",
        Value::List(
            imported
                .spec
                .taints
                .iter()
                .map(|t| {
                    Value::object([
                        ("key", Value::from(t.key.clone())),
                        ("value", if t.value.is_empty() { Value::Null } else { Value::from(t.value.clone()) }),
                        ("effect", Value::from(t.effect)),
                    ])
                })
                .collect(),
        ),
    );
    set(&mut new_state, "autoscaling_options", imported.options);
    StateResult::ok(new_state).with_private(imported.ownership.encode())
}

// ---------------------------------------------------------------------------------------------
// Import ids
// ---------------------------------------------------------------------------------------------

#[derive(Debug, PartialEq, Eq)]
enum ImportId {
    NodeGroup { cluster: String, node_group: String },
    Groups(Vec<String>),
}

fn parse_import_id(id: &str) -> Result<ImportId, String> {
    let usage = "Use `cluster_name:node_group_name` or `asg:<name>[,<name>...]`.";
    if let Some(list) = id.strip_prefix("asg:") {
        let mut groups: Vec<String> = list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
        groups.sort();
        groups.dedup();
        if groups.is_empty() {
            return Err(format!("{id:?} names no Auto Scaling group. {usage}"));
        }
        return Ok(ImportId::Groups(groups));
    }
    match id.split_once(':') {
        Some((cluster, node_group)) if !cluster.is_empty() && !node_group.is_empty() && !node_group.contains(':') => {
            Ok(ImportId::NodeGroup { cluster: cluster.to_string(), node_group: node_group.to_string() })
        }
        _ => Err(format!("{id:?} is not an import id of {TYPE_NAME}. {usage}")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    pub(super) fn tag(value: &str, propagate: bool) -> AsgTag {
        AsgTag { value: value.into(), propagate_at_launch: propagate }
    }

    pub(super) fn pairs(items: &[(&str, &str)]) -> BTreeMap<String, String> {
        items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    pub(super) fn spec() -> Spec {
        Spec {
            cluster: "c1".into(),
            source: Source::NodeGroup("spot".into()),
            from_node_group: true,
            labels: BTreeMap::new(),
            taints: Vec::new(),
            resources: BTreeMap::new(),
            options: BTreeMap::new(),
            discovery: true,
            propagate_at_launch: false,
        }
    }

    pub(super) fn template() -> NodeTemplate {
        NodeTemplate {
            labels: pairs(&[("role", "batch"), ("team", "data")]),
            taints: vec![Taint { key: "workload".into(), value: "batch".into(), effect: kubernetes_effect("NO_SCHEDULE").unwrap() }],
        }
    }

    pub(super) fn paths(diags: &Diagnostics) -> Vec<String> {
        diags.iter().filter_map(|d| d.path.as_ref().map(ToString::to_string)).collect()
    }

    #[test]
    fn a_state_without_its_ownership_record_owns_all_but_the_discovery_pair() {
        // What Terraform hands the delete half of a tainted object's replacement.
        let prior = Value::object([
            ("asg_names", Value::List(vec![Value::from("eks-a"), Value::from("eks-b")])),
            (
                "tags",
                string_map(&BTreeMap::from([
                    ("k8s.io/cluster-autoscaler/enabled".to_string(), "true".to_string()),
                    ("k8s.io/cluster-autoscaler/c1".to_string(), "owned".to_string()),
                    ("k8s.io/cluster-autoscaler/node-template/label/workload".to_string(), "batch".to_string()),
                    ("k8s.io/cluster-autoscaler/node-template/resources/ephemeral-storage".to_string(), "100G".to_string()),
                ])),
            ),
        ]);
        let ownership = inferred_ownership(&prior);
        assert_eq!(ownership.groups.keys().collect::<Vec<_>>(), ["eks-a", "eks-b"]);
        let owned = &ownership.groups["eks-a"];
        assert_eq!(
            owned.written.iter().map(String::as_str).collect::<Vec<_>>(),
            ["k8s.io/cluster-autoscaler/node-template/label/workload", "k8s.io/cluster-autoscaler/node-template/resources/ephemeral-storage"]
        );
        assert_eq!(owned.adopted.iter().map(String::as_str).collect::<Vec<_>>(), ["k8s.io/cluster-autoscaler/c1", "k8s.io/cluster-autoscaler/enabled"]);
        assert!(inferred_ownership(&Value::Null).groups.is_empty());
    }

    #[test]
    fn import_ids() {
        assert_eq!(parse_import_id("c1:spot"), Ok(ImportId::NodeGroup { cluster: "c1".into(), node_group: "spot".into() }));
        assert_eq!(parse_import_id("asg:b, a,a"), Ok(ImportId::Groups(vec!["a".into(), "b".into()])));
        for bad in ["c1", "c1:", ":spot", "asg:", "a:b:c"] {
            assert!(parse_import_id(bad).is_err(), "{bad}");
        }
    }

    pub(super) fn config(extra: &[(&str, Value)]) -> Value {
        let mut fields: BTreeMap<String, Value> = schema().block.attributes.iter().map(|a| (a.name.clone(), Value::Null)).collect();
        fields.insert("taint".into(), Value::List(Vec::new()));
        fields.insert("autoscaling_options".into(), Value::Null);
        fields.insert("cluster_name".into(), Value::from("c1"));
        for (k, v) in extra {
            fields.insert(k.to_string(), v.clone());
        }
        Value::Object(fields)
    }
}

//! `autoscale_spot_node_group`: an EKS managed node group on Spot (or On-Demand) capacity, made
//! for the Cluster Autoscaler.
//!
//! Two choices differ from the AWS provider's `aws_eks_node_group`, both on purpose:
//! - `desired_size_policy = "initial"` (the default) hands the live desired size to the
//!   autoscaler after create. State keeps the *configured* `scaling.desired_size` while
//!   `current_desired_size` reports the live one, so the autoscaler moving the size inside
//!   `[min_size, max_size]` is never a diff and never reset. When `min_size` / `max_size` change,
//!   the update sends the live size clamped into the new range in the same UpdateNodegroupConfig
//!   call, so AWS's "Minimum capacity X can't be greater than desired size Y" cannot happen.
//!   `"enforce"` makes Terraform own the desired size like any other argument.
//! - Read refreshes every argument from DescribeNodegroup, so drift shows for all of them.
//!   Optional blocks left out of the configuration (`update_config`) are not managed and stay
//!   out of state.
//!
//! Layout: schema, validation, plan, create, read, update, delete, import; then the pure
//! functions (expand, flatten, diffs, checks) and unit tests.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_eks::types::{
    AmiTypes, CapacityTypes, LaunchTemplateSpecification, Nodegroup, NodegroupScalingConfig, NodegroupUpdateConfig, Taint, TaintEffect,
    UpdateLabelsPayload, UpdateTaintsPayload,
};
use serde::{Deserialize, Serialize};
use tfplugin::provider::{Context, Plan, Resource, StateResult};
use tfplugin::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::value::{Type, Value, from_value, to_value};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, timeouts, validate};

use crate::aws::Clients;
use crate::aws::eks::{
    self, ConfigChange, EksError, NODE_GROUP_CREATE_TIMEOUT, NODE_GROUP_DELETE_TIMEOUT, NODE_GROUP_UPDATE_TIMEOUT, NewNodeGroup, VersionChange,
    node_group_id,
};
use crate::aws::node_groups::{asg_names, find_node_group};
use crate::aws::wait::{AFTER_FAILURE_LOOKUP_LIMIT, Deadline, Interrupted, SINGLE_CALL_LIMIT, WaitError, bounded, within};
use crate::instance_types;

/// The resource type name.
pub const TYPE_NAME: &str = "autoscale_spot_node_group";

/// AWS's limit on taints per node group.
const MAX_TAINTS: usize = 50;
/// AWS's limit on tags per resource.
const MAX_TAGS: usize = 50;
/// Longest node group name EKS accepts.
const MAX_NAME_LENGTH: usize = 63;
/// Characters a generated name adds after `node_group_name_prefix`.
const GENERATED_SUFFIX_LENGTH: usize = 26;
/// Prefix of names generated when neither a name nor a prefix is configured.
const DEFAULT_NAME_PREFIX: &str = "terraform-";
/// Node group names: a letter or digit, then letters, digits, `-` and `_`.
const NAME_PATTERN: &str = "^[0-9A-Za-z][A-Za-z0-9\\-_]*$";
/// The detail of a create whose answer never came.
const UNANSWERED_CREATE: &str = "No answer came back, so AWS may have created the node group all the same. Nothing is in state \
     for it: the next apply sends the same request with the same idempotency token, and EKS answers with the node group \
     this run created (it is adopted, not created twice) or creates it if this request never arrived.";
/// What EKS reports as `updateConfig` when none was given; not written to state on import.
const DEFAULT_MAX_UNAVAILABLE: i64 = 1;

/// The resource.
pub struct SpotNodeGroup;

/// Who owns the live desired size after create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DesiredSizePolicy {
    /// Set at create; afterwards the autoscaler's, moved only into a new `[min, max]`.
    Initial,
    /// Terraform's: drift shows and apply resets it.
    Enforce,
}

impl DesiredSizePolicy {
    fn of(model: &NodeGroupModel) -> Self {
        match model.desired_size_policy.as_deref() {
            Some("enforce") => Self::Enforce,
            _ => Self::Initial,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Models: field names match the schema.
// ---------------------------------------------------------------------------------------------

/// The resource's state and plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct NodeGroupModel {
    id: Option<String>,
    cluster_name: Option<String>,
    node_group_name: Option<String>,
    node_group_name_prefix: Option<String>,
    node_role_arn: Option<String>,
    subnet_ids: Option<Vec<String>>,
    instance_types: Option<Vec<String>>,
    capacity_type: Option<String>,
    ami_type: Option<String>,
    disk_size: Option<i64>,
    version: Option<String>,
    release_version: Option<String>,
    force_update_version: Option<bool>,
    launch_template: Option<LaunchTemplateModel>,
    scaling: Option<ScalingModel>,
    desired_size_policy: Option<String>,
    update_config: Option<UpdateConfigModel>,
    labels: Option<BTreeMap<String, String>>,
    taint: Option<Vec<TaintModel>>,
    tags: Option<BTreeMap<String, String>>,
    timeouts: Value,
    arn: Option<String>,
    status: Option<String>,
    asg_names: Option<Vec<String>>,
    current_desired_size: Option<i64>,
}

/// `scaling { ... }` (AWS: `scalingConfig`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct ScalingModel {
    min_size: Option<i64>,
    max_size: Option<i64>,
    desired_size: Option<i64>,
}

/// `launch_template { ... }`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct LaunchTemplateModel {
    id: Option<String>,
    name: Option<String>,
    version: Option<String>,
}

/// `update_config { ... }`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct UpdateConfigModel {
    max_unavailable: Option<i64>,
    max_unavailable_percentage: Option<i64>,
}

/// One `taint { ... }` block.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct TaintModel {
    key: String,
    value: Option<String>,
    effect: String,
}

impl NodeGroupModel {
    /// `(cluster, node group)`, from the attributes or, right after import, from the id.
    fn names(&self) -> Option<(String, String)> {
        match (&self.cluster_name, &self.node_group_name) {
            (Some(cluster), Some(name)) => Some((cluster.clone(), name.clone())),
            _ => self.id.as_deref().and_then(|id| parse_import_id(id).ok()),
        }
    }

    fn timeout(&self, operation: &str, default: Duration) -> Duration {
        timeouts::get(&Value::object([("timeouts", self.timeouts.clone())]), operation, default)
    }
}

fn model_of(value: &Value) -> Result<NodeGroupModel, Diagnostic> {
    from_value(value).map_err(|e| Diagnostic::error("Provider bug", format!("{TYPE_NAME}: reading the object failed: {e}")))
}

fn value_of(model: &NodeGroupModel) -> Result<Value, Diagnostic> {
    to_value(model).map_err(|e| Diagnostic::error("Provider bug", format!("{TYPE_NAME}: writing the object failed: {e}")))
}

async fn clients(ctx: &Context) -> Result<Arc<Clients>, Diagnostic> {
    crate::aws::clients(ctx).await
}

// ---------------------------------------------------------------------------------------------
// The resource
// ---------------------------------------------------------------------------------------------

#[tfplugin::async_trait]
impl Resource for SpotNodeGroup {
    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, _ctx: &Context, config: &Value) -> Diagnostics {
        validate_node_group(config)
    }

    async fn modify_plan(&self, _ctx: &Context, plan: &mut Plan) -> Diagnostics {
        if plan.is_create() || plan.planned.is_null() {
            return Diagnostics::new();
        }
        plan_version_fields(plan);
        // A launch template added or removed: EKS cannot switch an existing group.
        let had = plan.prior.get("launch_template").is_some_and(|v| !v.is_null());
        let has = plan.planned.get("launch_template").is_some_and(|v| !v.is_null());
        if had != has {
            plan.requires_replace.push(AttributePath::root("launch_template"));
        }
        Diagnostics::new()
    }

    async fn create(&self, ctx: &Context, planned: &Value, _config: &Value) -> StateResult {
        let (clients, model) = match (clients(ctx).await, model_of(planned)) {
            (Ok(c), Ok(m)) => (c, m),
            (Err(d), _) | (_, Err(d)) => return StateResult::failed(Value::Null, d),
        };
        let name = match (&model.node_group_name, &model.node_group_name_prefix) {
            (Some(name), _) => name.clone(),
            (None, Some(prefix)) => generated_name(prefix),
            (None, None) => generated_name(DEFAULT_NAME_PREFIX),
        };
        let spec = match new_node_group(&model, &name) {
            Ok(spec) => spec,
            Err(d) => return StateResult::failed(Value::Null, d),
        };
        let cluster = spec.cluster_name.clone();
        let id = node_group_id(&cluster, &name);
        // The create timeout bounds the whole create: the call, then the wait for ACTIVE.
        let timeout = model.timeout("create", NODE_GROUP_CREATE_TIMEOUT);
        let deadline = Deadline::after(timeout);
        let cancel = ctx.cancellation_token();
        // The same request sends the same token on every run: a re-run after a lost response
        // adopts the node group the first run created (see `create_token`).
        let token = eks::create_token(&spec);
        let created = match bounded("CreateNodegroup", deadline.remaining(), &cancel, eks::create_node_group(&clients.eks, &spec, &token)).await {
            Ok(Ok(group)) => group,
            Ok(Err(err @ EksError::Create { answered: false, .. })) => {
                return StateResult::failed(Value::Null, Diagnostic::error(err.to_string(), UNANSWERED_CREATE));
            }
            Ok(Err(err)) => return StateResult::failed(Value::Null, Diagnostic::from_error(&err)),
            Err(interrupted) => {
                let hint = match interrupted {
                    Interrupted::TimedOut { .. } => " A longer `timeouts { create }` gives it more time.",
                    Interrupted::Cancelled { .. } => "",
                };
                return StateResult::failed(
                    Value::Null,
                    Diagnostic::error(format!("creating EKS Node Group ({id}): {interrupted}"), format!("{UNANSWERED_CREATE}{hint}")),
                );
            }
        };
        // From here on the node group exists: every path returns it.
        let base = NodeGroupModel { node_group_name: Some(name.clone()), ..model.clone() };
        match eks::wait_node_group_active(&clients.eks, &cluster, &name, deadline.remaining(), &cancel).await {
            Ok(group) => state_result(&flatten(&group, &base), Diagnostics::new()),
            Err(WaitError::Failed(EksError::CreateFailed { id, issues, node_group })) => state_result(
                &flatten(&node_group, &base),
                Diagnostic::error(
                    format!("creating EKS Node Group ({id}): status CREATE_FAILED"),
                    format!(
                        "Health issues: {issues}.\n\nThe node group exists and is kept in state as tainted: the next apply replaces it. \
                         Fix the cause (subnets, IAM role, instance availability) first."
                    ),
                )
                .into(),
            ),
            Err(WaitError::Failed(err @ EksError::Vanished { .. })) => StateResult::failed(Value::Null, Diagnostic::from_error(&err)),
            Err(err) => {
                // Timed out, stopped, or the API failed: record what exists, tainted. The lookup
                // is short: the endpoint may be the thing that failed, and after Ctrl-C Terraform
                // is waiting to exit.
                let latest = within("DescribeNodegroup", AFTER_FAILURE_LOOKUP_LIMIT, find_node_group(&clients.eks, &cluster, &name))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .flatten()
                    .unwrap_or(created);
                let hint = match err {
                    WaitError::Timeout { .. } => " A longer `timeouts { create }` avoids this.",
                    _ => "",
                };
                state_result(
                    &flatten(&latest, &base),
                    Diagnostic::error(
                        format!("creating EKS Node Group ({id}): {err}"),
                        format!(
                            "The node group was created but is not ACTIVE yet. It is kept in state as tainted, so nothing is \
                             orphaned: the next apply replaces it, or run `terraform untaint` once it is ACTIVE.{hint}"
                        ),
                    )
                    .into(),
                )
            }
        }
    }

    async fn read(&self, ctx: &Context, state: &Value, _private: &[u8]) -> StateResult {
        let (clients, model) = match (clients(ctx).await, model_of(state)) {
            (Ok(c), Ok(m)) => (c, m),
            (Err(d), _) | (_, Err(d)) => return StateResult::failed(Value::Null, d),
        };
        let Some((cluster, name)) = model.names() else {
            return StateResult::failed(Value::Null, Diagnostic::error("Provider bug", format!("{TYPE_NAME}: the state names no node group")));
        };
        match find_node_group(&clients.eks, &cluster, &name).await {
            Ok(Some(group)) => state_result(&flatten(&group, &model), Diagnostics::new()),
            Ok(None) => StateResult::ok(Value::Null),
            Err(err) => StateResult::failed(Value::Null, Diagnostic::from_error(&err)),
        }
    }

    async fn update(&self, ctx: &Context, prior: &Value, planned: &Value, _config: &Value, _private: &[u8]) -> StateResult {
        let (clients, prior_model, model) = match (clients(ctx).await, model_of(prior), model_of(planned)) {
            (Ok(c), Ok(p), Ok(m)) => (c, p, m),
            (Err(d), _, _) | (_, Err(d), _) | (_, _, Err(d)) => return StateResult::failed(prior.clone(), d),
        };
        let Some((cluster, name)) = prior_model.names() else {
            return StateResult::failed(prior.clone(), Diagnostic::error("Provider bug", format!("{TYPE_NAME}: the state names no node group")));
        };
        let id = node_group_id(&cluster, &name);
        let mut diags = Diagnostics::new();
        if let Err(err) = apply_update(ctx, &clients, &cluster, &name, &prior_model, &model).await {
            diags.push(Diagnostic::from_error(&err));
        }
        // Even after a failure: what did change is recorded, what did not shows again in the plan.
        // After a failure the lookup is short (the endpoint may be what failed).
        let limit = if diags.has_errors() { AFTER_FAILURE_LOOKUP_LIMIT } else { SINGLE_CALL_LIMIT };
        match within("DescribeNodegroup", limit, find_node_group(&clients.eks, &cluster, &name)).await {
            Ok(Ok(Some(group))) => state_result(&flatten(&group, &model), diags),
            Ok(Ok(None)) => {
                diags.error(format!("updating EKS Node Group ({id})"), "The node group disappeared during the update.");
                StateResult::failed(prior.clone(), diags)
            }
            Ok(Err(err)) => {
                diags.push(Diagnostic::from_error(&err));
                StateResult::failed(prior.clone(), diags)
            }
            Err(interrupted) => {
                diags.error(format!("reading EKS Node Group ({id}) after the update"), interrupted.to_string());
                StateResult::failed(prior.clone(), diags)
            }
        }
    }

    async fn delete(&self, ctx: &Context, prior: &Value, _private: &[u8]) -> Diagnostics {
        let (clients, model) = match (clients(ctx).await, model_of(prior)) {
            (Ok(c), Ok(m)) => (c, m),
            (Err(d), _) | (_, Err(d)) => return d.into(),
        };
        let Some((cluster, name)) = model.names() else { return Diagnostics::new() };
        let deadline = Deadline::after(model.timeout("delete", NODE_GROUP_DELETE_TIMEOUT));
        let cancel = ctx.cancellation_token();
        match bounded("DeleteNodegroup", deadline.remaining(), &cancel, eks::delete_node_group(&clients.eks, &cluster, &name)).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => return Diagnostic::from_error(&err).into(),
            Err(interrupted) => {
                return Diagnostic::error(format!("deleting EKS Node Group ({})", node_group_id(&cluster, &name)), interrupted.to_string()).into();
            }
        }
        match eks::wait_node_group_deleted(&clients.eks, &cluster, &name, deadline.remaining(), &cancel).await {
            Ok(()) => Diagnostics::new(),
            Err(err) => Diagnostic::error(format!("deleting EKS Node Group ({})", node_group_id(&cluster, &name)), err.to_string()).into(),
        }
    }

    async fn import(&self, _ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        let (cluster, name) = parse_import_id(id).map_err(|why| {
            Diagnostics::from(Diagnostic::error(
                "Invalid import id",
                format!("{why} Import an {TYPE_NAME} as `cluster_name:node_group_name`, for example `prod:spot-batch`."),
            ))
        })?;
        let mut state = tfplugin::provider::import_passthrough(&self.schema(), "id", id);
        if let Value::Object(fields) = &mut state {
            fields.insert("cluster_name".into(), Value::from(cluster));
            fields.insert("node_group_name".into(), Value::from(name));
        }
        Ok(state)
    }
}

fn state_result(model: &NodeGroupModel, diags: Diagnostics) -> StateResult {
    match value_of(model) {
        Ok(state) => StateResult { state, private: Vec::new(), diags },
        Err(d) => {
            let mut diags = diags;
            diags.push(d);
            StateResult::failed(Value::Null, diags)
        }
    }
}

/// Sends the config update, the version update and the tag changes, each waited on.
async fn apply_update(
    ctx: &Context,
    clients: &Clients,
    cluster: &str,
    name: &str,
    prior: &NodeGroupModel,
    planned: &NodeGroupModel,
) -> Result<(), EksError> {
    let id = node_group_id(cluster, name);
    // The update timeout bounds the whole update: every call and every wait in it.
    let deadline = Deadline::after(planned.timeout("update", NODE_GROUP_UPDATE_TIMEOUT));
    let cancel = ctx.cancellation_token();
    let waited = |result: Result<(), WaitError<EksError>>| match result {
        Ok(()) => Ok(()),
        Err(WaitError::Failed(err)) => Err(err),
        Err(other) => Err(EksError::Wait { id: id.clone(), message: other.to_string() }),
    };

    let found = bounded("DescribeNodegroup", deadline.remaining(), &cancel, find_node_group(&clients.eks, cluster, name)).await;
    let live_desired = match answer_of(&id, "reading the live size", found.map(|r| r.map_err(EksError::from)))? {
        Some(group) => group.scaling_config().and_then(NodegroupScalingConfig::desired_size).map(i64::from),
        None => None,
    };
    let change = config_change(prior, planned, live_desired);
    if !change.is_empty() {
        let sent = bounded("UpdateNodegroupConfig", deadline.remaining(), &cancel, eks::update_node_group_config(&clients.eks, cluster, name, &change)).await;
        let update_id = answer_of(&id, "config update", sent)?;
        waited(eks::wait_update_successful(&clients.eks, cluster, name, &update_id, deadline.remaining(), &cancel).await)?;
    }
    if let Some(change) = version_change(prior, planned) {
        let sent = bounded("UpdateNodegroupVersion", deadline.remaining(), &cancel, eks::update_node_group_version(&clients.eks, cluster, name, &change)).await;
        let update_id = answer_of(&id, "version update", sent)?;
        waited(eks::wait_update_successful(&clients.eks, cluster, name, &update_id, deadline.remaining(), &cancel).await)?;
    }

    let (set, remove) = tag_changes(prior.tags.as_ref(), planned.tags.as_ref());
    if !set.is_empty() || !remove.is_empty() {
        let arn = prior.arn.clone().unwrap_or_default();
        answer_of(&id, "tags", bounded("UntagResource", deadline.remaining(), &cancel, eks::untag_node_group(&clients.eks, &id, &arn, remove)).await)?;
        answer_of(&id, "tags", bounded("TagResource", deadline.remaining(), &cancel, eks::tag_node_group(&clients.eks, &id, &arn, set)).await)?;
    }
    Ok(())
}

/// The answer of a bounded call, or the update error saying it was abandoned.
fn answer_of<T>(id: &str, what: &str, result: Result<Result<T, EksError>, Interrupted>) -> Result<T, EksError> {
    match result {
        Ok(answer) => answer,
        Err(interrupted) => Err(EksError::Wait { id: id.to_string(), message: format!("{interrupted} ({what})") }),
    }
}

/// When the configuration leaves `version` or `release_version` out, they follow the other:
/// a changed release version may bring a new Kubernetes version, and the reverse.
fn plan_version_fields(plan: &mut Plan) {
    let changed = |name: &str| {
        let before = plan.prior.get(name).unwrap_or(&Value::Null);
        let after = plan.planned.get(name).unwrap_or(&Value::Null);
        !Value::semantically_equal(before, after)
    };
    let unset = |name: &str| plan.config.get(name).is_none_or(Value::is_null);
    let version_follows = changed("release_version") && unset("version");
    let release_follows = changed("version") && unset("release_version");
    if let Value::Object(fields) = &mut plan.planned {
        if version_follows {
            fields.insert("version".into(), Value::Unknown);
        }
        if release_follows {
            fields.insert("release_version".into(), Value::Unknown);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

fn schema() -> Schema {
    let scaling = Block::new(
        "How many nodes the group may have. AWS calls this `scalingConfig` (`scaling_config` in the AWS provider). \
         Changed in place.",
    )
    .attribute(
        Attribute::int("min_size")
            .required()
            .validator(validate::int_at_least(0))
            .description("Fewest nodes. The Cluster Autoscaler never scales below it; `0` allows scale to zero."),
    )
    .attribute(
        Attribute::int("max_size")
            .required()
            .validator(validate::int_at_least(1))
            .description("Most nodes. The Cluster Autoscaler never scales above it."),
    )
    .attribute(Attribute::int("desired_size").required().validator(validate::int_at_least(0)).description(
        "Nodes to start with, between `min_size` and `max_size`. Who owns it afterwards is set by `desired_size_policy`: \
         with `initial` the live size (see `current_desired_size`) belongs to the autoscaler, and a later change of this \
         value is only recorded.",
    ));

    let launch_template = Block::new(
        "An EC2 launch template for the nodes. Give `id` or `name`, and `version`. Adding or removing the block, or \
         pointing it at another template, replaces the node group; a new `version` rolls the nodes in place.",
    )
    .attribute(Attribute::string("id").optional().computed().use_state_for_unknown().requires_replace().description(
        "ID of the launch template (`lt-...`). Conflicts with `name`.",
    ))
    .attribute(Attribute::string("name").optional().computed().use_state_for_unknown().requires_replace().description(
        "Name of the launch template. Conflicts with `id`.",
    ))
    .attribute(Attribute::string("version").required().description(
        "Version of the launch template to use, such as `1` or the `latest_version` of an `aws_launch_template`. Changing it \
         starts a rolling update of the nodes.",
    ));

    let update_config = Block::new(
        "How many nodes a rolling update (new version, new launch template version) may take out of service at once. \
         Set exactly one of the two. Leave the block out to keep what EKS has (by default one node).",
    )
    .attribute(
        Attribute::int("max_unavailable")
            .optional()
            .validator(validate::int_between(1, 100))
            .conflicts_with("max_unavailable_percentage")
            .description("Most nodes unavailable at once, as a count."),
    )
    .attribute(
        Attribute::int("max_unavailable_percentage")
            .optional()
            .validator(validate::int_between(1, 100))
            .description("Most nodes unavailable at once, as a percentage of the group."),
    );

    let taint = Block::new(
        "A Kubernetes taint put on every node of the group, so only pods that tolerate it run there. At most 50; a key \
         may appear more than once with different effects. Changed in place.",
    )
    .attribute(Attribute::string("key").required().description("Taint key, with Kubernetes label key syntax (`workload`, `example.com/dedicated`)."))
    .attribute(Attribute::string("value").optional().description("Taint value, at most 63 characters with Kubernetes label value syntax; may be left out."))
    .attribute(
        Attribute::string("effect")
            .required()
            .validator(validate::one_of(["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]))
            .description(
                "What the taint does to pods that do not tolerate it, spelled as EKS spells it: `NO_SCHEDULE` (Kubernetes \
                 `NoSchedule`), `NO_EXECUTE` (`NoExecute`) or `PREFER_NO_SCHEDULE` (`PreferNoSchedule`).",
            ),
    );

    let block = Block::new(
        "An EKS managed node group on Spot capacity (or On-Demand), made to be scaled by the Cluster Autoscaler.\n\n\
         Unlike `aws_eks_node_group` with `ignore_changes = [scaling_config[0].desired_size]`, the default \
         `desired_size_policy = \"initial\"` lets the autoscaler own the live desired size *and* lets you raise `min_size` \
         above it: the update sends a desired size clamped into the new range in the same call. Plans check the group \
         before anything is created: sizes, taints, Kubernetes label syntax, and — as a warning — instance types of \
         different sizes, which the Cluster Autoscaler would mis-size (it builds nodes from the first type).",
    )
    .attribute(Attribute::string("id").computed().use_state_for_unknown().description("`cluster_name:node_group_name`, also the import id."))
    .attribute(Attribute::string("cluster_name").required().requires_replace().validator(validate::length_between(1, 100)).description(
        "Name of the EKS cluster the node group joins.",
    ))
    .attribute(
        Attribute::string("node_group_name")
            .optional()
            .computed()
            .use_state_for_unknown()
            .requires_replace()
            .validator(validate::length_between(1, MAX_NAME_LENGTH))
            .validator(validate::matches(NAME_PATTERN, "start with a letter or digit and hold only letters, digits, `-` and `_`"))
            .conflicts_with("node_group_name_prefix")
            .description(
                "Name of the node group, unique in the cluster. Leave it out to have one generated from \
                 `node_group_name_prefix` (or `terraform-`).",
            ),
    )
    .attribute(
        Attribute::string("node_group_name_prefix")
            .optional()
            .requires_replace()
            .validator(validate::length_between(1, MAX_NAME_LENGTH - GENERATED_SUFFIX_LENGTH))
            .validator(validate::matches(NAME_PATTERN, "start with a letter or digit and hold only letters, digits, `-` and `_`"))
            .description("Creates a unique name beginning with this prefix (26 characters are added)."),
    )
    .attribute(Attribute::string("node_role_arn").required().requires_replace().validator(validate::matches(
        r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/[\w+=,.@/-]+$",
        "be an IAM role ARN such as `arn:aws:iam::123456789012:role/eks-node`",
    )).description(
        "ARN of the IAM role the nodes run as (it needs the AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy and \
         AmazonEC2ContainerRegistryReadOnly policies).",
    ))
    .attribute(
        Attribute::set_of("subnet_ids", Type::String)
            .required()
            .requires_replace()
            .validator(validate::length_between(1, 1000))
            .description("Subnets the nodes are placed in. Spread them over several Availability Zones so Spot has more capacity pools."),
    )
    .attribute(
        Attribute::list_of("instance_types", Type::String)
            .optional()
            .computed()
            .use_state_for_unknown()
            .requires_replace()
            .description(
                "Instance types the group may launch, in order of preference for On-Demand. For Spot, list several types of \
                 the same vCPU and memory (the Cluster Autoscaler sizes every node from the first one; the plan warns \
                 otherwise). Leave it out when the launch template sets the type; EKS then reports the type it uses.",
            ),
    )
    .attribute(
        Attribute::string("capacity_type")
            .default("SPOT")
            .requires_replace()
            .validator(validate::one_of(["SPOT", "ON_DEMAND"]))
            .description("`SPOT` or `ON_DEMAND` capacity."),
    )
    .attribute(
        Attribute::string("ami_type")
            .optional()
            .computed()
            .use_state_for_unknown()
            .requires_replace()
            .validator(validate::one_of(AmiTypes::values().iter().copied()))
            .description("AMI family of the nodes, such as `AL2023_x86_64_STANDARD` or `BOTTLEROCKET_x86_64`. EKS picks one when left out."),
    )
    .attribute(
        Attribute::int("disk_size")
            .optional()
            .computed()
            .use_state_for_unknown()
            .requires_replace()
            .validator(validate::int_at_least(1))
            .description("Root volume size in GiB (EKS default 20). Not allowed with `launch_template`: set it in the template."),
    )
    .attribute(Attribute::string("version").optional().computed().use_state_for_unknown().description(
        "Kubernetes version (`1.33`) of the nodes; the cluster's when left out. It can never be newer than the cluster's. \
         Changing it rolls the nodes in place.",
    ))
    .attribute(Attribute::string("release_version").optional().computed().use_state_for_unknown().description(
        "AMI release version (`1.33.0-20250101`); the latest for `version` when left out. Changing it rolls the nodes in place.",
    ))
    .attribute(Attribute::bool("force_update_version").optional().description(
        "Update the version even when pods cannot be drained because of a PodDisruptionBudget.",
    ))
    .attribute(
        Attribute::string("desired_size_policy")
            .default("initial")
            .validator(validate::one_of(["initial", "enforce"]))
            .description(
                "Who owns the live desired size after create. `initial`: the Cluster Autoscaler; a live size inside \
                 `[min_size, max_size]` is never a diff and never reset, a later change of `scaling.desired_size` is only \
                 recorded, and a new `min_size` / `max_size` moves the live size into the new range in the same call. \
                 `enforce`: Terraform; drift shows in plans and apply resets it.",
            ),
    )
    .attribute(Attribute::map_of("labels", Type::String).optional().description(
        "Kubernetes labels put on every node, such as `workload = \"batch\"`. Keys and values use Kubernetes label syntax. \
         Changed in place. EKS does not copy them to the Auto Scaling group's tags: for scale from zero, tag the \
         groups in `asg_names` with `k8s.io/cluster-autoscaler/node-template/label/<key>`.",
    ))
    .attribute(Attribute::map_of("tags", Type::String).optional().description(
        "Tags on the node group itself (not its Auto Scaling group). At most 50.",
    ))
    .attribute(Attribute::string("arn").computed().use_state_for_unknown().description("ARN of the node group."))
    .attribute(Attribute::string("status").computed().description("Status EKS reports: `ACTIVE`, `CREATING`, `CREATE_FAILED`, `DEGRADED`, ..."))
    .attribute(Attribute::list_of("asg_names", Type::String).computed().use_state_for_unknown().description(
        "Names of the node group's Auto Scaling groups (`eks-<node group>-<uuid>`), for discovery tags and scheduled actions.",
    ))
    .attribute(Attribute::int("current_desired_size").computed().description(
        "The live desired size, as the Cluster Autoscaler left it when state was last refreshed. Informational.",
    ))
    .block(NestedBlock::single("scaling", scaling).min_items(1).max_items(1))
    .block(NestedBlock::single("launch_template", launch_template))
    .block(NestedBlock::single("update_config", update_config))
    .block(NestedBlock::list("taint", taint))
    .block(timeouts::block(&[("create", "60m"), ("update", "60m"), ("delete", "60m")]));
    Schema::new(0, block)
}

// ---------------------------------------------------------------------------------------------
// Validation (configuration may hold unknowns: unknown parts are skipped)
// ---------------------------------------------------------------------------------------------

fn known_i64(value: Option<&Value>) -> Option<i64> {
    value.filter(|v| v.is_known()).and_then(Value::as_i64)
}

fn known_str(value: Option<&Value>) -> Option<&str> {
    value.filter(|v| v.is_known()).and_then(Value::as_str)
}

fn known_items(value: Option<&Value>) -> Option<&[Value]> {
    value.filter(|v| v.is_known() && !v.is_null()).and_then(Value::as_list)
}

fn known_map(value: Option<&Value>) -> Option<&BTreeMap<String, Value>> {
    value.filter(|v| v.is_known() && !v.is_null()).and_then(Value::as_map)
}

/// Checks beyond the schema's validators, with the path of each offending value.
fn validate_node_group(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if !config.is_known() || config.is_null() {
        return diags;
    }
    validate_scaling(config.get("scaling"), &mut diags);
    validate_instance_types(config.get("instance_types"), &mut diags);
    validate_labels(config.get("labels"), &mut diags);
    validate_taints(config.get("taint"), &mut diags);
    validate_tags(config.get("tags"), &mut diags);
    validate_launch_template(config, &mut diags);
    validate_update_config(config.get("update_config"), &mut diags);
    diags
}

fn validate_scaling(scaling: Option<&Value>, diags: &mut Diagnostics) {
    let Some(scaling) = scaling.filter(|v| v.is_known() && !v.is_null()) else { return };
    let path = AttributePath::root("scaling");
    let min = known_i64(scaling.get("min_size"));
    let max = known_i64(scaling.get("max_size"));
    let desired = known_i64(scaling.get("desired_size"));
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        diags.error_at(
            path.clone().attr("min_size"),
            "min_size is greater than max_size",
            format!("scaling.min_size is {min} but scaling.max_size is {max}: the group could never be sized."),
        );
    }
    if let (Some(min), Some(desired)) = (min, desired)
        && desired < min
    {
        diags.error_at(
            path.clone().attr("desired_size"),
            "desired_size is below min_size",
            format!("scaling.desired_size is {desired} but scaling.min_size is {min}: the desired size must lie between min_size and max_size."),
        );
    }
    if let (Some(max), Some(desired)) = (max, desired)
        && desired > max
    {
        diags.error_at(
            path.attr("desired_size"),
            "desired_size is above max_size",
            format!("scaling.desired_size is {desired} but scaling.max_size is {max}: the desired size must lie between min_size and max_size."),
        );
    }
}

fn validate_instance_types(types: Option<&Value>, diags: &mut Diagnostics) {
    let Some(items) = known_items(types) else { return };
    let path = AttributePath::root("instance_types");
    if items.is_empty() {
        diags.error_at(path, "No instance types", "instance_types is empty: list at least one type, or leave the attribute out to use the launch template's.");
        return;
    }
    let names: Vec<Option<&str>> = items.iter().map(|v| known_str(Some(v))).collect();
    for (i, name) in names.iter().enumerate() {
        let Some(name) = name else { continue };
        if name.is_empty() {
            diags.error_at(path.clone().index(i), "Empty instance type", format!("instance_types[{i}] is empty."));
        }
        if names[..i].iter().any(|earlier| earlier == &Some(*name)) {
            diags.error_at(path.clone().index(i), "Duplicate instance type", format!("instance_types lists {name:?} more than once."));
        }
    }
    // Only when every type is known: otherwise the first might not be the first.
    let Some(all) = names.iter().copied().collect::<Option<Vec<&str>>>() else { return };
    if let Some(mismatch) = instance_types::size_mismatch(&all) {
        for (i, name, size) in &mismatch.differing {
            diags.warning_at(
                path.clone().index(*i),
                "Instance types of different sizes",
                format!(
                    "{name} has {} vCPU and {} GiB of memory, but the first type, {}, has {} vCPU and {} GiB. The Cluster \
                     Autoscaler assumes every node of a group looks like the first type, so it will plan with wrong numbers \
                     (for example scaling up from zero when pods cannot fit, or failing to scale down). List types of the same \
                     size in one group, or split them into several groups.",
                    size.vcpus,
                    size.memory_gib(),
                    mismatch.first,
                    mismatch.first_size.vcpus,
                    mismatch.first_size.memory_gib()
                ),
            );
        }
    }
}

fn validate_labels(labels: Option<&Value>, diags: &mut Diagnostics) {
    let Some(labels) = known_map(labels) else { return };
    for (key, value) in labels {
        let path = AttributePath::root("labels").key(key.clone());
        if let Err(why) = check_label_key(key) {
            diags.error_at(path.clone(), "Invalid Kubernetes label key", format!("Label key {key:?} {why}"));
        }
        if let Some(value) = known_str(Some(value))
            && let Err(why) = check_label_value(value)
        {
            diags.error_at(path, "Invalid Kubernetes label value", format!("The value of label {key:?}, {value:?}, {why}"));
        }
    }
}

fn validate_taints(taints: Option<&Value>, diags: &mut Diagnostics) {
    let Some(items) = known_items(taints) else { return };
    if items.len() > MAX_TAINTS {
        diags.error_at(
            AttributePath::root("taint"),
            "Too many taints",
            format!("The configuration has {} taint blocks; EKS allows at most {MAX_TAINTS} per node group.", items.len()),
        );
    }
    let mut seen: Vec<(String, String)> = Vec::new();
    for (i, taint) in items.iter().enumerate() {
        let path = AttributePath::root("taint").index(i);
        let key = known_str(taint.get("key"));
        if let Some(key) = key
            && let Err(why) = check_label_key(key)
        {
            diags.error_at(path.clone().attr("key"), "Invalid taint key", format!("Taint key {key:?} {why}"));
        }
        if let Some(value) = known_str(taint.get("value"))
            && let Err(why) = check_label_value(value)
        {
            diags.error_at(path.clone().attr("value"), "Invalid taint value", format!("Taint value {value:?} {why}"));
        }
        if let (Some(key), Some(effect)) = (key, known_str(taint.get("effect"))) {
            let pair = (key.to_string(), effect.to_string());
            if seen.contains(&pair) {
                diags.error_at(
                    path,
                    "Duplicate taint",
                    format!("Two taint blocks have key {key:?} and effect {effect}: EKS keys taints by key and effect, so keep one."),
                );
            }
            seen.push(pair);
        }
    }
}

fn validate_tags(tags: Option<&Value>, diags: &mut Diagnostics) {
    let Some(tags) = known_map(tags) else { return };
    if tags.len() > MAX_TAGS {
        diags.error_at(AttributePath::root("tags"), "Too many tags", format!("tags has {} entries; AWS allows at most {MAX_TAGS}.", tags.len()));
    }
    for (key, value) in tags {
        let path = AttributePath::root("tags").key(key.clone());
        if key.is_empty() || key.chars().count() > 128 {
            diags.error_at(path.clone(), "Invalid tag key", format!("Tag key {key:?} must have 1 to 128 characters."));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            diags.error_at(path.clone(), "Reserved tag key", format!("Tag key {key:?} uses the `aws:` prefix, which AWS reserves."));
        }
        if known_str(Some(value)).is_some_and(|v| v.chars().count() > 256) {
            diags.error_at(path, "Tag value too long", format!("The value of tag {key:?} is longer than 256 characters."));
        }
    }
}

fn validate_launch_template(config: &Value, diags: &mut Diagnostics) {
    let Some(template) = config.get("launch_template").filter(|v| !v.is_null()) else { return };
    if !template.is_known() {
        return;
    }
    let path = AttributePath::root("launch_template");
    let id = template.get("id").filter(|v| !v.is_null());
    let name = template.get("name").filter(|v| !v.is_null());
    match (id, name) {
        (None, None) => diags.error_at(path, "Launch template not named", "Set `id` or `name` in the launch_template block."),
        (Some(_), Some(_)) => diags.error_at(path.attr("name"), "Conflicting attributes", "Set only one of `id` and `name` in the launch_template block."),
        _ => {}
    }
    if config.get("disk_size").is_some_and(|v| !v.is_null()) {
        diags.error_at(
            AttributePath::root("disk_size"),
            "disk_size with a launch template",
            "EKS does not accept disk_size together with a launch template: set the root volume size in the launch template's block device mapping.",
        );
    }
}

fn validate_update_config(update_config: Option<&Value>, diags: &mut Diagnostics) {
    let Some(block) = update_config.filter(|v| v.is_known() && !v.is_null()) else { return };
    let count = block.get("max_unavailable").is_some_and(|v| !v.is_null()) as u8
        + block.get("max_unavailable_percentage").is_some_and(|v| !v.is_null()) as u8;
    if count == 0 {
        diags.error_at(
            AttributePath::root("update_config"),
            "Empty update_config",
            "Set max_unavailable or max_unavailable_percentage in the update_config block, or leave the block out.",
        );
    }
}

/// Kubernetes label key syntax: an optional DNS subdomain prefix (at most 253 characters) and
/// `/`, then a name of at most 63 alphanumerics, `-`, `_`, `.`, beginning and ending with an
/// alphanumeric. `Err` completes "Label key "x" ...".
fn check_label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Err("has an empty prefix before `/`.".into());
        }
        if prefix.len() > 253 {
            return Err("has a prefix longer than 253 characters.".into());
        }
        if !is_dns_subdomain(prefix) {
            return Err(format!(
                "has prefix {prefix:?}, which is not a DNS subdomain (lowercase letters, digits, `-` and `.`, each part beginning and ending with a letter or digit)."
            ));
        }
    }
    if name.is_empty() {
        return Err("has an empty name.".into());
    }
    if name.contains('/') {
        return Err("has more than one `/`.".into());
    }
    if name.len() > 63 {
        return Err("has a name longer than 63 characters.".into());
    }
    if !is_label_name(name) {
        return Err("must hold only letters, digits, `-`, `_` and `.`, and begin and end with a letter or digit.".into());
    }
    Ok(())
}

/// Kubernetes label value syntax: empty, or at most 63 characters as for a key's name part.
fn check_label_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    if value.len() > 63 {
        return Err("is longer than 63 characters.".into());
    }
    if !is_label_name(value) {
        return Err("must hold only letters, digits, `-`, `_` and `.`, and begin and end with a letter or digit.".into());
    }
    Ok(())
}

/// `[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?`
fn is_label_name(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else { return false };
    first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// RFC 1123 subdomain: dot-separated labels of lowercase alphanumerics and `-`, each beginning
/// and ending with an alphanumeric.
fn is_dns_subdomain(s: &str) -> bool {
    s.split('.').all(|part| {
        let bytes = part.as_bytes();
        let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else { return false };
        let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        alnum(first) && alnum(last) && bytes.iter().all(|b| alnum(b) || *b == b'-')
    })
}

// ---------------------------------------------------------------------------------------------
// Pure functions: ids, names, expand, flatten, diffs
// ---------------------------------------------------------------------------------------------

/// `cluster:name` → `(cluster, name)`. `Err` is a sentence saying what is wrong.
fn parse_import_id(id: &str) -> Result<(String, String), String> {
    match id.split(':').collect::<Vec<_>>().as_slice() {
        [cluster, name] if !cluster.is_empty() && !name.is_empty() => Ok(((*cluster).to_string(), (*name).to_string())),
        _ => Err(format!("{id:?} is not of the form `cluster_name:node_group_name`.")),
    }
}

/// `prefix` followed by 26 characters unique to this call: a UTC timestamp to the millisecond
/// and random hex, like the AWS provider's generated names.
fn generated_name(prefix: &str) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let random = uuid::Uuid::new_v4().simple().to_string();
    let suffix = format!("{:013}{}", now.as_millis() % 10_000_000_000_000, random);
    format!("{prefix}{}", &suffix[..GENERATED_SUFFIX_LENGTH])
}

fn to_i32(value: Option<i64>) -> Option<i32> {
    value.and_then(|v| i32::try_from(v).ok())
}

fn taint_of(model: &TaintModel) -> Taint {
    Taint::builder().key(&model.key).set_value(model.value.clone()).effect(TaintEffect::from(model.effect.as_str())).build()
}

fn launch_template_of(model: &LaunchTemplateModel) -> LaunchTemplateSpecification {
    // EKS takes either the id or the name; the id wins when state holds both.
    let name = if model.id.is_some() { None } else { model.name.clone() };
    LaunchTemplateSpecification::builder().set_id(model.id.clone()).set_name(name).set_version(model.version.clone()).build()
}

fn update_config_of(model: &UpdateConfigModel) -> NodegroupUpdateConfig {
    NodegroupUpdateConfig::builder()
        .set_max_unavailable(to_i32(model.max_unavailable))
        .set_max_unavailable_percentage(to_i32(model.max_unavailable_percentage))
        .build()
}

/// The CreateNodegroup request for a planned object.
fn new_node_group(model: &NodeGroupModel, name: &str) -> Result<NewNodeGroup, Diagnostic> {
    let missing = |what: &str| Diagnostic::error("Provider bug", format!("{TYPE_NAME}: the plan has no {what}"));
    let scaling = model.scaling.as_ref().ok_or_else(|| missing("scaling block"))?;
    Ok(NewNodeGroup {
        cluster_name: model.cluster_name.clone().ok_or_else(|| missing("cluster_name"))?,
        node_group_name: name.to_string(),
        node_role_arn: model.node_role_arn.clone().ok_or_else(|| missing("node_role_arn"))?,
        subnet_ids: model.subnet_ids.clone().unwrap_or_default(),
        instance_types: model.instance_types.clone().unwrap_or_default(),
        capacity_type: model.capacity_type.as_deref().map(CapacityTypes::from),
        ami_type: model.ami_type.as_deref().map(AmiTypes::from),
        disk_size: to_i32(model.disk_size),
        version: model.version.clone(),
        release_version: model.release_version.clone(),
        launch_template: model.launch_template.as_ref().map(launch_template_of),
        scaling: NodegroupScalingConfig::builder()
            .set_min_size(to_i32(scaling.min_size))
            .set_max_size(to_i32(scaling.max_size))
            .set_desired_size(to_i32(scaling.desired_size))
            .build(),
        update_config: model.update_config.as_ref().map(update_config_of),
        labels: model.labels.clone().unwrap_or_default().into_iter().collect(),
        taints: model.taint.iter().flatten().map(taint_of).collect(),
        tags: model.tags.clone().unwrap_or_default().into_iter().collect(),
    })
}

fn string_map(map: Option<&HashMap<String, String>>, keep_empty: bool) -> Option<BTreeMap<String, String>> {
    let map: BTreeMap<String, String> = map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
    if map.is_empty() && !keep_empty { None } else { Some(map) }
}

/// The state for a described node group. `base` (the prior state, plan or import stub)
/// supplies what AWS does not hold: the name prefix, timeouts, the desired-size policy, the
/// configured desired size under `initial`, the order of taints, and whether `update_config`
/// is managed.
fn flatten(group: &Nodegroup, base: &NodeGroupModel) -> NodeGroupModel {
    let cluster = group.cluster_name().map(str::to_string).or_else(|| base.cluster_name.clone());
    let name = group.nodegroup_name().map(str::to_string).or_else(|| base.node_group_name.clone());
    let importing = base.scaling.is_none();
    let policy = DesiredSizePolicy::of(base);
    let live = group.scaling_config();
    let live_desired = live.and_then(NodegroupScalingConfig::desired_size).map(i64::from);
    let desired_size = match policy {
        DesiredSizePolicy::Enforce => live_desired,
        DesiredSizePolicy::Initial => base.scaling.as_ref().and_then(|s| s.desired_size).or(live_desired),
    };
    let scaling = ScalingModel {
        min_size: live.and_then(NodegroupScalingConfig::min_size).map(i64::from),
        max_size: live.and_then(NodegroupScalingConfig::max_size).map(i64::from),
        desired_size,
    };

    let live_update_config = group.update_config().map(|u| UpdateConfigModel {
        max_unavailable: u.max_unavailable().map(i64::from),
        max_unavailable_percentage: u.max_unavailable_percentage().map(i64::from),
    });
    let aws_default = UpdateConfigModel { max_unavailable: Some(DEFAULT_MAX_UNAVAILABLE), max_unavailable_percentage: None };
    let update_config = if base.update_config.is_some() || (importing && live_update_config.as_ref().is_some_and(|u| *u != aws_default)) {
        live_update_config
    } else {
        None
    };

    let mut asgs = asg_names(group);
    asgs.sort();
    let instance_types: Vec<String> = group.instance_types().to_vec();

    NodeGroupModel {
        id: match (&cluster, &name) {
            (Some(c), Some(n)) => Some(node_group_id(c, n)),
            _ => base.id.clone(),
        },
        cluster_name: cluster,
        node_group_name: name,
        node_group_name_prefix: base.node_group_name_prefix.clone(),
        node_role_arn: group.node_role().map(str::to_string),
        subnet_ids: Some(group.subnets().to_vec()),
        instance_types: if instance_types.is_empty() { None } else { Some(instance_types) },
        capacity_type: group.capacity_type().map(|c| c.as_str().to_string()),
        ami_type: group.ami_type().map(|a| a.as_str().to_string()),
        disk_size: group.disk_size().map(i64::from),
        version: group.version().map(str::to_string),
        release_version: group.release_version().map(str::to_string),
        force_update_version: base.force_update_version,
        launch_template: group.launch_template().map(|t| LaunchTemplateModel {
            id: t.id().map(str::to_string),
            name: t.name().map(str::to_string),
            version: t.version().map(str::to_string),
        }),
        scaling: Some(scaling),
        desired_size_policy: Some(base.desired_size_policy.clone().unwrap_or_else(|| "initial".into())),
        update_config,
        labels: string_map(group.labels(), base.labels.is_some()),
        taint: Some(ordered_taints(group.taints(), base.taint.as_deref().unwrap_or_default())),
        tags: string_map(group.tags(), base.tags.is_some()),
        timeouts: base.timeouts.clone(),
        arn: group.nodegroup_arn().map(str::to_string),
        status: group.status().map(|s| s.as_str().to_string()),
        asg_names: Some(asgs),
        current_desired_size: live_desired,
    }
}

/// AWS's taints in the order of `order` (by key and effect); others after, in AWS's order.
fn ordered_taints(live: &[Taint], order: &[TaintModel]) -> Vec<TaintModel> {
    let mut taints: Vec<TaintModel> = live
        .iter()
        .map(|t| TaintModel {
            key: t.key().unwrap_or_default().to_string(),
            value: t.value().filter(|v| !v.is_empty()).map(str::to_string),
            effect: t.effect().map(|e| e.as_str().to_string()).unwrap_or_default(),
        })
        .collect();
    let slot = |t: &TaintModel| order.iter().position(|o| o.key == t.key && o.effect == t.effect);
    for taint in &mut taints {
        // AWS drops an empty value; keep `value = ""` as configured instead of a diff.
        if taint.value.is_none()
            && let Some(i) = slot(taint)
        {
            taint.value.clone_from(&order[i].value);
            taint.value = taint.value.take().filter(String::is_empty);
        }
    }
    taints.sort_by_key(|t| slot(t).unwrap_or(usize::MAX)); // stable: unknown ones keep AWS's order
    taints
}

/// Labels to add or change and keys to remove, going from `prior` to `planned`.
fn label_changes(prior: Option<&BTreeMap<String, String>>, planned: Option<&BTreeMap<String, String>>) -> Option<UpdateLabelsPayload> {
    let empty = BTreeMap::new();
    let prior = prior.unwrap_or(&empty);
    let planned = planned.unwrap_or(&empty);
    let add: HashMap<String, String> = planned.iter().filter(|(k, v)| prior.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let remove: Vec<String> = prior.keys().filter(|k| !planned.contains_key(*k)).cloned().collect();
    if add.is_empty() && remove.is_empty() {
        return None;
    }
    Some(
        UpdateLabelsPayload::builder()
            .set_add_or_update_labels(if add.is_empty() { None } else { Some(add) })
            .set_remove_labels(if remove.is_empty() { None } else { Some(remove) })
            .build(),
    )
}

/// Taints to add or change and taints to remove, keyed by key and effect as EKS keys them.
fn taint_changes(prior: &[TaintModel], planned: &[TaintModel]) -> Option<UpdateTaintsPayload> {
    let same_slot = |a: &TaintModel, b: &TaintModel| a.key == b.key && a.effect == b.effect;
    let add: Vec<Taint> = planned.iter().filter(|t| !prior.contains(t)).map(taint_of).collect();
    let remove: Vec<Taint> = prior
        .iter()
        .filter(|t| !planned.iter().any(|p| same_slot(p, t)))
        .map(|t| Taint::builder().key(&t.key).effect(TaintEffect::from(t.effect.as_str())).build())
        .collect();
    if add.is_empty() && remove.is_empty() {
        return None;
    }
    Some(
        UpdateTaintsPayload::builder()
            .set_add_or_update_taints(if add.is_empty() { None } else { Some(add) })
            .set_remove_taints(if remove.is_empty() { None } else { Some(remove) })
            .build(),
    )
}

/// The scaling part of UpdateNodegroupConfig, or `None` when nothing changes. `live_desired` is
/// the node group's desired size right now.
///
/// - `enforce`: the configured desired size.
/// - `initial`: the live size, clamped into the new `[min_size, max_size]` — sent only when
///   clamping moves it. A changed `desired_size` is not sent: validation makes users raise it
///   together with `min_size`, and sending it would undo the autoscaler's scale-up.
fn scaling_change(prior: &ScalingModel, planned: &ScalingModel, policy: DesiredSizePolicy, live_desired: Option<i64>) -> Option<NodegroupScalingConfig> {
    let (min, max) = (planned.min_size?, planned.max_size?);
    let live = live_desired.or(prior.desired_size);
    let target = match policy {
        DesiredSizePolicy::Enforce => planned.desired_size,
        DesiredSizePolicy::Initial => live.map(|d| d.clamp(min, max.max(min))),
    };
    let send_desired = target.is_some() && target != live;
    let bounds_changed = prior.min_size != Some(min) || prior.max_size != Some(max);
    if !bounds_changed && !send_desired {
        return None;
    }
    Some(
        NodegroupScalingConfig::builder()
            .min_size(to_i32(Some(min))?)
            .max_size(to_i32(Some(max))?)
            .set_desired_size(if send_desired { to_i32(target) } else { None })
            .build(),
    )
}

/// Everything UpdateNodegroupConfig has to do between two states.
fn config_change(prior: &NodeGroupModel, planned: &NodeGroupModel, live_desired: Option<i64>) -> ConfigChange {
    let scaling = match (&prior.scaling, &planned.scaling) {
        (Some(before), Some(after)) => scaling_change(before, after, DesiredSizePolicy::of(planned), live_desired),
        _ => None,
    };
    let update_config = match &planned.update_config {
        Some(wanted) if planned.update_config != prior.update_config => Some(update_config_of(wanted)),
        _ => None,
    };
    ConfigChange {
        labels: label_changes(prior.labels.as_ref(), planned.labels.as_ref()),
        taints: taint_changes(prior.taint.as_deref().unwrap_or_default(), planned.taint.as_deref().unwrap_or_default()),
        scaling,
        update_config,
    }
}

/// The UpdateNodegroupVersion call between two states, if any: a new version, release version
/// or launch template version.
fn version_change(prior: &NodeGroupModel, planned: &NodeGroupModel) -> Option<VersionChange> {
    let version = planned.version.clone().filter(|v| Some(v) != prior.version.as_ref());
    let release_version = planned.release_version.clone().filter(|v| Some(v) != prior.release_version.as_ref());
    let template_version_changed = match (&prior.launch_template, &planned.launch_template) {
        (Some(before), Some(after)) => before.version != after.version,
        _ => false,
    };
    if version.is_none() && release_version.is_none() && !template_version_changed {
        return None;
    }
    Some(VersionChange {
        version,
        release_version,
        launch_template: if template_version_changed { planned.launch_template.as_ref().map(launch_template_of) } else { None },
        force: planned.force_update_version.unwrap_or(false),
    })
}

/// Tags to set (new or changed) and keys to remove.
fn tag_changes(prior: Option<&BTreeMap<String, String>>, planned: Option<&BTreeMap<String, String>>) -> (HashMap<String, String>, Vec<String>) {
    let empty = BTreeMap::new();
    let prior = prior.unwrap_or(&empty);
    let planned = planned.unwrap_or(&empty);
    let set = planned.iter().filter(|(k, v)| prior.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let remove = prior.keys().filter(|k| !planned.contains_key(*k)).cloned().collect();
    (set, remove)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use aws_sdk_eks::operation::create_nodegroup::CreateNodegroupOutput;
    use aws_sdk_eks::operation::delete_nodegroup::DeleteNodegroupError;
    use aws_sdk_eks::operation::describe_nodegroup::{DescribeNodegroupError, DescribeNodegroupOutput};
    use aws_sdk_eks::operation::describe_update::DescribeUpdateOutput;
    use aws_sdk_eks::operation::update_nodegroup_config::UpdateNodegroupConfigOutput;
    use aws_sdk_eks::types::error::ResourceNotFoundException;
    use aws_sdk_eks::types::{
        ErrorCode, ErrorDetail, Issue, NodegroupHealth, NodegroupIssueCode, NodegroupResources, NodegroupStatus, AutoScalingGroup, Update, UpdateStatus,
    };
    use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
    use tfplugin::schema::Nesting;

    use super::*;

    // --- fixtures -------------------------------------------------------------------------

    fn model() -> NodeGroupModel {
        NodeGroupModel {
            cluster_name: Some("c1".into()),
            node_group_name: Some("spot".into()),
            node_role_arn: Some("arn:aws:iam::123456789012:role/node".into()),
            subnet_ids: Some(vec!["subnet-1".into(), "subnet-2".into()]),
            instance_types: Some(vec!["c5.xlarge".into(), "c5a.xlarge".into()]),
            capacity_type: Some("SPOT".into()),
            scaling: Some(ScalingModel { min_size: Some(1), max_size: Some(5), desired_size: Some(2) }),
            desired_size_policy: Some("initial".into()),
            labels: Some([("workload".to_string(), "batch".to_string())].into()),
            taint: Some(vec![TaintModel { key: "workload".into(), value: Some("batch".into()), effect: "NO_SCHEDULE".into() }]),
            ..NodeGroupModel::default()
        }
    }

    fn config(change: impl FnOnce(&mut NodeGroupModel)) -> Value {
        let mut m = model();
        change(&mut m);
        value_of(&m).unwrap()
    }

    /// Sets a value at `path` (attributes only) inside an object.
    fn set(mut value: Value, path: &[&str], to: Value) -> Value {
        fn walk(v: &mut Value, path: &[&str], to: Value) {
            if let (Value::Object(fields), Some((first, rest))) = (v, path.split_first()) {
                if rest.is_empty() {
                    fields.insert((*first).to_string(), to);
                } else if let Some(inner) = fields.get_mut(*first) {
                    walk(inner, rest, to);
                }
            }
        }
        walk(&mut value, path, to);
        value
    }

    fn errors(diags: &Diagnostics) -> Vec<(String, String)> {
        diags.iter().filter(|d| d.is_error()).map(|d| (d.path.as_ref().map(ToString::to_string).unwrap_or_default(), d.summary.clone())).collect()
    }

    fn warnings(diags: &Diagnostics) -> Vec<String> {
        diags.iter().filter(|d| !d.is_error()).map(|d| d.path.as_ref().map(ToString::to_string).unwrap_or_default()).collect()
    }

    fn described(status: NodegroupStatus) -> Nodegroup {
        group_builder(status).build()
    }

    fn group_builder(status: NodegroupStatus) -> aws_sdk_eks::types::builders::NodegroupBuilder {
        Nodegroup::builder()
            .cluster_name("c1")
            .nodegroup_name("spot")
            .nodegroup_arn("arn:aws:eks:us-east-1:123456789012:nodegroup/c1/spot/uuid-1")
            .status(status)
            .capacity_type(CapacityTypes::Spot)
            .ami_type(AmiTypes::Al2023X8664Standard)
            .node_role("arn:aws:iam::123456789012:role/node")
            .subnets("subnet-1")
            .subnets("subnet-2")
            .instance_types("c5.xlarge")
            .instance_types("c5a.xlarge")
            .scaling_config(NodegroupScalingConfig::builder().min_size(1).max_size(5).desired_size(4).build())
            .labels("workload", "batch")
            .taints(Taint::builder().key("other").effect(TaintEffect::NoExecute).build())
            .taints(Taint::builder().key("workload").value("batch").effect(TaintEffect::NoSchedule).build())
            .disk_size(20)
            .version("1.33")
            .release_version("1.33.0-20250101")
            .update_config(NodegroupUpdateConfig::builder().max_unavailable(1).build())
            .resources(NodegroupResources::builder().auto_scaling_groups(AutoScalingGroup::builder().name("eks-spot-uuid-1").build()).build())
    }

    fn mocked_clients(rules: &[&Rule]) -> Arc<Clients> {
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        for rule in rules {
            interceptor = interceptor.with_rule(rule);
        }
        let credentials = aws_sdk_eks::config::Credentials::new("a", "b", None, None, "test");
        let eks = aws_sdk_eks::Client::from_conf(
            aws_sdk_eks::Config::builder()
                .behavior_version(aws_sdk_eks::config::BehaviorVersion::latest())
                .region(aws_sdk_eks::config::Region::new("us-east-1"))
                .credentials_provider(credentials.clone())
                .http_client(create_mock_http_client())
                .interceptor(interceptor)
                .build(),
        );
        let autoscaling = aws_sdk_autoscaling::Client::from_conf(
            aws_sdk_autoscaling::Config::builder()
                .behavior_version(aws_sdk_autoscaling::config::BehaviorVersion::latest())
                .region(aws_sdk_autoscaling::config::Region::new("us-east-1"))
                .credentials_provider(credentials)
                .http_client(create_mock_http_client())
                .build(),
        );
        Arc::new(Clients::from_service_clients(eks, autoscaling, "us-east-1"))
    }

    fn context(clients: Arc<Clients>, cancel: tokio_util::sync::CancellationToken) -> Context {
        let configured = crate::aws::Configured::from_clients(crate::aws::AwsSettings::default(), clients);
        Context::new(Some(Arc::new(configured)), cancel, TYPE_NAME)
    }

    fn describe_always(
        status: NodegroupStatus,
        change: impl Fn(aws_sdk_eks::types::builders::NodegroupBuilder) -> aws_sdk_eks::types::builders::NodegroupBuilder + Send + Sync + 'static,
    ) -> Rule {
        mock!(aws_sdk_eks::Client::describe_nodegroup)
            .sequence()
            .output(move || DescribeNodegroupOutput::builder().nodegroup(change(group_builder(status.clone())).build()).build())
            .repeatedly()
            .build()
    }

    // --- schema ---------------------------------------------------------------------------

    #[test]
    fn every_attribute_and_block_is_documented() {
        fn check(block: &Block, path: &str) {
            assert!(!block.description.is_empty(), "block {path} has no description");
            for attribute in &block.attributes {
                assert!(!attribute.description.is_empty(), "{path}.{} has no description", attribute.name);
            }
            for nested in &block.blocks {
                check(&nested.block, &format!("{path}.{}", nested.type_name));
            }
        }
        check(&schema().block, TYPE_NAME);
        let scaling = schema().block.block_named("scaling").map(|b| (b.nesting, b.min_items, b.max_items));
        assert_eq!(scaling, Some((Nesting::Single, 1, 1)));
    }

    #[test]
    fn model_round_trips_through_the_schema_type() {
        let value = config(|m| {
            m.update_config = Some(UpdateConfigModel { max_unavailable: None, max_unavailable_percentage: Some(33) });
            m.launch_template = Some(LaunchTemplateModel { id: Some("lt-1".into()), name: None, version: Some("3".into()) });
        });
        let conformed = value.clone().conform(&schema().value_type(), &AttributePath::empty()).unwrap();
        assert_eq!(model_of(&conformed).unwrap(), model_of(&value).unwrap());
    }

    // --- validation -----------------------------------------------------------------------

    #[test]
    fn a_valid_group_passes() {
        assert!(validate_node_group(&config(|_| {})).is_empty());
    }

    #[test]
    fn sizes_are_checked_with_paths() {
        let cases = [
            ((3, 5, 2), vec![("scaling.desired_size", "desired_size is below min_size")]),
            ((1, 5, 9), vec![("scaling.desired_size", "desired_size is above max_size")]),
            ((6, 5, 6), vec![("scaling.min_size", "min_size is greater than max_size"), ("scaling.desired_size", "desired_size is above max_size")]),
        ];
        for ((min, max, desired), expected) in cases {
            let diags = validate_node_group(&config(|m| m.scaling = Some(ScalingModel { min_size: Some(min), max_size: Some(max), desired_size: Some(desired) })));
            let expected: Vec<(String, String)> = expected.into_iter().map(|(p, s)| (p.to_string(), s.to_string())).collect();
            assert_eq!(errors(&diags), expected, "{min}/{max}/{desired}");
        }
        // The schema's own validators: max_size >= 1, min_size >= 0.
        let mut diags = Diagnostics::new();
        let value = config(|m| m.scaling = Some(ScalingModel { min_size: Some(-1), max_size: Some(0), desired_size: Some(0) }));
        tfplugin::schema::validate_config(&schema().block, &value, &AttributePath::empty(), &mut diags);
        let paths: Vec<String> = errors(&diags).into_iter().map(|(p, _)| p).collect();
        assert_eq!(paths, vec!["scaling.min_size", "scaling.max_size"]);
    }

    #[test]
    fn unknown_values_are_skipped() {
        let value = set(config(|m| m.scaling = Some(ScalingModel { min_size: Some(3), max_size: Some(5), desired_size: Some(1) })), &["scaling", "min_size"], Value::Unknown);
        assert!(validate_node_group(&value).is_empty());
        let value = set(config(|_| {}), &["instance_types"], Value::List(vec![Value::Unknown, Value::from("c5n.xlarge")]));
        assert!(validate_node_group(&value).is_empty(), "the first type is unknown: no size check");
        for attribute in ["labels", "taint", "tags", "scaling", "instance_types", "launch_template", "update_config"] {
            assert!(validate_node_group(&set(config(|_| {}), &[attribute], Value::Unknown)).is_empty(), "{attribute}");
        }
        assert!(validate_node_group(&Value::Unknown).is_empty());
    }

    #[test]
    fn instance_types_must_be_present_and_unique() {
        let diags = validate_node_group(&config(|m| m.instance_types = Some(vec![])));
        assert_eq!(errors(&diags), vec![("instance_types".to_string(), "No instance types".to_string())]);
        let diags = validate_node_group(&config(|m| m.instance_types = Some(vec!["c5.xlarge".into(), "m5.large".into(), "c5.xlarge".into()])));
        assert_eq!(errors(&diags), vec![("instance_types[2]".to_string(), "Duplicate instance type".to_string())]);
    }

    #[test]
    fn mixed_sizes_warn_on_the_odd_type() {
        // The seed's group: c5n.xlarge has 10.5 GiB, the others 8 GiB.
        let diags = validate_node_group(&config(|m| {
            m.instance_types = Some(["c5.xlarge", "c5a.xlarge", "c5n.xlarge", "c5d.xlarge"].map(String::from).to_vec());
        }));
        assert!(errors(&diags).is_empty());
        assert_eq!(warnings(&diags), vec!["instance_types[2]"]);
        let detail = &diags.iter().next().unwrap().detail;
        assert!(detail.contains("c5n.xlarge has 4 vCPU and 10.5 GiB") && detail.contains("c5.xlarge, has 4 vCPU and 8 GiB"), "{detail}");
        // Unknown types skip the check.
        let diags = validate_node_group(&config(|m| m.instance_types = Some(vec!["c5.xlarge".into(), "g9.mega".into()])));
        assert!(diags.is_empty());
    }

    #[test]
    fn taints_are_checked() {
        let taint = |key: &str, value: Option<&str>, effect: &str| TaintModel { key: key.into(), value: value.map(String::from), effect: effect.into() };
        let diags = validate_node_group(&config(|m| {
            m.taint = Some(vec![
                taint("workload", Some("batch"), "NO_SCHEDULE"),
                taint("workload", Some("other"), "NO_SCHEDULE"),
                taint("workload", None, "NO_EXECUTE"),
                taint("bad key", None, "NO_SCHEDULE"),
                taint("ok", Some("-bad"), "NO_SCHEDULE"),
            ]);
        }));
        assert_eq!(
            errors(&diags),
            vec![
                ("taint[1]".to_string(), "Duplicate taint".to_string()),
                ("taint[3].key".to_string(), "Invalid taint key".to_string()),
                ("taint[4].value".to_string(), "Invalid taint value".to_string()),
            ]
        );
        let diags = validate_node_group(&config(|m| m.taint = Some((0..51).map(|i| taint(&format!("k{i}"), None, "NO_SCHEDULE")).collect())));
        assert_eq!(errors(&diags), vec![("taint".to_string(), "Too many taints".to_string())]);
        let diags = validate_node_group(&config(|m| m.taint = Some((0..50).map(|i| taint(&format!("k{i}"), None, "NO_SCHEDULE")).collect())));
        assert!(diags.is_empty());
        // The effect is checked by the schema.
        let mut diags = Diagnostics::new();
        tfplugin::schema::validate_config(&schema().block, &config(|m| m.taint = Some(vec![taint("a", None, "NoSchedule")])), &AttributePath::empty(), &mut diags);
        assert_eq!(errors(&diags), vec![("taint[0].effect".to_string(), "Invalid value".to_string())]);
    }

    #[test]
    fn label_syntax_follows_kubernetes() {
        for key in ["workload", "cost-optimization", "example.com/dedicated", "a", "A_b.c-9", "node.kubernetes.io/lifecycle", &"k".repeat(63)] {
            assert_eq!(check_label_key(key), Ok(()), "{key}");
        }
        for key in ["", "-a", "a-", "has space", "a/b/c", "/name", "Example.com/x", "ex_ample.com/x", "a.", &"k".repeat(64), &format!("{}/x", "p".repeat(254))] {
            assert!(check_label_key(key).is_err(), "{key:?} should be rejected");
        }
        for value in ["", "batch", "spot", "1.2.3", "A-b_c", &"v".repeat(63)] {
            assert_eq!(check_label_value(value), Ok(()), "{value}");
        }
        for value in ["-x", "x-", "has space", "a/b", &"v".repeat(64)] {
            assert!(check_label_value(value).is_err(), "{value:?} should be rejected");
        }
        let diags = validate_node_group(&config(|m| m.labels = Some([("bad key".to_string(), "ok".to_string()), ("ok".to_string(), "bad value".to_string())].into())));
        assert_eq!(
            errors(&diags),
            vec![
                ("labels[\"bad key\"]".to_string(), "Invalid Kubernetes label key".to_string()),
                ("labels[\"ok\"]".to_string(), "Invalid Kubernetes label value".to_string()),
            ]
        );
    }

    #[test]
    fn names_are_checked_by_the_schema() {
        let check = |value: Value| {
            let mut diags = Diagnostics::new();
            tfplugin::schema::validate_config(&schema().block, &value, &AttributePath::empty(), &mut diags);
            errors(&diags).into_iter().map(|(p, _)| p).collect::<Vec<_>>()
        };
        assert!(check(config(|m| m.node_group_name = Some("spot_batch-1".into()))).is_empty());
        assert_eq!(check(config(|m| m.node_group_name = Some("-spot".into()))), vec!["node_group_name"]);
        assert_eq!(check(config(|m| m.node_group_name = Some("spot.batch".into()))), vec!["node_group_name"]);
        assert_eq!(check(config(|m| m.node_group_name = Some("n".repeat(64)))), vec!["node_group_name"]);
        assert!(check(config(|m| m.node_group_name = Some("n".repeat(63)))).is_empty());
        assert_eq!(check(config(|m| m.node_group_name = Some(String::new()))), vec!["node_group_name", "node_group_name"]);
        assert_eq!(
            check(config(|m| {
                m.node_group_name = None;
                m.node_group_name_prefix = Some("p".repeat(38));
            })),
            vec!["node_group_name_prefix"]
        );
        assert_eq!(check(config(|m| m.node_group_name_prefix = Some("spot-".into()))), vec!["node_group_name"]);
        assert_eq!(check(config(|m| m.capacity_type = Some("spot".into()))), vec!["capacity_type"]);
        assert_eq!(check(config(|m| m.ami_type = Some("AL3".into()))), vec!["ami_type"]);
        assert!(check(config(|m| m.ami_type = Some("BOTTLEROCKET_x86_64".into()))).is_empty());
    }

    #[test]
    fn launch_template_update_config_and_tags_are_checked() {
        let lt = |id: Option<&str>, name: Option<&str>| Some(LaunchTemplateModel { id: id.map(String::from), name: name.map(String::from), version: Some("1".into()) });
        assert!(validate_node_group(&config(|m| m.launch_template = lt(Some("lt-1"), None))).is_empty());
        assert_eq!(errors(&validate_node_group(&config(|m| m.launch_template = lt(None, None)))), vec![("launch_template".to_string(), "Launch template not named".to_string())]);
        assert_eq!(errors(&validate_node_group(&config(|m| m.launch_template = lt(Some("lt-1"), Some("x"))))), vec![("launch_template.name".to_string(), "Conflicting attributes".to_string())]);
        let diags = validate_node_group(&config(|m| {
            m.launch_template = lt(None, Some("x"));
            m.disk_size = Some(50);
        }));
        assert_eq!(errors(&diags), vec![("disk_size".to_string(), "disk_size with a launch template".to_string())]);

        assert_eq!(errors(&validate_node_group(&config(|m| m.update_config = Some(UpdateConfigModel::default())))), vec![("update_config".to_string(), "Empty update_config".to_string())]);
        let mut diags = Diagnostics::new();
        let both = config(|m| m.update_config = Some(UpdateConfigModel { max_unavailable: Some(1), max_unavailable_percentage: Some(10) }));
        tfplugin::schema::validate_config(&schema().block, &both, &AttributePath::empty(), &mut diags);
        assert_eq!(errors(&diags), vec![("update_config.max_unavailable".to_string(), "Conflicting attributes".to_string())]);

        let diags = validate_node_group(&config(|m| m.tags = Some([("aws:x".to_string(), "1".to_string()), ("v".to_string(), "x".repeat(257))].into())));
        assert_eq!(
            errors(&diags),
            vec![("tags[\"aws:x\"]".to_string(), "Reserved tag key".to_string()), ("tags[\"v\"]".to_string(), "Tag value too long".to_string())]
        );
    }

    // --- ids and names --------------------------------------------------------------------

    #[test]
    fn import_ids() {
        assert_eq!(parse_import_id("prod:spot-batch"), Ok(("prod".to_string(), "spot-batch".to_string())));
        for bad in ["prod", "prod:", ":spot", "a:b:c", ""] {
            assert!(parse_import_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn generated_names_fit_eks() {
        let a = generated_name("spot-");
        let b = generated_name("spot-");
        assert_ne!(a, b);
        assert!(a.starts_with("spot-") && a.len() == 5 + GENERATED_SUFFIX_LENGTH, "{a}");
        let longest = generated_name(&"p".repeat(MAX_NAME_LENGTH - GENERATED_SUFFIX_LENGTH));
        assert_eq!(longest.len(), MAX_NAME_LENGTH);
        assert!(regex_free_name_check(&longest));
    }

    fn regex_free_name_check(name: &str) -> bool {
        name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') && name.as_bytes()[0].is_ascii_alphanumeric()
    }

    // --- flatten --------------------------------------------------------------------------

    #[test]
    fn flatten_keeps_the_configured_desired_size_under_initial() {
        let state = flatten(&described(NodegroupStatus::Active), &model());
        assert_eq!(state.scaling, Some(ScalingModel { min_size: Some(1), max_size: Some(5), desired_size: Some(2) }));
        assert_eq!(state.current_desired_size, Some(4));
        assert_eq!(state.id.as_deref(), Some("c1:spot"));
        assert_eq!(state.asg_names, Some(vec!["eks-spot-uuid-1".to_string()]));
        assert_eq!(state.status.as_deref(), Some("ACTIVE"));
        assert_eq!(state.update_config, None, "not configured, not managed");
    }

    #[test]
    fn flatten_reports_the_live_desired_size_under_enforce() {
        let base = NodeGroupModel { desired_size_policy: Some("enforce".into()), ..model() };
        let state = flatten(&described(NodegroupStatus::Active), &base);
        assert_eq!(state.scaling.and_then(|s| s.desired_size), Some(4));
    }

    #[test]
    fn flatten_orders_taints_like_the_configuration() {
        let base = NodeGroupModel {
            taint: Some(vec![
                TaintModel { key: "workload".into(), value: Some("batch".into()), effect: "NO_SCHEDULE".into() },
                TaintModel { key: "other".into(), value: None, effect: "NO_EXECUTE".into() },
            ]),
            ..model()
        };
        let state = flatten(&described(NodegroupStatus::Active), &base);
        assert_eq!(state.taint, base.taint);
        // An empty value as configured, though AWS reports none.
        let base = NodeGroupModel { taint: Some(vec![TaintModel { key: "other".into(), value: Some(String::new()), effect: "NO_EXECUTE".into() }]), ..model() };
        let state = flatten(&described(NodegroupStatus::Active), &base);
        assert_eq!(state.taint.map(|t| t[0].value.clone()), Some(Some(String::new())));
        // Taints added outside Terraform come last.
        let state = flatten(&described(NodegroupStatus::Active), &model());
        let keys: Vec<String> = state.taint.unwrap().into_iter().map(|t| t.key).collect();
        assert_eq!(keys, vec!["workload", "other"]);
    }

    #[test]
    fn flatten_after_import_fills_everything_from_aws() {
        let stub = NodeGroupModel { id: Some("c1:spot".into()), cluster_name: Some("c1".into()), node_group_name: Some("spot".into()), ..NodeGroupModel::default() };
        let state = flatten(&described(NodegroupStatus::Active), &stub);
        assert_eq!(state.scaling, Some(ScalingModel { min_size: Some(1), max_size: Some(5), desired_size: Some(4) }));
        assert_eq!(state.desired_size_policy.as_deref(), Some("initial"));
        assert_eq!(state.update_config, None, "EKS's default is not written");
        assert_eq!(state.labels, Some([("workload".to_string(), "batch".to_string())].into()));
        assert_eq!(state.tags, None);
        assert_eq!(state.taint.map(|t| t.len()), Some(2));
        let custom = group_builder(NodegroupStatus::Active).update_config(NodegroupUpdateConfig::builder().max_unavailable_percentage(25).build()).build();
        assert_eq!(flatten(&custom, &stub).update_config, Some(UpdateConfigModel { max_unavailable: None, max_unavailable_percentage: Some(25) }));
    }

    #[test]
    fn flatten_keeps_empty_maps_only_when_configured() {
        let group = Nodegroup::builder().cluster_name("c1").nodegroup_name("spot").build();
        let state = flatten(&group, &NodeGroupModel { labels: None, tags: Some(BTreeMap::new()), ..model() });
        assert_eq!(state.labels, None);
        assert_eq!(state.tags, Some(BTreeMap::new()));
        assert_eq!(state.taint, Some(vec![]), "a list block is an empty list, never null");
    }

    // --- diffs ----------------------------------------------------------------------------

    fn sizes(min: i64, max: i64, desired: i64) -> ScalingModel {
        ScalingModel { min_size: Some(min), max_size: Some(max), desired_size: Some(desired) }
    }

    fn sent(config: Option<NodegroupScalingConfig>) -> Option<(Option<i32>, Option<i32>, Option<i32>)> {
        config.map(|c| (c.min_size(), c.max_size(), c.desired_size()))
    }

    #[test]
    fn raising_min_size_clamps_the_live_desired_size_in_the_same_call() {
        // terraform-aws-eks#944: the autoscaler is at 2, the new minimum is 3.
        let change = scaling_change(&sizes(1, 5, 1), &sizes(3, 5, 3), DesiredSizePolicy::Initial, Some(2));
        assert_eq!(sent(change), Some((Some(3), Some(5), Some(3))));
        // Live size above the new minimum: kept, and not sent.
        let change = scaling_change(&sizes(1, 5, 1), &sizes(3, 5, 3), DesiredSizePolicy::Initial, Some(4));
        assert_eq!(sent(change), Some((Some(3), Some(5), None)));
        // Lowering the maximum below the live size.
        let change = scaling_change(&sizes(1, 5, 1), &sizes(1, 3, 1), DesiredSizePolicy::Initial, Some(5));
        assert_eq!(sent(change), Some((Some(1), Some(3), Some(3))));
    }

    #[test]
    fn initial_policy_never_sends_a_changed_desired_size_alone() {
        assert_eq!(sent(scaling_change(&sizes(1, 5, 1), &sizes(1, 5, 3), DesiredSizePolicy::Initial, Some(4))), None);
        assert_eq!(sent(scaling_change(&sizes(1, 5, 1), &sizes(1, 5, 1), DesiredSizePolicy::Initial, Some(4))), None);
        // Without a live size, the recorded one stands in.
        assert_eq!(sent(scaling_change(&sizes(1, 5, 1), &sizes(2, 5, 2), DesiredSizePolicy::Initial, None)), Some((Some(2), Some(5), Some(2))));
    }

    #[test]
    fn enforce_policy_resets_the_live_desired_size() {
        assert_eq!(sent(scaling_change(&sizes(1, 5, 4), &sizes(1, 5, 1), DesiredSizePolicy::Enforce, Some(4))), Some((Some(1), Some(5), Some(1))));
        assert_eq!(sent(scaling_change(&sizes(1, 5, 1), &sizes(1, 5, 1), DesiredSizePolicy::Enforce, Some(1))), None);
        // The policy switched from initial: the live size differs from the configured one.
        assert_eq!(sent(scaling_change(&sizes(1, 5, 1), &sizes(1, 5, 1), DesiredSizePolicy::Enforce, Some(3))), Some((Some(1), Some(5), Some(1))));
    }

    #[test]
    fn labels_diff_into_adds_and_removes() {
        let map = |pairs: &[(&str, &str)]| Some(pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect::<BTreeMap<_, _>>());
        let payload = label_changes(map(&[("a", "1"), ("b", "2")]).as_ref(), map(&[("a", "1"), ("b", "3"), ("c", "4")]).as_ref()).unwrap();
        let mut added: Vec<_> = payload.add_or_update_labels().unwrap().iter().map(|(k, v)| format!("{k}={v}")).collect();
        added.sort();
        assert_eq!(added, vec!["b=3", "c=4"]);
        assert!(payload.remove_labels().is_empty());
        let payload = label_changes(map(&[("a", "1"), ("b", "2")]).as_ref(), None).unwrap();
        assert_eq!(payload.remove_labels(), ["a", "b"]);
        assert!(payload.add_or_update_labels().is_none());
        assert!(label_changes(map(&[("a", "1")]).as_ref(), map(&[("a", "1")]).as_ref()).is_none());
    }

    #[test]
    fn taints_diff_by_key_and_effect() {
        let t = |key: &str, value: Option<&str>, effect: &str| TaintModel { key: key.into(), value: value.map(String::from), effect: effect.into() };
        let describe = |taints: &[Taint]| taints.iter().map(|t| format!("{}={}:{}", t.key().unwrap_or(""), t.value().unwrap_or(""), t.effect().map_or("", |e| e.as_str()))).collect::<Vec<_>>();
        // A new value: add-or-update only.
        let payload = taint_changes(&[t("w", Some("a"), "NO_SCHEDULE")], &[t("w", Some("b"), "NO_SCHEDULE")]).unwrap();
        assert_eq!(describe(payload.add_or_update_taints()), vec!["w=b:NO_SCHEDULE"]);
        assert!(payload.remove_taints().is_empty());
        // A new effect: a different taint, the old one goes.
        let payload = taint_changes(&[t("w", Some("a"), "NO_SCHEDULE")], &[t("w", Some("a"), "NO_EXECUTE")]).unwrap();
        assert_eq!(describe(payload.add_or_update_taints()), vec!["w=a:NO_EXECUTE"]);
        assert_eq!(describe(payload.remove_taints()), vec!["w=:NO_SCHEDULE"]);
        // Order alone is no change.
        let both = [t("a", None, "NO_SCHEDULE"), t("b", None, "NO_EXECUTE")];
        let reversed = [both[1].clone(), both[0].clone()];
        assert!(taint_changes(&both, &reversed).is_none());
    }

    #[test]
    fn config_change_holds_only_what_changed() {
        assert!(config_change(&model(), &model(), Some(2)).is_empty());
        let planned = NodeGroupModel { update_config: Some(UpdateConfigModel { max_unavailable: None, max_unavailable_percentage: Some(20) }), ..model() };
        let change = config_change(&model(), &planned, Some(2));
        assert_eq!(change.update_config.and_then(|u| u.max_unavailable_percentage()), Some(20));
        assert!(change.labels.is_none() && change.taints.is_none() && change.scaling.is_none());
        // update_config removed from the configuration: left as it is.
        assert!(config_change(&planned, &model(), Some(2)).is_empty());
    }

    #[test]
    fn version_changes() {
        let prior = NodeGroupModel { version: Some("1.32".into()), release_version: Some("1.32.0-1".into()), ..model() };
        assert_eq!(version_change(&prior, &prior), None);
        let planned = NodeGroupModel { version: Some("1.33".into()), release_version: None, ..prior.clone() };
        assert_eq!(version_change(&prior, &planned).map(|c| (c.version, c.release_version)), Some((Some("1.33".into()), None)));
        let lt = |v: &str| Some(LaunchTemplateModel { id: Some("lt-1".into()), name: Some("nodes".into()), version: Some(v.into()) });
        let prior = NodeGroupModel { launch_template: lt("1"), ..prior };
        let planned = NodeGroupModel { launch_template: lt("2"), force_update_version: Some(true), ..prior.clone() };
        let change = version_change(&prior, &planned).unwrap();
        let template = change.launch_template.unwrap();
        assert_eq!((template.id(), template.name(), template.version(), change.force), (Some("lt-1"), None, Some("2"), true));
    }

    #[test]
    fn tags_diff() {
        let map = |pairs: &[(&str, &str)]| Some(pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect::<BTreeMap<_, _>>());
        let (set, remove) = tag_changes(map(&[("a", "1"), ("b", "2")]).as_ref(), map(&[("a", "9"), ("c", "3")]).as_ref());
        let mut set: Vec<_> = set.into_iter().collect();
        set.sort();
        assert_eq!(set, vec![("a".to_string(), "9".to_string()), ("c".to_string(), "3".to_string())]);
        assert_eq!(remove, vec!["b"]);
    }

    #[test]
    fn version_follows_release_version_when_unset() {
        let prior = config(|m| {
            m.version = Some("1.32".into());
            m.release_version = Some("1.32.0-1".into());
        });
        let config_value = set(set(prior.clone(), &["version"], Value::Null), &["release_version"], Value::from("1.33.0-1"));
        let mut plan = Plan { prior: prior.clone(), config: config_value, planned: set(prior.clone(), &["release_version"], Value::from("1.33.0-1")), requires_replace: vec![], private: vec![] };
        plan_version_fields(&mut plan);
        assert_eq!(plan.planned.get("version"), Some(&Value::Unknown));
        assert_eq!(plan.planned.get("release_version"), Some(&Value::from("1.33.0-1")));
    }

    #[tokio::test]
    async fn adding_or_removing_a_launch_template_replaces_the_group() {
        let ctx = Context::new(None, tokio_util::sync::CancellationToken::new(), TYPE_NAME);
        let without = value_of(&flatten(&described(NodegroupStatus::Active), &model())).unwrap();
        let with = set(
            without.clone(),
            &["launch_template"],
            Value::object([("id", Value::from("lt-1")), ("name", Value::Null), ("version", Value::from("1"))]),
        );
        for (prior, planned) in [(&without, &with), (&with, &without)] {
            let mut plan = Plan { prior: prior.clone(), config: planned.clone(), planned: planned.clone(), requires_replace: vec![], private: vec![] };
            assert!(SpotNodeGroup.modify_plan(&ctx, &mut plan).await.is_empty());
            assert_eq!(plan.requires_replace, vec![AttributePath::root("launch_template")]);
        }
        let mut plan = Plan { prior: with.clone(), config: with.clone(), planned: with.clone(), requires_replace: vec![], private: vec![] };
        SpotNodeGroup.modify_plan(&ctx, &mut plan).await;
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn release_version_follows_version_when_unset() {
        let prior = config(|m| {
            m.version = Some("1.32".into());
            m.release_version = Some("1.32.0-1".into());
        });
        let planned = set(prior.clone(), &["version"], Value::from("1.33"));
        let config_value = set(planned.clone(), &["release_version"], Value::Null);
        let mut plan = Plan { prior, config: config_value, planned, requires_replace: vec![], private: vec![] };
        plan_version_fields(&mut plan);
        assert_eq!(plan.planned.get("release_version"), Some(&Value::Unknown));
        assert_eq!(plan.planned.get("version"), Some(&Value::from("1.33")));
    }

    // --- lifecycle against mocked EKS responses ---------------------------------------------

    #[tokio::test]
    async fn create_failed_keeps_the_group_in_state_with_its_health_issues() {
        let create = mock!(aws_sdk_eks::Client::create_nodegroup)
            .then_output(|| CreateNodegroupOutput::builder().nodegroup(described(NodegroupStatus::Creating)).build());
        let describe = describe_always(NodegroupStatus::CreateFailed, |g| {
            g.health(
                    NodegroupHealth::builder()
                        .issues(
                            Issue::builder()
                                .code(NodegroupIssueCode::AsgInstanceLaunchFailures)
                                .message("Could not launch Spot Instances. UnfulfillableCapacity")
                                .resource_ids("eks-spot-uuid-1")
                                .build(),
                        )
                        .build(),
                )
        });
        let ctx = context(mocked_clients(&[&create, &describe]), tokio_util::sync::CancellationToken::new());
        let planned = value_of(&model()).unwrap();
        let result = SpotNodeGroup.create(&ctx, &planned, &planned).await;
        let state = model_of(&result.state).unwrap();
        assert_eq!(state.status.as_deref(), Some("CREATE_FAILED"));
        assert_eq!(state.arn.as_deref(), Some("arn:aws:eks:us-east-1:123456789012:nodegroup/c1/spot/uuid-1"));
        let error = result.diags.iter().find(|d| d.is_error()).unwrap();
        assert!(error.summary.contains("CREATE_FAILED") && error.detail.contains("UnfulfillableCapacity (eks-spot-uuid-1)"), "{error:?}");
        assert_eq!(create.num_calls(), 1);
    }

    #[tokio::test]
    async fn stop_while_creating_returns_the_group_and_an_error() {
        let create = mock!(aws_sdk_eks::Client::create_nodegroup)
            .then_compute_output(|req| {
                assert!(req.client_request_token().is_some_and(|t| !t.is_empty()), "create needs an idempotency token");
                CreateNodegroupOutput::builder().nodegroup(described(NodegroupStatus::Creating)).build()
            });
        let describe = describe_always(NodegroupStatus::Creating, |g| g);
        let cancel = tokio_util::sync::CancellationToken::new();
        cancel.cancel(); // Terraform's StopProvider
        let ctx = context(mocked_clients(&[&create, &describe]), cancel);
        let planned = value_of(&model()).unwrap();
        let result = SpotNodeGroup.create(&ctx, &planned, &planned).await;
        let state = model_of(&result.state).unwrap();
        assert_eq!(state.status.as_deref(), Some("CREATING"));
        assert_eq!(state.id.as_deref(), Some("c1:spot"));
        let error = result.diags.iter().find(|d| d.is_error()).unwrap();
        assert!(error.summary.contains("asked the provider to stop"), "{error:?}");
    }

    #[tokio::test]
    async fn a_failed_update_reports_its_errors_and_keeps_what_exists() {
        let update = mock!(aws_sdk_eks::Client::update_nodegroup_config)
            .then_output(|| UpdateNodegroupConfigOutput::builder().update(Update::builder().id("u-1").status(UpdateStatus::InProgress).build()).build());
        let describe_update = mock!(aws_sdk_eks::Client::describe_update).then_output(|| {
            DescribeUpdateOutput::builder()
                .update(
                    Update::builder()
                        .id("u-1")
                        .status(UpdateStatus::Failed)
                        .errors(ErrorDetail::builder().error_code(ErrorCode::NodeCreationFailure).error_message("Spot capacity not available").build())
                        .build(),
                )
                .build()
        });
        let describe = describe_always(NodegroupStatus::Active, |g| g);
        let ctx = context(mocked_clients(&[&update, &describe_update, &describe]), tokio_util::sync::CancellationToken::new());
        let prior = value_of(&flatten(&described(NodegroupStatus::Active), &model())).unwrap();
        let mut planned_model = model_of(&prior).unwrap();
        planned_model.scaling = Some(sizes(1, 8, 2));
        let planned = value_of(&planned_model).unwrap();
        let result = SpotNodeGroup.update(&ctx, &prior, &planned, &planned, &[]).await;
        let error = result.diags.iter().find(|d| d.is_error()).unwrap();
        assert!(error.summary.contains("ended Failed") && error.summary.contains("NodeCreationFailure: Spot capacity not available"), "{error:?}");
        // State is what AWS has: max_size still 5, so the next plan shows the change again.
        let state = model_of(&result.state).unwrap();
        assert_eq!(state.scaling.and_then(|s| s.max_size), Some(5));
    }

    #[tokio::test]
    async fn deleting_a_group_that_is_gone_succeeds() {
        let not_found = || ResourceNotFoundException::builder().message("No node group found for name: spot.").build();
        let delete = mock!(aws_sdk_eks::Client::delete_nodegroup).then_error(move || DeleteNodegroupError::ResourceNotFoundException(not_found()));
        let describe = mock!(aws_sdk_eks::Client::describe_nodegroup)
            .then_error(|| DescribeNodegroupError::ResourceNotFoundException(ResourceNotFoundException::builder().message("gone").build()));
        let ctx = context(mocked_clients(&[&delete, &describe]), tokio_util::sync::CancellationToken::new());
        let prior = value_of(&flatten(&described(NodegroupStatus::Active), &model())).unwrap();
        let diags = SpotNodeGroup.delete(&ctx, &prior, &[]).await;
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!((delete.num_calls(), describe.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn read_of_a_missing_group_removes_it_and_import_checks_the_id() {
        let describe = mock!(aws_sdk_eks::Client::describe_nodegroup)
            .then_error(|| DescribeNodegroupError::ResourceNotFoundException(ResourceNotFoundException::builder().message("gone").build()));
        let ctx = context(mocked_clients(&[&describe]), tokio_util::sync::CancellationToken::new());
        let prior = value_of(&flatten(&described(NodegroupStatus::Active), &model())).unwrap();
        let result = SpotNodeGroup.read(&ctx, &prior, &[]).await;
        assert!(result.state.is_null() && result.diags.is_empty());

        let imported = SpotNodeGroup.import(&ctx, "c1:spot").await.unwrap();
        assert_eq!(imported.get("cluster_name"), Some(&Value::from("c1")));
        assert_eq!(imported.get("node_group_name"), Some(&Value::from("spot")));
        let error = SpotNodeGroup.import(&ctx, "c1/spot").await.unwrap_err();
        assert!(error.iter().any(|d| d.detail.contains("cluster_name:node_group_name")));
    }
}

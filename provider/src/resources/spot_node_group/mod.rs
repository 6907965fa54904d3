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
//! Layout: this file holds the lifecycle (plan, create, read, update, delete, import) and its
//! tests; the pure parts stand beside it: `schema`, `validation` (plan-time checks) and `model`
//! (the model, expand, flatten, diffs), each with its unit tests.

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

mod model;
mod schema;
mod validation;

use model::*;
use schema::schema;
use validation::*;

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
    use super::*;

    // --- fixtures (shared with the tests of model, schema and validation) ---------------

    pub(super) fn model() -> NodeGroupModel {
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

    pub(super) fn config(change: impl FnOnce(&mut NodeGroupModel)) -> Value {
        let mut m = model();
        change(&mut m);
        value_of(&m).unwrap()
    }

    /// Sets a value at `path` (attributes only) inside an object.
    pub(super) fn set(mut value: Value, path: &[&str], to: Value) -> Value {
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

    pub(super) fn errors(diags: &Diagnostics) -> Vec<(String, String)> {
        diags.iter().filter(|d| d.is_error()).map(|d| (d.path.as_ref().map(ToString::to_string).unwrap_or_default(), d.summary.clone())).collect()
    }

    pub(super) fn warnings(diags: &Diagnostics) -> Vec<String> {
        diags.iter().filter(|d| !d.is_error()).map(|d| d.path.as_ref().map(ToString::to_string).unwrap_or_default()).collect()
    }

    pub(super) fn sizes(min: i64, max: i64, desired: i64) -> ScalingModel {
        ScalingModel { min_size: Some(min), max_size: Some(max), desired_size: Some(desired) }
    }

    pub(super) fn described(status: NodegroupStatus) -> Nodegroup {
        group_builder(status).build()
    }

    pub(super) fn group_builder(status: NodegroupStatus) -> aws_sdk_eks::types::builders::NodegroupBuilder {
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

    pub(super) fn mocked_clients(rules: &[&Rule]) -> Arc<Clients> {
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

    pub(super) fn context(clients: Arc<Clients>, cancel: tokio_util::sync::CancellationToken) -> Context {
        let configured = crate::aws::Configured::from_clients(crate::aws::AwsSettings::default(), clients);
        Context::new(Some(Arc::new(configured)), cancel, TYPE_NAME)
    }

    pub(super) fn describe_always(
        status: NodegroupStatus,
        change: impl Fn(aws_sdk_eks::types::builders::NodegroupBuilder) -> aws_sdk_eks::types::builders::NodegroupBuilder + Send + Sync + 'static,
    ) -> Rule {
        mock!(aws_sdk_eks::Client::describe_nodegroup)
            .sequence()
            .output(move || DescribeNodegroupOutput::builder().nodegroup(change(group_builder(status.clone())).build()).build())
            .repeatedly()
            .build()
    }

    // --- plan ---------------------------------------------------------------------------------

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
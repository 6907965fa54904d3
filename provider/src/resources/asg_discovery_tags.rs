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
// Schema
// ---------------------------------------------------------------------------------------------

fn schema() -> Schema {
    let mut options =
        Block::new("Per-group overrides of Cluster Autoscaler flags, written as `k8s.io/cluster-autoscaler/node-template/autoscaling-options/<option>` tags.");
    for (attribute, suffix, kind, flag) in OPTIONS {
        let described = |a: Attribute, what: &str| a.optional().description(format!("{what} Overrides `{flag}` for these ASGs (tag option `{suffix}`)."));
        options = options.attribute(match kind {
            OptionKind::Ratio => described(Attribute::number(attribute), "Utilization ratio, `0` to `1`.").validator(validate::float_between(0.0, 1.0)),
            OptionKind::Duration => described(Attribute::string(attribute), "Duration such as `10m` or `1h30m`.").validator(timeouts::duration_validator()),
            OptionKind::Bool => described(Attribute::bool(attribute), "Whether DaemonSet pods are left out of utilization."),
        });
    }
    Schema::new(
        0,
        Block::new(
            "Cluster Autoscaler discovery and scale-from-zero tags on the Auto Scaling groups of an EKS managed node group \
             (looked up at apply, so nothing is unknown at plan time) or on named ASGs. Labels, taints and resources \
             become `k8s.io/cluster-autoscaler/node-template/...` tags, so the Cluster Autoscaler can scale a group up \
             from zero nodes. The resource owns only the tags it writes: other tags are never changed, and a tag already \
             on the ASG with the value wanted (the discovery pair EKS writes) is adopted and left in place on destroy. \
             Refreshes of many instances share DescribeTags calls when they run at the same time; Terraform runs at \
             most `-parallelism` (default 10) at once, so raise it for large fleets.",
        )
        .attribute(
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .description("`cluster_name:node_group_name`, or `asg:` followed by the comma-separated ASG names."),
        )
        .attribute(
            Attribute::string("cluster_name")
                .required()
                .requires_replace()
                .validator(validate::matches(r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$", "be an EKS cluster name (letters, digits, `-` and `_`, at most 100)"))
                .description("Name of the EKS cluster; the discovery tag is `k8s.io/cluster-autoscaler/<cluster_name>`."),
        )
        .attribute(Attribute::string("node_group_name").optional().requires_replace().description(
            "Name of the EKS managed node group whose Auto Scaling groups are tagged. Its ASGs are looked up at apply and \
             on every refresh: when EKS replaces the ASG, the next apply tags the new one. Exactly one of \
             `node_group_name` and `asg_names` must be set.",
        ))
        .attribute(Attribute::set_of("asg_names", Type::String).optional().computed().description(
            "Names of the Auto Scaling groups to tag, instead of `node_group_name`. With `node_group_name`, the node \
             group's ASGs as found at the last refresh.",
        ))
        .attribute(Attribute::bool("from_node_group").optional().computed().description(
            "Whether the node group's own labels and taints (from DescribeNodegroup) are turned into tags, beside \
             `labels` and `taint`. Defaults to `true` with `node_group_name`; cannot be `true` with `asg_names`. They are \
             read when planning: a change the same apply makes to the node group shows up in the next plan. When the node \
             group is managed in the same configuration, passing its labels and taints through `labels` and `taint` \
             (with `from_node_group = false`) keeps both in step in one apply.",
        ))
        .attribute(Attribute::map_of("labels", Type::String).optional().description(
            "Node labels, written as `k8s.io/cluster-autoscaler/node-template/label/<key>` tags. They win over node group \
             labels with the same key. Keys may be at most 82 characters (the tag prefix takes 46).",
        ))
        .attribute(Attribute::map_of("resources", Type::String).optional().validator(validate::each(Arc::new(Quantity))).description(
            "Node resources the Cluster Autoscaler cannot learn from the instance type, e.g. \
                     `{ \"ephemeral-storage\" = \"100G\" }`, written as `k8s.io/cluster-autoscaler/node-template/resources/<name>` tags.",
        ))
        .attribute(Attribute::bool("discovery").default(true).description(
            "Whether to write the discovery tags `k8s.io/cluster-autoscaler/enabled = true` and \
             `k8s.io/cluster-autoscaler/<cluster_name> = owned`. EKS writes them on managed node groups' ASGs itself: \
             they are then adopted, not rewritten.",
        ))
        .attribute(
            Attribute::bool("propagate_at_launch")
                .default(false)
                .description("Whether the tags this resource writes are copied to the instances the ASGs launch."),
        )
        .attribute(
            Attribute::map_of("tags", Type::String)
                .computed()
                .description("Every tag this resource manages, key to value, the same on each ASG (adopted tags included)."),
        )
        .block(
            NestedBlock::list(
                "taint",
                Block::new(
                    "A node taint, written as the tag `k8s.io/cluster-autoscaler/node-template/taint/<key> = <value>:<Effect>` \
                     with the effect in Kubernetes casing. It wins over a node group taint with the same key.",
                )
                .attribute(Attribute::string("key").required().validator(Arc::new(QualifiedName)).description("Taint key."))
                .attribute(Attribute::string("value").optional().validator(Arc::new(LabelValue)).description("Taint value; empty when unset."))
                .attribute(Attribute::string("effect").required().validator(validate::one_of(EFFECTS)).description(
                    "`NoSchedule`, `NoExecute` or `PreferNoSchedule`; the EKS spellings `NO_SCHEDULE`, `NO_EXECUTE` and \
                     `PREFER_NO_SCHEDULE` are accepted too.",
                )),
            )
            .max_items(50),
        )
        .block(NestedBlock::single("autoscaling_options", options)),
    )
}

/// Checks beyond the schema's validators; values may be unknown.
fn validate_config(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let node_group = config.get("node_group_name").unwrap_or(&Value::Null);
    let groups = config.get("asg_names").unwrap_or(&Value::Null);
    match (node_group.is_null(), groups.is_null()) {
        (true, true) => diags.push(
            Diagnostic::error("Missing node group or ASG names", "Set `node_group_name` (the node group's ASGs are tagged) or `asg_names`.")
                .at(AttributePath::root("node_group_name")),
        ),
        (false, false) => {
            diags.push(Diagnostic::error("Conflicting attributes", "Set only one of `node_group_name` and `asg_names`.").at(AttributePath::root("asg_names")))
        }
        _ => {}
    }
    if let Value::Set(items) | Value::List(items) = groups {
        if items.is_empty() {
            diags.error_at(AttributePath::root("asg_names"), "No ASG names", "`asg_names` must name at least one Auto Scaling group.");
        }
        for item in items {
            if item.as_str().is_some_and(|s| s.is_empty() || s.chars().count() > 255) {
                diags.error_at(AttributePath::root("asg_names"), "Invalid ASG name", "An Auto Scaling group name has 1 to 255 characters.");
            }
        }
    }
    if config.get("from_node_group").and_then(Value::as_bool) == Some(true) && !groups.is_null() {
        diags.error_at(
            AttributePath::root("from_node_group"),
            "No node group to read",
            "`from_node_group = true` needs `node_group_name`; with `asg_names`, list labels and taints yourself.",
        );
    }
    if let Some(labels) = config.get("labels").and_then(Value::as_map) {
        for (key, value) in labels {
            let path = AttributePath::root("labels").key(key.clone());
            if let Some(why) = qualified_name_problem(key) {
                diags.error_at(path.clone(), "Invalid label key", format!("Label key {key:?} {why}."));
            }
            check_key_length(&mut diags, &path, &format!("{LABEL_PREFIX}{key}"));
            if let Some(value) = value.as_str()
                && let Some(why) = label_value_problem(value)
            {
                diags.error_at(path, "Invalid label value", format!("The value of label {key:?} {why}."));
            }
        }
    }
    if let Some(resources) = config.get("resources").and_then(Value::as_map) {
        for key in resources.keys() {
            let path = AttributePath::root("resources").key(key.clone());
            if let Some(why) = qualified_name_problem(key) {
                diags.error_at(path.clone(), "Invalid resource name", format!("Resource name {key:?} {why}."));
            }
            check_key_length(&mut diags, &path, &format!("{RESOURCE_PREFIX}{key}"));
        }
    }
    let mut taint_keys = BTreeMap::new();
    for (i, taint) in config.get("taint").and_then(Value::as_list).unwrap_or_default().iter().enumerate() {
        let path = AttributePath::root("taint").index(i);
        let Some(key) = taint.get("key").and_then(Value::as_str) else { continue };
        check_key_length(&mut diags, &path.clone().attr("key"), &format!("{TAINT_PREFIX}{key}"));
        if let Some(first) = taint_keys.insert(key.to_string(), i) {
            diags.error_at(
                path.attr("key"),
                "Duplicate taint key",
                format!(
                    "taint[{first}] and taint[{i}] both have key {key:?}. The Cluster Autoscaler reads one tag per taint key \
                     (`{TAINT_PREFIX}{key}`), so each key may appear once."
                ),
            );
        }
    }
    // Known tags alone already over the limit (the live ASG is checked at plan and apply).
    if let Some(spec) = Spec::decode_config(config) {
        let (desired, _) = desired_tags(&spec, None);
        if desired.len() > MAX_TAGS_PER_GROUP {
            diags.error_at(
                AttributePath::root("labels"),
                "Too many tags",
                format!(
                    "This configuration asks for {} tags, but an Auto Scaling group holds at most {MAX_TAGS_PER_GROUP}, counting tags already on it.",
                    desired.len()
                ),
            );
        }
    }
    diags
}

fn check_key_length(diags: &mut Diagnostics, path: &AttributePath, tag_key: &str) {
    let n = tag_key.chars().count();
    if n > MAX_KEY_CHARS {
        diags.error_at(
            path.clone(),
            "Tag key too long",
            format!("The tag key `{tag_key}` has {n} characters; an ASG tag key has at most {MAX_KEY_CHARS}. Use a shorter key."),
        );
    }
}

/// A Kubernetes qualified name: `[prefix/]name` (label keys, taint keys, resource names).
#[derive(Debug)]
struct QualifiedName;

impl Validator for QualifiedName {
    fn description(&self) -> String {
        "be a Kubernetes qualified name (`[prefix/]name`, the name at most 63 letters, digits, `-`, `_` or `.`)".into()
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str()
            && let Some(why) = qualified_name_problem(s)
        {
            diags.error_at(path.clone(), "Invalid key", format!("{path} is {s:?}, which {why}."));
        }
    }
}

/// A Kubernetes label value (also a taint value): empty, or up to 63 letters, digits, `-_.`.
#[derive(Debug)]
struct LabelValue;

impl Validator for LabelValue {
    fn description(&self) -> String {
        "be a Kubernetes label value (empty, or at most 63 letters, digits, `-`, `_` or `.`, starting and ending alphanumeric)".into()
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str()
            && let Some(why) = label_value_problem(s)
        {
            diags.error_at(path.clone(), "Invalid value", format!("{path} is {s:?}, which {why}."));
        }
    }
}

/// A Kubernetes resource quantity (`100G`, `20Gi`, `500m`, `1`).
#[derive(Debug)]
struct Quantity;

impl Validator for Quantity {
    fn description(&self) -> String {
        "be a Kubernetes quantity such as `100G`, `20Gi` or `2`".into()
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str()
            && !is_quantity(s)
        {
            diags.error_at(
                path.clone(),
                "Invalid quantity",
                format!("{path} is {s:?}, but it must be a Kubernetes quantity such as `100G`, `20Gi`, `500m` or `2`."),
            );
        }
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

// ---------------------------------------------------------------------------------------------
// Pure parts: the configuration, the tags it asks for, ownership and the write plan
// ---------------------------------------------------------------------------------------------

/// Where the ASGs come from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    NodeGroup(String),
    Groups(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Taint {
    key: String,
    value: String,
    /// Kubernetes casing.
    effect: &'static str,
}

impl Taint {
    fn tag_value(&self) -> String {
        format!("{}:{}", self.value, self.effect)
    }
}

/// The configuration, wholly known.
#[derive(Debug, Clone, PartialEq)]
struct Spec {
    cluster: String,
    source: Source,
    from_node_group: bool,
    labels: BTreeMap<String, String>,
    taints: Vec<Taint>,
    resources: BTreeMap<String, String>,
    /// Tag suffix → tag value.
    options: BTreeMap<String, String>,
    discovery: bool,
    propagate_at_launch: bool,
}

impl Spec {
    /// From a planned value (defaults and `from_node_group` filled in); `None` while anything it
    /// needs is unknown.
    fn decode(v: &Value) -> Option<Spec> {
        Self::decode_with(v, v.get("from_node_group").and_then(Value::as_bool).unwrap_or(false), true)
    }

    /// From configuration, where defaults are not filled in yet.
    fn decode_config(v: &Value) -> Option<Spec> {
        let from_node_group = match v.get("from_node_group") {
            Some(Value::Bool(b)) => *b,
            Some(Value::Unknown) => return None,
            _ => !v.get("node_group_name").is_none_or(Value::is_null),
        };
        Self::decode_with(v, from_node_group, false)
    }

    fn decode_with(v: &Value, from_node_group: bool, need_source: bool) -> Option<Spec> {
        for name in ["cluster_name", "node_group_name", "labels", "taint", "resources", "autoscaling_options", "discovery", "propagate_at_launch"] {
            if !v.get(name).is_none_or(Value::is_wholly_known) {
                return None;
            }
        }
        let source = match text(v, "node_group_name") {
            Some(node_group) => Source::NodeGroup(node_group),
            None => {
                let groups = v.get("asg_names")?;
                if !groups.is_wholly_known() || (need_source && groups.is_null()) {
                    return None;
                }
                let mut names = strings(Some(groups));
                names.sort();
                names.dedup();
                Source::Groups(names)
            }
        };
        let taints = v
            .get("taint")
            .and_then(Value::as_list)
            .unwrap_or_default()
            .iter()
            .filter_map(|t| Some(Taint { key: text(t, "key")?, value: text(t, "value").unwrap_or_default(), effect: kubernetes_effect(&text(t, "effect")?)? }))
            .collect();
        let mut options = BTreeMap::new();
        if let Some(block) = v.get("autoscaling_options").filter(|b| !b.is_null()) {
            for (attribute, suffix, _, _) in OPTIONS {
                let value = match block.get(attribute) {
                    Some(Value::Number(n)) => n.to_string(),
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Bool(b)) => b.to_string(),
                    _ => continue,
                };
                options.insert(suffix.to_string(), value);
            }
        }
        Some(Spec {
            cluster: text(v, "cluster_name")?,
            source,
            from_node_group,
            labels: string_pairs(v.get("labels")),
            taints,
            resources: string_pairs(v.get("resources")),
            options,
            discovery: v.get("discovery").and_then(Value::as_bool).unwrap_or(true),
            propagate_at_launch: v.get("propagate_at_launch").and_then(Value::as_bool).unwrap_or(false),
        })
    }

    fn id(&self) -> String {
        match &self.source {
            Source::NodeGroup(node_group) => format!("{}:{node_group}", self.cluster),
            Source::Groups(groups) => format!("asg:{}", groups.join(",")),
        }
    }
}

fn planned_id(planned: &Value) -> Value {
    let cluster = planned.get("cluster_name").and_then(Value::as_str);
    match planned.get("node_group_name") {
        Some(Value::String(node_group)) => cluster.map_or(Value::Unknown, |c| Value::from(format!("{c}:{node_group}"))),
        Some(Value::Unknown) => Value::Unknown,
        _ => match planned.get("asg_names") {
            Some(groups) if groups.is_wholly_known() && !groups.is_null() => {
                let mut names = strings(Some(groups));
                names.sort();
                names.dedup();
                Value::from(format!("asg:{}", names.join(",")))
            }
            _ => Value::Unknown,
        },
    }
}

/// What a node group says its nodes carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct NodeTemplate {
    labels: BTreeMap<String, String>,
    taints: Vec<Taint>,
}

impl NodeTemplate {
    fn of(group: &Nodegroup) -> Self {
        let labels = group.labels().map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
        let taints = group
            .taints()
            .iter()
            .filter_map(|t| {
                Some(Taint { key: t.key()?.to_string(), value: t.value().unwrap_or_default().to_string(), effect: kubernetes_effect(t.effect()?.as_str())? })
            })
            .collect();
        Self { labels, taints }
    }
}

/// The Kubernetes spelling of a taint effect given in either casing.
fn kubernetes_effect(effect: &str) -> Option<&'static str> {
    match effect {
        "NoSchedule" | "NO_SCHEDULE" => Some("NoSchedule"),
        "NoExecute" | "NO_EXECUTE" => Some("NoExecute"),
        "PreferNoSchedule" | "PREFER_NO_SCHEDULE" => Some("PreferNoSchedule"),
        _ => None,
    }
}

/// The tags the configuration asks for (node group template first, configuration winning), and
/// errors for tags that would break the ASG limits.
fn desired_tags(spec: &Spec, template: Option<&NodeTemplate>) -> (BTreeMap<String, String>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut tags = BTreeMap::new();
    let node_group_path = AttributePath::root("node_group_name");
    if spec.discovery {
        tags.insert(DISCOVERY_ENABLED.to_string(), "true".to_string());
        tags.insert(format!("{CA_PREFIX}{}", spec.cluster), DISCOVERY_OWNED_VALUE.to_string());
    }
    let mut add = |tags: &mut BTreeMap<String, String>, key: String, value: String, path: AttributePath| {
        let (key_chars, value_chars) = (key.chars().count(), value.chars().count());
        if key_chars > MAX_KEY_CHARS {
            diags.error_at(
                path.clone(),
                "Tag key too long",
                format!("The tag key `{key}` has {key_chars} characters; an ASG tag key has at most {MAX_KEY_CHARS}."),
            );
        }
        if value_chars > MAX_VALUE_CHARS {
            diags.error_at(
                path,
                "Tag value too long",
                format!("The value of tag `{key}` has {value_chars} characters; an ASG tag value has at most {MAX_VALUE_CHARS}."),
            );
        }
        tags.insert(key, value);
    };
    let mut taints: BTreeMap<&str, (&Taint, AttributePath)> = BTreeMap::new();
    if let Some(template) = template {
        for (key, value) in &template.labels {
            add(&mut tags, format!("{LABEL_PREFIX}{key}"), value.clone(), node_group_path.clone());
        }
        for taint in &template.taints {
            // Kubernetes allows one key with several effects; the tag holds one: keep the first.
            taints.entry(taint.key.as_str()).or_insert((taint, node_group_path.clone()));
        }
    }
    for (key, value) in &spec.labels {
        add(&mut tags, format!("{LABEL_PREFIX}{key}"), value.clone(), AttributePath::root("labels").key(key.clone()));
    }
    for (i, taint) in spec.taints.iter().enumerate() {
        taints.insert(taint.key.as_str(), (taint, AttributePath::root("taint").index(i)));
    }
    for (key, (taint, path)) in taints {
        add(&mut tags, format!("{TAINT_PREFIX}{key}"), taint.tag_value(), path);
    }
    for (name, quantity) in &spec.resources {
        add(&mut tags, format!("{RESOURCE_PREFIX}{name}"), quantity.clone(), AttributePath::root("resources").key(name.clone()));
    }
    for (suffix, value) in &spec.options {
        let attribute = OPTIONS.iter().find(|o| o.1 == suffix).map_or("autoscaling_options", |o| o.0);
        add(&mut tags, format!("{OPTION_PREFIX}{suffix}"), value.clone(), AttributePath::root("autoscaling_options").attr(attribute));
    }
    (tags, diags)
}

/// What this resource wrote and adopted on each ASG: its private state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Ownership {
    #[serde(default)]
    groups: BTreeMap<String, GroupOwnership>,
}

/// The keys of one ASG this resource manages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct GroupOwnership {
    /// Written by this resource: removed on destroy.
    #[serde(default)]
    written: BTreeSet<String>,
    /// Found with the wanted value before this resource wrote anything: kept on destroy.
    #[serde(default)]
    adopted: BTreeSet<String>,
}

impl GroupOwnership {
    fn manages(&self, key: &str) -> bool {
        self.written.contains(key) || self.adopted.contains(key)
    }
}

impl Ownership {
    fn decode(private: &[u8]) -> Self {
        serde_json::from_slice(private).unwrap_or_default()
    }

    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// What to do on one ASG.
#[derive(Debug, Clone, PartialEq, Eq)]
struct GroupPlan {
    group: String,
    /// Tags to create or overwrite.
    write: BTreeMap<String, String>,
    /// Keys to remove (written by us, no longer wanted).
    remove: Vec<String>,
    /// Ownership of this ASG afterwards.
    ownership: GroupOwnership,
}

/// Plans the writes on one ASG from what is wanted, what this resource manages there (`None`: it
/// never wrote to it) and the live tags, refusing tags it does not own and the 50-tag limit.
fn plan_group(
    group: &str,
    desired: &BTreeMap<String, String>,
    propagate_at_launch: bool,
    prior: Option<&GroupOwnership>,
    live: &GroupTags,
) -> Result<GroupPlan, Diagnostics> {
    let empty = GroupOwnership::default();
    let prior = prior.unwrap_or(&empty);
    let mut plan = GroupPlan { group: group.to_string(), write: BTreeMap::new(), remove: Vec::new(), ownership: GroupOwnership::default() };
    let mut diags = Diagnostics::new();
    for (key, value) in desired {
        let adopted = prior.adopted.contains(key);
        match live.get(key) {
            Some(tag) if &tag.value == value => {
                if prior.written.contains(key) {
                    plan.ownership.written.insert(key.clone());
                    if tag.propagate_at_launch != propagate_at_launch {
                        plan.write.insert(key.clone(), value.clone());
                    }
                } else {
                    // There already, as wanted: adopt it, never rewrite it.
                    plan.ownership.adopted.insert(key.clone());
                }
            }
            Some(_) if prior.manages(key) => {
                // Ours, changed out of band: restore it (an adopted tag stays adopted).
                plan.write.insert(key.clone(), value.clone());
                if adopted {
                    plan.ownership.adopted.insert(key.clone());
                } else {
                    plan.ownership.written.insert(key.clone());
                }
            }
            Some(tag) => diags.error_at(
                AttributePath::root("tags").key(key.clone()),
                "Tag owned by someone else",
                format!(
                    "Auto Scaling group {group} already has the tag `{key}` = {:?}, which this resource did not write; it would \
                     set {value:?}. It never overwrites tags it does not own: remove or change the tag on the ASG, or change \
                     the configuration.",
                    tag.value
                ),
            ),
            None => {
                plan.write.insert(key.clone(), value.clone());
                plan.ownership.written.insert(key.clone());
            }
        }
    }
    for key in &prior.written {
        if !desired.contains_key(key) && live.contains_key(key) {
            plan.remove.push(key.clone());
        }
    }
    let after: BTreeSet<&String> = live.keys().chain(plan.write.keys()).filter(|k| !plan.remove.contains(k)).collect();
    if after.len() > MAX_TAGS_PER_GROUP {
        let added = after.len() - live.len().saturating_sub(plan.remove.len());
        let foreign = live.keys().filter(|k| !desired.contains_key(*k)).count();
        diags.error_at(
            AttributePath::root("tags"),
            "Too many tags on the Auto Scaling group",
            format!(
                "Auto Scaling group {group} has {} tags ({foreign} of them not managed by this resource); adding {added} would make \
                 {}, but an ASG holds at most {MAX_TAGS_PER_GROUP}. Nothing was written. Remove tags from the ASG, or ask for fewer \
                 labels, taints, resources or options.",
                live.len(),
                after.len()
            ),
        );
    }
    if diags.has_errors() { Err(diags) } else { Ok(plan) }
}

/// What a refresh reports for the managed keys: a key's value when every ASG has it with one
/// value; a differing value when one ASG differs; nothing when an ASG lacks it (so the plan
/// restores it). Also the propagate-at-launch flag of the tags this resource wrote.
fn observed(
    managed: &BTreeMap<String, String>,
    groups: &[String],
    live: &TagsByGroup,
    ownership: &Ownership,
    propagate_at_launch: bool,
) -> (BTreeMap<String, String>, bool) {
    let empty = GroupTags::new();
    let mut tags = BTreeMap::new();
    for (key, expected) in managed {
        let values: Vec<Option<&AsgTag>> = groups.iter().map(|g| live.get(g).unwrap_or(&empty).get(key)).collect();
        if values.iter().any(Option::is_none) {
            continue;
        }
        let differing = values.iter().flatten().find(|t| &t.value != expected);
        tags.insert(key.clone(), differing.map_or_else(|| expected.clone(), |t| t.value.clone()));
    }
    let mut propagate = propagate_at_launch;
    for group in groups {
        let Some(owned) = ownership.groups.get(group) else { continue };
        for key in &owned.written {
            if let Some(tag) = live.get(group).and_then(|t| t.get(key))
                && tag.propagate_at_launch != propagate_at_launch
            {
                propagate = tag.propagate_at_launch;
            }
        }
    }
    (tags, propagate)
}

/// The cluster named by the ASGs' tags: `eks:cluster-name`, else a `<prefix><cluster> = owned` tag.
fn cluster_of(groups: &[String], live: &TagsByGroup) -> Option<String> {
    for group in groups {
        let tags = live.get(group)?;
        if let Some(tag) = tags.get(EKS_CLUSTER_TAG) {
            return Some(tag.value.clone());
        }
        for (key, tag) in tags {
            if let Some(name) = key.strip_prefix(CA_PREFIX)
                && tag.value == DISCOVERY_OWNED_VALUE
                && !name.contains('/')
                && name != "enabled"
            {
                return Some(name.to_string());
            }
        }
    }
    None
}

/// An imported instance, rebuilt from tags.
struct Imported {
    spec: Spec,
    tags: BTreeMap<String, String>,
    options: Value,
    ownership: Ownership,
}

/// Rebuilds the configuration that would write the Cluster Autoscaler tags every ASG shares.
/// With a node group, its own labels and taints are left to `from_node_group`.
fn reconstruct(cluster: &str, groups: &[String], live: &TagsByGroup, template: Option<&NodeTemplate>) -> Imported {
    let owned_key = format!("{CA_PREFIX}{cluster}");
    let is_ours = |key: &str| key.starts_with(&format!("{CA_PREFIX}node-template/")) || key == DISCOVERY_ENABLED || key == owned_key;
    let empty = GroupTags::new();
    let first = groups.first().and_then(|g| live.get(g)).unwrap_or(&empty);
    let shared: BTreeMap<String, AsgTag> = first
        .iter()
        .filter(|(k, _)| is_ours(k))
        .filter(|(k, t)| groups.iter().all(|g| live.get(g).and_then(|tags| tags.get(*k)).is_some_and(|o| o.value == t.value)))
        .map(|(k, t)| (k.clone(), t.clone()))
        .collect();
    let template = template.cloned();
    let node_labels = template.as_ref().map(|t| t.labels.clone()).unwrap_or_default();
    let node_taints: BTreeMap<String, String> =
        template.as_ref().map(|t| t.taints.iter().map(|x| (x.key.clone(), x.tag_value())).collect()).unwrap_or_default();
    let mut spec = Spec {
        cluster: cluster.to_string(),
        source: Source::Groups(groups.to_vec()),
        from_node_group: template.is_some(),
        labels: BTreeMap::new(),
        taints: Vec::new(),
        resources: BTreeMap::new(),
        options: BTreeMap::new(),
        discovery: shared.contains_key(DISCOVERY_ENABLED) && shared.get(&owned_key).is_some_and(|t| t.value == DISCOVERY_OWNED_VALUE),
        propagate_at_launch: false,
    };
    let mut options = BTreeMap::new();
    for (key, tag) in &shared {
        if let Some(label) = key.strip_prefix(LABEL_PREFIX) {
            if node_labels.get(label) != Some(&tag.value) {
                spec.labels.insert(label.to_string(), tag.value.clone());
            }
        } else if let Some(taint_key) = key.strip_prefix(TAINT_PREFIX) {
            if node_taints.get(taint_key) != Some(&tag.value)
                && let Some((value, effect)) = tag.value.rsplit_once(':').and_then(|(v, e)| Some((v, kubernetes_effect(e)?)))
            {
                spec.taints.push(Taint { key: taint_key.to_string(), value: value.to_string(), effect });
            }
        } else if let Some(name) = key.strip_prefix(RESOURCE_PREFIX) {
            spec.resources.insert(name.to_string(), tag.value.clone());
        } else if let Some(suffix) = key.strip_prefix(OPTION_PREFIX)
            && let Some((attribute, _, kind, _)) = OPTIONS.iter().find(|o| o.1 == suffix)
        {
            let value = match kind {
                OptionKind::Ratio => Number::parse(&tag.value).ok().map(Value::Number),
                OptionKind::Duration => Some(Value::from(tag.value.clone())),
                OptionKind::Bool => tag.value.parse::<bool>().ok().map(Value::Bool),
            };
            if let Some(value) = value {
                options.insert(attribute.to_string(), value);
                spec.options.insert(suffix.to_string(), tag.value.clone());
            }
        }
    }
    // The tags the rebuilt configuration asks for, so the plan after import is empty.
    let (tags, _) = desired_tags(&spec, template.as_ref());
    let tags: BTreeMap<String, String> = tags.into_iter().filter(|(k, v)| shared.get(k).is_some_and(|t| &t.value == v)).collect();
    let mut ownership = Ownership::default();
    let mut propagate = None;
    for group in groups {
        let group_tags = live.get(group).unwrap_or(&empty);
        let eks_managed = group_tags.contains_key(EKS_CLUSTER_TAG);
        let mut owned = GroupOwnership::default();
        for key in tags.keys() {
            if eks_managed && (key == DISCOVERY_ENABLED || key == &owned_key) {
                owned.adopted.insert(key.clone());
            } else {
                owned.written.insert(key.clone());
            }
        }
        if propagate.is_none() {
            propagate = owned.written.iter().find_map(|k| group_tags.get(k)).map(|t| t.propagate_at_launch);
        }
        ownership.groups.insert(group.clone(), owned);
    }
    spec.propagate_at_launch = propagate.unwrap_or(false);
    let options = if options.is_empty() {
        Value::Null
    } else {
        Value::Object(OPTIONS.iter().map(|o| (o.0.to_string(), options.get(o.0).cloned().unwrap_or(Value::Null))).collect())
    };
    Imported { spec, tags, options, ownership }
}

// ---------------------------------------------------------------------------------------------
// Kubernetes syntax
// ---------------------------------------------------------------------------------------------

/// Why `key` is not a Kubernetes qualified name (`[prefix/]name`), or `None` when it is one.
fn qualified_name_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        let dns_ok = !prefix.is_empty()
            && prefix.len() <= 253
            && prefix.split('.').all(|part| {
                !part.is_empty()
                    && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !part.starts_with('-')
                    && !part.ends_with('-')
            });
        if !dns_ok {
            return Some(format!("has the prefix {prefix:?}, which is not a DNS subdomain (lowercase letters, digits, `-` and `.`)"));
        }
    }
    if name.is_empty() {
        return Some("has an empty name".into());
    }
    if name.len() > 63 {
        return Some(format!("has a name of {} characters, more than 63", name.len()));
    }
    if !name_chars_ok(name) {
        return Some("must consist of letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit".into());
    }
    None
}

/// Why `value` is not a Kubernetes label value, or `None`.
fn label_value_problem(value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    if value.len() > 63 {
        return Some(format!("has {} characters, more than the 63 a label value may have", value.len()));
    }
    if !name_chars_ok(value) {
        return Some("must consist of letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit".into());
    }
    None
}

fn name_chars_ok(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_alphanumeric();
    s.chars().all(|c| alnum(c) || matches!(c, '-' | '_' | '.')) && s.chars().next().is_some_and(alnum) && s.chars().last().is_some_and(alnum)
}

/// A Kubernetes quantity: a signed decimal, then a binary (`Ki`..`Ei`) or decimal (`n u m k M G
/// T P E`) suffix or an exponent (`e3`).
fn is_quantity(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let digits_end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, suffix) = s.split_at(digits_end);
    let number_ok = match number.split_once('.') {
        Some((whole, fraction)) => (!whole.is_empty() || !fraction.is_empty()) && !fraction.contains('.'),
        None => !number.is_empty(),
    };
    let suffix_ok = matches!(suffix, "" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E")
        || suffix
            .strip_prefix(['e', 'E'])
            .map(|exp| exp.strip_prefix(['+', '-']).unwrap_or(exp))
            .is_some_and(|exp| !exp.is_empty() && exp.chars().all(|c| c.is_ascii_digit()));
    number_ok && suffix_ok
}

// ---------------------------------------------------------------------------------------------
// Value plumbing
// ---------------------------------------------------------------------------------------------

fn set(object: &mut Value, name: &str, value: Value) {
    if let Value::Object(fields) = object {
        fields.insert(name.to_string(), value);
    }
}

fn text(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_string)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_list).unwrap_or_default().iter().filter_map(Value::as_str).map(str::to_string).collect()
}

fn string_pairs(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_map).map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect()).unwrap_or_default()
}

fn string_set(items: &[String]) -> Value {
    let unique: BTreeSet<&String> = items.iter().collect();
    Value::Set(unique.into_iter().map(|s| Value::from(s.clone())).collect())
}

fn string_map(items: &BTreeMap<String, String>) -> Value {
    Value::Map(items.iter().map(|(k, v)| (k.clone(), Value::from(v.clone()))).collect())
}

fn optional_map(items: &BTreeMap<String, String>) -> Value {
    if items.is_empty() { Value::Null } else { string_map(items) }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn tag(value: &str, propagate: bool) -> AsgTag {
        AsgTag { value: value.into(), propagate_at_launch: propagate }
    }

    fn pairs(items: &[(&str, &str)]) -> BTreeMap<String, String> {
        items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn spec() -> Spec {
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

    fn template() -> NodeTemplate {
        NodeTemplate {
            labels: pairs(&[("role", "batch"), ("team", "data")]),
            taints: vec![Taint { key: "workload".into(), value: "batch".into(), effect: kubernetes_effect("NO_SCHEDULE").unwrap() }],
        }
    }

    fn paths(diags: &Diagnostics) -> Vec<String> {
        diags.iter().filter_map(|d| d.path.as_ref().map(ToString::to_string)).collect()
    }

    #[test]
    fn effects_come_out_in_kubernetes_casing() {
        for (given, wanted) in [
            ("NO_SCHEDULE", "NoSchedule"),
            ("NoSchedule", "NoSchedule"),
            ("NO_EXECUTE", "NoExecute"),
            ("PREFER_NO_SCHEDULE", "PreferNoSchedule"),
            ("PreferNoSchedule", "PreferNoSchedule"),
        ] {
            assert_eq!(kubernetes_effect(given), Some(wanted));
        }
        assert_eq!(kubernetes_effect("noschedule"), None);
    }

    #[test]
    fn node_group_template_gives_the_cluster_autoscaler_tag_set() {
        let (tags, diags) = desired_tags(&spec(), Some(&template()));
        assert!(diags.is_empty());
        assert_eq!(
            tags,
            pairs(&[
                ("k8s.io/cluster-autoscaler/c1", "owned"),
                ("k8s.io/cluster-autoscaler/enabled", "true"),
                ("k8s.io/cluster-autoscaler/node-template/label/role", "batch"),
                ("k8s.io/cluster-autoscaler/node-template/label/team", "data"),
                ("k8s.io/cluster-autoscaler/node-template/taint/workload", "batch:NoSchedule"),
            ])
        );
    }

    #[test]
    fn configuration_wins_over_the_node_group_and_adds_resources_and_options() {
        let mut s = spec();
        s.discovery = false;
        s.labels = pairs(&[("team", "ml")]);
        s.taints = vec![Taint { key: "workload".into(), value: String::new(), effect: "NoExecute" }];
        s.resources = pairs(&[("ephemeral-storage", "100G")]);
        s.options = pairs(&[("scaledownutilizationthreshold", "0.5"), ("scaledownunneededtime", "10m"), ("ignoredaemonsetsutilization", "true")]);
        let (tags, _) = desired_tags(&s, Some(&template()));
        assert_eq!(tags[&format!("{LABEL_PREFIX}team")], "ml");
        assert_eq!(tags[&format!("{TAINT_PREFIX}workload")], ":NoExecute");
        assert_eq!(tags[&format!("{RESOURCE_PREFIX}ephemeral-storage")], "100G");
        assert_eq!(tags[&format!("{OPTION_PREFIX}scaledownutilizationthreshold")], "0.5");
        assert_eq!(tags[&format!("{OPTION_PREFIX}ignoredaemonsetsutilization")], "true");
        assert!(!tags.contains_key(DISCOVERY_ENABLED));
        assert_eq!(tags.len(), 7);
    }

    #[test]
    fn over_long_keys_and_values_are_reported_where_they_come_from() {
        let mut s = spec();
        s.labels = pairs(&[(&"k".repeat(83), "x")]);
        s.resources = pairs(&[("ephemeral-storage", &"9".repeat(257))]);
        let mut t = template();
        t.labels.insert("n".repeat(83), "x".into());
        let (_, diags) = desired_tags(&s, Some(&t));
        let found = paths(&diags);
        assert!(found.contains(&format!("labels[{:?}]", "k".repeat(83))), "{found:?}");
        assert!(found.contains(&"node_group_name".to_string()), "{found:?}");
        assert!(found.contains(&"resources[\"ephemeral-storage\"]".to_string()), "{found:?}");
        // 82 characters is the longest label key that fits.
        s.labels = pairs(&[(&"k".repeat(82), "x")]);
        s.resources.clear();
        assert!(desired_tags(&s, None).1.is_empty());
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
    fn tags_already_there_are_adopted_not_written() {
        let (desired, _) = desired_tags(&spec(), Some(&template()));
        let live: GroupTags = [
            ("eks:cluster-name".to_string(), tag("c1", true)),
            ("k8s.io/cluster-autoscaler/enabled".to_string(), tag("true", true)),
            ("k8s.io/cluster-autoscaler/c1".to_string(), tag("owned", true)),
        ]
        .into_iter()
        .collect();
        let plan = plan_group("asg-1", &desired, false, None, &live).unwrap();
        assert_eq!(
            plan.write.keys().cloned().collect::<Vec<_>>(),
            vec![format!("{LABEL_PREFIX}role"), format!("{LABEL_PREFIX}team"), format!("{TAINT_PREFIX}workload")]
        );
        assert_eq!(plan.ownership.adopted, ["k8s.io/cluster-autoscaler/c1", "k8s.io/cluster-autoscaler/enabled"].iter().map(|s| s.to_string()).collect());
        assert_eq!(plan.ownership.written.len(), 3);
        assert!(plan.remove.is_empty());
    }

    #[test]
    fn foreign_values_are_refused_and_our_changed_values_restored() {
        let desired = pairs(&[("a", "1"), ("b", "2")]);
        let live: GroupTags = [("a".to_string(), tag("other", false)), ("b".to_string(), tag("changed", false))].into_iter().collect();
        let prior = GroupOwnership { written: ["b".to_string()].into(), adopted: BTreeSet::new() };
        let err = plan_group("g", &desired, false, Some(&prior), &live).unwrap_err();
        assert_eq!(paths(&err), vec!["tags[\"a\"]"]);
        assert!(err.iter().all(|d| d.summary == "Tag owned by someone else"));

        let desired = pairs(&[("b", "2")]);
        let plan = plan_group("g", &desired, false, Some(&prior), &live).unwrap();
        assert_eq!(plan.write, pairs(&[("b", "2")]));
        assert!(plan.ownership.written.contains("b"));
    }

    #[test]
    fn keys_no_longer_wanted_go_only_when_written_by_us() {
        let live: GroupTags =
            [("mine".to_string(), tag("1", false)), ("adopted".to_string(), tag("1", true)), ("keep".to_string(), tag("1", false))].into_iter().collect();
        let prior = GroupOwnership { written: ["mine".to_string(), "keep".to_string()].into(), adopted: ["adopted".to_string()].into() };
        let plan = plan_group("g", &pairs(&[("keep", "1")]), false, Some(&prior), &live).unwrap();
        assert_eq!(plan.remove, vec!["mine".to_string()]);
        assert!(plan.write.is_empty());
        assert_eq!(plan.ownership.written, ["keep".to_string()].into());
        assert!(plan.ownership.adopted.is_empty());
    }

    #[test]
    fn propagate_changes_rewrite_written_tags_only() {
        let live: GroupTags = [("mine".to_string(), tag("1", false)), ("adopted".to_string(), tag("1", false))].into_iter().collect();
        let prior = GroupOwnership { written: ["mine".to_string()].into(), adopted: ["adopted".to_string()].into() };
        let plan = plan_group("g", &pairs(&[("mine", "1"), ("adopted", "1")]), true, Some(&prior), &live).unwrap();
        assert_eq!(plan.write, pairs(&[("mine", "1")]));
    }

    #[test]
    fn the_fifty_tag_limit_counts_what_is_already_there() {
        let foreign = |n: usize| -> GroupTags { (0..n).map(|i| (format!("f{i:02}"), tag("x", false))).collect() };
        let desired = pairs(&[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")]);
        let err = plan_group("g", &desired, false, None, &foreign(47)).unwrap_err();
        let detail = &err.iter().next().unwrap().detail;
        assert!(detail.contains("has 47 tags (47 of them not managed by this resource); adding 4 would make 51"), "{detail}");
        assert!(plan_group("g", &desired, false, None, &foreign(46)).is_ok());
        // Swapping keys at the limit is fine: removals count.
        let mut live = foreign(46);
        for key in ["a", "b", "x", "y"] {
            live.insert(key.to_string(), tag("1", false));
        }
        let prior = GroupOwnership { written: ["a", "b", "x", "y"].iter().map(|s| s.to_string()).collect(), adopted: BTreeSet::new() };
        let plan = plan_group("g", &pairs(&[("a", "1"), ("b", "1"), ("c", "1"), ("d", "1")]), false, Some(&prior), &live).unwrap();
        assert_eq!(plan.remove, vec!["x".to_string(), "y".to_string()]);
    }

    #[test]
    fn refresh_reports_missing_and_changed_keys() {
        let managed = pairs(&[("a", "1"), ("b", "2"), ("c", "3")]);
        let groups = vec!["g1".to_string(), "g2".to_string()];
        let live: TagsByGroup = [
            (
                "g1".to_string(),
                [("a".to_string(), tag("1", false)), ("b".to_string(), tag("2", false)), ("c".to_string(), tag("3", true))].into_iter().collect(),
            ),
            (
                "g2".to_string(),
                [("a".to_string(), tag("1", false)), ("b".to_string(), tag("9", false)), ("c".to_string(), tag("3", true))].into_iter().collect(),
            ),
        ]
        .into_iter()
        .collect();
        let mut ownership = Ownership::default();
        ownership.groups.insert("g1".into(), GroupOwnership { written: ["a".to_string(), "b".to_string()].into(), adopted: ["c".to_string()].into() });
        let (tags, propagate) = observed(&managed, &groups, &live, &ownership, false);
        assert_eq!(tags, pairs(&[("a", "1"), ("b", "9"), ("c", "3")]));
        assert!(!propagate, "adopted tags do not count for propagate_at_launch");

        let mut live = live;
        live.get_mut("g2").unwrap().remove("a");
        live.get_mut("g1").unwrap().insert("a".into(), tag("1", true));
        let (tags, propagate) = observed(&managed, &groups, &live, &ownership, false);
        assert!(!tags.contains_key("a"), "missing on one ASG: shown as missing");
        assert!(propagate);
    }

    #[test]
    fn import_rebuilds_the_configuration_and_adopts_eks_discovery_tags() {
        let groups = vec!["eks-ng-1".to_string()];
        let mut ng = GroupTags::new();
        for (k, v) in [
            ("eks:cluster-name", "c1"),
            ("k8s.io/cluster-autoscaler/enabled", "true"),
            ("k8s.io/cluster-autoscaler/c1", "owned"),
            ("k8s.io/cluster-autoscaler/node-template/label/role", "batch"),
            ("k8s.io/cluster-autoscaler/node-template/label/extra", "yes"),
            ("k8s.io/cluster-autoscaler/node-template/taint/workload", "batch:NoSchedule"),
            ("k8s.io/cluster-autoscaler/node-template/taint/gpu", "true:NoExecute"),
            ("k8s.io/cluster-autoscaler/node-template/resources/ephemeral-storage", "100G"),
            ("k8s.io/cluster-autoscaler/node-template/autoscaling-options/scaledownutilizationthreshold", "0.65"),
            ("k8s.io/cluster-autoscaler/node-template/autoscaling-options/ignoredaemonsetsutilization", "true"),
            ("k8s.io/cluster-autoscaler/other-cluster", "owned"),
            ("team", "data"),
        ] {
            ng.insert(k.into(), tag(v, k.starts_with("eks:") || !k.contains("node-template")));
        }
        let live: TagsByGroup = [("eks-ng-1".to_string(), ng)].into_iter().collect();
        assert_eq!(cluster_of(&groups, &live), Some("c1".into()));
        let template =
            NodeTemplate { labels: pairs(&[("role", "batch")]), taints: vec![Taint { key: "workload".into(), value: "batch".into(), effect: "NoSchedule" }] };
        let imported = reconstruct("c1", &groups, &live, Some(&template));
        assert!(imported.spec.from_node_group && imported.spec.discovery);
        assert_eq!(imported.spec.labels, pairs(&[("extra", "yes")]));
        assert_eq!(imported.spec.taints, vec![Taint { key: "gpu".into(), value: "true".into(), effect: "NoExecute" }]);
        assert_eq!(imported.spec.resources, pairs(&[("ephemeral-storage", "100G")]));
        assert_eq!(imported.options.get("scale_down_utilization_threshold"), Some(&Value::Number(Number::parse("0.65").unwrap())));
        assert_eq!(imported.options.get("ignore_daemonsets_utilization"), Some(&Value::Bool(true)));
        assert_eq!(imported.options.get("scale_down_unneeded_time"), Some(&Value::Null));
        assert_eq!(imported.tags.len(), 9, "{:?}", imported.tags);
        assert!(!imported.tags.contains_key("k8s.io/cluster-autoscaler/other-cluster") && !imported.tags.contains_key("team"));
        let owned = &imported.ownership.groups["eks-ng-1"];
        assert_eq!(owned.adopted, ["k8s.io/cluster-autoscaler/c1", "k8s.io/cluster-autoscaler/enabled"].iter().map(|s| s.to_string()).collect());
        assert_eq!(owned.written.len(), 7);
        assert!(!imported.spec.propagate_at_launch);
        // The rebuilt configuration asks for exactly the imported tags.
        assert_eq!(desired_tags(&imported.spec, Some(&template)).0, imported.tags);
    }

    #[test]
    fn import_ids() {
        assert_eq!(parse_import_id("c1:spot"), Ok(ImportId::NodeGroup { cluster: "c1".into(), node_group: "spot".into() }));
        assert_eq!(parse_import_id("asg:b, a,a"), Ok(ImportId::Groups(vec!["a".into(), "b".into()])));
        for bad in ["c1", "c1:", ":spot", "asg:", "a:b:c"] {
            assert!(parse_import_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kubernetes_names_values_and_quantities() {
        for good in ["role", "node.kubernetes.io/lifecycle", "nvidia.com/gpu", "a_b.c-d", "example.com/X9"] {
            assert_eq!(qualified_name_problem(good), None, "{good}");
        }
        for bad in ["", "-a", "a-", "bad key", "Example.com/x", "a/b/c", "/x", &"x".repeat(64)] {
            assert!(qualified_name_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(label_value_problem(""), None);
        assert_eq!(label_value_problem("batch-1.x"), None);
        assert!(label_value_problem("a b").is_some());
        assert!(label_value_problem(&"v".repeat(64)).is_some());
        for good in ["100G", "20Gi", "500m", "2", "1.5", ".5Ki", "1e3", "+3E-2", "64Mi"] {
            assert!(is_quantity(good), "{good}");
        }
        for bad in ["", "lots", "100GB", "1.2.3", "G", "1e", "Gi"] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }

    fn config(extra: &[(&str, Value)]) -> Value {
        let mut fields: BTreeMap<String, Value> = schema().block.attributes.iter().map(|a| (a.name.clone(), Value::Null)).collect();
        fields.insert("taint".into(), Value::List(Vec::new()));
        fields.insert("autoscaling_options".into(), Value::Null);
        fields.insert("cluster_name".into(), Value::from("c1"));
        for (k, v) in extra {
            fields.insert(k.to_string(), v.clone());
        }
        Value::Object(fields)
    }

    #[test]
    fn configuration_checks() {
        let summaries = |v: &Value| validate_config(v).iter().map(|d| d.summary.clone()).collect::<Vec<_>>();
        assert_eq!(summaries(&config(&[])), vec!["Missing node group or ASG names"]);
        assert!(summaries(&config(&[("node_group_name", Value::from("ng"))])).is_empty());
        assert!(summaries(&config(&[("node_group_name", Value::Unknown)])).is_empty(), "unknown counts as set");
        let groups = Value::Set(vec![Value::from("a")]);
        assert_eq!(summaries(&config(&[("node_group_name", Value::from("ng")), ("asg_names", groups.clone())])), vec!["Conflicting attributes"]);
        assert_eq!(summaries(&config(&[("asg_names", Value::Set(vec![]))])), vec!["No ASG names"]);
        assert_eq!(summaries(&config(&[("asg_names", groups.clone()), ("from_node_group", Value::Bool(true))])), vec!["No node group to read"]);
        let taint = |k: &str, e: &str| Value::object([("key", Value::from(k)), ("value", Value::Null), ("effect", Value::from(e))]);
        let taints = Value::List(vec![taint("a", "NoSchedule"), taint("a", "NO_EXECUTE")]);
        let diags = validate_config(&config(&[("asg_names", groups.clone()), ("taint", taints)]));
        assert_eq!(paths(&diags), vec!["taint[1].key"]);
        let labels = Value::Map((0..49).map(|i| (format!("l{i}"), Value::from("x"))).collect());
        assert_eq!(summaries(&config(&[("asg_names", groups.clone()), ("labels", labels)])), vec!["Too many tags"]);
        let labels = Value::Map([("bad key".to_string(), Value::from("x y"))].into_iter().collect());
        assert_eq!(summaries(&config(&[("asg_names", groups), ("labels", labels)])), vec!["Invalid label key", "Invalid label value"]);
    }

    #[test]
    fn unknown_inputs_leave_the_tags_unknown() {
        let mut v = config(&[("node_group_name", Value::from("ng")), ("labels", Value::Unknown)]);
        set(&mut v, "from_node_group", Value::Bool(true));
        assert!(Spec::decode(&v).is_none());
        set(&mut v, "labels", Value::Null);
        assert!(Spec::decode(&v).is_some());
        assert_eq!(planned_id(&v), Value::from("c1:ng"));
    }

    #[test]
    fn every_attribute_is_documented() {
        let schema = schema();
        let mut blocks = vec![&schema.block];
        blocks.extend(schema.block.blocks.iter().map(|b| &b.block));
        for block in blocks {
            for attribute in &block.attributes {
                assert!(!attribute.description.is_empty(), "{} has no description", attribute.name);
            }
        }
    }

    #[test]
    fn ownership_survives_private_state() {
        let mut o = Ownership::default();
        o.groups.insert("g".into(), GroupOwnership { written: ["a".to_string()].into(), adopted: ["b".to_string()].into() });
        assert_eq!(Ownership::decode(&o.encode()), o);
        assert_eq!(Ownership::decode(b""), Ownership::default());
        assert_eq!(Ownership::decode(b"not json"), Ownership::default());
    }
}

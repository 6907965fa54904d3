//! The `autoscale_spot_node_group` model (field names match the schema) and the pure functions
//! between it and EKS: ids and generated names, expand to requests, flatten from
//! DescribeNodegroup, and the diffs an update sends.

use super::*;

/// Who owns the live desired size after create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DesiredSizePolicy {
    /// Set at create; afterwards the autoscaler's, moved only into a new `[min, max]`.
    Initial,
    /// Terraform's: drift shows and apply resets it.
    Enforce,
}

impl DesiredSizePolicy {
    pub(super) fn of(model: &NodeGroupModel) -> Self {
        match model.desired_size_policy.as_deref() {
            Some("enforce") => Self::Enforce,
            _ => Self::Initial,
        }
    }
}

/// The resource's state and plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct NodeGroupModel {
    pub(super) id: Option<String>,
    pub(super) cluster_name: Option<String>,
    pub(super) node_group_name: Option<String>,
    pub(super) node_group_name_prefix: Option<String>,
    pub(super) node_role_arn: Option<String>,
    pub(super) subnet_ids: Option<Vec<String>>,
    pub(super) instance_types: Option<Vec<String>>,
    pub(super) capacity_type: Option<String>,
    pub(super) ami_type: Option<String>,
    pub(super) disk_size: Option<i64>,
    pub(super) version: Option<String>,
    pub(super) release_version: Option<String>,
    pub(super) force_update_version: Option<bool>,
    pub(super) launch_template: Option<LaunchTemplateModel>,
    pub(super) scaling: Option<ScalingModel>,
    pub(super) desired_size_policy: Option<String>,
    pub(super) update_config: Option<UpdateConfigModel>,
    pub(super) labels: Option<BTreeMap<String, String>>,
    pub(super) taint: Option<Vec<TaintModel>>,
    pub(super) tags: Option<BTreeMap<String, String>>,
    pub(super) timeouts: Value,
    pub(super) arn: Option<String>,
    pub(super) status: Option<String>,
    pub(super) asg_names: Option<Vec<String>>,
    pub(super) current_desired_size: Option<i64>,
}

/// `scaling { ... }` (AWS: `scalingConfig`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct ScalingModel {
    pub(super) min_size: Option<i64>,
    pub(super) max_size: Option<i64>,
    pub(super) desired_size: Option<i64>,
}

/// `launch_template { ... }`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct LaunchTemplateModel {
    pub(super) id: Option<String>,
    pub(super) name: Option<String>,
    pub(super) version: Option<String>,
}

/// `update_config { ... }`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct UpdateConfigModel {
    pub(super) max_unavailable: Option<i64>,
    pub(super) max_unavailable_percentage: Option<i64>,
}

/// One `taint { ... }` block.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct TaintModel {
    pub(super) key: String,
    pub(super) value: Option<String>,
    pub(super) effect: String,
}

impl NodeGroupModel {
    /// `(cluster, node group)`, from the attributes or, right after import, from the id.
    pub(super) fn names(&self) -> Option<(String, String)> {
        match (&self.cluster_name, &self.node_group_name) {
            (Some(cluster), Some(name)) => Some((cluster.clone(), name.clone())),
            _ => self.id.as_deref().and_then(|id| parse_import_id(id).ok()),
        }
    }

    pub(super) fn timeout(&self, operation: &str, default: Duration) -> Duration {
        timeouts::get(&Value::object([("timeouts", self.timeouts.clone())]), operation, default)
    }
}

pub(super) fn model_of(value: &Value) -> Result<NodeGroupModel, Diagnostic> {
    from_value(value).map_err(|e| Diagnostic::error("Provider bug", format!("{TYPE_NAME}: reading the object failed: {e}")))
}

pub(super) fn value_of(model: &NodeGroupModel) -> Result<Value, Diagnostic> {
    to_value(model).map_err(|e| Diagnostic::error("Provider bug", format!("{TYPE_NAME}: writing the object failed: {e}")))
}

/// `cluster:name` → `(cluster, name)`. `Err` is a sentence saying what is wrong.
pub(super) fn parse_import_id(id: &str) -> Result<(String, String), String> {
    match id.split(':').collect::<Vec<_>>().as_slice() {
        [cluster, name] if !cluster.is_empty() && !name.is_empty() => Ok(((*cluster).to_string(), (*name).to_string())),
        _ => Err(format!("{id:?} is not of the form `cluster_name:node_group_name`.")),
    }
}

/// `prefix` followed by 26 characters unique to this call: a UTC timestamp to the millisecond
/// and random hex, like the AWS provider's generated names.
pub(super) fn generated_name(prefix: &str) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let random = uuid::Uuid::new_v4().simple().to_string();
    let suffix = format!("{:013}{}", now.as_millis() % 10_000_000_000_000, random);
    format!("{prefix}{}", &suffix[..GENERATED_SUFFIX_LENGTH])
}

pub(super) fn to_i32(value: Option<i64>) -> Option<i32> {
    value.and_then(|v| i32::try_from(v).ok())
}

pub(super) fn taint_of(model: &TaintModel) -> Taint {
    Taint::builder().key(&model.key).set_value(model.value.clone()).effect(TaintEffect::from(model.effect.as_str())).build()
}

pub(super) fn launch_template_of(model: &LaunchTemplateModel) -> LaunchTemplateSpecification {
    // EKS takes either the id or the name; the id wins when state holds both.
    let name = if model.id.is_some() { None } else { model.name.clone() };
    LaunchTemplateSpecification::builder().set_id(model.id.clone()).set_name(name).set_version(model.version.clone()).build()
}

pub(super) fn update_config_of(model: &UpdateConfigModel) -> NodegroupUpdateConfig {
    NodegroupUpdateConfig::builder()
        .set_max_unavailable(to_i32(model.max_unavailable))
        .set_max_unavailable_percentage(to_i32(model.max_unavailable_percentage))
        .build()
}

/// The CreateNodegroup request for a planned object.
pub(super) fn new_node_group(model: &NodeGroupModel, name: &str) -> Result<NewNodeGroup, Diagnostic> {
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

pub(super) fn string_map(map: Option<&HashMap<String, String>>, keep_empty: bool) -> Option<BTreeMap<String, String>> {
    let map: BTreeMap<String, String> = map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
    if map.is_empty() && !keep_empty { None } else { Some(map) }
}

/// The state for a described node group. `base` (the prior state, plan or import stub)
/// supplies what AWS does not hold: the name prefix, timeouts, the desired-size policy, the
/// configured desired size under `initial`, the order of taints, and whether `update_config`
/// is managed.
pub(super) fn flatten(group: &Nodegroup, base: &NodeGroupModel) -> NodeGroupModel {
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
pub(super) fn ordered_taints(live: &[Taint], order: &[TaintModel]) -> Vec<TaintModel> {
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
pub(super) fn label_changes(prior: Option<&BTreeMap<String, String>>, planned: Option<&BTreeMap<String, String>>) -> Option<UpdateLabelsPayload> {
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
pub(super) fn taint_changes(prior: &[TaintModel], planned: &[TaintModel]) -> Option<UpdateTaintsPayload> {
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
pub(super) fn scaling_change(prior: &ScalingModel, planned: &ScalingModel, policy: DesiredSizePolicy, live_desired: Option<i64>) -> Option<NodegroupScalingConfig> {
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
pub(super) fn config_change(prior: &NodeGroupModel, planned: &NodeGroupModel, live_desired: Option<i64>) -> ConfigChange {
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
pub(super) fn version_change(prior: &NodeGroupModel, planned: &NodeGroupModel) -> Option<VersionChange> {
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
pub(super) fn tag_changes(prior: Option<&BTreeMap<String, String>>, planned: Option<&BTreeMap<String, String>>) -> (HashMap<String, String>, Vec<String>) {
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

    use aws_sdk_eks::types::NodegroupStatus;

    use super::*;
    use crate::resources::spot_node_group::tests::*;

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
}

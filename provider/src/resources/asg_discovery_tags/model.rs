//! The pure parts of `autoscale_asg_discovery_tags`: the configuration read into a [`Spec`], the
//! tags it asks for, ownership of written and adopted keys, the write plan per ASG, the
//! reconstruction an import makes, and the plumbing between these and `Value`s.

use super::*;


/// Where the ASGs come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Source {
    NodeGroup(String),
    Groups(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Taint {
    pub(super) key: String,
    pub(super) value: String,
    /// Kubernetes casing.
    pub(super) effect: &'static str,
}

impl Taint {
    pub(super) fn tag_value(&self) -> String {
        format!("{}:{}", self.value, self.effect)
    }
}

/// The configuration, wholly known.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Spec {
    pub(super) cluster: String,
    pub(super) source: Source,
    pub(super) from_node_group: bool,
    pub(super) labels: BTreeMap<String, String>,
    pub(super) taints: Vec<Taint>,
    pub(super) resources: BTreeMap<String, String>,
    /// Tag suffix → tag value.
    pub(super) options: BTreeMap<String, String>,
    pub(super) discovery: bool,
    pub(super) propagate_at_launch: bool,
}

impl Spec {
    /// From a planned value (defaults and `from_node_group` filled in); `None` while anything it
    /// needs is unknown.
    pub(super) fn decode(v: &Value) -> Option<Spec> {
        Self::decode_with(v, v.get("from_node_group").and_then(Value::as_bool).unwrap_or(false), true)
    }

    /// From configuration, where defaults are not filled in yet.
    pub(super) fn decode_config(v: &Value) -> Option<Spec> {
        let from_node_group = match v.get("from_node_group") {
            Some(Value::Bool(b)) => *b,
            Some(Value::Unknown) => return None,
            _ => !v.get("node_group_name").is_none_or(Value::is_null),
        };
        Self::decode_with(v, from_node_group, false)
    }

    pub(super) fn decode_with(v: &Value, from_node_group: bool, need_source: bool) -> Option<Spec> {
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

    pub(super) fn id(&self) -> String {
        match &self.source {
            Source::NodeGroup(node_group) => format!("{}:{node_group}", self.cluster),
            Source::Groups(groups) => format!("asg:{}", groups.join(",")),
        }
    }
}

pub(super) fn planned_id(planned: &Value) -> Value {
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
pub(super) struct NodeTemplate {
    pub(super) labels: BTreeMap<String, String>,
    pub(super) taints: Vec<Taint>,
}

impl NodeTemplate {
    pub(super) fn of(group: &Nodegroup) -> Self {
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
pub(super) fn kubernetes_effect(effect: &str) -> Option<&'static str> {
    match effect {
        "NoSchedule" | "NO_SCHEDULE" => Some("NoSchedule"),
        "NoExecute" | "NO_EXECUTE" => Some("NoExecute"),
        "PreferNoSchedule" | "PREFER_NO_SCHEDULE" => Some("PreferNoSchedule"),
        _ => None,
    }
}

/// The tags the configuration asks for (node group template first, configuration winning), and
/// errors for tags that would break the ASG limits.
pub(super) fn desired_tags(spec: &Spec, template: Option<&NodeTemplate>) -> (BTreeMap<String, String>, Diagnostics) {
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
pub(super) struct Ownership {
    #[serde(default)]
    pub(super) groups: BTreeMap<String, GroupOwnership>,
}

/// The keys of one ASG this resource manages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct GroupOwnership {
    /// Written by this resource: removed on destroy.
    #[serde(default)]
    pub(super) written: BTreeSet<String>,
    /// Found with the wanted value before this resource wrote anything: kept on destroy.
    #[serde(default)]
    pub(super) adopted: BTreeSet<String>,
}

impl GroupOwnership {
    pub(super) fn manages(&self, key: &str) -> bool {
        self.written.contains(key) || self.adopted.contains(key)
    }
}

impl Ownership {
    pub(super) fn decode(private: &[u8]) -> Self {
        serde_json::from_slice(private).unwrap_or_default()
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// What to do on one ASG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct GroupPlan {
    pub(super) group: String,
    /// Tags to create or overwrite.
    pub(super) write: BTreeMap<String, String>,
    /// Keys to remove (written by us, no longer wanted).
    pub(super) remove: Vec<String>,
    /// Ownership of this ASG afterwards.
    pub(super) ownership: GroupOwnership,
}

/// Plans the writes on one ASG from what is wanted, what this resource manages there (`None`: it
/// never wrote to it) and the live tags, refusing tags it does not own and the 50-tag limit.
pub(super) fn plan_group(
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
pub(super) fn observed(
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
pub(super) fn cluster_of(groups: &[String], live: &TagsByGroup) -> Option<String> {
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
pub(super) struct Imported {
    pub(super) spec: Spec,
    pub(super) tags: BTreeMap<String, String>,
    pub(super) options: Value,
    pub(super) ownership: Ownership,
}

/// Rebuilds the configuration that would write the Cluster Autoscaler tags every ASG shares.
/// With a node group, its own labels and taints are left to `from_node_group`.
pub(super) fn reconstruct(cluster: &str, groups: &[String], live: &TagsByGroup, template: Option<&NodeTemplate>) -> Imported {
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


pub(super) fn set(object: &mut Value, name: &str, value: Value) {
    if let Value::Object(fields) = object {
        fields.insert(name.to_string(), value);
    }
}

pub(super) fn text(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_string)
}

pub(super) fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_list).unwrap_or_default().iter().filter_map(Value::as_str).map(str::to_string).collect()
}

pub(super) fn string_pairs(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_map).map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect()).unwrap_or_default()
}

pub(super) fn string_set(items: &[String]) -> Value {
    let unique: BTreeSet<&String> = items.iter().collect();
    Value::Set(unique.into_iter().map(|s| Value::from(s.clone())).collect())
}

pub(super) fn string_map(items: &BTreeMap<String, String>) -> Value {
    Value::Map(items.iter().map(|(k, v)| (k.clone(), Value::from(v.clone()))).collect())
}

pub(super) fn optional_map(items: &BTreeMap<String, String>) -> Value {
    if items.is_empty() { Value::Null } else { string_map(items) }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::resources::asg_discovery_tags::tests::*;

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
    fn unknown_inputs_leave_the_tags_unknown() {
        let mut v = config(&[("node_group_name", Value::from("ng")), ("labels", Value::Unknown)]);
        set(&mut v, "from_node_group", Value::Bool(true));
        assert!(Spec::decode(&v).is_none());
        set(&mut v, "labels", Value::Null);
        assert!(Spec::decode(&v).is_some());
        assert_eq!(planned_id(&v), Value::from("c1:ng"));
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

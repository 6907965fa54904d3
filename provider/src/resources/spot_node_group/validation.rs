//! Plan-time checks of `autoscale_spot_node_group` beyond the schema's validators, each with the
//! path of the offending value. Configuration may hold unknowns: unknown parts are skipped.

use super::*;

pub(super) fn known_i64(value: Option<&Value>) -> Option<i64> {
    value.filter(|v| v.is_known()).and_then(Value::as_i64)
}

pub(super) fn known_str(value: Option<&Value>) -> Option<&str> {
    value.filter(|v| v.is_known()).and_then(Value::as_str)
}

pub(super) fn known_items(value: Option<&Value>) -> Option<&[Value]> {
    value.filter(|v| v.is_known() && !v.is_null()).and_then(Value::as_list)
}

pub(super) fn known_map(value: Option<&Value>) -> Option<&BTreeMap<String, Value>> {
    value.filter(|v| v.is_known() && !v.is_null()).and_then(Value::as_map)
}

/// Checks beyond the schema's validators, with the path of each offending value.
pub(super) fn validate_node_group(config: &Value) -> Diagnostics {
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

pub(super) fn validate_scaling(scaling: Option<&Value>, diags: &mut Diagnostics) {
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

pub(super) fn validate_instance_types(types: Option<&Value>, diags: &mut Diagnostics) {
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

pub(super) fn validate_labels(labels: Option<&Value>, diags: &mut Diagnostics) {
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

pub(super) fn validate_taints(taints: Option<&Value>, diags: &mut Diagnostics) {
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

pub(super) fn validate_tags(tags: Option<&Value>, diags: &mut Diagnostics) {
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

pub(super) fn validate_launch_template(config: &Value, diags: &mut Diagnostics) {
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

pub(super) fn validate_update_config(update_config: Option<&Value>, diags: &mut Diagnostics) {
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
pub(super) fn check_label_key(key: &str) -> Result<(), String> {
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
pub(super) fn check_label_value(value: &str) -> Result<(), String> {
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
pub(super) fn is_label_name(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else { return false };
    first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// RFC 1123 subdomain: dot-separated labels of lowercase alphanumerics and `-`, each beginning
/// and ending with an alphanumeric.
pub(super) fn is_dns_subdomain(s: &str) -> bool {
    s.split('.').all(|part| {
        let bytes = part.as_bytes();
        let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else { return false };
        let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        alnum(first) && alnum(last) && bytes.iter().all(|b| alnum(b) || *b == b'-')
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::resources::spot_node_group::tests::*;

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

}

//! Plan-time checks of `autoscale_asg_discovery_tags` beyond the schema's types (values may be
//! unknown), the attribute validators the schema lists, and the Kubernetes syntax they apply.

use super::*;


/// Checks beyond the schema's validators; values may be unknown.
pub(super) fn validate_config(config: &Value) -> Diagnostics {
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

pub(super) fn check_key_length(diags: &mut Diagnostics, path: &AttributePath, tag_key: &str) {
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
pub(super) struct QualifiedName;

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
pub(super) struct LabelValue;

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
pub(super) struct Quantity;

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

/// Why `key` is not a Kubernetes qualified name (`[prefix/]name`), or `None` when it is one.
pub(super) fn qualified_name_problem(key: &str) -> Option<String> {
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
pub(super) fn label_value_problem(value: &str) -> Option<String> {
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

pub(super) fn name_chars_ok(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_alphanumeric();
    s.chars().all(|c| alnum(c) || matches!(c, '-' | '_' | '.')) && s.chars().next().is_some_and(alnum) && s.chars().last().is_some_and(alnum)
}

/// A Kubernetes quantity: a signed decimal, then a binary (`Ki`..`Ei`) or decimal (`n u m k M G
/// T P E`) suffix or an exponent (`e3`).
pub(super) fn is_quantity(s: &str) -> bool {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::resources::asg_discovery_tags::tests::*;

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
}

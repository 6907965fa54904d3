//! The AWS actions the provider calls, in one list, and the least-privilege IAM policy built
//! from it (`terraform-provider-autoscale iam-policy`). A unit test keeps the list and the SDK
//! calls in `src/aws/` in step; an acceptance test (tests/iam.rs) checks that every call the
//! emulator records during apply, refresh, import and destroy is allowed.

use serde_json::{Value as Json, json};

/// One IAM action and why the provider needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// `service:Operation`, as IAM spells it.
    pub name: &'static str,
    /// Whether it changes anything (read-only actions go into their own statement).
    pub writes: bool,
    /// The resources and data sources that call it.
    pub used_by: &'static str,
}

const fn read(name: &'static str, used_by: &'static str) -> Action {
    Action { name, writes: false, used_by }
}

const fn write(name: &'static str, used_by: &'static str) -> Action {
    Action { name, writes: true, used_by }
}

/// Every AWS API operation the provider calls, by service then name.
pub const ACTIONS: &[Action] = &[
    read("autoscaling:DescribeAutoScalingGroups", "asg_discovery_tags, scheduled_action, scaling_schedule (group lookup, import)"),
    read("autoscaling:DescribeScheduledActions", "scheduled_action, scaling_schedule"),
    read("autoscaling:DescribeTags", "asg_discovery_tags"),
    write("autoscaling:CreateOrUpdateTags", "asg_discovery_tags"),
    write("autoscaling:DeleteScheduledAction", "scheduled_action, scaling_schedule"),
    write("autoscaling:DeleteTags", "asg_discovery_tags"),
    write("autoscaling:PutScheduledUpdateGroupAction", "scheduled_action, scaling_schedule"),
    read("ec2:DescribeSpotPriceHistory", "cost_estimate (spot prices)"),
    read("eks:DescribeNodegroup", "spot_node_group; asg_discovery_tags, scheduled_action, scaling_schedule (node group form); cost_estimate (node group form)"),
    read("eks:DescribeUpdate", "spot_node_group (waiting for updates)"),
    write("eks:CreateNodegroup", "spot_node_group"),
    write("eks:DeleteNodegroup", "spot_node_group"),
    write("eks:TagResource", "spot_node_group"),
    write("eks:UntagResource", "spot_node_group"),
    write("eks:UpdateNodegroupConfig", "spot_node_group"),
    write("eks:UpdateNodegroupVersion", "spot_node_group"),
    read("pricing:GetProducts", "cost_estimate (On-Demand prices)"),
];

/// `iam:PassRole` for the node role: CreateNodegroup needs it, though it is not an API call
/// the provider makes itself, so the emulator never records it.
const PASS_ROLE: &str = "iam:PassRole";

/// The least-privilege policy document, as pretty JSON with a trailing newline.
pub fn policy_json() -> String {
    let names = |writes: bool| ACTIONS.iter().filter(|a| a.writes == writes).map(|a| a.name).collect::<Vec<_>>();
    let policy: Json = json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AutoscaleProviderRead",
                "Effect": "Allow",
                "Action": names(false),
                "Resource": "*"
            },
            {
                "Sid": "AutoscaleProviderWrite",
                "Effect": "Allow",
                "Action": names(true),
                "Resource": "*"
            },
            {
                "Sid": "AutoscaleProviderPassNodeRole",
                "Effect": "Allow",
                "Action": [PASS_ROLE],
                "Resource": "*",
                "Condition": { "StringEquals": { "iam:PassedToService": "eks.amazonaws.com" } }
            }
        ]
    });
    let mut text = serde_json::to_string_pretty(&policy).unwrap_or_default();
    text.push('\n');
    text
}

/// Whether the policy allows `action` (`service:Operation`).
pub fn allows(action: &str) -> bool {
    action == PASS_ROLE || ACTIONS.iter().any(|a| a.name == action)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    /// `describe_nodegroup` → `DescribeNodegroup`, as the SDKs name operations.
    fn operation_name(method: &str) -> String {
        method.split('_').map(|part| part[..1].to_uppercase() + &part[1..]).collect()
    }

    /// Every SDK operation called in `src/aws/` (outside unit tests): `client.<operation>()`,
    /// with the number of `.send()` calls as a cross-check that no call is written otherwise.
    fn sdk_calls() -> BTreeSet<String> {
        let call = regex::Regex::new(r"\bclient\s*\.\s*([a-z][a-z0-9_]*)\s*\(\s*\)").unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/aws");
        let mut found = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            let calls: Vec<String> = call.captures_iter(code).map(|c| c[1].to_string()).filter(|m| m != "clone").collect();
            assert_eq!(calls.len(), code.matches(".send()").count(), "{}: every .send() starts from `client.<operation>()`", path.display());
            found.extend(calls.iter().map(|m| operation_name(m)));
        }
        found
    }

    #[test]
    fn every_sdk_call_is_a_listed_action_and_every_action_is_called() {
        let called = sdk_calls();
        assert!(called.len() >= 10, "the scan found the calls: {called:?}");
        let listed: BTreeSet<String> = ACTIONS.iter().map(|a| a.name.split_once(':').unwrap().1.to_string()).collect();
        let missing: Vec<_> = called.difference(&listed).collect();
        assert!(missing.is_empty(), "SDK calls missing from ACTIONS (add them): {missing:?}");
        let unused: Vec<_> = listed.difference(&called).collect();
        assert!(unused.is_empty(), "ACTIONS not called anywhere (least privilege: remove them): {unused:?}");
    }

    #[test]
    fn actions_are_unique_and_well_formed() {
        let names: Vec<&str> = ACTIONS.iter().map(|a| a.name).collect();
        let unique: BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len(), "no duplicates");
        for name in &names {
            let (service, operation) = name.split_once(':').unwrap();
            assert!(["eks", "autoscaling", "ec2", "pricing"].contains(&service), "{name}");
            assert!(operation.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && operation.chars().all(|c| c.is_ascii_alphanumeric()), "{name}");
            assert_eq!(ACTIONS.iter().find(|a| a.name == *name).unwrap().writes, !["Describe", "List", "Get"].iter().any(|p| operation.starts_with(p)), "{name}: read/write");
        }
    }

    #[test]
    fn policy_has_every_action_once_and_no_wildcards() {
        let policy: Json = serde_json::from_str(&policy_json()).unwrap();
        let actions: Vec<&str> = policy["Statement"].as_array().unwrap().iter().flat_map(|s| s["Action"].as_array().unwrap()).map(|a| a.as_str().unwrap()).collect();
        assert_eq!(actions.len(), ACTIONS.len() + 1);
        assert!(actions.iter().all(|a| !a.contains('*')), "no wildcard actions: {actions:?}");
        assert!(ACTIONS.iter().all(|a| actions.contains(&a.name)));
        assert!(allows("eks:DescribeNodegroup") && !allows("eks:DeleteCluster"));
    }

    #[test]
    fn the_published_policy_is_current() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/guides/iam-policy.json");
        let want = policy_json();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(have == want, "{} is stale: run `target/debug/terraform-provider-autoscale iam-policy > docs/guides/iam-policy.json`", path.display());
    }
}

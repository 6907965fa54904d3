//! Acceptance tests of `autoscale_asg_discovery_tags` against the emulator: the five checks
//! (apply, empty plan, import, drift, destroy), the exact Cluster Autoscaler tag set of a tainted
//! node group, ownership (foreign and EKS tags untouched), limits, validation, a replaced node
//! group ASG, and the DescribeTags coalescing of a 100-instance refresh.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use acceptance::{Workspace, aws, create_cluster, emulator, run, unique};
use autoscale::aws::asg_tags::{create_or_update_tags, delete_tags, describe_tags};
use aws_sdk_eks::types::TaintEffect;
use serde_json::Value as Json;

const ADDRESS: &str = "autoscale_asg_discovery_tags.this";
const CA: &str = "k8s.io/cluster-autoscaler/";
const LABEL: &str = "k8s.io/cluster-autoscaler/node-template/label/";
const TAINT: &str = "k8s.io/cluster-autoscaler/node-template/taint/";
const RESOURCE: &str = "k8s.io/cluster-autoscaler/node-template/resources/";
const OPTION: &str = "k8s.io/cluster-autoscaler/node-template/autoscaling-options/";

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// The call-counting test measures how Terraform's concurrent reads bunch up, which depends on
/// the CPU: it runs alone, the other tests of this file share the machine with each other.
static MACHINE: RwLock<()> = RwLock::new(());

fn shared_machine() -> RwLockReadGuard<'static, ()> {
    MACHINE.read().unwrap_or_else(PoisonError::into_inner)
}

fn whole_machine() -> RwLockWriteGuard<'static, ()> {
    MACHINE.write().unwrap_or_else(PoisonError::into_inner)
}

fn delete_node_group(cluster: &str, name: &str) {
    let clients = aws();
    run(async { clients.eks.delete_nodegroup().cluster_name(cluster).nodegroup_name(name).send().await.expect("deleting the node group") });
}

/// Plain Auto Scaling groups named `<prefix>-<i>` (the emulator wants a launch configuration),
/// each with `foreign` tags nobody in Terraform manages.
fn plain_groups(prefix: &str, n: usize, foreign: &[(&str, &str)]) -> Vec<String> {
    let client = &aws().autoscaling;
    run(async {
        let config = format!("{prefix}-lc");
        client
            .create_launch_configuration()
            .launch_configuration_name(&config)
            .image_id("ami-12345678")
            .instance_type("t3.micro")
            .send()
            .await
            .expect("creating the launch configuration");
        let mut names = Vec::new();
        for i in 0..n {
            let name = format!("{prefix}-{i:03}");
            client
                .create_auto_scaling_group()
                .auto_scaling_group_name(&name)
                .launch_configuration_name(&config)
                .min_size(0)
                .max_size(1)
                .desired_capacity(0)
                .availability_zones("us-east-1a")
                .send()
                .await
                .expect("creating an ASG");
            let tags: BTreeMap<String, String> = foreign.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            create_or_update_tags(client, &name, &tags, true).await.expect("foreign tags");
            names.push(name);
        }
        names
    })
}

/// Every tag of `group`: key → (value, propagate at launch).
fn live(group: &str) -> BTreeMap<String, (String, bool)> {
    let client = &aws().autoscaling;
    let found = run(describe_tags(client, &[group.to_string()], None)).expect("describing tags");
    found.get(group).map(|tags| tags.iter().map(|(k, t)| (k.clone(), (t.value.clone(), t.propagate_at_launch))).collect()).unwrap_or_default()
}

/// The Cluster Autoscaler tags of `group`, key → value.
fn live_ca(group: &str) -> BTreeMap<String, String> {
    live(group).into_iter().filter(|(k, _)| k.starts_with(CA)).map(|(k, (v, _))| (k, v)).collect()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn state_tags(ws: &Workspace, address: &str) -> BTreeMap<String, String> {
    let attrs = ws.attrs(address);
    attrs["tags"].as_object().expect("tags map").iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect()
}

fn set_tag(group: &str, key: &str, value: &str) {
    let client = &aws().autoscaling;
    run(create_or_update_tags(client, group, &map(&[(key, value)]), false)).expect("out-of-band tag");
}

fn remove_tag(group: &str, key: &str) {
    let client = &aws().autoscaling;
    run(delete_tags(client, group, &[key.to_string()])).expect("out-of-band delete");
}

/// The latest call sequence number naming `resource`, to look at calls made after it.
fn call_mark(resource: &str) -> u64 {
    emulator().call_log_for(resource).iter().filter_map(|e| e["seq"].as_u64()).max().unwrap_or(0)
}

fn calls_since(resource: &str, mark: u64) -> Vec<Json> {
    emulator().call_log_for(resource).into_iter().filter(|e| e["seq"].as_u64().unwrap_or(0) > mark).collect()
}

fn mutating_since(resource: &str, mark: u64) -> Vec<Json> {
    calls_since(resource, mark).into_iter().filter(|e| e["mutating"] == Json::Bool(true)).collect()
}

/// Tag keys a CreateOrUpdateTags call in the log wrote.
fn written_keys(call: &Json) -> Vec<String> {
    let params = call["params"].as_object().cloned().unwrap_or_default();
    params.iter().filter(|(k, _)| k.starts_with("Tags.member.") && k.ends_with(".Key")).filter_map(|(_, v)| v.as_str().map(str::to_string)).collect()
}

/// Terraform wraps diagnostics: compare with runs of whitespace made single spaces.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn node_group_config(cluster: &str, node_group: &str, extra: &str) -> String {
    format!(
        r#"
resource "autoscale_asg_discovery_tags" "this" {{
  cluster_name    = "{cluster}"
  node_group_name = "{node_group}"
{extra}
}}
"#
    )
}

fn groups_config(cluster: &str, groups: &[String], extra: &str) -> String {
    let list = groups.iter().map(|g| format!("\"{g}\"")).collect::<Vec<_>>().join(", ");
    format!(
        r#"
resource "autoscale_asg_discovery_tags" "this" {{
  cluster_name = "{cluster}"
  asg_names    = [{list}]
{extra}
}}
"#
    )
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

/// A tainted node group at zero nodes: exactly the tags the Cluster Autoscaler needs, the
/// discovery pair EKS wrote adopted (never rewritten, kept on destroy), a foreign tag untouched
/// through apply and destroy.
#[test]
fn basic() {
    let _machine = shared_machine();
    let cluster = unique("tags-basic");
    create_cluster(&cluster);
    let asg = acceptance::create_node_group(&cluster, "batch", &[("role", "batch")], &[("workload", "batch", TaintEffect::NoSchedule)]);
    set_tag(&asg, "team", "data");
    let before = live(&asg);
    let mark = call_mark(&asg);

    let ws = Workspace::new(&node_group_config(&cluster, "batch", ""));
    ws.apply();

    let expected = map(&[
        ("k8s.io/cluster-autoscaler/enabled", "true"),
        (&format!("{CA}{cluster}"), "owned"),
        (&format!("{LABEL}role"), "batch"),
        (&format!("{TAINT}workload"), "batch:NoSchedule"),
    ]);
    assert_eq!(live_ca(&asg), expected, "the ASG carries exactly the Cluster Autoscaler tag set");
    assert_eq!(state_tags(&ws, ADDRESS), expected);
    let attrs = ws.attrs(ADDRESS);
    assert_eq!(attrs["id"], Json::from(format!("{cluster}:batch")));
    assert_eq!(attrs["asg_names"], serde_json::json!([asg]));
    assert_eq!(attrs["from_node_group"], Json::Bool(true));
    // Tags it did not write are as they were, and the discovery pair was never rewritten.
    let after = live(&asg);
    for key in ["team", "eks:cluster-name", "eks:nodegroup-name", "k8s.io/cluster-autoscaler/enabled"] {
        assert_eq!(after.get(key), before.get(key), "{key} changed");
    }
    let writes: Vec<String> = mutating_since(&asg, mark).iter().flat_map(written_keys).collect();
    assert_eq!(writes, vec![format!("{LABEL}role"), format!("{TAINT}workload")], "only the missing tags are written");
    // New tags are not propagated to instances by default.
    assert!(!after[&format!("{TAINT}workload")].1);

    ws.assert_no_changes();

    ws.destroy();
    let left = live(&asg);
    assert!(!left.keys().any(|k| k.starts_with(&format!("{CA}node-template/"))), "node-template tags removed: {left:?}");
    for key in ["team", "eks:cluster-name", "eks:nodegroup-name", "k8s.io/cluster-autoscaler/enabled"] {
        assert_eq!(left.get(key), before.get(key), "{key} must survive destroy");
    }
    assert_eq!(left.get(&format!("{CA}{cluster}")), before.get(&format!("{CA}{cluster}")), "EKS's discovery tag stays");
}

/// An owned tag deleted or changed out of band is drift: the plan shows it, apply restores it.
#[test]
fn drift_is_restored() {
    let _machine = shared_machine();
    let cluster = unique("tags-drift");
    create_cluster(&cluster);
    let asg = acceptance::create_node_group(&cluster, "spot", &[("role", "spot")], &[]);
    let ws = Workspace::new(&node_group_config(&cluster, "spot", r#"  resources = { "ephemeral-storage" = "100G" }"#));
    ws.apply();
    ws.assert_no_changes();

    remove_tag(&asg, &format!("{LABEL}role"));
    ws.assert_changes(&["node-template/label/role"]);
    ws.apply();
    assert_eq!(live_ca(&asg).get(&format!("{LABEL}role")).map(String::as_str), Some("spot"));
    ws.assert_no_changes();

    set_tag(&asg, &format!("{RESOURCE}ephemeral-storage"), "1G");
    ws.assert_changes(&["node-template/resources/ephemeral-storage", "100G"]);
    ws.apply();
    assert_eq!(live_ca(&asg).get(&format!("{RESOURCE}ephemeral-storage")).map(String::as_str), Some("100G"));
    ws.assert_no_changes();

    // A written tag switched to propagate at launch: drift on propagate_at_launch.
    let client = &aws().autoscaling;
    run(create_or_update_tags(client, &asg, &map(&[(&format!("{LABEL}role"), "spot")]), true)).expect("out-of-band flag");
    ws.assert_changes(&["propagate_at_launch"]);
    ws.apply();
    assert_eq!(live(&asg)[&format!("{LABEL}role")], ("spot".to_string(), false));
    ws.assert_no_changes();

    // Adopted EKS discovery tag removed out of band: also restored.
    remove_tag(&asg, "k8s.io/cluster-autoscaler/enabled");
    ws.assert_changes(&["k8s.io/cluster-autoscaler/enabled"]);
    ws.apply();
    assert_eq!(live_ca(&asg).get("k8s.io/cluster-autoscaler/enabled").map(String::as_str), Some("true"));
    ws.assert_no_changes();
    ws.destroy();
}

/// The object gone (node group deleted, or every named ASG deleted): the plan creates it again.
#[test]
fn disappears() {
    let _machine = shared_machine();
    let cluster = unique("tags-gone");
    create_cluster(&cluster);
    acceptance::create_node_group(&cluster, "ng", &[("role", "x")], &[]);
    let ws = Workspace::new(&node_group_config(&cluster, "ng", ""));
    ws.apply();
    delete_node_group(&cluster, "ng");
    ws.assert_changes(&["will be created"]);

    let groups = plain_groups(&unique("tags-gone-asg"), 1, &[]);
    let ws = Workspace::new(&groups_config(&cluster, &groups, r#"  labels = { role = "x" }"#));
    ws.apply();
    let client = &aws().autoscaling;
    run(async { client.delete_auto_scaling_group().auto_scaling_group_name(&groups[0]).force_delete(true).send().await.expect("deleting") });
    ws.assert_changes(&["will be created"]);
}

/// Named ASGs: every argument changed in place — labels, taints (EKS casing in, Kubernetes casing
/// out), resources, options, discovery, propagate_at_launch, the ASG list itself.
#[test]
fn update() {
    let _machine = shared_machine();
    let cluster = unique("tags-update");
    let groups = plain_groups(&unique("tags-upd"), 3, &[("owner", "platform")]);
    let (g0, g1, g2) = (groups[0].clone(), groups[1].clone(), groups[2].clone());
    let ws = Workspace::new(&groups_config(
        &cluster,
        &groups[..2],
        r#"
  discovery = false
  labels    = { a = "1", b = "2" }
  taint {
    key    = "dedicated"
    value  = "gpu"
    effect = "NO_EXECUTE"
  }
  resources = { "ephemeral-storage" = "100G" }
  autoscaling_options {
    scale_down_utilization_threshold = 0.5
    scale_down_unneeded_time         = "10m"
    ignore_daemonsets_utilization    = true
  }
"#,
    ));
    ws.apply();
    let first = map(&[
        (&format!("{LABEL}a"), "1"),
        (&format!("{LABEL}b"), "2"),
        (&format!("{TAINT}dedicated"), "gpu:NoExecute"),
        (&format!("{RESOURCE}ephemeral-storage"), "100G"),
        (&format!("{OPTION}scaledownutilizationthreshold"), "0.5"),
        (&format!("{OPTION}scaledownunneededtime"), "10m"),
        (&format!("{OPTION}ignoredaemonsetsutilization"), "true"),
    ]);
    assert_eq!(live_ca(&g0), first);
    assert_eq!(live_ca(&g1), first);
    assert_eq!(state_tags(&ws, ADDRESS), first);
    assert_eq!(ws.attrs(ADDRESS)["from_node_group"], Json::Bool(false));
    ws.assert_no_changes();

    let mark = call_mark(&g1);
    ws.write_config(&groups_config(
        &cluster,
        &[g0.clone(), g2.clone()],
        r#"
  propagate_at_launch = true
  labels              = { a = "9" }
  taint {
    key    = "dedicated"
    value  = "gpu"
    effect = "PreferNoSchedule"
  }
  autoscaling_options {
    scale_down_gpu_utilization_threshold = 0.25
    scale_down_unready_time              = "20m0s"
  }
"#,
    ));
    ws.assert_changes(&["node-template/label/b", "gpu:PreferNoSchedule"]);
    ws.apply();
    let second = map(&[
        ("k8s.io/cluster-autoscaler/enabled", "true"),
        (&format!("{CA}{cluster}"), "owned"),
        (&format!("{LABEL}a"), "9"),
        (&format!("{TAINT}dedicated"), "gpu:PreferNoSchedule"),
        (&format!("{OPTION}scaledowngpuutilizationthreshold"), "0.25"),
        (&format!("{OPTION}scaledownunreadytime"), "20m0s"),
    ]);
    assert_eq!(live_ca(&g0), second);
    assert_eq!(live_ca(&g2), second);
    assert!(live_ca(&g1).is_empty(), "the ASG dropped from asg_names loses our tags: {:?}", live_ca(&g1));
    assert_eq!(live(&g1).get("owner"), Some(&("platform".to_string(), true)), "foreign tag untouched");
    assert!(mutating_since(&g1, mark).iter().all(|c| c["action"] == "DeleteTags"), "only deletes on the dropped ASG");
    for (key, (_, propagate)) in live(&g0) {
        if key.starts_with(CA) {
            assert!(propagate, "{key} should propagate at launch now");
        }
    }
    assert_eq!(state_tags(&ws, ADDRESS), second);
    ws.assert_no_changes();

    ws.destroy();
    for group in &groups {
        assert!(live_ca(group).is_empty(), "{group}: {:?}", live_ca(group));
        assert_eq!(live(group).get("owner"), Some(&("platform".to_string(), true)));
    }
}

/// Import by node group and by ASG names gives the applied state, and an empty plan.
#[test]
fn import() {
    let _machine = shared_machine();
    let cluster = unique("tags-import");
    create_cluster(&cluster);
    acceptance::create_node_group(&cluster, "ng", &[("role", "web")], &[("zone", "a", TaintEffect::PreferNoSchedule)]);
    let ws = Workspace::new(&node_group_config(
        &cluster,
        "ng",
        r#"
  labels    = { tier = "front" }
  resources = { "ephemeral-storage" = "50Gi" }
  autoscaling_options {
    scale_down_utilization_threshold = 0.65
  }
"#,
    ));
    ws.apply();
    ws.assert_import_verifies(ADDRESS, &format!("{cluster}:ng"), &[]);
    ws.destroy();

    let groups = plain_groups(&unique("tags-imp"), 2, &[]);
    let ws = Workspace::new(&groups_config(
        &cluster,
        &groups,
        r#"
  propagate_at_launch = true
  labels              = { tier = "batch" }
  taint {
    key    = "workload"
    value  = "batch"
    effect = "NoSchedule"
  }
  autoscaling_options {
    scale_down_unneeded_time      = "5m"
    ignore_daemonsets_utilization = false
  }
"#,
    ));
    ws.apply();
    let id = format!("asg:{},{}", groups[1], groups[0]);
    // The id lists the names sorted, whatever order the import id gave.
    ws.assert_import_verifies(ADDRESS, &id, &["id"]);
    assert_eq!(ws.attrs(ADDRESS)["id"], Json::from(format!("asg:{},{}", groups[0], groups[1])));
    ws.destroy();
}

/// More than 50 tags, counting the ones already on the ASG: a plan-time diagnostic, and
/// nothing is written. At exactly 50 it works.
#[test]
fn tag_limit_is_checked_before_writing() {
    let _machine = shared_machine();
    let cluster = unique("tags-limit");
    let foreign: Vec<(String, String)> = (0..47).map(|i| (format!("foreign-{i:02}"), "x".to_string())).collect();
    let foreign_refs: Vec<(&str, &str)> = foreign.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let groups = plain_groups(&unique("tags-lim"), 1, &foreign_refs);
    let asg = groups[0].clone();
    let mark = call_mark(&asg);

    // 47 + discovery pair + 2 labels = 51.
    let ws = Workspace::new(&groups_config(&cluster, &groups, r#"  labels = { a = "1", b = "2" }"#));
    let plan = ws.plan(&[]);
    assert_eq!(plan.code, 1, "plan must fail:\n{}", plan.text());
    let text = flat(&plan.text());
    assert!(text.contains("Too many tags on the Auto Scaling group"), "{text}");
    assert!(text.contains("has 47 tags") && text.contains("51") && text.contains("at most 50"), "{text}");
    let out = ws.apply_fails();
    assert!(out.text().contains("Too many tags"), "{}", out.text());
    assert!(mutating_since(&asg, mark).is_empty(), "nothing may be written: {:?}", mutating_since(&asg, mark));
    assert_eq!(live(&asg).len(), 47);

    // One label fewer: exactly 50.
    ws.write_config(&groups_config(&cluster, &groups, r#"  labels = { a = "1" }"#));
    ws.apply();
    assert_eq!(live(&asg).len(), 50);
    ws.assert_no_changes();
    ws.destroy();
    assert_eq!(live(&asg).len(), 47);
}

/// A tag already on the ASG with another value belongs to someone else: refused at plan.
#[test]
fn foreign_tag_with_our_key_is_not_overwritten() {
    let _machine = shared_machine();
    let cluster = unique("tags-foreign");
    let key = format!("{LABEL}role");
    let groups = plain_groups(&unique("tags-for"), 1, &[(key.as_str(), "theirs")]);
    let mark = call_mark(&groups[0]);
    let ws = Workspace::new(&groups_config(&cluster, &groups, r#"  labels = { role = "ours" }"#));
    let plan = ws.plan(&[]);
    assert_eq!(plan.code, 1, "{}", plan.text());
    assert!(plan.text().contains("Tag owned by someone else"), "{}", plan.text());
    assert!(mutating_since(&groups[0], mark).is_empty());
    assert_eq!(live_ca(&groups[0]), map(&[(&key, "theirs")]));
}

/// Bad input: plan-time diagnostics with attribute paths, nothing written.
#[test]
fn invalid_configuration() {
    let _machine = shared_machine();
    let cluster = unique("tags-invalid");
    let groups = plain_groups(&unique("tags-inv"), 1, &[]);
    let asg = &groups[0];
    let mark = call_mark(asg);
    let long_key = "k".repeat(83);
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("  node_group_name = \"ng\"\n".to_string(), vec!["Conflicting attributes", "Set only one of"]),
        (format!("  labels = {{ \"{long_key}\" = \"x\" }}\n"), vec!["Tag key too long", "at most 128"]),
        ("  taint {\n    key = \"a\"\n    effect = \"NoScheduleX\"\n  }\n".into(), vec!["must be one of"]),
        (
            "  taint {\n    key = \"a\"\n    effect = \"NoSchedule\"\n  }\n  taint {\n    key = \"a\"\n    effect = \"NO_EXECUTE\"\n  }\n".into(),
            vec!["Duplicate taint key"],
        ),
        ("  autoscaling_options {\n    scale_down_utilization_threshold = 1.5\n  }\n".into(), vec!["must be between 0 and 1"]),
        ("  autoscaling_options {\n    scale_down_unneeded_time = \"ten minutes\"\n  }\n".into(), vec!["Invalid duration"]),
        ("  resources = { \"ephemeral-storage\" = \"lots\" }\n".into(), vec!["Invalid quantity"]),
        ("  from_node_group = true\n".into(), vec!["No node group to read"]),
        ("  labels = { \"bad key!\" = \"x\" }\n".into(), vec!["Invalid label key"]),
        ("  asg_names = []\n".into(), vec![]),
    ];
    for (extra, needles) in cases {
        let config = if extra.contains("asg_names = []") {
            format!("resource \"autoscale_asg_discovery_tags\" \"this\" {{\n  cluster_name = \"{cluster}\"\n{extra}}}\n")
        } else {
            groups_config(&cluster, &groups, &extra)
        };
        let ws = Workspace::new(&config);
        let out = ws.plan(&[]);
        assert_eq!(out.code, 1, "plan should fail for\n{extra}\n{}", out.text());
        let needles = if needles.is_empty() { vec!["No ASG names"] } else { needles };
        for needle in needles {
            assert!(flat(&out.text()).contains(needle), "missing {needle:?} for\n{extra}\n{}", out.text());
        }
    }
    let ws = Workspace::new(&format!("resource \"autoscale_asg_discovery_tags\" \"this\" {{\n  cluster_name = \"{cluster}\"\n}}\n"));
    let out = ws.plan(&[]);
    assert!(out.code == 1 && out.text().contains("Missing node group or ASG names"), "{}", out.text());
    assert!(mutating_since(asg, mark).is_empty());
}

/// EKS replacing the node group's ASG (here: the node group deleted and created again under
/// the same name) is drift; apply tags the new ASG.
#[test]
fn replaced_node_group_asg_is_tagged() {
    let _machine = shared_machine();
    let cluster = unique("tags-replace");
    create_cluster(&cluster);
    let old = acceptance::create_node_group(&cluster, "ng", &[("role", "batch")], &[]);
    let ws = Workspace::new(&node_group_config(&cluster, "ng", ""));
    ws.apply();
    delete_node_group(&cluster, "ng");
    let new = acceptance::create_node_group(&cluster, "ng", &[("role", "batch")], &[]);
    assert_ne!(old, new);
    assert!(!live_ca(&new).contains_key(&format!("{LABEL}role")));

    ws.assert_changes(&["node-template/label/role"]);
    ws.apply();
    assert_eq!(live_ca(&new).get(&format!("{LABEL}role")).map(String::as_str), Some("batch"));
    assert_eq!(ws.attrs(ADDRESS)["asg_names"], serde_json::json!([new]));
    ws.assert_no_changes();
    ws.destroy();
    assert!(!live_ca(&new).contains_key(&format!("{LABEL}role")));
    assert_eq!(live_ca(&new).get("k8s.io/cluster-autoscaler/enabled").map(String::as_str), Some("true"), "EKS's tag stays");
}

/// Refreshing 100 instances costs at most 4 DescribeTags calls: the reads Terraform runs
/// together share calls (with `-parallelism` high enough for them to run together). Each
/// instance owns one tag, so a shared call's answer fits one page (DescribeTags returns at most
/// 100 tags per page): the count measures batches, not paging.
#[test]
fn refresh_of_100_instances_shares_describe_tags() {
    let _alone = whole_machine();
    let cluster = unique("tags-many");
    let prefix = unique("tags-many-asg");
    let groups = plain_groups(&prefix, 100, &[]);
    let list = groups.iter().map(|g| format!("\"{g}\"")).collect::<Vec<_>>().join(", ");
    let ws = Workspace::new(&format!(
        r#"
locals {{
  groups = [{list}]
}}

resource "autoscale_asg_discovery_tags" "many" {{
  count        = 100
  cluster_name = "{cluster}"
  asg_names    = [local.groups[count.index]]
  discovery    = false
  labels       = {{ slot = "s${{count.index}}" }}
}}
"#
    ));
    let out = ws.tf(&["apply", "-auto-approve", "-input=false", "-parallelism=100"]);
    assert_eq!(out.code, 0, "{}", out.text());
    assert_eq!(live_ca(&groups[42]).get(&format!("{LABEL}slot")).map(String::as_str), Some("s42"));

    let describe_tags = || emulator().calls_for(&prefix).get("autoscaling:DescribeTags").copied().unwrap_or(0);
    let before = describe_tags();
    let out = ws.plan(&["-parallelism=100"]);
    assert_eq!(out.code, 0, "{}", out.text());
    let shared = describe_tags() - before;
    assert!((1..=4).contains(&shared), "refreshing 100 instances made {shared} DescribeTags calls");

    // With Terraform's default parallelism (10 reads in flight) batches hold about 10 reads.
    let before = describe_tags();
    let out = ws.plan(&[]);
    assert_eq!(out.code, 0, "{}", out.text());
    let default_parallelism = describe_tags() - before;
    eprintln!("DescribeTags calls for 100 refreshes: {shared} with -parallelism=100, {default_parallelism} with the default");
    assert!(default_parallelism < 50, "reads barely shared calls: {default_parallelism} calls");

    let out = ws.tf(&["destroy", "-auto-approve", "-input=false", "-parallelism=100"]);
    assert_eq!(out.code, 0, "{}", out.text());
    assert!(live_ca(&groups[42]).is_empty());
}

/// The shared reader against the emulator: concurrent callers' groups go into one DescribeTags
/// call, each caller gets exactly its own groups and keys back, and answers longer than a page
/// (100 tags) are read to the end.
#[test]
fn tag_reader_shares_calls_and_reads_every_page() {
    let _machine = shared_machine();
    let prefix = unique("tags-reader");
    let foreign: Vec<(String, String)> = (0..45).map(|i| (format!("k{i:02}"), format!("v{i}"))).collect();
    let foreign_refs: Vec<(&str, &str)> = foreign.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let groups = plain_groups(&prefix, 3, &foreign_refs);
    let reader = &aws().asg_tags;
    let describe_tags = || emulator().calls_for(&prefix).get("autoscaling:DescribeTags").copied().unwrap_or(0);

    let (k1, k2, k3) = (vec!["k01".to_string()], vec!["k02".to_string(), "missing".to_string()], vec!["k03".to_string()]);
    let before = describe_tags();
    let (a, b, c) = run(async {
        tokio::join!(reader.tags_with_keys(&groups[..1], &k1), reader.tags_with_keys(&groups[1..2], &k2), reader.tags_with_keys(&groups[2..], &k3))
    });
    assert_eq!(describe_tags() - before, 1, "three concurrent callers, one call");
    let only = |found: &autoscale::aws::asg_tags::TagsByGroup, group: &str, key: &str, value: &str| {
        assert_eq!(found.len(), 1, "{found:?}");
        let tags = &found[group];
        assert_eq!(tags.len(), 1, "{tags:?}");
        assert_eq!(tags[key].value, value);
    };
    only(&a.unwrap(), &groups[0], "k01", "v1");
    only(&b.unwrap(), &groups[1], "k02", "v2");
    only(&c.unwrap(), &groups[2], "k03", "v3");

    let before = describe_tags();
    let (a, b) = run(async { tokio::join!(reader.all_tags(&groups[..2]), reader.all_tags(&groups[1..])) });
    // 135 tags in one batch: two pages of at most 100.
    assert_eq!(describe_tags() - before, 2);
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.keys().collect::<Vec<_>>(), vec![&groups[0], &groups[1]]);
    assert_eq!(b.keys().collect::<Vec<_>>(), vec![&groups[1], &groups[2]]);
    for tags in a.values().chain(b.values()) {
        assert_eq!(tags.len(), 45);
    }
}

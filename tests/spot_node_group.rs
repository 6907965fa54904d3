//! Acceptance tests of `autoscale_spot_node_group`: the real terraform binary drives the provider
//! against the emulator. Each test makes its own cluster, so they can run in parallel against
//! one shared emulator; out-of-band changes go through the provider's own AWS functions or the
//! plain SDK clients, as an operator (or the Cluster Autoscaler) would make them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use acceptance::{Workspace, aws, create_cluster, emulator, run, terraform_bin, unique};
use autoscale::aws::eks::{self, ConfigChange};
use autoscale::aws::node_groups::find_node_group;
use aws_sdk_eks::types::{NodegroupScalingConfig, Taint, TaintEffect, UpdateLabelsPayload, UpdateTaintsPayload};
use serde_json::{Value as Json, json};

const ADDRESS: &str = "autoscale_spot_node_group.this";

/// One node group configuration; tests change a field and rewrite main.tf.
#[derive(Clone)]
struct Group {
    cluster: String,
    name: String,
    instance_types: &'static str,
    min: i64,
    max: i64,
    desired: i64,
    policy: Option<&'static str>,
    labels: &'static str,
    taints: &'static str,
    tags: &'static str,
    extra: &'static str,
    /// Use `node_group_name_prefix = "<name>-"` instead of a fixed name.
    prefixed: bool,
}

impl Group {
    /// A group in a fresh cluster of its own.
    fn new(prefix: &str) -> Self {
        let cluster = unique(&format!("{prefix}-c"));
        // Harness: create_cluster first touches aws() inside run(), which would nest runtimes;
        // building the clients here first avoids it.
        aws();
        create_cluster(&cluster);
        Self {
            cluster,
            name: unique(prefix),
            instance_types: r#"["c5.xlarge", "c5a.xlarge", "c5d.xlarge"]"#,
            min: 1,
            max: 5,
            desired: 1,
            policy: None,
            labels: r#"{ workload = "batch", "cost-optimization" = "spot" }"#,
            taints: "taint {\n    key    = \"workload\"\n    value  = \"batch\"\n    effect = \"NO_SCHEDULE\"\n  }",
            tags: r#"{ team = "data" }"#,
            extra: "",
            prefixed: false,
        }
    }

    fn hcl(&self) -> String {
        let policy = self.policy.map(|p| format!("desired_size_policy = \"{p}\"")).unwrap_or_default();
        let naming = if self.prefixed {
            format!("node_group_name_prefix = \"{}-\"", self.name)
        } else {
            format!("node_group_name = \"{}\"", self.name)
        };
        format!(
            r#"
resource "autoscale_spot_node_group" "this" {{
  cluster_name    = "{cluster}"
  {naming}
  node_role_arn   = "arn:aws:iam::123456789012:role/eks-node"
  subnet_ids      = ["subnet-aaaa1111", "subnet-bbbb2222"]
  instance_types  = {types}
  {policy}

  scaling {{
    min_size     = {min}
    max_size     = {max}
    desired_size = {desired}
  }}

  labels = {labels}
  tags   = {tags}

  {taints}
  {extra}
}}
"#,
            cluster = self.cluster,
            types = self.instance_types,
            min = self.min,
            max = self.max,
            desired = self.desired,
            labels = self.labels,
            tags = self.tags,
            taints = self.taints,
            extra = self.extra,
        )
    }

    fn workspace(&self) -> Workspace {
        Workspace::new(&self.hcl())
    }

    fn id(&self) -> String {
        format!("{}:{}", self.cluster, self.name)
    }

    /// The node group as AWS describes it now.
    fn live(&self) -> aws_sdk_eks::types::Nodegroup {
        self.find().unwrap_or_else(|| panic!("node group {} not found", self.id()))
    }

    fn find(&self) -> Option<aws_sdk_eks::types::Nodegroup> {
        run(find_node_group(&aws().eks, &self.cluster, &self.name)).expect("describing the node group")
    }

    /// `(min, max, desired)` as AWS reports them.
    fn live_sizes(&self) -> (i32, i32, i32) {
        let group = self.live();
        let sc = group.scaling_config().expect("scaling config");
        (sc.min_size().unwrap(), sc.max_size().unwrap(), sc.desired_size().unwrap())
    }

    /// What the Cluster Autoscaler does: SetDesiredCapacity on the group's ASG. The emulator
    /// mirrors it into the node group's scalingConfig, as EKS does.
    fn autoscaler_sets_desired(&self, desired: i32) {
        let asg = autoscale::aws::node_groups::asg_names(&self.live()).into_iter().next().expect("an ASG");
        run(aws().autoscaling.set_desired_capacity().auto_scaling_group_name(asg).desired_capacity(desired).send()).expect("SetDesiredCapacity");
        assert_eq!(self.live_sizes().2, desired, "the node group follows its ASG");
    }

    /// An UpdateNodegroupConfig made outside Terraform, waited on.
    fn change_out_of_band(&self, change: ConfigChange) {
        run(async {
            let update = eks::update_node_group_config(&aws().eks, &self.cluster, &self.name, &change).await.expect("UpdateNodegroupConfig");
            let cancel = no_stop();
            eks::wait_update_successful(&aws().eks, &self.cluster, &self.name, &update, Duration::from_secs(30), &cancel)
                .await
                .expect("waiting for the update");
        });
    }

    fn count(&self, action: &str) -> u64 {
        emulator().calls_for(&self.name).get(action).copied().unwrap_or(0)
    }

    /// Keeps this cluster's node groups CREATING for `seconds` (the other tests' clusters are
    /// not affected).
    fn slow_creates(&self, seconds: u64) {
        let body = json!({"nodegroup_create_delay": seconds, "cluster": self.cluster});
        let (status, text) = emulator().control("POST", "/_emulator/config", Some(&body));
        assert_eq!(status, 200, "{text}");
    }

    fn assert_destroyed(&self, ws: &Workspace) {
        ws.destroy();
        assert!(self.find().is_none(), "node group {} still exists after destroy", self.id());
    }
}

/// A stop signal nobody fires (the tests never stop a wait).
fn no_stop() -> eks::CancellationToken {
    eks::CancellationToken::new()
}

fn labels(group: &aws_sdk_eks::types::Nodegroup) -> Vec<(String, String)> {
    let mut labels: Vec<_> = group.labels().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect();
    labels.sort();
    labels
}

fn taints(group: &aws_sdk_eks::types::Nodegroup) -> Vec<String> {
    let mut taints: Vec<String> =
        group.taints().iter().map(|t| format!("{}={}:{}", t.key().unwrap_or(""), t.value().unwrap_or(""), t.effect().map_or("", |e| e.as_str()))).collect();
    taints.sort();
    taints
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
}

/// The five checks: apply, empty plan with and without refresh, import verify, destroy, gone.
#[test]
fn basic() {
    let group = Group::new("ng-basic");
    let ws = group.workspace();
    ws.apply();

    let attrs = ws.attrs(ADDRESS);
    assert_eq!(attrs["id"], json!(group.id()));
    assert_eq!(attrs["status"], json!("ACTIVE"));
    assert_eq!(attrs["capacity_type"], json!("SPOT"));
    assert_eq!(attrs["desired_size_policy"], json!("initial"));
    assert_eq!(attrs["current_desired_size"], json!(1));
    let live = group.live();
    assert_eq!(attrs["arn"], json!(live.nodegroup_arn().unwrap()));
    let asgs = attrs["asg_names"].as_array().unwrap();
    assert_eq!(asgs.len(), 1);
    assert!(asgs[0].as_str().unwrap().starts_with(&format!("eks-{}-", group.name)), "{asgs:?}");
    assert_eq!(labels(&live), pairs(&[("cost-optimization", "spot"), ("workload", "batch")]));
    assert_eq!(taints(&live), vec!["workload=batch:NO_SCHEDULE"]);
    assert_eq!(live.capacity_type().map(|c| c.as_str()), Some("SPOT"));
    assert_eq!(live.instance_types(), ["c5.xlarge", "c5a.xlarge", "c5d.xlarge"]);
    assert_eq!(group.live_sizes(), (1, 5, 1));

    // The create carried an idempotency token.
    let log = emulator().call_log_for(&group.name);
    let create = log.iter().find(|e| e["action"] == "CreateNodegroup").expect("a CreateNodegroup call");
    assert!(create["params"]["clientRequestToken"].as_str().is_some_and(|t| !t.is_empty()), "{create}");

    ws.assert_no_changes();
    ws.assert_import_verifies(ADDRESS, &group.id(), &[]);
    group.assert_destroyed(&ws);
}

/// Deleted outside Terraform: the plan offers to create it again, and apply does.
#[test]
fn disappears() {
    let group = Group::new("ng-gone");
    let ws = group.workspace();
    ws.apply();
    let first_arn = group.live().nodegroup_arn().unwrap().to_string();

    run(async {
        eks::delete_node_group(&aws().eks, &group.cluster, &group.name).await.expect("DeleteNodegroup");
        eks::wait_node_group_deleted(&aws().eks, &group.cluster, &group.name, Duration::from_secs(30), &no_stop())
            .await
            .expect("waiting for the delete");
    });
    ws.assert_changes(&["will be created"]);
    ws.apply();
    assert_ne!(group.live().nodegroup_arn().unwrap(), first_arn, "a new node group");
    ws.assert_no_changes();
    group.assert_destroyed(&ws);
}

/// Labels, taints, scaling and tags: an in-place update, then drift in each, detected and
/// repaired. The in-place update also moves the Kubernetes version (UpdateNodegroupVersion)
/// and sets update_config.
#[test]
fn update() {
    let mut group = Group::new("ng-upd");
    group.extra = "version = \"1.32\"";
    let ws = group.workspace();
    ws.apply();
    assert_eq!(ws.attrs(ADDRESS)["release_version"], json!("1.32.0-20250101"));

    // In place: labels, taints, version and update_config change, nothing is replaced.
    let arn = group.live().nodegroup_arn().unwrap().to_string();
    group.extra = "version = \"1.33\"\n  update_config {\n    max_unavailable_percentage = 25\n  }";
    group.labels = r#"{ workload = "batch", tier = "2" }"#;
    group.taints = "taint {\n    key    = \"workload\"\n    value  = \"batch\"\n    effect = \"NO_EXECUTE\"\n  }\n  \
                    taint {\n    key    = \"spot\"\n    effect = \"PREFER_NO_SCHEDULE\"\n  }";
    ws.write_config(&group.hcl());
    let plan = ws.assert_changes(&["update in-place", "tier", "NO_EXECUTE", "\"1.32\" -> \"1.33\"", "max_unavailable_percentage"]);
    assert!(!plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    ws.apply();
    let live = group.live();
    assert_eq!(live.nodegroup_arn().unwrap(), arn);
    assert_eq!((live.version(), live.release_version()), (Some("1.33"), Some("1.33.0-20250101")));
    assert_eq!(live.update_config().and_then(|u| u.max_unavailable_percentage()), Some(25));
    assert_eq!(ws.attrs(ADDRESS)["release_version"], json!("1.33.0-20250101"));
    assert_eq!(group.count("eks:UpdateNodegroupVersion"), 1);
    assert_eq!(labels(&live), pairs(&[("tier", "2"), ("workload", "batch")]));
    assert_eq!(taints(&live), vec!["spot=:PREFER_NO_SCHEDULE", "workload=batch:NO_EXECUTE"]);
    ws.assert_no_changes();

    // Drift in labels.
    group.change_out_of_band(ConfigChange {
        labels: Some(UpdateLabelsPayload::builder().add_or_update_labels("intruder", "yes").remove_labels("tier").build()),
        ..ConfigChange::default()
    });
    ws.assert_changes(&["intruder", "tier"]);
    ws.apply();
    assert_eq!(labels(&group.live()), pairs(&[("tier", "2"), ("workload", "batch")]));

    // Drift in taints: one removed, one added.
    group.change_out_of_band(ConfigChange {
        taints: Some(
            UpdateTaintsPayload::builder()
                .remove_taints(Taint::builder().key("spot").effect(TaintEffect::PreferNoSchedule).build())
                .add_or_update_taints(Taint::builder().key("rogue").value("x").effect(TaintEffect::NoSchedule).build())
                .build(),
        ),
        ..ConfigChange::default()
    });
    ws.assert_changes(&["rogue", "PREFER_NO_SCHEDULE"]);
    ws.apply();
    assert_eq!(taints(&group.live()), vec!["spot=:PREFER_NO_SCHEDULE", "workload=batch:NO_EXECUTE"]);

    // Drift in scaling bounds.
    group.change_out_of_band(ConfigChange {
        scaling: Some(NodegroupScalingConfig::builder().min_size(0).max_size(9).build()),
        ..ConfigChange::default()
    });
    ws.assert_changes(&["max_size", "min_size"]);
    ws.apply();
    assert_eq!(group.live_sizes(), (1, 5, 1));

    // Drift in tags.
    let arn = group.live().nodegroup_arn().unwrap().to_string();
    run(async {
        eks::tag_node_group(&aws().eks, &group.id(), &arn, [("rogue".to_string(), "tag".to_string())].into()).await.unwrap();
        eks::untag_node_group(&aws().eks, &group.id(), &arn, vec!["team".into()]).await.unwrap();
    });
    ws.assert_changes(&["rogue", "team"]);
    ws.apply();
    let tags: Vec<_> = group.live().tags().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(tags, pairs(&[("team", "data")]));

    ws.assert_no_changes();
    group.assert_destroyed(&ws);
}

/// terraform-aws-eks#944 / #3306: raising min_size above a desired size the autoscaler moved
/// used to fail with "Minimum capacity X can't be greater than desired size Y". Here the update
/// sends the desired size clamped into the new range in the same call; lowering max_size below
/// the live size clamps it down the same way.
#[test]
fn raising_min_size_above_live_desired_size() {
    let mut group = Group::new("ng-min");
    let ws = group.workspace();
    ws.apply();

    group.autoscaler_sets_desired(2);
    group.min = 3;
    group.desired = 3;
    ws.write_config(&group.hcl());
    ws.apply();
    assert_eq!(group.live_sizes(), (3, 5, 3));
    ws.assert_no_changes();

    // Above the new minimum the autoscaler's size is kept; a lower maximum clamps it.
    group.autoscaler_sets_desired(5);
    group.max = 4;
    ws.write_config(&group.hcl());
    ws.apply();
    assert_eq!(group.live_sizes(), (3, 4, 4));
    assert_eq!(ws.attrs(ADDRESS)["current_desired_size"], json!(4));
    ws.assert_no_changes();

    // Every UpdateNodegroupConfig carried min, max and the clamped desired size together.
    let updates: Vec<Json> = emulator().call_log_for(&group.name).into_iter().filter(|e| e["action"] == "UpdateNodegroupConfig").collect();
    let sent: Vec<Json> = updates.iter().map(|e| e["params"]["scalingConfig"].clone()).collect();
    assert_eq!(sent, vec![json!({"minSize": 3, "maxSize": 5, "desiredSize": 3}), json!({"minSize": 3, "maxSize": 4, "desiredSize": 4})]);
    group.assert_destroyed(&ws);
}

/// desired_size_policy = "initial": the autoscaler moving the size inside [min, max] is no diff,
/// and applies leave it alone.
#[test]
fn live_desired_size_inside_range_is_not_a_diff() {
    let mut group = Group::new("ng-init");
    group.policy = Some("initial");
    let ws = group.workspace();
    ws.apply();

    group.autoscaler_sets_desired(4);
    ws.assert_no_changes();
    let updates_before = group.count("eks:UpdateNodegroupConfig");
    ws.apply();
    assert_eq!(group.count("eks:UpdateNodegroupConfig"), updates_before, "apply must not reset the autoscaler's size");
    assert_eq!(group.live_sizes(), (1, 5, 4));
    let attrs = ws.attrs(ADDRESS);
    assert_eq!(attrs["scaling"]["desired_size"], json!(1), "state keeps the configured size");
    assert_eq!(attrs["current_desired_size"], json!(4), "and reports the live one");

    // A later change of desired_size is only recorded: the autoscaler keeps its 4.
    group.desired = 2;
    ws.write_config(&group.hcl());
    ws.apply();
    assert_eq!(group.live_sizes(), (1, 5, 4));
    ws.assert_no_changes();
    group.assert_destroyed(&ws);
}

/// desired_size_policy = "enforce": Terraform owns the desired size, drift shows and is reset.
#[test]
fn enforce_policy_shows_desired_size_drift() {
    let mut group = Group::new("ng-enf");
    group.policy = Some("enforce");
    let ws = group.workspace();
    ws.apply();

    group.autoscaler_sets_desired(3);
    ws.assert_changes(&["desired_size = 3 -> 1"]);
    ws.apply();
    assert_eq!(group.live_sizes(), (1, 5, 1));
    ws.assert_no_changes();
    group.assert_destroyed(&ws);
}

/// instance_types cannot change in place: the plan replaces the group, and apply leaves only
/// the new one (and its ASG). The group is named from a prefix, so the new one has a new name.
#[test]
fn changing_instance_types_replaces_the_group() {
    let mut group = Group::new("ng-repl");
    group.prefixed = true;
    let prefix = format!("{}-", group.name);
    let ws = group.workspace();
    ws.apply();
    let old = ws.attrs(ADDRESS);
    let old_name = old["node_group_name"].as_str().unwrap().to_string();
    assert!(old_name.starts_with(&prefix) && old_name.len() == prefix.len() + 26, "{old_name}");
    assert_eq!(old["id"], json!(format!("{}:{old_name}", group.cluster)));
    ws.assert_no_changes();

    group.instance_types = r#"["m5.xlarge", "m5a.xlarge"]"#;
    ws.write_config(&group.hcl());
    ws.assert_changes(&["must be replaced", "instance_types", "forces replacement"]);
    ws.apply();
    let new = ws.attrs(ADDRESS);
    assert_ne!(new["arn"], old["arn"]);
    let new_name = new["node_group_name"].as_str().unwrap().to_string();
    assert!(new_name.starts_with(&prefix) && new_name != old_name, "{new_name}");
    assert!(Group { name: old_name, ..group.clone() }.find().is_none(), "the old node group is gone");
    group.name = new_name;
    assert_eq!(group.live().instance_types(), ["m5.xlarge", "m5a.xlarge"]);
    let old_asg = old["asg_names"][0].as_str().unwrap().to_string();
    let left = run(aws().autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(old_asg).send()).unwrap();
    assert!(left.auto_scaling_groups().is_empty(), "the old group's ASG is gone");
    ws.assert_no_changes();
    group.assert_destroyed(&ws);
}

/// Invalid configurations fail at plan with the offending attribute named, and nothing is sent
/// to AWS. Mixed instance sizes only warn.
#[test]
fn bad_input_fails_at_plan() {
    let group = Group::new("ng-bad");
    let ws = Workspace::empty();
    let cases: Vec<(Group, &str)> = vec![
        (Group { min: 3, desired: 2, ..group.clone() }, "scaling.desired_size"),
        (Group { desired: 9, ..group.clone() }, "scaling.desired_size"),
        (Group { min: 6, desired: 6, ..group.clone() }, "scaling.min_size"),
        (Group { min: 0, max: 0, desired: 0, ..group.clone() }, "max_size"),
        (Group { instance_types: "[]", ..group.clone() }, "instance_types is empty"),
        (Group { instance_types: r#"["c5.xlarge", "c5.xlarge"]"#, ..group.clone() }, "more than once"),
        (Group { taints: "taint {\n    key    = \"a\"\n    effect = \"NoSchedule\"\n  }", ..group.clone() }, "taint[0].effect"),
        (Group { labels: r#"{ "-bad" = "x" }"#, ..group.clone() }, "Invalid Kubernetes label key"),
        (Group { labels: r#"{ ok = "has space" }"#, ..group.clone() }, "Invalid Kubernetes label value"),
        (Group { name: "-starts-with-dash".into(), ..group.clone() }, "node_group_name"),
        (Group { name: "x".repeat(64), ..group.clone() }, "node_group_name"),
    ];
    for (case, needle) in &cases {
        ws.write_config(&case.hcl());
        let out = ws.plan(&[]);
        assert_eq!(out.code, 1, "plan should fail for {needle}:\n{}", out.text());
        assert!(out.text().contains(needle), "diagnostic does not name {needle:?}:\n{}", out.text());
    }

    // 51 taints.
    let many: String = (0..51).map(|i| format!("taint {{\n    key = \"k{i}\"\n    effect = \"NO_SCHEDULE\"\n  }}\n  ")).collect();
    let many: &'static str = Box::leak(many.into_boxed_str());
    ws.write_config(&Group { taints: many, ..group.clone() }.hcl());
    let out = ws.plan(&[]);
    assert_eq!(out.code, 1, "{}", out.text());
    assert!(out.text().contains("Too many taints"), "{}", out.text());

    // Mixed sizes: a warning naming the odd type, and the plan goes on.
    ws.write_config(&Group { instance_types: r#"["c5.xlarge", "c5a.xlarge", "c5n.xlarge"]"#, ..group.clone() }.hcl());
    let out = ws.plan(&[]);
    assert_eq!(out.code, 2, "{}", out.text());
    assert!(out.text().contains("Instance types of different sizes") && out.text().contains("c5n.xlarge"), "{}", out.text());

    assert!(emulator().mutating_calls_for(&group.name).is_empty(), "bad input reached AWS");
    assert!(group.find().is_none());

    // A malformed import id.
    ws.write_config(&group.hcl());
    let out = ws.tf(&["import", "-input=false", ADDRESS, "no-colon-here"]);
    assert_ne!(out.code, 0);
    assert!(out.text().contains("cluster_name:node_group_name"), "{}", out.text());
}

/// A create that outlives its timeout: apply fails, the node group is in state (tainted), and
/// nothing is orphaned — destroy removes it.
#[test]
fn create_timeout_leaves_a_tainted_resource() {
    let mut group = Group::new("ng-slow");
    group.slow_creates(30);
    group.extra = "timeouts {\n    create = \"2s\"\n  }";
    let ws = group.workspace();
    let out = ws.apply_fails();
    assert!(out.text().contains("not ACTIVE yet") && out.text().contains("timed out"), "{}", out.text());
    assert_tainted_and_creating(&ws, &group);
    assert_eq!(group.count("eks:CreateNodegroup"), 1);

    // Nothing orphaned: destroying removes the group.
    group.assert_destroyed(&ws);
}

/// Ctrl-C while the group is still CREATING: Terraform sends StopProvider, the waiter gives up
/// at once instead of waiting out the 60-minute timeout, and the group is saved in state
/// (tainted), not orphaned.
#[test]
fn interrupted_create_keeps_the_group_in_state() {
    let group = Group::new("ng-stop");
    group.slow_creates(120);
    let ws = group.workspace();
    let apply = terraform(&ws, &["apply", "-auto-approve", "-input=false", "-no-color"]).spawn().expect("starting terraform apply");
    let started = Instant::now();
    while group.find().is_none() {
        assert!(started.elapsed() < Duration::from_secs(60), "the node group was never created");
        std::thread::sleep(Duration::from_millis(200));
    }
    let interrupted = Instant::now();
    interrupt(apply.id());
    let out = apply.wait_with_output().expect("waiting for terraform");
    let text = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "apply should fail when interrupted:\n{text}");
    assert!(interrupted.elapsed() < Duration::from_secs(60), "terraform waited for the create instead of stopping");
    assert!(text.contains("asked the provider to stop"), "{text}");
    assert_tainted_and_creating(&ws, &group);
    group.assert_destroyed(&ws);
}

/// Ctrl-C for a terraform started as `pid`: terraform runs itself as a child under a wrapper
/// that ignores SIGINT (a terminal signals the whole process group), so the signal goes to the
/// terraform children — not to the group, which is the test runner's.
fn interrupt(pid: u32) {
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    let mut targets: Vec<String> = children
        .split_whitespace()
        .filter(|child| std::fs::read_to_string(format!("/proc/{child}/comm")).is_ok_and(|comm| comm.trim() == "terraform"))
        .map(str::to_string)
        .collect();
    targets.push(pid.to_string());
    let status = Command::new("kill").arg("-INT").args(&targets).status().expect("kill -INT");
    assert!(status.success(), "kill -INT {targets:?}");
}

/// terraform with the workspace's environment, for runs the harness cannot express (signals).
fn terraform(ws: &Workspace, args: &[&str]) -> Command {
    let mut command = Command::new(terraform_bin());
    let cli_config = ws.path().parent().expect("workspace dir").join("terraform.rc");
    command
        .args(args)
        .current_dir(ws.path())
        .env_remove("AWS_PROFILE")
        .env_remove("TF_LOG")
        .env("TF_CLI_CONFIG_FILE", cli_config)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("AWS_ENDPOINT_URL", &emulator().endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// The resource is in state, tainted, and is the node group that exists (still CREATING).
fn assert_tainted_and_creating(ws: &Workspace, group: &Group) {
    let state = ws.state();
    let resource = state["values"]["root_module"]["resources"].as_array().and_then(|r| r.first()).cloned().expect("the resource is in state");
    assert_eq!(resource["address"], json!(ADDRESS));
    assert_eq!(resource["tainted"], json!(true), "{resource:#}");
    let live = group.live();
    assert_eq!(resource["values"]["arn"], json!(live.nodegroup_arn().unwrap()), "state holds the group that exists");
    assert_eq!(resource["values"]["status"], json!("CREATING"));
    assert_eq!(live.status().map(|s| s.as_str()), Some("CREATING"));
}

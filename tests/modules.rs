//! The reusable modules: their READMEs document every variable and output; they and their
//! README usage examples pass `terraform validate`; their validation blocks refuse bad input;
//! and each applies on the emulator, plans empty afterwards, and destroys cleanly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use acceptance::{Workspace, aws, create_cluster, repo_root, run, unique};
use autoscale::aws::node_groups::find_node_group;
use serde_json::Value as Json;

const MODULES: [&str; 2] = ["eks-spot-autoscaling", "workload-autoscaling"];

/// Names declared as `<kind> "<name>"` at the start of a line in the module's `.tf` files.
fn declared(module: &Path, kind: &str) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(module).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tf") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                if let Some(rest) = line.strip_prefix(&format!("{kind} \"")) {
                    names.push(rest.split('"').next().unwrap().to_string());
                }
            }
        }
    }
    names
}

#[test]
fn readmes_have_a_row_for_every_variable_and_output() {
    for module in MODULES {
        let dir = repo_root().join("modules").join(module);
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        let inputs = readme.split("## Inputs").nth(1).and_then(|s| s.split("## Outputs").next()).expect("an Inputs section");
        let outputs = readme.split("## Outputs").nth(1).expect("an Outputs section");
        let variables = declared(&dir, "variable");
        let outs = declared(&dir, "output");
        assert!(variables.len() >= 5 && outs.len() >= 5, "{module}: {variables:?} {outs:?}");
        for (section, names) in [(inputs, &variables), (outputs, &outs)] {
            for name in names {
                assert!(section.contains(&format!("| `{name}` |")), "{module}/README.md has no table row for `{name}`");
            }
            // ... and no row for something the module does not declare.
            let rows = section.lines().filter_map(|l| l.strip_prefix("| `")).map(|r| r.split('`').next().unwrap().to_string());
            for row in rows {
                assert!(names.contains(&row), "{module}/README.md documents `{row}`, which the module does not declare");
            }
        }
    }
}

/// A workspace with the module copied to `./modules/<name>` and `config` as main.tf, modules
/// installed with `terraform get` (`init` would look the dev-overridden provider up).
fn workspace_with(module: &str, config: &str) -> Workspace {
    let ws = Workspace::new(config);
    let target = ws.path().join("modules").join(module);
    std::fs::create_dir_all(&target).unwrap();
    for entry in std::fs::read_dir(repo_root().join("modules").join(module)).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, target.join(path.file_name().unwrap())).unwrap();
    }
    let out = ws.tf(&["get"]);
    assert_eq!(out.code, 0, "terraform get:\n{}", out.text());
    ws
}

fn outputs(ws: &Workspace) -> Json {
    let out = ws.tf(&["output", "-json"]);
    assert_eq!(out.code, 0, "{}", out.text());
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn modules_validate_and_refuse_bad_input() {
    for module in MODULES {
        let ws = workspace_with(module, "");
        // The module as a root configuration.
        let root = ws.path().join("modules").join(module);
        let out = ws.tf(&[&format!("-chdir=modules/{module}"), "validate"]);
        assert_eq!(out.code, 0, "{} does not validate:\n{}", root.display(), out.text());
    }

    // The usage examples in the READMEs are valid configurations.
    for module in MODULES {
        let readme = std::fs::read_to_string(repo_root().join("modules").join(module).join("README.md")).unwrap();
        let usage = readme.split("```hcl").nth(1).and_then(|s| s.split("```").next()).expect("a usage example");
        let ws = workspace_with(module, &usage.replace("../../modules/", "./modules/"));
        let out = ws.tf(&["validate"]);
        assert_eq!(out.code, 0, "the usage example of {module} does not validate:\n{}", out.text());
    }

    let ws = workspace_with(
        "eks-spot-autoscaling",
        r#"
module "bad" {
  source          = "./modules/eks-spot-autoscaling"
  cluster_name    = "c1"
  node_group_name = "ng"
  node_role_arn   = "arn:aws:iam::123456789012:role/eks-node"
  subnet_ids      = ["subnet-1"]
  max_size        = 0
  taints          = [{ key = "workload", value = "batch", effect = "NoSchedule" }]
}
"#,
    );
    let out = ws.plan(&[]);
    assert_eq!(out.code, 1, "{}", out.text());
    let text = out.text().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("EKS node groups cannot have a maximum of 0"), "{text}");
    assert!(text.contains("Each taint effect must be NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE"), "{text}");

    let ws = workspace_with(
        "workload-autoscaling",
        r#"
module "bad" {
  source = "./modules/workload-autoscaling"
  hpas = {
    api = {
      min_replicas = 3, max_replicas = 2, cpu_utilization = null, memory_utilization = null
      external_metric = null, external_average_value = null
      scale_up   = { stabilization_window_seconds = 0, percent = 100, pods = null, period_seconds = 15 }
      scale_down = { stabilization_window_seconds = 300, percent = 50, period_seconds = 15 }
    }
  }
}
"#,
    );
    let out = ws.plan(&[]);
    assert_eq!(out.code, 1, "{}", out.text());
    let text = out.text().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("max_replicas not below min_replicas"), "{text}");
    assert!(text.contains("Each HPA needs at least one metric"), "{text}");
}

#[test]
fn eks_spot_autoscaling_applies_plans_empty_and_destroys() {
    let cluster = unique("mod-spot");
    create_cluster(&cluster);
    let ws = workspace_with(
        "eks-spot-autoscaling",
        &format!(
            r#"
module "batch" {{
  source          = "./modules/eks-spot-autoscaling"
  cluster_name    = "{cluster}"
  node_group_name = "batch"
  node_role_arn   = "arn:aws:iam::123456789012:role/eks-node"
  subnet_ids      = ["subnet-aaaa1111", "subnet-bbbb2222"]
  instance_types  = ["c5.xlarge", "c5a.xlarge", "c5d.xlarge"]
  labels          = {{ workload = "batch", "cost-optimization" = "spot" }}
  taints          = [{{ key = "workload", value = "batch", effect = "NO_SCHEDULE" }}]
  node_template_resources = {{ "ephemeral-storage" = "100G" }}
}}

module "dev" {{
  source          = "./modules/eks-spot-autoscaling"
  cluster_name    = "{cluster}"
  node_group_name = "dev"
  node_role_arn   = "arn:aws:iam::123456789012:role/eks-node"
  subnet_ids      = ["subnet-aaaa1111"]
  instance_types  = ["m5.large"]
  capacity_type   = "ON_DEMAND"
  max_size        = 3
  schedule = {{
    name = "dev", time_zone = "Europe/Paris", days = "MON-FRI", start = "08:00", end = "18:00"
    business_hours_capacity = 3, off_hours_capacity = 0
  }}
}}

output "batch" {{ value = module.batch }}
output "dev" {{ value = module.dev }}
"#
        ),
    );
    ws.apply();
    ws.assert_no_changes();

    let out = outputs(&ws);
    let batch = &out["batch"]["value"];
    let dev = &out["dev"]["value"];
    assert_eq!(batch["node_group_id"], Json::String(format!("{cluster}:batch")));
    assert_eq!(batch["asg_names"].as_array().map(Vec::len), Some(1), "{batch}");
    assert_eq!(batch["discovery_tags"]["k8s.io/cluster-autoscaler/node-template/taint/workload"], "batch:NoSchedule");
    assert_eq!(batch["discovery_tags"]["k8s.io/cluster-autoscaler/node-template/resources/ephemeral-storage"], "100G");
    assert_eq!(batch["discovery_tags"][format!("k8s.io/cluster-autoscaler/{cluster}")], "owned");
    assert_eq!(batch["schedule_actions"], serde_json::json!({}));
    assert_eq!(batch["schedule_savings_percent"], Json::Null);
    assert_eq!(dev["schedule_savings_percent"], serde_json::json!(70.24));
    // The cost output (emulator prices: m5.large $0.096 On-Demand): 150 instance-hours a week.
    assert_eq!(dev["cost_estimate"]["savings_vs_baseline_percent"], serde_json::json!(70.24), "{dev}");
    assert_eq!(dev["cost_estimate"]["weekly_cost"], serde_json::json!(14.4), "{dev}");
    // Without a schedule: max_size (50) Spot nodes against the same On-Demand.
    assert!(batch["cost_estimate"]["savings_vs_on_demand_static_percent"].as_f64().is_some_and(|s| s > 50.0), "{batch}");
    assert_eq!(dev["schedule_actions"], serde_json::json!({"dev-w0-start": "0 8 * * 1-5", "dev-w0-end": "0 18 * * 1-5"}));

    // The schedule's actions exist on the dev group's ASG.
    let dev_asg = dev["asg_names"][0].as_str().unwrap().to_string();
    let clients = aws();
    let actions: Vec<String> = run(async {
        let out = clients.autoscaling.describe_scheduled_actions().auto_scaling_group_name(&dev_asg).send().await.unwrap();
        out.scheduled_update_group_actions().iter().filter_map(|a| a.scheduled_action_name().map(str::to_string)).collect()
    });
    assert!(actions.contains(&"dev-w0-start".to_string()) && actions.contains(&"dev-w0-end".to_string()), "{actions:?}");

    ws.destroy();
    for group in ["batch", "dev"] {
        assert!(run(find_node_group(&clients.eks, &cluster, group)).unwrap().is_none(), "{group} survived destroy");
    }
}

/// Issue 18: one intent, both node autoscalers. The two forms of the seed's batch pool plan and
/// apply on the emulator side by side; the node group and the NodePool carry the same instance
/// types, labels and taint, and the NodePool's limits are max_size c5.xlarge nodes' worth.
#[test]
fn eks_spot_autoscaling_renders_the_same_pool_for_either_node_autoscaler() {
    let cluster = unique("mod-karpenter");
    create_cluster(&cluster);
    let intent = |name: &str, autoscaler: &str| {
        format!(
            r#"
module "{name}" {{
  source          = "./modules/eks-spot-autoscaling"
  node_autoscaler = "{autoscaler}"
  cluster_name    = "{cluster}"
  node_group_name = "batch-spot"
  node_role_arn   = "arn:aws:iam::123456789012:role/nodes/KarpenterNodeRole-prod"
  subnet_ids      = ["subnet-aaaa1111", "subnet-bbbb2222"]
  labels          = {{ workload = "batch", "cost-optimization" = "spot" }}
  taints          = [{{ key = "workload", value = "batch", effect = "NO_SCHEDULE" }}]
}}
output "{name}" {{ value = module.{name} }}
"#
        )
    };
    let ws = workspace_with("eks-spot-autoscaling", &format!("{}{}", intent("ca", "cluster-autoscaler"), intent("karpenter", "karpenter")));
    let plan = ws.plan(&[]);
    assert_eq!(plan.code, 2, "{}", plan.text());
    for address in ["module.ca.autoscale_spot_node_group.this[0]", "module.ca.autoscale_asg_discovery_tags.this[0]", "module.karpenter.autoscale_karpenter_node_pool_manifest.this[0]"] {
        assert!(plan.stdout.contains(&format!("# {address} will be created")), "{address} is not planned:\n{}", plan.stdout);
    }
    assert!(!plan.stdout.contains("module.karpenter.autoscale_spot_node_group"), "the Karpenter form plans a node group:\n{}", plan.stdout);
    assert!(!plan.stdout.contains("module.ca.autoscale_karpenter_node_pool_manifest"), "the Cluster Autoscaler form plans a NodePool:\n{}", plan.stdout);

    ws.apply();
    ws.assert_no_changes();
    let node_group = ws.attrs("module.ca.autoscale_spot_node_group.this[0]");
    let out = outputs(&ws);
    assert_eq!(out["karpenter"]["value"]["node_group_id"], Json::Null);
    assert_eq!(out["ca"]["value"]["karpenter_yaml"], Json::Null);
    let yaml = out["karpenter"]["value"]["karpenter_yaml"].as_str().expect("the Karpenter form's YAML");
    let documents = autoscale::render::parse_documents(yaml).unwrap();
    let (class, pool) = (&documents[0], &documents[1]);
    let template = &pool["spec"]["template"];
    assert_eq!(template["metadata"]["labels"], node_group["labels"]);
    assert_eq!(template["spec"]["taints"], serde_json::json!([{ "key": "workload", "value": "batch", "effect": "NoSchedule" }]));
    assert_eq!(node_group["taint"][0]["effect"], "NO_SCHEDULE");
    let requirements = template["spec"]["requirements"].as_array().unwrap();
    assert_eq!(requirements[0], serde_json::json!({ "key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"] }));
    assert_eq!(requirements[1]["values"], node_group["instance_types"]);
    assert_eq!(pool["spec"]["limits"], serde_json::json!({ "cpu": "200", "memory": "400Gi" }), "max_size 50 × c5.xlarge (4 vCPU, 8 GiB)");
    assert_eq!(class["spec"]["role"], "KarpenterNodeRole-prod", "the role by name, path dropped");
    assert_eq!(class["spec"]["subnetSelectorTerms"], serde_json::json!([{ "id": "subnet-aaaa1111" }, { "id": "subnet-bbbb2222" }]));
    assert_eq!(class["spec"]["securityGroupSelectorTerms"], serde_json::json!([{ "tags": { "karpenter.sh/discovery": cluster } }]));
    ws.destroy();
}

#[test]
fn workload_autoscaling_applies_plans_empty_and_destroys() {
    let ws = workspace_with(
        "workload-autoscaling",
        r#"
module "workloads" {
  source       = "./modules/workload-autoscaling"
  namespace    = "production"
  manifest_dir = "${path.root}/manifests"

  hpas = {
    api = {
      min_replicas = 2, max_replicas = 50, cpu_utilization = 70, memory_utilization = 80
      external_metric = null, external_average_value = null
      scale_up   = { stabilization_window_seconds = 0, percent = 100, pods = 4, period_seconds = 15 }
      scale_down = { stabilization_window_seconds = 300, percent = 50, period_seconds = 15 }
    }
    worker = {
      min_replicas = 2, max_replicas = 100, cpu_utilization = 70, memory_utilization = null
      external_metric = "celery_queue_depth", external_average_value = "100"
      scale_up   = { stabilization_window_seconds = 0, percent = 200, pods = 10, period_seconds = 30 }
      scale_down = { stabilization_window_seconds = 600, percent = 25, period_seconds = 60 }
    }
  }

  external_metrics = {
    celery_queue_depth = { series_query = "celery_queue_depth{queue!=\"\"}", window = "2m", namespaced = false }
  }

  keda_workers = {
    video = {
      min_replica_count = 0, max_replica_count = 40, polling_interval = 15, cooldown_period = 600
      redis_address = "redis.queues.svc:6379", redis_list = "video-processing", jobs_per_pod = 10
      redis_password_secret = { name = "celery-broker", key = "redis-password" }
      business_hours = { timezone = "Europe/Paris", start = "0 8 * * 1-5", end = "0 20 * * 1-5", replicas = 2 }
      scale_up   = { stabilization_window_seconds = 0, percent = 200, pods = 10, period_seconds = 30 }
      scale_down = { stabilization_window_seconds = 600, percent = 25, period_seconds = 60 }
    }
  }

  cluster_autoscaler = {
    cluster_name = "prod", kubernetes_version = "1.31", iam_role_arn = null
    expander = ["least-waste"], scale_down_utilization_threshold = 0.5, scale_down_unneeded_time = "10m"
  }
}

output "workloads" { value = module.workloads }
"#,
    );
    ws.apply();
    ws.assert_no_changes();

    let out = outputs(&ws);
    let w = &out["workloads"]["value"];
    let api = w["hpa_yaml"]["api"].as_str().unwrap();
    assert!(api.contains("maxReplicas: 50") && api.contains("name: memory"), "{api}");
    let worker = w["hpa_yaml"]["worker"].as_str().unwrap();
    assert!(worker.contains("type: External") && worker.contains("celery_queue_depth") && !worker.contains("name: memory"), "{worker}");
    assert!(w["adapter_config_yaml"].as_str().unwrap().contains("celery_queue_depth"), "{w}");
    assert_eq!(w["cluster_autoscaler_documents"].as_array().map(Vec::len), Some(6), "{w}");
    assert!(w["cluster_autoscaler_yaml"].as_str().unwrap().contains("--expander=least-waste"));

    let paths = w["manifest_paths"].as_object().unwrap();
    let mut keys: Vec<&str> = paths.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["api-hpa", "cluster-autoscaler", "prometheus-adapter", "video-scaledobject", "worker-hpa"]);
    let video = w["keda_yaml"]["video"].as_str().unwrap();
    for needle in ["kind: TriggerAuthentication", "name: video-redis", "listName: video-processing", "listLength: \"10\"", "minReplicaCount: 0", "timezone: Europe/Paris", "periodSeconds: 60"] {
        assert!(video.contains(needle), "the KEDA worker lacks {needle:?}:\n{video}");
    }
    for (name, path) in paths {
        let text = std::fs::read_to_string(ws.path().join(path.as_str().unwrap())).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!text.is_empty(), "{name} is empty");
    }
    assert_eq!(std::fs::read_to_string(ws.path().join("manifests/api-hpa.yaml")).unwrap(), api);

    ws.destroy();
    assert!(!ws.path().join("manifests/api-hpa.yaml").exists(), "destroy leaves the manifest files");
}

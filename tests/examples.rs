//! The examples: every folder under examples/ passes `terraform validate`; the quickstart (the
//! seed's whole system) and each per-resource and data-source example apply on the emulator as
//! written, plan empty afterwards, import with the ids their import.sh shows, and destroy
//! leaving nothing behind.
//!
//! The per-resource examples name fixed AWS objects (cluster "prod", ASG "legacy-web", ...), so
//! each runs in an AWS region of its own: the emulator keeps regions apart, the examples cannot
//! meet each other or the other tests (us-east-1), and each test empties its region first so a
//! rerun against the same emulator starts clean.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use acceptance::{Clients, PROVIDER_HEADER, TfOutput, Workspace, aws, aws_in, create_asg_in, create_cluster, create_cluster_in, create_node_group_in, repo_root, run, unique};
use autoscale::aws::asg_tags::describe_tags;
use autoscale::aws::node_groups::{asg_names_of_node_group, find_node_group};
use autoscale::aws::scheduled_actions::{ScheduledAction, scheduled_actions_of_group};
use aws_sdk_eks::types::TaintEffect;
use serde_json::Value as Json;

// ---------------------------------------------------------------------------------------------
// The table of examples
// ---------------------------------------------------------------------------------------------

/// Declares the apply test of each per-resource and data-source example and the region it owns,
/// from one table: a row needs its check in `checks` (else no build), and
/// `every_example_folder_has_an_apply_test` compares the rows with the folders on disk.
macro_rules! example_tests {
    ($($test:ident: $folder:literal in $region:literal;)*) => {
        /// (folder under examples/, region its test owns)
        const EXAMPLES: &[(&str, &str)] = &[$(($folder, $region)),*];

        mod apply {
            $(
                #[test]
                fn $test() {
                    super::checks::$test(&super::Example::start($folder, $region));
                }
            )*
        }
    };
}

example_tests! {
    asg_discovery_tags: "resources/autoscale_asg_discovery_tags" in "eu-west-1";
    cluster_autoscaler_manifest: "resources/autoscale_cluster_autoscaler_manifest" in "eu-west-2";
    hpa_manifest: "resources/autoscale_hpa_manifest" in "eu-west-3";
    keda_scaled_object_manifest: "resources/autoscale_keda_scaled_object_manifest" in "ca-central-1";
    prometheus_adapter_manifest: "resources/autoscale_prometheus_adapter_manifest" in "eu-central-1";
    queue_exporter_manifest: "resources/autoscale_queue_exporter_manifest" in "ap-northeast-2";
    scaling_schedule: "resources/autoscale_scaling_schedule" in "us-west-1";
    scheduled_action: "resources/autoscale_scheduled_action" in "us-west-2";
    spot_node_group: "resources/autoscale_spot_node_group" in "us-east-2";
    hpa_simulation: "data-sources/autoscale_hpa_simulation" in "ap-southeast-2";
    karpenter_node_pool_manifest: "resources/autoscale_karpenter_node_pool_manifest" in "ap-northeast-1";
    karpenter: "karpenter" in "sa-east-1";
    cost_estimate: "data-sources/autoscale_cost_estimate" in "eu-north-1";
}

/// Every folder under examples/ holding Terraform files, relative to examples/, sorted.
fn folders_with_terraform() -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, found: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, found);
            } else if path.extension().is_some_and(|e| e == "tf") {
                let folder = path.parent().unwrap().strip_prefix(root).unwrap();
                found.insert(folder.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let root = repo_root().join("examples");
    let mut found = BTreeSet::new();
    walk(&root, &root, &mut found);
    found
}

/// A new example folder cannot go untested: the folders holding `.tf` files are exactly the
/// quickstart plus the table's rows, each row owns a region no other test uses, and each
/// resource example shows how to import.
#[test]
fn every_example_folder_has_an_apply_test() {
    let mut covered: BTreeSet<String> = EXAMPLES.iter().map(|(folder, _)| (*folder).to_string()).collect();
    assert_eq!(covered.len(), EXAMPLES.len(), "a folder is listed twice: {EXAMPLES:?}");
    covered.insert("quickstart".into());
    assert_eq!(folders_with_terraform(), covered, "example folders and apply tests differ: add a row to example_tests!");

    let regions: BTreeSet<&str> = EXAMPLES.iter().map(|(_, region)| *region).collect();
    assert_eq!(regions.len(), EXAMPLES.len(), "two examples share a region: {EXAMPLES:?}");
    assert!(!regions.contains("us-east-1"), "us-east-1 belongs to the other tests");

    for (folder, _) in EXAMPLES.iter().filter(|(f, _)| f.starts_with("resources/")) {
        let commands = import_commands(&repo_root().join("examples").join(folder));
        assert!(!commands.is_empty(), "{folder} shows no `terraform import` in import.sh");
    }
}

// ---------------------------------------------------------------------------------------------
// Workspaces
// ---------------------------------------------------------------------------------------------

/// The example folders the docs use plus the quickstart.
fn example_dirs() -> Vec<PathBuf> {
    let root = repo_root().join("examples");
    let mut dirs = vec![root.join("quickstart")];
    for kind in ["resources", "data-sources"] {
        let mut found: Vec<PathBuf> =
            std::fs::read_dir(root.join(kind)).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
        found.sort();
        assert!(!found.is_empty(), "no examples under examples/{kind}");
        dirs.extend(found);
    }
    dirs
}

/// A workspace holding the `.tf` files of `dir`; the provider header is added when the example
/// does not declare the provider itself (the per-resource examples are fragments for the docs).
fn workspace_of(dir: &Path) -> Workspace {
    let ws = Workspace::empty();
    let mut declares_provider = false;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tf") {
            let text = std::fs::read_to_string(&path).unwrap();
            declares_provider |= text.contains("required_providers");
            std::fs::write(ws.path().join(path.file_name().unwrap()), text).unwrap();
        }
    }
    if !declares_provider {
        std::fs::write(ws.path().join("provider.tf"), PROVIDER_HEADER).unwrap();
    }
    ws
}

/// The `terraform import ADDRESS ID` lines of a folder's import.sh, in order.
fn import_commands(dir: &Path) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(dir.join("import.sh")) else { return Vec::new() };
    text.lines()
        .map(str::trim)
        .filter(|line| line.starts_with("terraform import"))
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(words.len(), 4, "{}: expected `terraform import ADDRESS ID`: {line}", dir.display());
            (words[2].to_string(), words[3].to_string())
        })
        .collect()
}

fn outputs(ws: &Workspace) -> Json {
    let out = ws.tf(&["output", "-json"]);
    assert_eq!(out.code, 0, "{}", out.text());
    serde_json::from_str(&out.stdout).unwrap()
}

// ---------------------------------------------------------------------------------------------
// One example's run
// ---------------------------------------------------------------------------------------------

/// A per-resource example in its region: the folder's files in a workspace whose provider uses
/// that region (through AWS_REGION, as a user's shell would set it), and clients in the region
/// for creating what the example names and for checking what it did.
struct Example {
    folder: &'static str,
    dir: PathBuf,
    clients: &'static Clients,
    ws: Workspace,
}

impl Example {
    /// Empties the region (what an earlier run may have left) and prepares the workspace.
    fn start(folder: &'static str, region: &'static str) -> Self {
        let clients = aws_in(region);
        empty_region(clients);
        let dir = repo_root().join("examples").join(folder);
        let mut ws = workspace_of(&dir);
        ws.set_env("AWS_REGION", region);
        Self { folder, dir, clients, ws }
    }

    /// Applies as written and checks that the plan is then empty.
    fn apply(&self) -> TfOutput {
        let out = self.ws.tf(&["apply", "-auto-approve", "-input=false"]);
        assert_eq!(out.code, 0, "{} does not apply:\n{}", self.folder, out.text());
        self.ws.assert_no_changes();
        out
    }

    fn output(&self, name: &str) -> Json {
        let all = outputs(&self.ws);
        all.get(name).map(|o| o["value"].clone()).unwrap_or_else(|| panic!("{}: no output {name}: {all}", self.folder))
    }

    /// A file the example wrote, relative to its folder.
    fn file(&self, relative: &str) -> String {
        let path = self.ws.path().join(relative);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {}: {e}", self.folder, path.display()))
    }

    /// Runs each `terraform import` of import.sh as shown, after `terraform state rm` of its
    /// address: the import succeeds, gives the applied attributes, and the plan stays empty.
    /// `rewrite` replaces text of an id that stands for something the emulator names itself.
    fn imports_as_shown(&self, rewrite: &[(&str, &str)]) {
        let commands = import_commands(&self.dir);
        assert!(!commands.is_empty(), "{}: import.sh shows no import", self.folder);
        for (address, shown) in commands {
            let id = rewrite.iter().fold(shown.clone(), |id, (from, to)| id.replace(from, to));
            let applied = self.ws.attrs(&address);
            let out = self.ws.tf(&["state", "rm", &address]);
            assert_eq!(out.code, 0, "state rm {address}:\n{}", out.text());
            let out = self.ws.tf(&["import", "-input=false", &address, &id]);
            assert_eq!(out.code, 0, "{}: `terraform import {address} {shown}` fails:\n{}", self.folder, out.text());
            let imported = self.ws.attrs(&address);
            for (key, value) in &applied {
                assert_eq!(imported.get(key), Some(value), "{}: {address} imported from {id:?} differs in {key}", self.folder);
            }
            self.assert_no_resource_changes();
        }
        // An apply then only restores the outputs import does not compute; the plan is empty.
        self.apply();
    }

    /// The plan changes no resource, with and without refresh. (Right after `terraform import`
    /// the state holds no outputs yet, so output changes are expected there.)
    fn assert_no_resource_changes(&self) {
        for extra in [&[][..], &["-refresh=false"][..]] {
            let mut args = vec!["plan", "-input=false", "-out=check.tfplan"];
            args.extend_from_slice(extra);
            let out = self.ws.tf(&args);
            assert_eq!(out.code, 0, "plan {extra:?}:\n{}", out.text());
            let show = self.ws.tf(&["show", "-json", "check.tfplan"]);
            assert_eq!(show.code, 0, "{}", show.text());
            let plan: Json = serde_json::from_str(&show.stdout).unwrap();
            let changing: Vec<&Json> = plan["resource_changes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|change| change["change"]["actions"] != serde_json::json!(["no-op"]))
                .collect();
            assert!(changing.is_empty(), "{}: the plan after import {extra:?} changes resources:\n{}", self.folder, out.stdout);
        }
        std::fs::remove_file(self.ws.path().join("check.tfplan")).unwrap();
    }

    /// Destroys; the state is then empty. The caller checks AWS and files.
    fn destroy(&self) {
        self.ws.destroy();
        let out = self.ws.tf(&["state", "list"]);
        assert_eq!(out.code, 0, "{}", out.text());
        assert_eq!(out.stdout.trim(), "", "{}: state after destroy", self.folder);
    }

    /// Removes what the test created for the example, leaving the region as it found it.
    fn finish(&self) {
        empty_region(self.clients);
    }
}

// ---------------------------------------------------------------------------------------------
// AWS fixtures in a region
// ---------------------------------------------------------------------------------------------

/// Deletes every node group, cluster, Auto Scaling group (with its scheduled actions and tags)
/// and launch configuration of the region the clients use.
fn empty_region(clients: &Clients) {
    let clusters: Vec<String> = run(async { clients.eks.list_clusters().send().await.expect("listing clusters").clusters().to_vec() });
    for cluster in &clusters {
        let groups: Vec<String> = run(async {
            clients.eks.list_nodegroups().cluster_name(cluster).send().await.expect("listing node groups").nodegroups().to_vec()
        });
        for group in &groups {
            run(async { clients.eks.delete_nodegroup().cluster_name(cluster).nodegroup_name(group).send().await.expect("deleting a node group") });
        }
        for group in &groups {
            wait_until_gone(clients, cluster, group);
        }
        run(async { clients.eks.delete_cluster().name(cluster).send().await.expect("deleting a cluster") });
    }
    run(async {
        let groups = clients.autoscaling.describe_auto_scaling_groups().max_records(100).send().await.expect("listing groups");
        assert!(groups.next_token().is_none(), "more groups than one page: not a region of the examples");
        for group in groups.auto_scaling_groups() {
            let name = group.auto_scaling_group_name().unwrap_or_default();
            clients.autoscaling.delete_auto_scaling_group().auto_scaling_group_name(name).force_delete(true).send().await.expect("deleting a group");
        }
        let configs = clients.autoscaling.describe_launch_configurations().max_records(100).send().await.expect("listing launch configurations");
        for config in configs.launch_configurations() {
            let name = config.launch_configuration_name().unwrap_or_default();
            clients.autoscaling.delete_launch_configuration().launch_configuration_name(name).send().await.expect("deleting a launch configuration");
        }
    });
}

fn wait_until_gone(clients: &Clients, cluster: &str, node_group: &str) {
    let started = Instant::now();
    while run(find_node_group(&clients.eks, cluster, node_group)).unwrap().is_some() {
        assert!(started.elapsed() < Duration::from_secs(60), "node group {cluster}:{node_group} is not deleted after 60 s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The Cluster Autoscaler tags (`k8s.io/cluster-autoscaler/...`) of a group, key → value.
fn ca_tags(clients: &Clients, group: &str) -> BTreeMap<String, String> {
    let found = run(describe_tags(&clients.autoscaling, &[group.to_string()], None)).expect("describing tags");
    found
        .get(group)
        .map(|tags| tags.iter().filter(|(k, _)| k.starts_with("k8s.io/cluster-autoscaler/")).map(|(k, t)| (k.clone(), t.value.clone())).collect())
        .unwrap_or_default()
}

fn actions_of(clients: &Clients, group: &str) -> BTreeMap<String, ScheduledAction> {
    run(scheduled_actions_of_group(&clients.autoscaling, group)).expect("describing scheduled actions").into_iter().map(|a| (a.name.clone(), a)).collect()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
}

// ---------------------------------------------------------------------------------------------
// What each example promises
// ---------------------------------------------------------------------------------------------

mod checks {
    use super::*;
    use chrono::{DateTime, Datelike, Timelike, Utc};

    const CA: &str = "k8s.io/cluster-autoscaler/";

    pub fn asg_discovery_tags(ex: &Example) {
        let c = ex.clients;
        create_cluster_in(c, "prod");
        // The tainted spot node group the example's comment describes.
        let batch = create_node_group_in(c, "prod", "batch-spot", &[("workload", "batch")], &[("workload", "batch", TaintEffect::NoSchedule)]);
        create_asg_in(c, "prod-gpu-a");
        create_asg_in(c, "prod-gpu-b");
        ex.apply();

        // EKS's discovery pair, plus the node group's label and taint as node-template tags,
        // the resource and the two options.
        let eks_discovery = [(format!("{CA}enabled"), "true"), (format!("{CA}prod"), "owned")];
        let mut expect: BTreeMap<String, String> = eks_discovery.iter().map(|(k, v)| (k.clone(), (*v).to_string())).collect();
        for (key, value) in [
            ("node-template/label/workload", "batch"),
            ("node-template/taint/workload", "batch:NoSchedule"),
            ("node-template/resources/ephemeral-storage", "100G"),
            ("node-template/autoscaling-options/scaledownutilizationthreshold", "0.4"),
            ("node-template/autoscaling-options/scaledownunneededtime", "15m"),
        ] {
            expect.insert(format!("{CA}{key}"), value.into());
        }
        assert_eq!(ca_tags(c, &batch), expect, "batch-spot's group");
        for group in ["prod-gpu-a", "prod-gpu-b"] {
            let expect = map(&[
                ("k8s.io/cluster-autoscaler/enabled", "true"),
                ("k8s.io/cluster-autoscaler/prod", "owned"),
                ("k8s.io/cluster-autoscaler/node-template/label/nvidia.com/gpu.present", "true"),
                ("k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu", "true:NoSchedule"),
            ]);
            assert_eq!(ca_tags(c, group), expect, "{group}");
        }

        ex.imports_as_shown(&[]);
        ex.destroy();
        // EKS wrote the discovery pair on the node group's group: it stays; ours go.
        let eks_discovery: BTreeMap<String, String> = eks_discovery.iter().map(|(k, v)| (k.clone(), (*v).to_string())).collect();
        assert_eq!(ca_tags(c, &batch), eks_discovery, "batch-spot's group after destroy");
        for group in ["prod-gpu-a", "prod-gpu-b"] {
            assert_eq!(ca_tags(c, group), BTreeMap::new(), "{group} after destroy");
        }
        ex.finish();
    }

    pub fn cluster_autoscaler_manifest(ex: &Example) {
        ex.apply();
        let yaml = ex.file("manifests/cluster-autoscaler.yaml");
        for needle in [
            "--expander=least-waste",
            "--balance-similar-node-groups=true",
            "--skip-nodes-with-local-storage=false",
            "--scale-down-delay-after-add=10m",
            "--scale-down-unneeded-time=10m",
            "--scale-down-utilization-threshold=0.5",
            "--max-node-provision-time=15m",
            "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/production",
            "eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/cluster-autoscaler",
            "cluster-autoscaler:v1.31.",
        ] {
            assert!(yaml.contains(needle), "the manifest lacks {needle:?}:\n{yaml}");
        }
        // One document per object, the same objects as the file.
        let documents = ex.output("cluster_autoscaler_documents");
        let documents = documents.as_array().expect("a list");
        assert!(documents.iter().any(|d| d.as_str().is_some_and(|d| d.contains("kind: Deployment"))), "{documents:?}");
        assert_eq!(documents.len(), yaml.matches("\nkind: ").count() + usize::from(yaml.starts_with("kind: ")), "{documents:?}");

        ex.imports_as_shown(&[]);
        ex.destroy();
        assert!(!ex.ws.path().join("manifests/cluster-autoscaler.yaml").exists(), "destroy leaves the manifest");
    }

    /// The seed's batch pool on Karpenter and its backlog on both node autoscalers, hand-computed:
    /// 20 workers on 7 nodes (21 places) are asked to become 50 at t = 0; 29 are pending. The
    /// Cluster Autoscaler's 10 nodes are ready at 180 s, the workers at 210 s (the warning-only
    /// expectation of 120 s is missed); Karpenter's batch closes at 1 s, its 10 nodes (9 for 3
    /// workers, 1 for 2) are ready at 61 s, the workers at 91 s.
    pub fn karpenter(ex: &Example) {
        let out = ex.apply();
        assert!(out.text().contains("50 ready pods"), "the Cluster Autoscaler's missed expectation warns:\n{}", out.text());
        assert_eq!(ex.output("workers_ready_after_seconds"), serde_json::json!({ "cluster_autoscaler": 210, "karpenter": 91 }));
        assert_eq!(ex.output("peak_nodes"), serde_json::json!({ "cluster_autoscaler": 17, "karpenter": 17 }));
        let yaml = ex.file("out/karpenter-batch.yaml");
        assert!(yaml.contains("kind: NodePool") && yaml.contains("effect: NoSchedule") && yaml.contains("consolidateAfter: \"5m\""), "{yaml}");
        ex.destroy();
        assert!(!ex.ws.path().join("out/karpenter-batch.yaml").exists(), "destroy leaves the manifest");
    }

    pub fn karpenter_node_pool_manifest(ex: &Example) {
        ex.apply();
        let yaml = ex.file("manifests/karpenter-batch.yaml");
        for needle in [
            "kind: EC2NodeClass",
            "kind: NodePool",
            r#"{"alias": "al2023@v20240807"}"#,
            r#"{"tags": {"karpenter.sh/discovery": "production"}}"#,
            "values: [\"c5.xlarge\", \"c5a.xlarge\", \"c5n.xlarge\", \"c5d.xlarge\"]",
            "effect: NoSchedule",
            "schedule: \"0 8 * * 1-5\"",
        ] {
            assert!(yaml.contains(needle), "the manifest lacks {needle:?}:\n{yaml}");
        }
        let documents = ex.output("karpenter_documents");
        assert_eq!(documents.as_array().map(Vec::len), Some(2), "{documents:?}");
        ex.imports_as_shown(&[]);
        ex.destroy();
        assert!(!ex.ws.path().join("manifests/karpenter-batch.yaml").exists(), "destroy leaves the manifest");
    }

    pub fn hpa_manifest(ex: &Example) {
        ex.apply();
        let yaml = ex.file("manifests/api-hpa.yaml");
        assert_eq!(Json::String(yaml.clone()), ex.output("api_hpa_yaml"), "the file and the output differ");
        for needle in ["kind: HorizontalPodAutoscaler", "namespace: production", "minReplicas: 2", "maxReplicas: 50", "averageUtilization: 70", "averageUtilization: 80"] {
            assert!(yaml.contains(needle), "api's HPA lacks {needle:?}:\n{yaml}");
        }
        // The worker's HPA has no file; its YAML names the adapter's external metric.
        let worker = ex.ws.attrs("autoscale_hpa_manifest.worker");
        let worker = worker["yaml"].as_str().unwrap();
        for needle in ["type: External", "name: celery_queue_depth", "queue: celery", "averageValue: \"100\""] {
            assert!(worker.contains(needle), "worker's HPA lacks {needle:?}:\n{worker}");
        }

        ex.imports_as_shown(&[]);
        ex.destroy();
        assert!(!ex.ws.path().join("manifests/api-hpa.yaml").exists(), "destroy leaves the manifest");
    }

    pub fn keda_scaled_object_manifest(ex: &Example) {
        ex.apply();
        let yaml = ex.file("manifests/worker-scaledobject.yaml");
        assert_eq!(Json::String(yaml.clone()), ex.output("worker_scaled_object_yaml"), "the file and the output differ");
        for needle in ["kind: TriggerAuthentication", "name: celery-broker", "kind: ScaledObject", "minReplicaCount: 0", "listName: celery", "listLength: \"100\"", "timezone: Europe/Paris", "name: worker-redis"] {
            assert!(yaml.contains(needle), "the manifest lacks {needle:?}:\n{yaml}");
        }
        ex.imports_as_shown(&[]);
        ex.destroy();
        assert!(!ex.ws.path().join("manifests/worker-scaledobject.yaml").exists(), "destroy leaves the manifest");
    }

    pub fn queue_exporter_manifest(ex: &Example) {
        ex.apply();
        let yaml = ex.file("manifests/celery-exporter.yaml");
        for needle in ["kind: Deployment", "kind: Service", "kind: ServiceMonitor", "\"--queues=celery,video-processing,default\"", "name: CE_BROKER_URL", "name: celery-broker"] {
            assert!(yaml.contains(needle), "the exporter lacks {needle:?}:\n{yaml}");
        }
        let adapter = ex.ws.attrs("autoscale_prometheus_adapter_manifest.celery");
        assert_eq!(adapter["external_metric_names"], serde_json::json!(["celery_queue_depth"]));
        ex.imports_as_shown(&[]);
        ex.destroy();
        assert!(!ex.ws.path().join("manifests/celery-exporter.yaml").exists(), "destroy leaves the manifest");
    }

    pub fn prometheus_adapter_manifest(ex: &Example) {
        ex.apply();
        let yaml = ex.file("manifests/prometheus-adapter.yaml");
        for needle in ["kind: ConfigMap", "name: prometheus-adapter", "namespace: monitoring", "celery_queue_depth", "sum(", "[2m]"] {
            assert!(yaml.contains(needle), "the ConfigMap lacks {needle:?}:\n{yaml}");
        }
        ex.imports_as_shown(&[]);
        ex.destroy();
        assert!(!ex.ws.path().join("manifests/prometheus-adapter.yaml").exists(), "destroy leaves the manifest");
    }

    pub fn scaling_schedule(ex: &Example) {
        let c = ex.clients;
        create_cluster_in(c, "staging");
        let staging = create_node_group_in(c, "staging", "general", &[], &[]);
        create_asg_in(c, "eks-dev-general-0a1b2c3d");
        ex.apply();

        // The figures the example's comment gives.
        assert_eq!(ex.output("staging_savings_percent"), serde_json::json!(56.19));
        assert_eq!(ex.ws.attrs("autoscale_scaling_schedule.staging")["weekly_instance_hours"], serde_json::json!(368));
        let live = actions_of(c, &staging);
        let summary: Vec<_> = live
            .values()
            .map(|a| (a.name.as_str(), a.recurrence.as_deref(), a.time_zone.as_deref(), [a.min_size, a.max_size, a.desired_capacity]))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("staging-w0-end", Some("0 18 * * 1-5"), Some("Europe/Paris"), [Some(1), Some(2), Some(1)]),
                ("staging-w0-start", Some("0 8 * * 1-5"), Some("Europe/Paris"), [Some(1), Some(10), Some(5)]),
            ],
            "staging's actions"
        );
        let dev = actions_of(c, "eks-dev-general-0a1b2c3d");
        assert!(!dev.is_empty() && dev.keys().all(|name| name.starts_with("dev-")), "{dev:?}");
        assert!(dev.values().all(|a| a.time_zone.as_deref() == Some("America/Chicago")), "{dev:?}");
        assert!(dev.values().any(|a| a.recurrence.as_deref() == Some("0 15 * * 5")), "the short Friday: {dev:?}");

        // import.sh shows the node group's group by a made-up uuid; the emulator picks its own.
        ex.imports_as_shown(&[("eks-general-4ebf6b0a-58a3-2b6c-0c62-1a2b3c4d5e6f", &staging)]);
        ex.destroy();
        assert_eq!(actions_of(c, &staging), BTreeMap::new(), "staging's actions after destroy");
        assert_eq!(actions_of(c, "eks-dev-general-0a1b2c3d"), BTreeMap::new(), "dev's actions after destroy");
        ex.finish();
    }

    pub fn scheduled_action(ex: &Example) {
        let c = ex.clients;
        create_cluster_in(c, "staging");
        let general = create_node_group_in(c, "staging", "general", &[], &[]);
        create_asg_in(c, "legacy-web");
        ex.apply();

        // Five runs ahead, in order, each 08:00 on a weekday in Paris.
        let runs = ex.output("next_office_hours");
        let runs = runs.as_array().expect("a list");
        assert_eq!(runs.len(), 5, "{runs:?}");
        let mut last = DateTime::<Utc>::from(std::time::SystemTime::now());
        for run in runs {
            let local = DateTime::parse_from_rfc3339(run.as_str().unwrap()).unwrap();
            assert!(local.with_timezone(&Utc) > last, "ahead and in order: {runs:?}");
            assert_eq!((local.hour(), local.minute()), (8, 0), "{run}");
            assert!(local.weekday().number_from_monday() <= 5, "{run}");
            assert!(matches!(local.offset().local_minus_utc(), 3600 | 7200), "Paris time: {run}");
            last = local.with_timezone(&Utc);
        }
        let up = &actions_of(c, &general)["office-hours-up"];
        assert_eq!((up.time_zone.as_deref(), up.min_size, up.max_size, up.desired_capacity), (Some("Europe/Paris"), Some(2), Some(10), Some(5)), "{up:?}");
        let down = &actions_of(c, "legacy-web")["evening-down"];
        assert_eq!(down.end_time.map(|t| t.to_rfc3339()), Some("2030-12-31T23:59:59+00:00".into()), "{down:?}");
        assert_eq!((down.time_zone.as_deref(), down.desired_capacity), (Some("America/New_York"), Some(1)), "{down:?}");

        ex.imports_as_shown(&[]);
        ex.destroy();
        assert_eq!(actions_of(c, &general), BTreeMap::new(), "actions on the node group's group after destroy");
        assert_eq!(actions_of(c, "legacy-web"), BTreeMap::new(), "actions on legacy-web after destroy");
        ex.finish();
    }

    pub fn spot_node_group(ex: &Example) {
        let c = ex.clients;
        create_cluster_in(c, "prod");
        ex.apply();

        let group = run(find_node_group(&c.eks, "prod", "spot-batch")).unwrap().expect("the node group exists");
        assert_eq!(group.capacity_type().map(|t| t.as_str()), Some("SPOT"));
        assert_eq!(group.instance_types(), ["c5.xlarge", "c5a.xlarge", "c5d.xlarge", "c6i.xlarge"]);
        let scaling = group.scaling_config().expect("scaling");
        assert_eq!((scaling.min_size(), scaling.max_size(), scaling.desired_size()), (Some(0), Some(50), Some(0)));
        assert_eq!(group.update_config().and_then(|u| u.max_unavailable_percentage()), Some(33));
        let labels: BTreeMap<String, String> = group.labels().cloned().unwrap_or_default().into_iter().collect();
        assert_eq!(labels, map(&[("workload", "batch"), ("cost-optimization", "spot")]));
        let taints: Vec<(Option<&str>, Option<&str>, Option<&str>)> =
            group.taints().iter().map(|t| (t.key(), t.value(), t.effect().map(|e| e.as_str()))).collect();
        assert_eq!(taints, [(Some("workload"), Some("batch"), Some("NO_SCHEDULE"))]);
        assert_eq!(group.tags().and_then(|t| t.get("team")).map(String::as_str), Some("data"));
        assert_eq!(group.subnets().len(), 3, "{:?}", group.subnets());

        ex.imports_as_shown(&[]);
        ex.destroy();
        assert!(run(find_node_group(&c.eks, "prod", "spot-batch")).unwrap().is_none(), "the node group survives destroy");
        ex.finish();
    }

    pub fn hpa_simulation(ex: &Example) {
        let applied = ex.apply();
        // The spike's expectation (an error if missed): 40 ready pods within 90 s of t = 120 s.
        let api = ex.ws.attrs("data.autoscale_hpa_simulation.api_spike");
        let expect = &api["expect"][0];
        assert_eq!(expect["met"], Json::Bool(true), "{expect}");
        assert!(expect["reached_after_seconds"].as_i64().is_some_and(|s| (0..=90).contains(&s)), "{expect}");
        let spike = ex.output("api_spike");
        assert_eq!(spike["peak_replicas"], api["peak_replicas"], "{spike}");
        assert!(spike["peak_replicas"].as_i64().is_some_and(|p| (40..=50).contains(&p)), "{spike}");
        assert!(spike["timeline"].as_str().is_some_and(|t| t.lines().count() > 2), "{spike}");
        assert!(spike.as_object().is_some_and(|o| o.contains_key("time_to_max_ready")), "{spike}");
        // The backlog asks for 5000 / 100 = 50 workers at once, so its warning stays silent.
        let worker = ex.ws.attrs("data.autoscale_hpa_simulation.worker_backlog");
        assert_eq!(worker["expect"][0]["met"], Json::Bool(true), "{:?}", worker["expect"]);
        assert_eq!(worker["peak_replicas"], serde_json::json!(50));
        assert!(!applied.text().contains("The HPA does not reach"), "{}", applied.text());
        ex.destroy();
    }

    /// The emulator's Stockholm prices (docs/design/cost-estimate.md): c5.xlarge $0.214 On-Demand,
    /// spot zone medians 0.082 / 0.084 / 0.080 → 0.082; m5.large $0.124 On-Demand.
    pub fn cost_estimate(ex: &Example) {
        ex.apply();
        let monthly = ex.output("monthly_cost");
        assert_eq!(monthly["batch"], serde_json::json!(598.6), "10 × 730 × 0.082: {monthly}");
        assert_eq!(monthly["staging"], serde_json::json!(198.28), "368 × 730 / 168 × 0.124: {monthly}");
        let savings = ex.output("savings_percent");
        assert_eq!(savings["batch_spot"], serde_json::json!(61.68), "1 − 0.082 / 0.214: {savings}");
        assert_eq!(savings["staging_schedule"], serde_json::json!(56.19), "{savings}");
        assert_eq!(savings["seed_spot"], serde_json::json!(80), "{savings}");
        let batch = ex.ws.attrs("data.autoscale_cost_estimate.batch");
        assert_eq!(batch["region"], "eu-north-1", "the provider's region: {batch:?}");
        ex.destroy();
    }
}

// ---------------------------------------------------------------------------------------------
// Validate, and the quickstart
// ---------------------------------------------------------------------------------------------

#[test]
fn every_example_validates() {
    let dirs = example_dirs();
    for dir in &dirs {
        let ws = workspace_of(dir);
        let out = ws.tf(&["validate"]);
        assert_eq!(out.code, 0, "{} does not validate:\n{}", dir.display(), out.text());
    }
    // Every resource and data source of the provider has its example folder.
    let names: Vec<String> = dirs.iter().map(|d| d.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for expected in [
        "autoscale_spot_node_group",
        "autoscale_asg_discovery_tags",
        "autoscale_scheduled_action",
        "autoscale_scaling_schedule",
        "autoscale_hpa_manifest",
        "autoscale_cluster_autoscaler_manifest",
        "autoscale_prometheus_adapter_manifest",
        "autoscale_keda_scaled_object_manifest",
        "autoscale_queue_exporter_manifest",
        "autoscale_hpa_simulation",
        "autoscale_karpenter_node_pool_manifest",
    ] {
        assert!(names.iter().any(|n| n == expected), "no example folder for {expected}: {names:?}");
    }
}

#[test]
fn quickstart_applies_plans_empty_and_destroys() {
    let cluster = unique("quickstart");
    create_cluster(&cluster);
    let ws = workspace_of(&repo_root().join("examples/quickstart"));
    std::fs::write(ws.path().join("terraform.tfvars"), format!("cluster_name = \"{cluster}\"\n")).unwrap();

    let applied = ws.apply();
    // The reference rollout's c5n.xlarge is flagged, not refused.
    assert!(applied.text().contains("c5n.xlarge has 4 vCPU and 10.5 GiB"), "{}", applied.text());
    ws.assert_no_changes();

    let out = outputs(&ws);
    let value = |name: &str| out[name]["value"].clone();
    assert_eq!(value("node_group_id"), Json::String(format!("{cluster}:batch-spot")));
    for group in ["batch", "staging", "dev"] {
        let names = value("asg_names")[group].as_array().cloned().unwrap_or_default();
        assert_eq!(names.len(), 1, "{group}: {names:?}");
    }
    // 5 × 50 h + 1 × 118 h = 368 of 840 instance-hours; 3 × 50 h of 504.
    assert_eq!(value("schedule_savings_percent")["staging"], serde_json::json!(56.19));
    assert_eq!(value("schedule_savings_percent")["dev"], serde_json::json!(70.24));
    // The cost output, at the emulator's prices (docs/design/cost-estimate.md): staging and dev
    // on m5.large ($0.096 On-Demand) save what their schedules save; batch is 10 Spot nodes.
    let cost = value("cost");
    assert_eq!(cost["staging"]["savings_percent"], serde_json::json!(56.19), "{cost}");
    assert_eq!(cost["dev"]["savings_percent"], serde_json::json!(70.24), "{cost}");
    assert_eq!(cost["dev"]["monthly_cost"], serde_json::json!(62.57), "150 h × 730 / 168 × $0.096: {cost}");
    // Batch: 10 nodes at the blended Spot price of the four types, 0.0715, against 0.183
    // On-Demand (the figures docs/guides/cost.md quotes).
    assert_eq!(cost["batch"]["monthly_cost"], serde_json::json!(521.95), "{cost}");
    assert_eq!(cost["batch"]["monthly_on_demand_static_cost"], serde_json::json!(1335.9), "{cost}");
    assert_eq!(cost["batch"]["savings_percent"], serde_json::json!(60.93), "{cost}");
    assert_eq!(cost["staging"]["monthly_cost"], serde_json::json!(153.51), "{cost}");
    assert!(cost["batch"]["summary"].as_str().is_some_and(|s| s.contains("Spot")), "{cost}");
    let tags = value("discovery_tags");
    assert_eq!(tags["k8s.io/cluster-autoscaler/node-template/label/workload"], "batch");
    assert_eq!(tags["k8s.io/cluster-autoscaler/node-template/label/cost-optimization"], "spot");
    assert_eq!(tags["k8s.io/cluster-autoscaler/node-template/taint/workload"], "batch:NoSchedule");
    // The API HPA doubles 6 → 12 → 24 → 48 (4 pods, then 100 % per 15 s) and the one-minute spike
    // ends before it asks for 50: the expectation is a warning, the plan shows it, and the outputs
    // say "not reached" where the simulation has null.
    let spike = value("api_spike");
    assert_eq!(spike["peak_replicas"], 48, "{spike}");
    assert_eq!(spike["time_to_max"], "not reached in the simulated 300 s", "{spike}");
    assert_eq!(spike["time_to_max_ready"], "not reached in the simulated 300 s", "{spike}");
    assert!(applied.text().contains("does not reach 50 ready pods within 120 s"), "{}", applied.text());

    // A 5000-job backlog: both worker forms have 50 pods ready at 90 s; the HPA form
    // ends at its floor of 2, the KEDA form at zero from 1185 s (585 + the 600 s cooldown).
    let backlog = value("worker_backlog");
    assert_eq!(backlog["adapter"]["ready_50_at"], 90, "{backlog}");
    assert_eq!(backlog["adapter"]["final_replicas"], 2, "{backlog}");
    assert_eq!(backlog["keda"]["ready_50_at"], 90, "{backlog}");
    assert_eq!(backlog["keda"]["final_replicas"], 0, "{backlog}");
    assert_eq!(backlog["keda"]["zero_at"], 1185, "{backlog}");

    // The manifests are on disk, where the outputs say.
    let paths = value("manifest_paths");
    for (name, expect) in [
        ("api_hpa", "kind: HorizontalPodAutoscaler"),
        ("worker_hpa", "celery_queue_depth"),
        ("prometheus_adapter", "celery_queue_depth"),
        ("queue_exporter", "--queues=celery,video-processing,default"),
        ("keda_worker", "listName: celery"),
        ("cluster_autoscaler", "--expander=least-waste"),
    ] {
        let path = ws.path().join(paths[name].as_str().unwrap());
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(text.contains(expect), "{name} lacks {expect:?}:\n{text}");
    }

    // The tags really are on the Spot group's ASG in the emulator.
    let clients = aws();
    let batch_asgs = run(asg_names_of_node_group(&clients.eks, &cluster, "batch-spot")).unwrap();
    let live: Vec<(String, String)> = run(async {
        let filter = aws_sdk_autoscaling::types::Filter::builder().name("auto-scaling-group").set_values(Some(batch_asgs.clone())).build();
        let tags = clients.autoscaling.describe_tags().filters(filter).max_records(100).send().await.unwrap();
        tags.tags()
            .iter()
            .map(|t| (t.key().unwrap_or_default().to_string(), t.value().unwrap_or_default().to_string()))
            .collect()
    });
    assert!(live.contains(&("k8s.io/cluster-autoscaler/node-template/taint/workload".into(), "batch:NoSchedule".into())), "{live:?}");

    ws.destroy();
    for group in ["batch-spot", "staging", "dev"] {
        assert!(run(find_node_group(&clients.eks, &cluster, group)).unwrap().is_none(), "{group} survived destroy");
    }
    assert!(!ws.path().join("out/api-hpa.yaml").exists(), "destroy leaves the manifest files");
}

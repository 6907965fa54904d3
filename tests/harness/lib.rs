//! Acceptance-test harness: each test gets a temp workspace whose terraform (the pinned v1.0.3)
//! uses the freshly built provider through dev_overrides and talks to the local AWS emulator.
//! It implements the checks terraform-plugin-testing makes for every step: apply, empty plan
//! with and without refresh, import verify, drift after an out-of-band change, and destroy.
//!
//! The emulator: `make test` starts one and exports `AUTOSCALE_EMULATOR_ENDPOINT`; without it,
//! the first test of a process starts its own, which exits with that process.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

use std::collections::BTreeMap;
use std::future::Future;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

pub mod crd_schema;

pub use autoscale::aws::Clients;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// Compares `actual` with tests/golden/`name`; `UPDATE_GOLDEN=1` rewrites the file instead.
pub fn assert_golden(name: &str, actual: &str) {
    let path = repo_root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1 to create it)", path.display()));
    assert_eq!(actual, expected, "{name} differs from its golden file");
}

/// The pinned terraform: `$TERRAFORM`, else `.tools/bin/terraform` (installed by `make tools`).
pub fn terraform_bin() -> PathBuf {
    let path = std::env::var_os("TERRAFORM").map_or_else(|| repo_root().join(".tools/bin/terraform"), PathBuf::from);
    assert!(path.exists(), "terraform not found at {}: run `make tools` (make test does it for you)", path.display());
    path
}

/// The directory holding the freshly built provider binary (target/debug).
pub fn provider_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/debug/deps/<test> → target/debug
    let dir = exe.parent().and_then(Path::parent).expect("target dir").to_path_buf();
    let bin = dir.join("terraform-provider-autoscale");
    assert!(bin.exists(), "{} is missing: run `make provider` (make test does it)", bin.display());
    dir
}

/// A name unique to this test run, for clusters, node groups and ASGs.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() % 1_000_000).unwrap_or(0);
    format!("{prefix}-{}-{t}-{n}", std::process::id() % 100_000)
}

// ---------------------------------------------------------------------------------------------
// The emulator
// ---------------------------------------------------------------------------------------------

/// The local AWS endpoint the tests use.
pub struct Emulator {
    pub endpoint: String,
    /// The emulator exits when this pipe closes, i.e. when the test process ends, however it ends.
    _lifeline: Option<(Child, std::process::ChildStdin)>,
}

/// The shared emulator: the one `make test` started, or one started for this process.
pub fn emulator() -> &'static Emulator {
    static EMULATOR: OnceLock<Emulator> = OnceLock::new();
    EMULATOR.get_or_init(|| {
        if let Ok(endpoint) = std::env::var("AUTOSCALE_EMULATOR_ENDPOINT") {
            return Emulator { endpoint, _lifeline: None };
        }
        start_emulator()
    })
}

fn start_emulator() -> Emulator {
    let python = repo_root().join(".tools/venv/bin/python");
    assert!(python.exists(), "{} not found: run `make tools`", python.display());
    let mut child = Command::new(python)
        .args(["-m", "autoscale_emulator", "--quiet", "--exit-on-stdin-eof"])
        .stdin(Stdio::piped())
        .env("PYTHONPATH", repo_root().join("emulator"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the emulator");
    let stdin = child.stdin.take().expect("emulator stdin");
    let mut stdout = child.stdout.take().expect("emulator stdout");
    let mut seen = String::new();
    let started = Instant::now();
    let mut buf = [0u8; 256];
    while !seen.contains('\n') {
        assert!(started.elapsed() < Duration::from_secs(60), "emulator did not start: {seen}");
        let n = stdout.read(&mut buf).expect("reading emulator stdout");
        assert!(n > 0, "emulator exited before it was ready: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let line = seen.lines().find(|l| l.starts_with("AWS_ENDPOINT_URL=")).expect("endpoint line");
    Emulator { endpoint: line.trim_start_matches("AWS_ENDPOINT_URL=").trim().to_string(), _lifeline: Some((child, stdin)) }
}

impl Emulator {
    /// A control request to the emulator (`/_emulator/...`): status and body.
    pub fn control(&self, method: &str, path: &str, body: Option<&Json>) -> (u16, String) {
        http(method, &format!("{}{path}", self.endpoint), body.map(ToString::to_string).as_deref())
    }

    /// Calls made so far naming `resource` (a node group, ASG or cluster name), by
    /// `service:Action`.
    pub fn calls_for(&self, resource: &str) -> BTreeMap<String, u64> {
        let (status, body) = self.control("GET", &format!("/_emulator/calls?resource={resource}"), None);
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("calls JSON")
    }

    /// The ordered call log naming `resource`.
    pub fn call_log_for(&self, resource: &str) -> Vec<Json> {
        let (status, body) = self.control("GET", &format!("/_emulator/calls/log?resource={resource}"), None);
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("call log JSON")
    }

    /// Mutating calls naming `resource` — for checking that bad input wrote nothing.
    pub fn mutating_calls_for(&self, resource: &str) -> Vec<Json> {
        self.call_log_for(resource).into_iter().filter(|e| e["mutating"] == Json::Bool(true)).collect()
    }
}

/// A tiny HTTP/1.0 client for the emulator's control endpoints (loopback only).
pub fn http(method: &str, url: &str, body: Option<&str>) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut stream = TcpStream::connect(host).expect("connecting to the emulator");
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("sending");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("reading");
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

// ---------------------------------------------------------------------------------------------
// The fault proxy (emulator/autoscale_emulator/faults.py) in front of the emulator
// ---------------------------------------------------------------------------------------------

/// The fault proxy, killed when dropped (also when a test panics).
pub struct FaultProxy {
    child: Child,
    pub endpoint: String,
}

impl FaultProxy {
    /// A proxy failing `rate` of the calls, with a fixed seed.
    pub fn start(rate: f64, seed: u64) -> Self {
        Self::start_with(&["--rate", &rate.to_string(), "--seed", &seed.to_string()])
    }

    /// A proxy in front of the shared emulator, with these arguments (`--rate` defaults to 0.2
    /// in the proxy; pass `--rate 0` for none).
    pub fn start_with(args: &[&str]) -> Self {
        let python = repo_root().join(".tools/venv/bin/python");
        let mut child = Command::new(python)
            .args(["-m", "autoscale_emulator.faults", "--upstream", &emulator().endpoint])
            .args(args)
            .env("PYTHONPATH", repo_root().join("emulator"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the fault proxy");
        let mut stdout = child.stdout.take().expect("proxy stdout");
        let mut seen = String::new();
        let started = Instant::now();
        let mut buf = [0u8; 128];
        while !seen.contains('\n') {
            assert!(started.elapsed() < Duration::from_secs(30), "fault proxy did not start: {seen}");
            let n = stdout.read(&mut buf).expect("reading proxy stdout");
            assert!(n > 0, "fault proxy exited before it was ready: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        let endpoint = seen.lines().find_map(|l| l.strip_prefix("AWS_ENDPOINT_URL=")).expect("endpoint line").trim().to_string();
        Self { child, endpoint }
    }

    /// The port it listens on, for starting a successor on the same one.
    pub fn port(&self) -> String {
        self.endpoint.rsplit(':').next().expect("endpoint has a port").to_string()
    }

    /// `POST /_faults/config`.
    pub fn configure(&self, settings: &Json) {
        let (status, body) = http("POST", &format!("{}/_faults/config", self.endpoint), Some(&settings.to_string()));
        assert_eq!(status, 200, "configuring the fault proxy: {body}");
    }

    /// `GET /_faults/stats`.
    pub fn stats(&self) -> Json {
        let (status, body) = http("GET", &format!("{}/_faults/stats", self.endpoint), None);
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("stats JSON")
    }

    /// The exit status once the proxy has ended, waiting up to `limit`; `None` if still running.
    pub fn exit_code(&mut self, limit: Duration) -> Option<i32> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("waiting for the proxy") {
                return Some(status.code().unwrap_or(-1));
            }
            if started.elapsed() >= limit {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// AWS access for out-of-band changes and CheckDestroy
// ---------------------------------------------------------------------------------------------

/// Runs a future on the harness's runtime (tests themselves are plain `#[test]`s).
pub fn run<F: Future>(future: F) -> F::Output {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime"))
        .block_on(future)
}

/// Clients talking straight to the emulator, as an operator would outside Terraform.
pub fn aws() -> &'static Clients {
    static CLIENTS: OnceLock<Clients> = OnceLock::new();
    CLIENTS.get_or_init(|| clients_in("us-east-1"))
}

/// Like `aws()`, in another region. The emulator keeps each region's clusters and groups apart,
/// so a test whose names are fixed (the examples) can own a region and leave us-east-1 alone.
/// Call it outside `run`, like `aws()`: it builds the clients with `run`.
pub fn aws_in(region: &str) -> &'static Clients {
    static CLIENTS: OnceLock<std::sync::Mutex<BTreeMap<String, &'static Clients>>> = OnceLock::new();
    let mut by_region = CLIENTS.get_or_init(Default::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    // Built at most once per region per test process; leaked like the `aws()` static.
    by_region.entry(region.to_string()).or_insert_with(|| Box::leak(Box::new(clients_in(region))))
}

fn clients_in(region: &str) -> Clients {
    let endpoint = emulator().endpoint.clone();
    let settings = autoscale::aws::AwsSettings {
        region: Some(region.into()),
        access_key: Some("testing".into()),
        secret_key: Some("testing".into()),
        max_retries: Some(3),
        eks_endpoint: Some(endpoint.clone()),
        autoscaling_endpoint: Some(endpoint),
        ..Default::default()
    };
    run(Clients::new(settings, None)).expect("clients")
}

/// Creates an EKS cluster directly through the API (clusters are not this provider's business).
pub fn create_cluster(name: &str) {
    create_cluster_in(aws(), name); // aws() first, outside `run`: it runs a future of its own
}

/// [`create_cluster`] in the region of `clients` (see [`aws_in`]).
pub fn create_cluster_in(clients: &Clients, name: &str) {
    run(async {
        clients
            .eks
            .create_cluster()
            .name(name)
            .role_arn("arn:aws:iam::123456789012:role/eks-cluster")
            .resources_vpc_config(aws_sdk_eks::types::VpcConfigRequest::builder().subnet_ids("subnet-aaaa1111").subnet_ids("subnet-bbbb2222").build())
            .send()
            .await
            .expect("creating the test cluster");
    });
}

/// A plain Auto Scaling group `name` (0–10 instances, one AZ) with a launch configuration of the
/// same name: the least moto needs to create one.
pub fn create_asg(name: &str) {
    create_asg_in(aws(), name);
}

/// [`create_asg`] in the region of `clients`, in that region's first availability zone.
pub fn create_asg_in(clients: &Clients, name: &str) {
    run(async {
        clients
            .autoscaling
            .create_launch_configuration()
            .launch_configuration_name(name)
            .image_id("ami-12345678")
            .instance_type("t3.micro")
            .send()
            .await
            .expect("creating the launch configuration");
        clients
            .autoscaling
            .create_auto_scaling_group()
            .auto_scaling_group_name(name)
            .launch_configuration_name(name)
            .availability_zones(format!("{}a", clients.region))
            .min_size(0)
            .max_size(10)
            .desired_capacity(0)
            .send()
            .await
            .expect("creating the Auto Scaling group");
    });
}

/// A managed node group of the existing `cluster`, sized 0–3, with `labels` and `taints` as EKS
/// spells them; the emulator gives it one Auto Scaling group (`eks-<node group>-<uuid>`) tagged
/// the way EKS tags one (`eks:*` and the discovery pair). Returns that group's name.
pub fn create_node_group(cluster: &str, name: &str, labels: &[(&str, &str)], taints: &[(&str, &str, aws_sdk_eks::types::TaintEffect)]) -> String {
    create_node_group_in(aws(), cluster, name, labels, taints)
}

/// [`create_node_group`] in the region of `clients`.
pub fn create_node_group_in(clients: &Clients, cluster: &str, name: &str, labels: &[(&str, &str)], taints: &[(&str, &str, aws_sdk_eks::types::TaintEffect)]) -> String {
    run(async {
        let mut request = clients
            .eks
            .create_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name(name)
            .node_role("arn:aws:iam::123456789012:role/eks-node")
            .subnets("subnet-aaaa1111")
            .subnets("subnet-bbbb2222")
            .scaling_config(aws_sdk_eks::types::NodegroupScalingConfig::builder().min_size(0).max_size(3).desired_size(0).build());
        for (key, value) in labels {
            request = request.labels(*key, *value);
        }
        for (key, value, effect) in taints {
            request = request.taints(aws_sdk_eks::types::Taint::builder().key(*key).value(*value).effect(effect.clone()).build());
        }
        request.send().await.expect("creating the node group");
        let mut groups = autoscale::aws::node_groups::asg_names_of_node_group(&clients.eks, cluster, name).await.expect("the node group's Auto Scaling group");
        assert_eq!(groups.len(), 1, "a managed node group has one Auto Scaling group: {groups:?}");
        groups.remove(0)
    })
}

// ---------------------------------------------------------------------------------------------
// Terraform workspaces
// ---------------------------------------------------------------------------------------------

/// What one terraform command did.
#[derive(Debug)]
pub struct TfOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TfOutput {
    /// stdout and stderr together, for assertions on messages.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Plans `config` in a fresh working directory, expects the plan to fail, and checks that every
/// needle is in its output. Terraform wraps messages, so runs of white space are compared as one
/// space; returns the output in that form for further checks.
pub fn assert_plan_error(config: &str, needles: &[&str]) -> String {
    let ws = Workspace::new(config);
    let out = ws.plan(&[]);
    assert_eq!(out.code, 1, "the plan fails:\n{}", out.text());
    let text = out.text().split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in needles {
        assert!(text.contains(needle), "{needle:?} not in:\n{}", out.text());
    }
    text
}

/// Asserts that no scheduled action was put on the group `asg` (plan-time errors write nothing).
pub fn assert_no_scheduled_action_put(asg: &str) {
    assert!(emulator().mutating_calls_for(asg).iter().all(|c| c["action"] != "PutScheduledUpdateGroupAction"), "nothing was written");
}

/// The queue worker's scaling `behavior` block, shared by the HPA and KEDA acceptance tests (the
/// rollout report's worker: up at once by 200 % or 10 pods per 30 s, whichever is more; down after
/// ten quiet minutes by 25 % a minute). Indented for a resource body.
pub const WORKER_BEHAVIOR: &str = r#"  behavior {
    scale_up {
      stabilization_window_seconds = 0
      select_policy                = "Max"
      policy {
        type           = "Percent"
        value          = 200
        period_seconds = 30
      }
      policy {
        type           = "Pods"
        value          = 10
        period_seconds = 30
      }
    }
    scale_down {
      stabilization_window_seconds = 600
      policy {
        type           = "Percent"
        value          = 25
        period_seconds = 60
      }
    }
  }
"#;

/// The `terraform` and `provider` blocks every configuration starts with.
pub const PROVIDER_HEADER: &str = r#"terraform {
  required_providers {
    autoscale = { source = "autoscale/autoscale" }
  }
}

provider "autoscale" {}
"#;

/// A temp directory with a configuration, and terraform set up to use the built provider.
pub struct Workspace {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Workspace {
    /// A workspace with `PROVIDER_HEADER` plus `config` as main.tf.
    pub fn new(config: &str) -> Self {
        let ws = Self::empty();
        ws.write_config(config);
        ws
    }

    /// A workspace with no configuration yet.
    pub fn empty() -> Self {
        let dir = tempfile::Builder::new().prefix("autoscale-acc-").tempdir().expect("temp dir");
        let cli_config = dir.path().join("terraform.rc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"autoscale/autoscale\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                provider_dir().display()
            ),
        )
        .expect("writing CLI config");
        let endpoint = emulator().endpoint.clone();
        let env = vec![
            ("TF_CLI_CONFIG_FILE".into(), cli_config.display().to_string()),
            ("CHECKPOINT_DISABLE".into(), "1".into()),
            ("TF_IN_AUTOMATION".into(), "1".into()),
            ("AWS_ENDPOINT_URL".into(), endpoint),
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ];
        let ws = Self { dir, env };
        std::fs::create_dir_all(ws.path().join("config")).expect("config dir");
        ws
    }

    /// The directory terraform runs in.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    /// Replaces main.tf with `PROVIDER_HEADER` plus `config`.
    pub fn write_config(&self, config: &str) {
        self.write_raw_config(&format!("{PROVIDER_HEADER}\n{config}"));
    }

    /// Replaces main.tf with exactly `config`.
    pub fn write_raw_config(&self, config: &str) {
        std::fs::write(self.path().join("main.tf"), config).expect("writing main.tf");
    }

    /// An extra environment variable for terraform and the provider.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
    }

    /// The environment terraform runs with here (CLI config with dev_overrides, emulator
    /// endpoint, credentials): for running other tools, such as scripts wrapping terraform,
    /// the way the harness runs terraform.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// Runs terraform with `args` (and -no-color).
    pub fn tf(&self, args: &[&str]) -> TfOutput {
        let mut command = Command::new(terraform_bin());
        command.args(args).arg("-no-color").current_dir(self.path()).env_remove("AWS_PROFILE").env_remove("TF_LOG");
        for (k, v) in &self.env {
            command.env(k, v);
        }
        let output = command.output().expect("running terraform");
        TfOutput {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Applies and asserts success.
    pub fn apply(&self) -> TfOutput {
        let out = self.tf(&["apply", "-auto-approve", "-input=false"]);
        assert_eq!(out.code, 0, "apply failed:\n{}", out.text());
        out
    }

    /// Applies and asserts failure; returns the output for checking the diagnostic.
    pub fn apply_fails(&self) -> TfOutput {
        let out = self.tf(&["apply", "-auto-approve", "-input=false"]);
        assert_ne!(out.code, 0, "apply should have failed:\n{}", out.text());
        out
    }

    /// `plan -detailed-exitcode` with extra args.
    pub fn plan(&self, extra: &[&str]) -> TfOutput {
        let mut args = vec!["plan", "-detailed-exitcode", "-input=false"];
        args.extend_from_slice(extra);
        self.tf(&args)
    }

    /// Check 2: the plan is empty, with and without refresh.
    pub fn assert_no_changes(&self) {
        for extra in [&[][..], &["-refresh=false"][..]] {
            let out = self.plan(extra);
            assert_eq!(out.code, 0, "expected an empty plan {extra:?}:\n{}", out.text());
        }
    }

    /// Check 4: the plan shows changes and mentions every string in `expect`.
    pub fn assert_changes(&self, expect: &[&str]) -> TfOutput {
        let out = self.plan(&[]);
        assert_eq!(out.code, 2, "expected changes:\n{}", out.text());
        for needle in expect {
            assert!(out.stdout.contains(needle), "plan does not mention {needle:?}:\n{}", out.stdout);
        }
        out
    }

    /// `terraform show -json` of the state.
    pub fn state(&self) -> Json {
        let out = self.tf(&["show", "-json"]);
        assert_eq!(out.code, 0, "show failed:\n{}", out.text());
        serde_json::from_str(&out.stdout).expect("state JSON")
    }

    /// The attributes of the resource at `address` (e.g. `autoscale_spot_node_group.this`).
    pub fn attrs(&self, address: &str) -> serde_json::Map<String, Json> {
        let state = self.state();
        find_resource(&state, address).unwrap_or_else(|| panic!("{address} not in state:\n{state:#}"))
    }

    /// Whether `address` is in state.
    pub fn has_resource(&self, address: &str) -> bool {
        find_resource(&self.state(), address).is_some()
    }

    /// Check 4 for a manifest resource's `output_path`: `edited` written over the file, then the
    /// file deleted, each show as a change of `output_file_sha256` in the plan, and apply restores
    /// the file to what it was; the plan is empty afterwards.
    pub fn assert_output_file_drift_repaired(&self, file: &Path, edited: &str) {
        let original = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_ne!(edited, original, "the edit must change the file");
        std::fs::write(file, edited).unwrap();
        self.assert_changes(&["output_file_sha256"]);
        self.apply();
        assert_eq!(std::fs::read_to_string(file).unwrap(), original, "apply did not restore the edited file");
        self.assert_no_changes();
        std::fs::remove_file(file).unwrap();
        self.assert_changes(&["output_file_sha256"]);
        self.apply();
        assert_eq!(std::fs::read_to_string(file).unwrap(), original, "apply did not restore the deleted file");
        self.assert_no_changes();
    }

    /// Check 3: importing `id` into a fresh state gives the applied attributes, except `ignore`.
    pub fn assert_import_verifies(&self, address: &str, id: &str, ignore: &[&str]) {
        let applied = self.attrs(address);
        let fresh = Self { dir: tempfile::Builder::new().prefix("autoscale-import-").tempdir().expect("temp dir"), env: self.env.clone() };
        std::fs::create_dir_all(fresh.path()).expect("dir");
        std::fs::copy(self.path().join("main.tf"), fresh.path().join("main.tf")).expect("copy config");
        let out = fresh.tf(&["import", "-input=false", address, id]);
        assert_eq!(out.code, 0, "import failed:\n{}", out.text());
        let imported = fresh.attrs(address);
        for (key, value) in &applied {
            if ignore.contains(&key.as_str()) {
                continue;
            }
            assert_eq!(imported.get(key), Some(value), "imported {address} differs in {key}");
        }
        let out = fresh.plan(&[]);
        assert_eq!(out.code, 0, "plan after import is not empty:\n{}", out.text());
    }

    /// Check 5 (first half): destroy succeeds. The caller then checks the API.
    pub fn destroy(&self) {
        let out = self.tf(&["destroy", "-auto-approve", "-input=false"]);
        assert_eq!(out.code, 0, "destroy failed:\n{}", out.text());
    }
}

fn find_resource(state: &Json, address: &str) -> Option<serde_json::Map<String, Json>> {
    fn walk(module: &Json, address: &str) -> Option<serde_json::Map<String, Json>> {
        for resource in module.get("resources").and_then(Json::as_array).into_iter().flatten() {
            if resource.get("address").and_then(Json::as_str) == Some(address) {
                return resource.get("values").and_then(Json::as_object).cloned();
            }
        }
        for child in module.get("child_modules").and_then(Json::as_array).into_iter().flatten() {
            if let Some(found) = walk(child, address) {
                return Some(found);
            }
        }
        None
    }
    walk(state.get("values")?.get("root_module")?, address)
}

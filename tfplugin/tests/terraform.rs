//! The example provider under the real terraform (v1.0.3 from `make tools`): apply, plan,
//! import, drift, update versus replace, validation, a panicking create, state upgrade, destroy.
//!
//! Each test gets its own directory with a copy of the provider, a CLI config whose
//! `dev_overrides` points at it (so no `terraform init`), a working directory and a store.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Output, assert_no_processes_under, example_binary, run_with_timeout, terraform_binary};
use serde_json::{Value as Json, json};

/// One terraform working directory driving the example provider.
struct Tf {
    _root: tempfile::TempDir,
    plugins: PathBuf,
    work: PathBuf,
    store: PathBuf,
    cli_config: PathBuf,
    terraform: PathBuf,
}

impl Tf {
    fn new() -> Self {
        let terraform = terraform_binary();
        let root = tempfile::Builder::new().prefix("tfplugin-tf-").tempdir().unwrap();
        let plugins = root.path().join("plugins");
        let work = root.path().join("work");
        let store = root.path().join("store");
        std::fs::create_dir_all(&plugins).unwrap();
        std::fs::create_dir_all(&work).unwrap();
        std::fs::copy(example_binary(), plugins.join("terraform-provider-example")).unwrap();
        let cli_config = root.path().join("terraformrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"tfplugin/example\" = {}\n  }}\n  direct {{}}\n}}\n",
                json!(plugins.display().to_string())
            ),
        )
        .unwrap();
        Self { _root: root, plugins, work, store, cli_config, terraform }
    }

    /// Writes main.tf: the provider block pointing at the store, then `body`.
    fn config(&self, body: &str) {
        let text = format!(
            "terraform {{\n  required_providers {{\n    example = {{ source = \"tfplugin/example\" }}\n  }}\n}}\n\n\
             provider \"example\" {{\n  directory = {}\n}}\n\n{body}\n",
            json!(self.store.display().to_string())
        );
        std::fs::write(self.work.join("main.tf"), text).unwrap();
    }

    /// Runs `terraform <args> -no-color`; afterwards no provider process may be left running.
    fn run(&self, args: &[&str]) -> Output {
        let mut command = Command::new(&self.terraform);
        command.current_dir(&self.work).args(args).arg("-no-color");
        for var in ["TF_LOG", "TF_LOG_PATH", "TF_LOG_PROVIDER", "TF_LOG_CORE", "TF_CLI_ARGS", "TF_DATA_DIR", "TF_WORKSPACE", "TF_PLUGIN_CACHE_DIR", "TF_REATTACH_PROVIDERS", "TF_INPUT"] {
            command.env_remove(var);
        }
        for (var, _) in std::env::vars() {
            if var.starts_with("TF_CLI_ARGS_") || var.starts_with("TF_VAR_") {
                command.env_remove(var);
            }
        }
        command.env("TF_CLI_CONFIG_FILE", &self.cli_config).env("CHECKPOINT_DISABLE", "1").env("TF_IN_AUTOMATION", "1");
        let started = Instant::now();
        let output = run_with_timeout(&mut command, Duration::from_secs(60));
        eprintln!("terraform {} -> {:?} in {:?}", args.join(" "), output.code, started.elapsed());
        if std::env::var_os("TFPLUGIN_TEST_VERBOSE").is_some() {
            eprintln!("--- stdout\n{}--- stderr\n{}---", output.stdout, output.stderr);
        }
        assert_no_processes_under(&self.plugins, Duration::from_secs(5));
        output
    }

    /// Runs terraform and requires exit code `code`.
    fn expect(&self, args: &[&str], code: i32) -> Output {
        let output = self.run(args);
        assert_eq!(
            output.code,
            Some(code),
            "terraform {} exited {:?}, expected {code}\nstdout:\n{}\nstderr:\n{}",
            args.join(" "),
            output.code,
            output.stdout,
            output.stderr
        );
        output
    }

    fn apply(&self) -> Output {
        self.expect(&["apply", "-auto-approve", "-input=false"], 0)
    }

    /// `plan -detailed-exitcode`: 0 when nothing changes, 2 when something does.
    fn plan(&self, extra: &[&str], code: i32) -> Output {
        let mut args = vec!["plan", "-detailed-exitcode", "-input=false"];
        args.extend_from_slice(extra);
        self.expect(&args, code)
    }

    /// `terraform show -json`.
    fn show(&self) -> Json {
        let output = self.expect(&["show", "-json"], 0);
        serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("show -json is not JSON ({e}):\n{}", output.stdout))
    }

    /// The attribute values of `address` in the state, or None when it is not there.
    fn attributes(&self, address: &str) -> Option<Json> {
        let shown = self.show();
        shown["values"]["root_module"]["resources"]
            .as_array()?
            .iter()
            .find(|r| r["address"] == address)
            .map(|r| r["values"].clone())
    }

    fn note_path(&self, name: &str) -> PathBuf {
        self.store.join(format!("{name}.json"))
    }

    /// The note file as JSON.
    fn note_file(&self, name: &str) -> Json {
        let text = std::fs::read_to_string(self.note_path(name)).unwrap_or_else(|e| panic!("reading note {name}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    /// Names of the files in the store (empty when the store does not exist).
    fn store_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.store)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

fn assert_contains(haystack: &str, needle: &str, what: &str) {
    assert!(haystack.contains(needle), "{what} should mention {needle:?}:\n{haystack}");
}

fn assert_lacks(haystack: &str, needle: &str, what: &str) {
    assert!(!haystack.contains(needle), "{what} should not mention {needle:?}:\n{haystack}");
}

fn note_config(name: &str, content: &str) -> String {
    format!(
        "resource \"example_note\" \"a\" {{\n  name    = {}\n  content = {}\n  tags    = {{ env = \"test\" }}\n}}\n\n\
         data \"example_upper\" \"u\" {{\n  input = example_note.a.content\n}}\n\n\
         output \"upper\" {{\n  value = data.example_upper.u.result\n}}\n",
        json!(name),
        json!(content)
    )
}

/// Apply, empty plans, show, import, drift, update in place, replacement, out-of-band delete,
/// destroy: one resource through its whole life.
#[test]
fn note_lifecycle() {
    let tf = Tf::new();
    tf.config(&note_config("alpha", "hello"));

    // Create.
    let applied = tf.apply();
    assert_contains(&applied.stdout, "1 added, 0 changed, 0 destroyed", "apply");
    assert_eq!(tf.note_file("alpha"), json!({ "content": "hello", "tags": { "env": "test" } }));

    // Nothing to do afterwards, with and without a refresh.
    tf.plan(&[], 0);
    tf.plan(&["-refresh=false"], 0);

    // The state holds what the provider reported, and the data source read the content.
    let shown = tf.show();
    assert_eq!(shown["values"]["outputs"]["upper"]["value"], "HELLO", "data source output in {shown:#}");
    let attributes = tf.attributes("example_note.a").expect("example_note.a in state");
    assert_eq!(attributes["id"], "alpha");
    assert_eq!(attributes["name"], "alpha");
    assert_eq!(attributes["content"], "hello");
    assert_eq!(attributes["length"], 5);
    assert_eq!(attributes["tags"], json!({ "env": "test" }));
    assert_eq!(attributes["apply_delay_seconds"], Json::Null);
    assert_eq!(attributes["panic_on_create"], Json::Null);

    // Import into a fresh state: the same object, and nothing to plan.
    tf.expect(&["state", "rm", "example_note.a"], 0);
    assert_eq!(tf.attributes("example_note.a"), None);
    let imported = tf.expect(&["import", "-input=false", "example_note.a", "alpha"], 0);
    assert_contains(&imported.stdout, "Import successful", "import");
    tf.plan(&[], 0);
    assert_eq!(tf.attributes("example_note.a").expect("imported example_note.a"), attributes);

    // Drift: the file changed behind Terraform's back.
    std::fs::write(tf.note_path("alpha"), r#"{"content":"tampered","tags":{"env":"test"}}"#).unwrap();
    let drift = tf.plan(&[], 2);
    assert_contains(&drift.stdout, "content", "drift plan");
    assert_contains(&drift.stdout, "\"tampered\" -> \"hello\"", "drift plan");
    assert_contains(&drift.stdout, "updated in-place", "drift plan");
    tf.apply();
    tf.plan(&[], 0);
    assert_eq!(tf.note_file("alpha")["content"], "hello");

    // Changing `content` updates in place.
    tf.config(&note_config("alpha", "hello again"));
    let update = tf.plan(&[], 2);
    assert_contains(&update.stdout, "example_note.a will be updated in-place", "update plan");
    assert_lacks(&update.stdout, "must be replaced", "update plan");
    assert_contains(&update.stdout, "0 to add, 1 to change, 0 to destroy", "update plan");
    let applied = tf.apply();
    assert_contains(&applied.stdout, "0 added, 1 changed, 0 destroyed", "update apply");
    assert_eq!(tf.note_file("alpha")["content"], "hello again");
    let attributes = tf.attributes("example_note.a").unwrap();
    assert_eq!(attributes["length"], 11);
    assert_eq!(tf.show()["values"]["outputs"]["upper"]["value"], "HELLO AGAIN");
    tf.plan(&[], 0);

    // Changing `name` replaces.
    tf.config(&note_config("beta", "hello again"));
    let replace = tf.plan(&[], 2);
    assert_contains(&replace.stdout, "example_note.a must be replaced", "replace plan");
    assert_contains(&replace.stdout, "forces replacement", "replace plan");
    assert_contains(&replace.stdout, "1 to add, 0 to change, 1 to destroy", "replace plan");
    tf.apply();
    assert_eq!(tf.store_files(), ["beta.json"]);
    assert_eq!(tf.attributes("example_note.a").unwrap()["id"], "beta");
    tf.plan(&[], 0);

    // Deleted out of band: planned for creation again.
    std::fs::remove_file(tf.note_path("beta")).unwrap();
    let recreate = tf.plan(&[], 2);
    assert_contains(&recreate.stdout, "example_note.a will be created", "plan after delete");
    tf.apply();
    assert_eq!(tf.store_files(), ["beta.json"]);

    // Destroy empties the store.
    let destroyed = tf.expect(&["destroy", "-auto-approve", "-input=false"], 0);
    assert_contains(&destroyed.stdout, "1 destroyed", "destroy");
    assert_eq!(tf.store_files(), Vec::<String>::new());
    assert_eq!(tf.attributes("example_note.a"), None);
}

/// A value the attribute's validator refuses fails the plan, pointing at the attribute, and
/// nothing is written.
#[test]
fn validation_error_names_the_attribute() {
    let tf = Tf::new();
    tf.config("resource \"example_note\" \"bad\" {\n  name = \"Bad Name\"\n  content = \"x\"\n}\n");
    let output = tf.plan(&[], 1);
    assert_contains(&output.stderr, "lowercase letters, digits and dashes", "stderr");
    // Terraform quotes the source line of the attribute the diagnostic's path names: the path
    // reached it (without a path it would quote the resource block's first line).
    assert_contains(&output.stderr, "name = \"Bad Name\"", "stderr");
    assert_lacks(&output.stderr, "Provider bug", "stderr");
    assert_eq!(tf.store_files(), Vec::<String>::new(), "nothing may be written");
    assert!(!tf.work.join("terraform.tfstate").exists(), "a failed plan writes no state");
}

/// A panic in create becomes a "Provider bug" diagnostic; the provider keeps serving, so the
/// other resource in the same apply is created and a following plan works.
#[test]
fn panic_in_create_is_a_diagnostic() {
    let tf = Tf::new();
    tf.config(
        "resource \"example_note\" \"good\" {\n  name = \"good\"\n  content = \"fine\"\n}\n\n\
         resource \"example_note\" \"boom\" {\n  name = \"boom\"\n  content = \"x\"\n  panic_on_create = true\n}\n",
    );
    let output = tf.expect(&["apply", "-auto-approve", "-input=false"], 1);
    assert_contains(&output.stderr, "Provider bug", "apply stderr");
    assert_contains(&output.stderr, "panicked", "apply stderr");
    assert_contains(&output.stderr, "asked to panic", "apply stderr");
    // Signs of a crashed plugin.
    for crash in ["Plugin did not respond", "plugin exited", "connection is shut down", "Stack trace from the"] {
        assert_lacks(&output.stderr, crash, "apply stderr");
    }
    assert_contains(&output.stdout, "example_note.good: Creation complete", "apply stdout");
    assert_eq!(tf.store_files(), ["good.json"]);

    let listed = tf.expect(&["state", "list"], 0);
    assert_eq!(listed.stdout.lines().collect::<Vec<_>>(), ["example_note.good"]);

    // Terraform and the provider carry on: a plan wants only the panicking note.
    let plan = tf.plan(&[], 2);
    assert_contains(&plan.stdout, "example_note.boom will be created", "plan");
    assert_contains(&plan.stdout, "1 to add, 0 to change, 0 to destroy", "plan");
}

/// State written by schema version 0 (`text`, not `content`) is upgraded: the plan is empty and
/// a refresh stores it at version 1.
#[test]
fn state_upgrade_from_version_0() {
    let tf = Tf::new();
    std::fs::create_dir_all(&tf.store).unwrap();
    std::fs::write(tf.note_path("legacy"), r#"{"content":"from v0","tags":{}}"#).unwrap();
    let state = json!({
        "version": 4,
        "terraform_version": "1.0.3",
        "serial": 1,
        "lineage": "0b6f3a55-8f3e-4d8e-9a57-2f1f0c6f2a10",
        "outputs": {},
        "resources": [{
            "mode": "managed",
            "type": "example_note",
            "name": "old",
            "provider": "provider[\"registry.terraform.io/tfplugin/example\"]",
            "instances": [{
                "schema_version": 0,
                "attributes": { "id": "legacy", "name": "legacy", "text": "from v0", "tags": null, "length": 7 },
                "sensitive_attributes": []
            }]
        }]
    });
    std::fs::write(tf.work.join("terraform.tfstate"), serde_json::to_string_pretty(&state).unwrap()).unwrap();
    tf.config("resource \"example_note\" \"old\" {\n  name    = \"legacy\"\n  content = \"from v0\"\n}\n");

    let plan = tf.plan(&[], 0);
    assert_lacks(&plan.stdout, "must be replaced", "plan");
    assert_lacks(&plan.stdout, "content", "plan");

    tf.expect(&["apply", "-refresh-only", "-auto-approve", "-input=false"], 0);
    let shown = tf.show();
    let resource = &shown["values"]["root_module"]["resources"][0];
    assert_eq!(resource["address"], "example_note.old");
    assert_eq!(resource["schema_version"], 1, "{shown:#}");
    assert_eq!(resource["values"]["content"], "from v0");
    assert_eq!(resource["values"]["id"], "legacy");
    assert_eq!(resource["values"]["length"], 7);
    assert!(resource["values"].get("text").is_none(), "{shown:#}");
    tf.plan(&[], 0);
}

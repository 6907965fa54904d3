//! README.md's "Install" recipes, run the way a person following the README runs them: each
//! fenced block after a `<!-- readme-recipe: NAME -->` marker is read from README.md itself, so
//! the README cannot drift from what works, and run as written — CLI configuration saved under
//! the name its commands export, commands run by bash with the pinned terraform 1.0.3 on PATH —
//! in a home and a configuration directory outside the repository, against the emulator on
//! 127.0.0.1.
//!
//! Two things are the test's own, both as the README tells the reader to do them: the clone's
//! path replaces `/home/you/terraform-provider-autoscale`, and the build steps (`make provider`,
//! `make release`) are replaced by what they produce: the provider binary this run was built
//! with, and scripts/release.sh (the body of `make release`) packaging that binary. A cargo build
//! inside `cargo test` would wait for the build lock the running `cargo test` holds, and
//! `make release` is a release build of several minutes.

use std::path::{Path, PathBuf};
use std::process::Command;

use acceptance::{emulator, provider_dir, repo_root, terraform_bin};

/// The clone's path in the README's recipes, which the reader replaces with theirs.
const CLONE: &str = "/home/you/terraform-provider-autoscale";

/// The provider's version: the workspace's, which `make release` packages.
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn readme() -> String {
    std::fs::read_to_string(repo_root().join("README.md")).expect("reading README.md")
}

/// The body of the fenced block right after the `<!-- readme-recipe: NAME -->` marker.
fn recipe(name: &str) -> String {
    let readme = readme();
    let marker = format!("<!-- readme-recipe: {name} -->\n");
    let start = readme.find(&marker).unwrap_or_else(|| panic!("README.md has no block marked `{}`", marker.trim()));
    let after = &readme[start + marker.len()..];
    assert!(after.starts_with("```"), "the marker `{}` must be followed directly by a fenced block", marker.trim());
    let body = &after[after.find('\n').expect("a fence line") + 1..];
    let end = body.find("\n```").unwrap_or_else(|| panic!("the block marked `{}` is not closed", marker.trim()));
    body[..=end].to_string()
}

/// The CLI configuration file a commands block exports, relative to the home directory
/// (`export TF_CLI_CONFIG_FILE=~/NAME`).
fn exported_cli_config(commands: &str) -> String {
    commands
        .lines()
        .find_map(|line| line.trim().strip_prefix("export TF_CLI_CONFIG_FILE=~/"))
        .unwrap_or_else(|| panic!("the commands do not export TF_CLI_CONFIG_FILE=~/...:\n{commands}"))
        .trim()
        .to_string()
}

/// Terraform's output without its colour codes (the recipes run terraform as a person types it).
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI sequences: ESC [ parameters final-letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` as one line of words: terraform wraps diagnostics and frames them with `│`.
fn flat(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '│').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// A reader's machine: a home directory and a configuration directory, outside the repository.
struct Reader {
    home: tempfile::TempDir,
}

impl Reader {
    fn new(main_tf: &str) -> Self {
        let home = tempfile::Builder::new().prefix("autoscale-readme-").tempdir().expect("temp dir");
        assert!(!home.path().starts_with(repo_root()), "{} is inside the repository", home.path().display());
        let reader = Self { home };
        std::fs::create_dir_all(reader.config_dir()).expect("configuration dir");
        reader.write_main_tf(main_tf);
        reader
    }

    fn config_dir(&self) -> PathBuf {
        self.home.path().join("my-config")
    }

    fn write_main_tf(&self, text: &str) {
        std::fs::write(self.config_dir().join("main.tf"), text).expect("writing main.tf");
    }

    /// Saves `text` as `~/name`, as the README says to.
    fn save_in_home(&self, name: &str, text: &str) {
        std::fs::write(self.home.path().join(name), text).expect("writing the CLI configuration");
    }

    /// Runs a commands block with `bash -e` in the configuration directory: exit code and output.
    /// The environment is a clean one with terraform on PATH, the home directory, and AWS settings
    /// pointing at the emulator (what a reader's shell holds, not part of the recipe);
    /// CHECKPOINT_DISABLE keeps terraform's version check off the network.
    fn run(&self, commands: &str) -> (i32, String) {
        let terraform_dir = terraform_bin().parent().expect("terraform's directory").to_path_buf();
        let output = Command::new("bash")
            .arg("-ec")
            .arg(commands)
            .current_dir(self.config_dir())
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", terraform_dir.display()))
            .env("HOME", self.home.path())
            .env("CHECKPOINT_DISABLE", "1")
            .env("AWS_ENDPOINT_URL", &emulator().endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .expect("running bash");
        let text = plain(&format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)));
        (output.status.code().unwrap_or(-1), text)
    }

    fn lock_file(&self) -> Option<String> {
        std::fs::read_to_string(self.config_dir().join(".terraform.lock.hcl")).ok()
    }
}

/// The README's CLI configuration block `name` with the clone's `path_in_clone` replaced by `real`.
fn cli_config(name: &str, path_in_clone: &str, real: &Path) -> String {
    let block = recipe(name);
    let placeholder = format!("{CLONE}/{path_in_clone}");
    assert!(block.contains(&placeholder), "the `{name}` block no longer names {placeholder}:\n{block}");
    block.replace(&placeholder, &real.display().to_string())
}

/// `make release` into `out` with `binary` in place of the release build.
fn release(binary: &Path, out: &Path) {
    let status = Command::new("bash")
        .arg(repo_root().join("scripts/release.sh"))
        .arg("--binary")
        .arg(binary)
        .arg("--out")
        .arg(out)
        .status()
        .expect("running scripts/release.sh");
    assert!(status.success(), "scripts/release.sh failed");
}

/// A reader with `main_tf` who followed the filesystem mirror recipe up to its commands: a
/// release of the built provider in `dist` (kept alive by the caller) and the CLI configuration
/// saved. Returns the release directory, the reader and the commands to run.
fn mirror_reader(main_tf: &str) -> (tempfile::TempDir, Reader, String) {
    let dist = tempfile::tempdir().expect("temp dir");
    release(&provider_dir().join("terraform-provider-autoscale"), dist.path());
    let reader = Reader::new(main_tf);
    let commands = recipe("mirror-commands");
    reader.save_in_home(&exported_cli_config(&commands), &cli_config("mirror-cli-config", "dist/mirror", &dist.path().join("mirror")));
    (dist, reader, commands)
}

/// The plan of the README's first configuration, whatever the install recipe.
fn assert_first_plan(text: &str) {
    assert!(text.contains("Plan: 1 to add, 0 to change, 0 to destroy."), "{text}");
    assert!(text.contains("+ peak_replicas = 20"), "the spike should ask for all 20 pods:\n{text}");
    assert!(text.contains("+ time_to_max   = "), "{text}");
}

#[test]
fn dev_overrides_recipe_plans_with_no_init() {
    let reader = Reader::new(&recipe("first-plan"));
    let commands = recipe("dev-overrides-commands");
    assert!(!commands.contains("terraform init"), "the README says to skip init with dev_overrides:\n{commands}");
    reader.save_in_home(&exported_cli_config(&commands), &cli_config("dev-overrides-cli-config", "target/debug", &provider_dir()));

    let (code, text) = reader.run(&commands);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("Provider development overrides are in effect"), "{text}");
    assert_first_plan(&text);
    assert!(!reader.config_dir().join(".terraform").exists(), "nothing was installed: the override needs no init");

    // "Modules ... come with `terraform get`": the same configuration as a local module.
    let module_dir = reader.config_dir().join("modules/first-plan");
    std::fs::create_dir_all(&module_dir).expect("module dir");
    std::fs::rename(reader.config_dir().join("main.tf"), module_dir.join("main.tf")).expect("moving main.tf into the module");
    reader.write_main_tf("module \"first_plan\" {\n  source = \"./modules/first-plan\"\n}\n");
    let (code, text) = reader.run(&format!("terraform get\n{commands}"));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("Plan: 1 to add, 0 to change, 0 to destroy."), "{text}");
}

#[test]
fn filesystem_mirror_recipe_inits_records_the_hash_and_plans() {
    let (dist, reader, commands) = mirror_reader(&recipe("first-plan"));
    let (code, text) = reader.run(&commands);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(&format!("Installed autoscale/autoscale v{VERSION} (unauthenticated)")), "{text}");
    assert_first_plan(&text);
    let lock = reader.lock_file().expect("terraform init writes .terraform.lock.hcl");
    assert!(lock.contains("provider \"registry.terraform.io/autoscale/autoscale\"") && lock.contains("\"h1:"), "{lock}");

    // "After another `make release` of the same version ... terraform init fails": a rebuilt
    // binary (here the same one with a byte appended, which still runs) of the same version.
    let rebuilt_dir = tempfile::tempdir().expect("temp dir");
    let rebuilt = rebuilt_dir.path().join("terraform-provider-autoscale");
    let mut bytes = std::fs::read(provider_dir().join("terraform-provider-autoscale")).expect("reading the provider");
    bytes.push(b'\n');
    std::fs::write(&rebuilt, bytes).expect("writing the rebuilt provider");
    release(&rebuilt, dist.path());
    let (code, text) = reader.run(&commands);
    assert_ne!(code, 0, "init should refuse a binary the lock file does not know:\n{text}");
    assert!(flat(&text).contains("doesn't match any of the checksums previously recorded in the dependency lock file"), "{text}");

    // "delete the entry (or the whole file) and run terraform init again".
    std::fs::remove_file(reader.config_dir().join(".terraform.lock.hcl")).expect("removing the lock file");
    let (code, text) = reader.run(&commands);
    assert_eq!(code, 0, "{text}");
    assert_first_plan(&text);
    assert_ne!(reader.lock_file().as_deref(), Some(lock.as_str()), "the new binary's hash is recorded");
}

#[test]
fn registry_recipe_block_selects_this_release() {
    // The registry itself is not reachable from a test (traffic stays on 127.0.0.1), so the
    // block is checked against the same release served by the filesystem mirror: its source
    // address and version constraint must select this version.
    let registry_block = recipe("registry-required-providers");
    let first_plan = recipe("first-plan");
    let start = first_plan.find("terraform {").expect("the first plan has a terraform block");
    let end = start + first_plan[start..].find("\n}\n").expect("the terraform block ends") + 3;
    let main_tf = format!("{}{}{}", &first_plan[..start], registry_block, &first_plan[end..]);

    let (_dist, reader, commands) = mirror_reader(&main_tf);
    let (code, text) = reader.run(&commands);
    assert_eq!(code, 0, "{main_tf}\n{text}");
    assert!(text.contains(&format!("Installed autoscale/autoscale v{VERSION}")), "{text}");
    assert_first_plan(&text);
}

#[test]
fn every_make_target_the_readme_names_exists() {
    let makefile = std::fs::read_to_string(repo_root().join("Makefile")).expect("reading the Makefile");
    let targets: Vec<&str> = makefile
        .lines()
        .filter_map(|line| line.split_once(':').map(|(name, _)| name))
        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        .collect();
    // `make X` in inline code, and shell lines starting with `make X` in fenced blocks.
    let readme = readme();
    let mut named = Vec::new();
    for (i, _) in readme.match_indices("make ") {
        let inline = readme[..i].ends_with('`');
        let line_start = readme[..i].ends_with('\n');
        if inline || line_start {
            let name: String = readme[i + 5..].chars().take_while(|c| c.is_ascii_lowercase() || *c == '-').collect();
            named.push(name);
        }
    }
    assert!(named.iter().any(|n| n == "release") && named.iter().any(|n| n == "provider"), "{named:?}");
    for name in &named {
        assert!(targets.contains(&name.as_str()), "README.md names `make {name}`, which the Makefile does not define ({targets:?})");
    }
}

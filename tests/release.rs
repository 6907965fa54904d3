//! `make release`: the packaged provider installs from its filesystem mirror with a plain
//! `terraform init` (no dev_overrides) and serves a plan.

use std::process::Command;

use acceptance::{provider_dir, repo_root, terraform_bin};

#[test]
fn mirror_installs_with_terraform_init_and_plans() {
    let out = tempfile::tempdir().expect("temp dir");
    let binary = provider_dir().join("terraform-provider-autoscale");
    let status = Command::new("bash")
        .arg(repo_root().join("scripts/release.sh"))
        .args(["--binary", &binary.display().to_string(), "--out", &out.path().display().to_string()])
        .status()
        .expect("running scripts/release.sh");
    assert!(status.success());

    let sums = std::fs::read_to_string(out.path().join("terraform-provider-autoscale_0.1.0_SHA256SUMS")).expect("SHA256SUMS");
    assert!(sums.contains("_linux_amd64.zip") && sums.contains("_manifest.json"), "{sums}");
    let manifest = std::fs::read_to_string(out.path().join("terraform-provider-autoscale_0.1.0_manifest.json")).expect("manifest");
    let manifest: serde_json::Value = serde_json::from_str(&manifest).expect("manifest JSON");
    assert_eq!(manifest["metadata"]["protocol_versions"], serde_json::json!(["6.0"]));

    let work = tempfile::tempdir().expect("temp dir");
    let rc = work.path().join("mirror.tfrc");
    std::fs::write(&rc, format!("provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n", out.path().join("mirror").display()))
        .expect("CLI config");
    std::fs::write(
        work.path().join("main.tf"),
        r#"
terraform {
  required_providers {
    autoscale = { source = "autoscale/autoscale", version = "0.1.0" }
  }
}
provider "autoscale" {
  region = "us-east-1"
}
"#,
    )
    .expect("main.tf");
    let tf = |args: &[&str]| {
        let output = Command::new(terraform_bin())
            .args(args)
            .arg("-no-color")
            .current_dir(work.path())
            .env("TF_CLI_CONFIG_FILE", &rc)
            .env("CHECKPOINT_DISABLE", "1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .output()
            .expect("terraform");
        (output.status.code(), format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)))
    };
    let (code, text) = tf(&["init", "-input=false"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("Installed autoscale/autoscale v0.1.0"), "{text}");
    let (code, text) = tf(&["providers", "schema", "-json"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("registry.terraform.io/autoscale/autoscale"), "{text}");
    let (code, text) = tf(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(code, Some(0), "{text}");
}

//! Secrets stay secret: a full apply, refresh and destroy at `TF_LOG=trace` with credentials in
//! the provider block must not put the secret access key or the session token in the log, the
//! terraform output, the state or the plan. The access key id may appear: it is an identifier,
//! not a secret (it travels in clear in every SigV4 `Authorization` header and in CloudTrail).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance::{Workspace, create_cluster, emulator, unique};

/// Recognisable fake credentials (the emulator accepts any).
const ACCESS_KEY: &str = "AKIAFAKEKEYID0SECRETS";
const SECRET_KEY: &str = "fakeSecretKEY+ThisMustNeverBeLogged/0123456789ab";
const TOKEN: &str = "FakeSessionTOKEN-ThisMustNeverBeLogged-0123456789abcdefABCDEF";

fn config(cluster: &str, name: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    autoscale = {{ source = "autoscale/autoscale" }}
  }}
}}

provider "autoscale" {{
  region     = "us-east-1"
  access_key = "{ACCESS_KEY}"
  secret_key = "{SECRET_KEY}"
  token      = "{TOKEN}"
}}

resource "autoscale_spot_node_group" "this" {{
  cluster_name    = "{cluster}"
  node_group_name = "{name}"
  node_role_arn   = "arn:aws:iam::123456789012:role/eks-node"
  subnet_ids      = ["subnet-aaaa1111", "subnet-bbbb2222"]
  instance_types  = ["c5.xlarge", "c5a.xlarge"]

  scaling {{
    min_size     = 1
    max_size     = 3
    desired_size = 1
  }}
}}

resource "autoscale_scheduled_action" "nightly" {{
  cluster_name     = autoscale_spot_node_group.this.cluster_name
  node_group_name  = autoscale_spot_node_group.this.node_group_name
  name             = "{name}-nightly"
  recurrence       = "0 2 * * *"
  time_zone        = "UTC"
  desired_capacity = 1
}}
"#
    )
}

/// Every form a leak could take: the value itself and its halves (a log line might be cut or
/// wrapped), not just the exact string.
fn leaks(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (what, secret) in [("secret key", SECRET_KEY), ("session token", TOKEN)] {
        let half = secret.len() / 2;
        for needle in [secret, &secret[..half], &secret[half..]] {
            if text.contains(needle) {
                found.push(format!("{what} ({needle})"));
            }
        }
    }
    found
}

#[test]
fn trace_log_of_a_full_apply_holds_no_secret_key_or_token() {
    let cluster = unique("secrets-c");
    create_cluster(&cluster);
    let name = unique("secrets");
    let mut ws = Workspace::empty();
    ws.write_raw_config(&config(&cluster, &name));
    let log = ws.path().parent().unwrap().join("terraform-trace.log");
    ws.set_env("TF_LOG", "trace");
    ws.set_env("TF_LOG_PATH", &log.display().to_string());
    // The provider block must be what signs: no credentials in the environment.
    ws.set_env("AWS_ACCESS_KEY_ID", "");
    ws.set_env("AWS_SECRET_ACCESS_KEY", "");

    let mut outputs = String::new();
    for args in [
        &["apply", "-auto-approve", "-input=false"][..],
        &["plan", "-input=false", "-detailed-exitcode"][..],
        &["show", "-json"][..],
        &["destroy", "-auto-approve", "-input=false"][..],
    ] {
        let out = ws.tf(args);
        assert_eq!(out.code, 0, "terraform {args:?} failed:\n{}", out.text());
        outputs.push_str(&out.text());
    }

    let text = std::fs::read_to_string(&log).expect("reading the trace log");
    // The log is really a trace of the whole run, provider included...
    assert!(text.contains("[TRACE]"), "TF_LOG=trace wrote a trace log");
    assert!(text.contains("ApplyResourceChange") && text.contains("ConfigureProvider"), "the log covers the provider's calls");
    assert!(text.len() > 100_000, "the log is a full trace ({} bytes)", text.len());
    // ...and the provider really signed with the block's credentials.
    let calls = emulator().call_log_for(&name);
    assert!(calls.iter().any(|c| c["action"] == "CreateNodegroup"), "the apply reached AWS: {calls:?}");

    assert_eq!(leaks(&text), Vec::<String>::new(), "the trace log leaks secrets");
    assert_eq!(leaks(&outputs), Vec::<String>::new(), "terraform's output leaks secrets");
    let state = std::fs::read_to_string(ws.path().join("terraform.tfstate")).unwrap_or_default();
    assert_eq!(leaks(&state), Vec::<String>::new(), "the state leaks secrets");

    // The user agent AWS sees (and logs, e.g. in CloudTrail) names the provider and nothing more.
    for call in &calls {
        let agent = call["user_agent"].as_str().unwrap_or_default();
        assert_eq!(call["app"], "terraform-provider-autoscale", "the provider's calls carry its app name: {agent}");
        assert_eq!(leaks(agent), Vec::<String>::new(), "the user agent leaks secrets");
        assert!(!agent.contains(ACCESS_KEY) && !agent.contains(&cluster), "the user agent holds no credentials or names: {agent}");
    }
}

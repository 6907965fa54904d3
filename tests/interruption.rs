//! Interruption acceptance tests (issue #10): the endpoint the provider talks to dies mid-apply.
//! The fault proxy (emulator/autoscale_emulator/faults.py) stands in for that endpoint: with
//! `--die-after SERVICE:ACTION` it forwards the matching call to the emulator, which does the
//! work, and then exits without answering. (Killing the emulator itself would wipe "AWS": moto
//! keeps its state in memory.) Each failed apply must say clearly what happened; a re-run through
//! a fresh proxy on the same port must converge — no duplicate node group, actions or tags, tags
//! owned by the resource that wrote them, state matching the API, an empty plan, a clean destroy.
//! The second test kills the endpoint while the provider waits for a node group to become ACTIVE:
//! the apply must end within the resource's create timeout, never hang.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use acceptance::{FaultProxy, Workspace, aws, create_cluster, emulator, repo_root, run, unique};
use autoscale::aws::asg_tags::describe_tags;
use autoscale::aws::node_groups::{asg_names, find_node_group};
use autoscale::aws::scheduled_actions::scheduled_actions_of_group;
use autoscale::aws::wait::AFTER_FAILURE_LOOKUP_LIMIT;
use serde_json::json;

/// faults.py's DIED_EXIT_STATUS: the proxy ended on purpose, after forwarding the call.
const DIED_EXIT_STATUS: i32 = 3;

/// The resources of tests/fixtures/system.tf by address, with this test's names.
fn fixture(cluster: &str, name: &str) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repo_root().join("tests/fixtures/system.tf")).expect("reading tests/fixtures/system.tf");
    let text = text.replace("__CLUSTER__", cluster).replace("__NAME__", name);
    let mut blocks = BTreeMap::new();
    for block in text.split("\nresource \"").skip(1) {
        let (kind, rest) = block.split_once("\" \"").expect("resource type");
        let (label, _) = rest.split_once('"').expect("resource name");
        blocks.insert(format!("{kind}.{label}"), format!("resource \"{block}"));
    }
    blocks
}

/// A provider block that gives up after two attempts, so a dead endpoint fails fast.
fn config(blocks: &BTreeMap<String, String>, addresses: &[&str]) -> String {
    let mut text = String::from(
        "terraform {\n  required_providers {\n    autoscale = { source = \"autoscale/autoscale\" }\n  }\n}\n\nprovider \"autoscale\" {\n  max_retries = 2\n}\n",
    );
    for address in addresses {
        text.push('\n');
        text.push_str(&blocks[*address]);
    }
    text
}

/// Terraform's output as one line of words: diagnostics are boxed (`│`) and wrapped.
fn words(text: &str) -> String {
    text.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

fn state_addresses(ws: &Workspace) -> Vec<String> {
    let out = ws.tf(&["state", "list"]);
    assert_eq!(out.code, 0, "state list: {}", out.text());
    out.stdout.lines().map(str::to_string).collect()
}

fn tainted(ws: &Workspace) -> Vec<String> {
    let shown = ws.tf(&["show", "-no-color"]).stdout;
    shown.lines().filter_map(|l| l.trim().strip_prefix("# ")?.strip_suffix(": (tainted)").map(str::to_string)).collect()
}

/// Applies through a proxy that dies after `action`; returns the failed apply's output as words.
fn apply_dying_after(ws: &Workspace, port: &str, action: &str) -> String {
    let mut proxy = FaultProxy::start_with(&["--rate", "0", "--port", port, "--die-after", action]);
    let out = ws.tf(&["apply", "-auto-approve", "-input=false"]);
    assert_ne!(out.code, 0, "the apply should fail when the endpoint dies after {action}:\n{}", out.text());
    assert_eq!(proxy.exit_code(Duration::from_secs(10)), Some(DIED_EXIT_STATUS), "the proxy died after forwarding {action}");
    let text = words(&out.text());
    assert!(!text.contains("panicked") && !text.contains("Provider produced"), "no crash or provider bug: {text}");
    for dump in ["SdkError", "DispatchFailure", "ServiceError {"] {
        assert!(!text.contains(dump), "no SDK debug dump ({dump}): {text}");
    }
    text
}

/// Names of every Auto Scaling group whose name says it belongs to node group `name`.
fn groups_of_node_group(name: &str) -> Vec<String> {
    let client = &aws().autoscaling;
    let mut found = Vec::new();
    let mut token = None;
    loop {
        let page = run(client.describe_auto_scaling_groups().set_next_token(token).send()).expect("describing groups");
        found.extend(
            page.auto_scaling_groups().iter().filter_map(|g| g.auto_scaling_group_name()).filter(|n| n.starts_with(&format!("eks-{name}-"))).map(str::to_string),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return found;
        }
    }
}

#[test]
fn endpoint_killed_mid_apply_then_rerun_converges_without_duplicates() {
    let cluster = unique("interrupt-c");
    create_cluster(&cluster);
    let name = unique("interrupt");
    let blocks = fixture(&cluster, &name);
    let group_and_tags = ["autoscale_spot_node_group.batch", "autoscale_asg_discovery_tags.batch"];
    let everything = [&group_and_tags[..], &["autoscale_scaling_schedule.office", "autoscale_scheduled_action.nightly"]].concat();
    let id = format!("{cluster}:{name}");

    // A first proxy only to learn a free port; every later one listens on the same port, so the
    // provider's endpoint stays the same across runs, as a real endpoint would.
    let port = FaultProxy::start_with(&["--rate", "0"]).port();
    let mut ws = Workspace::empty();
    ws.set_env("AWS_ENDPOINT_URL", &format!("http://127.0.0.1:{port}"));

    // 1. CreateNodegroup reaches AWS, the answer never comes back.
    ws.write_raw_config(&config(&blocks, &group_and_tags));
    let text = apply_dying_after(&ws, &port, "eks:CreateNodegroup");
    assert!(text.contains(&format!("Error: creating EKS Node Group ({id}):")), "the error names the create: {text}");
    assert!(text.contains("AWS may have created the node group") && text.contains("same idempotency token"), "the error says what happens next: {text}");
    let group = run(find_node_group(&aws().eks, &cluster, &name)).expect("describing").expect("AWS created the node group");
    assert!(state_addresses(&ws).is_empty(), "nothing in state: the provider never heard back");

    // 2. The re-run adopts the node group (same token); CreateOrUpdateTags is then lost.
    let text = apply_dying_after(&ws, &port, "autoscaling:CreateOrUpdateTags");
    assert!(text.contains("tagging Auto Scaling group"), "the error names the tagging: {text}");
    let in_state = ws.attrs("autoscale_spot_node_group.batch");
    assert_eq!(in_state["arn"].as_str(), group.nodegroup_arn(), "the re-run adopted the node group the first run created");
    assert!(!tainted(&ws).contains(&"autoscale_spot_node_group.batch".to_string()), "the adopted node group is healthy in state");
    assert!(tainted(&ws).contains(&"autoscale_asg_discovery_tags.batch".to_string()), "the tags whose answer was lost are kept, tainted");

    // 3. Schedules join the configuration; the first PutScheduledUpdateGroupAction is lost.
    ws.write_raw_config(&config(&blocks, &everything));
    let text = apply_dying_after(&ws, &port, "autoscaling:PutScheduledUpdateGroupAction");
    assert!(text.contains("putting scheduled action"), "the error names the action write: {text}");

    // 4. The endpoint is back: the re-run converges.
    let _proxy = FaultProxy::start_with(&["--rate", "0", "--port", &port]);
    ws.apply();

    let creates: Vec<_> = emulator().call_log_for(&name).into_iter().filter(|c| c["action"] == "CreateNodegroup").collect();
    let statuses: Vec<_> = creates.iter().map(|c| c["status"].as_u64().unwrap_or(0)).collect();
    assert_eq!(statuses, vec![200, 200], "two CreateNodegroup calls, the second answered with the first's node group: {creates:?}");
    let listed = run(aws().eks.list_nodegroups().cluster_name(&cluster).send()).expect("listing node groups");
    assert_eq!(listed.nodegroups(), std::slice::from_ref(&name), "exactly one node group");
    let group = run(find_node_group(&aws().eks, &cluster, &name)).expect("describing").expect("the node group exists");
    let asgs = asg_names(&group);
    assert_eq!(groups_of_node_group(&name), asgs, "exactly one Auto Scaling group, the node group's");
    let asg = asgs[0].clone();

    let state = ws.attrs("autoscale_spot_node_group.batch");
    assert_eq!(state["arn"].as_str(), group.nodegroup_arn(), "state holds the node group AWS has");
    assert_eq!(state["status"], json!("ACTIVE"));
    let actions = run(scheduled_actions_of_group(&aws().autoscaling, &asg)).expect("describing actions");
    let mut names: Vec<_> = actions.iter().map(|a| a.name.clone()).collect();
    names.sort();
    let mut expected = vec![format!("{name}-nightly"), format!("{name}-office-w0-end"), format!("{name}-office-w0-start")];
    expected.sort();
    assert_eq!(names, expected, "each scheduled action once, none stray");
    let live = run(describe_tags(&aws().autoscaling, &asgs, None)).expect("describing tags").remove(&asg).unwrap_or_default();
    let state_tags = ws.attrs("autoscale_asg_discovery_tags.batch");
    let wanted = state_tags["tags"].as_object().expect("tags in state");
    let template: Vec<&String> = wanted.keys().filter(|k| k.contains("/node-template/")).collect();
    assert!(template.len() >= 3, "label, taint and resource tags: {wanted:?}");
    for (key, value) in wanted {
        assert_eq!(live.get(key).map(|t| t.value.as_str()), value.as_str(), "tag {key} in state and AWS");
    }
    assert!(tainted(&ws).is_empty(), "nothing left tainted: {:?}", tainted(&ws));
    ws.assert_no_changes();

    // The tags written by the interrupted runs are owned (written) by the resource, not adopted:
    // destroying it alone removes them.
    let out = ws.tf(&["destroy", "-auto-approve", "-input=false", "-target=autoscale_asg_discovery_tags.batch"]);
    assert_eq!(out.code, 0, "destroying the tags: {}", out.text());
    let live = run(describe_tags(&aws().autoscaling, &asgs, None)).expect("describing tags").remove(&asg).unwrap_or_default();
    for key in template {
        assert!(!live.contains_key(key), "{key} was written by the resource, so its destroy removes it: {:?}", live.keys().collect::<Vec<_>>());
    }

    ws.destroy();
    assert!(run(find_node_group(&aws().eks, &cluster, &name)).expect("describing").is_none(), "the node group is deleted");
    assert!(groups_of_node_group(&name).is_empty(), "its Auto Scaling group is gone");
}

#[test]
fn endpoint_killed_while_waiting_for_active_ends_within_the_create_timeout() {
    let cluster = unique("interrupt-wait-c");
    create_cluster(&cluster);
    let name = unique("interrupt-wait");
    // The node group stays CREATING far longer than the create timeout.
    let (status, body) = emulator().control("POST", "/_emulator/config", Some(&json!({"cluster": cluster, "nodegroup_create_delay": 600})));
    assert_eq!(status, 200, "{body}");
    let create_timeout = Duration::from_secs(15);
    let mut blocks = fixture(&cluster, &name);
    let group = blocks.get_mut("autoscale_spot_node_group.batch").expect("fixture has the node group");
    let end = group.rfind('}').expect("block end");
    group.insert_str(end, &format!("\n  timeouts {{\n    create = \"{}s\"\n  }}\n", create_timeout.as_secs()));
    // The provider's default retries (25 attempts): only the timeout can end the wait early.
    let config = config(&blocks, &["autoscale_spot_node_group.batch"]).replace("  max_retries = 2\n", "");

    let mut proxy = FaultProxy::start_with(&["--rate", "0"]);
    let port = proxy.port();
    let mut ws = Workspace::empty();
    ws.set_env("AWS_ENDPOINT_URL", &proxy.endpoint);
    ws.write_raw_config(&config);

    let started = Instant::now();
    let out = std::thread::scope(|scope| {
        let apply = scope.spawn(|| ws.tf(&["apply", "-auto-approve", "-input=false"]));
        // Once the node group exists (CREATING), the endpoint dies on the next status check.
        while run(find_node_group(&aws().eks, &cluster, &name)).expect("describing").is_none() {
            assert!(started.elapsed() < Duration::from_secs(120), "the create never reached AWS");
            std::thread::sleep(Duration::from_millis(200));
        }
        proxy.configure(&json!({"die_after": "eks:DescribeNodegroup"}));
        apply.join().expect("the apply thread")
    });
    let took = started.elapsed();
    assert_ne!(out.code, 0, "the apply should fail:\n{}", out.text());
    assert_eq!(proxy.exit_code(Duration::from_secs(10)), Some(DIED_EXIT_STATUS), "the proxy died during the wait");
    let text = words(&out.text());
    assert!(text.contains(&format!("Error: creating EKS Node Group ({cluster}:{name}): timed out")), "a clear timeout: {text}");
    assert!(text.contains("to become ACTIVE") && text.contains("kept in state as tainted"), "it says what it waited for and what it kept: {text}");
    // Bounded: the create timeout, then the short lookup of what exists, plus Terraform's own
    // start-up — not the minutes the SDK's retries would take against a dead endpoint.
    let bound = create_timeout + AFTER_FAILURE_LOOKUP_LIMIT + Duration::from_secs(30);
    assert!(took < bound, "the apply took {took:?}, more than {bound:?}");
    assert_eq!(tainted(&ws), vec!["autoscale_spot_node_group.batch".to_string()], "the node group is in state, tainted");

    // The endpoint is back and the node group can become ACTIVE: the re-run replaces the tainted
    // one (same name, same request) and converges.
    let (status, body) = emulator().control("POST", "/_emulator/config", Some(&json!({"cluster": cluster, "nodegroup_create_delay": 0})));
    assert_eq!(status, 200, "{body}");
    let _proxy = FaultProxy::start_with(&["--rate", "0", "--port", &port]);
    ws.apply();
    let group = run(find_node_group(&aws().eks, &cluster, &name)).expect("describing").expect("the node group exists");
    assert_eq!(ws.attrs("autoscale_spot_node_group.batch")["arn"].as_str(), group.nodegroup_arn());
    assert_eq!(groups_of_node_group(&name).len(), 1, "one Auto Scaling group");
    assert!(tainted(&ws).is_empty());
    ws.assert_no_changes();
    ws.destroy();
    assert!(run(find_node_group(&aws().eks, &cluster, &name)).expect("describing").is_none(), "the node group is deleted");
}

//! Acceptance tests for `autoscale_cost_estimate`: the real terraform binary reads the data source
//! at plan time against the emulator, whose price fixture (emulator/autoscale_emulator/data/
//! prices.json, documented in docs/design/cost-estimate.md) fixes every price: a spot history
//! cycles low, middle, high, middle in each zone, so its median is the middle price.
//!
//! Checks: read, refresh and an unchanged plan; the node group form; the seed's figures through
//! price overrides (no price call); a missing price is an error naming type and region; a
//! throttling Price List API converges; one GetProducts per instance type per plan however many
//! estimates name the type, and a spot history read to its last page.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance::{FaultProxy, Workspace, create_cluster, create_node_group, emulator, unique};
use serde_json::{Value as Json, json};

fn output_json(ws: &Workspace) -> Json {
    let out = ws.tf(&["output", "-json"]);
    assert_eq!(out.code, 0, "{}", out.text());
    serde_json::from_str(&out.stdout).expect("output JSON")
}

/// The output with Terraform's line wrapping and left rules undone, for matching sentences.
fn flat(text: &str) -> String {
    text.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every attribute of `data.autoscale_cost_estimate.<name>`, as an output.
fn estimate_output(name: &str) -> String {
    format!("output \"{name}\" {{ value = data.autoscale_cost_estimate.{name} }}\n")
}

/// The seq of the last call the emulator recorded: calls after it are this test's.
fn last_seq() -> u64 {
    let (status, body) = emulator().control("GET", "/_emulator/calls/log?since=0", None);
    assert_eq!(status, 200, "{body}");
    let log: Vec<Json> = serde_json::from_str(&body).unwrap();
    log.iter().filter_map(|e| e["seq"].as_u64()).max().unwrap_or(0)
}

/// The calls after `since` whose resources name every one of `names`, as `service:Action`.
fn calls_since(since: u64, names: &[&str]) -> Vec<Json> {
    let (status, body) = emulator().control("GET", &format!("/_emulator/calls/log?since={since}&resource={}", names[0]), None);
    assert_eq!(status, 200, "{body}");
    let log: Vec<Json> = serde_json::from_str(&body).unwrap();
    log.into_iter()
        .filter(|e| names.iter().all(|n| e["resources"].as_array().is_some_and(|r| r.iter().any(|v| v.as_str() == Some(*n)))))
        .collect()
}

fn count(calls: &[Json], action: &str) -> usize {
    calls.iter().filter(|c| format!("{}:{}", c["service"].as_str().unwrap_or(""), c["action"].as_str().unwrap_or("")) == action).count()
}

const SPOT_GROUP: &str = r#"
data "autoscale_cost_estimate" "batch" {
  instance_types = ["c5.xlarge", "c5a.xlarge"]
  capacity_type  = "SPOT"
  node_count     = 4
}
"#;

/// Fixture prices in us-east-1: c5.xlarge $0.17 On-Demand, zone medians 0.068 / 0.071 / 0.064
/// (median 0.068); c5a.xlarge $0.154, zone medians 0.060 / 0.062 / 0.059 (median 0.060).
#[test]
fn basic_spot_group_reads_aws_prices_refreshes_and_plans_unchanged() {
    let ws = Workspace::new(&format!("{SPOT_GROUP}{}", estimate_output("batch")));
    ws.apply();
    let batch = &output_json(&ws)["batch"]["value"];
    assert_eq!(batch["region"], "us-east-1", "{batch:#}");
    assert_eq!(batch["on_demand_hourly_price"], json!(0.162), "(0.17 + 0.154) / 2: {batch:#}");
    assert_eq!(batch["spot_hourly_price"], json!(0.064), "(0.068 + 0.060) / 2: {batch:#}");
    assert_eq!(batch["hourly_price"], json!(0.064));
    assert_eq!(batch["weekly_instance_hours"], json!(672));
    assert_eq!(batch["static_node_count"], json!(4));
    assert_eq!(batch["weekly_cost"], json!(43.01), "4 × 168 × 0.064 = 43.008");
    assert_eq!(batch["monthly_cost"], json!(186.88), "4 × 730 × 0.064 = 186.88");
    assert_eq!(batch["weekly_on_demand_static_cost"], json!(108.86), "4 × 168 × 0.162");
    assert_eq!(batch["monthly_on_demand_static_cost"], json!(473.04));
    assert_eq!(batch["savings_vs_on_demand_static_percent"], json!(60.49), "1 − 0.064 / 0.162");
    assert_eq!(batch["savings_vs_spot_static_percent"], json!(0));
    assert_eq!(batch["savings_vs_baseline_percent"], json!(0));
    let c5 = &batch["prices"][0];
    assert_eq!(c5["instance_type"], "c5.xlarge");
    assert_eq!(c5["on_demand_hourly"], json!(0.17));
    assert_eq!(c5["spot_by_availability_zone"], json!({"us-east-1a": 0.068, "us-east-1b": 0.071, "us-east-1c": 0.064}));
    assert_eq!(c5["spot_records"], json!(129), "3 zones × (42 changes in a week + the one in force at its start)");
    assert_eq!((c5["on_demand_source"].as_str(), c5["spot_source"].as_str()), (Some("aws"), Some("aws")));
    assert!(batch["summary"].as_str().unwrap().contains("60.49 % less than 4 nodes On-Demand all week"), "{batch:#}");
    // Refresh re-reads the prices; the plan stays empty with and without it.
    let refreshed = ws.tf(&["apply", "-refresh-only", "-auto-approve", "-input=false"]);
    assert_eq!(refreshed.code, 0, "{}", refreshed.text());
    assert_eq!(output_json(&ws)["batch"]["value"], *batch);
    ws.assert_no_changes();
}

/// The seed's staging schedule on m5.large ($0.096 On-Demand), given as windows and as the
/// weekly instance-hours an autoscale_scaling_schedule reports, with a static baseline.
#[test]
fn a_schedule_and_its_instance_hours_cost_the_same() {
    let ws = Workspace::new(&format!(
        r#"
data "autoscale_cost_estimate" "windows" {{
  instance_types = ["m5.large"]
  window {{
    days             = "MON-FRI"
    start            = "08:00"
    end              = "18:00"
    desired_capacity = 5
  }}
  off_hours {{
    desired_capacity = 1
  }}
}}

data "autoscale_cost_estimate" "hours" {{
  instance_types        = ["m5.large"]
  weekly_instance_hours = 368
  static_node_count     = 5
}}

data "autoscale_cost_estimate" "hours_alone" {{
  instance_types        = ["m5.large"]
  weekly_instance_hours = 368
}}
{}{}{}"#,
        estimate_output("windows"),
        estimate_output("hours"),
        estimate_output("hours_alone")
    ));
    ws.apply();
    let outputs = output_json(&ws);
    let windows = &outputs["windows"]["value"];
    assert_eq!(windows["capacity_type"], "ON_DEMAND", "{windows:#}");
    assert_eq!(windows["weekly_instance_hours"], json!(368));
    assert_eq!(windows["static_node_count"], json!(5));
    assert_eq!(windows["weekly_cost"], json!(35.33), "368 × 0.096 = 35.328");
    assert_eq!(windows["savings_vs_baseline_percent"], json!(56.19));
    assert_eq!(windows["savings_vs_on_demand_static_percent"], json!(56.19));
    let hours = &outputs["hours"]["value"];
    for field in ["weekly_cost", "monthly_cost", "savings_vs_baseline_percent", "weekly_on_demand_static_cost"] {
        assert_eq!(hours[field], windows[field], "{field}");
    }
    let alone = &outputs["hours_alone"]["value"];
    assert_eq!(alone["weekly_cost"], json!(35.33));
    assert_eq!((&alone["static_node_count"], &alone["savings_vs_baseline_percent"]), (&Json::Null, &Json::Null), "{alone:#}");
    ws.assert_no_changes();
}

/// The node group form: the types and capacity type come from EKS (the emulator's node group
/// names no type, so EKS's default t3.medium, $0.0416 On-Demand).
#[test]
fn a_node_group_is_priced_from_its_eks_settings() {
    let name = unique("cost-ng");
    let cluster = format!("{name}-c");
    create_cluster(&cluster);
    create_node_group(&cluster, &name, &[], &[]);
    let ws = Workspace::new(&format!(
        "data \"autoscale_cost_estimate\" \"group\" {{\n  cluster_name    = \"{cluster}\"\n  node_group_name = \"{name}\"\n  node_count      = 2\n}}\n{}",
        estimate_output("group")
    ));
    ws.apply();
    let group = &output_json(&ws)["group"]["value"];
    assert_eq!(group["capacity_type"], "ON_DEMAND", "{group:#}");
    let types: Vec<&str> = group["instance_types"].as_array().unwrap().iter().filter_map(Json::as_str).collect();
    assert_eq!(group["prices"].as_array().unwrap().len(), types.len());
    assert!(!types.is_empty());
    if types == ["t3.medium"] {
        assert_eq!(group["weekly_cost"], json!(13.98), "2 × 168 × 0.0416");
    }
    ws.assert_no_changes();
}

/// The seed's figures with the seed's prices ($0.50 On-Demand, $0.10 Spot) given as overrides in
/// a region the fixture has no price for: the estimate needs no price call at all.
#[test]
fn overrides_price_the_seed_without_asking_aws() {
    let since = last_seq();
    let ws = Workspace::new(&format!(
        r#"
locals {{
  seed_prices = [{{ instance_type = "m5.large", on_demand = 0.50, spot = 0.10 }}]
}}

data "autoscale_cost_estimate" "spot" {{
  region         = "af-south-1"
  instance_types = ["m5.large"]
  capacity_type  = "SPOT"
  node_count     = 1
  dynamic "price_override" {{
    for_each = local.seed_prices
    content {{
      instance_type = price_override.value.instance_type
      on_demand     = price_override.value.on_demand
      spot          = price_override.value.spot
    }}
  }}
}}

data "autoscale_cost_estimate" "dev" {{
  region         = "af-south-1"
  instance_types = ["m5.large"]
  window {{
    days             = "MON-FRI"
    start            = "08:00"
    end              = "18:00"
    desired_capacity = 3
  }}
  off_hours {{
    desired_capacity = 0
  }}
  price_override {{
    instance_type = "m5.large"
    on_demand     = 0.50
    spot          = 0.10
  }}
}}
{}{}"#,
        estimate_output("spot"),
        estimate_output("dev")
    ));
    ws.apply();
    let outputs = output_json(&ws);
    let spot = &outputs["spot"]["value"];
    assert_eq!(spot["savings_vs_on_demand_static_percent"], json!(80), "{spot:#}");
    assert_eq!(spot["weekly_cost"], json!(16.8));
    assert_eq!(spot["prices"][0]["on_demand_source"], "override");
    assert_eq!(spot["prices"][0]["spot_records"], json!(0));
    let dev = &outputs["dev"]["value"];
    assert_eq!(dev["savings_vs_baseline_percent"], json!(70.24), "{dev:#}");
    assert_eq!(dev["weekly_instance_hours"], json!(150));
    ws.assert_no_changes();
    let price_calls = calls_since(since, &["af-south-1"]);
    assert!(price_calls.is_empty(), "overridden prices were asked for: {price_calls:?}");
}

#[test]
fn a_missing_price_is_an_error_naming_type_and_region() {
    let ws = Workspace::new(
        r#"
data "autoscale_cost_estimate" "gpu" {
  instance_types = ["m5.large", "p4d.24xlarge"]
  node_count     = 1
}

data "autoscale_cost_estimate" "unlisted" {
  instance_types = ["u-12tb1.112xlarge"]
  node_count     = 1
}
"#,
    );
    let out = ws.tf(&["plan", "-input=false"]);
    assert_ne!(out.code, 0, "{}", out.text());
    let text = flat(&out.text());
    assert!(
        text.contains("No price for p4d.24xlarge in us-east-1")
            && text.contains("EC2 has no Linux spot price history for p4d.24xlarge in us-east-1 over the last 168 hours"),
        "{text}"
    );
    assert!(text.contains(r#"instance_types = ["m5.large", "p4d.24xlarge"]"#), "the diagnostic points at instance_types: {text}");
    assert!(
        text.contains("The AWS Price List has no On-Demand price for u-12tb1.112xlarge (Linux, shared tenancy, no pre-installed software) in us-east-1"),
        "{text}"
    );
    assert!(text.contains("Set a price_override for it"), "{text}");
    assert!(!text.contains("panic"), "{text}");
}

/// Half the calls through the fault proxy are throttled (Price List: 400 ThrottlingException;
/// EC2: 503 RequestLimitExceeded); the SDK's retries get the same figures as without faults.
#[test]
fn throttled_price_apis_converge() {
    let proxy = FaultProxy::start_with(&["--rate", "0.5", "--kinds", "throttle", "--seed", "17"]);
    let mut ws = Workspace::new(&format!(
        "{}{}",
        SPOT_GROUP.replace("\"batch\"", "\"throttled\"").replace("c5a.xlarge", "c5d.xlarge"),
        estimate_output("throttled")
    ));
    ws.set_env("AWS_ENDPOINT_URL", &proxy.endpoint);
    ws.apply();
    let stats = proxy.stats();
    assert!(stats["injected"]["throttle"].as_u64().unwrap_or(0) > 0, "no call was throttled: {stats}");
    let throttled = &output_json(&ws)["throttled"]["value"];
    // c5.xlarge spot 0.068, c5d.xlarge zone medians 0.074 / 0.076 / 0.073 → 0.074.
    assert_eq!(throttled["on_demand_hourly_price"], json!(0.181), "(0.17 + 0.192) / 2: {throttled:#}");
    assert_eq!(throttled["spot_hourly_price"], json!(0.071), "(0.068 + 0.074) / 2: {throttled:#}");
}

/// Three estimates in one plan name c5.xlarge and c5a.xlarge, two of them m5.large: each type is
/// asked of the Price List once, and its spot history is read once, to its last page.
#[test]
fn one_price_call_per_instance_type_per_plan() {
    let mut config = String::new();
    for (name, types) in [("a", r#"["c5.xlarge", "c5a.xlarge"]"#), ("b", r#"["c5a.xlarge", "c5.xlarge", "m5.large"]"#), ("c", r#"["m5.large", "c5.xlarge", "c5a.xlarge"]"#)] {
        config.push_str(&format!(
            "data \"autoscale_cost_estimate\" \"{name}\" {{\n  region         = \"eu-west-1\"\n  instance_types = {types}\n  capacity_type  = \"SPOT\"\n  node_count     = 3\n}}\n{}",
            estimate_output(name)
        ));
    }
    let ws = Workspace::new(&config);
    let since = last_seq();
    let out = ws.tf(&["plan", "-input=false"]);
    assert_eq!(out.code, 0, "{}", out.text());
    for instance_type in ["c5.xlarge", "c5a.xlarge", "m5.large"] {
        let calls = calls_since(since, &[instance_type, "eu-west-1"]);
        assert_eq!(count(&calls, "pricing:GetProducts"), 1, "{instance_type}: {calls:#?}");
        // The provider's own calls (its SDK app name), so the suite's IAM check sees them.
        assert!(calls.iter().all(|c| c["app"] == autoscale::aws::APP_NAME), "{calls:#?}");
        let spot: Vec<&Json> = calls.iter().filter(|c| c["action"] == "DescribeSpotPriceHistory").collect();
        // 3 zones × 43 records = 129: two pages of 100, the second asked for with the first's token.
        assert_eq!(spot.len(), 2, "{instance_type}: {spot:#?}");
        assert!(spot[0]["params"].get("NextToken").is_none() && spot[1]["params"]["NextToken"].is_string(), "{spot:#?}");
    }
}

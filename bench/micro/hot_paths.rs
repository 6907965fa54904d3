//! Criterion micro-benchmarks of the provider's per-resource hot paths: rendering an HPA
//! manifest (and the Cluster Autoscaler and prometheus-adapter manifests), encoding and decoding a typical resource state as msgpack (what every plugin call
//! carries), and one simulated hour of the HPA simulator.
//!
//! Run with `cargo bench -p autoscale-micro-benches` (bench/run.sh does); under
//! `cargo test --all-targets` each benchmark runs once, as a smoke test.
//!
//! A crate of its own rather than `provider/benches/`: the provider's dev-dependencies
//! (aws-smithy-mocks turns on test features of the AWS runtime) would make `cargo bench` rebuild
//! the AWS SDKs in release mode instead of reusing the release build's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use std::collections::BTreeMap;

use autoscale::render::Overrides;
use autoscale::render::cluster_autoscaler::{self, ClusterAutoscaler, Flags};
use autoscale::render::hpa;
use autoscale::render::prometheus_adapter::{self, ExternalRule, PrometheusAdapter};
use autoscale::simulate::{Demand, Hpa, LoadProfile, LoadStep, Scenario, simulate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tfplugin::value::Value;

/// The example's API HPA: CPU 70 % and memory 80 %, 2–50 pods, with a behavior block.
const API_HPA: &str = r#"apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: api
  namespace: production
  labels:
    app: api
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: api
  minReplicas: 2
  maxReplicas: 50
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 70
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: 80
  behavior:
    scaleUp:
      stabilizationWindowSeconds: 0
      selectPolicy: Max
      policies:
        - type: Percent
          value: 100
          periodSeconds: 15
        - type: Pods
          value: 4
          periodSeconds: 15
    scaleDown:
      stabilizationWindowSeconds: 300
      policies:
        - type: Percent
          value: 50
          periodSeconds: 15
"#;

fn render_hpa(c: &mut Criterion) {
    let manifest = hpa::parse(API_HPA).expect("the example HPA parses");
    let overrides = Overrides::none();
    let mut group = c.benchmark_group("render");
    group.throughput(Throughput::Elements(1));
    group.bench_function("hpa_manifest", |b| b.iter(|| hpa::render(black_box(&manifest), &overrides).expect("renders")));
    let ca = cluster_autoscaler();
    group.bench_function("cluster_autoscaler_manifest", |b| b.iter(|| cluster_autoscaler::render(black_box(&ca), &overrides).expect("renders")));
    let adapter = prometheus_adapter();
    group.bench_function("prometheus_adapter_manifest", |b| b.iter(|| prometheus_adapter::render(black_box(&adapter), &overrides).expect("renders")));
    group.finish();
}

/// The example's Cluster Autoscaler: CA's defaults for cluster `production` on Kubernetes 1.31,
/// with an IAM role, a priority class and requests and limits.
fn cluster_autoscaler() -> ClusterAutoscaler {
    let resources = BTreeMap::from([("cpu".to_string(), "100m".to_string()), ("memory".to_string(), "600Mi".to_string())]);
    ClusterAutoscaler {
        name: "cluster-autoscaler".into(),
        namespace: "kube-system".into(),
        cluster_name: "production".into(),
        image: cluster_autoscaler::image_for("1.31").expect("a known release"),
        iam_role_arn: Some("arn:aws:iam::123456789012:role/cluster-autoscaler".into()),
        priority_class_name: Some("system-cluster-critical".into()),
        resource_requests: resources.clone(),
        resource_limits: resources,
        flags: Flags::defaults("production"),
        extra_args: Vec::new(),
    }
}

/// The example's prometheus-adapter: one external rule, a queue depth averaged over 2 minutes.
fn prometheus_adapter() -> PrometheusAdapter {
    PrometheusAdapter {
        name: "prometheus-adapter".into(),
        namespace: "monitoring".into(),
        labels: None,
        annotations: None,
        rules: vec![ExternalRule {
            metric_name: "celery_queue_depth".into(),
            series_query: "celery_queue_depth{queue!=\"\"}".into(),
            series_name_matches: None,
            resource_overrides: BTreeMap::new(),
            namespaced: false,
            aggregation: Some("sum".into()),
            window: Some("2m".into()),
            metrics_query: None,
        }],
    }
}

/// The state of the example's `autoscale_hpa_manifest.api` after apply, as Terraform stores it.
fn hpa_state() -> (Value, tfplugin::value::Type) {
    let resource = autoscale::resources::all().into_iter().find(|r| r.type_name() == "autoscale_hpa_manifest").expect("hpa_manifest resource");
    let ty = resource.schema().value_type();
    let rendered = hpa::render(&hpa::parse(API_HPA).expect("parses"), &Overrides::none()).expect("renders");
    let policy = |t: &str, v: i64| serde_json::json!({"type": t, "value": v, "period_seconds": 15});
    let metric = |n: &str, u: i64| serde_json::json!({"type": "Resource", "name": n, "average_utilization": u});
    let state = serde_json::json!({
        "id": "production/api",
        "name": "api",
        "namespace": "production",
        "labels": {"app": "api"},
        "min_replicas": 2,
        "max_replicas": 50,
        "output_path": "manifests/api-hpa.yaml",
        "target": {"api_version": "apps/v1", "kind": "Deployment", "name": "api"},
        "metric": [metric("cpu", 70), metric("memory", 80)],
        "behavior": {
            "scale_up": {"stabilization_window_seconds": 0, "select_policy": "Max", "policy": [policy("Percent", 100), policy("Pods", 4)]},
            "scale_down": {"stabilization_window_seconds": 300, "policy": [policy("Percent", 50)]}
        },
        "yaml": rendered.yaml,
        "json": rendered.json,
        "sha256": rendered.sha256.clone(),
        "output_file_sha256": rendered.sha256,
    });
    let value = Value::from_json(state.to_string().as_bytes(), &ty).expect("state conforms to the schema");
    (value, ty)
}

fn msgpack(c: &mut Criterion) {
    let (state, ty) = hpa_state();
    let bytes = state.to_msgpack(&ty).expect("encodes");
    let mut group = c.benchmark_group("msgpack_hpa_state");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("encode", |b| b.iter(|| black_box(&state).to_msgpack(&ty).expect("encodes")));
    group.bench_function("decode", |b| b.iter(|| Value::from_msgpack(black_box(&bytes), &ty).expect("decodes")));
    group.finish();
}

fn simulate_hour(c: &mut Criterion) {
    let hpa = Hpa::from_yaml(API_HPA).expect("the example HPA is valid");
    // An hour: 20 minutes quiet, a 10-minute spike, a slow 30-minute decline.
    let rps = |minutes: u32, rps: f64| LoadStep { duration_seconds: minutes * 60, demand: Demand::requests_per_second(rps) };
    let load = LoadProfile::new(vec![rps(20, 200.0), rps(10, 4000.0), rps(10, 2000.0), rps(10, 800.0), rps(10, 200.0)]);
    let scenario = Scenario::new(hpa, load).per_pod_capacity(100.0).pod_startup_seconds(30);
    assert!(simulate(&scenario).is_ok(), "the scenario simulates");
    c.bench_function("simulate/hpa_one_hour", |b| b.iter(|| simulate(black_box(&scenario)).expect("simulates")));
}

criterion_group!(benches, render_hpa, msgpack, simulate_hour);
criterion_main!(benches);

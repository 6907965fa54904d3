//! Acceptance tests of `autoscale_keda_scaled_object_manifest` under the real terraform: the
//! quickstart's Celery worker in KEDA's form known at plan time, applied, checked against KEDA's published
//! CRD schemas (2.16.0 and 2.20.2) together with every other scaler's form, an update, output
//! file drift, import from the file and destroy. Bad input is in tests/bad_input.rs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use acceptance::crd_schema::{self, CrdVersion};
use acceptance::{WORKER_BEHAVIOR, Workspace, repo_root};

/// The Celery worker: Redis list `celery` at 100 jobs per pod, 0–`max` pods, at least 2 from 08:00
/// to 20:00 on weekdays, the worker HPA's behavior; the Redis password read from a Secret.
fn worker(output: &Path, max: u32) -> String {
    format!(
        r#"
resource "autoscale_keda_scaled_object_manifest" "worker" {{
  name              = "worker"
  namespace         = "production"
  labels            = {{ "app.kubernetes.io/name" = "worker" }}
  min_replica_count = 0
  max_replica_count = {max}
  polling_interval  = 15
  cooldown_period   = 600
  output_path       = "{output}"

  target {{
    api_version = "apps/v1"
    kind        = "Deployment"
    name        = "worker"
  }}

  trigger {{
    redis {{
      address     = "redis.queues.svc:6379"
      list_name   = "celery"
      list_length = 100
    }}
    secret_target_ref {{
      parameter = "password"
      name      = "celery-broker"
      key       = "redis-password"
    }}
  }}

  trigger {{
    cron {{
      timezone         = "Europe/Paris"
      start            = "0 8 * * 1-5"
      end              = "0 20 * * 1-5"
      desired_replicas = 2
    }}
  }}

{behavior}}}
"#,
        output = output.display(),
        behavior = WORKER_BEHAVIOR,
    )
}

/// Every other argument and scaler: RabbitMQ with its broker URL from a Secret, Prometheus,
/// memory with a cpu floor, fallback, idle count, the generated HPA's name, an existing
/// TriggerAuthentication by name.
fn every_scaler() -> &'static str {
    r#"
resource "autoscale_keda_scaled_object_manifest" "video" {
  name                              = "video"
  namespace                         = "media"
  annotations                       = { "autoscaling.keda.sh/paused" = "false" }
  min_replica_count                 = 1
  idle_replica_count                = 0
  max_replica_count                 = 40
  polling_interval                  = 10
  cooldown_period                   = 120
  initial_cooldown_period           = 60
  hpa_name                          = "video-hpa"
  restore_to_original_replica_count = true

  target {
    api_version = "apps/v1"
    kind        = "StatefulSet"
    name        = "video"
  }

  fallback {
    failure_threshold = 3
    replicas          = 6
  }

  trigger {
    name = "backlog"
    rabbitmq {
      queue_name       = "video-processing"
      mode             = "QueueLength"
      value            = 20
      activation_value = 5
      vhost_name       = "/"
    }
    secret_target_ref {
      parameter = "host"
      name      = "rabbitmq"
      key       = "amqp-url"
    }
  }
  trigger {
    rabbitmq {
      queue_name = "video-processing"
      mode       = "MessageRate"
      value      = 2.5
      protocol   = "http"
    }
    authentication_ref  = "rabbitmq-management"
    authentication_kind = "ClusterTriggerAuthentication"
  }
  trigger {
    metric_type = "AverageValue"
    prometheus {
      server_address       = "http://prometheus.monitoring:9090"
      query                = "sum(celery_queue_length{queue_name=\"video-processing\"})"
      threshold            = 50
      activation_threshold = 1
      auth_modes           = "bearer"
    }
    secret_target_ref {
      parameter = "bearerToken"
      name      = "prometheus"
      key       = "token"
    }
  }
  trigger {
    metric_type = "Utilization"
    memory {
      value          = 80
      container_name = "encoder"
    }
  }
  trigger {
    metric_type = "AverageValue"
    cpu {
      value = "1500m"
    }
  }
  trigger {
    redis {
      host           = "redis.queues.svc"
      port           = 6380
      list_name      = "video"
      list_length    = 10
      database_index = 2
      enable_tls     = true
    }
  }

  behavior {}
}
"#
}

fn crds() -> Vec<(String, Vec<CrdVersion>)> {
    let dir = repo_root().join("tests/fixtures/crds/keda");
    let mut found = Vec::new();
    for version in ["v2.16.0", "v2.20.2"] {
        for kind in ["scaledobjects", "triggerauthentications"] {
            let file = format!("keda.sh_{kind}.{version}.yaml");
            found.push((file.clone(), crd_schema::load(dir.join(file))));
        }
    }
    found
}

/// Checks every object of `yaml` against both KEDA releases' CRDs; returns how many ScaledObjects
/// and TriggerAuthentications each release checked.
fn assert_valid_for_keda(yaml: &str) -> Vec<usize> {
    let mut counts = Vec::new();
    for (file, versions) in crds() {
        let (checked, errors) = crd_schema::validate_documents(&versions, yaml);
        assert!(errors.is_empty(), "{file}:\n{}\n---\n{yaml}", errors.join("\n"));
        counts.push(checked);
    }
    counts
}

fn out_dir(ws: &Workspace) -> PathBuf {
    ws.path().join("out")
}

#[test]
fn basic_crd_valid_import_and_destroy() {
    let ws = Workspace::empty();
    let file = out_dir(&ws).join("worker.yaml");
    ws.write_config(&worker(&file, 100));

    let plan = ws.plan(&[]);
    assert_eq!(plan.code, 2, "{}", plan.text());
    assert!(plan.stdout.contains("listName: celery") && plan.stdout.contains("kind: TriggerAuthentication"), "plan does not show the manifest:\n{}", plan.stdout);

    ws.apply();
    let attrs = ws.attrs("autoscale_keda_scaled_object_manifest.worker");
    let yaml = attrs["yaml"].as_str().unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), yaml);
    assert_eq!(attrs["id"], "production/worker");
    assert_eq!(attrs["sha256"], attrs["output_file_sha256"]);
    assert_eq!(attrs["documents"].as_array().map(Vec::len), Some(2), "{attrs:?}");
    for needle in [
        "name: worker-redis",
        "parameter: password",
        "key: redis-password",
        "minReplicaCount: 0",
        "maxReplicaCount: 100",
        "listLength: \"100\"",
        "desiredReplicas: \"2\"",
        "stabilizationWindowSeconds: 600",
        "authenticationRef:\n      name: worker-redis",
    ] {
        assert!(yaml.contains(needle), "the manifest lacks {needle:?}:\n{yaml}");
    }
    // One TriggerAuthentication and one ScaledObject for each KEDA release's CRD.
    assert_eq!(assert_valid_for_keda(yaml), vec![1, 1, 1, 1]);
    ws.assert_no_changes();

    ws.assert_import_verifies("autoscale_keda_scaled_object_manifest.worker", file.to_str().unwrap(), &[]);

    ws.destroy();
    assert!(!file.exists(), "destroy left {}", file.display());
}

#[test]
fn every_scaler_renders_objects_keda_accepts() {
    let ws = Workspace::empty();
    ws.write_config(every_scaler());
    ws.apply();
    let attrs = ws.attrs("autoscale_keda_scaled_object_manifest.video");
    let yaml = attrs["yaml"].as_str().unwrap();
    assert_eq!(assert_valid_for_keda(yaml), vec![1, 2, 1, 2], "{yaml}");
    for needle in [
        "name: video-rabbitmq-0",
        "kind: ClusterTriggerAuthentication",
        "value: \"2.5\"",
        "metricType: Utilization",
        "containerName: encoder",
        "enableTLS: \"true\"",
        "restoreToOriginalReplicaCount: true",
        "name: video-hpa",
        "behavior: {}",
        "failureThreshold: 3",
        "authModes: bearer",
        "name: video-prometheus",
        "parameter: bearerToken",
    ] {
        assert!(yaml.contains(needle), "the manifest lacks {needle:?}:\n{yaml}");
    }
    ws.assert_no_changes();
    ws.destroy();
}

#[test]
fn update_shows_the_new_manifest_and_drift_is_repaired() {
    let ws = Workspace::empty();
    let file = out_dir(&ws).join("worker.yaml");
    ws.write_config(&worker(&file, 100));
    ws.apply();

    ws.write_config(&worker(&file, 60));
    let out = ws.assert_changes(&["maxReplicaCount: 60"]);
    assert!(!out.stdout.contains("must be replaced"), "{}", out.stdout);
    ws.apply();
    let yaml = std::fs::read_to_string(&file).unwrap();
    assert!(yaml.contains("maxReplicaCount: 60"), "{yaml}");
    ws.assert_no_changes();

    ws.assert_output_file_drift_repaired(&file, &yaml.replace("listLength: \"100\"", "listLength: \"1\""));
    ws.destroy();
    assert!(!file.exists());
}

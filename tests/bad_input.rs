//! Bad input, table-driven: each case changes one setting of a valid configuration of one
//! resource or data source, and `terraform plan` must fail with a diagnostic that points at the
//! attribute (Terraform shows the attribute's line of main.tf only when the provider gives the
//! attribute path) and says what is wrong, without any AWS write and without a panic.
//! The table is also the page docs/guides/bad-input.md: the test fails when the page is stale;
//! `UPDATE_DOCS=1 cargo test -p acceptance --test bad_input` rewrites it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use acceptance::{Workspace, create_cluster, emulator, repo_root, unique};

/// One invalid configuration: `from` in the valid configuration of `resource` becomes `to`.
struct Case {
    resource: &'static str,
    from: &'static str,
    to: &'static str,
    /// What the line Terraform quotes from main.tf (the attribute or block the diagnostic's
    /// path points at) contains.
    attribute: &'static str,
    /// What the diagnostic says (whitespace-collapsed).
    message: &'static str,
}

const fn case(resource: &'static str, from: &'static str, to: &'static str, attribute: &'static str, message: &'static str) -> Case {
    Case { resource, from, to, attribute, message }
}

/// The valid configuration each case starts from. `__NAME__` is unique per case, `__ASG__` an
/// Auto Scaling group and `__CLUSTER__` an EKS cluster that exist.
fn base(resource: &str) -> &'static str {
    match resource {
        "autoscale_spot_node_group" => {
            r#"resource "autoscale_spot_node_group" "this" {
  cluster_name        = "__CLUSTER__"
  node_group_name     = "__NAME__"
  node_role_arn       = "arn:aws:iam::123456789012:role/eks-node"
  subnet_ids          = ["subnet-aaaa1111", "subnet-bbbb2222"]
  instance_types      = ["c5.xlarge", "c5a.xlarge"]
  capacity_type       = "SPOT"
  desired_size_policy = "initial"

  scaling {
    min_size     = 1
    max_size     = 5
    desired_size = 2
  }

  update_config {
    max_unavailable_percentage = 33
  }

  labels = { workload = "batch" }

  taint {
    key    = "workload"
    value  = "batch"
    effect = "NO_SCHEDULE"
  }

  timeouts {
    create = "30m"
  }
}
"#
        }
        "autoscale_asg_discovery_tags" => {
            r#"resource "autoscale_asg_discovery_tags" "this" {
  cluster_name = "__CLUSTER__"
  asg_names    = ["__ASG__"]
  labels       = { role = "__NAME__" }
  resources    = { "ephemeral-storage" = "100G" }

  taint {
    key    = "dedicated"
    value  = "batch"
    effect = "NoSchedule"
  }

  autoscaling_options {
    scale_down_utilization_threshold = 0.4
    scale_down_unneeded_time         = "15m"
  }
}
"#
        }
        "autoscale_scheduled_action" => {
            r#"resource "autoscale_scheduled_action" "this" {
  asg_name         = "__ASG__"
  name             = "__NAME__"
  recurrence       = "0 8 * * MON-FRI"
  time_zone        = "Europe/Paris"
  min_size         = 1
  max_size         = 5
  desired_capacity = 2
}
"#
        }
        "autoscale_scaling_schedule" => {
            r#"resource "autoscale_scaling_schedule" "this" {
  asg_name  = "__ASG__"
  name      = "__NAME__"
  time_zone = "Europe/Paris"

  window {
    days             = "MON-FRI"
    start            = "08:00"
    end              = "18:00"
    min_size         = 1
    max_size         = 10
    desired_capacity = 5
  }

  off_hours {
    min_size         = 1
    max_size         = 2
    desired_capacity = 1
  }
}
"#
        }
        "autoscale_hpa_manifest" => {
            r#"resource "autoscale_hpa_manifest" "this" {
  name         = "__NAME__"
  namespace    = "production"
  labels       = { "app.kubernetes.io/name" = "api" }
  min_replicas = 2
  max_replicas = 50

  target {
    api_version = "apps/v1"
    kind        = "Deployment"
    name        = "api"
  }

  metric {
    type                = "Resource"
    name                = "cpu"
    average_utilization = 70
  }

  behavior {
    scale_up {
      stabilization_window_seconds = 0
      select_policy                = "Max"
      policy {
        type           = "Pods"
        value          = 4
        period_seconds = 15
      }
    }
    scale_down {
      stabilization_window_seconds = 300
      policy {
        type           = "Percent"
        value          = 50
        period_seconds = 60
      }
    }
  }
}
"#
        }
        "autoscale_cluster_autoscaler_manifest" => {
            r#"resource "autoscale_cluster_autoscaler_manifest" "this" {
  cluster_name                     = "__CLUSTER__"
  kubernetes_version               = "1.31"
  iam_role_arn                     = "arn:aws:iam::123456789012:role/cluster-autoscaler"
  expander                         = ["least-waste"]
  scale_down_delay_after_add       = "10m"
  scale_down_utilization_threshold = 0.5
  max_node_provision_time          = "15m"
  extra_args                       = ["--new-pod-scale-up-delay=30s"]
}
"#
        }
        "autoscale_prometheus_adapter_manifest" => {
            r#"resource "autoscale_prometheus_adapter_manifest" "this" {
  name      = "__NAME__"
  namespace = "monitoring"

  external_rule {
    metric_name  = "celery_queue_depth"
    series_query = "celery_queue_depth{queue!=\"\"}"
    namespaced   = false
    aggregation  = "sum"
    window       = "2m"
  }
}
"#
        }
        "autoscale_keda_scaled_object_manifest" => {
            r#"resource "autoscale_keda_scaled_object_manifest" "this" {
  name              = "__NAME__"
  namespace         = "production"
  min_replica_count = 0
  max_replica_count = 100
  polling_interval  = 15
  cooldown_period   = 600

  target {
    api_version = "apps/v1"
    kind        = "Deployment"
    name        = "worker"
  }

  fallback {
    failure_threshold = 3
    replicas          = 10
  }

  trigger {
    redis {
      address     = "redis.queues.svc:6379"
      list_name   = "celery"
      list_length = 100
    }
    secret_target_ref {
      parameter = "password"
      name      = "celery-broker"
      key       = "redis-password"
    }
  }

  trigger {
    cron {
      timezone         = "Europe/Paris"
      start            = "0 8 * * 1-5"
      end              = "0 20 * * 1-5"
      desired_replicas = 2
    }
  }

  trigger {
    rabbitmq {
      queue_name = "video-processing"
      mode       = "QueueLength"
      value      = 20
    }
    secret_target_ref {
      parameter = "host"
      name      = "rabbitmq"
      key       = "amqp-url"
    }
  }

  trigger {
    prometheus {
      server_address = "http://prometheus.monitoring:9090"
      query          = "sum(celery_queue_length{queue_name=\"default\"})"
      threshold      = 100
    }
  }

  behavior {
    scale_up {
      stabilization_window_seconds = 0
      policy {
        type           = "Percent"
        value          = 200
        period_seconds = 30
      }
    }
  }
}
"#
        }
        "autoscale_queue_exporter_manifest" => {
            r#"resource "autoscale_queue_exporter_manifest" "this" {
  name   = "__NAME__"
  queues = ["celery", "video-processing", "default"]

  broker_url_secret {
    name = "celery-broker"
    key  = "url"
  }

  service_monitor {
    interval = "15s"
  }
}
"#
        }
        "data.autoscale_cost_estimate" => {
            r#"data "autoscale_cost_estimate" "this" {
  instance_types      = ["m5.large", "c5.xlarge"]
  capacity_type       = "SPOT"
  weights             = { "m5.large" = 2 }
  spot_statistic      = "median"
  spot_lookback_hours = 168

  window {
    days             = "MON-FRI"
    start            = "08:00"
    end              = "18:00"
    desired_capacity = 5
  }
  off_hours {
    desired_capacity = 1
  }

  price_override {
    instance_type = "c5.xlarge"
    on_demand     = 0.17
  }
}
"#
        }
        "autoscale_karpenter_node_pool_manifest" => {
            r#"resource "autoscale_karpenter_node_pool_manifest" "this" {
  name           = "__NAME__"
  cluster_name   = "__CLUSTER__"
  role           = "KarpenterNodeRole-prod"
  ami_alias      = "al2023@latest"
  capacity_types = ["SPOT"]
  instance_types = ["c5.xlarge", "c5a.xlarge"]
  labels         = { workload = "batch" }
  limits         = { cpu = "200", memory = "400Gi" }
  expire_after   = "720h"
  weight         = 10

  requirement {
    key      = "karpenter.k8s.aws/instance-generation"
    operator = "Gt"
    values   = ["4"]
  }

  taint {
    key    = "workload"
    value  = "batch"
    effect = "NO_SCHEDULE"
  }

  budget {
    nodes    = "0"
    schedule = "0 8 * * 1-5"
    duration = "10h"
  }

  block_device_mapping {
    device_name = "/dev/xvda"
    volume_size = "50Gi"
    volume_type = "gp3"
  }
}
"#
        }
        "data.autoscale_hpa_simulation" => {
            r#"data "autoscale_hpa_simulation" "this" {
  hpa_yaml = <<-EOT
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata:
      name: __NAME__
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
      minReplicas: 2
      maxReplicas: 50
      metrics:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
  EOT

  profile             = "spike"
  per_pod_capacity    = 60
  pod_startup_seconds = 30

  expect {
    replicas       = 10
    within_seconds = 600
    from_seconds   = 120
    severity       = "warning"
  }
}
"#
        }
        other => panic!("no base configuration for {other}"),
    }
}

/// The table. Each row is one mistake a person makes.
const CASES: &[Case] = &[
    // autoscale_spot_node_group
    case("autoscale_spot_node_group", "desired_size = 2", "desired_size = 9", "desired_size", "above max_size"),
    case("autoscale_spot_node_group", "min_size     = 1", "min_size     = 3", "desired_size", "below min_size"),
    case("autoscale_spot_node_group", "max_size     = 5", "max_size     = 0", "max_size", "at least 1"),
    case("autoscale_spot_node_group", r#"["c5.xlarge", "c5a.xlarge"]"#, "[]", "instance_types", "instance_types is empty"),
    case("autoscale_spot_node_group", r#"["c5.xlarge", "c5a.xlarge"]"#, r#"["c5.xlarge", "c5.xlarge"]"#, "instance_types", "more than once"),
    case("autoscale_spot_node_group", r#"capacity_type       = "SPOT""#, r#"capacity_type = "CHEAP""#, "capacity_type", "must be one of"),
    case("autoscale_spot_node_group", r#"effect = "NO_SCHEDULE""#, r#"effect = "NoSchedule""#, "effect", "must be one of"),
    case("autoscale_spot_node_group", "labels = { workload = \"batch\" }", "labels = { \"-bad\" = \"x\" }", "labels", "Invalid Kubernetes label key"),
    case("autoscale_spot_node_group", "labels = { workload = \"batch\" }", "labels = { ok = \"has space\" }", "labels", "Invalid Kubernetes label value"),
    case("autoscale_spot_node_group", r#"node_group_name     = "__NAME__""#, r#"node_group_name = "-__NAME__""#, "node_group_name", "must start with a letter or digit"),
    case("autoscale_spot_node_group", r#"node_role_arn       = "arn:aws:iam::123456789012:role/eks-node""#, r#"node_role_arn = "eks-node-__NAME__""#, "node_role_arn", "must be an IAM role ARN"),
    case("autoscale_spot_node_group", "max_unavailable_percentage = 33", "max_unavailable_percentage = 150", "max_unavailable_percentage", "between 1 and 100"),
    case("autoscale_spot_node_group", r#"desired_size_policy = "initial""#, r#"desired_size_policy = "sometimes""#, "desired_size_policy", "must be one of"),
    case("autoscale_spot_node_group", r#"subnet_ids          = ["subnet-aaaa1111", "subnet-bbbb2222"]"#, "subnet_ids = []", "subnet_ids", "must have a length between 1"),
    case("autoscale_spot_node_group", r#"create = "30m""#, r#"create = "half an hour""#, "create", "is not a duration"),
    // autoscale_asg_discovery_tags
    case("autoscale_asg_discovery_tags", r#"effect = "NoSchedule""#, r#"effect = "NoScheduleX""#, "effect", "must be one of"),
    case("autoscale_asg_discovery_tags", "scale_down_utilization_threshold = 0.4", "scale_down_utilization_threshold = 1.5", "scale_down_utilization_threshold", "between 0 and 1"),
    case("autoscale_asg_discovery_tags", r#"scale_down_unneeded_time         = "15m""#, r#"scale_down_unneeded_time = "ten minutes""#, "scale_down_unneeded_time", "Invalid duration"),
    case("autoscale_asg_discovery_tags", r#"{ "ephemeral-storage" = "100G" }"#, r#"{ "ephemeral-storage" = "lots" }"#, "resources", "Invalid quantity"),
    case("autoscale_asg_discovery_tags", r#"labels       = { role = "__NAME__" }"#, r#"labels = { "bad key!" = "__NAME__" }"#, "labels", "Invalid label key"),
    case("autoscale_asg_discovery_tags", r#"asg_names    = ["__ASG__"]"#, r#"asg_names = ["__ASG__"]
  node_group_name = "__NAME__""#, "asg_names", "Set only one of `node_group_name` and `asg_names`"),
    case("autoscale_asg_discovery_tags", r#"key    = "dedicated""#, r#"key    = "bad key!""#, "key", "taint[0].key is \"bad key!\", which must consist of letters"),
    case("autoscale_asg_discovery_tags", r#"asg_names    = ["__ASG__"]"#, "asg_names = []", "asg_names", "No ASG names"),
    // autoscale_scheduled_action
    case("autoscale_scheduled_action", r#""0 8 * * MON-FRI""#, r#""0 8 * * MON#2""#, "recurrence", "Invalid recurrence"),
    case("autoscale_scheduled_action", r#""0 8 * * MON-FRI""#, r#""0 8 * *""#, "recurrence", "it has 4 fields"),
    case("autoscale_scheduled_action", r#""0 8 * * MON-FRI""#, r#""0 25 * * *""#, "recurrence", "Invalid recurrence"),
    case("autoscale_scheduled_action", r#""Europe/Paris""#, r#""Europe/Pariss""#, "time_zone", "Unknown time zone"),
    case("autoscale_scheduled_action", "min_size         = 1", "min_size = 6", "min_size", "greater than max_size"),
    case("autoscale_scheduled_action", "desired_capacity = 2", "desired_capacity = 9", "desired_capacity", "above max_size"),
    case("autoscale_scheduled_action", "  min_size         = 1\n  max_size         = 5\n  desired_capacity = 2\n", "", "resource", "No capacity to set"),
    case("autoscale_scheduled_action", r#"time_zone        = "Europe/Paris""#, "start_time = \"tomorrow\"", "start_time", "RFC 3339"),
    case("autoscale_scheduled_action", r#"time_zone        = "Europe/Paris""#, "start_time = \"2031-01-02T00:00:00Z\"\n  end_time = \"2031-01-01T00:00:00Z\"", "end_time", "End time not after start time"),
    case("autoscale_scheduled_action", r#"recurrence       = "0 8 * * MON-FRI""#, "start_time = \"2024-01-01T00:00:00Z\"", "start_time", "Start time in the past"),
    case("autoscale_scheduled_action", r#"asg_name         = "__ASG__""#, "asg_name = \"__ASG__\"\n  cluster_name = \"__CLUSTER__\"\n  node_group_name = \"ng\"", "asg_name", "cannot be set together with `cluster_name`"),
    // autoscale_scaling_schedule
    case("autoscale_scaling_schedule", r#"days             = "MON-FRI""#, r#"days = "MON#2""#, "days", "Invalid days"),
    case("autoscale_scaling_schedule", r#"start            = "08:00""#, r#"start = "8am""#, "start", "HH:MM"),
    case("autoscale_scaling_schedule", r#"end              = "18:00""#, r#"end = "07:00""#, "end", "Window ends before it starts"),
    case("autoscale_scaling_schedule", r#"time_zone = "Europe/Paris""#, r#"time_zone = "Mars/Olympus_Mons""#, "time_zone", "Unknown time zone"),
    case("autoscale_scaling_schedule", "desired_capacity = 5", "desired_capacity = 11", "desired_capacity", "max_size"),
    case("autoscale_scaling_schedule", "    min_size         = 1\n    max_size         = 2\n    desired_capacity = 1", "    min_size = 3\n    max_size = 2\n    desired_capacity = 2", "min_size", "min_size (3) is greater than max_size (2)"),
    case("autoscale_scaling_schedule", "    min_size         = 1\n    max_size         = 2\n    desired_capacity = 1", "    desired_capacity = 1", "off_hours", "Capacity set in some periods only"),
    case(
        "autoscale_scaling_schedule",
        "  off_hours {",
        "  window {\n    days = \"FRI,SAT\"\n    start = \"17:00\"\n    end = \"20:00\"\n    min_size = 1\n    max_size = 10\n    desired_capacity = 3\n  }\n  off_hours {",
        "start",
        "Overlapping windows",
    ),
    case("autoscale_scaling_schedule", r#"name      = "__NAME__""#, r#"name = "bad name __NAME__""#, "name", "letters"),
    // autoscale_hpa_manifest
    case("autoscale_hpa_manifest", "max_replicas = 50", "max_replicas = 0", "max_replicas", "must be at least 1"),
    case("autoscale_hpa_manifest", "min_replicas = 2", "min_replicas = 60", "max_replicas", "greater than or equal to min_replicas"),
    case("autoscale_hpa_manifest", "min_replicas = 2", "min_replicas = 0", "min_replicas", "at least 1"),
    case("autoscale_hpa_manifest", "stabilization_window_seconds = 300", "stabilization_window_seconds = 3601", "stabilization_window_seconds", "between 0 and 3600"),
    case("autoscale_hpa_manifest", "period_seconds = 60", "period_seconds = 1801", "period_seconds", "between 1 and 1800"),
    case("autoscale_hpa_manifest", r#"select_policy                = "Max""#, r#"select_policy = "Largest""#, "select_policy", "must be one of"),
    case("autoscale_hpa_manifest", r#"type           = "Pods""#, r#"type = "Nodes""#, "type", "must be one of"),
    case("autoscale_hpa_manifest", "value          = 4", "value = 0", "value", "at least 1"),
    case("autoscale_hpa_manifest", r#"name         = "__NAME__""#, r#"name = "API_v2""#, "name", "not a valid Kubernetes name"),
    case("autoscale_hpa_manifest", r#""app.kubernetes.io/name" = "api""#, r#""bad key!" = "api""#, "labels", "not a valid label key"),
    case("autoscale_hpa_manifest", "average_utilization = 70", "average_utilization = 70\n    average_value = \"1Gi\"", "average_value", "exactly one of"),
    case("autoscale_hpa_manifest", r#"type                = "Resource""#, r#"type = "External""#, "average_utilization", "only for Resource and ContainerResource"),
    case("autoscale_hpa_manifest", "average_utilization = 70", "average_utilization = 0", "average_utilization", "greater than 0"),
    // autoscale_cluster_autoscaler_manifest
    case("autoscale_cluster_autoscaler_manifest", r#"kubernetes_version               = "1.31""#, r#"kubernetes_version = "1.27""#, "kubernetes_version", "no Cluster Autoscaler release is known"),
    case("autoscale_cluster_autoscaler_manifest", r#"kubernetes_version               = "1.31""#, r#"kubernetes_version = "latest""#, "kubernetes_version", "not a Kubernetes version"),
    case("autoscale_cluster_autoscaler_manifest", r#"["least-waste"]"#, r#"["cheapest"]"#, "expander", "must be one of"),
    case("autoscale_cluster_autoscaler_manifest", r#"scale_down_delay_after_add       = "10m""#, r#"scale_down_delay_after_add = "10 minutes""#, "scale_down_delay_after_add", "not a duration"),
    case("autoscale_cluster_autoscaler_manifest", "scale_down_utilization_threshold = 0.5", "scale_down_utilization_threshold = 1.5", "scale_down_utilization_threshold", "between 0 and 1"),
    case("autoscale_cluster_autoscaler_manifest", "arn:aws:iam::123456789012:role/cluster-autoscaler", "cluster-autoscaler", "iam_role_arn", "not an IAM role ARN"),
    case("autoscale_cluster_autoscaler_manifest", r#"["--new-pod-scale-up-delay=30s"]"#, r#"["--expander=random"]"#, "extra_args", "typed argument `expander`"),
    case("autoscale_cluster_autoscaler_manifest", r#"cluster_name                     = "__CLUSTER__""#, r#"cluster_name = "prod cluster""#, "cluster_name", "not an EKS cluster name"),
    // autoscale_prometheus_adapter_manifest
    case("autoscale_prometheus_adapter_manifest", r#"window       = "2m""#, r#"window = "2 minutes""#, "window", "not a Prometheus duration"),
    case("autoscale_prometheus_adapter_manifest", r#"aggregation  = "sum""#, r#"aggregation = "median""#, "aggregation", "must be one of"),
    case("autoscale_prometheus_adapter_manifest", r#"name      = "__NAME__""#, r#"name = "Adapter""#, "name", "not a valid Kubernetes name"),
    case("autoscale_prometheus_adapter_manifest", r#"window       = "2m""#, "window = \"2m\"\n    metrics_query = \"sum(<<.Series>>)\"", "metrics_query", "Conflicting attributes"),
    case(
        "autoscale_prometheus_adapter_manifest",
        "  }\n}",
        "  }\n  external_rule {\n    metric_name  = \"celery_queue_depth\"\n    series_query = \"other\"\n  }\n}",
        "metric_name",
        "earlier rule",
    ),
    // autoscale_keda_scaled_object_manifest
    case("autoscale_keda_scaled_object_manifest", "max_replica_count = 100", "max_replica_count = 0", "max_replica_count", "must be at least 1"),
    case("autoscale_keda_scaled_object_manifest", "min_replica_count = 0", "min_replica_count = 200", "max_replica_count", "greater than or equal to min_replica_count (200)"),
    case("autoscale_keda_scaled_object_manifest", "min_replica_count = 0", "min_replica_count = 0\n  idle_replica_count = 0", "idle_replica_count", "must be less than min_replica_count"),
    case("autoscale_keda_scaled_object_manifest", "polling_interval  = 15", "polling_interval = 0", "polling_interval", "polling_interval is 0 seconds, but it must be at least 1"),
    case("autoscale_keda_scaled_object_manifest", "cooldown_period   = 600", "cooldown_period = -60", "cooldown_period", "must be at least 0"),
    case("autoscale_keda_scaled_object_manifest", r#"name              = "__NAME__""#, r#"name = "Worker""#, "name", "not a valid Kubernetes name"),
    case("autoscale_keda_scaled_object_manifest", r#"name        = "worker""#, r#"name = "wor/ker""#, "name", "not a valid object name"),
    case("autoscale_keda_scaled_object_manifest", "failure_threshold = 3", "failure_threshold = 0", "failure_threshold", "at least 1"),
    case("autoscale_keda_scaled_object_manifest", "list_length = 100", r#"list_length = "many""#, "list_length", "must be a whole number, at least 1"),
    case("autoscale_keda_scaled_object_manifest", r#"list_name   = "celery""#, r#"list_name = """#, "list_name", "must be non-empty"),
    case("autoscale_keda_scaled_object_manifest", r#"address     = "redis.queues.svc:6379""#, r#"address = "redis.queues.svc""#, "address", "is not host:port"),
    case("autoscale_keda_scaled_object_manifest", r#"timezone         = "Europe/Paris""#, r#"timezone = "Europe/Pariss""#, "timezone", "is not an IANA time zone name"),
    case("autoscale_keda_scaled_object_manifest", r#"start            = "0 8 * * 1-5""#, r#"start = "0 8 * *""#, "start", "is not a 5-field cron expression"),
    case("autoscale_keda_scaled_object_manifest", r#"end              = "0 20 * * 1-5""#, r#"end = "0 8 * * 1-5""#, "end", "start and end are the same time"),
    case("autoscale_keda_scaled_object_manifest", "desired_replicas = 2", "desired_replicas = 0", "desired_replicas", "must be a whole number, at least 1"),
    case("autoscale_keda_scaled_object_manifest", r#"mode       = "QueueLength""#, r#"mode = "Backlog""#, "mode", "mode must be QueueLength or MessageRate"),
    case("autoscale_keda_scaled_object_manifest", "value      = 20", "value = -1", "value", "must be a number greater than 0"),
    case("autoscale_keda_scaled_object_manifest", r#"parameter = "host""#, r#"parameter = "hostname""#, "parameter", "not an auth parameter of the rabbitmq scaler"),
    case("autoscale_keda_scaled_object_manifest", r#"name      = "rabbitmq""#, r#"name = "RabbitMQ""#, "name", "is not a Secret name"),
    case("autoscale_keda_scaled_object_manifest", r#"server_address = "http://prometheus.monitoring:9090""#, r#"server_address = "prometheus:9090""#, "server_address", "must be an http:// or https:// URL"),
    case("autoscale_keda_scaled_object_manifest", "threshold      = 100", "threshold = 0", "threshold", "must be a number greater than 0"),
    case("autoscale_keda_scaled_object_manifest", "    prometheus {", "    metric_type = \"Utilization\"\n    prometheus {", "metric_type", "not a metric type of the prometheus scaler"),
    case("autoscale_keda_scaled_object_manifest", "period_seconds = 30", "period_seconds = 1801", "period_seconds", "between 1 and 1800"),
    // autoscale_queue_exporter_manifest
    case("autoscale_queue_exporter_manifest", r#""video-processing""#, r#""video,processing""#, "queues", "no commas or spaces"),
    case("autoscale_queue_exporter_manifest", r#"name = "celery-broker""#, r#"name = "Celery Broker""#, "name", "is not a Secret name"),
    case("autoscale_queue_exporter_manifest", r#"key  = "url""#, r#"key = "broker/url""#, "key", "is not a Secret key"),
    case("autoscale_queue_exporter_manifest", r#"interval = "15s""#, r#"interval = "15 seconds""#, "interval", "is not a duration"),
    case("autoscale_queue_exporter_manifest", r#"queues = ["celery", "video-processing", "default"]"#, "queues = [\"celery\"]\n  port = 70000", "port", "between 1 and 65535"),
    // data.autoscale_hpa_simulation
    case("data.autoscale_hpa_simulation", r#"profile             = "spike""#, r#"profile = "burst""#, "profile", "`sustained`, `spike`, `ramp`"),
    case("data.autoscale_hpa_simulation", "per_pod_capacity    = 60", "per_pod_capacity = -5", "per_pod_capacity", "must be greater than 0"),
    case("data.autoscale_hpa_simulation", "maxReplicas: 50", "maxReplicas: 1", "hpa_yaml", "spec.maxReplicas is 1 but must be greater than or equal to minReplicas (2)"),
    case("data.autoscale_hpa_simulation", "pod_startup_seconds = 30", "pod_startup_seconds = -1", "pod_startup_seconds", "pod_startup_seconds"),
    case("data.autoscale_hpa_simulation", r#"severity       = "warning""#, r#"severity = "fatal""#, "severity", "must be one of"),
    // autoscale_karpenter_node_pool_manifest
    case("autoscale_karpenter_node_pool_manifest", r#"capacity_types = ["SPOT"]"#, r#"capacity_types = ["spot"]"#, "capacity_types", "must be one of"),
    case("autoscale_karpenter_node_pool_manifest", r#"capacity_types = ["SPOT"]"#, "capacity_types = []", "capacity_types", "at least one capacity type"),
    case("autoscale_karpenter_node_pool_manifest", r#"operator = "Gt""#, r#"operator = "Gte""#, "operator", "must be one of"),
    case("autoscale_karpenter_node_pool_manifest", r#"values   = ["4"]"#, r#"values = ["four"]"#, "values", "exactly one value, a whole number"),
    case("autoscale_karpenter_node_pool_manifest", r#"key      = "karpenter.k8s.aws/instance-generation""#, r#"key = "karpenter.sh/nodepool""#, "key", "set by Karpenter itself"),
    case("autoscale_karpenter_node_pool_manifest", r#"key      = "karpenter.k8s.aws/instance-generation""#, r#"key = "node.kubernetes.io/instance-type""#, "key", "already set by `instance_types`"),
    case("autoscale_karpenter_node_pool_manifest", "labels         = { workload = \"batch\" }", "labels = { \"kubernetes.io/role\" = \"batch\" }", "labels", "kubernetes.io domain"),
    case("autoscale_karpenter_node_pool_manifest", "labels         = { workload = \"batch\" }", "labels = { workload = \"batch jobs\" }", "labels", "not a valid label value"),
    case("autoscale_karpenter_node_pool_manifest", r#"effect = "NO_SCHEDULE""#, r#"effect = "NoSchedule""#, "effect", "must be one of"),
    case("autoscale_karpenter_node_pool_manifest", r#"expire_after   = "720h""#, r#"expire_after = "30d""#, "expire_after", "not a Karpenter duration"),
    case("autoscale_karpenter_node_pool_manifest", r#"schedule = "0 8 * * 1-5""#, r#"schedule = "0 25 * * 1-5""#, "schedule", "not a 5-field cron expression"),
    case("autoscale_karpenter_node_pool_manifest", r#"duration = "10h""#, r#"duration = "45s""#, "duration", "minutes and hours only"),
    case("autoscale_karpenter_node_pool_manifest", r#"nodes    = "0""#, r#"nodes = "150%""#, "nodes", "percentage from 0% to 100%"),
    case("autoscale_karpenter_node_pool_manifest", r#"limits         = { cpu = "200", memory = "400Gi" }"#, r#"limits = { cpu = "200 cores" }"#, "limits", "not a Kubernetes quantity"),
    case("autoscale_karpenter_node_pool_manifest", "weight         = 10", "weight = 0", "weight", "between 1 and 100"),
    case("autoscale_karpenter_node_pool_manifest", r#"ami_alias      = "al2023@latest""#, r#"ami_alias = "ubuntu@latest""#, "ami_alias", "not an AMI alias family"),
    case("autoscale_karpenter_node_pool_manifest", r#"ami_alias      = "al2023@latest""#, r#"ami_ids = ["ami-0123456789abcdef0"]"#, "ami_ids", "ami_family is required with ami_ids"),
    case("autoscale_karpenter_node_pool_manifest", r#"role           = "KarpenterNodeRole-prod""#, "role = \"KarpenterNodeRole-prod\"\n  instance_profile = \"KarpenterNodeProfile\"", "instance_profile", "not both"),
    case("autoscale_karpenter_node_pool_manifest", r#"volume_size = "50Gi""#, r#"volume_size = "50GB""#, "volume_size", "not a volume size"),
    case("autoscale_karpenter_node_pool_manifest", r#"name           = "__NAME__""#, r#"name = "Batch_Spot""#, "name", "not a valid Kubernetes name"),
    // data.autoscale_cost_estimate
    case("data.autoscale_cost_estimate", r#"capacity_type       = "SPOT""#, r#"capacity_type = "RESERVED""#, "capacity_type", "must be one of"),
    case("data.autoscale_cost_estimate", r#"spot_statistic      = "median""#, r#"spot_statistic = "p90""#, "spot_statistic", "must be one of"),
    case("data.autoscale_cost_estimate", "spot_lookback_hours = 168", "spot_lookback_hours = 5000", "spot_lookback_hours", "between 1 and 2160"),
    case("data.autoscale_cost_estimate", "spot_lookback_hours = 168", "spot_lookback_hours = 168\n  region = \"Ireland\"", "region", "AWS region code"),
    case("data.autoscale_cost_estimate", r#"["m5.large", "c5.xlarge"]"#, r#"["m5.large", "c5 xlarge"]"#, "instance_types", "EC2 instance type"),
    case("data.autoscale_cost_estimate", r#"{ "m5.large" = 2 }"#, r#"{ "m6.large" = 2 }"#, "weights", "m6.large, which is not one of instance_types"),
    case("data.autoscale_cost_estimate", r#"end              = "18:00""#, r#"end = "07:00""#, "end", "Window ends before it starts"),
    case("data.autoscale_cost_estimate", "spot_lookback_hours = 168", "spot_lookback_hours = 168\n  node_count = 3", "node_count", "node_count and window are different ways of giving the capacity"),
    case("data.autoscale_cost_estimate", "on_demand     = 0.17", "on_demand = 0", "on_demand", "between"),
    case("data.autoscale_cost_estimate", "spot_lookback_hours = 168", "spot_lookback_hours = 168\n  static_node_count = 2", "static_node_count", "more than 2 nodes running all 168 hours"),
    case(
        "data.autoscale_cost_estimate",
        r#"["m5.large", "c5.xlarge"]"#,
        r#"["m5.large", "c5.xlarge", "u-12tb1.112xlarge"]"#,
        "instance_types",
        "no On-Demand price for u-12tb1.112xlarge (Linux, shared tenancy, no pre-installed software) in us-east-1",
    ),
];

/// What one case did, for the report.
struct Outcome {
    index: usize,
    problems: Vec<String>,
}

/// Terraform's output with line wrapping and box rules undone.
fn flat(text: &str) -> String {
    text.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The lines of main.tf Terraform quotes under its diagnostics (`  12:   min_size = 3`).
fn quoted_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim_start_matches(['│', ' ']))
        .filter_map(|l| {
            let (number, rest) = l.split_once(':')?;
            (!number.is_empty() && number.chars().all(|c| c.is_ascii_digit())).then(|| rest.trim().to_string())
        })
        .collect()
}

fn configuration(resource: &str, from: &str, to: &str, name: &str, asg: &str, cluster: &str) -> String {
    let base = base(resource);
    assert!(base.contains(from), "{resource}: {from:?} is not in the base configuration");
    base.replacen(from, to, 1).replace("__NAME__", name).replace("__ASG__", asg).replace("__CLUSTER__", cluster)
}

fn check(index: usize, case: &Case, asg: &str, cluster: &str) -> Outcome {
    let name = unique(&format!("bad{index}"));
    let ws = Workspace::new(&configuration(case.resource, case.from, case.to, &name, asg, cluster));
    let out = ws.plan(&[]);
    let text = out.text();
    let mut problems = Vec::new();
    if out.code != 1 {
        problems.push(format!("plan exited {} instead of failing", out.code));
    }
    if !flat(&text).contains(case.message) {
        problems.push(format!("the diagnostic does not say {:?}", case.message));
    }
    let quoted = quoted_lines(&text);
    if !quoted.iter().any(|l| l.contains(case.attribute)) {
        problems.push(format!("no diagnostic points at {:?} (quoted lines: {quoted:?})", case.attribute));
    }
    for bug in ["panicked", "Provider bug", "plugin crashed", "Plugin did not respond"] {
        if text.contains(bug) {
            problems.push(format!("the output shows {bug:?}"));
        }
    }
    let writes = emulator().mutating_calls_for(&name);
    if !writes.is_empty() {
        problems.push(format!("AWS was written to: {writes:?}"));
    }
    if !problems.is_empty() {
        problems.push(format!("output:\n{text}"));
    }
    Outcome { index, problems }
}

/// Runs `work` over 0..n on a few threads (terraform is the slow part).
fn parallel<T: Send>(n: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(2, |p| p.get()).clamp(2, 4) * 2;
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let result = work(i);
                    results.lock().unwrap().push(result);
                }
            });
        }
    });
    results.into_inner().unwrap()
}

const RESOURCES: [&str; 12] = [
    "autoscale_spot_node_group",
    "autoscale_asg_discovery_tags",
    "autoscale_scheduled_action",
    "autoscale_scaling_schedule",
    "autoscale_hpa_manifest",
    "autoscale_cluster_autoscaler_manifest",
    "autoscale_prometheus_adapter_manifest",
    "autoscale_keda_scaled_object_manifest",
    "autoscale_queue_exporter_manifest",
    "autoscale_karpenter_node_pool_manifest",
    "data.autoscale_hpa_simulation",
    "data.autoscale_cost_estimate",
];

#[test]
fn every_bad_input_fails_at_plan_naming_the_attribute_and_writes_nothing() {
    assert!(CASES.len() >= 50, "the issue asks for at least 50 cases; the table has {}", CASES.len());
    for resource in RESOURCES {
        assert!(CASES.iter().any(|c| c.resource == resource), "no case for {resource}");
    }
    let cluster = unique("bad-c");
    create_cluster(&cluster);
    let asg = unique("bad-asg");
    acceptance::create_asg(&asg);

    // The base configurations are valid: each plans cleanly, so each failure below is the
    // case's own mistake.
    let bases = parallel(RESOURCES.len(), |i| {
        let name = unique("badbase");
        let ws = Workspace::new(&configuration(RESOURCES[i], "", "", &name, &asg, &cluster));
        let out = ws.plan(&[]);
        (RESOURCES[i], out.code, out.text())
    });
    for (resource, code, text) in &bases {
        assert!(*code == 0 || *code == 2, "the base configuration of {resource} does not plan:\n{text}");
    }

    let mut outcomes = parallel(CASES.len(), |i| check(i, &CASES[i], &asg, &cluster));
    outcomes.sort_by_key(|o| o.index);
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.problems.is_empty())
        .map(|o| {
            let c = &CASES[o.index];
            format!("case {} ({}: {:?} → {:?}):\n  {}", o.index + 1, c.resource, c.from, c.to, o.problems.join("\n  "))
        })
        .collect();
    assert!(failed.is_empty(), "{} of {} cases failed:\n\n{}", failed.len(), CASES.len(), failed.join("\n\n"));
    // The only writes to the shared group are the test's own creation of it.
    let writes: Vec<_> = emulator().mutating_calls_for(&asg).into_iter().filter(|c| c["action"] != "CreateAutoScalingGroup" && c["action"] != "CreateLaunchConfiguration").collect();
    assert!(writes.is_empty(), "bad input wrote to the Auto Scaling group: {writes:?}");
}

/// Markdown: `|` and newlines would break a table cell.
fn cell(text: &str) -> String {
    let text = text.replace("__NAME__", "…").replace("__ASG__", "my-asg").replace("__CLUSTER__", "prod");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() { "(removed)".into() } else { format!("`{}`", text.replace('|', "\\|")) }
}

fn page() -> String {
    let mut out = String::from(
        "---\npage_title: \"Invalid configurations - autoscale\"\nsubcategory: \"\"\ndescription: |-\n  Configurations the provider refuses at plan time, and what it says.\n---\n\n\
         # Invalid configurations\n\n\
         Each row is a mistake the provider refuses at `terraform plan`, before anything is written to AWS: \
         the diagnostic points at the attribute (Terraform quotes its line of the configuration) and says what is wrong. \
         Every row is a case of the acceptance test `tests/bad_input.rs`, which checks that the plan fails, the diagnostic \
         points at the attribute and contains the text shown, no AWS call writes anything, and nothing panics. \
         This page is generated from that table (`UPDATE_DOCS=1 cargo test -p acceptance --test bad_input`).\n",
    );
    for resource in RESOURCES {
        out.push_str(&format!("\n## {resource}\n\n| In the valid configuration | Becomes | Diagnostic points at | and says (in part) |\n|---|---|---|---|\n"));
        for c in CASES.iter().filter(|c| c.resource == resource) {
            out.push_str(&format!("| {} | {} | `{}` | {} |\n", cell(c.from), cell(c.to), c.attribute, c.message.replace('|', "\\|")));
        }
    }
    out.push_str(&format!("\n{} configurations in all.\n", CASES.len()));
    out
}

#[test]
fn the_bad_input_page_is_current() {
    let path = repo_root().join("docs/guides/bad-input.md");
    let want = page();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "{} is stale: run `UPDATE_DOCS=1 cargo test -p acceptance --test bad_input` and commit it", path.display());
}

# The whole autoscaling system on one page: a Spot node group the Cluster Autoscaler scales
# from zero, its discovery and node-template tags, office-hours schedules for staging and dev,
# the API and worker HPAs, the Celery exporter and Prometheus Adapter manifests, the worker's
# KEDA form, the Cluster Autoscaler manifest, and plan-time simulations of a traffic spike and of
# a queue backlog.

terraform {
  required_providers {
    autoscale = { source = "autoscale/autoscale" }
  }
}

provider "autoscale" {}

locals {
  manifest_dir = coalesce(var.manifest_dir, "${path.module}/out")
}

# --- Nodes ----------------------------------------------------------------------------------

# Batch and worker pods on Spot, 0 to 50 nodes; only pods tolerating the taint run there.
# The plan warns, on purpose, about one of these four types: c5n.xlarge has 10.5 GiB of memory
# where the others have 8, and the Cluster Autoscaler sizes every node of a group from the first
# type: in production, list types of one size (c6i.xlarge for c5n.xlarge).
resource "autoscale_spot_node_group" "batch" {
  cluster_name    = var.cluster_name
  node_group_name = "batch-spot"
  node_role_arn   = var.node_role_arn
  subnet_ids      = var.subnet_ids

  instance_types = ["c5.xlarge", "c5a.xlarge", "c5n.xlarge", "c5d.xlarge"]
  capacity_type  = "SPOT"

  scaling {
    min_size     = 0
    max_size     = 50
    desired_size = 0
  }

  labels = {
    workload            = "batch"
    "cost-optimization" = "spot"
  }

  taint {
    key    = "workload"
    value  = "batch"
    effect = "NO_SCHEDULE"
  }
}

# Lets the Cluster Autoscaler find the group and scale it up from zero nodes: the labels and
# taint become node-template tags on its Auto Scaling group (EKS does not write them).
resource "autoscale_asg_discovery_tags" "batch" {
  cluster_name    = var.cluster_name
  node_group_name = autoscale_spot_node_group.batch.node_group_name

  # Taken from the node group's configuration, so both change in one apply.
  from_node_group = false
  labels          = autoscale_spot_node_group.batch.labels
  taint {
    key    = "workload"
    value  = "batch"
    effect = "NO_SCHEDULE"
  }
}

# --- Office-hours schedules for the non-production node groups -------------------------------

# Staging and dev run on small On-Demand groups of their own; the schedules move their desired
# capacity between business hours (Monday to Friday 08:00-18:00) and the rest of the week.
resource "autoscale_spot_node_group" "staging" {
  cluster_name    = var.cluster_name
  node_group_name = "staging"
  node_role_arn   = var.node_role_arn
  subnet_ids      = var.subnet_ids
  instance_types  = ["m5.large"]
  capacity_type   = "ON_DEMAND"

  scaling {
    min_size     = 1
    max_size     = 5
    desired_size = 1
  }
}

resource "autoscale_scaling_schedule" "staging" {
  cluster_name    = var.cluster_name
  node_group_name = autoscale_spot_node_group.staging.node_group_name
  name            = "staging"
  time_zone       = "Europe/Paris"

  window {
    days             = "MON-FRI"
    start            = "08:00"
    end              = "18:00"
    desired_capacity = 5
  }

  off_hours {
    desired_capacity = 1
  }
}

# Dev goes to zero nodes off hours. An EKS node group's max_size must stay 1 or more, so only
# the desired capacity moves (the group's min_size is 0).
resource "autoscale_spot_node_group" "dev" {
  cluster_name    = var.cluster_name
  node_group_name = "dev"
  node_role_arn   = var.node_role_arn
  subnet_ids      = var.subnet_ids
  instance_types  = ["m5.large"]
  capacity_type   = "ON_DEMAND"

  scaling {
    min_size     = 0
    max_size     = 3
    desired_size = 0
  }
}

resource "autoscale_scaling_schedule" "dev" {
  cluster_name    = var.cluster_name
  node_group_name = autoscale_spot_node_group.dev.node_group_name
  name            = "dev"
  time_zone       = "Europe/Paris"

  window {
    days             = "MON-FRI"
    start            = "08:00"
    end              = "18:00"
    desired_capacity = 3
  }

  off_hours {
    desired_capacity = 0
  }
}

# --- Pods ------------------------------------------------------------------------------------

# The API: 2-50 pods on CPU 70 % and memory 80 %. Scale up at once by 100 % or 4 pods per 15 s,
# down only after 5 quiet minutes and by at most half per 15 s.
resource "autoscale_hpa_manifest" "api" {
  name         = "api"
  namespace    = "production"
  min_replicas = 2
  max_replicas = 50
  output_path  = "${local.manifest_dir}/api-hpa.yaml"

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
  metric {
    type                = "Resource"
    name                = "memory"
    average_utilization = 80
  }

  behavior {
    scale_up {
      stabilization_window_seconds = 0
      select_policy                = "Max"
      policy {
        type           = "Percent"
        value          = 100
        period_seconds = 15
      }
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
        period_seconds = 15
      }
    }
  }
}

# The queue metrics exporter, as the maintained Celery exporter: the three queues are
# always reported, the broker URL stays in the Secret celery-broker.
resource "autoscale_queue_exporter_manifest" "celery" {
  queues      = ["celery", "video-processing", "default"]
  output_path = "${local.manifest_dir}/celery-exporter.yaml"

  broker_url_secret {
    name = "celery-broker"
    key  = "url"
  }
}

# The exporter's queue length as the external metric celery_queue_depth, averaged over 2
# minutes. The plan fails if the rule selects a series the exporter does not export.
resource "autoscale_prometheus_adapter_manifest" "celery" {
  output_path        = "${local.manifest_dir}/prometheus-adapter.yaml"
  series_exported_by = autoscale_queue_exporter_manifest.celery.yaml

  dynamic "external_rule" {
    for_each = autoscale_queue_exporter_manifest.celery.external_rule
    content {
      metric_name  = external_rule.value.metric_name
      series_query = external_rule.value.series_query
      namespaced   = external_rule.value.namespaced
      window       = external_rule.value.window
    }
  }
}

# Workers: 2-100 pods, 100 queued jobs per pod, CPU 70 % as a fallback. Scale up by 200 % or 10
# pods per 30 s; down after 10 minutes, by 25 % per minute. The plan fails if the adapter above
# does not serve celery_queue_depth.
resource "autoscale_hpa_manifest" "worker" {
  name                       = "worker"
  namespace                  = "production"
  min_replicas               = 2
  max_replicas               = 100
  external_metrics_served_by = autoscale_prometheus_adapter_manifest.celery.yaml
  output_path                = "${local.manifest_dir}/worker-hpa.yaml"

  target {
    api_version = "apps/v1"
    kind        = "Deployment"
    name        = "worker"
  }

  metric {
    type          = "External"
    name          = "celery_queue_depth"
    average_value = "100"
  }
  metric {
    type                = "Resource"
    name                = "cpu"
    average_utilization = 70
  }

  behavior {
    scale_up {
      stabilization_window_seconds = 0
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
}

# The same worker in KEDA's form, for a cluster running KEDA instead of prometheus-adapter's
# external metrics: KEDA reads the Redis list `celery` itself, 100 jobs per pod, 2 workers on
# weekdays 08:00-20:00 (Paris time), up to 100, and zero at night once the queue has been empty
# for 10 minutes. The HPA it generates gets the worker HPA's behavior. Written to its own
# directory: apply it instead of worker-hpa.yaml and prometheus-adapter.yaml, not with them.
resource "autoscale_keda_scaled_object_manifest" "worker" {
  name              = "worker"
  namespace         = "production"
  min_replica_count = 0
  max_replica_count = 100
  polling_interval  = 15
  cooldown_period   = 600
  output_path       = "${local.manifest_dir}/keda/worker-scaledobject.yaml"

  target {
    api_version = "apps/v1"
    kind        = "Deployment"
    name        = "worker"
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

  behavior {
    scale_up {
      stabilization_window_seconds = 0
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
}

# The Cluster Autoscaler: least-waste, finds the groups by the tags above, removes a node below
# 50 % requested for 10 minutes, no sooner than 10 minutes after a scale-up.
resource "autoscale_cluster_autoscaler_manifest" "this" {
  cluster_name                     = var.cluster_name
  kubernetes_version               = var.kubernetes_version
  expander                         = ["least-waste"]
  balance_similar_node_groups      = true
  skip_nodes_with_local_storage    = false
  scale_down_delay_after_add       = "10m"
  scale_down_unneeded_time         = "10m"
  scale_down_utilization_threshold = 0.5
  max_node_provision_time          = "15m"
  output_path                      = "${local.manifest_dir}/cluster-autoscaler.yaml"
}

# --- Will it hold? ---------------------------------------------------------------------------

# A spike test of the API HPA above: 100 req/s, then 10 000 req/s for a minute from t = 120 s.
# One pod serves 200 req/s at 70 % CPU (10 000 req/s needs the 50 pods) and is ready 30 s after
# it is scheduled. The goal is 50 ready pods within 2 minutes of the spike; the simulation shows
# this HPA doubling 6 -> 12 -> 24 -> 48 every 15 s and the spike ending before it gets there, so
# the plan warns, on purpose (set severity = "error" to fail the plan instead).
data "autoscale_hpa_simulation" "api_spike" {
  hpa_yaml            = autoscale_hpa_manifest.api.yaml
  profile             = "spike"
  per_pod_capacity    = 200
  pod_startup_seconds = 30

  expect {
    replicas       = 50
    within_seconds = 120
    from_seconds   = 120
    severity       = "warning"
  }
}

# A 5000-job backlog against both worker forms: the queue holds 5000 jobs for 10
# minutes, then is empty for 20; pods are ready 30 s after they are scheduled. The HPA form
# starts from its 2 pods, the KEDA form from zero. Both reach 50 ready pods at 90 s; afterwards
# the HPA form settles at 2 pods, the KEDA form is at zero 1185 s in (see
# docs/guides/queue-scaling.md).
data "autoscale_hpa_simulation" "worker_backlog" {
  hpa_yaml            = autoscale_hpa_manifest.worker.yaml
  pod_startup_seconds = 30

  step {
    duration_seconds = 600
    queue_depth      = 5000
  }
  step {
    duration_seconds = 1200
    queue_depth      = 0
  }
}

data "autoscale_hpa_simulation" "worker_keda_backlog" {
  hpa_yaml            = autoscale_keda_scaled_object_manifest.worker.yaml
  initial_replicas    = 0
  pod_startup_seconds = 30

  step {
    duration_seconds = 600
    queue_depth      = 5000
  }
  step {
    duration_seconds = 1200
    queue_depth      = 0
  }

  expect {
    replicas       = 50
    within_seconds = 120
  }
}

# Pod-level autoscaling for a set of workloads: their HorizontalPodAutoscalers, the
# prometheus-adapter rules serving their external metrics, KEDA ScaledObjects for queue workers,
# and the Cluster Autoscaler, as Kubernetes YAML in outputs and, with manifest_dir, in files.

locals {
  adapter_path = var.manifest_dir == null ? null : "${var.manifest_dir}/prometheus-adapter.yaml"
  ca_path      = var.manifest_dir == null ? null : "${var.manifest_dir}/cluster-autoscaler.yaml"
}

resource "autoscale_prometheus_adapter_manifest" "this" {
  count = length(var.external_metrics) > 0 ? 1 : 0

  namespace   = var.adapter_namespace
  output_path = local.adapter_path

  dynamic "external_rule" {
    for_each = var.external_metrics
    content {
      metric_name  = external_rule.key
      series_query = external_rule.value.series_query
      window       = external_rule.value.window
      namespaced   = external_rule.value.namespaced
    }
  }
}

resource "autoscale_hpa_manifest" "this" {
  for_each = var.hpas

  name                       = each.key
  namespace                  = var.namespace
  min_replicas               = each.value.min_replicas
  max_replicas               = each.value.max_replicas
  external_metrics_served_by = each.value.external_metric == null ? null : one(autoscale_prometheus_adapter_manifest.this[*].yaml)
  output_path                = var.manifest_dir == null ? null : "${var.manifest_dir}/${each.key}-hpa.yaml"

  target {
    api_version = "apps/v1"
    kind        = "Deployment"
    name        = each.key
  }

  dynamic "metric" {
    for_each = each.value.external_metric == null ? [] : [each.value.external_metric]
    content {
      type          = "External"
      name          = metric.value
      average_value = each.value.external_average_value
    }
  }

  dynamic "metric" {
    for_each = each.value.cpu_utilization == null ? [] : [each.value.cpu_utilization]
    content {
      type                = "Resource"
      name                = "cpu"
      average_utilization = metric.value
    }
  }

  dynamic "metric" {
    for_each = each.value.memory_utilization == null ? [] : [each.value.memory_utilization]
    content {
      type                = "Resource"
      name                = "memory"
      average_utilization = metric.value
    }
  }

  behavior {
    scale_up {
      stabilization_window_seconds = each.value.scale_up.stabilization_window_seconds
      select_policy                = "Max"
      policy {
        type           = "Percent"
        value          = each.value.scale_up.percent
        period_seconds = each.value.scale_up.period_seconds
      }
      dynamic "policy" {
        for_each = each.value.scale_up.pods == null ? [] : [each.value.scale_up.pods]
        content {
          type           = "Pods"
          value          = policy.value
          period_seconds = each.value.scale_up.period_seconds
        }
      }
    }
    scale_down {
      stabilization_window_seconds = each.value.scale_down.stabilization_window_seconds
      policy {
        type           = "Percent"
        value          = each.value.scale_down.percent
        period_seconds = each.value.scale_down.period_seconds
      }
    }
  }
}

resource "autoscale_cluster_autoscaler_manifest" "this" {
  count = var.cluster_autoscaler == null ? 0 : 1

  cluster_name                     = var.cluster_autoscaler.cluster_name
  kubernetes_version               = var.cluster_autoscaler.kubernetes_version
  iam_role_arn                     = var.cluster_autoscaler.iam_role_arn
  expander                         = var.cluster_autoscaler.expander
  scale_down_utilization_threshold = var.cluster_autoscaler.scale_down_utilization_threshold
  scale_down_unneeded_time         = var.cluster_autoscaler.scale_down_unneeded_time
  output_path                      = local.ca_path
}

# The KEDA form of a queue worker: KEDA reads the Redis list itself, owns the step from and to
# zero, and hands 1 <-> N to the HPA it generates with the same behavior limits as the HPAs above.
# KEDA and prometheus-adapter cannot both serve external metrics in one cluster: use this form or
# an external_metric HPA for a given cluster, not both.
resource "autoscale_keda_scaled_object_manifest" "this" {
  for_each = var.keda_workers

  name              = each.key
  namespace         = var.namespace
  min_replica_count = each.value.min_replica_count
  max_replica_count = each.value.max_replica_count
  polling_interval  = each.value.polling_interval
  cooldown_period   = each.value.cooldown_period
  output_path       = var.manifest_dir == null ? null : "${var.manifest_dir}/${each.key}-scaledobject.yaml"

  target {
    api_version = "apps/v1"
    kind        = "Deployment"
    name        = each.key
  }

  trigger {
    redis {
      address     = each.value.redis_address
      list_name   = each.value.redis_list
      list_length = each.value.jobs_per_pod
    }
    dynamic "secret_target_ref" {
      for_each = each.value.redis_password_secret == null ? [] : [each.value.redis_password_secret]
      content {
        parameter = "password"
        name      = secret_target_ref.value.name
        key       = secret_target_ref.value.key
      }
    }
  }

  dynamic "trigger" {
    for_each = each.value.business_hours == null ? [] : [each.value.business_hours]
    content {
      cron {
        timezone         = trigger.value.timezone
        start            = trigger.value.start
        end              = trigger.value.end
        desired_replicas = trigger.value.replicas
      }
    }
  }

  behavior {
    scale_up {
      stabilization_window_seconds = each.value.scale_up.stabilization_window_seconds
      select_policy                = "Max"
      policy {
        type           = "Percent"
        value          = each.value.scale_up.percent
        period_seconds = each.value.scale_up.period_seconds
      }
      dynamic "policy" {
        for_each = each.value.scale_up.pods == null ? [] : [each.value.scale_up.pods]
        content {
          type           = "Pods"
          value          = policy.value
          period_seconds = each.value.scale_up.period_seconds
        }
      }
    }
    scale_down {
      stabilization_window_seconds = each.value.scale_down.stabilization_window_seconds
      policy {
        type           = "Percent"
        value          = each.value.scale_down.percent
        period_seconds = each.value.scale_down.period_seconds
      }
    }
  }
}

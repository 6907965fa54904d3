variable "namespace" {
  description = "Namespace of the workloads and their HorizontalPodAutoscalers."
  type        = string
  default     = "default"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "The namespace must be a Kubernetes namespace name: at most 63 lowercase letters, digits and -, starting and ending alphanumeric."
  }
}

variable "hpas" {
  description = "One HorizontalPodAutoscaler per entry, keyed by the Deployment it scales. Set a metric to null to leave it out (at least one of cpu_utilization, memory_utilization and external_metric); external_metric must be a key of external_metrics. scale_up and scale_down limit the change per period_seconds to percent of the pods (and, up, at least pods pods); their stabilization windows are in seconds."
  type = map(object({
    min_replicas           = number
    max_replicas           = number
    cpu_utilization        = number
    memory_utilization     = number
    external_metric        = string
    external_average_value = string
    scale_up = object({
      stabilization_window_seconds = number
      percent                      = number
      pods                         = number
      period_seconds               = number
    })
    scale_down = object({
      stabilization_window_seconds = number
      percent                      = number
      period_seconds               = number
    })
  }))
  default = {}

  validation {
    condition     = alltrue([for name, h in var.hpas : h.min_replicas >= 1 && h.max_replicas >= h.min_replicas])
    error_message = "Each HPA needs min_replicas of 1 or more and max_replicas not below min_replicas."
  }

  validation {
    condition     = alltrue([for name, h in var.hpas : h.cpu_utilization != null || h.memory_utilization != null || h.external_metric != null])
    error_message = "Each HPA needs at least one metric: cpu_utilization, memory_utilization or external_metric."
  }

  validation {
    condition     = alltrue([for name, h in var.hpas : (h.external_metric == null) == (h.external_average_value == null)])
    error_message = "Set external_metric and external_average_value together (the target queue depth per pod, e.g. \"100\")."
  }

  validation {
    condition     = alltrue([for name, h in var.hpas : can(regex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", name))])
    error_message = "Each key of hpas must be a Deployment name (lowercase letters, digits, - and .)."
  }
}

variable "external_metrics" {
  description = "External metrics served by prometheus-adapter, keyed by metric name: the Prometheus series_query, an averaging window such as \"2m\" (null for none), and whether the HPA's namespace is added to the query (false for a shared queue)."
  type = map(object({
    series_query = string
    window       = string
    namespaced   = bool
  }))
  default = {}

  validation {
    condition     = alltrue([for name, m in var.external_metrics : m.window == null || can(regex("^[0-9]+(ms|s|m|h|d|w|y)$", m.window))])
    error_message = "Each external metric's window must be a Prometheus duration such as 2m, or null."
  }
}

variable "keda_workers" {
  description = "Queue workers scaled by KEDA straight from a Redis list (one ScaledObject each, keyed by the Deployment): min_replica_count (0 scales to zero), max_replica_count, polling_interval and cooldown_period in seconds, the Redis address (host:port), list and jobs_per_pod target, the Secret holding the Redis password (null for none), business_hours keeping replicas workers between two cron times in an IANA time zone (null for none), and scale_up / scale_down as for hpas."
  type = map(object({
    min_replica_count     = number
    max_replica_count     = number
    polling_interval      = number
    cooldown_period       = number
    redis_address         = string
    redis_list            = string
    jobs_per_pod          = number
    redis_password_secret = object({ name = string, key = string })
    business_hours        = object({ timezone = string, start = string, end = string, replicas = number })
    scale_up = object({
      stabilization_window_seconds = number
      percent                      = number
      pods                         = number
      period_seconds               = number
    })
    scale_down = object({
      stabilization_window_seconds = number
      percent                      = number
      period_seconds               = number
    })
  }))
  default = {}

  validation {
    condition     = alltrue([for name, w in var.keda_workers : w.min_replica_count >= 0 && w.max_replica_count >= 1 && w.max_replica_count >= w.min_replica_count])
    error_message = "Each KEDA worker needs min_replica_count of 0 or more and max_replica_count of at least 1, not below min_replica_count."
  }
}

variable "adapter_namespace" {
  description = "Namespace prometheus-adapter runs in (its rules ConfigMap goes there)."
  type        = string
  default     = "monitoring"
}

variable "cluster_autoscaler" {
  description = "The Cluster Autoscaler to render, or null for none: the cluster, its Kubernetes version (picks the release), the IRSA role (null for none), the expanders, and when a node is removed (below scale_down_utilization_threshold of requested resources for scale_down_unneeded_time)."
  type = object({
    cluster_name                     = string
    kubernetes_version               = string
    iam_role_arn                     = string
    expander                         = list(string)
    scale_down_utilization_threshold = number
    scale_down_unneeded_time         = string
  })
  default = null

  validation {
    condition     = var.cluster_autoscaler == null ? true : var.cluster_autoscaler.scale_down_utilization_threshold >= 0 && var.cluster_autoscaler.scale_down_utilization_threshold <= 1
    error_message = "The cluster_autoscaler.scale_down_utilization_threshold must be between 0 and 1."
  }

  validation {
    condition     = var.cluster_autoscaler == null ? true : can(regex("^1\\.[0-9]+(\\.[0-9]+)?$", var.cluster_autoscaler.kubernetes_version))
    error_message = "The cluster_autoscaler.kubernetes_version must be a version such as 1.31."
  }
}

variable "manifest_dir" {
  description = "Directory to write the manifests to (<deployment>-hpa.yaml, <worker>-scaledobject.yaml, prometheus-adapter.yaml, cluster-autoscaler.yaml); null to only return them as outputs."
  type        = string
  default     = null
}

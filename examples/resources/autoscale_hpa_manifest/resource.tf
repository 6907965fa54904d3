# The API: 2-50 pods on CPU 70 % and memory 80 %. Scale up at once by 100 % or 4 pods
# per 15 s (whichever is more); scale down only after 5 quiet minutes, by 50 % per 15 s.
resource "autoscale_hpa_manifest" "api" {
  name         = "api"
  namespace    = "production"
  min_replicas = 2
  max_replicas = 50
  output_path  = "${path.module}/manifests/api-hpa.yaml"

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

# Workers: 100 queued jobs per pod (an External metric served by prometheus-adapter), CPU 70 %
# as a fallback. The plan fails if the adapter does not serve celery_queue_depth.
resource "autoscale_hpa_manifest" "worker" {
  name                       = "worker"
  namespace                  = "production"
  min_replicas               = 2
  max_replicas               = 100
  external_metrics_served_by = autoscale_prometheus_adapter_manifest.celery.yaml

  target {
    api_version = "apps/v1"
    kind        = "Deployment"
    name        = "worker"
  }

  metric {
    type          = "External"
    name          = "celery_queue_depth"
    selector      = { queue = "celery" }
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

# The adapter rules the worker HPA is checked against.
resource "autoscale_prometheus_adapter_manifest" "celery" {
  external_rule {
    metric_name  = "celery_queue_depth"
    series_query = "celery_queue_depth{queue!=\"\"}"
    namespaced   = false
    window       = "2m"
  }
}

output "api_hpa_yaml" {
  value = autoscale_hpa_manifest.api.yaml
}

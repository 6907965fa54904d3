# Will the API's HPA take the `spike` profile (10 000 req/s for one minute from t = 120 s)?
# The HPA can come from an autoscale_hpa_manifest's YAML, or be written inline as here.
data "autoscale_hpa_simulation" "api_spike" {
  hpa_yaml = <<-EOT
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata:
      name: api
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
      minReplicas: 2
      maxReplicas: 50
      metrics:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
      behavior:
        scaleUp:
          policies:
            - {type: Percent, value: 100, periodSeconds: 15}
            - {type: Pods, value: 4, periodSeconds: 15}
        scaleDown:
          stabilizationWindowSeconds: 300
          policies:
            - {type: Percent, value: 50, periodSeconds: 15}
  EOT

  profile             = "spike"
  per_pod_capacity    = 60 # req/s one pod serves at 70 % CPU
  pod_startup_seconds = 30

  node_group {
    pods_per_node           = 6
    initial_nodes           = 9
    max_nodes               = 50
    provision_delay_seconds = 180
  }

  # Fail the plan unless 40 pods are ready within 90 s of the spike.
  expect {
    replicas       = 40
    within_seconds = 90
    from_seconds   = 120
  }
}

# A queue worker's HPA written as arguments, under a custom load: a 5000-job backlog for
# five minutes, then an empty queue. Warn (not fail) unless 50 workers are asked for in time.
data "autoscale_hpa_simulation" "worker_backlog" {
  min_replicas = 2
  max_replicas = 100

  metric {
    type          = "External"
    name          = "celery_queue_depth"
    average_value = 100
  }
  metric {
    type                = "Resource"
    name                = "cpu"
    average_utilization = 70
  }

  behavior {
    scale_up {
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

  initial_replicas = 20
  step {
    duration_seconds = 300
    queue_depth      = 5000
  }
  step {
    duration_seconds = 300
    queue_depth      = 0
  }

  expect {
    replicas       = 50
    within_seconds = 300
    count          = "desired_replicas"
    severity       = "warning"
  }
}

output "api_spike" {
  value = {
    peak_replicas     = data.autoscale_hpa_simulation.api_spike.peak_replicas
    time_to_max_ready = data.autoscale_hpa_simulation.api_spike.time_to_max_ready
    timeline          = data.autoscale_hpa_simulation.api_spike.timeline_table
  }
}

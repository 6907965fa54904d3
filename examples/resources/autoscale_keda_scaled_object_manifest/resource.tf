# A Celery worker scaled by KEDA straight from the broker: 100 queued jobs per pod on the
# Redis list `celery`, 2–100 pods from 08:00 to 20:00 on weekdays (Paris time), zero otherwise once
# the queue has been empty for 10 minutes. The generated HPA gets the worker's behavior limits.
# The Redis password stays in the Secret `celery-broker`: only its name and key are rendered.
resource "autoscale_keda_scaled_object_manifest" "worker" {
  name        = "worker"
  namespace   = "production"
  output_path = "${path.module}/manifests/worker-scaledobject.yaml"

  target {
    api_version = "apps/v1"
    kind        = "Deployment"
    name        = "worker"
  }

  min_replica_count = 0
  max_replica_count = 100
  polling_interval  = 15
  cooldown_period   = 600

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

  # Keeps 2 workers during office hours, as the HPA form's min_replicas = 2 does.
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
      select_policy                = "Max"
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

output "worker_scaled_object_yaml" {
  value = autoscale_keda_scaled_object_manifest.worker.yaml
}

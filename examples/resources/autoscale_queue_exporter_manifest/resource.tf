# The Celery queue metrics exporter (danihodovic/celery-exporter): the three queues are always
# reported (even while their workers are scaled to zero), the broker URL stays in the Secret
# `celery-broker`, and Prometheus (prometheus-operator) scrapes it every 15 s.
resource "autoscale_queue_exporter_manifest" "celery" {
  namespace   = "monitoring"
  queues      = ["celery", "video-processing", "default"]
  output_path = "${path.module}/manifests/celery-exporter.yaml"

  broker_url_secret {
    name = "celery-broker"
    key  = "url"
  }

  service_monitor {
    interval = "15s"
    labels   = { release = "prometheus" }
  }
}

# prometheus-adapter serves the metric the worker HPAs scale on, celery_queue_depth, from the exporter's
# celery_queue_length series (2-minute average); the plan fails if the rule ever selects a series
# the exporter does not export.
resource "autoscale_prometheus_adapter_manifest" "celery" {
  namespace          = "monitoring"
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

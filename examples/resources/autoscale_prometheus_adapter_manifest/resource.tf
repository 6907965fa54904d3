# Exposes the Celery queue depth as the external metric celery_queue_depth, summed over
# queues (the default aggregation) and averaged over 2 minutes to smooth spikes. The queue is
# shared, so the HPA's namespace is not added to the query.
resource "autoscale_prometheus_adapter_manifest" "celery" {
  name        = "prometheus-adapter"
  namespace   = "monitoring"
  output_path = "${path.module}/manifests/prometheus-adapter.yaml"

  external_rule {
    metric_name  = "celery_queue_depth"
    series_query = "celery_queue_depth{queue!=\"\"}"
    namespaced   = false
    window       = "2m"
  }
}

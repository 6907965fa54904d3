# The import id is the path of a ConfigMap file written by this resource; it becomes
# output_path. A metricsQuery of the generated shape is read back as aggregation and window.
terraform import autoscale_prometheus_adapter_manifest.celery ./manifests/prometheus-adapter.yaml

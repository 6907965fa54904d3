# The import id is the path of a file written by this resource; it becomes output_path.
# adapter_metric_name and adapter_window are not in the objects and import as their defaults.
terraform import autoscale_queue_exporter_manifest.celery ./manifests/celery-exporter.yaml

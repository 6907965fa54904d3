# The import id is the path of a file written by this resource (its TriggerAuthentications and
# ScaledObject); it becomes output_path. Triggers of other scaler types cannot be imported.
terraform import autoscale_keda_scaled_object_manifest.worker ./manifests/worker-scaledobject.yaml

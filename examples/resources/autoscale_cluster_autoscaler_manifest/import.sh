# The import id is the path of a manifest file written by this resource; it becomes
# output_path, and the arguments are read back from the Deployment's flags.
terraform import autoscale_cluster_autoscaler_manifest.this ./manifests/cluster-autoscaler.yaml

# The import id is the path of a manifest file written by this resource (or by hand); it
# becomes output_path, and the arguments are read back from the file.
terraform import autoscale_hpa_manifest.api ./manifests/api-hpa.yaml

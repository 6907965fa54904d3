# The import id is the path of a manifest file written by this resource; it becomes
# output_path, and the arguments are read back from the EC2NodeClass and the NodePool.
terraform import autoscale_karpenter_node_pool_manifest.batch ./manifests/karpenter-batch.yaml

# Import by cluster name and node group name.
terraform import autoscale_spot_node_group.batch prod:spot-batch

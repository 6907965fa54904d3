# By node group: its Auto Scaling groups and the Cluster Autoscaler tags they all carry.
terraform import autoscale_asg_discovery_tags.batch prod:batch-spot

# By Auto Scaling group names; the cluster is read from the groups' tags.
terraform import autoscale_asg_discovery_tags.gpu asg:prod-gpu-a,prod-gpu-b

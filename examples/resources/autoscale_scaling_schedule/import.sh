# Import by Auto Scaling group name and schedule name (the prefix of its actions' names).
terraform import autoscale_scaling_schedule.development eks-dev-general-0a1b2c3d/dev

# A node group's schedule is imported by its Auto Scaling group too (EKS names it
# eks-<node group>-<uuid>); cluster_name and node_group_name are read back from its tags.
terraform import autoscale_scaling_schedule.staging eks-general-4ebf6b0a-58a3-2b6c-0c62-1a2b3c4d5e6f/staging

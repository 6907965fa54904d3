# A tainted spot node group the Cluster Autoscaler can scale up from zero nodes: its labels and
# taints (say workload=batch:NO_SCHEDULE) become node-template tags on its Auto Scaling group,
# which is looked up at apply, so nothing here is unknown at plan time.
resource "autoscale_asg_discovery_tags" "batch" {
  cluster_name    = "prod"
  node_group_name = "batch-spot"

  # What the Cluster Autoscaler cannot learn from the instance type.
  resources = {
    "ephemeral-storage" = "100G"
  }

  autoscaling_options {
    scale_down_utilization_threshold = 0.4
    scale_down_unneeded_time         = "15m"
  }
}

# Self-managed Auto Scaling groups, named explicitly, with labels and taints of their own.
resource "autoscale_asg_discovery_tags" "gpu" {
  cluster_name = "prod"
  asg_names    = ["prod-gpu-a", "prod-gpu-b"]

  labels = {
    "nvidia.com/gpu.present" = "true"
  }

  taint {
    key    = "nvidia.com/gpu"
    value  = "true"
    effect = "NoSchedule"
  }
}

# Batch workers on Spot, scaled by the Cluster Autoscaler from 0 to 50 nodes.
resource "autoscale_spot_node_group" "batch" {
  cluster_name    = "prod"
  node_group_name = "spot-batch"
  node_role_arn   = "arn:aws:iam::123456789012:role/eks-node"
  subnet_ids      = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"]

  # Same vCPU and memory (4 vCPU, 8 GiB) so the Cluster Autoscaler sizes nodes right.
  instance_types = ["c5.xlarge", "c5a.xlarge", "c5d.xlarge", "c6i.xlarge"]
  capacity_type  = "SPOT"

  scaling {
    min_size     = 0
    max_size     = 50
    desired_size = 0
  }

  # The autoscaler owns the live size after create (the default).
  desired_size_policy = "initial"

  update_config {
    max_unavailable_percentage = 33
  }

  labels = {
    workload            = "batch"
    "cost-optimization" = "spot"
  }

  taint {
    key    = "workload"
    value  = "batch"
    effect = "NO_SCHEDULE"
  }

  tags = {
    team = "data"
  }
}

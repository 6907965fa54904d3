# The seed's batch pool on Karpenter: Spot c5-class xlarge nodes labelled and tainted for batch
# work, capped at the CPU and memory of the Cluster Autoscaler group's 50 c5.xlarge nodes
# (4 vCPU and 8 GiB each). Karpenter picks the instance type per pending batch; the EC2NodeClass
# finds subnets and security groups by the karpenter.sh/discovery = production tag.
resource "autoscale_karpenter_node_pool_manifest" "batch" {
  name           = "batch-spot"
  cluster_name   = "production"
  role           = "KarpenterNodeRole-production"
  ami_alias      = "al2023@v20240807"
  capacity_types = ["SPOT"]
  instance_types = ["c5.xlarge", "c5a.xlarge", "c5n.xlarge", "c5d.xlarge"]
  architectures  = ["amd64"]

  labels = { workload = "batch", "cost-optimization" = "spot" }
  taint {
    key    = "workload"
    value  = "batch"
    effect = "NO_SCHEDULE"
  }

  limits = { cpu = "200", memory = "400Gi" }

  consolidation_policy = "WhenEmptyOrUnderutilized"
  consolidate_after    = "10m"
  budget {
    nodes = "10%"
  }
  # No voluntary disruption during weekday office hours (UTC).
  budget {
    nodes    = "0"
    schedule = "0 8 * * 1-5"
    duration = "10h"
  }

  block_device_mapping {
    device_name = "/dev/xvda"
    root_volume = true
    volume_size = "50Gi"
    volume_type = "gp3"
    encrypted   = true
  }

  output_path = "${path.module}/manifests/karpenter-batch.yaml"
}

# The EC2NodeClass and the NodePool, one per document (e.g. for a kubernetes_manifest each).
output "karpenter_documents" {
  value = autoscale_karpenter_node_pool_manifest.batch.documents
}

# The seed's batch pool on Karpenter, and its backlog spike simulated on both node autoscalers.
#
# The pool: Spot c5-class xlarge nodes labelled and tainted for batch work, at most 50 nodes'
# worth (200 vCPU, 400 GiB). On the Cluster Autoscaler it is autoscale_spot_node_group +
# autoscale_asg_discovery_tags (see examples/quickstart); here it is a Karpenter NodePool and
# EC2NodeClass. modules/eks-spot-autoscaling renders either from the same variables
# (node_autoscaler = "cluster-autoscaler" | "karpenter").
#
# The spike: the seed's "5000 jobs added to queue" with 20 workers running. The worker HPA asks
# for 50 workers at once (Percent 200 allows 60); 3 workers fit one c5.xlarge, so 10 more nodes
# are needed. Nothing here talks to AWS: the manifests are files, the simulations plan-time data.

terraform {
  required_providers {
    autoscale = { source = "autoscale/autoscale" }
  }
}

provider "autoscale" {}

locals {
  # The seed's worker HPA (Days 131 and 133), as autoscale_hpa_manifest renders it.
  worker_hpa = <<-EOT
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata:
      name: worker
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}
      minReplicas: 2
      maxReplicas: 100
      metrics:
        - type: External
          external:
            metric: {name: celery_queue_depth}
            target: {type: AverageValue, averageValue: "100"}
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
      behavior:
        scaleUp:
          stabilizationWindowSeconds: 0
          selectPolicy: Max
          policies:
            - {type: Percent, value: 200, periodSeconds: 30}
            - {type: Pods, value: 10, periodSeconds: 30}
        scaleDown:
          stabilizationWindowSeconds: 600
          policies:
            - {type: Percent, value: 25, periodSeconds: 60}
  EOT
}

resource "autoscale_karpenter_node_pool_manifest" "batch" {
  name           = "batch-spot"
  cluster_name   = var.cluster_name
  role           = "KarpenterNodeRole-${var.cluster_name}"
  ami_alias      = "al2023@v20240807"
  capacity_types = ["SPOT"]
  instance_types = ["c5.xlarge", "c5a.xlarge", "c5n.xlarge", "c5d.xlarge"]
  architectures  = ["amd64"]
  labels         = { workload = "batch", "cost-optimization" = "spot" }
  limits         = { cpu = "200", memory = "400Gi" }

  taint {
    key    = "workload"
    value  = "batch"
    effect = "NO_SCHEDULE"
  }

  # Consolidate idle batch nodes after 5 minutes, at most 10 % of them at once.
  consolidate_after = "5m"
  budget {
    nodes = "10%"
  }

  output_path = "${path.module}/out/karpenter-batch.yaml"
}

# The backlog on the Cluster Autoscaler: nodes 180 s after pods are pending (the seed: "2-5 min").
data "autoscale_hpa_simulation" "backlog_on_cluster_autoscaler" {
  hpa_yaml            = local.worker_hpa
  initial_replicas    = 20
  pod_startup_seconds = 30

  step {
    duration_seconds = 300
    queue_depth      = 5000
  }

  node_group {
    provisioner   = "cluster-autoscaler"
    pods_per_node = 3
    max_nodes     = 50
  }

  # Only warns: the Cluster Autoscaler's nodes come too late for this.
  expect {
    replicas       = 50
    within_seconds = 120
    severity       = "warning"
  }
}

# The same backlog on Karpenter: one batch (closed 1 s after the pods are pending), nodes sized
# for it 60 s later; the NodePool's limits (50 c5.xlarge worth) cap it as max_size did.
data "autoscale_hpa_simulation" "backlog_on_karpenter" {
  hpa_yaml            = local.worker_hpa
  initial_replicas    = 20
  pod_startup_seconds = 30

  step {
    duration_seconds = 300
    queue_depth      = 5000
  }

  node_group {
    provisioner   = "karpenter"
    pods_per_node = 3
    max_nodes     = 50
  }

  # Fails the plan if Karpenter's nodes did not get all 50 workers ready within 2 minutes.
  expect {
    replicas       = 50
    within_seconds = 120
  }
}

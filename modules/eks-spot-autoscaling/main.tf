# One node pool intent (instance types, capacity type, labels, taints, size limit) for either
# node autoscaler. node_autoscaler = "cluster-autoscaler": an EKS managed node group (Spot by
# default) the Cluster Autoscaler can scale from zero, the discovery and node-template tags on
# its Auto Scaling group, and optionally a weekly schedule on that group. node_autoscaler =
# "karpenter": a Karpenter NodePool and EC2NodeClass with the same labels, taints and a limit of
# max_size nodes' worth of CPU and memory.

locals {
  karpenter = var.node_autoscaler == "karpenter"
  # Karpenter takes the node role by name; the last segment of the ARN (after any path).
  node_role_name = element(split("/", var.node_role_arn), length(split("/", var.node_role_arn)) - 1)
}

resource "autoscale_spot_node_group" "this" {
  count = local.karpenter ? 0 : 1

  cluster_name    = var.cluster_name
  node_group_name = var.node_group_name
  node_role_arn   = var.node_role_arn
  subnet_ids      = var.subnet_ids
  instance_types  = var.instance_types
  capacity_type   = var.capacity_type
  labels          = var.labels
  tags            = var.tags

  scaling {
    min_size     = var.min_size
    max_size     = var.max_size
    desired_size = var.desired_size
  }

  dynamic "taint" {
    for_each = var.taints
    content {
      key    = taint.value.key
      value  = taint.value.value
      effect = taint.value.effect
    }
  }
}

resource "autoscale_asg_discovery_tags" "this" {
  count = local.karpenter ? 0 : 1

  cluster_name    = var.cluster_name
  node_group_name = autoscale_spot_node_group.this[0].node_group_name

  # From this configuration rather than read back from EKS, so a change lands in one apply.
  from_node_group = false
  labels          = var.labels
  resources       = var.node_template_resources

  dynamic "taint" {
    for_each = var.taints
    content {
      key    = taint.value.key
      value  = taint.value.value
      effect = taint.value.effect
    }
  }
}

resource "autoscale_scaling_schedule" "this" {
  count = var.schedule == null || local.karpenter ? 0 : 1

  cluster_name    = var.cluster_name
  node_group_name = autoscale_spot_node_group.this[0].node_group_name
  name            = var.schedule.name
  time_zone       = var.schedule.time_zone

  window {
    days             = var.schedule.days
    start            = var.schedule.start
    end              = var.schedule.end
    desired_capacity = var.schedule.business_hours_capacity
  }

  off_hours {
    desired_capacity = var.schedule.off_hours_capacity
  }
}

resource "autoscale_karpenter_node_pool_manifest" "this" {
  count = local.karpenter ? 1 : 0

  name           = var.node_group_name
  cluster_name   = var.cluster_name
  role           = local.node_role_name
  subnet_ids     = var.subnet_ids
  instance_types = var.instance_types
  capacity_types = [var.capacity_type]
  labels         = var.labels
  tags           = var.tags
  # The node group's max_size, as Karpenter limits: max_size nodes of the given size.
  limits      = { cpu = tostring(var.max_size * var.node_cpu), memory = "${var.max_size * var.node_memory_gib}Gi" }
  output_path = var.karpenter_output_path

  dynamic "taint" {
    for_each = var.taints
    content {
      key    = taint.value.key
      value  = taint.value.value
      effect = taint.value.effect
    }
  }
}

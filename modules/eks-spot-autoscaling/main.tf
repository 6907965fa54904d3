# An EKS managed node group (Spot by default) the Cluster Autoscaler can scale from zero: the
# node group, the discovery and node-template tags on its Auto Scaling group, and optionally a
# weekly schedule on that group.

resource "autoscale_spot_node_group" "this" {
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
  cluster_name    = var.cluster_name
  node_group_name = autoscale_spot_node_group.this.node_group_name

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
  count = var.schedule == null ? 0 : 1

  cluster_name    = var.cluster_name
  node_group_name = autoscale_spot_node_group.this.node_group_name
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

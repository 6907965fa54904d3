# What the node group costs, priced at plan time from AWS's price data: with a schedule, its
# weekly instance-hours against the business-hours capacity all week; without one, a constant
# node count (the Cluster Autoscaler moves the real one) against the same count On-Demand.

variable "cost_node_count" {
  description = "Nodes the cost estimate assumes all week when there is no schedule (the node autoscaler moves the real count). Defaults to max_size: the most the group can cost."
  type        = number
  default     = null
}

locals {
  # The schedule exists only on a managed node group (not with node_autoscaler = "karpenter").
  cost_scheduled = var.schedule != null && !local.karpenter
}

data "autoscale_cost_estimate" "this" {
  instance_types = var.instance_types
  capacity_type  = var.capacity_type

  node_count            = local.cost_scheduled ? null : coalesce(var.cost_node_count, var.max_size)
  weekly_instance_hours = local.cost_scheduled ? autoscale_scaling_schedule.this[0].weekly_instance_hours : null
  static_node_count     = local.cost_scheduled ? max(var.schedule.business_hours_capacity, var.schedule.off_hours_capacity) : null
}

output "cost_estimate" {
  description = "The group's cost in USD (data source autoscale_cost_estimate): hourly_price of one node, weekly_cost and monthly_cost (730 h), monthly_on_demand_static_cost (the peak On-Demand all week), savings_vs_on_demand_static_percent (Spot and schedule together), savings_vs_baseline_percent (the schedule alone) and a one-line summary."
  value = {
    hourly_price                        = data.autoscale_cost_estimate.this.hourly_price
    weekly_cost                         = data.autoscale_cost_estimate.this.weekly_cost
    monthly_cost                        = data.autoscale_cost_estimate.this.monthly_cost
    monthly_on_demand_static_cost       = data.autoscale_cost_estimate.this.monthly_on_demand_static_cost
    savings_vs_on_demand_static_percent = data.autoscale_cost_estimate.this.savings_vs_on_demand_static_percent
    savings_vs_baseline_percent         = data.autoscale_cost_estimate.this.savings_vs_baseline_percent
    summary                             = data.autoscale_cost_estimate.this.summary
  }
}

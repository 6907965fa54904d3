# --- Cost ------------------------------------------------------------------------------------

# What the three node groups cost, from AWS's own prices at plan time (the Price List for
# On-Demand, the spot price history for Spot). The batch group's size is the Cluster
# Autoscaler's business; the estimate assumes batch_nodes Spot nodes all week against the same
# nodes On-Demand. Staging and dev are priced from their schedules' instance-hours against their
# business-hours size On-Demand all week.

variable "batch_nodes" {
  description = "Average number of batch Spot nodes the cost estimate assumes (the Cluster Autoscaler moves the real count between 0 and 50)."
  type        = number
  default     = 10
}

data "autoscale_cost_estimate" "batch" {
  instance_types = autoscale_spot_node_group.batch.instance_types
  capacity_type  = "SPOT"
  node_count     = var.batch_nodes
}

data "autoscale_cost_estimate" "staging" {
  instance_types        = autoscale_spot_node_group.staging.instance_types
  capacity_type         = "ON_DEMAND"
  weekly_instance_hours = autoscale_scaling_schedule.staging.weekly_instance_hours
  static_node_count     = 5
}

data "autoscale_cost_estimate" "dev" {
  instance_types        = autoscale_spot_node_group.dev.instance_types
  capacity_type         = "ON_DEMAND"
  weekly_instance_hours = autoscale_scaling_schedule.dev.weekly_instance_hours
  static_node_count     = 3
}

output "cost" {
  description = "Monthly cost (730 h, USD) of each group and what it saves against its peak On-Demand all week: Spot for batch, the schedules for staging and dev."
  value = {
    for name, estimate in {
      batch   = data.autoscale_cost_estimate.batch
      staging = data.autoscale_cost_estimate.staging
      dev     = data.autoscale_cost_estimate.dev
      } : name => {
      monthly_cost                  = estimate.monthly_cost
      monthly_on_demand_static_cost = estimate.monthly_on_demand_static_cost
      savings_percent               = estimate.savings_vs_on_demand_static_percent
      summary                       = estimate.summary
    }
  }
}

# A Spot batch group of ten nodes: what it costs, and what it saves against the same nodes
# On-Demand. Prices come from AWS at plan time, for the provider's region.
data "autoscale_cost_estimate" "batch" {
  instance_types = ["c5.xlarge"]
  capacity_type  = "SPOT"
  node_count     = 10
}

# The seed's staging group: 5 nodes in office hours, 1 otherwise, On-Demand. The schedule is
# written as for autoscale_scaling_schedule (or pass that resource's weekly_instance_hours).
data "autoscale_cost_estimate" "staging" {
  instance_types = ["m5.large"]
  capacity_type  = "ON_DEMAND"

  window {
    days             = "MON-FRI"
    start            = "08:00"
    end              = "18:00"
    desired_capacity = 5
  }
  off_hours {
    desired_capacity = 1
  }
}

# The seed's own prices instead of AWS's ($0.50 On-Demand, $0.10 Spot): a what-if that needs no
# price call, as an air-gapped plan would.
data "autoscale_cost_estimate" "seed_prices" {
  instance_types = ["m5.large"]
  capacity_type  = "SPOT"
  node_count     = 1

  price_override {
    instance_type = "m5.large"
    on_demand     = 0.50
    spot          = 0.10
  }
}

output "monthly_cost" {
  value = {
    batch   = data.autoscale_cost_estimate.batch.monthly_cost
    staging = data.autoscale_cost_estimate.staging.monthly_cost
  }
}

output "savings_percent" {
  value = {
    batch_spot       = data.autoscale_cost_estimate.batch.savings_vs_on_demand_static_percent       # Spot against On-Demand
    staging_schedule = data.autoscale_cost_estimate.staging.savings_vs_baseline_percent             # 56.19
    seed_spot        = data.autoscale_cost_estimate.seed_prices.savings_vs_on_demand_static_percent # 80
  }
}

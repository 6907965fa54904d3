output "node_group_id" {
  description = "The node group's id, cluster_name:node_group_name."
  value       = autoscale_spot_node_group.this.id
}

output "node_group_name" {
  description = "The node group's name."
  value       = autoscale_spot_node_group.this.node_group_name
}

output "node_group_arn" {
  description = "The node group's ARN."
  value       = autoscale_spot_node_group.this.arn
}

output "asg_names" {
  description = "Names of the node group's Auto Scaling groups."
  value       = autoscale_spot_node_group.this.asg_names
}

output "discovery_tags" {
  description = "Every Cluster Autoscaler tag on those groups, key to value."
  value       = autoscale_asg_discovery_tags.this.tags
}

output "schedule_actions" {
  description = "The schedule's scheduled actions, name to recurrence; empty without a schedule."
  value       = var.schedule == null ? {} : autoscale_scaling_schedule.this[0].actions
}

output "schedule_savings_percent" {
  description = "Instance-hours the schedule saves against its business-hours capacity all week; null without a schedule."
  value       = var.schedule == null ? null : autoscale_scaling_schedule.this[0].savings_percent
}

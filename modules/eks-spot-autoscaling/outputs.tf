output "node_group_id" {
  description = "The node group's id, cluster_name:node_group_name; null with Karpenter."
  value       = one(autoscale_spot_node_group.this[*].id)
}

output "node_group_name" {
  description = "The node group's name."
  value       = one(autoscale_spot_node_group.this[*].node_group_name)
}

output "node_group_arn" {
  description = "The node group's ARN."
  value       = one(autoscale_spot_node_group.this[*].arn)
}

output "asg_names" {
  description = "Names of the node group's Auto Scaling groups."
  value       = one(autoscale_spot_node_group.this[*].asg_names)
}

output "discovery_tags" {
  description = "Every Cluster Autoscaler tag on those groups, key to value."
  value       = one(autoscale_asg_discovery_tags.this[*].tags)
}

output "schedule_actions" {
  description = "The schedule's scheduled actions, name to recurrence; empty without a schedule."
  value       = length(autoscale_scaling_schedule.this) == 0 ? {} : autoscale_scaling_schedule.this[0].actions
}

output "schedule_savings_percent" {
  description = "Instance-hours the schedule saves against its business-hours capacity all week; null without a schedule."
  value       = length(autoscale_scaling_schedule.this) == 0 ? null : autoscale_scaling_schedule.this[0].savings_percent
}

output "karpenter_yaml" {
  description = "With node_autoscaler = karpenter: the EC2NodeClass and NodePool as one YAML stream; null otherwise."
  value       = one(autoscale_karpenter_node_pool_manifest.this[*].yaml)
}

output "karpenter_documents" {
  description = "With node_autoscaler = karpenter: the EC2NodeClass and the NodePool, one YAML document each; null otherwise."
  value       = one(autoscale_karpenter_node_pool_manifest.this[*].documents)
}

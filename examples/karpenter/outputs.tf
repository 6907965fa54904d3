output "karpenter_documents" {
  description = "The EC2NodeClass and the NodePool, one YAML document each."
  value       = autoscale_karpenter_node_pool_manifest.batch.documents
}

output "workers_ready_after_seconds" {
  description = "When all 50 workers are ready, on each node autoscaler."
  value = {
    cluster_autoscaler = data.autoscale_hpa_simulation.backlog_on_cluster_autoscaler.expect[0].reached_after_seconds
    karpenter          = data.autoscale_hpa_simulation.backlog_on_karpenter.expect[0].reached_after_seconds
  }
}

output "peak_nodes" {
  description = "The most nodes, on each node autoscaler."
  value = {
    cluster_autoscaler = data.autoscale_hpa_simulation.backlog_on_cluster_autoscaler.peak_nodes
    karpenter          = data.autoscale_hpa_simulation.backlog_on_karpenter.peak_nodes
  }
}

output "timelines" {
  description = "The simulated timelines side by side."
  value = {
    cluster_autoscaler = data.autoscale_hpa_simulation.backlog_on_cluster_autoscaler.timeline_table
    karpenter          = data.autoscale_hpa_simulation.backlog_on_karpenter.timeline_table
  }
}

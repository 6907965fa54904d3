output "node_group_id" {
  description = "The Spot node group, as cluster:node group."
  value       = autoscale_spot_node_group.batch.id
}

output "asg_names" {
  description = "Auto Scaling groups behind each node group."
  value = {
    batch   = autoscale_spot_node_group.batch.asg_names
    staging = autoscale_spot_node_group.staging.asg_names
    dev     = autoscale_spot_node_group.dev.asg_names
  }
}

output "discovery_tags" {
  description = "The Cluster Autoscaler tags written on the Spot group's ASG."
  value       = autoscale_asg_discovery_tags.batch.tags
}

output "schedule_savings_percent" {
  description = "Instance-hours saved by each schedule against its business-hours size all week."
  value = {
    staging = autoscale_scaling_schedule.staging.savings_percent
    dev     = autoscale_scaling_schedule.dev.savings_percent
  }
}

output "manifest_paths" {
  description = "The Kubernetes manifests written (kubectl apply -f each)."
  value = {
    api_hpa            = autoscale_hpa_manifest.api.output_path
    worker_hpa         = autoscale_hpa_manifest.worker.output_path
    prometheus_adapter = autoscale_prometheus_adapter_manifest.celery.output_path
    queue_exporter     = autoscale_queue_exporter_manifest.celery.output_path
    keda_worker        = autoscale_keda_scaled_object_manifest.worker.output_path
    cluster_autoscaler = autoscale_cluster_autoscaler_manifest.this.output_path
  }
}

# Seconds as text, or "not reached" where the simulation returns null: the spike ended first.
locals {
  spike       = data.autoscale_hpa_simulation.api_spike
  not_reached = "not reached in the simulated ${local.spike.duration_seconds} s"
}

output "api_spike" {
  description = "The API HPA under the spike: the most pods it asks for, and when (from the start of the load) it first asks for its 50 pods and when all 50 are ready, or \"not reached\" when the load ends first."
  value = {
    peak_replicas     = local.spike.peak_replicas
    time_to_max       = local.spike.time_to_max != null ? "${local.spike.time_to_max} s" : local.not_reached
    time_to_max_ready = local.spike.time_to_max_ready != null ? "${local.spike.time_to_max_ready} s" : local.not_reached
  }
}

output "worker_backlog" {
  description = "The 5000-job backlog against both worker forms: seconds until 50 pods are ready, and the replicas at the end (after 20 minutes of empty queue)."
  value = {
    adapter = {
      ready_50_at    = [for p in data.autoscale_hpa_simulation.worker_backlog.timeline : p.time_seconds if p.ready_pods >= 50][0]
      final_replicas = data.autoscale_hpa_simulation.worker_backlog.timeline[length(data.autoscale_hpa_simulation.worker_backlog.timeline) - 1].desired_replicas
    }
    keda = {
      ready_50_at    = [for p in data.autoscale_hpa_simulation.worker_keda_backlog.timeline : p.time_seconds if p.ready_pods >= 50][0]
      final_replicas = data.autoscale_hpa_simulation.worker_keda_backlog.timeline[length(data.autoscale_hpa_simulation.worker_keda_backlog.timeline) - 1].desired_replicas
      zero_at        = [for p in data.autoscale_hpa_simulation.worker_keda_backlog.timeline : p.time_seconds if p.time_seconds > 0 && p.desired_replicas == 0][0]
    }
  }
}

output "hpa_yaml" {
  description = "Each HorizontalPodAutoscaler's YAML, keyed like hpas."
  value       = { for name, hpa in autoscale_hpa_manifest.this : name => hpa.yaml }
}

output "keda_yaml" {
  description = "Each KEDA worker's ScaledObject (after its TriggerAuthentication, if any), keyed like keda_workers."
  value       = { for name, so in autoscale_keda_scaled_object_manifest.this : name => so.yaml }
}

output "adapter_yaml" {
  description = "The prometheus-adapter rules ConfigMap; null without external_metrics."
  value       = one(autoscale_prometheus_adapter_manifest.this[*].yaml)
}

output "adapter_config_yaml" {
  description = "The adapter's config.yaml alone (for Helm values); null without external_metrics."
  value       = one(autoscale_prometheus_adapter_manifest.this[*].config_yaml)
}

output "cluster_autoscaler_yaml" {
  description = "The Cluster Autoscaler's six objects as one YAML stream; null without cluster_autoscaler."
  value       = one(autoscale_cluster_autoscaler_manifest.this[*].yaml)
}

output "cluster_autoscaler_documents" {
  description = "The Cluster Autoscaler's objects, one YAML document each (for a kubernetes_manifest per object); empty without cluster_autoscaler."
  value       = flatten(autoscale_cluster_autoscaler_manifest.this[*].documents)
}

output "manifest_paths" {
  description = "Files written, keyed by <deployment>-hpa, <worker>-scaledobject, prometheus-adapter and cluster-autoscaler; empty without manifest_dir."
  value = var.manifest_dir == null ? {} : merge(
    { for name, hpa in autoscale_hpa_manifest.this : "${name}-hpa" => hpa.output_path },
    { for name, so in autoscale_keda_scaled_object_manifest.this : "${name}-scaledobject" => so.output_path },
    length(var.external_metrics) > 0 ? { "prometheus-adapter" = local.adapter_path } : {},
    var.cluster_autoscaler == null ? {} : { "cluster-autoscaler" = local.ca_path },
  )
}

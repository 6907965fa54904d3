# The Cluster Autoscaler for an EKS 1.31 cluster: least-waste expander, ASG tag discovery
# (k8s.io/cluster-autoscaler/enabled + k8s.io/cluster-autoscaler/production), nodes removed
# when below 50 % requested for 10 minutes, at least 10 minutes after a scale-up.
resource "autoscale_cluster_autoscaler_manifest" "this" {
  cluster_name                     = "production"
  kubernetes_version               = "1.31"
  iam_role_arn                     = "arn:aws:iam::123456789012:role/cluster-autoscaler"
  expander                         = ["least-waste"]
  balance_similar_node_groups      = true
  skip_nodes_with_local_storage    = false
  scale_down_delay_after_add       = "10m"
  scale_down_unneeded_time         = "10m"
  scale_down_utilization_threshold = 0.5
  max_node_provision_time          = "15m"
  output_path                      = "${path.module}/manifests/cluster-autoscaler.yaml"
}

# One object per document, e.g. for a kubernetes_manifest per object.
output "cluster_autoscaler_documents" {
  value = autoscale_cluster_autoscaler_manifest.this.documents
}

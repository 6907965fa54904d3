variable "cluster_name" {
  description = "Name of the existing EKS cluster the node groups join (make demo creates \"demo\" in the emulator)."
  type        = string
  default     = "demo"
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the cluster; picks the Cluster Autoscaler release."
  type        = string
  default     = "1.31"
}

variable "node_role_arn" {
  description = "IAM role the nodes run as."
  type        = string
  default     = "arn:aws:iam::123456789012:role/eks-node"
}

variable "subnet_ids" {
  description = "Subnets of the node groups, in several Availability Zones."
  type        = list(string)
  default     = ["subnet-0a1b2c3d", "subnet-4e5f6a7b"]
}

variable "manifest_dir" {
  description = "Directory the Kubernetes manifests are written to (apply them with kubectl apply -f)."
  type        = string
  default     = null
}

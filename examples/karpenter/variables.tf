variable "cluster_name" {
  description = "EKS cluster the NodePool is for; its subnets and security groups carry the karpenter.sh/discovery = <cluster_name> tag."
  type        = string
  default     = "production"
}

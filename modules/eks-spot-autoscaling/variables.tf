variable "cluster_name" {
  description = "Name of the existing EKS cluster the node group joins."
  type        = string

  validation {
    condition     = can(regex("^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$", var.cluster_name))
    error_message = "The cluster_name must be an EKS cluster name: 1 to 100 letters, digits, - and _, starting with a letter or digit."
  }
}

variable "node_group_name" {
  description = "Name of the node group, unique in the cluster."
  type        = string

  validation {
    condition     = can(regex("^[0-9A-Za-z][A-Za-z0-9_-]{0,62}$", var.node_group_name))
    error_message = "The node_group_name must be 1 to 63 letters, digits, - and _, starting with a letter or digit."
  }
}

variable "node_role_arn" {
  description = "ARN of the IAM role the nodes run as."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.node_role_arn))
    error_message = "The node_role_arn must be an IAM role ARN such as arn:aws:iam::123456789012:role/eks-node."
  }
}

variable "subnet_ids" {
  description = "Subnets the nodes are placed in; spread them over several Availability Zones so Spot has more capacity pools."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "The subnet_ids must name at least one subnet."
  }
}

variable "instance_types" {
  description = "Instance types of the same vCPU and memory (the Cluster Autoscaler sizes every node from the first)."
  type        = list(string)
  default     = ["c5.xlarge", "c5a.xlarge", "c5n.xlarge", "c5d.xlarge"]

  validation {
    condition     = length(var.instance_types) > 0
    error_message = "The instance_types must name at least one instance type."
  }
}

variable "capacity_type" {
  description = "SPOT or ON_DEMAND capacity."
  type        = string
  default     = "SPOT"

  validation {
    condition     = contains(["SPOT", "ON_DEMAND"], var.capacity_type)
    error_message = "The capacity_type must be SPOT or ON_DEMAND."
  }
}

variable "min_size" {
  description = "Fewest nodes; 0 lets the Cluster Autoscaler scale the group to zero."
  type        = number
  default     = 0

  validation {
    condition     = var.min_size >= 0 && floor(var.min_size) == var.min_size
    error_message = "The min_size must be a whole number, 0 or more."
  }
}

variable "max_size" {
  description = "Most nodes (EKS requires at least 1)."
  type        = number
  default     = 50

  validation {
    condition     = var.max_size >= 1 && floor(var.max_size) == var.max_size
    error_message = "The max_size must be a whole number, 1 or more (EKS node groups cannot have a maximum of 0)."
  }
}

variable "desired_size" {
  description = "Nodes to start with; afterwards the Cluster Autoscaler owns the live size."
  type        = number
  default     = 0

  validation {
    condition     = var.desired_size >= 0 && floor(var.desired_size) == var.desired_size
    error_message = "The desired_size must be a whole number, 0 or more."
  }
}

variable "labels" {
  description = "Kubernetes labels on every node; also written as node-template tags for scale from zero."
  type        = map(string)
  default     = {}
}

variable "taints" {
  description = "Taints on every node (effect NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE); also written as node-template tags."
  type = list(object({
    key    = string
    value  = string
    effect = string
  }))
  default = []

  validation {
    condition     = alltrue([for t in var.taints : contains(["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"], t.effect)])
    error_message = "Each taint effect must be NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE."
  }
}

variable "node_template_resources" {
  description = "Node resources the Cluster Autoscaler cannot learn from the instance type, e.g. { \"ephemeral-storage\" = \"100G\" }."
  type        = map(string)
  default     = {}
}

variable "tags" {
  description = "Tags on the node group itself."
  type        = map(string)
  default     = {}
}

variable "schedule" {
  description = "An optional weekly schedule on the group's Auto Scaling group: desired capacity in business hours on days (a cron day field such as MON-FRI) from start to end (HH:MM in time_zone), and off hours. null for none."
  type = object({
    name                    = string
    time_zone               = string
    days                    = string
    start                   = string
    end                     = string
    business_hours_capacity = number
    off_hours_capacity      = number
  })
  default = null

  validation {
    condition = var.schedule == null ? true : (
      can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.schedule.start)) &&
      can(regex("^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", var.schedule.end)) &&
      var.schedule.business_hours_capacity >= 0 && var.schedule.off_hours_capacity >= 0
    )
    error_message = "The schedule's start and end must be HH:MM times (end may be 24:00) and its capacities 0 or more."
  }
}

variable "node_autoscaler" {
  description = "Who adds nodes: cluster-autoscaler (an EKS managed node group with its Cluster Autoscaler tags) or karpenter (a Karpenter NodePool and EC2NodeClass)."
  type        = string
  default     = "cluster-autoscaler"

  validation {
    condition     = contains(["cluster-autoscaler", "karpenter"], var.node_autoscaler)
    error_message = "The node_autoscaler must be cluster-autoscaler or karpenter."
  }
}

variable "node_cpu" {
  description = "vCPUs of one node of instance_types; with max_size it gives the Karpenter NodePool's cpu limit (c5.xlarge: 4)."
  type        = number
  default     = 4

  validation {
    condition     = var.node_cpu > 0
    error_message = "The node_cpu must be greater than 0."
  }
}

variable "node_memory_gib" {
  description = "Memory (GiB) of one node of instance_types; with max_size it gives the Karpenter NodePool's memory limit (c5.xlarge: 8)."
  type        = number
  default     = 8

  validation {
    condition     = var.node_memory_gib > 0 && floor(var.node_memory_gib) == var.node_memory_gib
    error_message = "The node_memory_gib must be a whole number greater than 0."
  }
}

variable "karpenter_output_path" {
  description = "With node_autoscaler = karpenter: a file to write the NodePool and EC2NodeClass YAML to (drift-checked). null for none."
  type        = string
  default     = null
}

# Import by Auto Scaling group name and schedule name (the prefix of its actions' names).
terraform import autoscale_scaling_schedule.staging eks-staging-general-0a1b2c3d/staging

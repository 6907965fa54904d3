# Staging: 5 nodes from 08:00 to 18:00 Monday to Friday, 1 otherwise, in Paris time.
# Creates the actions staging-w0-start (0 8 * * 1-5) and staging-w0-end (0 18 * * 1-5);
# weekly_instance_hours = 368 and savings_percent = 56.19 against 5 nodes all week.
resource "autoscale_scaling_schedule" "staging" {
  cluster_name    = "staging"
  node_group_name = "general"

  name      = "staging"
  time_zone = "Europe/Paris"

  window {
    days             = "MON-FRI"
    start            = "08:00"
    end              = "18:00"
    min_size         = 1
    max_size         = 10
    desired_capacity = 5
  }

  off_hours {
    min_size         = 1
    max_size         = 2
    desired_capacity = 1
  }
}

# Development: 3 nodes in office hours with a shorter Friday, none at night or at weekends
# (EKS keeps max_size at 1 or more; min and desired go to 0).
resource "autoscale_scaling_schedule" "development" {
  asg_name = "eks-dev-general-0a1b2c3d"

  name      = "dev"
  time_zone = "America/Chicago"

  window {
    days             = "MON-THU"
    start            = "08:00"
    end              = "19:00"
    min_size         = 0
    max_size         = 5
    desired_capacity = 3
  }

  window {
    days             = "FRI"
    start            = "08:00"
    end              = "15:00"
    min_size         = 0
    max_size         = 5
    desired_capacity = 3
  }

  off_hours {
    min_size         = 0
    max_size         = 1
    desired_capacity = 0
  }
}

output "staging_savings_percent" {
  value = autoscale_scaling_schedule.staging.savings_percent
}

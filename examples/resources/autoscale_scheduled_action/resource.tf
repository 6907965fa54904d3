# Scale a node group's Auto Scaling group up for office hours in Paris. The group is looked
# up from the node group at apply; the plan previews the next runs in UTC and local time
# (07:00 UTC in winter, 06:00 UTC in summer).
resource "autoscale_scheduled_action" "office_hours_up" {
  cluster_name    = "staging"
  node_group_name = "general"

  name             = "office-hours-up"
  recurrence       = "0 8 * * MON-FRI"
  time_zone        = "Europe/Paris"
  min_size         = 2
  max_size         = 10
  desired_capacity = 5
}

# A group named directly, scaled down every evening until the end of the year.
resource "autoscale_scheduled_action" "evening_down" {
  asg_name = "legacy-web"

  name             = "evening-down"
  recurrence       = "0 19 * * *"
  time_zone        = "America/New_York"
  end_time         = "2030-12-31T23:59:59Z"
  desired_capacity = 1
}

output "next_office_hours" {
  value = [for run in autoscale_scheduled_action.office_hours_up.next_runs : run.local]
}

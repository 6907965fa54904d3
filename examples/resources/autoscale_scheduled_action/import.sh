# Import by Auto Scaling group name and action name.
terraform import autoscale_scheduled_action.evening_down legacy-web/evening-down

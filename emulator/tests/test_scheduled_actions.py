"""Fix: scheduled actions are per group, validated, merged on update, and report their next run."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from botocore.exceptions import ClientError
from conftest import error_of, make_group


def actions(asg, group):
    return {a["ScheduledActionName"]: a for a in asg.describe_scheduled_actions(AutoScalingGroupName=group)["ScheduledUpdateGroupActions"]}


def test_names_are_unique_per_group_not_per_region(emulator, asg):
    first, second = make_group(emulator, asg), make_group(emulator, asg)
    asg.put_scheduled_update_group_action(AutoScalingGroupName=first, ScheduledActionName="up", Recurrence="0 8 * * *", DesiredCapacity=1)
    asg.put_scheduled_update_group_action(AutoScalingGroupName=second, ScheduledActionName="up", Recurrence="0 9 * * *", DesiredCapacity=2)
    assert actions(asg, first)["up"]["DesiredCapacity"] == 1
    assert actions(asg, second)["up"]["DesiredCapacity"] == 2
    assert actions(asg, first)["up"]["ScheduledActionARN"] != actions(asg, second)["up"]["ScheduledActionARN"]
    asg.delete_scheduled_action(AutoScalingGroupName=first, ScheduledActionName="up")
    assert "up" not in actions(asg, first) and "up" in actions(asg, second)


def test_recurring_action_reports_its_next_run_in_its_time_zone(emulator, asg):
    group = make_group(emulator, asg)
    asg.put_scheduled_update_group_action(
        AutoScalingGroupName=group, ScheduledActionName="weekday-morning", Recurrence="30 7 * * MON-FRI",
        TimeZone="Europe/Berlin", MinSize=1, MaxSize=2,
    )
    action = actions(asg, group)["weekday-morning"]
    start = action["StartTime"].astimezone(ZoneInfo("Europe/Berlin"))
    now = dt.datetime.now(dt.timezone.utc)
    assert (start.hour, start.minute) == (7, 30)
    assert start.isoweekday() <= 5
    assert now < start <= now + dt.timedelta(days=4)
    assert action["TimeZone"] == "Europe/Berlin"
    assert "DesiredCapacity" not in action


def test_update_changes_only_what_is_given(emulator, asg):
    group = make_group(emulator, asg)
    asg.put_scheduled_update_group_action(
        AutoScalingGroupName=group, ScheduledActionName="a", Recurrence="0 8 * * *", TimeZone="UTC", MinSize=1, MaxSize=2, DesiredCapacity=1,
    )
    before = actions(asg, group)["a"]
    asg.put_scheduled_update_group_action(AutoScalingGroupName=group, ScheduledActionName="a", DesiredCapacity=2)
    after = actions(asg, group)["a"]
    assert (after["MinSize"], after["MaxSize"], after["DesiredCapacity"]) == (1, 2, 2)
    assert after["Recurrence"] == "0 8 * * *" and after["ScheduledActionARN"] == before["ScheduledActionARN"]
    # A new recurrence moves an implicit start time (hashicorp/terraform-provider-aws#38983).
    asg.put_scheduled_update_group_action(AutoScalingGroupName=group, ScheduledActionName="a", Recurrence="15 23 * * *")
    assert actions(asg, group)["a"]["StartTime"].astimezone(dt.timezone.utc).strftime("%H:%M") == "23:15"


@pytest.mark.parametrize(
    "params",
    [
        {"Recurrence": "0 8 * *", "DesiredCapacity": 1},
        {"Recurrence": "61 8 * * *", "DesiredCapacity": 1},
        {"Recurrence": "0 8 * * FUNDAY", "DesiredCapacity": 1},
        {"Recurrence": "0 8 * * *", "TimeZone": "Mars/Olympus_Mons", "DesiredCapacity": 1},
        {"Recurrence": "0 8 * * *"},
        {"StartTime": dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc), "DesiredCapacity": 1},
        {
            "StartTime": dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2),
            "EndTime": dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1),
            "DesiredCapacity": 1,
        },
    ],
    ids=["four-fields", "minute-61", "bad-day", "bad-zone", "no-size", "start-in-past", "end-before-start"],
)
def test_invalid_actions_are_rejected(emulator, asg, params):
    group = make_group(emulator, asg)
    with pytest.raises(ClientError) as excinfo:
        asg.put_scheduled_update_group_action(AutoScalingGroupName=group, ScheduledActionName="bad", **params)
    assert error_of(excinfo)[:2] == ("ValidationError", 400)
    assert actions(asg, group) == {}


def test_missing_group_is_rejected(asg):
    with pytest.raises(ClientError) as excinfo:
        asg.put_scheduled_update_group_action(
            AutoScalingGroupName="no-such-group", ScheduledActionName="a", Recurrence="0 8 * * *", DesiredCapacity=1
        )
    assert error_of(excinfo)[:2] == ("ValidationError", 400)


def test_deleting_a_group_deletes_its_actions(emulator, asg):
    group = make_group(emulator, asg)
    asg.put_scheduled_update_group_action(AutoScalingGroupName=group, ScheduledActionName="a", Recurrence="0 8 * * *", DesiredCapacity=1)
    asg.delete_auto_scaling_group(AutoScalingGroupName=group, ForceDelete=True)
    assert asg.describe_scheduled_actions(AutoScalingGroupName=group)["ScheduledUpdateGroupActions"] == []

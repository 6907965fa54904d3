"""Auto Scaling gaps in moto 5.2.5, patched in place. Each fix names the AWS behaviour it matches.

1. Tags. CreateOrUpdateTags / DeleteTags on a group that does not exist is a
   ValidationError (moto: KeyError, HTTP 500); a key is at most 128
   characters, a value at most 256; a group holds at most 50 tags, counting
   the ones it has (LimitExceeded), also at CreateAutoScalingGroup.
2. DescribeTags: the propagate-at-launch filter takes "true" / "false" as
   AWS documents (moto only matches "True" / "False"), and results are paged
   by MaxRecords (default 50, at most 100) and NextToken (moto returns all).
3. Scheduled actions. Names are unique per group, not per region (moto keeps
   one dict keyed by action name, so two groups' "scale-up" collide);
   PutScheduledUpdateGroupAction on an existing action changes only the
   parameters given (AWS: "If you leave a parameter unspecified when updating
   a scheduled scaling action, the corresponding value remains unchanged");
   the group must exist; Recurrence must be 5-field Unix cron and TimeZone an
   IANA zone; at least one of MinSize / MaxSize / DesiredCapacity; StartTime
   not in the past and before EndTime; a recurring action without StartTime
   reports its next run as StartTime; each action has its ARN; deleting a
   group deletes its actions.
4. Capacity. SetDesiredCapacity and UpdateAutoScalingGroup reject a desired
   capacity outside [min, max] and min > max with AWS's messages (moto
   accepts anything), and SetDesiredCapacity on an unknown group is a
   ValidationError (moto: 500).
5. UpdateAutoScalingGroup leaves a MixedInstancesPolicy alone unless the
   call changes how instances launch (AWS: unspecified parameters keep their
   values; moto drops the policy on every update).
6. Out-of-band scaling of a node group's group (what the Cluster Autoscaler
   does with SetDesiredCapacity) shows in the node group: DescribeNodegroup's
   scalingConfig.desiredSize follows the group's desired capacity.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from moto.autoscaling import models, responses
from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError
from moto.core.responses import ActionResult
from moto.moto_api._internal import mock_random as random

from . import cron, eks

MAX_TAGS = 50
MAX_KEY = 128
MAX_VALUE = 256
DESCRIBE_TAGS_DEFAULT = 50
DESCRIBE_TAGS_MAX = 100


class LimitExceeded(AutoscalingClientError):
    code = "LimitExceeded"


def group_not_found(name: str) -> ValidationError:
    return ValidationError(f"AutoScalingGroup name not found - AutoScalingGroup {name} not found")


def _group(backend: Any, name: str) -> Any:
    group = backend.autoscaling_groups.get(name)
    if group is None:
        raise group_not_found(name)
    return group


# --- tags ----------------------------------------------------------------------------
def _validate_tag_text(tags: list[dict[str, Any]]) -> None:
    for i, tag in enumerate(tags, start=1):
        key, value = tag.get("Key") or "", tag.get("Value") or ""
        if not key:
            raise ValidationError(f"1 validation error detected: Value at 'tags.{i}.member.key' failed to satisfy constraint: Member must not be null")
        if len(key) > MAX_KEY:
            raise ValidationError(
                f"1 validation error detected: Value '{key}' at 'tags.{i}.member.key' failed to satisfy "
                f"constraint: Member must have length less than or equal to {MAX_KEY}"
            )
        if len(value) > MAX_VALUE:
            raise ValidationError(
                f"1 validation error detected: Value '{value}' at 'tags.{i}.member.value' failed to satisfy "
                f"constraint: Member must have length less than or equal to {MAX_VALUE}"
            )


def _check_tag_limit(name: str, keys: set[str]) -> None:
    if len(keys) > MAX_TAGS:
        raise LimitExceeded(
            f"The number of tags ({len(keys)}) for Auto Scaling group {name} would exceed the limit of {MAX_TAGS}."
        )


_orig_create_or_update_tags = models.AutoScalingBackend.create_or_update_tags
_orig_delete_tags = models.AutoScalingBackend.delete_tags
_orig_create_group = models.AutoScalingBackend.create_auto_scaling_group
_orig_delete_group = models.AutoScalingBackend.delete_auto_scaling_group


def create_or_update_tags(self: Any, tags: list[dict[str, Any]]) -> None:
    _validate_tag_text(tags)
    new_keys: dict[str, set[str]] = {}
    for tag in tags:
        name = tag.get("ResourceId") or ""
        group = _group(self, name)
        new_keys.setdefault(name, {t["Key"] for t in group.tags}).add(tag["Key"])
    for name, keys in new_keys.items():
        _check_tag_limit(name, keys)
    _orig_create_or_update_tags(self, tags)


def delete_tags(self: Any, tags: list[dict[str, Any]]) -> None:
    for tag in tags:
        _group(self, tag.get("ResourceId") or "")
    _orig_delete_tags(self, tags)


def create_auto_scaling_group(self: Any, **kw: Any) -> Any:
    tags = kw.get("tags") or []
    _validate_tag_text(tags)
    _check_tag_limit(kw["name"], {t.get("Key") for t in tags})
    return _orig_create_group(self, **kw)


def describe_tags(self: Any, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    tags = [t for group in self.autoscaling_groups.values() for t in group.tags]
    for f in filters or []:
        values = list(f.get("Values") or [])
        name = f.get("Name")
        if name == "auto-scaling-group":
            tags = [t for t in tags if t["ResourceId"] in values]
        elif name == "propagate-at-launch":
            wanted = {str(v).lower() for v in values}
            tags = [t for t in tags if str(bool(t.get("PropagateAtLaunch"))).lower() in wanted]
        elif name == "key":
            tags = [t for t in tags if t["Key"] in values]
        elif name == "value":
            tags = [t for t in tags if t["Value"] in values]
        else:
            raise ValidationError(f"Filter type {name} is not correct. Allowed Filter types are: auto-scaling-group key value propagate-at-launch")
    return tags


def _response_describe_tags(self: Any) -> ActionResult:
    tags = self.autoscaling_backend.describe_tags(filters=self._get_param("Filters", []))
    max_records = self._get_int_param("MaxRecords") or DESCRIBE_TAGS_DEFAULT
    if not 1 <= max_records <= DESCRIBE_TAGS_MAX:
        raise ValidationError(f"MaxRecords must be between 1 and {DESCRIBE_TAGS_MAX}")
    token = self._get_param("NextToken")
    if token and not token.isdigit():
        raise ValidationError("The token provided is not valid.")
    start = int(token) if token else 0
    end = start + max_records
    return ActionResult({"Tags": tags[start:end], "NextToken": str(end) if end < len(tags) else None})


# --- scheduled actions ---------------------------------------------------------------------
def _as_utc(value: Any, field: str) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"Invalid {field}: {value}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    # AWS keeps whole seconds.
    return parsed.astimezone(dt.timezone.utc).replace(microsecond=0)


def put_scheduled_update_group_action(
    self: Any,
    name: str,
    desired_capacity: Any,
    max_size: Any,
    min_size: Any,
    scheduled_action_name: str,
    start_time: Any,
    end_time: Any,
    recurrence: str | None,
    timezone: str | None,
) -> Any:
    _group(self, name)
    existing = self.scheduled_actions.get((name, scheduled_action_name))

    def keep(new: Any, attr: str) -> Any:
        return new if new is not None else (getattr(existing, attr) if existing else None)

    min_size = keep(models.make_int(min_size), "min_size")
    max_size = keep(models.make_int(max_size), "max_size")
    desired_capacity = keep(models.make_int(desired_capacity), "desired_capacity")
    recurrence = keep(recurrence or None, "recurrence")
    timezone = keep(timezone or None, "time_zone")
    if min_size is None and max_size is None and desired_capacity is None:
        raise ValidationError("At least one of MinSize, MaxSize or DesiredCapacity must be specified.")
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(f"Invalid time zone: {timezone}. Use a time zone name from the IANA Time Zone Database.") from None
    schedule = None
    if recurrence:
        try:
            schedule = cron.parse(recurrence)
        except cron.CronError as err:
            raise ValidationError(f"Given recurrence string is invalid: {recurrence} ({err})") from None
    now = dt.datetime.now(dt.timezone.utc)
    new_start = _as_utc(start_time, "StartTime")
    if new_start is not None and new_start < now:
        raise ValidationError("Given start time is in the past")
    explicit_start = new_start is not None or bool(existing and existing.emu_start_explicit)
    start = new_start if new_start is not None else (existing.start_time if existing and existing.emu_start_explicit else None)
    if start is None and schedule is not None:
        start = cron.next_run(schedule, now, timezone or "UTC")
    end = keep(_as_utc(end_time, "EndTime"), "end_time")
    if end is not None and start is not None and end <= start:
        raise ValidationError("Given end time is before the start time")

    action = existing or models.FakeScheduledAction(
        autos_caling_group_name=name,
        desired_capacity=None,
        max_size=None,
        min_size=None,
        scheduled_action_name=scheduled_action_name,
        start_time=None,
        end_time=None,
        recurrence=None,
        time_zone=None,
    )
    action.min_size, action.max_size, action.desired_capacity = min_size, max_size, desired_capacity
    action.start_time, action.end_time = start, end
    action.recurrence, action.time_zone = recurrence, timezone
    action.emu_start_explicit = explicit_start
    if existing is None:
        action.scheduled_action_arn = (
            f"arn:aws:autoscaling:{self.region_name}:{self.account_id}:scheduledUpdateGroupAction:"
            f"{random.uuid4()}:autoScalingGroupName/{name}:scheduledActionName/{scheduled_action_name}"
        )
        self.scheduled_actions[(name, scheduled_action_name)] = action
    return action


def describe_scheduled_actions(
    self: Any, autoscaling_group_name: str | None = None, scheduled_action_names: list[str] | None = None
) -> list[Any]:
    return [
        action
        for (group, action_name), action in self.scheduled_actions.items()
        if (not autoscaling_group_name or group == autoscaling_group_name)
        and (not scheduled_action_names or action_name in scheduled_action_names)
    ]


def delete_scheduled_action(self: Any, auto_scaling_group_name: str, scheduled_action_name: str) -> None:
    if self.scheduled_actions.pop((auto_scaling_group_name, scheduled_action_name), None) is None:
        raise ValidationError("Scheduled action name not found")


def delete_auto_scaling_group(self: Any, group_name: str) -> None:
    _orig_delete_group(self, group_name)
    for key in [k for k in self.scheduled_actions if k[0] == group_name]:
        del self.scheduled_actions[key]


# --- capacity -------------------------------------------------------------------------------
def _follow_in_nodegroup(group: Any) -> None:
    ng = eks.nodegroup_of_group(group)
    if ng is not None and group.desired_capacity is not None:
        ng.scaling_config["desiredSize"] = group.desired_capacity


_orig_response_set_desired = responses.AutoScalingResponse.set_desired_capacity
_orig_response_update_group = responses.AutoScalingResponse.update_auto_scaling_group


def _response_set_desired_capacity(self: Any) -> Any:
    name = self._get_param("AutoScalingGroupName")
    group = _group(self.autoscaling_backend, name)
    desired = self._get_int_param("DesiredCapacity")
    if desired is not None and group.max_size is not None and desired > group.max_size:
        raise ValidationError(f"New SetDesiredCapacity value {desired} is above max value {group.max_size} for the AutoScalingGroup.")
    if desired is not None and group.min_size is not None and desired < group.min_size:
        raise ValidationError(f"New SetDesiredCapacity value {desired} is below min value {group.min_size} for the AutoScalingGroup.")
    result = _orig_response_set_desired(self)
    _follow_in_nodegroup(group)
    return result


def _response_update_auto_scaling_group(self: Any) -> Any:
    name = self._get_param("AutoScalingGroupName")
    group = self.autoscaling_backend.autoscaling_groups.get(name)
    if group is not None:
        mn = self._get_int_param("MinSize", group.min_size)
        mx = self._get_int_param("MaxSize", group.max_size)
        desired = self._get_int_param("DesiredCapacity")
        if mn is not None and mx is not None and mn > mx:
            raise ValidationError(f"Max bound, {mx}, must be greater than or equal to min bound, {mn}")
        if desired is not None and not (mn or 0) <= desired <= (mx if mx is not None else desired):
            raise ValidationError(
                f"Desired capacity:{desired} must be between the specified min size:{mn} and max size:{mx}"
            )
    kept_policy = group.mixed_instances_policy if group is not None else None
    result = _orig_response_update_group(self)
    if group is not None:
        changes_launch = any(
            self._get_param(p) for p in ("MixedInstancesPolicy", "LaunchTemplate", "LaunchConfigurationName")
        )
        if not changes_launch:
            group.mixed_instances_policy = kept_policy  # moto resets it to None
        _follow_in_nodegroup(group)
    return result


def install() -> None:
    """Applies the patches once."""
    backend = models.AutoScalingBackend
    if getattr(backend, "emu_patched", False):
        return
    backend.create_or_update_tags = create_or_update_tags
    backend.delete_tags = delete_tags
    backend.create_auto_scaling_group = create_auto_scaling_group
    backend.delete_auto_scaling_group = delete_auto_scaling_group
    backend.describe_tags = describe_tags
    backend.put_scheduled_update_group_action = put_scheduled_update_group_action
    backend.describe_scheduled_actions = describe_scheduled_actions
    backend.delete_scheduled_action = delete_scheduled_action
    backend.emu_patched = True

    response = responses.AutoScalingResponse
    response.describe_tags = _response_describe_tags
    response.set_desired_capacity = _response_set_desired_capacity
    response.update_auto_scaling_group = _response_update_auto_scaling_group

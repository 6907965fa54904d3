"""Unix cron (5 fields) as Auto Scaling's Recurrence uses it: parse, next run.

AWS: "Recurrence: The recurring schedule for this action. This format consists
of five fields separated by white spaces: [Minute] [Hour] [Day_of_Month]
[Month_of_Year] [Day_of_Week]", evaluated in TimeZone (IANA, default UTC).
When a recurring action has no StartTime, DescribeScheduledActions reports the
next run as its StartTime; ``next_run`` computes it.

Day of month and day of week follow Vixie cron: when both are restricted, a
day matching either one runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

MONTHS = {m: i + 1 for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())}
DAYS = {d: i for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split())}
# name, low, high, names
FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, MONTHS),
    ("day of week", 0, 7, DAYS),
)
SEARCH_DAYS = 366 * 8  # Feb 29 on a given weekday can be years away


class CronError(ValueError):
    pass


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    days_restricted: bool
    weekdays_restricted: bool

    def matches_day(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        dom = day.day in self.days
        dow = (day.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return dom or dow
        return dom and dow


def _value(text: str, low: int, high: int, names: dict[str, int], field: str) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        raise CronError(f"invalid {field} value {text!r}")
    value = int(text)
    if not low <= value <= high:
        raise CronError(f"{field} value {value} is outside {low}-{high}")
    return value


def _field(text: str, low: int, high: int, names: dict[str, int], field: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"invalid {field} step {step_text!r}")
            step = int(step_text)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _value(a, low, high, names, field), _value(b, low, high, names, field)
            if start > end:
                raise CronError(f"invalid {field} range {part!r}")
        else:
            start = _value(part, low, high, names, field)
            end = high if step != 1 else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


def parse(expression: str) -> Cron:
    """Parses a 5-field cron expression. Raises CronError with the reason."""
    parts = expression.split()
    if len(parts) != 5:
        raise CronError(f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}")
    sets = [_field(p, low, high, names, name) for p, (name, low, high, names) in zip(parts, FIELDS)]
    weekdays = frozenset(d % 7 for d in sets[4])
    return Cron(
        minutes=sets[0],
        hours=sets[1],
        days=sets[2],
        months=sets[3],
        weekdays=weekdays,
        days_restricted=parts[2] != "*",
        weekdays_restricted=parts[4] != "*",
    )


def next_run(cron: Cron, after: dt.datetime, time_zone: str = "UTC") -> dt.datetime | None:
    """The first run strictly after ``after`` (aware), in UTC; None if none within years."""
    tz = ZoneInfo(time_zone)
    local_after = after.astimezone(tz)
    day = local_after.date()
    for _ in range(SEARCH_DAYS):
        if cron.matches_day(day):
            for hour in sorted(cron.hours):
                for minute in sorted(cron.minutes):
                    local = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
                    utc = local.astimezone(dt.timezone.utc)
                    if utc > after:
                        return utc
        day += dt.timedelta(days=1)
    return None

//! Time without IO: Auto Scaling recurrences (5-field Unix cron, parsed by `croner`), IANA time
//! zones (`chrono-tz`), the next runs of a scheduled action, the start time to send when a
//! recurrence changes, and the weekly window model behind `autoscale_scaling_schedule` — the
//! scheduled actions that implement it, its instance-hours and its savings.
//!
//! Every function takes "now" as an argument, so tests fix it; nothing here reads a clock.
//!
//! Choices worth knowing:
//! - Recurrences are evaluated on the wall clock of their time zone, as Auto Scaling does: an
//!   08:00 action in Europe/Paris runs at 07:00 UTC in winter and 06:00 UTC in summer. A time
//!   that a spring-forward gap skips runs at the first instant after the gap; a time that a
//!   fall-back overlap repeats runs once, on its first pass (croner's fixed-time rules).
//! - croner understands more than Auto Scaling (`L`, `W`, `#`, `+`, `?`, `@daily`, seconds,
//!   years). Those extensions are refused before croner sees the text: each comma-, dash- or
//!   slash-separated atom must be `*`, digits, or a three-letter month or day name.
//! - Generated recurrences name days by number (`1-5`), the form every cron accepts; the
//!   `days` a user writes may use names (`MON-FRI`).

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// How many upcoming runs `next_runs` reports.
pub const NEXT_RUN_COUNT: usize = 5;

/// A start time sent to AWS is at least this far ahead of "now", so that it is still in the
/// future when the request arrives (AWS refuses a start time in the past).
pub const START_TIME_MARGIN: Duration = Duration::seconds(60);

/// Minutes in a day; a window may end at `24:00`.
const DAY_MINUTES: u32 = 24 * 60;

/// Hours in the standard week the instance-hours are counted over.
pub const WEEK_HOURS: f64 = 168.0;

/// Why a piece of schedule text is not acceptable. Messages complete "… is not valid: ".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Not a 5-field Unix cron expression Auto Scaling accepts.
    #[error("{text:?} is not a 5-field cron expression (minute hour day-of-month month day-of-week, e.g. \"0 8 * * MON-FRI\"): {reason}")]
    Recurrence { text: String, reason: String },
    /// Not a time zone of the IANA database.
    #[error("{0:?} is not an IANA time zone name (such as \"UTC\", \"Europe/Paris\" or \"America/New_York\")")]
    TimeZone(String),
    /// Not an RFC 3339 timestamp.
    #[error("{text:?} is not an RFC 3339 timestamp (such as \"2030-01-31T08:00:00Z\"): {reason}")]
    Timestamp { text: String, reason: String },
    /// Not a list of week days.
    #[error("{text:?} is not a list of days (such as \"MON-FRI\", \"SAT,SUN\" or \"*\"): {reason}")]
    Days { text: String, reason: String },
    /// Not a time of day.
    #[error("{0:?} is not a time of day in 24-hour HH:MM form (such as \"08:00\"; an end may be \"24:00\")")]
    TimeOfDay(String),
}

// ---------------------------------------------------------------------------------------------
// Recurrences, time zones, timestamps
// ---------------------------------------------------------------------------------------------

/// A parsed recurrence and the text it came from.
#[derive(Debug, Clone)]
pub struct Recurrence {
    text: String,
    cron: Cron,
}

impl Recurrence {
    /// The text as written.
    pub fn text(&self) -> &str {
        &self.text
    }
}

fn parser() -> CronParser {
    // `0/10` is accepted: AWS's cron (Vixie style) reads it as "from 0 every 10".
    CronParser::builder().seconds(Seconds::Disallowed).year(Year::Disallowed).sloppy_ranges(true).build()
}

/// Parses a 5-field Unix cron expression as `PutScheduledUpdateGroupAction` takes it.
///
/// # Errors
/// When the text has another number of fields, uses croner's extensions, or croner refuses it.
pub fn parse_recurrence(text: &str) -> Result<Recurrence, ScheduleError> {
    let fail = |reason: String| ScheduleError::Recurrence { text: text.to_string(), reason };
    let fields: Vec<&str> = text.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(fail(format!("it has {} field{}", fields.len(), if fields.len() == 1 { "" } else { "s" })));
    }
    const FIELD_NAMES: [&str; 5] = ["minute", "hour", "day-of-month", "month", "day-of-week"];
    for (index, field) in fields.iter().enumerate() {
        for atom in field.split([',', '-', '/']) {
            let names_allowed = index >= 3;
            let ok = atom == "*"
                || (!atom.is_empty() && atom.bytes().all(|b| b.is_ascii_digit()))
                || (names_allowed && atom.len() == 3 && atom.bytes().all(|b| b.is_ascii_alphabetic()));
            if !ok {
                return Err(fail(format!(
                    "the {} field {field:?} has {atom:?}; Auto Scaling takes numbers, `*`, ranges (`1-5`), lists (`1,3`), steps (`*/15`){}",
                    FIELD_NAMES[index],
                    if names_allowed { " and three-letter names (`MON`, `JAN`)" } else { "" }
                )));
            }
        }
    }
    let cron = parser().parse(text).map_err(|e| fail(e.to_string()))?;
    Ok(Recurrence { text: text.to_string(), cron })
}

/// Parses an IANA time zone name (case as in the database: `Europe/Paris`).
///
/// # Errors
/// When the database has no such zone.
pub fn parse_time_zone(name: &str) -> Result<Tz, ScheduleError> {
    Tz::from_str(name).map_err(|_| ScheduleError::TimeZone(name.to_string()))
}

/// Whether two time zone names mean UTC alike (AWS's default is `Etc/UTC`; an action without a
/// time zone is in UTC).
pub fn same_time_zone(a: Option<&str>, b: Option<&str>) -> bool {
    fn canonical(name: Option<&str>) -> &str {
        match name {
            None | Some("" | "UTC" | "Etc/UTC" | "Etc/UCT" | "UCT" | "Etc/Universal" | "Universal" | "Etc/Zulu" | "Zulu") => "UTC",
            Some(other) => other,
        }
    }
    canonical(a) == canonical(b)
}

/// Parses an RFC 3339 timestamp into UTC.
///
/// # Errors
/// When the text is not RFC 3339.
pub fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, ScheduleError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| ScheduleError::Timestamp { text: text.to_string(), reason: e.to_string() })
}

/// A UTC time as `2030-01-31T08:00:00Z`.
pub fn utc_text(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A time in a zone as `2030-01-31T09:00:00+01:00`.
pub fn local_text(time: DateTime<Utc>, zone: Tz) -> String {
    time.with_timezone(&zone).to_rfc3339_opts(SecondsFormat::Secs, true)
}

// ---------------------------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------------------------

/// One upcoming run of a scheduled action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub utc: DateTime<Utc>,
    /// RFC 3339 in the action's time zone, with its offset at that instant.
    pub local: String,
}

impl Run {
    fn at(utc: DateTime<Utc>, zone: Tz) -> Self {
        Self { utc, local: local_text(utc, zone) }
    }
}

/// What decides when a scheduled action runs.
#[derive(Debug, Clone)]
pub struct ActionTiming {
    pub recurrence: Option<Recurrence>,
    pub time_zone: Tz,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

impl ActionTiming {
    /// The next `count` runs strictly after `now`, in order.
    ///
    /// AWS: "If you specify Recurrence and StartTime, Amazon EC2 Auto Scaling performs the action
    /// at this time, and then performs the action based on the specified recurrence" — so a
    /// future start time is itself a run, followed by the recurrence's times after it. Runs stop
    /// before the end time. A one-time action (no recurrence) runs once, at its start time.
    pub fn next_runs(&self, now: DateTime<Utc>, count: usize) -> Vec<Run> {
        let mut runs = Vec::with_capacity(count);
        let mut from = now;
        if let Some(start) = self.start.filter(|s| *s > now) {
            if self.end.is_none_or(|end| start < end) {
                runs.push(Run::at(start, self.time_zone));
            }
            from = start;
        }
        let Some(recurrence) = &self.recurrence else { return runs };
        let origin = from.with_timezone(&self.time_zone);
        for local in recurrence.cron.iter_after(origin) {
            if runs.len() >= count {
                break;
            }
            let utc = local.with_timezone(&Utc);
            if self.end.is_some_and(|end| utc >= end) {
                break;
            }
            runs.push(Run::at(utc, self.time_zone));
        }
        runs.truncate(count);
        runs
    }
}

/// The next time a recurrence fires strictly after `after`.
pub fn next_occurrence(recurrence: &Recurrence, zone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    recurrence.cron.iter_after(after.with_timezone(&zone)).next().map(|t| t.with_timezone(&Utc))
}

/// The StartTime to send with `PutScheduledUpdateGroupAction`, or `None` to send none.
///
/// - A configured start time is sent while it is at least `START_TIME_MARGIN` ahead; one in the
///   past (or about to be) is never sent — AWS would refuse it, and a recurring action runs
///   from "now" anyway.
/// - When the recurrence or time zone of an existing action changes, AWS keeps the start time
///   it derived from the old recurrence (hashicorp/terraform-provider-aws#38983); so the next
///   occurrence of the new recurrence is sent explicitly. AWS runs an action at its start time
///   and then on its recurrence, so a start time on an occurrence adds no extra run.
pub fn start_time_to_send(
    configured: Option<DateTime<Utc>>,
    recurrence: Option<&Recurrence>,
    zone: Tz,
    timing_changed: bool,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let earliest = now + START_TIME_MARGIN;
    if let Some(start) = configured.filter(|s| *s >= earliest) {
        return Some(whole_second(start));
    }
    if timing_changed {
        return recurrence.and_then(|r| next_occurrence(r, zone, earliest)).map(whole_second);
    }
    None
}

fn whole_second(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(time.timestamp(), 0).unwrap_or(time)
}

// ---------------------------------------------------------------------------------------------
// Days and times of day
// ---------------------------------------------------------------------------------------------

/// A set of week days; bit `d` is day `d` in cron numbering (0 = Sunday … 6 = Saturday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DaySet(u8);

const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
/// A week whose dates are Sunday 0 … Saturday 6 (2023-01-01 was a Sunday), for asking croner
/// which days a day-of-week field matches.
const REFERENCE_SUNDAY: (i32, u32, u32) = (2023, 1, 1);

impl DaySet {
    pub const ALL: DaySet = DaySet(0x7f);

    /// Parses a cron day-of-week field (names or numbers, ranges, lists, steps, `*`) with croner.
    ///
    /// # Errors
    /// When croner refuses it, or it uses extensions Auto Scaling lacks.
    pub fn parse(text: &str) -> Result<DaySet, ScheduleError> {
        let fail = |reason: String| ScheduleError::Days { text: text.to_string(), reason };
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.contains(char::is_whitespace) {
            return Err(fail("write one field without spaces".into()));
        }
        let probe = parse_recurrence(&format!("0 0 * * {trimmed}")).map_err(|e| match e {
            ScheduleError::Recurrence { reason, .. } => fail(reason.replace("the day-of-week field", "the field")),
            other => fail(other.to_string()),
        })?;
        let (y, m, d) = REFERENCE_SUNDAY;
        let mut bits = 0u8;
        for offset in 0..7u32 {
            let date = NaiveDate::from_ymd_opt(y, m, d + offset).and_then(|date| date.and_hms_opt(0, 0, 0));
            let Some(date) = date else { continue };
            if probe.cron.is_time_matching(&Utc.from_utc_datetime(&date)).unwrap_or(false) {
                bits |= 1 << offset;
            }
        }
        if bits == 0 {
            return Err(fail("it matches no day".into()));
        }
        Ok(DaySet(bits))
    }

    pub fn contains(self, day: u32) -> bool {
        day < 7 && self.0 & (1 << day) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn intersection(self, other: DaySet) -> DaySet {
        DaySet(self.0 & other.0)
    }

    pub fn without(self, other: DaySet) -> DaySet {
        DaySet(self.0 & !other.0)
    }

    pub fn with(self, day: u32) -> DaySet {
        if day < 7 { DaySet(self.0 | (1 << day)) } else { self }
    }

    /// Each day moved to the next (Saturday → Sunday).
    pub fn next_days(self) -> DaySet {
        DaySet(((self.0 << 1) | (self.0 >> 6)) & 0x7f)
    }

    pub fn days(self) -> impl Iterator<Item = u32> {
        (0..7).filter(move |d| self.contains(*d))
    }

    pub fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// The cron day-of-week field for these days, by number: `*`, `1-5`, `0,6`.
    pub fn cron_field(self) -> String {
        if self == DaySet::ALL {
            return "*".into();
        }
        self.runs().iter().map(|&(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") }).collect::<Vec<_>>().join(",")
    }

    /// The days by name, Monday first: `MON-FRI`, `SAT,SUN`, `*`.
    pub fn names(self) -> String {
        if self == DaySet::ALL {
            return "*".into();
        }
        // Monday-first order, so that a working week reads MON-FRI and a weekend SAT,SUN.
        let order = [1u32, 2, 3, 4, 5, 6, 0];
        let mut parts = Vec::new();
        let mut i = 0;
        while i < order.len() {
            if !self.contains(order[i]) {
                i += 1;
                continue;
            }
            let mut j = i;
            while j + 1 < order.len() && self.contains(order[j + 1]) {
                j += 1;
            }
            let (a, b) = (DAY_NAMES[order[i] as usize], DAY_NAMES[order[j] as usize]);
            match j - i {
                0 => parts.push(a.to_string()),
                1 => parts.push(format!("{a},{b}")),
                _ => parts.push(format!("{a}-{b}")),
            }
            i = j + 1;
        }
        parts.join(",")
    }

    /// Consecutive runs of days by number, Sunday first.
    fn runs(self) -> Vec<(u32, u32)> {
        let mut runs: Vec<(u32, u32)> = Vec::new();
        for day in self.days() {
            match runs.last_mut() {
                Some((_, end)) if *end + 1 == day => *end = day,
                _ => runs.push((day, day)),
            }
        }
        runs
    }
}

/// A time of day in minutes after midnight; `24:00` (1440) only as a window's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeOfDay(u32);

impl TimeOfDay {
    /// Parses `HH:MM` (two digits each); `24:00` when `allow_midnight_end`.
    ///
    /// # Errors
    /// Any other form.
    pub fn parse(text: &str, allow_midnight_end: bool) -> Result<TimeOfDay, ScheduleError> {
        let fail = || ScheduleError::TimeOfDay(text.to_string());
        let (h, m) = text.split_once(':').ok_or_else(fail)?;
        if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(fail());
        }
        let (h, m): (u32, u32) = (h.parse().map_err(|_| fail())?, m.parse().map_err(|_| fail())?);
        match (h, m) {
            (24, 0) if allow_midnight_end => Ok(TimeOfDay(DAY_MINUTES)),
            (0..=23, 0..=59) => Ok(TimeOfDay(h * 60 + m)),
            _ => Err(fail()),
        }
    }

    pub fn minutes(self) -> u32 {
        self.0
    }

    pub fn hour(self) -> u32 {
        self.0 / 60
    }

    pub fn minute(self) -> u32 {
        self.0 % 60
    }

    /// `HH:MM`.
    pub fn text(self) -> String {
        format!("{:02}:{:02}", self.hour(), self.minute())
    }
}

// ---------------------------------------------------------------------------------------------
// The weekly model
// ---------------------------------------------------------------------------------------------

/// What a scheduled action sets; `None` leaves the group's value as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capacity {
    pub min_size: Option<i64>,
    pub max_size: Option<i64>,
    pub desired_capacity: Option<i64>,
}

impl Capacity {
    pub fn is_empty(&self) -> bool {
        self.min_size.is_none() && self.max_size.is_none() && self.desired_capacity.is_none()
    }

    /// The first problem with the sizes: a negative one, min above max, desired outside them.
    /// The field named is where the problem shows.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        for (field, value) in [("min_size", self.min_size), ("max_size", self.max_size), ("desired_capacity", self.desired_capacity)] {
            if let Some(v) = value.filter(|v| *v < 0) {
                return Some((field, format!("{field} is {v}; sizes cannot be negative.")));
            }
        }
        if let (Some(min), Some(max)) = (self.min_size, self.max_size)
            && min > max
        {
            return Some(("min_size", format!("min_size ({min}) is greater than max_size ({max}).")));
        }
        if let Some(desired) = self.desired_capacity {
            if let Some(min) = self.min_size.filter(|min| desired < *min) {
                return Some(("desired_capacity", format!("desired_capacity ({desired}) is below min_size ({min}).")));
            }
            if let Some(max) = self.max_size.filter(|max| desired > *max) {
                return Some(("desired_capacity", format!("desired_capacity ({desired}) is above max_size ({max}).")));
            }
        }
        None
    }
}

/// One in-hours window: on `days`, from `start` to `end` (same day; `end` may be 24:00).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub days: DaySet,
    pub start: TimeOfDay,
    pub end: TimeOfDay,
    pub capacity: Capacity,
}

/// A weekly schedule: windows, and the capacity outside them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklySchedule {
    pub windows: Vec<Window>,
    pub off_hours: Capacity,
}

/// Where a problem with a weekly schedule is: a window's field, or an `off_hours` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Window(usize, &'static str),
    OffHours(&'static str),
}

/// A problem with a weekly schedule, with the place it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub place: Place,
    pub summary: &'static str,
    pub detail: String,
}

/// One scheduled action implementing a weekly schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAction {
    pub name: String,
    pub recurrence: String,
    pub capacity: Capacity,
}

/// The name of the action starting window `index` of schedule `name`: `<name>-w<index>-start`.
pub fn start_action_name(name: &str, index: usize) -> String {
    format!("{name}-w{index}-start")
}

/// The name of the action ending window `index` of schedule `name`: `<name>-w<index>-end`.
pub fn end_action_name(name: &str, index: usize) -> String {
    format!("{name}-w{index}-end")
}

/// Which window and edge an action name of schedule `name` stands for: `(index, is_start)`.
pub fn parse_action_name(name: &str, action: &str) -> Option<(usize, bool)> {
    let rest = action.strip_prefix(name)?.strip_prefix("-w")?;
    let (index, edge) = rest.split_once('-')?;
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) || (index.len() > 1 && index.starts_with('0')) {
        return None;
    }
    let index = index.parse().ok()?;
    match edge {
        "start" => Some((index, true)),
        "end" => Some((index, false)),
        _ => None,
    }
}

fn at_time(time: TimeOfDay, days: DaySet) -> String {
    format!("{} {} * * {}", time.minute(), time.hour(), days.cron_field())
}

fn window_label(window: &Window) -> String {
    format!("{} {}-{}", window.days.names(), window.start.text(), window.end.text())
}

impl WeeklySchedule {
    /// Everything wrong with the schedule, each at its place. Empty when it is sound.
    ///
    /// Checks: each window ends after it starts; no two windows overlap on a day; sizes are
    /// consistent (min ≤ desired ≤ max, none negative); each capacity field is set in every
    /// period or in none (a value set in one period only would stay in force after the first
    /// switch, and the group would never return to what the other periods mean); and, for an
    /// EKS managed node group's group, no max_size of 0 (EKS requires a maximum of at least 1).
    pub fn problems(&self, eks_node_group: bool) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (i, window) in self.windows.iter().enumerate() {
            if window.end <= window.start {
                problems.push(Problem {
                    place: Place::Window(i, "end"),
                    summary: "Window ends before it starts",
                    detail: format!(
                        "windows[{i}] ends at {} but starts at {}: end must be after start on the same day. A window cannot cross midnight: end it at \"24:00\" and start another at \"00:00\" on the following days.",
                        window.end.text(),
                        window.start.text()
                    ),
                });
            }
            for (j, earlier) in self.windows.iter().enumerate().take(i) {
                let shared = window.days.intersection(earlier.days);
                if !shared.is_empty() && window.start < earlier.end && earlier.start < window.end {
                    problems.push(Problem {
                        place: Place::Window(i, "start"),
                        summary: "Overlapping windows",
                        detail: format!(
                            "windows[{i}] ({}) overlaps windows[{j}] ({}) on {}. Windows may touch (one ending when the next starts) but not overlap.",
                            window_label(window),
                            window_label(earlier),
                            shared.names()
                        ),
                    });
                }
            }
        }
        let periods: Vec<(Place, Capacity)> = self
            .windows
            .iter()
            .enumerate()
            .map(|(i, w)| (Place::Window(i, ""), w.capacity))
            .chain(std::iter::once((Place::OffHours(""), self.off_hours)))
            .collect();
        for (place, capacity) in &periods {
            if let Some((field, detail)) = capacity.problem() {
                problems.push(Problem { place: with_field(place, field), summary: "Inconsistent sizes", detail });
            }
            if eks_node_group && capacity.max_size == Some(0) {
                problems.push(Problem {
                    place: with_field(place, "max_size"),
                    summary: "max_size 0 on an EKS node group",
                    detail: "EKS managed node groups need a maximum size of at least 1; setting their Auto Scaling group's maximum to 0 puts it out of step with the node group. To scale to zero, set min_size and desired_capacity to 0 and keep max_size at 1 or more.".into(),
                });
            }
        }
        type Get = fn(&Capacity) -> Option<i64>;
        let fields: [(&'static str, Get); 3] =
            [("min_size", |c| c.min_size), ("max_size", |c| c.max_size), ("desired_capacity", |c| c.desired_capacity)];
        for (field, get) in fields {
            let set: Vec<bool> = periods.iter().map(|(_, c)| get(c).is_some()).collect();
            if set.iter().any(|s| *s) && !set.iter().all(|s| *s) {
                for ((place, _), is_set) in periods.iter().zip(&set) {
                    if !is_set {
                        problems.push(Problem {
                            place: with_field(place, field),
                            summary: "Capacity set in some periods only",
                            detail: format!(
                                "{field} is set in other periods of this schedule but not here. Set it in every window and in off_hours, or in none: a value set in one period only stays in force after the first switch."
                            ),
                        });
                    }
                }
            }
        }
        problems
    }

    /// The scheduled actions implementing the schedule, in order: for window `i`,
    /// `<name>-w<i>-start` at its start on its days with its capacity, and `<name>-w<i>-end` at
    /// its end with the off-hours capacity. An end is left out on the days another window starts
    /// at that very minute (that window's start action sets the capacity; two actions at one
    /// minute would race), and the end action disappears when no day is left. A window ending
    /// at 24:00 ends at 00:00 on the following days.
    pub fn actions(&self, name: &str) -> Vec<PlannedAction> {
        let mut actions = Vec::new();
        for (i, window) in self.windows.iter().enumerate() {
            actions.push(PlannedAction { name: start_action_name(name, i), recurrence: at_time(window.start, window.days), capacity: window.capacity });
            let (end_time, end_days) = if window.end.minutes() >= DAY_MINUTES {
                (TimeOfDay(0), window.days.next_days())
            } else {
                (window.end, window.days)
            };
            let mut taken = DaySet::default();
            for (j, other) in self.windows.iter().enumerate() {
                if j != i && other.start == end_time {
                    taken = DaySet(taken.0 | other.days.0);
                }
            }
            let days = end_days.without(taken);
            if !days.is_empty() {
                actions.push(PlannedAction { name: end_action_name(name, i), recurrence: at_time(end_time, days), capacity: self.off_hours });
            }
        }
        actions
    }

    /// Instance-hours in a standard 168-hour week: each minute counted at the desired capacity
    /// of the period it falls in (a window's, else off-hours'). `None` when a period has no
    /// desired capacity.
    pub fn weekly_instance_hours(&self) -> Option<f64> {
        let off = self.off_hours.desired_capacity?;
        let mut capacity_minutes: i64 = 0;
        let mut window_minutes: i64 = 0;
        for window in &self.windows {
            let desired = window.capacity.desired_capacity?;
            let length = i64::from(window.end.minutes().saturating_sub(window.start.minutes())) * i64::from(window.days.len());
            capacity_minutes += length * desired;
            window_minutes += length;
        }
        let week_minutes = 7 * i64::from(DAY_MINUTES);
        capacity_minutes += (week_minutes - window_minutes).max(0) * off;
        Some(capacity_minutes as f64 / 60.0)
    }

    /// The in-hours desired capacity: the largest desired capacity of any window.
    pub fn in_hours_capacity(&self) -> Option<i64> {
        self.windows.iter().map(|w| w.capacity.desired_capacity).collect::<Option<Vec<_>>>()?.into_iter().max()
    }

    /// Savings in percent against running the in-hours desired capacity all week:
    /// `100 × (1 − weekly_instance_hours ÷ (in-hours capacity × 168))`, rounded to two decimals.
    /// 0 when the in-hours capacity is 0.
    pub fn savings_percent(&self) -> Option<f64> {
        let hours = self.weekly_instance_hours()?;
        let baseline = self.in_hours_capacity()? as f64 * WEEK_HOURS;
        if baseline <= 0.0 {
            return Some(0.0);
        }
        Some(((1.0 - hours / baseline) * 100.0 * 100.0).round() / 100.0)
    }
}

fn with_field(place: &Place, field: &'static str) -> Place {
    match place {
        Place::Window(i, _) => Place::Window(*i, field),
        Place::OffHours(_) => Place::OffHours(field),
    }
}

/// One named upcoming run of a set of actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedRun {
    pub action: String,
    pub run: Run,
}

/// The next `count` runs of recurring actions in one zone, merged in time order (ties by name).
pub fn next_runs_of(actions: &[(String, Recurrence)], zone: Tz, now: DateTime<Utc>, count: usize) -> Vec<NamedRun> {
    let mut all: Vec<NamedRun> = Vec::new();
    for (name, recurrence) in actions {
        let timing = ActionTiming { recurrence: Some(recurrence.clone()), time_zone: zone, start: None, end: None };
        all.extend(timing.next_runs(now, count).into_iter().map(|run| NamedRun { action: name.clone(), run }));
    }
    all.sort_by(|a, b| a.run.utc.cmp(&b.run.utc).then_with(|| a.action.cmp(&b.action)));
    all.truncate(count);
    all
}

/// A recurrence of the form this module generates, `M H * * DAYS`, read back.
pub fn parse_daily_recurrence(text: &str) -> Option<(TimeOfDay, DaySet)> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [minute, hour, "*", "*", days] = fields.as_slice() else { return None };
    let minute: u32 = minute.parse().ok().filter(|m| *m < 60)?;
    let hour: u32 = hour.parse().ok().filter(|h| *h < 24)?;
    Some((TimeOfDay(hour * 60 + minute), DaySet::parse(days).ok()?))
}

/// One scheduled action as found on a group, reduced to what rebuilding a schedule needs.
#[derive(Debug, Clone)]
pub struct FoundAction {
    pub name: String,
    pub recurrence: Option<String>,
    pub capacity: Capacity,
}

/// Rebuilds windows and off-hours capacity from the actions of schedule `name` found on a group
/// (for refresh and import). `prior` (the schedule as last applied) fills what the actions
/// cannot say — a window end its end action no longer carries — and, where actions disagree,
/// the value differing from `prior` is taken, so that drift shows in a plan. Returns `None`
/// when no start action is found.
pub fn rebuild(name: &str, found: &[FoundAction], prior: Option<&WeeklySchedule>) -> Option<WeeklySchedule> {
    let mut starts: BTreeMap<usize, (Option<(TimeOfDay, DaySet)>, Capacity)> = BTreeMap::new();
    let mut ends: BTreeMap<usize, (Option<(TimeOfDay, DaySet)>, Capacity)> = BTreeMap::new();
    for action in found {
        let Some((index, is_start)) = parse_action_name(name, &action.name) else { continue };
        let when = action.recurrence.as_deref().and_then(parse_daily_recurrence);
        if is_start { starts.insert(index, (when, action.capacity)) } else { ends.insert(index, (when, action.capacity)) };
    }
    if starts.is_empty() {
        return None;
    }
    let prior_window = |i: usize| prior.and_then(|p| p.windows.get(i));
    let mut windows = Vec::new();
    // Windows by index; one whose start action is gone keeps its applied form (the missing
    // action shows among the schedule's actions), so later windows keep their places.
    let indices: std::collections::BTreeSet<usize> = starts.keys().chain(ends.keys()).copied().collect();
    for i in indices {
        let applied = prior_window(i);
        let (when, capacity) = match starts.get(&i) {
            Some((when, capacity)) => (when.or_else(|| applied.map(|w| (w.start, w.days))), *capacity),
            None => (applied.map(|w| (w.start, w.days)), applied.map(|w| w.capacity).unwrap_or_default()),
        };
        let Some((start, days)) = when else { continue };
        windows.push((i, Window { days, start, end: start, capacity }));
    }
    // Ends: from the end action when present; else the start of the window that begins where
    // this one's end action was left out; else what was applied.
    let starts_at: Vec<(TimeOfDay, DaySet)> = windows.iter().map(|(_, w)| (w.start, w.days)).collect();
    for (i, window) in &mut windows {
        // A window cannot end at 00:00 on its own day, so an end action at 00:00 means 24:00.
        let from_action = ends
            .get(i)
            .and_then(|(when, _)| *when)
            .map(|(time, _)| if time.minutes() == 0 { TimeOfDay(DAY_MINUTES) } else { time });
        let touching = || {
            starts_at
                .iter()
                .filter(|(start, days)| *start > window.start && !days.intersection(window.days).is_empty())
                .map(|(start, _)| *start)
                .min()
        };
        let prior_end = prior_window(*i).filter(|w| w.start == window.start).map(|w| w.end);
        window.end = from_action.or(prior_end).or_else(touching).unwrap_or(TimeOfDay(DAY_MINUTES));
    }
    let prior_off = prior.map(|p| p.off_hours);
    let end_capacities: Vec<Capacity> = ends.values().map(|(_, c)| *c).collect();
    let off_hours = match (end_capacities.first(), prior_off) {
        (None, Some(prior)) => prior,
        (None, None) => Capacity::default(),
        (Some(first), prior) => end_capacities.iter().copied().find(|c| Some(*c) != prior).unwrap_or(*first),
    };
    Some(WeeklySchedule { windows: windows.into_iter().map(|(_, w)| w).collect(), off_hours })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        parse_timestamp(text).unwrap()
    }

    fn paris() -> Tz {
        parse_time_zone("Europe/Paris").unwrap()
    }

    #[test]
    fn recurrence_accepts_unix_cron_with_names_ranges_steps_and_lists() {
        for text in ["0 8 * * MON-FRI", "30 18 * * 1-5", "*/15 * * * *", "0 0 1 1,6,12 *", "0 9 * JAN-MAR sat,sun", "0/10 * * * *", "0 8 * * 7"] {
            assert!(parse_recurrence(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn recurrence_refuses_other_field_counts_and_croner_extensions() {
        for (text, needle) in [
            ("0 8 * *", "4 fields"),
            ("0 0 8 * * MON", "6 fields"),
            ("@daily", "1 field"),
            ("0 8 * * MON#2", "\"MON#2\""),
            ("0 8 L * *", "\"L\""),
            ("0 8 15W * *", "\"15W\""),
            ("0 8 ? * MON", "\"?\""),
            ("0 8 * * +MON", "\"+MON\""),
            ("61 8 * * *", "Component error"),
            ("0 8 * * FUNDAY", "FUNDAY"),
            ("0 8 * * XYZ", "XYZ"),
        ] {
            let err = parse_recurrence(text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn time_zones_come_from_the_iana_database() {
        assert!(parse_time_zone("Europe/Paris").is_ok());
        assert!(parse_time_zone("America/Argentina/Buenos_Aires").is_ok());
        assert!(parse_time_zone("UTC").is_ok());
        assert!(parse_time_zone("Europe/Pariss").is_err());
        assert!(parse_time_zone("CEST+1").is_err());
        assert!(same_time_zone(None, Some("UTC")) && same_time_zone(Some("Etc/UTC"), Some("UTC")));
        assert!(!same_time_zone(Some("Europe/Paris"), Some("UTC")));
    }

    /// The DST check: an 08:00 weekday action in Paris runs at 07:00 UTC before the
    /// last Sunday of March and at 06:00 UTC after it.
    #[test]
    fn paris_weekday_mornings_move_an_hour_earlier_in_utc_across_the_march_change() {
        let timing = ActionTiming { recurrence: Some(parse_recurrence("0 8 * * MON-FRI").unwrap()), time_zone: paris(), start: None, end: None };
        // Wednesday 2027-03-24; the clocks change on Sunday 2027-03-28.
        let runs = timing.next_runs(utc("2027-03-24T12:00:00Z"), NEXT_RUN_COUNT);
        let got: Vec<(String, String)> = runs.iter().map(|r| (utc_text(r.utc), r.local.clone())).collect();
        assert_eq!(
            got,
            vec![
                ("2027-03-25T07:00:00Z".to_string(), "2027-03-25T08:00:00+01:00".to_string()),
                ("2027-03-26T07:00:00Z".into(), "2027-03-26T08:00:00+01:00".into()),
                ("2027-03-29T06:00:00Z".into(), "2027-03-29T08:00:00+02:00".into()),
                ("2027-03-30T06:00:00Z".into(), "2027-03-30T08:00:00+02:00".into()),
                ("2027-03-31T06:00:00Z".into(), "2027-03-31T08:00:00+02:00".into()),
            ]
        );
    }

    #[test]
    fn october_change_moves_them_back() {
        let timing = ActionTiming { recurrence: Some(parse_recurrence("0 8 * * MON-FRI").unwrap()), time_zone: paris(), start: None, end: None };
        let runs = timing.next_runs(utc("2026-10-22T12:00:00Z"), 3);
        let got: Vec<String> = runs.iter().map(|r| utc_text(r.utc)).collect();
        assert_eq!(got, vec!["2026-10-23T06:00:00Z", "2026-10-26T07:00:00Z", "2026-10-27T07:00:00Z"]);
    }

    #[test]
    fn a_time_in_the_spring_gap_runs_right_after_it_and_a_repeated_time_runs_once() {
        let gap = ActionTiming { recurrence: Some(parse_recurrence("30 2 * * *").unwrap()), time_zone: paris(), start: None, end: None };
        let runs = gap.next_runs(utc("2027-03-27T12:00:00Z"), 2);
        // 02:30 does not exist on 2027-03-28: the run is at 03:00 CEST = 01:00 UTC.
        assert_eq!(utc_text(runs[0].utc), "2027-03-28T01:00:00Z");
        assert_eq!(utc_text(runs[1].utc), "2027-03-29T00:30:00Z");
        let overlap = ActionTiming { recurrence: Some(parse_recurrence("30 2 * * *").unwrap()), time_zone: paris(), start: None, end: None };
        let runs = overlap.next_runs(utc("2026-10-24T12:00:00Z"), 2);
        // 02:30 happens twice on 2026-10-25; it runs on the first pass (00:30 UTC) only.
        assert_eq!(utc_text(runs[0].utc), "2026-10-25T00:30:00Z");
        assert_eq!(utc_text(runs[1].utc), "2026-10-26T01:30:00Z");
    }

    #[test]
    fn a_future_start_time_is_a_run_and_the_end_time_stops_runs() {
        let timing = ActionTiming {
            recurrence: Some(parse_recurrence("0 12 * * *").unwrap()),
            time_zone: Tz::UTC,
            start: Some(utc("2030-01-01T09:30:00Z")),
            end: Some(utc("2030-01-03T12:00:00Z")),
        };
        let runs: Vec<String> = timing.next_runs(utc("2029-12-01T00:00:00Z"), 5).iter().map(|r| utc_text(r.utc)).collect();
        assert_eq!(runs, vec!["2030-01-01T09:30:00Z", "2030-01-01T12:00:00Z", "2030-01-02T12:00:00Z"]);
        let past_start = ActionTiming { start: Some(utc("2020-01-01T00:00:00Z")), end: None, ..timing.clone() };
        assert_eq!(utc_text(past_start.next_runs(utc("2029-12-01T13:00:00Z"), 1)[0].utc), "2029-12-02T12:00:00Z");
        let once = ActionTiming { recurrence: None, time_zone: Tz::UTC, start: Some(utc("2030-01-01T09:30:00Z")), end: None };
        assert_eq!(once.next_runs(utc("2029-12-01T00:00:00Z"), 5).len(), 1);
        assert!(once.next_runs(utc("2031-01-01T00:00:00Z"), 5).is_empty());
    }

    #[test]
    fn start_time_sent_is_never_in_the_past_and_follows_a_new_recurrence() {
        let now = utc("2027-03-24T12:00:00Z");
        let rec = parse_recurrence("0 8 * * MON-FRI").unwrap();
        // A configured future start is sent, in whole seconds.
        assert_eq!(start_time_to_send(Some(utc("2027-04-01T00:00:00.5Z")), Some(&rec), paris(), false, now), Some(utc("2027-04-01T00:00:00Z")));
        // A configured past start is not; unchanged timing sends nothing.
        assert_eq!(start_time_to_send(Some(utc("2027-03-01T00:00:00Z")), Some(&rec), paris(), false, now), None);
        // A start less than the margin ahead counts as past.
        assert_eq!(start_time_to_send(Some(now + Duration::seconds(10)), Some(&rec), paris(), false, now), None);
        // A changed recurrence sends its next occurrence, even if the configured start passed.
        assert_eq!(start_time_to_send(Some(utc("2027-03-01T00:00:00Z")), Some(&rec), paris(), true, now), Some(utc("2027-03-25T07:00:00Z")));
        assert_eq!(start_time_to_send(None, Some(&rec), paris(), true, now), Some(utc("2027-03-25T07:00:00Z")));
        // An occurrence inside the margin is skipped for the following one.
        let soon = parse_recurrence("30 12 * * *").unwrap();
        assert_eq!(start_time_to_send(None, Some(&soon), Tz::UTC, true, utc("2027-03-24T12:29:30Z")), Some(utc("2027-03-25T12:30:00Z")));
    }

    #[test]
    fn days_parse_with_croner_and_render_both_ways() {
        let weekdays = DaySet::parse("MON-FRI").unwrap();
        assert_eq!(weekdays.cron_field(), "1-5");
        assert_eq!(weekdays.names(), "MON-FRI");
        assert_eq!(DaySet::parse("1-5").unwrap(), weekdays);
        assert_eq!(DaySet::parse("mon,tue,wed,thu,fri").unwrap(), weekdays);
        let weekend = DaySet::parse("SAT,SUN").unwrap();
        assert_eq!(weekend.cron_field(), "0,6");
        assert_eq!(weekend.names(), "SAT,SUN");
        assert_eq!(DaySet::parse("*").unwrap(), DaySet::ALL);
        assert_eq!(DaySet::parse("7").unwrap().cron_field(), "0");
        assert_eq!(DaySet::parse("FRI-SUN").unwrap().names(), "FRI-SUN");
        assert_eq!(DaySet::parse("MON-FRI/2").unwrap().names(), "MON,WED,FRI");
        assert_eq!(weekdays.next_days().names(), "TUE-SAT");
        assert_eq!(DaySet::parse("SAT").unwrap().next_days().names(), "SUN");
        for bad in ["", "MON FRI", "MON#2", "L", "FUNDAY", "8"] {
            assert!(DaySet::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_of_day_are_hh_mm() {
        assert_eq!(TimeOfDay::parse("08:00", false).unwrap().minutes(), 480);
        assert_eq!(TimeOfDay::parse("24:00", true).unwrap().minutes(), 1440);
        for bad in ["8:00", "24:00", "23:60", "0800", "08:00:00", "ab:cd"] {
            assert!(TimeOfDay::parse(bad, false).is_err(), "{bad}");
        }
        assert!(TimeOfDay::parse("24:01", true).is_err());
    }

    fn window(days: &str, start: &str, end: &str, desired: i64) -> Window {
        Window {
            days: DaySet::parse(days).unwrap(),
            start: TimeOfDay::parse(start, false).unwrap(),
            end: TimeOfDay::parse(end, true).unwrap(),
            capacity: Capacity { desired_capacity: Some(desired), ..Capacity::default() },
        }
    }

    fn off(desired: i64) -> Capacity {
        Capacity { desired_capacity: Some(desired), ..Capacity::default() }
    }

    /// The seed's staging schedule: 5 from 08:00 to 18:00 Monday to Friday, 1 otherwise.
    /// In-hours 5 × 50 h = 250, off-hours 1 × 118 h = 118: 368 instance-hours against
    /// 5 × 168 = 840, a saving of 1 − 368/840 = 56.19 %.
    #[test]
    fn staging_schedule_saves_what_its_hours_give() {
        let staging = WeeklySchedule { windows: vec![window("MON-FRI", "08:00", "18:00", 5)], off_hours: off(1) };
        assert_eq!(staging.weekly_instance_hours(), Some(368.0));
        assert_eq!(staging.in_hours_capacity(), Some(5));
        assert_eq!(staging.savings_percent(), Some(56.19));
        // Development: 3 in hours, 0 off: 150 of 504.
        let development = WeeklySchedule { windows: vec![window("MON-FRI", "08:00", "18:00", 3)], off_hours: off(0) };
        assert_eq!(development.weekly_instance_hours(), Some(150.0));
        assert_eq!(development.savings_percent(), Some(70.24));
    }

    #[test]
    fn staging_schedule_is_two_actions() {
        let staging = WeeklySchedule { windows: vec![window("MON-FRI", "08:00", "18:00", 5)], off_hours: off(1) };
        let actions = staging.actions("staging");
        assert_eq!(
            actions,
            vec![
                PlannedAction { name: "staging-w0-start".into(), recurrence: "0 8 * * 1-5".into(), capacity: off(5) },
                PlannedAction { name: "staging-w0-end".into(), recurrence: "0 18 * * 1-5".into(), capacity: off(1) },
            ]
        );
        assert!(staging.problems(false).is_empty());
    }

    #[test]
    fn touching_windows_share_a_boundary_without_a_racing_end_action() {
        let schedule = WeeklySchedule {
            windows: vec![window("MON-FRI", "08:00", "12:00", 5), window("MON-WED", "12:00", "18:00", 8)],
            off_hours: off(1),
        };
        assert!(schedule.problems(false).is_empty());
        let actions: Vec<(String, String)> = schedule.actions("s").into_iter().map(|a| (a.name, a.recurrence)).collect();
        assert_eq!(
            actions,
            vec![
                ("s-w0-start".to_string(), "0 8 * * 1-5".to_string()),
                ("s-w0-end".into(), "0 12 * * 4-5".into()),
                ("s-w1-start".into(), "0 12 * * 1-3".into()),
                ("s-w1-end".into(), "0 18 * * 1-3".into()),
            ]
        );
        // 5×4h×5 + 8×6h×3 + 1×(168 − 20 − 18) = 100 + 144 + 130.
        assert_eq!(schedule.weekly_instance_hours(), Some(374.0));
    }

    #[test]
    fn a_window_ending_at_midnight_ends_at_00_00_the_next_day() {
        let evening = WeeklySchedule { windows: vec![window("FRI,SAT", "20:00", "24:00", 4)], off_hours: off(1) };
        let actions = evening.actions("e");
        assert_eq!(actions[1].recurrence, "0 0 * * 0,6");
        let night = WeeklySchedule {
            windows: vec![window("FRI,SAT", "20:00", "24:00", 4), window("SAT,SUN", "00:00", "02:00", 4)],
            off_hours: off(1),
        };
        let names: Vec<String> = night.actions("n").into_iter().map(|a| a.name).collect();
        assert_eq!(names, vec!["n-w0-start", "n-w1-start", "n-w1-end"]);
    }

    #[test]
    fn problems_name_their_window_and_field() {
        let schedule = WeeklySchedule {
            windows: vec![
                window("MON-FRI", "08:00", "18:00", 5),
                window("FRI,SAT", "17:00", "20:00", 3),
                window("SUN", "10:00", "09:00", 2),
            ],
            off_hours: Capacity { min_size: Some(3), max_size: Some(0), desired_capacity: Some(1) },
        };
        let problems = schedule.problems(true);
        let places: Vec<(Place, &str)> = problems.iter().map(|p| (p.place.clone(), p.summary)).collect();
        assert!(places.contains(&(Place::Window(1, "start"), "Overlapping windows")), "{problems:#?}");
        assert!(places.contains(&(Place::Window(2, "end"), "Window ends before it starts")), "{problems:#?}");
        assert!(places.contains(&(Place::OffHours("min_size"), "Inconsistent sizes")), "{problems:#?}");
        assert!(places.contains(&(Place::OffHours("max_size"), "max_size 0 on an EKS node group")), "{problems:#?}");
        assert!(places.contains(&(Place::Window(0, "min_size"), "Capacity set in some periods only")), "{problems:#?}");
        let overlap = problems.iter().find(|p| p.summary == "Overlapping windows").unwrap();
        assert!(overlap.detail.contains("on FRI"), "{}", overlap.detail);
        assert!(schedule.problems(false).iter().all(|p| p.summary != "max_size 0 on an EKS node group"));
    }

    #[test]
    fn action_names_round_trip() {
        assert_eq!(parse_action_name("staging", "staging-w0-start"), Some((0, true)));
        assert_eq!(parse_action_name("staging", "staging-w12-end"), Some((12, false)));
        assert_eq!(parse_action_name("staging", "staging-w01-end"), None);
        assert_eq!(parse_action_name("staging", "staging-eu-w0-end"), None);
        assert_eq!(parse_action_name("staging", "other-w0-end"), None);
        assert_eq!(parse_action_name("staging", "staging-w0-middle"), None);
    }

    #[test]
    fn a_schedule_rebuilds_from_its_actions() {
        let schedule = WeeklySchedule {
            windows: vec![window("MON-FRI", "08:00", "12:00", 5), window("MON-WED", "12:00", "18:00", 8), window("FRI,SAT", "20:00", "24:00", 2)],
            off_hours: off(1),
        };
        let found: Vec<FoundAction> = schedule
            .actions("s")
            .into_iter()
            .map(|a| FoundAction { name: a.name, recurrence: Some(a.recurrence), capacity: a.capacity })
            .chain(std::iter::once(FoundAction { name: "someone-else".into(), recurrence: Some("0 1 * * *".into()), capacity: off(9) }))
            .collect();
        // Without the applied schedule (import) and with it (refresh).
        assert_eq!(rebuild("s", &found, None), Some(schedule.clone()));
        assert_eq!(rebuild("s", &found, Some(&schedule)), Some(schedule.clone()));
        // Drift in one end action's capacity shows, even if the others agree with the prior.
        let mut drifted = found.clone();
        drifted[1].capacity = off(2);
        assert_eq!(rebuild("s", &drifted, Some(&schedule)).map(|s| s.off_hours), Some(off(2)));
        assert_eq!(rebuild("s", &[], Some(&schedule)), None);
    }

    #[test]
    fn next_runs_of_a_schedule_merge_its_actions() {
        let staging = WeeklySchedule { windows: vec![window("MON-FRI", "08:00", "18:00", 5)], off_hours: off(1) };
        let actions: Vec<(String, Recurrence)> =
            staging.actions("st").into_iter().map(|a| (a.name, parse_recurrence(&a.recurrence).unwrap())).collect();
        let runs = next_runs_of(&actions, paris(), utc("2027-03-26T12:00:00Z"), 4);
        let got: Vec<(String, String)> = runs.iter().map(|r| (r.action.clone(), utc_text(r.run.utc))).collect();
        assert_eq!(
            got,
            vec![
                ("st-w0-end".to_string(), "2027-03-26T17:00:00Z".to_string()),
                ("st-w0-start".into(), "2027-03-29T06:00:00Z".into()),
                ("st-w0-end".into(), "2027-03-29T16:00:00Z".into()),
                ("st-w0-start".into(), "2027-03-30T06:00:00Z".into()),
            ]
        );
    }
}

"""Working-time arithmetic: the appointment printed on every receipt slip.

Pure functions and immutable tables: no ORM and no clock (callers pass every
moment in). Everything rests on one idea, the *position*: the number of
working seconds between a calendar's epoch (1 January of ``first_year``, local
midnight) and a moment. Positions only grow inside office sessions and stand
still everywhere else, so

* the working time between two moments is a subtraction of positions, and
* a due time is ``moment_at(position(start) + budget)``: the earliest moment
  whose position reaches the target, found with ``bisect`` in a table of
  cumulative working seconds per day, never by walking day by day.

"Earliest" is what keeps 17:30 at 17:30: the position reached at the end of
the afternoon session is also the position of the next morning's 07:30, and
the earlier of the two is the honest appointment.

Resolution is one second; sub-second parts of a moment are dropped. Sessions
are local wall-clock times in the calendar's zone (``Asia/Ho_Chi_Minh`` by
default, which has no daylight saving time).

Modules: ``base`` (zone, error), ``durations`` (ISO 8601 working durations),
``calendars`` (the precomputed calendar), ``deadlines`` (due times,
explanations, the Decision 766 verdict).
"""

from workflows.worktime.base import LOCAL_TZ, Session, WorktimeError
from workflows.worktime.calendars import DEFAULT_WEEKDAY_SESSIONS, DayRule, WorkingCalendar
from workflows.worktime.deadlines import (
    Explanation,
    SkippedDay,
    due_at,
    explain,
    timeliness,
    working_time_between,
)
from workflows.worktime.durations import WorkDuration, parse_duration

__all__ = [
    "DEFAULT_WEEKDAY_SESSIONS",
    "LOCAL_TZ",
    "DayRule",
    "Explanation",
    "Session",
    "SkippedDay",
    "WorkDuration",
    "WorkingCalendar",
    "WorktimeError",
    "due_at",
    "explain",
    "parse_duration",
    "timeliness",
    "working_time_between",
]

"""Due times, their explanation, and the Decision 766 timeliness verdict."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, Literal

from workflows.worktime.base import LOCAL_TZ, require_aware
from workflows.worktime.calendars import WorkingCalendar
from workflows.worktime.durations import WorkDuration, as_duration


def due_at(*, start: datetime, duration: WorkDuration | str, calendar: WorkingCalendar) -> datetime:
    """The appointment: ``start`` plus ``duration`` of working time.

    A start outside office hours begins counting at the next opening (the
    position already stands still there). A zero budget returns the start
    when it is inside a session or exactly at a session's end.
    """
    seconds = as_duration(duration).to_seconds(calendar)
    if seconds > 0:
        return calendar.moment_at(calendar.position(start) + seconds)
    if calendar.is_working_time(start) or calendar.is_session_end(start):
        return start.astimezone(calendar.tz)
    return calendar.next_opening(start)


def working_time_between(a: datetime, b: datetime, calendar: WorkingCalendar) -> int:
    """Working seconds from ``a`` to ``b`` (negative when ``b`` is earlier)."""
    return calendar.position(b) - calendar.position(a)


@dataclass(frozen=True, slots=True)
class SkippedDay:
    """A date inside the explained span, with why it was skipped (or worked)."""

    date: dt.date
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"date": self.date.isoformat(), "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why the appointment is what it is: the days skipped and the extra days worked."""

    start: datetime
    effective_start: datetime
    duration: WorkDuration
    duration_seconds: int
    due_at: datetime
    skipped_days: list[SkippedDay]
    extra_working_days: list[SkippedDay]

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "effective_start": self.effective_start.isoformat(),
            "duration": self.duration.isoformat(),
            "duration_seconds": self.duration_seconds,
            "due_at": self.due_at.isoformat(),
            "skipped_days": [day.as_dict() for day in self.skipped_days],
            "extra_working_days": [day.as_dict() for day in self.extra_working_days],
        }


def explain(
    *, start: datetime, duration: WorkDuration | str, calendar: WorkingCalendar
) -> Explanation:
    """The appointment with the non-working days between start and due, with reasons."""
    budget = as_duration(duration)
    due = due_at(start=start, duration=budget, calendar=calendar)
    local_start = start.astimezone(calendar.tz)
    effective = due if due == local_start else calendar.next_opening(start)
    first, last = calendar.position(effective), calendar.position(due)
    skipped, extra = [], []
    day = local_start.date()
    while day <= due.date():
        reason = calendar.non_working_reason(day)
        if reason is not None:
            skipped.append(SkippedDay(day, reason))
        elif (reason := calendar.working_reason(day)) is not None:
            day_first, day_last = calendar.day_positions(day)
            if max(first, day_first) < min(last, day_last):  # some of its time was counted
                extra.append(SkippedDay(day, reason))
        day += timedelta(days=1)
    return Explanation(
        start=local_start,
        effective_start=effective,
        duration=budget,
        duration_seconds=budget.to_seconds(calendar),
        due_at=due,
        skipped_days=skipped,
        extra_working_days=extra,
    )


def timeliness(
    *, ended_at: datetime, appointment: datetime, tz: tzinfo = LOCAL_TZ
) -> Literal["early", "on_time", "late"]:
    """Decision 766 verdict: early on an earlier local date, on time up to the appointment."""
    require_aware(ended_at)
    require_aware(appointment)
    if ended_at > appointment:
        return "late"
    if ended_at.astimezone(tz).date() < appointment.astimezone(tz).date():
        return "early"
    return "on_time"

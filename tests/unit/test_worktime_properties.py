"""Properties of the working-time engine, checked on random inputs with hypothesis.

Random starts fall anywhere in 2025-2027 (any minute, in several UTC offsets),
budgets go up to 30 working days, and calendars vary their office hours,
overrides and Saturday reception. A slow session-by-session reference written
here, which classifies days straight from the ``holidays`` package, checks
the table-and-bisect engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.ledger import ClockEvent, fold, shift_for_pause
from workflows.worktime import (
    DEFAULT_WEEKDAY_SESSIONS,
    LOCAL_TZ,
    DayRule,
    WorkDuration,
    WorkingCalendar,
    due_at,
    explain,
    parse_duration,
    timeliness,
    working_time_between,
)

PROPERTY = settings(max_examples=300, deadline=None)
FIRST_YEAR, LAST_YEAR = 2024, 2029  # a short span keeps building random calendars cheap

OFFICE_HOURS = {
    "default": [list(day) for day in DEFAULT_WEEKDAY_SESSIONS],
    "seven_to_five": [[(time(7), time(11)), (time(13), time(17))]] * 5 + [[], []],
    "six_hours": [[(time(8), time(11)), (time(14), time(17))]] * 5 + [[], []],
    "three_sessions": [[(time(7), time(9)), (time(9, 15), time(11, 45)), (time(13), time(16, 5))]]
    * 5
    + [[], []],
    "friday_short": [[(time(7, 30), time(11, 30)), (time(13, 30), time(17, 30))]] * 4
    + [[(time(7, 30), time(11, 30))], [], []],
}
ZONES = [LOCAL_TZ, UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9, minutes=30))]
VN = holidays.country_holidays("VN", years=range(FIRST_YEAR, LAST_YEAR + 1), language="vi")
MAKEUP_SATURDAYS = set(VN.weekend_workdays)


@dataclass(frozen=True)
class Spec:
    """What a random calendar was built from, for the reference to read."""

    hours: str
    overrides: tuple[DayRule, ...]
    calendar: WorkingCalendar


DEFAULT_SPEC = Spec(
    "default",
    (),
    WorkingCalendar(
        weekday_sessions=OFFICE_HOURS["default"], first_year=FIRST_YEAR, last_year=LAST_YEAR
    ),
)


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    hours = draw(st.sampled_from(sorted(OFFICE_HOURS)))
    rule = st.builds(
        DayRule,
        day=st.dates(date(2025, 1, 1), date(2028, 2, 28)),
        kind=st.sampled_from(["day_off", "working_day"]),
        reason=st.sampled_from(["Tỉnh cho nghỉ", "Trung tâm làm bù", "Bão lũ"]),
    )
    overrides = tuple(draw(st.lists(rule, max_size=8)))
    reception = draw(st.sampled_from([None, {5: [(time(7, 30), time(11, 30))]}]))
    calendar = WorkingCalendar(
        weekday_sessions=OFFICE_HOURS[hours],
        overrides=overrides,
        reception_sessions=reception,
        first_year=FIRST_YEAR,
        last_year=LAST_YEAR,
    )
    return Spec(hours, overrides, calendar)


calendars = st.one_of(st.just(DEFAULT_SPEC), specs())
starts = st.builds(
    lambda minutes, zone: (
        datetime(2025, 1, 1, tzinfo=LOCAL_TZ) + timedelta(minutes=minutes)
    ).astimezone(zone),
    st.integers(0, (date(2028, 1, 1) - date(2025, 1, 1)).days * 1440 - 1),
    st.sampled_from(ZONES),
)


def durations(max_days: int = 30) -> st.SearchStrategy[WorkDuration]:
    minutes = st.integers(0, 8 * 60 - 1).map(lambda m: m * 60)
    return st.one_of(
        st.builds(WorkDuration, days=st.integers(0, max_days)),
        st.builds(WorkDuration, seconds=st.integers(0, max_days * 8 * 60).map(lambda m: m * 60)),
        st.builds(WorkDuration, days=st.integers(0, max_days - 1), seconds=minutes),
    )


# --- the slow, obviously correct reference ---------------------------------------


def reference_sessions(spec: Spec, day: date) -> list[tuple[time, time]]:
    """The day's counting sessions, straight from the rules in the domain notes."""
    week = OFFICE_HOURS[spec.hours]
    normal = next(sessions for sessions in week[:5] if sessions)
    rules = {rule.day: rule for rule in spec.overrides}  # the last one for a date wins
    if day in rules:
        return normal if rules[day].kind == "working_day" else []
    if day in VN:
        return []
    if day in MAKEUP_SATURDAYS:
        return normal
    return week[day.weekday()]


def reference_due(spec: Spec, start: datetime, seconds: int) -> datetime:
    """Walk session by session from ``start``, spending the budget."""
    cursor = start.astimezone(LOCAL_TZ).replace(tzinfo=None, microsecond=0)
    day, remaining = cursor.date(), seconds
    while True:
        for opens, closes in reference_sessions(spec, day):
            begin, end = datetime.combine(day, opens), datetime.combine(day, closes)
            if remaining == 0 and end == cursor:
                return cursor.replace(tzinfo=LOCAL_TZ)  # exactly at a session's end
            if end <= cursor:
                continue
            begin = max(begin, cursor)
            available = int((end - begin).total_seconds())
            if remaining <= available:
                return (begin + timedelta(seconds=remaining)).replace(tzinfo=LOCAL_TZ)
            remaining -= available
        day += timedelta(days=1)
        cursor = datetime.combine(day, time())


def at_session_end(calendar: WorkingCalendar, moment: datetime) -> bool:
    local = moment.astimezone(LOCAL_TZ)
    return local.time() in {end for _, end in calendar.sessions_on(local.date())}


# --- properties ------------------------------------------------------------------------


@PROPERTY
@given(spec=calendars, start=starts, duration=durations())
def test_due_is_not_before_start_and_lands_in_working_time(spec, start, duration) -> None:
    calendar = spec.calendar
    due = due_at(start=start, duration=duration, calendar=calendar)
    assert due >= start
    assert due.utcoffset() == timedelta(hours=7)
    assert calendar.is_working_time(due) or at_session_end(calendar, due)
    if duration.to_seconds(calendar) > 0:
        assert due > start


@PROPERTY
@given(spec=calendars, start=starts, a=durations(15), b=durations(15))
def test_composition(spec, start, a, b) -> None:
    calendar = spec.calendar
    start = calendar.next_opening(start)  # inside working time
    if a.to_seconds(calendar) == 0 or b.to_seconds(calendar) == 0:
        a, b = a + WorkDuration(seconds=60), b + WorkDuration(seconds=60)
    first = due_at(start=start, duration=a, calendar=calendar)
    assert due_at(start=first, duration=b, calendar=calendar) == due_at(
        start=start, duration=a + b, calendar=calendar
    )


@PROPERTY
@given(spec=calendars, start=starts, duration=durations())
def test_working_time_to_due_is_the_budget(spec, start, duration) -> None:
    calendar = spec.calendar
    inside = calendar.next_opening(start)
    due = due_at(start=inside, duration=duration, calendar=calendar)
    assert working_time_between(inside, due, calendar) == duration.to_seconds(calendar)
    if duration.to_seconds(calendar) > 0:  # also from outside office hours
        due = due_at(start=start, duration=duration, calendar=calendar)
        assert working_time_between(start, due, calendar) == duration.to_seconds(calendar)
        assert working_time_between(due, start, calendar) == -duration.to_seconds(calendar)


@PROPERTY
@given(
    spec=calendars,
    start=starts,
    duration=durations(),
    pause_share=st.floats(0, 0.999),
    pause_minutes=st.integers(0, 14 * 1440),
)
def test_a_pause_shifts_the_due_time_by_the_paused_working_time(
    spec, start, duration, pause_share, pause_minutes
) -> None:
    calendar = spec.calendar
    duration += WorkDuration(seconds=60)
    due = due_at(start=start, duration=duration, calendar=calendar)
    paused_at = start + (due - start) * pause_share
    resumed_at = paused_at + timedelta(minutes=pause_minutes)
    events = [
        ClockEvent("start", start),
        ClockEvent("pause", paused_at),
        ClockEvent("resume", resumed_at),
    ]
    state = fold(budget=duration, events=events, calendar=calendar)
    paused = working_time_between(paused_at, resumed_at, calendar)
    expected = calendar.moment_at(calendar.position(due) + paused)
    assert state.due_at == expected
    assert state.due_at == shift_for_pause(
        due=due, paused_from=paused_at, paused_until=resumed_at, calendar=calendar
    )
    assert state.paused_seconds == paused
    assert state.first_due_at == due


@PROPERTY
@given(spec=calendars, moment=starts, offset=st.integers(0, 10**7))
def test_position_and_moment_at_are_inverse(spec, moment, offset) -> None:
    calendar = spec.calendar
    assert calendar.moment_at(calendar.position(moment)) <= moment
    position = calendar.position(datetime(2025, 1, 1, tzinfo=LOCAL_TZ)) + offset
    back = calendar.moment_at(position)
    assert calendar.position(back) == position
    if position > 0:  # earliest: one second before, the position was one less
        assert calendar.position(back - timedelta(seconds=1)) == position - 1


@PROPERTY
@given(spec=calendars, start=starts, duration=durations(5))
def test_matches_the_session_by_session_reference(spec, start, duration) -> None:
    calendar = spec.calendar
    seconds = duration.to_seconds(calendar)
    assert due_at(start=start, duration=duration, calendar=calendar) == reference_due(
        spec, start, seconds
    )


@PROPERTY
@given(spec=calendars, day=st.dates(date(2025, 1, 1), date(2027, 12, 31)))
def test_days_match_the_package_and_overrides(spec, day) -> None:
    calendar = spec.calendar
    expected = tuple(tuple(s) for s in reference_sessions(spec, day))
    assert calendar.sessions_on(day) == expected
    assert calendar.is_working_day(day) is bool(expected)
    assert (calendar.non_working_reason(day) is None) is bool(expected)
    if calendar.working_reason(day) is not None:
        assert calendar.is_working_day(day)


@PROPERTY
@given(spec=calendars, start=starts, duration=durations(10))
def test_explanation_lists_every_day_off_in_range(spec, start, duration) -> None:
    calendar = spec.calendar
    explanation = explain(start=start, duration=duration, calendar=calendar)
    assert explanation.due_at == due_at(start=start, duration=duration, calendar=calendar)
    first, last = start.astimezone(LOCAL_TZ).date(), explanation.due_at.date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    assert [d.date for d in explanation.skipped_days] == [
        d for d in days if not reference_sessions(spec, d)
    ]
    assert all(d.reason for d in explanation.skipped_days + explanation.extra_working_days)
    assert explanation.effective_start <= explanation.due_at


@PROPERTY
@given(ended=starts, appointment=starts)
def test_timeliness_is_consistent(ended, appointment) -> None:
    verdict = timeliness(ended_at=ended, appointment=appointment)
    assert (verdict == "late") is (ended > appointment)
    if verdict == "early":
        assert ended.astimezone(LOCAL_TZ).date() < appointment.astimezone(LOCAL_TZ).date()
    assert timeliness(ended_at=appointment, appointment=appointment) == "on_time"


@PROPERTY
@given(duration=durations(365))
def test_duration_text_round_trip(duration) -> None:
    if duration.days * 28800 + duration.seconds <= 365 * 28800:
        assert parse_duration(duration.isoformat()) == duration

"""The deadline ledger in the database: open a clock, append events, and
recompute open clocks when the calendar changes.

Callers hold the transaction and have locked the row that owns the clock
(a dossier); ``clock_append`` also locks the clock row itself.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from config.errors import Conflict, ValidationFailed
from procedures.models import ServiceCentre
from workflows import ledger
from workflows.models import (
    Clock,
    ClockEvent,
    ClockEventKind,
    ClockKind,
    ClockState,
    Dossier,
)
from workflows.selectors.calendar import centre_calendar
from workflows.worktime import WorkingCalendar, WorktimeError, parse_duration

#: Events that change the clock; "recalculate" rows only record a new due time.
FOLDED = {"start", "pause", "resume", "restart", "extend", "end"}


def clock_open(*, kind: str, centre: ServiceCentre, budget: str) -> Clock:
    try:
        parse_duration(budget)
    except WorktimeError as e:
        raise ValidationFailed(str(e), code=e.code, field="budget") from e
    if kind not in ClockKind.values:
        raise ValidationFailed(f"Loại đồng hồ không hợp lệ: {kind}.", field="kind")
    return Clock.objects.create(kind=kind, centre=centre, budget=budget)


def clock_start(
    *,
    kind: str,
    centre: ServiceCentre,
    budget: str,
    at: dt.datetime,
    actor=None,
    calendar: WorkingCalendar | None = None,
    warn_before_seconds: int = 0,
    alarms: bool = True,
) -> tuple[Clock, ledger.ClockState]:
    """Open a clock already started at ``at``: one INSERT for the clock (its
    cache filled from the fold) and one for its ``start`` event."""
    calendar = calendar or centre_calendar(centre)
    try:
        state = ledger.fold(
            budget=budget,
            events=[ledger.ClockEvent(kind="start", at=at)],
            calendar=calendar,
            as_of=at,
        )
    except WorktimeError as e:
        raise ValidationFailed(str(e), code=e.code, field="budget") from e
    clock = Clock(kind=kind, centre=centre, budget=budget, events_count=1)
    if 0 < warn_before_seconds < state.budget_seconds:
        clock.warn_before_seconds = warn_before_seconds
    if not alarms:
        clock.warn_fired = clock.due_fired = True
    _cache(clock, state, calendar)
    clock.save(force_insert=True)
    ClockEvent.objects.create(
        clock=clock, seq=1, kind="start", at=at, due_at=state.due_at, actor=actor
    )
    return clock, state


def clock_events(clock: Clock) -> list[ClockEvent]:
    """The clock's ledger, in order. A clock whose only event is its start is
    rebuilt from its cached columns (exactly: kind, moment and the due time it
    produced), which spares a query for most step clocks."""
    if clock.events_count == 1 and clock.started_at is not None:
        return [
            ClockEvent(
                clock=clock,
                seq=1,
                kind=ClockEventKind.START,
                at=clock.started_at,
                due_at=clock.first_due_at,
            )
        ]
    return list(clock.events.order_by("seq"))


def ledger_events(events: Iterable[ClockEvent]) -> list[ledger.ClockEvent]:
    return [
        ledger.ClockEvent(kind=e.kind, at=e.at, reason=e.reason, new_due_at=e.new_due_at)
        for e in events
        if e.kind in FOLDED
    ]


def clock_fold(
    clock: Clock,
    *,
    events: list[ClockEvent] | None = None,
    calendar: WorkingCalendar | None = None,
    as_of: dt.datetime | None = None,
) -> ledger.ClockState:
    """The clock's state derived from its ledger (the source of truth)."""
    if events is None:
        events = clock_events(clock)
    if calendar is None:
        calendar = centre_calendar(clock.centre)
    return ledger.fold(
        budget=clock.budget, events=ledger_events(events), calendar=calendar, as_of=as_of
    )


def _cache(clock: Clock, state: ledger.ClockState, calendar: WorkingCalendar) -> None:
    clock.state = state.state
    clock.started_at = state.started_at
    clock.first_due_at = state.first_due_at
    clock.appointment_due_at = state.appointment_due_at
    clock.due_at = state.due_at
    clock.ended_at = state.ended_at
    clock.extended = state.extended
    clock.warn_at = None
    if state.state == ClockState.RUNNING and state.due_at and clock.warn_before_seconds:
        clock.warn_at = calendar.moment_at(
            calendar.position(state.due_at) - clock.warn_before_seconds
        )
    clock.alarm_at = next_alarm(clock)


def next_alarm(clock: Clock) -> dt.datetime | None:
    """The earliest checkpoint of a running clock that has not fired yet."""
    if clock.state != ClockState.RUNNING:
        return None
    candidates = []
    if clock.warn_at is not None and not clock.warn_fired:
        candidates.append(clock.warn_at)
    if clock.due_at is not None and not clock.due_fired:
        candidates.append(clock.due_at)
    return min(candidates) if candidates else None


_CACHE_FIELDS = [
    "state",
    "started_at",
    "first_due_at",
    "appointment_due_at",
    "due_at",
    "ended_at",
    "extended",
    "events_count",
    "warn_at",
    "alarm_at",
]


def clock_append(
    *,
    clock: Clock,
    kind: str,
    at: dt.datetime,
    actor=None,
    reason: str = "",
    new_due_at: dt.datetime | None = None,
    calendar: WorkingCalendar | None = None,
    events: list[ClockEvent] | None = None,
) -> ledger.ClockState:
    """Append one event; refuse it (nothing written) if the ledger forbids it.

    ``events`` may pass the clock's existing events when the caller already
    loaded them (saves a query); they must be complete and in order.
    """
    if kind not in FOLDED:
        raise ValidationFailed(f"Sự kiện thời hạn không hợp lệ: {kind}.", field="kind")
    if events is None:
        events = clock_events(clock)
    calendar = calendar or centre_calendar(clock.centre)
    new = ClockEvent(
        clock=clock,
        seq=clock.events_count + 1,
        kind=kind,
        at=at,
        reason=reason[:500],
        new_due_at=new_due_at,
        actor=actor,
    )
    try:
        state = ledger.fold(
            budget=clock.budget,
            events=ledger_events([*events, new]),
            calendar=calendar,
            as_of=at,
        )
    except ledger.LedgerError as e:
        raise Conflict(str(e), code=e.code) from e
    except WorktimeError as e:
        raise ValidationFailed(str(e), code=e.code) from e
    new.due_at = state.due_at
    new.save()
    events.append(new)
    clock.events_count = new.seq
    _cache(clock, state, calendar)
    clock.save(update_fields=_CACHE_FIELDS)
    return state


def clocks_recalculate(*, centres: list[ServiceCentre], reason: str, at: dt.datetime) -> int:
    """Re-fold every open clock of these centres with their current calendars
    and record, with ``reason``, each due time that moved. Returns how many moved."""
    moved = 0
    by_centre = {c.pk: c for c in centres}
    open_clocks = list(
        Clock.objects.filter(
            centre_id__in=by_centre, state__in=[ClockState.RUNNING, ClockState.PAUSED]
        ).order_by("pk")
    )
    events: dict[int, list[ClockEvent]] = defaultdict(list)
    for event in ClockEvent.objects.filter(clock__in=open_clocks).order_by("clock_id", "seq"):
        events[event.clock_id].append(event)
    calendars = {pk: centre_calendar(c) for pk, c in by_centre.items()}
    with transaction.atomic():
        for clock in open_clocks:
            state = clock_fold(clock, events=events[clock.pk], calendar=calendars[clock.centre_id])
            if (state.due_at, state.appointment_due_at) == (
                clock.due_at,
                clock.appointment_due_at,
            ):
                continue
            locked = Clock.objects.select_for_update().get(pk=clock.pk)
            seq = locked.events_count + 1
            ClockEvent.objects.create(
                clock=locked,
                seq=seq,
                kind=ClockEventKind.RECALCULATE,
                at=at,
                reason=reason[:500],
                due_at=state.due_at,
            )
            locked.events_count = seq
            _cache(locked, state, calendars[clock.centre_id])
            locked.save(update_fields=_CACHE_FIELDS)
            if locked.kind == ClockKind.DOSSIER:  # the dossier's copy (Dossier.mirror_clock)
                Dossier.objects.filter(clock_id=locked.pk).update(
                    clock_due_at=locked.due_at, clock_warn_at=locked.warn_at
                )
            moved += 1
    return moved

"""The deadline ledger: a budget plus append-only clock events, folded into a state.

Why a fold over stored events instead of a stored due time: the due time is a
*consequence* of the budget, the calendar and what happened (pauses for a
supplement, a restart from zero, the one new appointment). Keeping the events
lets any due time be explained, recomputed when an administrator changes the
calendar, and read both ways the law asks for:

* Decree 118 (Art. 19(5)): after a post-appraisal supplement the processing
  time restarts from zero; timeliness is judged against ``appointment_due_at``.
* Decision 766: the waiting time is *subtracted* instead; see
  ``elapsed_766_seconds``.

Pure: no ORM, no clock. ``as_of`` is the caller's "now".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from workflows.worktime import (
    WorkDuration,
    WorkingCalendar,
    due_at,
    working_time_between,
)
from workflows.worktime.base import require_aware
from workflows.worktime.durations import as_duration

EventKind = Literal["start", "pause", "resume", "restart", "extend", "end"]
StateName = Literal["not_started", "running", "paused", "ended"]
_KINDS = ("start", "pause", "resume", "restart", "extend", "end")

_MESSAGES = {
    "not_started": "Hồ sơ chưa bắt đầu tính thời gian giải quyết.",
    "already_started": "Hồ sơ đã bắt đầu tính thời gian giải quyết.",
    "not_running": "Thời gian giải quyết đang tạm dừng, không thể tạm dừng thêm.",
    "not_paused": "Thời gian giải quyết không ở trạng thái tạm dừng.",
    "already_extended": "Hồ sơ đã được hẹn lại một lần; chỉ được hẹn lại một lần.",
    "extension_not_later": "Thời hạn hẹn lại phải muộn hơn thời hạn hiện tại (tính theo giờ làm việc).",
    "ended": "Hồ sơ đã kết thúc xử lý.",
    "out_of_order": "Các sự kiện phải theo đúng thứ tự thời gian.",
    "invalid_event": "Sự kiện tính thời gian không hợp lệ.",
}


class LedgerError(ValueError):
    """An event the ledger cannot accept in its current state (the API maps it to a 409)."""

    def __init__(self, message: str = "", *, code: str) -> None:
        self.code = code
        self.message = message or _MESSAGES.get(code, "Sự kiện không hợp lệ.")
        super().__init__(self.message)


@dataclass(frozen=True, slots=True)
class ClockEvent:
    """One entry of the append-only ledger; ``new_due_at`` only on "extend"."""

    kind: EventKind
    at: datetime
    reason: str = ""
    new_due_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise LedgerError(f"Loại sự kiện không hợp lệ: {self.kind!r}.", code="invalid_event")
        require_aware(self.at)
        if (self.kind == "extend") != (self.new_due_at is not None):
            raise LedgerError(
                "Chỉ sự kiện hẹn lại (extend) mới có và bắt buộc có thời hạn mới.",
                code="invalid_event",
            )
        if self.new_due_at is not None:
            require_aware(self.new_due_at)


@dataclass(frozen=True)
class ClockState:
    """The ledger folded as of a moment. All durations are working seconds unless *_wall_*.

    ``due_at`` and ``appointment_due_at`` are None while paused: the due time
    depends on when the clock resumes, so any value shown would be invented.
    ``extended`` tells that the one allowed new appointment has been granted;
    ``extension_seconds`` is what it currently adds (0 once a restart dropped it).
    """

    state: StateName
    budget_seconds: int
    original_budget_seconds: int
    extension_seconds: int
    first_started_at: datetime | None
    started_at: datetime | None
    first_due_at: datetime | None
    appointment_due_at: datetime | None
    due_at: datetime | None
    extended: bool
    used_seconds: int
    left_seconds: int
    paused_seconds: int
    paused_wall_seconds: int
    elapsed_766_seconds: int
    ended_at: datetime | None
    pause_count: int
    restart_count: int
    as_of: datetime | None
    due_history: list[tuple[ClockEvent, datetime | None]] = field(default_factory=list)


@dataclass
class _Fold:
    """The mutable accumulator behind ``fold``: one method per event kind."""

    calendar: WorkingCalendar
    original: int
    budget: int
    state: StateName = "not_started"
    first_started_at: datetime | None = None
    started_at: datetime | None = None
    run_start: datetime | None = None
    pause_start: datetime | None = None
    first_due: datetime | None = None
    due: datetime | None = None
    appointment: datetime | None = None
    extended: bool = False
    used: int = 0
    paused: int = 0
    paused_wall: int = 0
    ended_at: datetime | None = None
    pause_count: int = 0
    restart_count: int = 0

    def _expect(self, *allowed: StateName, otherwise: str) -> None:
        if self.state in allowed:
            return
        if self.state == "ended":
            raise LedgerError(code="ended")
        if self.state == "not_started":
            raise LedgerError(code="not_started")
        raise LedgerError(code=otherwise)

    def _due_after(self, at: datetime, remaining: int) -> datetime:
        """Due time when ``remaining`` working seconds are left from ``at`` (past if negative)."""
        position = self.calendar.position(at) + remaining
        return self.calendar.moment_at(position)

    def _close_pause(self, at: datetime) -> None:
        self.paused += working_time_between(self.pause_start, at, self.calendar)
        self.paused_wall += (at - self.pause_start) // timedelta(seconds=1)
        self.pause_start = None

    def start(self, event: ClockEvent) -> None:
        if self.state != "not_started":
            self._expect(otherwise="already_started")
        self.first_started_at = event.at
        self._run_from_zero(event.at)
        self.first_due = self.due

    def _run_from_zero(self, at: datetime) -> None:
        self.state, self.started_at, self.run_start = "running", at, at
        self.used, self.budget = 0, self.original
        budget = WorkDuration(seconds=self.original)
        self.due = self.appointment = due_at(start=at, duration=budget, calendar=self.calendar)

    def pause(self, event: ClockEvent) -> None:
        self._expect("running", otherwise="not_running")
        self.used += working_time_between(self.run_start, event.at, self.calendar)
        self.state, self.pause_start, self.run_start = "paused", event.at, None
        self.due = self.appointment = None
        self.pause_count += 1

    def resume(self, event: ClockEvent) -> None:
        self._expect("paused", otherwise="not_paused")
        self._close_pause(event.at)
        self.state, self.run_start = "running", event.at
        self.due = self._due_after(event.at, self.budget - self.used)
        self.appointment = self._due_after(event.at, self.original - self.used)

    def restart(self, event: ClockEvent) -> None:
        """Decree 118 Art. 19(5): the complete dossier is back, the time restarts from zero."""
        self._expect("running", "paused", otherwise="not_running")
        if self.state == "paused":
            self._close_pause(event.at)
        self._run_from_zero(event.at)
        self.restart_count += 1

    def extend(self, event: ClockEvent) -> None:
        """The one new appointment, kept as extra working time so later pauses still shift it.

        Only working time counts: a new appointment outside office hours is read
        as the end of the last session before it (Saturday 09:00 -> Friday 17:30).
        """
        self._expect("running", "paused", otherwise="not_running")
        if self.extended:
            raise LedgerError(code="already_extended")
        position = self.calendar.position
        target = position(event.new_due_at)
        if self.state == "running":
            added = target - position(self.due)
        elif target <= position(event.at):
            added = 0
        else:  # read as: "if processing resumed now, it would be due at new_due_at"
            added = target - position(event.at) - (self.budget - self.used)
        if added <= 0:
            raise LedgerError(code="extension_not_later")
        self.budget += added
        self.extended = True
        if self.state == "running":
            self.due = self.calendar.moment_at(target)

    def end(self, event: ClockEvent) -> None:
        self._expect("running", "paused", otherwise="not_running")
        if self.state == "running":
            self.used += working_time_between(self.run_start, event.at, self.calendar)
        else:
            self._close_pause(event.at)
        self.state, self.ended_at, self.run_start = "ended", event.at, None


def fold(
    *,
    budget: WorkDuration | str,
    events: Sequence[ClockEvent],
    calendar: WorkingCalendar,
    as_of: datetime | None = None,
) -> ClockState:
    """Replay ``events`` (in non-decreasing time order) and measure the clock at ``as_of``.

    Without ``as_of`` the clock is measured at the last event.
    """
    seconds = as_duration(budget).to_seconds(calendar)
    acc = _Fold(calendar=calendar, original=seconds, budget=seconds)
    history: list[tuple[ClockEvent, datetime | None]] = []
    previous: datetime | None = None
    handlers = {
        "start": acc.start,
        "pause": acc.pause,
        "resume": acc.resume,
        "restart": acc.restart,
        "extend": acc.extend,
        "end": acc.end,
    }
    for event in events:
        if previous is not None and event.at < previous:
            raise LedgerError(
                f"Sự kiện «{event.kind}» lúc {event.at.isoformat()} sớm hơn sự kiện trước đó.",
                code="out_of_order",
            )
        handlers[event.kind](event)
        history.append((event, acc.due))
        previous = event.at
    if as_of is not None:
        require_aware(as_of)
        if previous is not None and as_of < previous:
            raise LedgerError(
                "Thời điểm tính (as_of) sớm hơn sự kiện cuối cùng.", code="out_of_order"
            )
    return _measure(acc, as_of or previous, history)


def _measure(
    acc: _Fold, moment: datetime | None, history: list[tuple[ClockEvent, datetime | None]]
) -> ClockState:
    """Add the open interval (running or paused up to ``moment``) to the folded totals."""
    used, paused, paused_wall = acc.used, acc.paused, acc.paused_wall
    if acc.state == "running" and moment is not None:
        used += working_time_between(acc.run_start, moment, acc.calendar)
    if acc.state == "paused" and moment is not None:
        paused += working_time_between(acc.pause_start, moment, acc.calendar)
        paused_wall += (moment - acc.pause_start) // timedelta(seconds=1)
    elapsed_766 = 0
    if acc.first_started_at is not None:
        until = acc.ended_at or moment
        elapsed_766 = working_time_between(acc.first_started_at, until, acc.calendar) - paused
    return ClockState(
        state=acc.state,
        budget_seconds=acc.budget,
        original_budget_seconds=acc.original,
        extension_seconds=acc.budget - acc.original,
        first_started_at=acc.first_started_at,
        started_at=acc.started_at,
        first_due_at=acc.first_due,
        appointment_due_at=acc.appointment,
        due_at=acc.due,
        extended=acc.extended,
        used_seconds=used,
        left_seconds=acc.budget - used,
        paused_seconds=paused,
        paused_wall_seconds=paused_wall,
        elapsed_766_seconds=elapsed_766,
        ended_at=acc.ended_at,
        pause_count=acc.pause_count,
        restart_count=acc.restart_count,
        as_of=moment,
        due_history=history,
    )


def shift_for_pause(
    *, due: datetime, paused_from: datetime, paused_until: datetime, calendar: WorkingCalendar
) -> datetime:
    """The due time after a pause begun before it: later by exactly the paused working time."""
    paused = working_time_between(paused_from, paused_until, calendar)
    return calendar.moment_at(calendar.position(due) + paused)

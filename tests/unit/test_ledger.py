"""The deadline ledger fold, with literal expected values.

Default office hours (07:30-11:30, 13:30-17:30, Mon-Fri); March 2025 has no
holidays, so every number below can be redone with a pencil. Budget P3D is
24 working hours = 86,400 s.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from workflows.ledger import ClockEvent, LedgerError, fold, shift_for_pause
from workflows.worktime import LOCAL_TZ, WorkingCalendar, WorktimeError, timeliness

CAL = WorkingCalendar.default()
HOUR = 3600


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


def ev(kind: str, when: str, new_due: str | None = None, reason: str = "") -> ClockEvent:
    return ClockEvent(kind, at(when), reason, at(new_due) if new_due else None)  # type: ignore[arg-type]


START = ev("start", "2025-03-10 08:00", reason="Tiếp nhận hồ sơ đầy đủ")  # Monday


def test_nothing_happened_yet() -> None:
    state = fold(budget="P3D", events=[], calendar=CAL)
    assert state.state == "not_started"
    assert (state.budget_seconds, state.used_seconds, state.left_seconds) == (86400, 0, 86400)
    assert state.due_at is None and state.first_due_at is None
    assert state.elapsed_766_seconds == 0


def test_start_then_end_early() -> None:
    # Mon 08:00 + 24 h: Mon 7.5 h, Tue 8 h, Wed 8 h, Thu 0.5 h -> Thu 08:00.
    end = ev("end", "2025-03-12 16:00")
    state = fold(budget="P3D", events=[START, end], calendar=CAL)
    assert state.state == "ended"
    assert state.first_due_at == state.due_at == state.appointment_due_at == at("2025-03-13 08:00")
    assert state.used_seconds == 22 * HOUR  # 7.5 + 8 + 6.5
    assert state.left_seconds == 2 * HOUR
    assert state.elapsed_766_seconds == 22 * HOUR
    assert state.ended_at == at("2025-03-12 16:00")
    assert timeliness(ended_at=state.ended_at, appointment=state.appointment_due_at) == "early"
    assert state.due_history == [(START, at("2025-03-13 08:00")), (end, at("2025-03-13 08:00"))]


def test_running_measured_as_of() -> None:
    state = fold(budget="P3D", events=[START], calendar=CAL, as_of=at("2025-03-13 10:00"))
    assert state.state == "running"
    assert state.used_seconds == 26 * HOUR  # 7.5 + 8 + 8 + 2.5
    assert state.left_seconds == -2 * HOUR  # overdue by two working hours
    assert state.as_of == at("2025-03-13 10:00")
    without = fold(budget="P3D", events=[START], calendar=CAL)
    assert without.used_seconds == 0  # measured at the last event


PAUSE = ev("pause", "2025-03-11 10:00", reason="Yêu cầu bổ sung hồ sơ")
RESUME = ev("resume", "2025-03-17 09:00", reason="Công dân bổ sung")


def test_pause_then_resume_shifts_due_by_paused_working_time() -> None:
    paused = fold(budget="P3D", events=[START, PAUSE], calendar=CAL, as_of=at("2025-03-14 12:00"))
    assert paused.state == "paused"
    assert paused.due_at is None and paused.appointment_due_at is None
    assert paused.used_seconds == 10 * HOUR  # Mon 7.5 + Tue 2.5
    assert paused.left_seconds == 14 * HOUR
    assert paused.paused_seconds == int(25.5 * HOUR)  # Tue 5.5 + Wed 8 + Thu 8 + Fri 4
    assert paused.paused_wall_seconds == 74 * HOUR  # Tue 10:00 -> Fri 12:00
    assert paused.pause_count == 1

    state = fold(
        budget="P3D", events=[START, PAUSE, RESUME], calendar=CAL, as_of=at("2025-03-18 10:00")
    )
    # 14 h left from Mon 17 09:00: Mon 6.5 h, Tue 7.5 h -> Tue 17:00.
    assert state.due_at == state.appointment_due_at == at("2025-03-18 17:00")
    assert state.first_due_at == at("2025-03-13 08:00")
    assert state.paused_seconds == 31 * HOUR  # Tue 5.5 + Wed..Fri 24 + Mon 1.5
    assert state.paused_wall_seconds == 143 * HOUR
    assert state.used_seconds == 19 * HOUR  # 10 + Mon 6.5 + Tue 2.5
    assert state.left_seconds == 5 * HOUR
    assert state.elapsed_766_seconds == 19 * HOUR  # no restart: both views agree
    assert [due for _, due in state.due_history] == [
        at("2025-03-13 08:00"),
        None,
        at("2025-03-18 17:00"),
    ]
    assert state.due_at == shift_for_pause(
        due=at("2025-03-13 08:00"), paused_from=PAUSE.at, paused_until=RESUME.at, calendar=CAL
    )


def test_supplement_restart_decree_118_versus_decision_766() -> None:
    restart = ev("restart", "2025-03-17 09:00", reason="Nhận đủ hồ sơ bổ sung sau thẩm định")
    end = ev("end", "2025-03-20 08:00", reason="Có kết quả")
    state = fold(budget="P3D", events=[START, PAUSE, restart, end], calendar=CAL)
    # Decree 118: the time restarts from zero at Mon 17 09:00 -> Thu 20 09:00.
    assert state.first_due_at == at("2025-03-13 08:00")
    assert state.started_at == at("2025-03-17 09:00")
    assert state.due_at == state.appointment_due_at == at("2025-03-20 09:00")
    assert state.used_seconds == 23 * HOUR  # Mon 6.5 + Tue 8 + Wed 8 + Thu 0.5
    assert state.paused_seconds == 31 * HOUR
    assert (state.pause_count, state.restart_count) == (1, 1)
    assert timeliness(ended_at=state.ended_at, appointment=state.appointment_due_at) == "on_time"
    # Decision 766: the waiting time is subtracted, not restarted: 10 h + 23 h = 33 h > 24 h.
    assert state.elapsed_766_seconds == 33 * HOUR
    assert state.elapsed_766_seconds > state.original_budget_seconds
    due_766 = shift_for_pause(
        due=state.first_due_at, paused_from=PAUSE.at, paused_until=restart.at, calendar=CAL
    )
    assert due_766 == at("2025-03-18 17:00")
    assert timeliness(ended_at=state.ended_at, appointment=due_766) == "late"


EXTEND = ev("extend", "2025-03-12 10:00", new_due="2025-03-17 08:00", reason="Xin lỗi, hẹn lại")


def test_extension_while_running_then_pause() -> None:
    events = [
        START,
        EXTEND,
        ev("pause", "2025-03-14 09:00"),
        ev("resume", "2025-03-14 14:30"),
        ev("end", "2025-03-17 10:00"),
    ]
    state = fold(budget="P3D", events=events, calendar=CAL)
    # Thu 08:00 -> Mon 08:00 adds Thu 7.5 + Fri 8 + Mon 0.5 = 16 h to the budget.
    assert state.extended
    assert state.budget_seconds == 40 * HOUR
    assert state.extension_seconds == 16 * HOUR
    # The pause (Fri 09:00-14:30 = 3.5 working hours) shifts both due times.
    assert state.due_at == at("2025-03-17 11:30")
    assert state.appointment_due_at == at("2025-03-13 11:30")
    assert state.paused_seconds == int(3.5 * HOUR)
    assert state.used_seconds == int(38.5 * HOUR)  # 33 h before the pause, 5.5 h after
    assert state.left_seconds == int(1.5 * HOUR)
    assert [due for _, due in state.due_history] == [
        at("2025-03-13 08:00"),
        at("2025-03-17 08:00"),
        None,
        at("2025-03-17 11:30"),
        at("2025-03-17 11:30"),
    ]
    # Judged against the unextended appointment the dossier is late.
    assert timeliness(ended_at=state.ended_at, appointment=state.appointment_due_at) == "late"
    assert timeliness(ended_at=state.ended_at, appointment=state.due_at) == "on_time"


def test_extension_while_paused() -> None:
    extend = ev("extend", "2025-03-12 09:00", new_due="2025-03-17 17:30")
    resume = ev("resume", "2025-03-12 09:00")
    state = fold(budget="P3D", events=[START, PAUSE, extend], calendar=CAL)
    assert state.due_at is None
    # Resuming at Wed 09:00 would leave 30.5 h to Mon 17:30; 14 h were left: +16.5 h.
    assert state.budget_seconds == int(40.5 * HOUR)
    state = fold(budget="P3D", events=[START, PAUSE, extend, resume], calendar=CAL)
    assert state.due_at == at("2025-03-17 17:30")
    assert state.appointment_due_at == at("2025-03-13 17:00")  # 14 h from Wed 09:00


def test_restart_drops_the_extension_but_it_stays_used() -> None:
    events = [
        START,
        ev("extend", "2025-03-11 09:00", new_due="2025-03-17 08:00"),
        ev("pause", "2025-03-12 10:00"),
        ev("restart", "2025-03-17 09:00"),
    ]
    state = fold(budget="P3D", events=events, calendar=CAL)
    assert state.budget_seconds == 24 * HOUR
    assert state.extension_seconds == 0
    assert state.extended
    assert state.due_at == state.appointment_due_at == at("2025-03-20 09:00")
    with pytest.raises(LedgerError) as caught:
        fold(
            budget="P3D",
            events=[*events, ev("extend", "2025-03-18 09:00", new_due="2025-03-25 09:00")],
            calendar=CAL,
        )
    assert caught.value.code == "already_extended"


def test_end_while_paused() -> None:
    withdrawn = ev("end", "2025-03-13 10:00", reason="Công dân rút hồ sơ")
    state = fold(
        budget="P3D", events=[START, PAUSE, withdrawn], calendar=CAL, as_of=at("2025-03-20 10:00")
    )
    assert state.state == "ended"
    assert state.due_at is None
    assert state.used_seconds == 10 * HOUR
    assert state.paused_seconds == 16 * HOUR  # Tue 5.5 + Wed 8 + Thu 2.5
    assert state.elapsed_766_seconds == 10 * HOUR


def err(name: str, code: str, *events: ClockEvent):
    return pytest.param(list(events), code, id=name)


@pytest.mark.parametrize(
    ("events", "code"),
    [
        err("pause-before-start", "not_started", ev("pause", "2025-03-10 09:00")),
        err("resume-before-start", "not_started", ev("resume", "2025-03-10 09:00")),
        err("restart-before-start", "not_started", ev("restart", "2025-03-10 09:00")),
        err("end-before-start", "not_started", ev("end", "2025-03-10 09:00")),
        err(
            "extend-before-start",
            "not_started",
            ev("extend", "2025-03-10 09:00", new_due="2025-03-20 09:00"),
        ),
        err("start-twice", "already_started", START, ev("start", "2025-03-10 09:00")),
        err("pause-twice", "not_running", START, PAUSE, ev("pause", "2025-03-11 11:00")),
        err("resume-while-running", "not_paused", START, ev("resume", "2025-03-10 09:00")),
        err(
            "second-extension",
            "already_extended",
            START,
            EXTEND,
            ev("extend", "2025-03-13 09:00", new_due="2025-03-20 08:00"),
        ),
        err(
            "extension-earlier-than-due",
            "extension_not_later",
            START,
            ev("extend", "2025-03-11 09:00", new_due="2025-03-12 17:00"),
        ),
        err(
            "extension-equal-to-due",  # exactly the current due, Thu 08:00
            "extension_not_later",
            START,
            ev("extend", "2025-03-11 09:00", new_due="2025-03-13 08:00"),
        ),
        err(
            "paused-extension-before-now",
            "extension_not_later",
            START,
            PAUSE,
            ev("extend", "2025-03-12 09:00", new_due="2025-03-12 08:00"),
        ),
        err(  # 9 h from Wed 09:00, but 14 h of budget were still left
            "paused-extension-shorter-than-left",
            "extension_not_later",
            START,
            PAUSE,
            ev("extend", "2025-03-12 09:00", new_due="2025-03-13 10:00"),
        ),
        err(
            "pause-after-end",
            "ended",
            START,
            ev("end", "2025-03-11 09:00"),
            ev("pause", "2025-03-11 10:00"),
        ),
        err(
            "start-after-end",
            "ended",
            START,
            ev("end", "2025-03-11 09:00"),
            ev("start", "2025-03-11 10:00"),
        ),
        err(
            "end-twice",
            "ended",
            START,
            ev("end", "2025-03-11 09:00"),
            ev("end", "2025-03-11 10:00"),
        ),
        err("event-before-previous", "out_of_order", START, ev("pause", "2025-03-10 07:00")),
    ],
)
def test_ledger_errors(events: list[ClockEvent], code: str) -> None:
    with pytest.raises(LedgerError) as caught:
        fold(budget="P3D", events=events, calendar=CAL)
    assert caught.value.code == code
    assert str(caught.value)  # a Vietnamese sentence for the officer


def test_extension_to_a_moment_with_no_extra_working_time() -> None:
    # 39.5 h from Mon 08:00 lands on Fri 14/3 17:30; Sat 15/3 09:00 adds no working time.
    start = ev("start", "2025-03-10 08:00")
    state = fold(budget="P4DT7H30M", events=[start], calendar=CAL)
    assert state.due_at == at("2025-03-14 17:30")
    with pytest.raises(LedgerError) as caught:
        fold(
            budget="P4DT7H30M",
            events=[start, ev("extend", "2025-03-12 09:00", new_due="2025-03-15 09:00")],
            calendar=CAL,
        )
    assert caught.value.code == "extension_not_later"


def test_as_of_before_last_event_is_refused() -> None:
    with pytest.raises(LedgerError) as caught:
        fold(budget="P3D", events=[START, PAUSE], calendar=CAL, as_of=at("2025-03-11 09:00"))
    assert caught.value.code == "out_of_order"


def test_malformed_events() -> None:
    for make in (
        lambda: ClockEvent("extend", at("2025-03-11 09:00")),
        lambda: ClockEvent("pause", at("2025-03-11 09:00"), new_due_at=at("2025-03-20 09:00")),
        lambda: ClockEvent("stop", at("2025-03-11 09:00")),  # type: ignore[arg-type]
    ):
        with pytest.raises(LedgerError) as caught:
            make()
        assert caught.value.code == "invalid_event"
    with pytest.raises(WorktimeError) as naive:
        ClockEvent("start", datetime(2025, 3, 10, 8, 0))  # noqa: DTZ001 - the point of the test
    assert naive.value.code == "naive_datetime"


def test_budget_may_be_a_work_duration_and_history_keeps_reasons() -> None:
    from workflows.worktime import WorkDuration

    state = fold(budget=WorkDuration(days=3), events=[START, PAUSE], calendar=CAL)
    assert state.due_history[0][0].reason == "Tiếp nhận hồ sơ đầy đủ"
    assert state.due_history[1] == (PAUSE, None)
    assert state.budget_seconds == 86400

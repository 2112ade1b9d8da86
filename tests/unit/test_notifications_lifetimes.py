"""How long each kind of message matters (notifications.lifetimes)."""

from __future__ import annotations

import datetime as dt

import pytest

from notifications.lifetimes import DEFAULT, LIFETIMES, expires_at, lifetime_of

ICT = dt.timezone(dt.timedelta(hours=7))
AT = dt.datetime(2026, 11, 30, 8, 0, tzinfo=ICT)


def test_a_reminder_stops_mattering_at_the_moment_it_reminds_of():
    due = AT + dt.timedelta(hours=5)
    data = {"due_at": due.isoformat()}
    assert expires_at(kind="escalation.step_warning", data=data, created_at=AT) == due
    assert expires_at(kind="escalation.apology_due", data=data, created_at=AT) == due


def test_a_request_to_supplement_stops_mattering_at_its_deadline():
    deadline = dt.datetime(2026, 12, 14, 17, 0, tzinfo=ICT)
    data = {"deadline": deadline.isoformat(), "status": "awaiting_supplement"}
    assert expires_at(kind="supplement.requested", data=data, created_at=AT) == deadline


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"due_at": ""},
        {"due_at": "not a date"},
        {"due_at": "2026-12-01T08:00:00"},
        {"due_at": 3},
    ],
)
def test_a_reminder_without_a_usable_moment_falls_back_to_its_cap(data):
    rule = LIFETIMES["escalation.step_warning"]
    assert expires_at(kind="escalation.step_warning", data=data, created_at=AT) == AT + rule.after


def test_a_moment_beyond_the_cap_is_capped():
    far = AT + dt.timedelta(days=400)
    got = expires_at(kind="supplement.requested", data={"deadline": far.isoformat()}, created_at=AT)
    assert got == AT + LIFETIMES["supplement.requested"].after


def test_prefix_rules_and_the_default():
    assert lifetime_of("escalation.dossier_overdue") is LIFETIMES["escalation.*"]
    assert lifetime_of("result.ready") is DEFAULT
    assert lifetime_of("something.new") is DEFAULT
    assert expires_at(kind="queue.new", data={}, created_at=AT) == AT + dt.timedelta(days=1)
    assert expires_at(kind="result.ready", data={}, created_at=AT) == AT + dt.timedelta(days=7)

"""Rows of the handover control sheet, each with its own step clock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from workflows.models import Handover
from workflows.services.common import end_clock_measured, hours_duration
from workflows.services.context import current
from workflows.services.deadlines import clock_start


def handover_open(*, task) -> Handover:
    """Called by the flow when it queues a step: the unit that finished the
    previous step (or the desk) hands the dossier to the step's unit."""
    ctx = current()
    dossier = ctx.dossier
    step = dossier.route[dossier.current_step]
    previous = dossier.current_handover
    policy = dossier.policy or {}
    budget = hours_duration(step["budget_hours"])
    is_return = step["role"] == "return"
    warn_before = 0
    if not is_return and policy.get("notify_step_warning", True):
        left_percent = 100 - int(policy.get("step_warning_percent", 75))
        warn_before = int(Decimal(step["budget_hours"]) * 3600 * left_percent / 100)
    clock, state = clock_start(
        kind="step",
        centre=dossier.centre,
        budget=budget,
        at=ctx.at,
        actor=ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None,
        calendar=ctx.calendar,
        warn_before_seconds=warn_before,
        # Waiting for the citizen to collect the result is not escalated.
        alarms=not is_return,
    )
    unclaimed_alarm_at = None
    if not is_return and policy.get("notify_unclaimed", True):
        hours = int(policy.get("unclaimed_hours", 4))
        calendar = ctx.calendar
        unclaimed_alarm_at = calendar.moment_at(calendar.position(ctx.at) + hours * 3600)
    handover = Handover.objects.create(
        dossier=dossier,
        seq=(previous.seq + 1) if previous else 1,
        step_order=step["order"],
        step_name=step["name"],
        step_role=step["role"],
        budget_hours=step["budget_hours"],
        from_unit_id=ctx.from_unit_id,
        from_officer=ctx.from_officer,
        to_unit_id=step["unit"],
        handed_at=ctx.at,
        due_at=state.due_at,
        clock=clock,
        task=task,
        unclaimed_alarm_at=unclaimed_alarm_at,
    )
    dossier.current_handover = handover
    ctx.created_handovers.append(handover)
    return handover


def handover_complete(
    handover: Handover, *, at: dt.datetime, actor, calendar, note: str = "", dossier=None
) -> str:
    """Close the current row: its step ended at ``at``; returns the verdict.
    The step's verdict and the time its clock ran join the per-day counts."""
    from reports.counters import step_completed

    verdict, used = end_clock_measured(
        handover.clock, at=at, actor=actor, calendar=calendar, reason=note
    )
    handover.completed_at = at
    handover.verdict = verdict
    handover.used_seconds = used
    handover.unclaimed_alarm_at = None
    if note:
        handover.note = note[:1000]
    if handover.to_officer_id is None and getattr(actor, "is_authenticated", False):
        handover.to_officer = actor
    handover.save(
        update_fields=[
            "completed_at",
            "verdict",
            "used_seconds",
            "note",
            "to_officer",
            "unclaimed_alarm_at",
        ]
    )
    step_completed(handover, dossier if dossier is not None else handover.dossier)
    return verdict

"""Rows of the handover control sheet, each with its own step clock."""

from __future__ import annotations

import datetime as dt

from workflows.models import Handover
from workflows.services.common import end_clock, hours_duration
from workflows.services.context import current
from workflows.services.deadlines import clock_start


def handover_open(*, task) -> Handover:
    """Called by the flow when it queues a step: the unit that finished the
    previous step (or the desk) hands the dossier to the step's unit."""
    ctx = current()
    dossier = ctx.dossier
    step = dossier.route[dossier.current_step]
    previous = dossier.current_handover
    clock, state = clock_start(
        kind="step",
        centre=dossier.centre,
        budget=hours_duration(step["budget_hours"]),
        at=ctx.at,
        actor=ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None,
        calendar=ctx.calendar,
    )
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
    )
    dossier.current_handover = handover
    ctx.created_handovers.append(handover)
    return handover


def handover_complete(
    handover: Handover, *, at: dt.datetime, actor, calendar, note: str = ""
) -> str:
    """Close the current row: its step ended at ``at``; returns the verdict."""
    verdict = end_clock(handover.clock, at=at, actor=actor, calendar=calendar, reason=note)
    handover.completed_at = at
    handover.verdict = verdict
    if note:
        handover.note = note[:1000]
    if handover.to_officer_id is None and getattr(actor, "is_authenticated", False):
        handover.to_officer = actor
    handover.save(update_fields=["completed_at", "verdict", "note", "to_officer"])
    return verdict

"""Decision 766's reading of how a dossier's processing ended.

Decree 118 restarts the processing time from zero after a post-appraisal
supplement and judges the end against that appointment (``Dossier.timeliness``).
Decision 766 instead *subtracts* the time spent waiting for the citizen and
counts a dossier with more than one supplement request as late. Both are
read from the same ledger; this module writes the 766 reading next to
``ended_at`` when processing ends (``save_dossier``), so that the indicators
and the per-day counts never fold a ledger again.

* elapsed: working seconds from the first start to the end, minus the paused
  working seconds (``ledger.ClockState.elapsed_766_seconds``);
* the 766 appointment: the first start plus the legal budget plus the paused
  working time; with ``INDICATORS_766["extension_moves_appointment"]`` (not
  settled in the legal text; off by default) the one new appointment's extra
  time is added too;
* verdict: late with two or more supplement requests, otherwise early / on
  time / late against that appointment, as ``worktime.timeliness`` judges.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from workflows.models import Dossier, SupplementRequest


@dataclass(frozen=True)
class Outcome766:
    verdict: str
    elapsed_seconds: int | None
    appointment: dt.datetime | None
    supplement_requests: int
    paused_seconds: int


def extension_moves_appointment() -> bool:
    return bool(getattr(settings, "INDICATORS_766", {}).get("extension_moves_appointment", False))


def outcome_766(dossier: Dossier, *, calendar=None) -> Outcome766:
    """The 766 reading of an ended dossier (empty when its clock never ran)."""
    from workflows.selectors.calendar import centre_calendar
    from workflows.services.deadlines import clock_fold
    from workflows.worktime import timeliness

    clock = dossier.clock if dossier.clock_id else None
    requests = SupplementRequest.objects.filter(dossier_id=dossier.pk).count()
    if dossier.ended_at is None or clock is None or clock.started_at is None:
        return Outcome766("", None, None, requests, 0)
    if calendar is None:
        calendar = centre_calendar(dossier.centre)
    state = clock_fold(clock, calendar=calendar)  # measured at its end event
    budget = state.original_budget_seconds
    if extension_moves_appointment():
        budget = state.budget_seconds
    appointment = calendar.moment_at(
        calendar.position(state.first_started_at) + budget + state.paused_seconds
    )
    if requests >= 2:
        verdict = "late"
    else:
        verdict = timeliness(ended_at=dossier.ended_at, appointment=appointment)
    # from the first start to the dossier's end (its ledger's end, or a
    # corrected moment after the last clock event), waiting subtracted
    from workflows.worktime import working_time_between

    elapsed = working_time_between(state.first_started_at, dossier.ended_at, calendar)
    elapsed -= state.paused_seconds
    return Outcome766(verdict, max(0, elapsed), appointment, requests, state.paused_seconds)


def record_outcome(dossier: Dossier) -> Outcome766:
    """Write the 766 reading on a dossier whose processing has just ended."""
    outcome = outcome_766(dossier)
    dossier.verdict_766 = outcome.verdict
    dossier.elapsed_766_seconds = outcome.elapsed_seconds
    return outcome

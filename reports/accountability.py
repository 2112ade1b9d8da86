"""Per-officer accountability: the steps each officer handled in a period,
judged against each step's own budget (the control sheet), what they hold
now and the late steps they caused; and who looked at whose figures.

Officers see their own figures; managers those of their scope's officers;
an agency's leaders those of their agency. Every look at another officer's
figures is written to ``FigureView`` and shown to that officer.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Q

from config.clock import LOCAL_TZ
from config.errors import NotFound
from procedures.models import Officer
from procedures.selectors import officer_of, sees_everything
from reports.models import FigureView
from reports.periods import Period
from reports.selectors import DASHBOARD_ROLES, Scope
from workflows.models import Dossier, Handover
from workflows.selectors.dossiers import local
from workflows.selectors.inbox import holding_q


def may_see_others(user) -> bool:
    officer = officer_of(user)
    return sees_everything(user) or (officer is not None and officer.role in DASHBOARD_ROLES)


def officers_in_view(user, *, centre_code: str = "") -> list[Officer]:
    """The officers whose figures ``user`` may see: their scope's, or only themselves."""
    if may_see_others(user):
        return list(Scope(user, centre_code=centre_code).officers())
    officer = officer_of(user)
    return [officer] if officer is not None else []


def subject_officer(user, username: str) -> Officer:
    """The officer named, if ``user`` may see their figures; 404 alike otherwise."""
    for officer in officers_in_view(user):
        if officer.user.username == username:
            return officer
    officer = officer_of(user)
    if officer is not None and officer.user.username == username:
        return officer
    raise NotFound(f"Không có cán bộ {username[:150]}.", code="unknown_officer")


def log_views(viewer, subjects: list[Officer], *, at: dt.datetime, what: str) -> int:
    """Record that ``viewer`` saw these officers' figures (not their own)."""
    rows = [
        FigureView(viewer=viewer, subject_id=o.user_id, at=at, what=what[:300])
        for o in subjects
        if o.user_id != viewer.pk
    ]
    FigureView.objects.bulk_create(rows)
    return len(rows)


def views_of(user, *, limit: int = 50) -> list[dict[str, Any]]:
    """Who looked at this officer's figures, newest first."""
    rows = (
        FigureView.objects.filter(subject=user)
        .select_related("viewer__officer")
        .order_by("-at", "-pk")[:limit]
    )
    out = []
    for v in rows:
        officer = getattr(v.viewer, "officer", None)
        out.append(
            {
                "viewer": (officer.full_name if officer else "") or v.viewer.get_username(),
                "role": str(officer.get_role_display()) if officer else "",
                "at": local(v.at),
                "what": v.what,
            }
        )
    return out


def officer_figures(officers: list[Officer], period: Period, *, at: dt.datetime) -> list[dict]:
    """For each officer: steps completed in the period (early / on time / late
    against the step's own budget), average step time against the average
    budget (working hours), dossiers held now, late steps caused (completed
    late in the period, or open past their due time now)."""
    from django.db.models import Sum

    from reports.models import DayCount

    users = [o.user_id for o in officers]
    last_day = min(period.end, at.astimezone(LOCAL_TZ).date())
    steps: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"steps": 0, "early": 0, "on_time": 0, "late": 0, "used": 0, "budget": 0}
    )
    for r in (
        DayCount.objects.filter(
            kind="step", officer_id__in=users, day__gte=period.start, day__lte=last_day
        )
        .values("officer_id", "verdict")
        .annotate(n=Sum("n"), used=Sum("seconds"), budget=Sum("budget_seconds"))
    ):
        s = steps[r["officer_id"]]
        s["steps"] += r["n"]
        s[r["verdict"]] += r["n"]
        s["used"] += r["used"]
        s["budget"] += r["budget"]
    held = defaultdict(int)
    for user_id in Dossier.objects.filter(
        holding_q(), current_handover__to_officer_id__in=users
    ).values_list("current_handover__to_officer_id", flat=True):
        held[user_id] += 1
    open_late = defaultdict(int)
    for user_id in Handover.objects.filter(
        to_officer_id__in=users, completed_at__isnull=True, due_at__lt=at
    ).values_list("to_officer_id", flat=True):
        open_late[user_id] += 1
    out = []
    for o in officers:
        s = steps[o.user_id]
        n = s["steps"]
        out.append(
            {
                "name": o.full_name,
                "username": o.user.username,
                "role": str(o.get_role_display()),
                "unit": o.unit.name if o.unit_id else "",
                "steps": n,
                "early": s["early"],
                "on_time": s["on_time"],
                "late": s["late"],
                "on_time_rate": round(100 * (s["early"] + s["on_time"]) / n, 1) if n else None,
                "average_hours": round(s["used"] / n / 3600, 2) if n else None,
                "average_budget_hours": round(s["budget"] / n / 3600, 2) if n else None,
                "held": held[o.user_id],
                "late_steps_caused": s["late"] + open_late[o.user_id],
                "open_late": open_late[o.user_id],
            }
        )
    return out


def officer_steps(officer: Officer, period: Period, *, at: dt.datetime) -> list[dict[str, Any]]:
    """The officer's steps completed in the period and those open now, one row each."""
    start, end = period.start_at(), period.end_at(at)
    rows = list(
        Handover.objects.filter(to_officer_id=officer.user_id)
        .filter(Q(completed_at__gte=start, completed_at__lt=end) | Q(completed_at__isnull=True))
        .select_related("dossier")
        .order_by("-completed_at", "-handed_at")[:500]
    )
    return [
        {
            "code": h.dossier.code,
            "step": h.step_name,
            "handed_at": local(h.handed_at),
            "due_at": local(h.due_at),
            "completed_at": local(h.completed_at),
            "budget_hours": float(h.budget_hours),
            "used_hours": round(h.used_seconds / 3600, 2) if h.used_seconds is not None else None,
            "verdict": h.verdict or ("late" if h.due_at and h.due_at < at else "open"),
        }
        for h in rows
    ]

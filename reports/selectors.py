"""The managers' figures: the "five clears" dashboard.

Every figure is a count (or a time) over the dossiers the manager may see
(``dossiers_visible_to``, the inbox's own rule), and comes with the inbox
query that lists exactly those dossiers: the predicates are the inbox's
(``workflows.selectors.inbox``), so the list's count is the figure.

Periods are whole local days; a period that has not ended yet ends now.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

from django.db.models import Count, Min, Q, QuerySet

from config.clock import LOCAL_TZ
from config.errors import NotFound, PermissionDenied
from procedures.models import Officer, Role, ServiceCentre, Unit
from procedures.selectors import officer_of, scope_centre_ids, sees_everything, units_visible_to
from reports.periods import Period
from workflows.models import (
    ENDED_STATUSES,
    FINAL_STATUSES,
    Dossier,
    DossierStatus,
    Handover,
    RatingScore,
)
from workflows.selectors.dossiers import dossiers_visible_to, local, officer_name, visibility
from workflows.selectors.inbox import (
    OUTCOMES,
    holding_q,
    late_between,
    later_q,
    open_at,
    overdue_at,
    overran_q,
    queued_q,
)

#: Roles that see a scope's figures (others see their own, on /dashboard/officers/).
DASHBOARD_ROLES = {Role.MANAGER, Role.APPROVER, Role.ADMINISTRATOR}
CHANNELS = [("in_person", 1), ("online", 2), ("postal", 3)]  # KenhThucHien


# ---------------------------------------------------------------------------
# Scope
# ---------------------------------------------------------------------------


class Scope:
    """What a manager may see: dossiers, units and officers; optionally
    narrowed to one centre of their scope."""

    def __init__(self, user, *, centre_code: str = "") -> None:
        self.user = user
        officer = officer_of(user)
        if not sees_everything(user) and (officer is None or officer.role not in DASHBOARD_ROLES):
            raise PermissionDenied(
                "Bảng điều hành dành cho lãnh đạo và người quản lý; "
                "số liệu của chính anh/chị có ở trang «Trách nhiệm của cán bộ».",
                code="dashboard_forbidden",
            )
        self.officer = officer
        self.centre: ServiceCentre | None = None
        dossiers = dossiers_visible_to(user)
        if centre_code:
            ids = scope_centre_ids(user)
            centre = ServiceCentre.objects.filter(code=centre_code[:5]).first()
            if centre is None or (ids is not None and centre.pk not in ids):
                raise NotFound(f"Không có trung tâm mã {centre_code[:20]}.", code="unknown_centre")
            self.centre = centre
            dossiers = dossiers.filter(centre=centre)
        self.dossiers: QuerySet[Dossier] = dossiers
        self._visibility = visibility(user)

    def counts(
        self, kind: str, first: dt.date | None = None, last: dt.date | None = None, *, daily=False
    ):
        """The per-day counts of this scope (``DayCount``), of one kind, for
        the days ``first``–``last`` (either may be open): the month rows of
        the months wholly inside, the day rows of the rest (``daily``: day
        rows only, for figures per day)."""
        from reports.counters import MONTH
        from reports.models import DayCount

        if daily:
            days = Q(kind=kind)
            if first is not None:
                days &= Q(day__gte=first)
            if last is not None:
                days &= Q(day__lte=last)
            qs = DayCount.objects.filter(days)
        else:
            qs = DayCount.objects.filter(_month_split(kind, kind + MONTH, first, last))
        rule, value = self._visibility
        if rule == "centres":
            qs = qs.filter(centre_id__in=value)
        elif rule == "agency":
            qs = qs.filter(agency_id=value)
        elif rule == "none":
            qs = qs.none()
        if self.centre is not None:
            qs = qs.filter(centre_id=self.centre.pk)
        return qs

    def units(self) -> QuerySet[Unit]:
        if self.officer is not None and self.officer.role == Role.APPROVER:
            units = Unit.objects.filter(agency_id=self.officer.unit.agency_id)
        else:
            units = units_visible_to(self.user)
        if self.centre is not None:
            units = units.filter(Q(centre=self.centre) | Q(agency__centres=self.centre)).distinct()
        return units

    def officers(self) -> QuerySet[Officer]:
        return (
            Officer.objects.filter(unit__in=self.units(), user__is_active=True)
            .exclude(role__in=[Role.MANAGER, Role.ADMINISTRATOR])
            .select_related("user", "unit")
            .order_by("unit__name", "full_name")
        )

    def query(self) -> dict[str, str]:
        return {"centre": self.centre.code} if self.centre is not None else {}


def _month_split(kind: str, month_kind: str, first: dt.date | None, last: dt.date | None) -> Q:
    """Days ``first``–``last`` as whole months (month rows) and the days of the
    partial months at either edge (day rows)."""
    start = first
    if start is None:
        start = dt.date(2000, 1, 1)
    stop = last if last is not None else dt.date(2100, 12, 31)
    if start > stop:
        return Q(pk__in=[])
    # the first whole month starts on or after ``start``; the last ends on or before ``stop``
    whole_from = (
        start if start.day == 1 else (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    )
    next_of_stop = stop + dt.timedelta(days=1)
    whole_to = next_of_stop.replace(day=1)  # exclusive: months before this one end by ``stop``
    if whole_from >= whole_to:
        return Q(kind=kind, day__gte=start, day__lte=stop)
    q = Q(kind=month_kind, day__gte=whole_from, day__lt=whole_to)
    if start < whole_from:
        q |= Q(kind=kind, day__gte=start, day__lt=whole_from)
    if whole_to <= stop:
        q |= Q(kind=kind, day__gte=whole_to, day__lte=stop)
    return q


def _link(**params: Any) -> dict[str, str]:
    out = {"tab": "all"}
    for key, value in params.items():
        if value not in (None, ""):
            out[key] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return out


def _figure(value, link: dict | None) -> dict[str, Any]:
    return {"value": value, "link": link}


# ---------------------------------------------------------------------------
# Rõ kết quả: received, resolved, in progress over the period
# ---------------------------------------------------------------------------


def period_counts(period: Period, *, at: dt.datetime) -> dict[str, Count]:
    """The period's counts as aggregate expressions over dossiers (one scan,
    grouped or not): the live reading the per-day counts must agree with
    (the tests compare both), and what the in-progress figures use."""
    start, end = period.start_at(), period.end_at(at)
    received = Q(received_at__gte=start, received_at__lt=end)
    ended = Q(ended_at__gte=start, ended_at__lt=end, received_at__isnull=False)
    resolved = ended & Q(status__in=OUTCOMES["resolved"])
    counts = {
        "carried_over": Count("pk", filter=open_at(start)),
        "received": Count("pk", filter=received),
        "resolved": Count("pk", filter=resolved),
        "in_progress": Count("pk", filter=open_at(end)),
        "overdue": Count("pk", filter=overdue_at(end)),
    }
    for channel, _ in CHANNELS:
        counts[f"received_{channel}"] = Count("pk", filter=received & Q(channel=channel))
    for verdict in ("early", "on_time", "late"):
        counts[f"resolved_{verdict}"] = Count("pk", filter=resolved & Q(timeliness=verdict))
    for outcome in ("refused", "withdrawn", "closed"):
        counts[outcome] = Count("pk", filter=ended & Q(status__in=OUTCOMES[outcome]))
    return counts


def open_q(period: Period, *, at: dt.datetime) -> Q:
    """Received and not ended at the period's end (now, if it has not ended:
    then by status, which is indexed)."""
    end = period.end_at(at)
    if end >= at:
        return Q(status__in=UNENDED_STATUSES)
    return open_at(end)


def overdue_q(period: Period, *, at: dt.datetime) -> Q:
    """Open and overdue at the period's end: read from the running clocks'
    index when the period ends now."""
    end = period.end_at(at)
    if end >= at:
        return Q(clock_running=True, clock_due_at__lte=at)
    return overdue_at(end)


def _empty_totals() -> dict[str, int]:
    keys = ["carried_over", "received", "in_progress", "overdue", "resolved"]
    keys += [f"received_{c}" for c, _ in CHANNELS]
    keys += [f"resolved_{v}" for v in ("early", "on_time", "late")]
    keys += ["refused", "withdrawn", "closed"]
    return dict.fromkeys(keys, 0)


def day_totals(scope: Scope, period: Period, *, at: dt.datetime, by: str | None = None) -> dict:
    """The period's figures from the per-day counts (and, for what is overdue
    at its end, the dossiers' indexed due times); ``{group: figures}`` when
    grouped ``by`` a ``DayCount`` dimension (``agency_id``, ``procedure_id``,
    ``centre_id``), else the figures.

    carried over = received before the period − ended before it (month rows
    for whole months); in progress at its end = carried over + received −
    ended in it."""
    from django.db.models import Sum

    last_day = min(period.end, at.astimezone(LOCAL_TZ).date())
    dims = [by] if by else []
    out: dict = defaultdict(_empty_totals)

    def rows(kind, first, last, *fields):
        qs = scope.counts(kind, first, last).values(*dims, *fields).annotate(total=Sum("n"))
        for r in qs:
            yield (r[by] if by else None), r

    before = period.start - dt.timedelta(days=1)
    for g, r in rows("received", None, before):
        out[g]["carried_over"] += r["total"]
    for g, r in rows("ended", None, before):
        out[g]["carried_over"] -= r["total"]
    for g, r in rows("received", period.start, last_day, "channel"):
        out[g]["received"] += r["total"]
        out[g][f"received_{r['channel']}"] += r["total"]
    ended = defaultdict(int)
    for g, r in rows("ended", period.start, last_day, "outcome", "verdict"):
        ended[g] += r["total"]
        if r["outcome"] == "resolved":
            out[g]["resolved"] += r["total"]
            if r["verdict"]:
                out[g][f"resolved_{r['verdict']}"] += r["total"]
        else:
            out[g][r["outcome"]] += r["total"]
    overdue = scope.dossiers.filter(overdue_q(period, at=at))
    if by:
        for value, n in overdue.values_list(by).annotate(n=Count("pk")).values_list(by, "n"):
            out[value]["overdue"] += n
    else:
        out[None]["overdue"] = overdue.count()
    for g, n in out.items():
        n["in_progress"] = n["carried_over"] + n["received"] - ended[g]
    return dict(out) if by else out[None]


def results(scope: Scope, period: Period, *, at: dt.datetime) -> dict[str, Any]:
    from django.db.models import Sum

    last_day = min(period.end, at.astimezone(LOCAL_TZ).date())
    before = period.start - dt.timedelta(days=1)
    n = day_totals(scope, period, at=at)
    base = scope.query()
    ended_range = {"ended_from": period.start, "ended_to": last_day}
    figures = {
        "carried_over": _figure(n["carried_over"], _link(open_on=before, **base)),
        "received": _figure(
            n["received"], _link(received_from=period.start, received_to=last_day, **base)
        ),
        "resolved": _figure(n["resolved"], _link(outcome="resolved", **ended_range, **base)),
        "in_progress": _figure(n["in_progress"], _link(open_on=last_day, **base)),
        "in_progress_overdue": _figure(n["overdue"], _link(overdue_on=last_day, **base)),
        "in_progress_within": _figure(
            n["in_progress"] - n["overdue"], _link(within_on=last_day, **base)
        ),
    }
    for channel, _ in CHANNELS:
        figures[f"received_{channel}"] = _figure(
            n[f"received_{channel}"],
            _link(received_from=period.start, received_to=last_day, channel=channel, **base),
        )
    for verdict in ("early", "on_time", "late"):
        figures[f"resolved_{verdict}"] = _figure(
            n[f"resolved_{verdict}"],
            _link(outcome="resolved", timeliness=verdict, **ended_range, **base),
        )
    for outcome in ("refused", "withdrawn", "closed"):
        figures[outcome] = _figure(n[outcome], _link(outcome=outcome, **ended_range, **base))
    corrected = scope.counts("corrected", period.start, last_day).aggregate(n=Sum("n"))["n"] or 0
    figures["corrected"] = _figure(corrected, _link(corrected="on", **ended_range, **base))
    return figures


def _day_seconds(centre_ids) -> dict[int, int]:
    """The length of each centre's ordinary working day (its office hours;
    a calendar override moves days, not the length of a day)."""
    from workflows.selectors.calendar import centre_calendar

    return {
        c.pk: centre_calendar(c, overrides=[]).day_seconds
        for c in ServiceCentre.objects.filter(pk__in=centre_ids)
    }


def percentile_from_histogram(buckets: dict[int, int], p: float) -> int | None:
    """Nearest rank over a histogram ``{value: how many}``."""
    total = sum(buckets.values())
    if not total:
        return None
    rank, seen = max(1, math.ceil(p * total)), 0
    for value in sorted(buckets):
        seen += buckets[value]
        if seen >= rank:
            return value
    return None


def by_procedure(scope: Scope, period: Period, *, at: dt.datetime) -> list[dict[str, Any]]:
    """Per procedure, the dossiers resolved in the period: how many, how many
    late, and their processing time in working days (Decision 766: the
    waiting for the citizen subtracted): the mean, and the 90th percentile
    (nearest rank, in whole working hours rounded up: 90 % took at most
    that long), "the usual time"."""
    from django.db.models import Sum

    from procedures.models import Procedure

    last_day = min(period.end, at.astimezone(LOCAL_TZ).date())
    groups: dict[int, dict[str, Any]] = {}
    durations = (
        scope.counts("duration", period.start, last_day)
        .values("procedure_id", "centre_id", "extra")
        .annotate(n=Sum("n"), seconds=Sum("seconds"))
    )
    rows = list(durations)
    day_seconds = _day_seconds({r["centre_id"] for r in rows})
    for r in rows:
        g = groups.setdefault(
            r["procedure_id"], {"count": 0, "late": 0, "days_sum": 0.0, "hours": defaultdict(int)}
        )
        day = day_seconds[r["centre_id"]]
        g["days_sum"] += r["seconds"] / day
        # the percentile in days: whole working hours over the centre's day
        g["hours"][round(int(r["extra"]) * 3600 / day, 4)] += r["n"]
    for r in (
        scope.counts("ended", period.start, last_day)
        .filter(outcome="resolved")
        .values("procedure_id", "verdict")
        .annotate(n=Sum("n"))
    ):
        g = groups.setdefault(
            r["procedure_id"], {"count": 0, "late": 0, "days_sum": 0.0, "hours": defaultdict(int)}
        )
        g["count"] += r["n"]
        g["late"] += r["n"] if r["verdict"] == "late" else 0
    names = dict(
        (pk, (code, name))
        for pk, code, name in Procedure.objects.filter(pk__in=groups).values_list(
            "pk", "code", "name"
        )
    )
    out = []
    for pk, g in groups.items():
        code, name = names[pk]
        timed = sum(g["hours"].values())
        p90 = percentile_from_histogram(g["hours"], 0.9)
        row = {
            "code": code,
            "name": name,
            "count": g["count"],
            "late": g["late"],
            "average_days": round(g["days_sum"] / timed, 2) if timed else None,
            "p90_days": round(p90, 2) if p90 is not None else None,
        }
        row["link"] = _link(
            outcome="resolved",
            procedure=code,
            ended_from=period.start,
            ended_to=last_day,
            **scope.query(),
        )
        row["late_link"] = {**row["link"], "timeliness": "late"}
        out.append(row)
    return sorted(out, key=lambda r: (-r["count"], r["code"]))


def satisfaction(scope: Scope, period: Period, *, at: dt.datetime) -> dict[str, Any]:
    """Ratings of the dossiers whose processing ended in the period."""
    from django.db.models import Sum

    last_day = min(period.end, at.astimezone(LOCAL_TZ).date())
    rated = {
        r["extra"]: r["n"]
        for r in scope.counts("rating", period.start, last_day).values("extra").annotate(n=Sum("n"))
    }
    out = {}
    for score, label in RatingScore.choices:
        out[score] = {
            "label": str(label),
            **_figure(
                rated.get(score, 0),
                _link(rating=score, ended_from=period.start, ended_to=last_day, **scope.query()),
            ),
        }
    return out


# ---------------------------------------------------------------------------
# Rõ thời gian: open dossiers by time left, now
# ---------------------------------------------------------------------------


def time_left_buckets(scope: Scope, *, at: dt.datetime) -> dict[str, Any]:
    today = at.astimezone(LOCAL_TZ).date()
    tomorrow = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=LOCAL_TZ)
    # one pass over the running dossiers (the partial "running" indexes)
    n = scope.dossiers.filter(clock_running=True).aggregate(
        overdue=Count("pk", filter=Q(clock_due_at__lte=at)),
        due_today=Count(
            "pk", filter=Q(clock_warn_at__lte=at, clock_due_at__gt=at, clock_due_at__lt=tomorrow)
        ),
        within_day=Count("pk", filter=Q(clock_warn_at__lte=at, clock_due_at__gte=tomorrow)),
        later=Count("pk", filter=later_q(at)),
    )
    n["paused"] = scope.dossiers.filter(status=DossierStatus.AWAITING_SUPPLEMENT).count()
    base = scope.query()
    return {
        "overdue": _figure(n["overdue"], {"tab": "overdue", **base}),
        "due_today": _figure(
            n["due_today"], {"tab": "due_soon", "due_to": today.isoformat(), **base}
        ),
        "within_day": _figure(
            n["within_day"],
            {"tab": "due_soon", "due_from": (today + dt.timedelta(days=1)).isoformat(), **base},
        ),
        "later": _figure(n["later"], {"tab": "all", "bucket": "later", **base}),
        "paused": _figure(n["paused"], {"tab": "supplement", **base}),
    }


# ---------------------------------------------------------------------------
# Rõ người / rõ việc: who holds what now
# ---------------------------------------------------------------------------


def by_centre(scope: Scope, *, at: dt.datetime) -> list[dict[str, Any]]:
    """For a scope of several centres (a province), who holds what, per
    centre: held, at risk and overdue, unclaimed and since when; each centre
    opens its own dashboard, where the officers are."""
    running = Q(clock_running=True)
    rows = {
        r["centre_id"]: r
        for r in scope.dossiers.filter(status__in=OPEN_STATUSES)
        .values("centre_id")
        .annotate(
            held=Count("pk", filter=holding_q()),
            at_risk=Count(
                "pk", filter=holding_q() & running & Q(clock_warn_at__lte=at, clock_due_at__gt=at)
            ),
            overdue=Count("pk", filter=running & Q(clock_due_at__lte=at)),
            waiting=Count("pk", filter=queued_q()),
            oldest=Min("current_handover__handed_at", filter=queued_q()),
        )
    }
    out = []
    for centre in ServiceCentre.objects.filter(pk__in=rows).order_by("name"):
        r = rows[centre.pk]
        out.append(
            {
                "centre": centre.name,
                "code": centre.code,
                "held": _figure(r["held"], {"tab": "all", "centre": centre.code, "holding": "1"}),
                "at_risk": r["at_risk"],
                "overdue": _figure(r["overdue"], {"tab": "overdue", "centre": centre.code}),
                "waiting": r["waiting"],
                "oldest": local(r["oldest"]),
            }
        )
    return out


#: Statuses of a dossier whose processing or return is not over: what "now"
#: figures read (through the (centre|agency, status) indexes), never the rest.
OPEN_STATUSES = [s for s in DossierStatus if s not in FINAL_STATUSES]


#: Statuses of a received dossier whose processing has not ended (no ``ended_at``).
UNENDED_STATUSES = [
    s for s in OPEN_STATUSES if s not in ENDED_STATUSES and s != DossierStatus.SUBMITTED
]


def several_centres(scope: Scope) -> bool:
    rule, value = scope._visibility
    return scope.centre is None and (rule == "all" or (rule == "centres" and len(value) > 1))


def holders(scope: Scope, *, at: dt.datetime) -> list[dict[str, Any]]:
    held = {
        row["current_handover__to_officer"]: row
        for row in scope.dossiers.filter(holding_q(), status__in=OPEN_STATUSES)
        .values("current_handover__to_officer")
        .annotate(
            held=Count("pk"),
            at_risk=Count(
                "pk", filter=Q(clock_running=True, clock_warn_at__lte=at, clock_due_at__gt=at)
            ),
            overdue=Count("pk", filter=Q(clock_running=True, clock_due_at__lte=at)),
        )
    }
    out = []
    base = scope.query()
    for officer in scope.officers():
        row = held.get(officer.user_id, {})
        username = officer.user.username
        out.append(
            {
                "name": officer.full_name,
                "username": username,
                "role": officer.get_role_display(),
                "unit": officer.unit.name if officer.unit_id else "",
                "held": _figure(row.get("held", 0), {"tab": "all", "holder": username, **base}),
                "at_risk": _figure(
                    row.get("at_risk", 0), {"tab": "due_soon", "holder": username, **base}
                ),
                "overdue": _figure(
                    row.get("overdue", 0), {"tab": "overdue", "holder": username, **base}
                ),
            }
        )
    return out


def queues(scope: Scope, *, at: dt.datetime) -> list[dict[str, Any]]:
    waiting = {
        row["current_handover__to_unit"]: row
        for row in scope.dossiers.filter(queued_q(), status__in=OPEN_STATUSES)
        .values("current_handover__to_unit")
        .annotate(n=Count("pk"), oldest=Min("current_handover__handed_at"))
    }
    out = []
    for unit in scope.units().order_by("name"):
        row = waiting.get(unit.pk, {})
        oldest = row.get("oldest")
        out.append(
            {
                "unit": unit.name,
                "waiting": _figure(
                    row.get("n", 0), {"tab": "all", "queue_unit": str(unit.pk), **scope.query()}
                ),
                "oldest": local(oldest),
                "oldest_hours": round((at - oldest).total_seconds() / 3600, 1) if oldest else None,
            }
        )
    return out


# ---------------------------------------------------------------------------
# Rõ trách nhiệm: which steps made a late dossier late, and who held them
# ---------------------------------------------------------------------------


def responsibility(
    scope: Scope, period: Period, *, at: dt.datetime, limit: int = 50
) -> dict[str, Any]:
    """Late dossiers of the period (processing ended late in it, or open and
    overdue at its end) with the steps that overran their own budget before
    processing ended, from the control sheet: a completed step judged late,
    or an open one past its due time; and, per officer, the late dossiers
    with such a step of theirs."""
    from django.db.models import Sum

    end = period.end_at(at)
    last_day = min(period.end, at.astimezone(LOCAL_TZ).date())
    start = period.start_at()
    # the two kinds are disjoint: one ended in the period, the other is open at its end
    ended_late = scope.dossiers.filter(
        ended_at__gte=start, ended_at__lt=end, received_at__isnull=False, timeliness="late"
    )
    overdue = scope.dossiers.filter(overdue_q(period, at=at))
    total = (
        scope.counts("ended", period.start, last_day)
        .filter(verdict="late")
        .aggregate(n=Sum("n"))["n"]
        or 0
    ) + overdue.count()
    dossiers = []
    if not several_centres(scope):  # a province lists them centre by centre
        dossiers = list(overdue.select_related("procedure").order_by("clock_due_at", "pk")[:limit])
        dossiers += list(
            ended_late.select_related("procedure").order_by("-ended_at", "pk")[
                : limit - len(dossiers)
            ]
        )
    steps = defaultdict(list)
    for h in (
        Handover.objects.filter(dossier_id__in=[d.pk for d in dossiers])
        .filter(overran_q(end))
        .select_related("to_unit", "to_officer__officer")
        .order_by("dossier_id", "seq")
    ):
        steps[h.dossier_id].append(
            {
                "step": h.step_name,
                "unit": h.to_unit.name,
                "officer": officer_name(h.to_officer) or "(chưa có người nhận)",
                "budget_hours": float(h.budget_hours),
                "due_at": local(h.due_at),
                "completed_at": local(h.completed_at),
                "open": h.completed_at is None,
            }
        )
    by_officer: dict[str, dict[str, Any]] = {}
    if not several_centres(scope):
        late = scope.dossiers.filter(late_between(period.start, last_day, at=at))
        for r in (
            Handover.objects.filter(dossier__in=late, to_officer__isnull=False)
            .filter(overran_q(end))
            .values("to_officer__username")
            .annotate(steps=Count("pk"), dossiers=Count("dossier_id", distinct=True))
        ):
            username = r["to_officer__username"]
            by_officer[username] = {
                "name": "",
                "username": username,
                "steps": r["steps"],
                "dossiers": r["dossiers"],
            }
        for o in Officer.objects.filter(user__username__in=by_officer).select_related("user"):
            by_officer[o.user.username]["name"] = o.full_name
        for entry in by_officer.values():
            entry["name"] = entry["name"] or entry["username"]
    base = scope.query()
    late_link = _link(late_from=period.start, late_to=last_day, **base)
    for entry in by_officer.values():
        entry["link"] = {**late_link, "late_step_by": entry["username"]}
    rows = [
        {
            "code": d.code,
            "procedure": d.procedure.name,
            "status": d.get_status_display(),
            "due_at": local(d.clock_due_at),
            "ended_at": local(d.ended_at),
            "steps": steps.get(d.pk, []),
        }
        for d in dossiers
    ]
    return {
        "total": _figure(total, late_link),
        "shown": len(rows),
        "dossiers": rows,
        "by_officer": sorted(by_officer.values(), key=lambda e: (-e["dossiers"], e["name"])),
        "resolved_late_link": _link(
            outcome="resolved",
            timeliness="late",
            ended_from=period.start,
            ended_to=last_day,
            **base,
        ),
        "overdue_link": _link(overdue_on=last_day, **base),
    }


def trend(scope: Scope, period: Period, *, at: dt.datetime) -> list[dict[str, Any]]:
    """Received and resolved per local day of the period (up to today)."""
    from django.db.models import Sum

    last_day = min(period.end, at.astimezone(LOCAL_TZ).date())
    received = dict(
        scope.counts("received", period.start, last_day, daily=True)
        .values_list("day")
        .annotate(n=Sum("n"))
        .values_list("day", "n")
    )
    resolved = dict(
        scope.counts("ended", period.start, last_day, daily=True)
        .filter(outcome="resolved")
        .values_list("day")
        .annotate(n=Sum("n"))
        .values_list("day", "n")
    )
    return [
        {"day": day, "received": received.get(day, 0), "resolved": resolved.get(day, 0)}
        for day in period.days()
        if day <= last_day
    ]


def unit_steps(scope: Scope, period: Period, *, at: dt.datetime) -> list[dict[str, Any]]:
    """Per unit, the steps completed in the period, judged against each
    step's own budget (the control sheet's early / on time / late)."""
    from django.db.models import Sum

    last_day = min(period.end, at.astimezone(LOCAL_TZ).date())
    per_unit: dict[int, dict[str, int]] = defaultdict(
        lambda: {"steps": 0, "early": 0, "on_time": 0, "late": 0}
    )
    for r in (
        scope.counts("step", period.start, last_day)
        .values("unit_id", "verdict")
        .annotate(n=Sum("n"))
    ):
        u = per_unit[r["unit_id"]]
        u["steps"] += r["n"]
        u[r["verdict"]] += r["n"]
    names = dict(Unit.objects.filter(pk__in=per_unit).values_list("pk", "name"))
    out = []
    for pk, u in per_unit.items():
        rate = round(100 * (u["early"] + u["on_time"]) / u["steps"], 1) if u["steps"] else None
        out.append({"unit": names.get(pk, ""), **u, "rate": rate})
    return sorted(out, key=lambda r: r["unit"])


def dashboard(scope: Scope, period: Period, *, at: dt.datetime) -> dict[str, Any]:
    return {
        "at": local(at),
        "period": {
            "kind": period.kind,
            "from": period.start,
            "to": period.end,
            "label": period.label,
        },
        "centre": scope.centre.code if scope.centre else None,
        "results": results(scope, period, at=at),
        "procedures": by_procedure(scope, period, at=at),
        "satisfaction": satisfaction(scope, period, at=at),
        "time_left": time_left_buckets(scope, at=at),
        **(
            {"centres": by_centre(scope, at=at), "holders": [], "queues": []}
            if several_centres(scope)
            else {"centres": None, "holders": holders(scope, at=at), "queues": queues(scope, at=at)}
        ),
        "responsibility": responsibility(scope, period, at=at),
        "trend": trend(scope, period, at=at),
        "unit_steps": unit_steps(scope, period, at=at),
    }

"""The per-day counts (``DayCount``): written in the same transaction as the
event that changes them, recomputed from the dossiers for ``stats_verify``.

What a dossier contributes (one row each, ``n`` = 1):

* ``received`` on the local day of ``received_at``: centre, agency,
  procedure, channel;
* ``ended`` on the day of ``ended_at``, if it was ever received: outcome
  (resolved / refused / withdrawn / closed), Decree 118 verdict, Decision 766
  verdict, ``extra = "second_request"`` with two or more supplement requests;
  ``seconds`` = its 766 processing time in working seconds;
* ``duration`` for a resolved dossier on the day processing ended: ``extra``
  = its 766 processing time in whole working hours (the histogram the 90th
  percentile is read from);
* ``returned`` on the day of ``returned_at``: ``extra`` = the return method;
* ``rating`` on the day processing ended: ``extra`` = the score, with the 766
  verdict (satisfaction subtracts the late and the dissatisfied);
* ``corrected`` on the day processing ended, if its end time was corrected;
* ``step`` for every completed step of its control sheet, on the day it was
  completed: unit, officer, the step's verdict; ``seconds`` used by its own
  clock and ``budget_seconds``.

The write side is three hooks: ``dossier_saved`` (``save_dossier``, from what
the action changed), ``step_completed`` (``handover_complete``) and ``rated``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import connection

from config.clock import LOCAL_TZ
from reports.models import DAYCOUNT_KEY

KEY = DAYCOUNT_KEY
VALUES = ("n", "seconds", "budget_seconds")

OUTCOME_OF = {
    "result_ready": "resolved",
    "returned": "resolved",
    "refused": "refused",
    "withdrawn": "withdrawn",
    "closed": "closed",
}


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LOCAL_TZ).date()


def _key(dossier, kind: str, day: dt.date, **dims: Any) -> tuple:
    base = {
        "day": day,
        "kind": kind,
        "centre_id": dossier.centre_id,
        "agency_id": dossier.agency_id,
        "procedure_id": dossier.procedure_id,
        "unit_id": 0,
        "officer_id": 0,
        "channel": "",
        "outcome": "",
        "verdict": "",
        "verdict_766": "",
        "extra": "",
    }
    base.update(dims)
    return tuple(base[k] for k in KEY)


def received_row(dossier) -> tuple[tuple, tuple]:
    return _key(dossier, "received", local_day(dossier.received_at), channel=dossier.channel), (
        1,
        0,
        0,
    )


def ended_row(dossier, *, second_request: bool) -> tuple[tuple, tuple]:
    key = _key(
        dossier,
        "ended",
        local_day(dossier.ended_at),
        outcome=OUTCOME_OF.get(dossier.status, dossier.status),
        verdict=dossier.timeliness or "",
        verdict_766=dossier.verdict_766 or "",
        extra="second_request" if second_request else "",
    )
    return key, (1, dossier.elapsed_766_seconds or 0, 0)


def duration_row(dossier) -> tuple[tuple, tuple] | None:
    """The histogram of processing times of resolved dossiers, in whole
    working hours rounded up (766: waiting subtracted): the 90th percentile
    read from it is a bound — 90 % of the dossiers took at most that long."""
    if OUTCOME_OF.get(dossier.status) != "resolved" or dossier.elapsed_766_seconds is None:
        return None
    key = _key(
        dossier,
        "duration",
        local_day(dossier.ended_at),
        extra=str(-(-dossier.elapsed_766_seconds // 3600)),  # whole hours, rounded up
    )
    return key, (1, dossier.elapsed_766_seconds, 0)


def corrected_row(dossier) -> tuple[tuple, tuple] | None:
    """A dossier whose end time was corrected, on the (corrected) day it ended."""
    if not dossier.corrections or dossier.ended_at is None:
        return None
    return _key(dossier, "corrected", local_day(dossier.ended_at)), (1, 0, 0)


def returned_row(dossier) -> tuple[tuple, tuple]:
    key = _key(dossier, "returned", local_day(dossier.returned_at), extra=dossier.return_method)
    return key, (1, 0, 0)


def rating_row(dossier, score: str) -> tuple[tuple, tuple]:
    key = _key(
        dossier,
        "rating",
        local_day(dossier.ended_at),
        verdict_766=dossier.verdict_766 or "",
        extra=score,
    )
    return key, (1, 0, 0)


def step_row(handover, dossier) -> tuple[tuple, tuple]:
    key = _key(
        dossier,
        "step",
        local_day(handover.completed_at),
        unit_id=handover.to_unit_id,
        officer_id=handover.to_officer_id or 0,
        verdict=handover.verdict,
    )
    return key, (1, handover.used_seconds or 0, int(float(handover.budget_hours) * 3600))


MONTH = ":m"  # a kind's month rows: ``day`` is the month's first day


def with_months(rows: Iterable[tuple[tuple, tuple]]) -> list[tuple[tuple, tuple]]:
    """Each day row and the same figures on its month's row (what long
    periods sum: a year is twelve month rows, not 365 day rows)."""
    out = []
    for key, values in rows:
        out.append((key, values))
        day = key[0]
        out.append(((day.replace(day=1), key[1] + MONTH, *key[2:]), values))
    return out


def add(rows: Iterable[tuple[tuple, tuple]]) -> None:
    """Add to the day rows and their month rows (insert, or add to the row)."""
    from reports.models import DayCount

    rows = with_months(rows)
    if not rows:
        return
    table = DayCount._meta.db_table
    columns = ", ".join((*KEY, *VALUES))
    marks = ", ".join(["%s"] * (len(KEY) + len(VALUES)))
    update = ", ".join(f"{v} = {table}.{v} + excluded.{v}" for v in VALUES)
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({marks}) "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {update}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[*key, *values] for key, values in rows])


# ---------------------------------------------------------------------------
# The hooks
# ---------------------------------------------------------------------------


def dossier_saved(dossier, loaded: dict | None, *, supplement_requests: int | None = None) -> None:
    """After ``save_dossier``: what this action changed adds to the day rows
    (``supplement_requests``: already counted by the 766 reading of the end)."""

    def newly(name: str) -> bool:
        return getattr(dossier, name) is not None and (loaded is None or loaded[name] is None)

    rows = []
    if newly("received_at"):
        rows.append(received_row(dossier))
    if newly("ended_at") and dossier.received_at is not None:
        if supplement_requests is None:
            supplement_requests = requests_of(dossier.pk)
        rows.append(ended_row(dossier, second_request=supplement_requests >= 2))
        duration = duration_row(dossier)
        if duration is not None:
            rows.append(duration)
    if newly("returned_at") and dossier.received_at is not None:
        rows.append(returned_row(dossier))
    add(rows)


def step_completed(handover, dossier) -> None:
    if handover.verdict:
        add([step_row(handover, dossier)])


def rated(dossier, score: str) -> None:
    if dossier.ended_at is not None and dossier.received_at is not None:
        add([rating_row(dossier, score)])


def requests_of(dossier_id: int) -> int:
    from workflows.models import SupplementRequest

    return SupplementRequest.objects.filter(dossier_id=dossier_id).count()


# ---------------------------------------------------------------------------
# Recomputing, comparing
# ---------------------------------------------------------------------------


def expected() -> Counter:
    """The rows as the dossiers, control sheets and ratings say they should be:
    one grouped query per kind, in the database (the same definitions as the
    row builders above, written as SQL expressions)."""
    from django.db.models import (
        BigIntegerField,
        Case,
        CharField,
        Count,
        DecimalField,
        ExpressionWrapper,
        F,
        IntegerField,
        Sum,
        Value,
        When,
    )
    from django.db.models.functions import Cast, Coalesce, TruncDate

    from workflows.models import Dossier, Handover, SupplementRequest

    def day(field):
        return TruncDate(field, tzinfo=LOCAL_TZ)

    twice = (
        SupplementRequest.objects.values("dossier_id")
        .annotate(c=Count("pk"))
        .filter(c__gte=2)
        .values("dossier_id")
    )
    outcome = Case(
        *[When(status=status, then=Value(name)) for status, name in OUTCOME_OF.items()],
        default=F("status"),
        output_field=CharField(),
    )
    received = Dossier.objects.filter(received_at__isnull=False)
    ended = received.filter(ended_at__isnull=False)
    dims = ("centre_id", "agency_id", "procedure_id")
    queries = {
        "received": received.annotate(d=day("received_at"), ch=F("channel")).values(
            "d", *dims, "ch"
        ),
        "ended": ended.annotate(
            d=day("ended_at"),
            oc=outcome,
            vd=F("timeliness"),
            v7=F("verdict_766"),
            ex=Case(
                When(pk__in=twice, then=Value("second_request")),
                default=Value(""),
                output_field=CharField(),
            ),
        ).values("d", *dims, "oc", "vd", "v7", "ex"),
        "duration": ended.filter(
            status__in=[s for s, name in OUTCOME_OF.items() if name == "resolved"],
            elapsed_766_seconds__isnull=False,
        )
        .annotate(
            d=day("ended_at"),
            ex=Cast(
                ExpressionWrapper(
                    (F("elapsed_766_seconds") + 3599) / 3600, output_field=IntegerField()
                ),
                CharField(),
            ),
        )
        .values("d", *dims, "ex"),
        "returned": received.filter(returned_at__isnull=False)
        .annotate(d=day("returned_at"), ex=F("return_method"))
        .values("d", *dims, "ex"),
        "corrected": ended.filter(corrections__gt=0).annotate(d=day("ended_at")).values("d", *dims),
        "rating": ended.filter(rating__isnull=False)
        .annotate(d=day("ended_at"), v7=F("verdict_766"), ex=F("rating__score"))
        .values("d", *dims, "v7", "ex"),
    }
    out: Counter = Counter()
    for kind, qs in queries.items():
        seconds = Sum(Coalesce("elapsed_766_seconds", 0)) if kind in ("ended", "duration") else None
        rows = qs.annotate(n=Count("pk"), **({"s": seconds} if seconds is not None else {}))
        for r in rows:
            key = {
                "day": r["d"],
                "kind": kind,
                "centre_id": r["centre_id"],
                "agency_id": r["agency_id"],
                "procedure_id": r["procedure_id"],
                "unit_id": 0,
                "officer_id": 0,
                "channel": r.get("ch", ""),
                "outcome": r.get("oc", ""),
                "verdict": r.get("vd", "") or "",
                "verdict_766": r.get("v7", "") or "",
                "extra": r.get("ex", "") or "",
            }
            out[tuple(key[k] for k in KEY)] = (r["n"], int(r.get("s") or 0), 0)
    steps = (
        Handover.objects.filter(completed_at__isnull=False)
        .exclude(verdict="")
        .annotate(
            d=day("completed_at"),
            c=F("dossier__centre_id"),
            a=F("dossier__agency_id"),
            p=F("dossier__procedure_id"),
            o=Coalesce("to_officer_id", 0),
        )
        .values("d", "c", "a", "p", "to_unit_id", "o", "verdict")
        .annotate(
            n=Count("pk"),
            s=Sum(Coalesce("used_seconds", 0), output_field=BigIntegerField()),
            b=Sum(
                ExpressionWrapper(
                    F("budget_hours") * 3600,
                    output_field=DecimalField(max_digits=14, decimal_places=2),
                )
            ),
        )
    )
    for r in steps:
        key = (
            r["d"],
            "step",
            r["c"],
            r["a"],
            r["p"],
            r["to_unit_id"],
            r["o"],
            "",
            "",
            r["verdict"],
            "",
            "",
        )
        out[key] = (r["n"], int(r["s"] or 0), int(r["b"] or 0))
    months: dict[tuple, list[int]] = {}
    for key, values in with_months(out.items()):
        if key[1].endswith(MONTH):
            total = months.setdefault(key, [0, 0, 0])
            for i, v in enumerate(values):
                total[i] += v
    for key, values in months.items():
        out[key] = tuple(values)
    return out


def stored() -> Counter:
    from reports.models import DayCount

    out = Counter()
    for row in DayCount.objects.values_list(*KEY, *VALUES).iterator(chunk_size=5000):
        key, values = tuple(row[: len(KEY)]), tuple(row[len(KEY) :])
        if any(values):
            out[key] = values
    return out


def differences() -> list[dict[str, Any]]:
    """Every day row whose stored figures differ from the recomputed ones."""
    want, have = expected(), stored()
    out = []
    for key in sorted(set(want) | set(have), key=lambda k: tuple(str(x) for x in k)):
        if want.get(key) != have.get(key):
            out.append(
                {
                    "key": dict(zip(KEY, key, strict=True)),
                    "stored": dict(zip(VALUES, have.get(key, (0, 0, 0)), strict=True)),
                    "recomputed": dict(zip(VALUES, want.get(key, (0, 0, 0)), strict=True)),
                }
            )
    return out


def backfill() -> int:
    """Write the facts the counts are made of where a dossier ended, or a step
    was completed, before they were kept (an older database): the 766
    reading of the end and the time each step's clock ran, from the ledgers."""
    from django.db import transaction

    from workflows.models import Dossier, Handover
    from workflows.selectors.calendar import centre_calendar
    from workflows.services.deadlines import clock_fold
    from workflows.services.outcomes import outcome_766

    done = 0
    with transaction.atomic():
        for d in Dossier.objects.filter(
            ended_at__isnull=False, verdict_766="", clock__started_at__isnull=False
        ).select_related("clock", "centre"):
            outcome = outcome_766(d)
            Dossier.objects.filter(pk=d.pk).update(
                verdict_766=outcome.verdict, elapsed_766_seconds=outcome.elapsed_seconds
            )
            done += 1
        for h in Handover.objects.filter(
            completed_at__isnull=False, used_seconds__isnull=True
        ).select_related("clock__centre"):
            state = clock_fold(h.clock, calendar=centre_calendar(h.clock.centre))
            Handover.objects.filter(pk=h.pk).update(used_seconds=max(0, state.used_seconds))
            done += 1
    return done


def rebuild() -> int:
    """Replace every day row by the recomputed ones (after a migration, or to
    repair what ``stats_verify`` found); returns the number of rows."""
    from django.db import transaction

    from reports.models import DayCount

    backfill()
    want = expected()
    with transaction.atomic():
        DayCount.objects.all().delete()
        DayCount.objects.bulk_create(
            [
                DayCount(**dict(zip(KEY, key, strict=True)), **dict(zip(VALUES, v, strict=True)))
                for key, v in want.items()
            ],
            batch_size=2000,
        )
    return len(want)

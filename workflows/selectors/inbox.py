"""The officers' inbox: tabs, filters, search and keyset pages over the
dossiers an officer may see (``visibility_filter``), sorted by how soon they
fall due. One query for a page, whatever its size; the time left of each row
is computed in working hours from its centre's calendar (cached per centre).

A page is addressed by a cursor ``<due epoch µs or "-">.<id>`` of its last
row, so a deep page costs what the first one costs (no OFFSET)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q, QuerySet

from config.errors import ValidationFailed
from procedures.models import Role
from procedures.selectors import officer_of
from workflows.folding import fold
from workflows.models import Dossier, DossierStatus
from workflows.selectors.dossiers import LIST_RELATED, dossiers_visible_to, local

TABS = {
    "mine": "Việc của tôi",
    "queue": "Chờ nhận xử lý",
    "supplement": "Chờ bổ sung",
    "due_soon": "Đến hạn trong 1 ngày làm việc",
    "overdue": "Quá hạn",
    "to_return": "Chờ trả kết quả",
    "all": "Tất cả",
}
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def default_tab(user) -> str:
    officer = officer_of(user)
    if officer is not None and officer.role == Role.RECEIVER:
        return "to_return"
    if officer is not None and officer.role == Role.MANAGER:
        return "overdue"
    return "mine"


@dataclass
class InboxFilters:
    tab: str = "mine"
    q: str = ""
    procedure: str = ""
    status: str = ""
    channel: str = ""
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    after: str = ""
    limit: int | None = None
    #: Drill-down from the managers' dashboard (``reports``): how a dossier
    #: ended, in which days, and what it was at the end of a day.
    outcome: str = ""
    timeliness: str = ""
    verdict_766: str = ""
    ended_from: dt.date | None = None
    ended_to: dt.date | None = None
    open_on: dt.date | None = None
    overdue_on: dt.date | None = None
    within_on: dt.date | None = None
    bucket: str = ""  # "later": running, not yet in its last working day
    holder: str = ""  # username holding the current step
    queue_unit: int | None = None  # unclaimed in this unit's queue
    late_step_by: str = ""  # a step this username held ended (or is) late
    late_from: dt.date | None = None  # with late_to: late dossiers of those days
    late_to: dt.date | None = None
    rating: str = ""
    centre: str = ""  # one centre of the scope, by its code
    holding: bool = False  # the current step is held by someone
    corrected: bool = False  # its end time was corrected (a reasoned event)


@dataclass
class InboxPage:
    rows: list[Dossier]
    next_cursor: str | None
    filters: InboxFilters
    extra: dict[str, Any] = field(default_factory=dict)


#: Tabs whose dossiers all have a running clock (so a due time): their pages
#: are read from the partial "running" indexes.
RUNNING_TABS = {"due_soon", "overdue"}


def _tab_filter(qs: QuerySet[Dossier], tab: str, *, user, at: dt.datetime) -> QuerySet[Dossier]:
    if tab == "mine":
        return qs.filter(
            current_handover__to_officer=user, current_handover__completed_at__isnull=True
        )
    if tab == "queue":
        officer = officer_of(user)
        unit = officer.unit_id if officer is not None else None
        return qs.filter(
            current_handover__to_unit_id=unit,
            current_handover__to_officer__isnull=True,
            current_handover__completed_at__isnull=True,
        ).exclude(current_handover__step_role="return")
    if tab == "supplement":
        return qs.filter(status=DossierStatus.AWAITING_SUPPLEMENT)
    if tab == "due_soon":
        return qs.filter(clock_running=True, clock_warn_at__lte=at, clock_due_at__gt=at)
    if tab == "overdue":
        return qs.filter(clock_running=True, clock_due_at__lte=at)
    if tab == "to_return":
        return qs.filter(status=DossierStatus.RESULT_READY)
    return qs


#: ``outcome`` filter: how processing ended (Decision 766: NgayKetThucXuLy set).
OUTCOMES = {
    "resolved": (DossierStatus.RESULT_READY, DossierStatus.RETURNED),
    "refused": (DossierStatus.REFUSED,),
    "withdrawn": (DossierStatus.WITHDRAWN,),
    "closed": (DossierStatus.CLOSED,),
}


def open_at(moment: dt.datetime) -> Q:
    """Dossiers received before ``moment`` whose processing had not ended by then."""
    return Q(received_at__lt=moment) & (Q(ended_at__isnull=True) | Q(ended_at__gte=moment))


def day_end(day: dt.date, *, at: dt.datetime) -> dt.datetime:
    """The end of a local day, or ``at`` if that is earlier (a day not over yet)."""
    return min(_day_start(day + dt.timedelta(days=1)), at)


def overdue_at(moment: dt.datetime) -> Q:
    """Open at ``moment`` and past the due time then (the clock's final due
    time; a paused clock has none that can pass)."""
    return (
        open_at(moment) & Q(clock_due_at__lte=moment) & ~Q(status=DossierStatus.AWAITING_SUPPLEMENT)
    )


def later_q(at: dt.datetime) -> Q:
    """Running, and more than one working day from the due time."""
    return Q(clock_running=True, clock_due_at__gt=at) & (
        Q(clock_warn_at__isnull=True) | Q(clock_warn_at__gt=at)
    )


def holding_q() -> Q:
    """The current step is held by an officer and not completed."""
    return Q(
        current_handover__completed_at__isnull=True, current_handover__to_officer__isnull=False
    )


def queued_q() -> Q:
    """The current step waits in a unit's queue for someone to claim it."""
    return Q(
        current_handover__completed_at__isnull=True,
        current_handover__to_officer__isnull=True,
    ) & ~Q(current_handover__step_role="return")


def late_step_q(username: str, *, at: dt.datetime) -> Q:
    """A step the officer held overran its own budget: completed late, or
    still open past its due time."""
    from django.db.models import Exists, OuterRef

    from workflows.models import Handover

    late = Handover.objects.filter(dossier_id=OuterRef("pk"), to_officer__username=username).filter(
        overran_q(at)
    )
    return Q(Exists(late))


def overran_q(at: dt.datetime) -> Q:
    """A step (handover row) that overran its own budget before the dossier's
    processing ended: completed late, or still open past its due time."""
    from django.db.models import F

    before_end = Q(dossier__ended_at__isnull=True) | Q(handed_at__lt=F("dossier__ended_at"))
    return before_end & (Q(verdict="late") | Q(completed_at__isnull=True, due_at__lt=at))


def late_between(first: dt.date, last: dt.date, *, at: dt.datetime) -> Q:
    """Late dossiers of the days ``first``–``last``: processing ended late in
    them (Decree 118 verdict), or still open and overdue at the end of ``last``."""
    end = day_end(last, at=at)
    return Q(ended_at__gte=_day_start(first), ended_at__lt=end, timeliness="late") | overdue_at(end)


def _days(field: str, first: dt.date | None, last: dt.date | None) -> Q:
    """``field`` within the local days ``first``–``last`` (either may be open)."""
    q = Q()
    if first:
        q &= Q(**{f"{field}__gte": _day_start(first)})
    if last:
        q &= Q(**{f"{field}__lt": _day_start(last + dt.timedelta(days=1))})
    return q


def _day_start(day: dt.date) -> dt.datetime:
    from config.clock import LOCAL_TZ

    return dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ)


def _cursor(dossier: Dossier) -> str:
    due = dossier.clock_due_at
    head = str(int(due.timestamp() * 1_000_000)) if due else "-"
    return f"{head}.{dossier.pk}"


def _after(raw: str, *, nulls: bool = True) -> Q:
    """The rows after the cursor in (due time, nulls last; id) order. The
    ``>=`` bound lets PostgreSQL start the index range at the cursor; ``nulls``
    is False where no row can lack a due time."""
    try:
        head, pk_text = raw.split(".", 1)
        pk = int(pk_text)
        due = None if head == "-" else dt.datetime.fromtimestamp(int(head) / 1_000_000, tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise ValidationFailed(
            "Trang tiếp theo không hợp lệ; hãy mở lại danh sách.",
            code="invalid_cursor",
            field="after",
        ) from None
    if due is None:
        return Q(clock_due_at__isnull=True, pk__gt=pk)
    after = Q(clock_due_at__gte=due) & (Q(clock_due_at__gt=due) | Q(pk__gt=pk))
    return after | Q(clock_due_at__isnull=True) if nulls else after


def inbox_count(*, user, at: dt.datetime, filters: InboxFilters) -> int:
    """How many dossiers the tab and filters hold (all pages): the figure a
    dashboard link promised."""
    return _filtered(user=user, at=at, filters=filters).count()


def inbox_all(*, user, at: dt.datetime, filters: InboxFilters, limit: int) -> list[Dossier]:
    """Every row the tab and filters hold, in the inbox's order, up to ``limit``
    (the export of a list)."""
    qs = _filtered(user=user, at=at, filters=filters)
    return list(
        qs.select_related(*LIST_RELATED).order_by(F("clock_due_at").asc(nulls_last=True), "pk")[
            :limit
        ]
    )


def inbox_page(*, user, at: dt.datetime, filters: InboxFilters) -> InboxPage:
    qs = _filtered(user=user, at=at, filters=filters)
    if filters.after:
        qs = qs.filter(_after(filters.after, nulls=filters.tab not in RUNNING_TABS))
    limit = max(1, min(filters.limit or PAGE_SIZE, MAX_PAGE_SIZE))  # PAGE_SIZE read now
    rows = list(
        qs.select_related(*LIST_RELATED).order_by(F("clock_due_at").asc(nulls_last=True), "pk")[
            : limit + 1
        ]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return InboxPage(
        rows=rows, next_cursor=_cursor(rows[-1]) if more and rows else None, filters=filters
    )


def _filtered(*, user, at: dt.datetime, filters: InboxFilters) -> QuerySet[Dossier]:
    if filters.tab not in TABS:
        raise ValidationFailed("Không có thẻ này.", code="invalid_tab", field="tab")
    qs = _tab_filter(dossiers_visible_to(user), filters.tab, user=user, at=at)
    if filters.procedure:
        qs = qs.filter(procedure__code=filters.procedure)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    qs = qs.filter(
        _days("received_at", filters.received_from, filters.received_to),
        _days("clock_due_at", filters.due_from, filters.due_to),
        _days("ended_at", filters.ended_from, filters.ended_to),
    )
    if filters.outcome:
        if filters.outcome not in OUTCOMES:
            raise ValidationFailed(
                "Kết quả xử lý không hợp lệ.", code="invalid_outcome", field="outcome"
            )
        # the figures count received dossiers (the official report's "nhận giải quyết")
        qs = qs.filter(status__in=OUTCOMES[filters.outcome], received_at__isnull=False)
    if filters.timeliness:
        qs = qs.filter(timeliness=filters.timeliness)
    if filters.verdict_766:
        qs = qs.filter(verdict_766=filters.verdict_766)
    if filters.open_on:
        qs = qs.filter(open_at(day_end(filters.open_on, at=at)))
    if filters.overdue_on:
        qs = qs.filter(overdue_at(day_end(filters.overdue_on, at=at)))
    if filters.within_on:
        moment = day_end(filters.within_on, at=at)
        qs = qs.filter(open_at(moment)).exclude(overdue_at(moment))
    if filters.bucket:
        if filters.bucket != "later":
            raise ValidationFailed(
                "Nhóm thời hạn không hợp lệ.", code="invalid_bucket", field="bucket"
            )
        qs = qs.filter(later_q(at))
    if filters.holder:
        qs = qs.filter(holding_q(), current_handover__to_officer__username=filters.holder)
    if filters.queue_unit:
        qs = qs.filter(queued_q(), current_handover__to_unit_id=filters.queue_unit)
    if filters.late_step_by:
        qs = qs.filter(late_step_q(filters.late_step_by, at=at))
    if filters.late_from or filters.late_to:
        if not (filters.late_from and filters.late_to) or filters.late_from > filters.late_to:
            raise ValidationFailed(
                "Cần cả hai ngày của khoảng trễ hạn, ngày đầu không sau ngày cuối.",
                code="invalid_period",
                field="late_from",
            )
        qs = qs.filter(late_between(filters.late_from, filters.late_to, at=at))
    if filters.rating:
        qs = qs.filter(rating__score=filters.rating)
    if filters.centre:
        qs = qs.filter(centre__code=filters.centre)
    if filters.holding:
        qs = qs.filter(holding_q())
    if filters.corrected:
        qs = qs.filter(corrections__gt=0)
    q = (filters.q or "").strip()
    if q:
        digits = "".join(c for c in q if c.isdigit())
        match = Q(code__icontains=q) | Q(applicant_name_folded__contains=fold(q))
        if digits and len(digits) >= 9:
            match |= Q(applicant_id_number=digits) | Q(applicant_phone=digits)
        qs = qs.filter(match)
    return qs


def time_left(dossier: Dossier, *, at: dt.datetime, calendars: dict) -> dict[str, Any]:
    """Working seconds to the due time (negative when late), and its colour."""
    from workflows.selectors.calendar import centre_calendar
    from workflows.worktime import working_time_between

    clock = dossier.clock
    if clock is None or clock.due_at is None or clock.state != "running":
        state = clock.state if clock is not None else "none"
        return {"seconds": None, "state": state, "urgency": "none", "due_at": local(None)}
    calendar = calendars.get(dossier.centre_id)
    if calendar is None:
        calendar = calendars[dossier.centre_id] = centre_calendar(dossier.centre)
    if clock.due_at > at:
        seconds = working_time_between(at, clock.due_at, calendar)
    else:
        seconds = -working_time_between(clock.due_at, at, calendar)
    if seconds <= 0:
        urgency = "late"
    elif clock.warn_at is not None and clock.warn_at <= at:
        urgency = "risk"
    else:
        urgency = "ok"
    return {
        "seconds": seconds,
        "state": "running",
        "urgency": urgency,
        "due_at": local(clock.due_at),
    }

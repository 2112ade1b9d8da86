"""The periodic report «Tình hình, kết quả giải quyết thủ tục hành chính» for
a month, a quarter or a year, one row per agency, sector or procedure, and
Form 07, the dossier register (sổ theo dõi hồ sơ) of a centre.

Both are computed with the dashboard's predicates (``period_counts``), so a
report's totals equal the dashboard's figures for the same scope and period.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch

from config.clock import LOCAL_TZ
from config.errors import NotFound, ValidationFailed
from procedures.models import ServiceCentre
from procedures.selectors import centres_visible_to
from reports.periods import Period
from reports.selectors import Scope, day_totals
from workflows.models import DossierStatus, Handover
from workflows.selectors.dossiers import dossiers_visible_to, local, officer_name

GROUPS = {
    "agency": ("agency__name", "Cơ quan, đơn vị"),
    "sector": ("procedure__sector__name", "Lĩnh vực"),
    "procedure": ("procedure__name", "Thủ tục hành chính"),
}

#: (key, second-level heading) under each first-level heading of the template
HEADER = [
    (
        "Số hồ sơ nhận giải quyết",
        [
            ("total", "Tổng số"),
            ("carried_over", "Kỳ trước chuyển qua"),
            ("received_online", "Mới tiếp nhận trực tuyến"),
            ("received_offline", "Mới tiếp nhận trực tiếp, bưu chính"),
        ],
    ),
    (
        "Số hồ sơ đã giải quyết",
        [
            ("resolved", "Tổng số"),
            ("resolved_early", "Trước hạn"),
            ("resolved_on_time", "Đúng hạn"),
            ("resolved_late", "Quá hạn"),
        ],
    ),
    (
        "Số hồ sơ đang giải quyết",
        [
            ("in_progress", "Tổng số"),
            ("in_progress_within", "Trong hạn"),
            ("in_progress_overdue", "Quá hạn"),
        ],
    ),
]
#: the last column, outside the template's groups, so that each row balances
OTHER = ("stopped", "Rút, từ chối, dừng giải quyết")
COLUMNS = [key for _, cols in HEADER for key, _ in cols] + [OTHER[0]]


def _row(n: dict[str, int]) -> dict[str, int]:
    return {
        "total": n["carried_over"] + n["received"],
        "carried_over": n["carried_over"],
        "received_online": n["received_online"],
        "received_offline": n["received_in_person"] + n["received_postal"],
        "resolved": n["resolved"],
        "resolved_early": n["resolved_early"],
        "resolved_on_time": n["resolved_on_time"],
        "resolved_late": n["resolved_late"],
        "in_progress": n["in_progress"],
        "in_progress_within": n["in_progress"] - n["overdue"],
        "in_progress_overdue": n["overdue"],
        "stopped": n["refused"] + n["withdrawn"] + n["closed"],
    }


def periodic_report(scope: Scope, period: Period, *, at: dt.datetime, by: str) -> dict[str, Any]:
    """One row per agency, sector or procedure, from the per-day counts."""
    from procedures.models import Agency, Procedure

    if by not in GROUPS:
        raise ValidationFailed("Cách nhóm không hợp lệ.", code="invalid_group", field="by")
    heading = GROUPS[by][1]
    dimension = "agency_id" if by == "agency" else "procedure_id"
    grouped = day_totals(scope, period, at=at, by=dimension)
    if by == "agency":
        names = dict(Agency.objects.filter(pk__in=grouped).values_list("pk", "name"))
    else:
        field = "sector__name" if by == "sector" else "name"
        names = dict(Procedure.objects.filter(pk__in=grouped).values_list("pk", field))
    merged: dict[str, dict[str, int]] = {}
    for pk, n in grouped.items():
        name = names.get(pk) or "(không xác định)"
        if name in merged:
            merged[name] = {k: merged[name][k] + v for k, v in n.items()}
        else:
            merged[name] = dict(n)
    rows = [{"name": name, **_row(n)} for name, n in sorted(merged.items())]
    rows = [r for r in rows if any(r[c] for c in COLUMNS)]
    # the total is the sum of the groups (each dossier has one agency and one procedure)
    total = dict.fromkeys(COLUMNS, 0)
    for n in grouped.values():
        for key, value in _row(n).items():
            total[key] += value
    from django.db.models import Sum

    last_day = min(period.end, at.astimezone(LOCAL_TZ).date())
    corrected = scope.counts("corrected", period.start, last_day).aggregate(n=Sum("n"))["n"] or 0
    return {
        "title": "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
        "by": by,
        "heading": heading,
        "header": HEADER,
        "other": OTHER,
        "columns": COLUMNS,
        "rows": rows,
        "total": total,
        "corrected": corrected,
        "period": period,
        "centre": scope.centre,
    }


# ---------------------------------------------------------------------------
# Form 07: the dossier register
# ---------------------------------------------------------------------------

REGISTER_LIMIT = 5000


def register_centre(user, code: str) -> ServiceCentre:
    centres = centres_visible_to(user)
    centre = centres.filter(code=code[:5]).first() if code else centres.order_by("code").first()
    if centre is None:
        raise NotFound(f"Không có trung tâm mã {code[:20]}.", code="unknown_centre")
    return centre


def register(user, centre: ServiceCentre, period: Period, *, at: dt.datetime) -> dict[str, Any]:
    """Dossiers received at the centre in the period, in order of receipt."""
    start, end = period.start_at(), period.end_at(at)
    qs = (
        dossiers_visible_to(user)
        .filter(centre=centre, received_at__gte=start, received_at__lt=end)
        .select_related("procedure", "agency", "clock", "received_by__officer")
        .prefetch_related(
            Prefetch(
                "handovers",
                queryset=Handover.objects.select_related(
                    "from_officer__officer", "to_officer__officer", "to_unit", "from_unit"
                ).order_by("seq"),
            )
        )
        .order_by("received_at", "pk")
    )
    total = qs.count()
    rows = []
    for i, d in enumerate(qs[:REGISTER_LIMIT], start=1):
        handovers = list(d.handovers.all())
        first = handovers[0] if handovers else None
        back = next((h for h in reversed(handovers) if h.step_role == "return"), None)
        notes = []
        if d.clock is not None and d.clock.extended:
            notes.append(f"Hẹn lại: {_vn(d.clock.due_at)}")
        if d.status in (DossierStatus.REFUSED, DossierStatus.WITHDRAWN, DossierStatus.CLOSED):
            notes.append(f"{d.get_status_display()}: {d.stop_reason}")
        if d.timeliness == "late":
            notes.append("Trễ hạn")
        if d.corrections:
            notes.append(f"Đã sửa thời điểm kết thúc xử lý ({d.corrections} lần, xem lịch sử)")
        if d.note:
            notes.append(d.note)
        rows.append(
            {
                "no": i,
                "code": d.code,
                "matter": d.procedure.name,
                "sets": 1,
                "applicant": d.applicant_name,
                "address": d.applicant_address,
                "phone": d.applicant_phone,
                "agency": d.agency.name,
                "received_at": local(d.received_at),
                "appointment": local(d.clock.first_due_at if d.clock else None),
                "returned_at": local(d.returned_at),
                "handed_over": officer_name(first.from_officer) if first else "",
                "handed_to": (officer_name(first.to_officer) or first.to_unit.name)
                if first
                else "",
                "returned_by": officer_name(back.to_officer) if back and d.returned_at else "",
                "returned_to": d.applicant_name if d.returned_at else "",
                "notes": "; ".join(notes),
            }
        )
    return {
        "centre": centre,
        "period": period,
        "rows": rows,
        "total": total,
        "truncated": total > len(rows),
        "limit": REGISTER_LIMIT,
    }


def _vn(value) -> str:
    from config.clock import LOCAL_TZ

    return value.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y") if value else ""

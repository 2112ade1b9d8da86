"""The managers' pages: ``/dashboard/`` (the five clears) and
``/dashboard/766/`` (Decision 766 indicators), and the indicators' API.
The figures come from ``reports.selectors`` and ``reports.indicators``."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.clock import now
from config.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from procedures.api import ProblemSerializer
from procedures.selectors import centres_visible_to
from reports import xlsx
from reports.accountability import (
    log_views,
    may_see_others,
    officer_figures,
    officer_steps,
    officers_in_view,
    subject_officer,
    views_of,
)
from reports.indicators import indicators_766
from reports.periodic import GROUPS, periodic_report, register, register_centre
from reports.periods import KINDS, Period, parse_period
from reports.selectors import Scope, dashboard


def _period(params, at) -> Period:
    return parse_period(
        params.get("period") or None,
        at=at,
        start=params.get("from", "")[:20],
        end=params.get("to", "")[:20],
        quarter=params.get("quarter", "")[:2],
    )


def _own_period(request, at):
    """The period asked for; on bad input, this month and the error (a page
    shows both, with status 400)."""
    try:
        return _period(request.GET, at), None
    except DomainError as e:
        return parse_period("month", at=at), e


def _scope(request) -> Scope:
    try:
        return Scope(request.user, centre_code=request.GET.get("centre", "")[:20])
    except NotFound:
        raise Http404("Không có trung tâm này.") from None


def _scope_and_period(request, at):
    return (_scope(request), *_own_period(request, at))


def refusing(view):
    """A signed-in page whose refusals are pages: a role without the
    dashboard gets the 403 page with the reason, bad input (an export's
    period, say) the 400 page with it."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as e:
            return render(request, "403.html", {"message": e.message}, status=403)
        except ValidationFailed as e:
            return render(request, "400.html", {"message": e.message}, status=400)

    return login_required(wrapped)


def _page(request, template: str, build) -> object:
    at = now()
    scope, period, error = _scope_and_period(request, at)
    context = {
        **build(scope, period, at),
        "scope": scope,
        "period": period,
        "kinds": KINDS,
        "error": error,
        "centres": list(centres_visible_to(request.user).order_by("code")[:200]),
        "query": period.query() | scope.query(),
    }
    return render(request, template, context, status=400 if error else 200)


@refusing
def dashboard_page(request):
    return _page(
        request,
        "reports/dashboard.html",
        lambda scope, period, at: {"d": dashboard(scope, period, at=at)},
    )


@refusing
def indicators_page(request):
    return _page(
        request,
        "reports/indicators_766.html",
        lambda scope, period, at: {"r": indicators_766(scope, period, at=at)},
    )


class Indicators766View(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Chỉ số theo Quyết định 766/QĐ-TTg",
        description=(
            "Các chỉ số của phạm vi (một trung tâm, hoặc mọi trung tâm trong phạm vi của người "
            "dùng) trong kỳ from–to (ngày, YYYY-MM-DD): công thức, số liệu đầu vào, điểm và cách "
            "chấm. Phần chưa được văn bản quy định là cấu hình (configured)."
        ),
        parameters=[
            OpenApiParameter(
                "scope", str, required=False, description="Mã trung tâm; bỏ trống = cả phạm vi"
            ),
            OpenApiParameter("from", str, required=False, description="Ngày bắt đầu"),
            OpenApiParameter("to", str, required=False, description="Ngày kết thúc"),
            OpenApiParameter("period", str, required=False, enum=list(KINDS)),
        ],
        responses={
            200: dict,
            400: ProblemSerializer,
            403: ProblemSerializer,
            404: ProblemSerializer,
        },
        tags=["reports"],
    )
    def get(self, request):
        at = now()
        params = request.query_params
        scope = Scope(request.user, centre_code=params.get("scope", "")[:20])
        period = _period(params, at)
        result = indicators_766(scope, period, at=at)
        return Response(result)


@login_required
def officers_page(request):
    """Per-officer accountability: the scope's officers for a manager or a
    leader (each look logged), one's own figures for everyone else."""
    at = now()
    period, error = _own_period(request, at)
    centre = request.GET.get("centre", "")[:20]
    try:
        officers = officers_in_view(request.user, centre_code=centre)
    except NotFound:
        raise Http404("Không có trung tâm này.") from None
    rows = officer_figures(officers, period, at=at)
    logged = log_views(request.user, officers, at=at, what=request.get_full_path())
    context = {
        "rows": rows,
        "period": period,
        "kinds": KINDS,
        "error": error,
        "others": may_see_others(request.user),
        "logged": logged,
        "views": views_of(request.user),
        "query": period.query() | ({"centre": centre} if centre else {}),
        "centres": list(centres_visible_to(request.user).order_by("code")[:200])
        if may_see_others(request.user)
        else [],
        "scope": None,
    }
    return render(request, "reports/officers.html", context, status=400 if error else 200)


@login_required
def officer_page(request, username: str):
    at = now()
    period, error = _own_period(request, at)
    try:
        officer = subject_officer(request.user, username[:150])
    except NotFound:
        raise Http404("Không có cán bộ này.") from None
    (row,) = officer_figures([officer], period, at=at)
    log_views(request.user, [officer], at=at, what=request.get_full_path())
    context = {
        "officer": officer,
        "row": row,
        "steps": officer_steps(officer, period, at=at),
        "period": period,
        "kinds": KINDS,
        "error": error,
        "query": period.query(),
        "own": officer.user_id == request.user.pk,
        "views": views_of(request.user) if officer.user_id == request.user.pk else [],
    }
    return render(request, "reports/officer.html", context, status=400 if error else 200)


# ---------------------------------------------------------------------------
# Reports and exports
# ---------------------------------------------------------------------------


def _report(request, scope, period, at):
    by = request.GET.get("by", "agency")[:20]
    return periodic_report(scope, period, at=at, by=by if by in GROUPS else "agency")


@refusing
def report_page(request):
    at = now()
    scope, period, error = _scope_and_period(request, at)
    report = _report(request, scope, period, at)
    context = {
        "r": report,
        "scope": scope,
        "period": period,
        "kinds": KINDS,
        "error": error,
        "groups": {k: v[1] for k, v in GROUPS.items()},
        "centres": list(centres_visible_to(request.user).order_by("code")[:200]),
        "query": period.query() | scope.query(),
        "by": report["by"],
    }
    return render(request, "reports/report.html", context, status=400 if error else 200)


def _scope_name(scope) -> str:
    return scope.centre.name if scope.centre else "Toàn phạm vi của người xem"


@refusing
def report_xlsx(request):
    at = now()
    scope, period = _scope(request), _period(request.GET, at)
    report = _report(request, scope, period, at)
    wb = xlsx.periodic_workbook(report, scope_name=_scope_name(scope))
    return xlsx.response(wb, f"bao-cao-tthc-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx")


def _register(request, at, *, strict: bool = False):
    """The register asked for; ``strict`` (a file): a bad period is refused
    rather than replaced by this month."""
    period, error = _own_period(request, at)
    if error is not None and strict:
        raise error
    try:
        centre = register_centre(request.user, request.GET.get("centre", "")[:20])
    except NotFound:
        raise Http404("Không có trung tâm này.") from None
    return register(request.user, centre, period, at=at), error


@login_required
def register_page(request):
    at = now()
    reg, error = _register(request, at)
    context = {
        "reg": reg,
        "period": reg["period"],
        "kinds": KINDS,
        "error": error,
        "centres": list(centres_visible_to(request.user).order_by("code")[:200]),
        "query": reg["period"].query() | {"centre": reg["centre"].code},
        "scope": None,
    }
    return render(request, "reports/register.html", context, status=400 if error else 200)


@refusing
def register_xlsx(request):
    reg, _ = _register(request, now(), strict=True)
    p = reg["period"]
    return xlsx.response(
        xlsx.register_workbook(reg),
        f"so-theo-doi-{reg['centre'].code}-{p.start:%Y%m%d}-{p.end:%Y%m%d}.xlsx",
    )


@refusing
def register_pdf(request):
    from django.template.loader import render_to_string
    from django.utils import translation

    from workflows.printing import pdf_bytes

    reg, _ = _register(request, now(), strict=True)
    with translation.override("vi"):
        html = render_to_string("reports/register_print.html", {"reg": reg, "pdf": True})
    r = HttpResponse(pdf_bytes(html), content_type="application/pdf")
    p = reg["period"]
    r["Content-Disposition"] = (
        f'inline; filename="so-theo-doi-{reg["centre"].code}-{p.start:%Y%m%d}-{p.end:%Y%m%d}.pdf"'
    )
    return r


RESULT_LABELS = {
    "carried_over": "Tồn kỳ trước",
    "received": "Tiếp nhận mới",
    "received_in_person": "— trực tiếp",
    "received_online": "— trực tuyến",
    "received_postal": "— bưu chính",
    "resolved": "Đã giải quyết",
    "resolved_early": "— trước hạn",
    "resolved_on_time": "— đúng hạn",
    "resolved_late": "— trễ hạn",
    "in_progress": "Đang giải quyết cuối kỳ",
    "in_progress_within": "— trong hạn",
    "in_progress_overdue": "— quá hạn",
    "withdrawn": "Rút hồ sơ",
    "refused": "Từ chối",
    "closed": "Dừng giải quyết",
    "corrected": "Có sửa thời điểm kết thúc",
}
TIME_LABELS = {
    "overdue": "Quá hạn",
    "due_today": "Đến hạn hôm nay",
    "within_day": "Còn ≤ 1 ngày làm việc",
    "later": "Còn hạn",
    "paused": "Chờ công dân bổ sung",
}


_time = xlsx.excel_time


#: table name → (title, headers, rows from the dashboard's data)
TABLES = {
    "results": (
        "Rõ kết quả",
        ["Chỉ tiêu", "Số hồ sơ"],
        lambda d: [[RESULT_LABELS[k], v["value"]] for k, v in d["results"].items()],
    ),
    "time_left": (
        "Rõ thời gian",
        ["Nhóm", "Số hồ sơ"],
        lambda d: [[TIME_LABELS[k], v["value"]] for k, v in d["time_left"].items()],
    ),
    "holders": (
        "Rõ người, rõ việc",
        ["Cán bộ", "Vai trò", "Đơn vị", "Đang giữ", "Sắp quá hạn", "Quá hạn"],
        lambda d: [
            [
                o["name"],
                o["role"],
                o["unit"],
                o["held"]["value"],
                o["at_risk"]["value"],
                o["overdue"]["value"],
            ]
            for o in d["holders"]
        ],
    ),
    "centres": (
        "Rõ người, rõ việc theo trung tâm",
        ["Trung tâm", "Đang có người giữ", "Sắp quá hạn", "Quá hạn", "Chờ nhận", "Chờ lâu nhất từ"],
        lambda d: [
            [
                c["centre"],
                c["held"]["value"],
                c["at_risk"],
                c["overdue"]["value"],
                c["waiting"],
                _time(c["oldest"]),
            ]
            for c in d["centres"] or []
        ],
    ),
    "queues": (
        "Chờ nhận xử lý theo đơn vị",
        ["Đơn vị", "Chờ nhận", "Chờ lâu nhất từ"],
        lambda d: [[q["unit"], q["waiting"]["value"], _time(q["oldest"])] for q in d["queues"]],
    ),
    "unit_steps": (
        "Bước xử lý theo đơn vị",
        ["Đơn vị", "Bước", "Trước hạn", "Đúng hạn", "Trễ hạn", "Tỷ lệ đúng hạn (%)"],
        lambda d: [
            [u["unit"], u["steps"], u["early"], u["on_time"], u["late"], u["rate"]]
            for u in d["unit_steps"]
        ],
    ),
    "responsibility": (
        "Rõ trách nhiệm",
        [
            "Mã hồ sơ",
            "Thủ tục",
            "Hẹn trả",
            "Kết thúc",
            "Bước vượt thời hạn",
            "Đơn vị",
            "Người giữ",
            "Hạn bước",
            "Xong lúc",
        ],
        lambda d: [
            [
                r["code"],
                r["procedure"],
                _time(r["due_at"]),
                _time(r["ended_at"]),
                s["step"],
                s["unit"],
                s["officer"],
                _time(s["due_at"]),
                _time(s["completed_at"]),
            ]
            for r in d["responsibility"]["dossiers"]
            for s in (
                r["steps"]
                or [{"step": "", "unit": "", "officer": "", "due_at": None, "completed_at": None}]
            )
        ],
    ),
    "procedures": (
        "Theo thủ tục",
        [
            "Mã thủ tục",
            "Thủ tục",
            "Đã giải quyết",
            "Trễ hạn",
            "Trung bình (ngày làm việc)",
            "Thường mất, 90 % (ngày làm việc)",
        ],
        lambda d: [
            [p["code"], p["name"], p["count"], p["late"], p["average_days"], p["p90_days"]]
            for p in d["procedures"]
        ],
    ),
    "satisfaction": (
        "Mức độ hài lòng",
        ["Đánh giá", "Số hồ sơ"],
        lambda d: [[s["label"], s["value"]] for s in d["satisfaction"].values()],
    ),
}


@refusing
def dashboard_export(request):
    """One dashboard table as .xlsx, with the page's scope and period."""
    at = now()
    name = request.GET.get("table", "")[:30]
    if name not in TABLES:
        return render(request, "400.html", {"message": "Không có bảng này."}, status=400)
    scope, period = _scope(request), _period(request.GET, at)
    title, headers, rows = TABLES[name]
    data = dashboard(scope, period, at=at)
    subtitle = f"{_scope_name(scope)} — {period.label}"
    return xlsx.response(
        xlsx.table_workbook(title, subtitle, headers, rows(data)),
        f"bang-dieu-hanh-{name}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx",
    )


@refusing
def indicators_export(request):
    at = now()
    scope, period = _scope(request), _period(request.GET, at)
    r = indicators_766(scope, period, at=at)
    rows = []
    for i in r["indicators"]:
        rows.append(
            [
                i["code"],
                i["name"],
                "",
                "",
                i["rate"],
                i["threshold"],
                i["points"],
                i["score"],
                i["formula"],
            ]
        )
        for key, v in i["inputs"].items():
            rows.append(["", "", v["label"], v["value"], None, None, None, None, key])
    rows.append(["", "Tổng điểm", "", "", None, None, r["total_points"], r["total_score"], ""])
    wb = xlsx.table_workbook(
        "Chỉ số QĐ 766",
        f"{_scope_name(scope)} — {period.label}",
        [
            "Mã",
            "Chỉ số",
            "Số liệu đầu vào",
            "Giá trị",
            "Tỷ lệ (%)",
            "Ngưỡng (%)",
            "Điểm tối đa",
            "Điểm",
            "Công thức / trường",
        ],
        rows,
    )
    return xlsx.response(wb, f"chi-so-766-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx")


@refusing
def officers_export(request):
    at = now()
    period = _period(request.GET, at)
    try:
        officers = officers_in_view(request.user, centre_code=request.GET.get("centre", "")[:20])
    except NotFound:
        raise Http404("Không có trung tâm này.") from None
    log_views(request.user, officers, at=at, what=request.get_full_path())
    rows = [
        [
            r["name"],
            r["role"],
            r["unit"],
            r["steps"],
            r["early"],
            r["on_time"],
            r["late"],
            r["on_time_rate"],
            r["average_hours"],
            r["average_budget_hours"],
            r["held"],
            r["late_steps_caused"],
        ]
        for r in officer_figures(officers, period, at=at)
    ]
    wb = xlsx.table_workbook(
        "Trách nhiệm cán bộ",
        period.label,
        [
            "Cán bộ",
            "Vai trò",
            "Đơn vị",
            "Bước đã xong",
            "Trước hạn",
            "Đúng hạn",
            "Trễ hạn",
            "Tỷ lệ đúng hạn (%)",
            "Thời gian TB (giờ LV)",
            "Thời hạn TB (giờ)",
            "Đang giữ",
            "Bước trễ gây ra",
        ],
        rows,
    )
    return xlsx.response(wb, f"trach-nhiem-can-bo-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx")

"""The managers' pages: ``/dashboard/`` (the five clears) and
``/dashboard/766/`` (Decision 766 indicators), and the indicators' API.
The figures come from ``reports.selectors`` and ``reports.indicators``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.clock import now
from config.errors import DomainError, NotFound, PermissionDenied
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


def _scope_and_period(request, at):
    try:
        scope = Scope(request.user, centre_code=request.GET.get("centre", "")[:20])
    except NotFound:
        raise Http404("Không có trung tâm này.") from None
    error = None
    try:
        period = _period(request.GET, at)
    except DomainError as e:
        error = e
        period = parse_period("month", at=at)
    return scope, period, error


def _page(request, template: str, build) -> object:
    at = now()
    try:
        scope, period, error = _scope_and_period(request, at)
    except PermissionDenied as e:
        return render(request, "403.html", {"message": e.message}, status=403)
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


@login_required
def dashboard_page(request):
    return _page(
        request,
        "reports/dashboard.html",
        lambda scope, period, at: {"d": dashboard(scope, period, at=at)},
    )


@login_required
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


def _own_period(request, at):
    try:
        return _period(request.GET, at), None
    except DomainError as e:
        return parse_period("month", at=at), e


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


def _report(request, at):
    scope, period, error = _scope_and_period(request, at)
    by = request.GET.get("by", "agency")[:20]
    if by not in GROUPS:
        by = "agency"
    return scope, period, error, periodic_report(scope, period, at=at, by=by)


@login_required
def report_page(request):
    at = now()
    try:
        scope, period, error, report = _report(request, at)
    except PermissionDenied as e:
        return render(request, "403.html", {"message": e.message}, status=403)
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


@login_required
def report_xlsx(request):
    at = now()
    try:
        scope, period, error, report = _report(request, at)
    except PermissionDenied as e:
        return render(request, "403.html", {"message": e.message}, status=403)
    if error:
        return render(request, "400.html", {"message": error.message}, status=400)
    wb = xlsx.periodic_workbook(report, scope_name=_scope_name(scope))
    return xlsx.response(wb, f"bao-cao-tthc-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx")


def _register(request, at):
    period, error = _own_period(request, at)
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


@login_required
def register_xlsx(request):
    at = now()
    reg, error = _register(request, at)
    if error:
        return render(request, "400.html", {"message": error.message}, status=400)
    p = reg["period"]
    return xlsx.response(
        xlsx.register_workbook(reg),
        f"so-theo-doi-{reg['centre'].code}-{p.start:%Y%m%d}-{p.end:%Y%m%d}.xlsx",
    )


@login_required
def register_pdf(request):
    from django.template.loader import render_to_string
    from django.utils import translation

    from workflows.printing import pdf_bytes

    at = now()
    reg, error = _register(request, at)
    if error:
        return render(request, "400.html", {"message": error.message}, status=400)
    with translation.override("vi"):
        html = render_to_string("reports/register_print.html", {"reg": reg, "pdf": True})
    r = HttpResponse(pdf_bytes(html), content_type="application/pdf")
    p = reg["period"]
    r["Content-Disposition"] = (
        f'inline; filename="so-theo-doi-{reg["centre"].code}-{p.start:%Y%m%d}-{p.end:%Y%m%d}.pdf"'
    )
    return r

"""The officers' inbox: ``/inbox/``. Tabs, filters and search over the
dossiers in the officer's scope (``workflows.selectors.inbox``), keyset pages,
bulk claim / assign (each dossier through the same action service as
everywhere; the result of each is reported), live refresh."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.clock import LOCAL_TZ, now
from config.errors import DomainError
from procedures.models import Channel, Officer, Role
from procedures.selectors import officer_of, scope_centre_ids
from workflows.models import DossierStatus, RatingScore, Timeliness
from workflows.selectors.dossiers import summary
from workflows.selectors.inbox import (
    TABS,
    InboxFilters,
    default_tab,
    inbox_count,
    inbox_page,
    time_left,
)
from workflows.services.actions import dossier_act


class InboxForm(forms.Form):
    tab = forms.ChoiceField(choices=list(TABS.items()), required=False)
    q = forms.CharField(label="Tìm", required=False, max_length=100)
    procedure = forms.CharField(label="Mã thủ tục", required=False, max_length=30)
    status = forms.ChoiceField(
        label="Trạng thái", required=False, choices=[("", "Tất cả"), *DossierStatus.choices]
    )
    channel = forms.ChoiceField(
        label="Hình thức nộp", required=False, choices=[("", "Tất cả"), *Channel.choices]
    )
    received_from = forms.DateField(label="Tiếp nhận từ", required=False)
    received_to = forms.DateField(label="đến", required=False)
    due_from = forms.DateField(label="Hẹn trả từ", required=False)
    due_to = forms.DateField(label="đến", required=False)
    after = forms.CharField(required=False, max_length=40)
    # drill-down from the managers' dashboard
    outcome = forms.ChoiceField(
        label="Kết quả xử lý",
        required=False,
        choices=[
            ("", "Tất cả"),
            ("resolved", "Đã giải quyết"),
            ("refused", "Từ chối"),
            ("withdrawn", "Rút hồ sơ"),
            ("closed", "Dừng giải quyết"),
        ],
    )
    timeliness = forms.ChoiceField(
        label="Đúng hạn", required=False, choices=[("", "Tất cả"), *Timeliness.choices]
    )
    verdict_766 = forms.ChoiceField(
        label="Đúng hạn (QĐ 766)", required=False, choices=[("", "Tất cả"), *Timeliness.choices]
    )
    ended_from = forms.DateField(label="Kết thúc xử lý từ", required=False)
    ended_to = forms.DateField(label="đến", required=False)
    open_on = forms.DateField(label="Đang giải quyết vào cuối ngày", required=False)
    overdue_on = forms.DateField(label="Quá hạn vào cuối ngày", required=False)
    within_on = forms.DateField(label="Trong hạn vào cuối ngày", required=False)
    bucket = forms.ChoiceField(
        label="Thời hạn",
        required=False,
        choices=[("", "Tất cả"), ("later", "Còn trên 1 ngày làm việc")],
    )
    holder = forms.CharField(label="Cán bộ đang giữ", required=False, max_length=150)
    queue_unit = forms.IntegerField(
        label="Chờ nhận tại đơn vị", required=False, min_value=1, max_value=2**31 - 1
    )
    late_from = forms.DateField(label="Trễ hạn từ ngày", required=False)
    late_to = forms.DateField(label="đến ngày", required=False)
    late_step_by = forms.CharField(label="Bước trễ hạn của cán bộ", required=False, max_length=150)
    centre = forms.CharField(label="Trung tâm", required=False, max_length=5)
    holding = forms.BooleanField(label="Đang có người giữ", required=False)
    corrected = forms.BooleanField(label="Đã sửa thời điểm kết thúc", required=False)
    rating = forms.ChoiceField(
        label="Đánh giá", required=False, choices=[("", "Tất cả"), *RatingScore.choices]
    )


def _unit_officers(user) -> list[Officer]:
    officer = officer_of(user)
    if officer is None or officer.role != Role.APPROVER or officer.unit_id is None:
        return []
    agency = officer.unit.agency_id
    return list(
        Officer.objects.select_related("user", "unit")
        .filter(unit__agency_id=agency, user__is_active=True, role=Role.HANDLER)
        .order_by("full_name")
    )


def _filters(request):
    """The inbox's filters from the query, and the form's errors (then the default tab)."""
    data = request.GET.copy()
    if not data.get("tab"):
        data["tab"] = default_tab(request.user)
    form = InboxForm(data)
    if form.is_valid():
        filters = InboxFilters(**{k: v for k, v in form.cleaned_data.items() if v not in (None,)})
        filters.tab = form.cleaned_data["tab"] or default_tab(request.user)
        return form, filters, None
    return form, InboxFilters(tab=default_tab(request.user)), form.errors


EXPORT_LIMIT = 20_000


@login_required
def inbox_export(request):
    """The list as shown, every page of it (up to ``EXPORT_LIMIT`` rows), as .xlsx."""
    from django.http import HttpResponse

    from reports import xlsx
    from workflows.selectors.inbox import inbox_all

    at = now()
    _form, filters, errors = _filters(request)
    if errors:
        return HttpResponse(
            "Bộ lọc không hợp lệ.", status=400, content_type="text/plain; charset=utf-8"
        )
    filters.after = ""
    try:
        dossiers = inbox_all(user=request.user, at=at, filters=filters, limit=EXPORT_LIMIT + 1)
    except DomainError as e:
        return HttpResponse(e.message, status=400, content_type="text/plain; charset=utf-8")
    calendars: dict = {}
    rows = []
    for dossier in dossiers[:EXPORT_LIMIT]:
        row = summary(dossier, at=at)
        left = time_left(dossier, at=at, calendars=calendars)
        task = row.get("current_task") or {}
        assignee = task.get("assignee") or {}
        rows.append(
            [
                row["code"],
                row["applicant"]["full_name"],
                row["procedure"]["name"],
                task.get("step", ""),
                (task.get("unit") or {}).get("name", ""),
                assignee.get("full_name") or assignee.get("username") or "",
                xlsx.excel_time(task.get("handed_at")),
                xlsx.excel_time(left["due_at"]),
                round(left["seconds"] / 3600, 2) if left["seconds"] is not None else None,
                row["status_label"],
            ]
        )
    subtitle = f"Thẻ «{TABS[filters.tab]}», lúc {at.astimezone(LOCAL_TZ):%H:%M %d/%m/%Y}"
    if len(dossiers) > EXPORT_LIMIT:
        subtitle += f" — chỉ {EXPORT_LIMIT} hồ sơ đầu; hãy lọc hẹp hơn"
    wb = xlsx.table_workbook(
        "Danh sách hồ sơ",
        subtitle,
        [
            "Mã hồ sơ",
            "Người nộp",
            "Thủ tục",
            "Bước hiện tại",
            "Đơn vị",
            "Người giữ",
            "Giữ từ",
            "Hạn",
            "Còn lại (giờ làm việc)",
            "Trạng thái",
        ],
        rows,
    )
    return xlsx.response(wb, f"ho-so-{filters.tab}-{at.astimezone(LOCAL_TZ):%Y%m%d-%H%M}.xlsx")


@login_required
def inbox(request):
    at = now()
    form, filters, errors = _filters(request)
    try:
        page = inbox_page(user=request.user, at=at, filters=filters)
    except DomainError as e:
        errors = {e.field or "after": [e.message]}
        filters.after = ""
        page = inbox_page(user=request.user, at=at, filters=filters)
    calendars: dict = {}
    rows = []
    for dossier in page.rows:
        row = summary(dossier, at=at)
        row["left"] = time_left(dossier, at=at, calendars=calendars)
        row["claimable"] = (
            dossier.current_handover is not None
            and dossier.current_handover.completed_at is None
            and dossier.current_handover.to_officer_id is None
        )
        rows.append(row)
    next_query = None
    if page.next_cursor:
        q = request.GET.copy()
        q["after"] = page.next_cursor
        q["tab"] = filters.tab
        next_query = q.urlencode()
    drill = _drill(form, filters)
    centres = scope_centre_ids(request.user)
    context = {
        "drill": drill,
        "drill_count": inbox_count(user=request.user, at=at, filters=filters)
        if drill or _filtered(filters)
        else None,
        "form": form,
        "errors": errors,
        "tab": filters.tab,
        "tabs": TABS,
        "rows": rows,
        "next_query": next_query,
        "first_query": _without(request.GET, "after"),
        "officers": _unit_officers(request.user),
        "centre_codes": sorted(centres) if centres is not None else [],
    }
    return render(request, "workflows/inbox.html", context, status=400 if errors else 200)


DRILL = (
    "outcome",
    "timeliness",
    "verdict_766",
    "ended_from",
    "ended_to",
    "open_on",
    "overdue_on",
    "within_on",
    "bucket",
    "holder",
    "queue_unit",
    "late_step_by",
    "late_from",
    "late_to",
    "rating",
    "centre",
    "holding",
    "corrected",
)


def _drill(form, filters) -> list[dict]:
    """The dashboard's drill-down filters in force: label, shown value, raw value."""
    out = []
    for name in DRILL:
        value = getattr(filters, name)
        if not value:
            continue
        field = form.fields[name]
        shown = dict(field.choices).get(value, value) if hasattr(field, "choices") else value
        if value is True:
            shown, raw = "có", "on"
        elif hasattr(value, "strftime"):
            shown, raw = value.strftime("%d/%m/%Y"), value.isoformat()
        else:
            raw = value
        out.append({"name": name, "label": field.label, "shown": shown, "raw": raw})
    return out


FILTERS = ("procedure", "status", "channel", "received_from", "received_to", "due_from", "due_to")


def _filtered(filters) -> bool:
    """A filter narrows the tab (not a search): the list then says how many it holds."""
    return any(getattr(filters, name) for name in FILTERS)


def _without(query, key: str) -> str:
    q = query.copy()
    q.pop(key, None)
    return q.urlencode()


BULK = {"claim": "Nhận xử lý", "assign": "Phân công"}


@login_required
@require_POST
def inbox_bulk(request):
    action = request.POST.get("action", "")
    codes = [c[:60] for c in request.POST.getlist("codes")][:200]
    back = request.POST.get("back", "/inbox/")
    if not back.startswith("/inbox/"):
        back = "/inbox/"
    if action not in BULK or not codes:
        messages.error(request, "Hãy chọn hồ sơ và thao tác.")
        return redirect(back)
    officer = request.POST.get("officer", "")[:150]
    if action == "assign" and not officer:
        messages.error(request, "Hãy chọn cán bộ được phân công.")
        return redirect(back)
    done, refused = [], []
    for code in codes:
        try:
            dossier_act(
                actor=request.user,
                code=code,
                action=action,
                officer=officer,
            )
            done.append(code)
        except DomainError as e:
            refused.append(f"{code}: {e.message}")
    if done:
        messages.success(request, f"{BULK[action]}: {len(done)} hồ sơ ({', '.join(done)}).")
    for line in refused:
        messages.error(request, line)
    return redirect(back)

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

from config.clock import now
from config.errors import DomainError
from procedures.models import Channel, Officer, Role
from procedures.selectors import officer_of, scope_centre_ids
from workflows.models import DossierStatus
from workflows.selectors.dossiers import summary
from workflows.selectors.inbox import TABS, InboxFilters, default_tab, inbox_page, time_left
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


@login_required
def inbox(request):
    at = now()
    data = request.GET.copy()
    if not data.get("tab"):
        data["tab"] = default_tab(request.user)
    form = InboxForm(data)
    errors = None
    if form.is_valid():
        filters = InboxFilters(**{k: v for k, v in form.cleaned_data.items() if v not in (None,)})
        filters.tab = form.cleaned_data["tab"] or default_tab(request.user)
    else:
        errors = form.errors
        filters = InboxFilters(tab=default_tab(request.user))
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
    centres = scope_centre_ids(request.user)
    context = {
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

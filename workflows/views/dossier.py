"""The officers' dossier page: ``/dossiers/<code>/``. What the dossier is,
who holds it and how much time is left, the actions this officer may take
now (each a small form posted to ``/dossiers/<code>/act/<action>/``), the
timeline, the control sheet and the clock. The rules are the services':
a refusal comes back as the service's Vietnamese message on the page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.clock import now
from config.errors import DomainError, NotFound
from procedures.models import DocumentKind
from workflows.models import Timeliness
from workflows.selectors import dossiers as sel
from workflows.services.actions import ACTIONS, dossier_act
from workflows.views.action_forms import (
    ACTION_FORMS,
    ACTION_LABELS,
    ACTION_PRINTS,
    EVENT_LABELS,
    AssignForm,
)

VERDICTS = dict(Timeliness.choices)
DOCUMENT_KINDS = dict(DocumentKind.choices)
CLOCK_LABELS = {
    "start": "Bắt đầu tính",
    "pause": "Tạm dừng",
    "resume": "Tính tiếp",
    "restart": "Tính lại từ đầu",
    "extend": "Hẹn lại",
    "end": "Kết thúc",
}


def _load(request, code: str):
    try:
        return sel.dossier_for_display(code=code[:60], user=request.user)
    except NotFound:
        raise Http404("Không tìm thấy hồ sơ.") from None


def _forms(dossier, allowed: list[str], bound=None):
    forms = []
    for action in allowed:
        form_class = ACTION_FORMS[action]
        kwargs = {"prefix": action}
        if form_class is AssignForm:
            kwargs["officers"] = sel.assignable_officers(dossier)
        form = bound if bound is not None and bound.prefix == action else form_class(**kwargs)
        forms.append({"action": action, "label": ACTION_LABELS[action], "form": form})
    return forms


def _page(request, dossier, *, bound=None, error=None, status=200):
    at = now()
    data = sel.detail(dossier, user=request.user, at=at)
    for event in data["events"]:
        event["label"] = EVENT_LABELS.get(event["kind"], event["kind"])
        data_ = event["data"] if isinstance(event["data"], dict) else {}
        for key in ("reason", "note", "result"):
            value = data_.get(key)
            event[key] = value if isinstance(value, str) else ""
        wanted = data_.get("items")
        event["wanted"] = [str(i) for i in wanted] if isinstance(wanted, list) else []
    for doc in data["documents"]:
        doc["kind_label"] = DOCUMENT_KINDS.get(doc.get("kind"), doc.get("kind", ""))
    for c in data["clock"]:
        c["label"] = CLOCK_LABELS.get(c["kind"], c["kind"])
    for h in data["handovers"]:
        h["verdict_label"] = VERDICTS.get(h["verdict"], "") if h["verdict"] else ""
    wt = data.get("working_time") or {}
    left = wt.get("left_seconds")
    budget = wt.get("budget_seconds") or 0
    if data["overdue"] or (left is not None and left < 0):
        urgency = "late"
    elif left is not None and budget and left <= budget * 0.25:
        urgency = "risk"
    else:
        urgency = "ok"
    context = {
        "d": data,
        "urgency": urgency,
        "actions": _forms(dossier, data["allowed_actions"], bound),
        "error": error,
        "open_action": bound.prefix if bound is not None else "",
        "timeliness_label": VERDICTS.get(data["timeliness"], "") if data["timeliness"] else "",
        "print": ACTION_PRINTS.get(request.GET.get("done", "")),
        "done": ACTION_LABELS.get(request.GET.get("done", "")),
    }
    return render(request, "workflows/dossier.html", context, status=status)


@login_required
def dossier_page(request, code: str):
    return _page(request, _load(request, code))


@login_required
@require_POST
def dossier_action(request, code: str, action: str):
    if action not in ACTIONS:
        raise Http404("Không có thao tác này.")
    dossier = _load(request, code)
    form_class = ACTION_FORMS[action]
    kwargs = {"prefix": action}
    if form_class is AssignForm:
        kwargs["officers"] = sel.assignable_officers(dossier)
    form = form_class(request.POST, **kwargs)
    if not form.is_valid():
        return _page(request, dossier, bound=form, status=400)
    try:
        dossier_act(actor=request.user, code=dossier.code, action=action, **form.cleaned_data)
    except NotFound:
        raise Http404("Không tìm thấy hồ sơ.") from None
    except DomainError as e:
        # A colleague may have acted first: show why, on the fresh state.
        fresh = _load(request, code)
        if e.field and e.field in form.fields:
            form.add_error(e.field, e.message)
        return _page(
            request,
            fresh,
            bound=form,
            error={"code": e.code, "message": e.message},
            status=e.status,
        )
    messages.success(request, f"Đã thực hiện: {ACTION_LABELS[action]}.")
    return redirect(f"/dossiers/{dossier.code}/?done={action}")

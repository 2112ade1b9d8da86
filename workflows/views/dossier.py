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
    CorrectEndForm,
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


def _notifications_sent(code: str) -> list[dict]:
    """What the dossier's people were told, newest first, with each channel's state."""
    from notifications.models import Notification

    rows = (
        Notification.objects.filter(dossier=code)
        .prefetch_related("deliveries")
        .order_by("-id")[:50]
    )
    return [
        {
            "at": n.created_at,
            "to": n.get_recipient_kind_display(),
            "name": n.recipient_name,
            "title": n.title,
            "channels": [
                f"{d.get_channel_display()}: {d.get_state_display()}" for d in n.deliveries.all()
            ],
        }
        for n in rows
    ]


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


def _page(request, dossier, *, bound=None, error=None, status=200, correction=None):
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
        "sent": _notifications_sent(dossier.code),
        "rating": getattr(dossier, "rating", None),
        "urgency": urgency,
        "actions": _forms(dossier, data["allowed_actions"], bound),
        "error": error,
        "open_action": bound.prefix if bound is not None else "",
        "timeliness_label": VERDICTS.get(data["timeliness"], "") if data["timeliness"] else "",
        "print": ACTION_PRINTS.get(request.GET.get("done", "")),
        "done": ACTION_LABELS.get(request.GET.get("done", "")),
        "correct": _correct_form(request, dossier, correction),
    }
    return render(request, "workflows/dossier.html", context, status=status)


def _correct_form(request, dossier, bound):
    from workflows.services.corrections import may_correct

    if dossier.ended_at is None or dossier.received_at is None:
        return None
    if not may_correct(request.user, dossier):
        return None
    if bound is not None:
        return bound
    from config.clock import LOCAL_TZ

    initial = dossier.ended_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    return CorrectEndForm(prefix="correct", initial={"ended_at": initial})


@login_required
@require_POST
def dossier_correct_end_page(request, code: str):
    """The correction form's answer: the dossier page, corrected or with the reason why not."""
    from django.utils import timezone as dj_tz

    from config.clock import LOCAL_TZ
    from workflows.services.corrections import dossier_correct_end

    dossier = _load(request, code)
    form = CorrectEndForm(request.POST, prefix="correct")
    if not form.is_valid():
        return _page(request, dossier, correction=form, status=400)
    moment = form.cleaned_data["ended_at"]
    if dj_tz.is_naive(moment):
        moment = moment.replace(tzinfo=LOCAL_TZ)
    try:
        dossier_correct_end(
            actor=request.user,
            code=dossier.code,
            ended_at=moment,
            reason=form.cleaned_data["reason"],
        )
    except NotFound:
        raise Http404("Không tìm thấy hồ sơ.") from None
    except DomainError as e:
        if e.field and e.field in form.fields:
            form.add_error(e.field, e.message)
        else:
            form.add_error(None, e.message)
        return _page(request, _load(request, code), correction=form, status=e.status)
    messages.success(request, "Đã sửa thời điểm kết thúc xử lý; lịch sử hồ sơ ghi lại lý do.")
    return redirect(f"/dossiers/{dossier.code}/?done=correct")


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

"""The reception desk: ``/desk/receive/`` (pick a procedure by typing part of
its name, then one page — checklist, applicant, the appointment shown before
saving — with three outcomes: receive, ask for a supplement, refuse),
``/desk/online/`` (online submissions to accept) and ``/desk/return/``
(results to hand back). Every outcome goes through the intake and action
services; a refused input is shown next to its field and nothing is written."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render

from config.clock import now
from config.errors import DomainError
from procedures.models import Channel, DocumentKind
from workflows.selectors.desk import (
    appointment_preview,
    desk_centres,
    desk_procedure,
    desk_procedures,
    today,
)
from workflows.services import intake
from workflows.services.actions import dossier_act
from workflows.validators import normalise_phone, validate_id_number
from workflows.views.forms import slip_pin, slip_pin_keep

OUTCOMES = {
    "receive": "Tiếp nhận",
    "supplement": "Yêu cầu bổ sung",
    "refuse": "Từ chối tiếp nhận",
}
KIND_LABELS = dict(DocumentKind.choices)


class ReceiveForm(forms.Form):
    centre = forms.ChoiceField(label="Trung tâm", choices=())
    full_name = forms.CharField(label="Họ và tên người nộp", max_length=150)
    id_number = forms.CharField(label="Số định danh cá nhân (CCCD)", max_length=20)
    phone = forms.CharField(label="Điện thoại", max_length=20)
    email = forms.EmailField(label="Thư điện tử", required=False)
    address = forms.CharField(label="Địa chỉ", required=False, max_length=300)
    other_documents = forms.CharField(
        label="Giấy tờ khác đã nhận (mỗi dòng một loại)",
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    missing_extra = forms.CharField(
        label="Giấy tờ còn thiếu khác (mỗi dòng một loại)",
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    refuse_reason = forms.CharField(
        label="Lý do từ chối tiếp nhận",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    note = forms.CharField(label="Ghi chú", required=False, max_length=2000)
    key = forms.CharField(widget=forms.HiddenInput, max_length=100)
    outcome = forms.ChoiceField(choices=list(OUTCOMES.items()), required=False)

    def __init__(self, *args, centres=(), documents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.documents = list(documents)
        self.fields["centre"].choices = [(c.code, c.name) for c in centres]
        for doc in self.documents:
            self.fields[f"doc_{doc.pk}"] = forms.BooleanField(required=False)

    def clean_id_number(self):
        value = self.cleaned_data["id_number"].strip()
        try:
            validate_id_number(value)
        except DjangoValidationError as e:
            raise forms.ValidationError(e.messages[0]) from None
        return value

    def clean_phone(self):
        try:
            return normalise_phone(self.cleaned_data["phone"])
        except DjangoValidationError as e:
            raise forms.ValidationError(e.messages[0]) from None

    @staticmethod
    def _lines(text: str) -> list[str]:
        return [line.strip()[:500] for line in (text or "").splitlines() if line.strip()]

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome") or "receive"
        data["outcome"] = outcome
        handed = [d for d in self.documents if data.get(f"doc_{d.pk}")]
        missing = [d for d in self.documents if d.mandatory and not data.get(f"doc_{d.pk}")]
        data["handed"] = [
            {"name": d.name, "kind": d.kind, "quantity": d.quantity} for d in handed
        ] + [
            {"name": name, "kind": DocumentKind.COPY, "quantity": 1}
            for name in self._lines(data.get("other_documents", ""))
        ]
        data["missing"] = [d.name for d in missing] + self._lines(data.get("missing_extra", ""))
        if outcome == "receive" and missing:
            raise forms.ValidationError(
                "Còn thiếu giấy tờ bắt buộc: "
                + "; ".join(d.name for d in missing)
                + ". Hãy đánh dấu giấy tờ đã nhận, hoặc chọn «Yêu cầu bổ sung»."
            )
        if outcome == "supplement" and not data["missing"]:
            raise forms.ValidationError(
                "Chưa có giấy tờ nào còn thiếu: bỏ đánh dấu giấy tờ chưa nộp "
                "hoặc ghi vào ô «Giấy tờ còn thiếu khác»."
            )
        if outcome == "refuse" and not (data.get("refuse_reason") or "").strip():
            self.add_error("refuse_reason", "Cần ghi lý do từ chối tiếp nhận.")
        return data


_FIELD_OF = {
    "applicant.full_name": "full_name",
    "applicant.id_number": "id_number",
    "applicant.phone": "phone",
    "applicant.email": "email",
    "applicant.address": "address",
    "missing_items": "missing_extra",
    "reason": "refuse_reason",
    "centre": "centre",
}


def _receive(request, form: ReceiveForm, procedure_code: str):
    v = form.cleaned_data
    applicant = intake.Applicant(
        full_name=v["full_name"].strip(),
        id_number=v["id_number"],
        phone=v["phone"],
        email=v.get("email") or "",
        address=v.get("address") or "",
    )
    payload = {
        "procedure": procedure_code,
        "centre": v["centre"],
        "applicant": applicant.__dict__,
        "documents": v["handed"],
        "missing": v["missing"],
        "outcome": v["outcome"],
    }
    with transaction.atomic():
        receipt = intake.dossier_receive(
            actor=request.user,
            procedure=procedure_code,
            centre=v["centre"],
            channel=Channel.IN_PERSON,
            applicant=applicant,
            documents=v["handed"],
            complete=v["outcome"] != "supplement",
            missing_items=v["missing"] if v["outcome"] == "supplement" else [],
            note=v.get("note") or "",
            idempotency_key=f"desk:{v['key']}",
            payload=payload,
        )
        if v["outcome"] == "refuse" and receipt.created:
            dossier_act(
                actor=request.user,
                code=receipt.dossier.code,
                action="refuse",
                reason=v["refuse_reason"].strip(),
            )
    return receipt


@login_required
def receive_search(request):
    centres = desk_centres(request.user)
    if not centres:
        raise Http404("Trang dành cho cán bộ một cửa.")
    q = request.GET.get("q", "")[:100]
    centre = centres[0]
    results = desk_procedures(centre=centre, q=q) if q.strip() else []
    return render(
        request,
        "workflows/desk_search.html",
        {"q": q, "results": results, "centre": centre, "searched": bool(q.strip())},
    )


@login_required
def receive(request, procedure: str):
    centres = desk_centres(request.user)
    if not centres:
        raise Http404("Trang dành cho cán bộ một cửa.")
    at = now()
    found = desk_procedure(code=procedure, on=today(at))
    if found is None:
        raise Http404("Không có thủ tục này hoặc thủ tục chưa có hiệu lực.")
    kwargs = {"centres": centres, "documents": found.documents}
    error = None
    status = 200
    if request.method == "POST":
        form = ReceiveForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                receipt = _receive(request, form, found.procedure.code)
            except DomainError as e:
                field = _FIELD_OF.get(e.field or "")
                if field:
                    form.add_error(field, e.message)
                error = {"code": e.code, "message": e.message}
                status = e.status
            else:
                if receipt.pin:
                    slip_pin_keep(request, code=receipt.dossier.code, pin=receipt.pin)
                return redirect(
                    f"/desk/receipt/{receipt.dossier.code}/?outcome={form.cleaned_data['outcome']}"
                )
        else:
            status = 400
    else:
        form = ReceiveForm(initial={"key": uuid.uuid4().hex, "centre": centres[0].code}, **kwargs)
    centre_code = form.data.get("centre") if form.is_bound else centres[0].code
    centre = next((c for c in centres if c.code == centre_code), centres[0])
    preview = appointment_preview(centre=centre, version=found.version, at=at)
    rows = [
        {
            "doc": d,
            "field": form[f"doc_{d.pk}"],
            "kind": KIND_LABELS.get(d.kind, d.kind),
        }
        for d in found.documents
    ]
    context = {
        "p": found.procedure,
        "version": found.version,
        "rows": rows,
        "form": form,
        "preview": preview,
        "error": error,
        "single_centre": len(centres) == 1,
        "centre": centre,
    }
    return render(request, "workflows/desk_receive.html", context, status=status)


@login_required
def receipt(request, code: str):
    from workflows.selectors.dossiers import dossier_for_display

    if not desk_centres(request.user):
        raise Http404("Trang dành cho cán bộ một cửa.")
    try:
        dossier = dossier_for_display(code=code[:60], user=request.user)
    except DomainError:
        raise Http404("Không tìm thấy hồ sơ.") from None
    outcome = request.GET.get("outcome", "receive")
    if outcome not in OUTCOMES:
        outcome = "receive"
    prints = {"receive": "01", "supplement": "02", "refuse": "03"}
    return render(
        request,
        "workflows/desk_receipt.html",
        {
            "dossier": dossier,
            "pin": slip_pin(request, dossier.code),
            "outcome": outcome,
            "outcome_label": OUTCOMES[outcome],
            "form_no": prints[outcome],
        },
    )


def _desk_rows(request, *, tab: str, q: str = "", status: str = "", oldest_first: bool = False):
    from workflows.selectors.inbox import InboxFilters, inbox_page, time_left

    at = now()
    page = inbox_page(
        user=request.user,
        at=at,
        filters=InboxFilters(tab=tab, q=q, status=status, limit=200),
    )
    rows = page.rows
    if oldest_first:
        rows = sorted(rows, key=lambda d: (d.submitted_at, d.pk))
    calendars: dict = {}
    return at, [(d, time_left(d, at=at, calendars=calendars)) for d in rows], calendars


@login_required
def online(request):
    from workflows.selectors.calendar import centre_calendar
    from workflows.worktime import due_at

    if not desk_centres(request.user):
        raise Http404("Trang dành cho cán bộ một cửa.")
    at, rows, _ = _desk_rows(request, tab="all", status="submitted", oldest_first=True)
    items = []
    for dossier, _left in rows:
        deadline = due_at(
            start=dossier.submitted_at, duration="PT8H", calendar=centre_calendar(dossier.centre)
        )
        items.append({"d": dossier, "deadline": deadline, "late": deadline <= at})
    return render(request, "workflows/desk_online.html", {"items": items})


@login_required
def hand_back(request):
    from workflows.models import ReturnMethod

    if not desk_centres(request.user):
        raise Http404("Trang dành cho cán bộ một cửa.")
    q = request.GET.get("q", "")[:100]
    _, rows, _ = _desk_rows(request, tab="to_return", q=q)
    return render(
        request,
        "workflows/desk_return.html",
        {"rows": [d for d, _ in rows], "q": q, "methods": ReturnMethod.choices},
    )


@login_required
def desk_act(request, action: str):
    from django.contrib import messages
    from django.http import HttpResponseNotAllowed

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    back = {"accept": "/desk/online/", "return": "/desk/return/"}.get(action)
    if back is None or not desk_centres(request.user):
        raise Http404("Không có thao tác này.")
    code = request.POST.get("code", "")[:60]
    try:
        dossier_act(
            actor=request.user,
            code=code,
            action=action,
            method=request.POST.get("method", "")[:20],
        )
    except DomainError as e:
        messages.error(request, f"{code}: {e.message}")
        return redirect(back)
    if action == "accept":
        messages.success(request, f"Đã tiếp nhận hồ sơ {code}.")
        return redirect(back)
    messages.success(request, f"Đã trả kết quả hồ sơ {code}.")
    return redirect(f"{back}?returned={code}")

"""Print-ready statutory forms (Circular 03/2025/TT-VPCP, Appendix I) for staff."""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from config.clock import LOCAL_TZ, now
from config.errors import NotFound
from workflows.api.tracking import client_address
from workflows.printing import pdf_bytes
from workflows.selectors import forms
from workflows.selectors.dossiers import detail, dossier_for_display
from workflows.services.publish import track_url
from workflows.services.tracking import TooManyAttempts, pin_check

FORMS = {
    "01": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "02": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "03": "Phiếu từ chối tiếp nhận, giải quyết hồ sơ",
    "04": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    "05": "Thông báo dừng giải quyết hồ sơ",
    "06": "Phiếu kiểm soát quá trình giải quyết hồ sơ",
}


#: The PIN given at receipt (or re-issue) stays printable on the slip this long,
#: in the officer's own session only; afterwards it can only be re-issued.
SLIP_PIN_SECONDS = 15 * 60
_SLIP_KEY = "motcua.slip_pins"


def slip_pin_keep(request, *, code: str, pin: str) -> None:
    """Remember a fresh PIN for this officer's slip (never in a URL)."""
    pins = {c: v for c, v in request.session.get(_SLIP_KEY, {}).items() if v[1] > now().timestamp()}
    pins[code] = (pin, now().timestamp() + SLIP_PIN_SECONDS)
    request.session[_SLIP_KEY] = pins


def slip_pin(request, code: str) -> str | None:
    entry = request.session.get(_SLIP_KEY, {}).get(code)
    return entry[0] if entry and entry[1] > now().timestamp() else None


def slip_pin_forget(request, code: str) -> None:
    pins = request.session.get(_SLIP_KEY, {})
    if pins.pop(code, None) is not None:
        request.session[_SLIP_KEY] = pins


def _pin_for_slip(request, dossier) -> tuple[str | None, str]:
    """The PIN to print on the slip: the one this officer was just given at
    receipt (kept in the session for a few minutes), or one typed as ``?pin=``,
    checked through the same limiter as the public tracking (a PIN guess too)."""
    fresh = slip_pin(request, dossier.code)
    if fresh:
        return fresh, ""
    pin = request.GET.get("pin", "")
    if not pin:
        return None, ""
    try:
        pin_check(code=dossier.code, pin=pin, address=client_address(request))
    except TooManyAttempts as e:
        return None, e.message
    except NotFound:
        return None, "Mã tra cứu không đúng: phiếu in không kèm mã tra cứu."
    return pin, ""


def _form_page(request, code: str, form: str) -> tuple[str, dict, int]:
    """The template, context and status of one form of one dossier: the same
    for the browser page and the PDF."""
    if form not in FORMS:
        raise Http404("Không có mẫu này.")
    try:
        dossier = dossier_for_display(code=code, user=request.user)
    except NotFound:
        raise Http404("Không có hồ sơ này.") from None
    at = now()
    body = detail(dossier, user=request.user, at=at)
    context = {
        "form_no": form,
        "title": FORMS[form],
        "d": body,
        "dossier": dossier,
        "printed_at": at.astimezone(LOCAL_TZ),
        "forms": FORMS,
        "admin_url": reverse("admin:workflows_dossier_change", args=[dossier.pk]),
    }
    if form == "01":
        pin, pin_problem = _pin_for_slip(request, dossier)
        url = track_url(dossier)
        context.update(
            pin=pin,
            pin_problem=pin_problem,
            track_page=settings.MOTCUA["PUBLIC_URL"].rstrip("/") + "/track/",
            tracking_url=url,
            qr_svg=segno.make(url, error="m").svg_inline(scale=3, border=1),
            version=dossier.version,
            documents=dossier.documents,
            slip=forms.slip_times(dossier),
        )
    elif form == "02":
        requests = forms.supplement_requests(dossier)
        if not requests:
            return _not_applicable(context, "Hồ sơ chưa có yêu cầu bổ sung.")
        context["request_"] = requests[-1]
    elif form == "03":
        if dossier.status not in ("refused",):
            return _not_applicable(context, "Hồ sơ không bị từ chối.")
    elif form == "04":
        if body["extension"] is None:
            return _not_applicable(context, "Hồ sơ chưa có văn bản xin lỗi, hẹn lại.")
        context["extension"] = body["extension"]
    elif form == "05":
        notice = forms.stop_notice(dossier)
        if notice is None:
            return _not_applicable(
                context,
                "Hồ sơ không bị dừng giải quyết: thông báo dừng giải quyết chỉ in cho hồ sơ đã "
                "dừng vì công dân không bổ sung hồ sơ đúng hạn.",
            )
        context["stop"] = notice
    elif form == "06":
        context.update(rows=forms.control_sheet(dossier), slip=forms.slip_times(dossier))
    return f"workflows/forms/form_{form}.html", context, 200


def _not_applicable(context, message: str) -> tuple[str, dict, int]:
    context["message"] = message
    return "workflows/forms/not_applicable.html", context, 404


@login_required
def dossier_form(request, code: str, form: str):
    # The statutory forms are Vietnamese documents, whatever the officer's
    # interface language: every label in them (statuses, units of time,
    # return methods) is rendered in Vietnamese.
    with translation.override("vi"):
        template, context, status = _form_page(request, code, form)
        response = render(request, template, context, status=status)
    response["Content-Language"] = "vi"
    return response


@login_required
def dossier_form_pdf(request, code: str, form: str):
    """The same form as an A4 PDF. A form that does not apply to the dossier
    answers with the same Vietnamese page (and status) as in the browser."""
    with translation.override("vi"):
        template, context, status = _form_page(request, code, form)
        if status != 200:
            response = render(request, template, context, status=status)
            response["Content-Language"] = "vi"
            return response
        html = render_to_string(template, {**context, "pdf": True}, request=request)
    response = HttpResponse(pdf_bytes(html), content_type="application/pdf")
    response["Content-Language"] = "vi"
    response["Content-Disposition"] = f'inline; filename="{context["d"]["code"]}-mau-{form}.pdf"'
    return response

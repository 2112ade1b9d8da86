"""Print-ready statutory forms (Circular 03/2025/TT-VPCP, Appendix I) for staff."""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import render
from django.urls import reverse

from config.clock import LOCAL_TZ, now
from config.errors import NotFound, PermissionDenied
from workflows.selectors.dossiers import detail, dossier_for_display
from workflows.services.common import pin_matches

FORMS = {
    "01": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "02": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "03": "Phiếu từ chối tiếp nhận, giải quyết hồ sơ",
    "04": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    "06": "Phiếu kiểm soát quá trình giải quyết hồ sơ",
}


def tracking_url(code: str, pin: str | None) -> str:
    base = settings.MOTCUA["PUBLIC_URL"].rstrip("/")
    url = f"{base}/track/?code={code}"
    return f"{url}&pin={pin}" if pin else url


@login_required
def dossier_form(request, code: str, form: str):
    if form not in FORMS:
        raise Http404("Không có mẫu này.")
    try:
        dossier = dossier_for_display(code=code, user=request.user)
    except NotFound:
        raise Http404("Không có hồ sơ này.") from None
    except PermissionDenied as e:
        return HttpResponseForbidden(e.message)
    at = now()
    body = detail(dossier, user=request.user, at=at)
    context = {
        "form_no": form,
        "title": FORMS[form],
        "d": body,
        "dossier": dossier,
        "printed_at": at.astimezone(LOCAL_TZ),
        "forms": FORMS,
    }
    if form == "01":
        pin = request.GET.get("pin", "")
        pin = pin if pin and pin_matches(dossier, pin) else None
        url = tracking_url(dossier.code, pin)
        context.update(
            pin=pin,
            tracking_url=url,
            qr_svg=segno.make(url, error="m").svg_inline(scale=3, border=1),
            version=dossier.version,
            documents=dossier.documents,
        )
    elif form == "02":
        requests = body["supplement_requests"]
        if not requests:
            return _not_applicable(request, context, "Hồ sơ chưa có yêu cầu bổ sung.")
        context["request_"] = requests[-1]
    elif form == "03":
        if dossier.status not in ("refused",):
            return _not_applicable(request, context, "Hồ sơ không bị từ chối.")
    elif form == "04":
        if body["extension"] is None:
            return _not_applicable(request, context, "Hồ sơ chưa có văn bản xin lỗi, hẹn lại.")
        context["extension"] = body["extension"]
    context["admin_url"] = reverse("admin:workflows_dossier_change", args=[dossier.pk])
    return render(request, f"workflows/forms/form_{form}.html", context)


def _not_applicable(request, context, message: str):
    context["message"] = message
    return render(request, "workflows/forms/not_applicable.html", context, status=404)


def track_page(request):
    """The citizen's tracking page (no account): code + PIN, or the QR link."""
    return render(
        request,
        "workflows/track.html",
        {"code": request.GET.get("code", ""), "pin": request.GET.get("pin", "")},
    )


def board_page(request, centre: str):
    """The centre's wall screen: live counts."""
    from procedures.models import ServiceCentre

    centre_obj = ServiceCentre.objects.filter(code=centre).first()
    if centre_obj is None:
        raise Http404("Không có trung tâm này.")
    return render(request, "workflows/board.html", {"centre": centre_obj})

"""Public pages: the citizen's tracking page and the centre's wall board."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render


def short_track_link(request, code: str, token: str):
    """The SMS's short link: on to the tracking page with the code and token."""
    from urllib.parse import urlencode

    from django.shortcuts import redirect

    return redirect(f"/track/?{urlencode({'code': code[:60], 't': token[:64]})}")


def track_page(request):
    """The citizen's tracking page (no account): code + PIN, or the QR link."""
    return render(
        request,
        "workflows/track.html",
        {
            "code": request.GET.get("code", ""),
            "pin": request.GET.get("pin", ""),
            "token": request.GET.get("t", ""),
        },
    )


def board_page(request, centre: str):
    """The centre's wall screen: live counts, for an officer whose scope holds
    the centre or with the centre's board key (``?key=``)."""
    from django.contrib.auth.views import redirect_to_login

    from workflows.selectors.board import board_centre

    key = request.GET.get("key", "")
    centre_obj = board_centre(code=centre, user=request.user, key=key)
    if centre_obj is None:
        if not key and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise Http404("Không có trung tâm này.")
    return render(request, "workflows/board.html", {"centre": centre_obj, "key": key})

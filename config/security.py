"""Glue for django-axes (login throttling): the client's address, and the
Vietnamese answer to a locked-out login — JSON on the API, a page elsewhere."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render


def axes_client_ip(request) -> str:
    """The address the ASGI middleware settled on (trusted proxies applied);
    an address-less request (a script's ``login()``) is stored as 0.0.0.0
    (axes keeps addresses in an IP column)."""
    return request.META.get("REMOTE_ADDR", "") or "0.0.0.0"


def _minutes() -> int:
    cool_off = settings.AXES_COOLOFF_TIME
    return max(1, int(cool_off.total_seconds() // 60)) if cool_off else 0


def lockout_message() -> str:
    return (
        f"Đăng nhập sai quá {settings.AXES_FAILURE_LIMIT} lần: tài khoản hoặc địa chỉ này tạm "
        f"khóa đăng nhập {_minutes()} phút. Nếu quên mật khẩu, hãy đề nghị quản trị trung tâm "
        "đặt lại."
    )


def axes_lockout_response(request, original_response=None, credentials=None):
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds()) if settings.AXES_COOLOFF_TIME else 0
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"error": "login_locked_out", "message": lockout_message(), "retry_after": seconds},
            status=429,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = render(
            request,
            "lockout.html",
            {"message": lockout_message(), "minutes": _minutes()},
            status=429,
        )
    if seconds:
        response["Retry-After"] = str(seconds)
    return response


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' backend, which refuses a locked-out login. Every login from
    the web passes the request; a call without one (``Client.login`` in tests,
    a script) has no address to throttle and is left to the next backend."""

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

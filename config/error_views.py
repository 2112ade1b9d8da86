"""Error pages: the API's JSON error format under ``/api/``, the Vietnamese
templates everywhere else (``templates/400.html`` …)."""

from __future__ import annotations

from django.http import JsonResponse
from django.views import defaults

_API = {
    400: ("bad_request", "Yêu cầu không hợp lệ."),
    403: ("permission_denied", "Bạn không có quyền thực hiện thao tác này."),
    404: ("not_found", "Không tìm thấy."),
    500: ("server_error", "Đã có lỗi ở máy chủ; lỗi đã được ghi lại. Vui lòng thử lại sau."),
}


def _api(request, status: int) -> JsonResponse | None:
    if request.path_info.startswith("/api/"):
        code, message = _API[status]
        return JsonResponse(
            {"error": code, "message": message},
            status=status,
            json_dumps_params={"ensure_ascii": False},
        )
    return None


def bad_request(request, exception, template_name="400.html"):
    return _api(request, 400) or defaults.bad_request(request, exception, template_name)


def permission_denied(request, exception, template_name="403.html"):
    return _api(request, 403) or defaults.permission_denied(request, exception, template_name)


def page_not_found(request, exception, template_name="404.html"):
    return _api(request, 404) or defaults.page_not_found(request, exception, template_name)


def server_error(request, template_name="500.html"):
    return _api(request, 500) or defaults.server_error(request, template_name)

"""One error format for the whole API.

``{"error": <machine-readable code>, "message": <Vietnamese text>,
"fields"?: {<field path>: [{"code", "message"}]}, …extra}``
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DomainError

_GENERIC = {
    status.HTTP_400_BAD_REQUEST: ("validation_error", "Dữ liệu gửi lên không hợp lệ."),
    status.HTTP_401_UNAUTHORIZED: ("not_authenticated", "Cần đăng nhập hoặc token hợp lệ."),
    status.HTTP_403_FORBIDDEN: ("permission_denied", "Bạn không có quyền thực hiện thao tác này."),
    status.HTTP_404_NOT_FOUND: ("not_found", "Không tìm thấy."),
    status.HTTP_405_METHOD_NOT_ALLOWED: ("method_not_allowed", "Phương thức không được hỗ trợ."),
    status.HTTP_406_NOT_ACCEPTABLE: ("not_acceptable", "Định dạng yêu cầu không được hỗ trợ."),
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: (
        "unsupported_media_type",
        "Kiểu nội dung không được hỗ trợ; hãy gửi JSON.",
    ),
    status.HTTP_429_TOO_MANY_REQUESTS: ("throttled", "Quá nhiều yêu cầu; vui lòng thử lại sau."),
}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[dict[str, str]]]:
    """DRF's nested ``ErrorDetail`` structure → ``{"a.b[0].c": [{code, message}]}``."""
    out: dict[str, list[dict[str, str]]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):  # a list serializer's errors, keyed by index
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for k, v in _flatten(value, path).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            for item in detail:
                out.setdefault(prefix or "non_field_errors", []).append(
                    {"code": getattr(item, "code", "invalid") or "invalid", "message": str(item)}
                )
        else:
            for index, item in enumerate(detail):
                if item:
                    for k, v in _flatten(item, f"{prefix}[{index}]").items():
                        out.setdefault(k, []).extend(v)
    else:
        out.setdefault(prefix or "non_field_errors", []).append(
            {"code": getattr(detail, "code", "invalid") or "invalid", "message": str(detail)}
        )
    return out


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        response = Response(exc.as_dict(), status=exc.status)
        if "retry_after" in exc.extra:
            response["Retry-After"] = str(max(1, int(exc.extra["retry_after"])))
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code, message = _GENERIC.get(response.status_code, ("error", "Đã có lỗi xảy ra."))
    body: dict[str, Any] = {"error": code, "message": message}
    if isinstance(exc, exceptions.ValidationError):
        body["fields"] = _flatten(exc.detail)
        first = next(iter(body["fields"].values()), [{}])[0].get("message")
        if first:
            body["message"] = f"{message} {first}"
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        if isinstance(detail, str) and str(detail):
            body["message"] = str(detail)
            body["error"] = getattr(detail, "code", None) or code
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["retry_after"] = int(exc.wait)
            response["Retry-After"] = str(max(1, int(exc.wait)))
    response.data = body
    return response

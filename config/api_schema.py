"""The OpenAPI schema says every refusal the API can give.

Any operation can refuse bad input (400: NUL bytes, over-long queries, JSON
nested too deep, out-of-range values), an unknown or out-of-scope object
(404), or too many requests (429); authenticated ones also 401 and 403. All
of them in the one error format (``Problem``). Declaring them per view would
be repeated on every view and forgotten on the next one.
"""

from __future__ import annotations

_PROBLEM = {
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "Mã lỗi máy đọc được."},
        "message": {"type": "string", "description": "Thông báo tiếng Việt."},
        "fields": {"type": "object", "additionalProperties": {}},
    },
    "required": ["error", "message"],
}

_DESCRIPTIONS = {
    "400": "Dữ liệu không hợp lệ",
    "401": "Chưa xác thực",
    "403": "Không có quyền",
    "404": "Không tìm thấy (hoặc ngoài phạm vi)",
    "429": "Quá nhiều yêu cầu (kèm Retry-After)",
}


def document_refusals(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Problem", _PROBLEM)
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            codes = ["400", "404", "429"]
            if operation.get("security") != [{}] and {} not in operation.get("security", []):
                codes += ["401", "403"]
            for code in codes:
                responses.setdefault(code, {"content": ref, "description": _DESCRIPTIONS[code]})
    return result

"""What comes in is checked once, at the door.

* ``BadInputMiddleware`` refuses a NUL byte anywhere in the path, the query
  string or a form body, an over-long query string and (on the API) a body
  over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` — before a view or the database sees
  them (PostgreSQL refuses NUL in text, which used to surface as a 500). It
  also normalises query and form text to Unicode NFC, so a name typed on a
  keyboard that sends decomposed accents (NFD) is stored and searched as the
  same text as everyone else's.
* The API's parsers (``SafeJSONParser`` and the form ones) do the same for
  bodies, and refuse JSON nested deeper than ``MAX_JSON_DEPTH``.

Every refusal on ``/api/`` is a 400 in the API's error format
(``{"error", "message"}``); elsewhere it is the Vietnamese 400 page.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.template import loader
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 64
MAX_QUERY_STRING = 8 * 1024

_MESSAGES = {
    "nul_byte": "Dữ liệu gửi lên chứa ký tự NUL (\\x00), không được chấp nhận.",
    "query_too_long": f"Chuỗi truy vấn quá dài (tối đa {MAX_QUERY_STRING // 1024} KB).",
    "request_too_large": "Dữ liệu gửi lên quá lớn.",
    "too_deep": f"Dữ liệu JSON lồng quá sâu (tối đa {MAX_JSON_DEPTH} cấp).",
    "parse_error": "Dữ liệu gửi lên không đọc được.",
    "too_many_fields": "Dữ liệu gửi lên có quá nhiều trường.",
}


class BadInput(ParseError):
    """A body the API refuses, with its own machine-readable code."""

    def __init__(self, code: str) -> None:
        super().__init__(detail=_MESSAGES[code], code=code)
        self.error_code = code


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value) if not value.isascii() else value


def clean_json(value: Any) -> Any:
    """NFC-normalise every string of a parsed JSON document (keys included);
    refuse NUL and nesting deeper than ``MAX_JSON_DEPTH``. Iterative, so a
    hostile document cannot exhaust the stack here either."""
    root: list[Any] = [value]
    stack: list[tuple[Any, Any, Any, int]] = [(root, 0, value, 0)]
    while stack:
        parent, key, item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise BadInput("nul_byte")
            parent[key] = nfc(item)
        elif isinstance(item, (list, dict)):
            if depth >= MAX_JSON_DEPTH:
                raise BadInput("too_deep")
            if isinstance(item, list):
                for i, child in enumerate(item):
                    stack.append((item, i, child, depth + 1))
            else:
                for k in list(item):
                    if "\x00" in k:
                        raise BadInput("nul_byte")
                    child = item[k]
                    if not k.isascii():
                        normal = nfc(k)
                        if normal != k:
                            del item[k]
                            item[normal] = child
                            k = normal
                    stack.append((item, k, child, depth + 1))
    return root[0]


def clean_querydict(data: QueryDict) -> QueryDict:
    """A copy with NFC text; ``BadInput("nul_byte")`` on any NUL."""
    out = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        if "\x00" in key or any("\x00" in v for v in values):
            raise BadInput("nul_byte")
        out.setlist(nfc(key), [nfc(v) for v in values])
    out._mutable = False
    return out


class SafeJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            raw = stream.read() if stream is not None else b""
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(
                "Dữ liệu JSON không phải văn bản UTF-8 hợp lệ.", code="parse_error"
            ) from None
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError:
            raise BadInput("too_deep") from None
        except ValueError as e:
            raise ParseError(f"Dữ liệu JSON không hợp lệ: {e}", code="parse_error") from None
        return clean_json(data)


def _refuse_constant(name: str):
    raise ValueError(f"{name} không phải giá trị JSON hợp lệ")


class SafeFormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return clean_querydict(super().parse(stream, media_type, parser_context))
        except (TooManyFieldsSent, RequestDataTooBig):
            raise BadInput("too_many_fields") from None


class SafeMultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            result = super().parse(stream, media_type, parser_context)
        except (MultiPartParserError, TooManyFieldsSent, RequestDataTooBig, ValueError):
            raise ParseError(_MESSAGES["parse_error"], code="parse_error") from None
        return parsers.DataAndFiles(clean_querydict(result.data), result.files)


def _refusal(request: HttpRequest, code: str) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({"error": code, "message": _MESSAGES[code]}, status=400)
    body = loader.render_to_string(
        "400.html", {"message": _MESSAGES[code], "error_code": code}, request
    )
    return HttpResponse(body, status=400)


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class BadInputMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self.check(request)
        if refused:
            return _refusal(request, refused)
        return self.get_response(request)

    def check(self, request: HttpRequest) -> str | None:
        if "\x00" in request.path_info:
            return "nul_byte"
        query = request.META.get("QUERY_STRING", "")
        if len(query) > MAX_QUERY_STRING:
            return "query_too_long"
        if query:
            try:
                request.GET = clean_querydict(request.GET)
            except BadInput as e:
                return e.error_code
            except TooManyFieldsSent:
                return "too_many_fields"
        api = request.path_info.startswith("/api/")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if api and length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return "request_too_large"
        if not api and request.method == "POST" and request.content_type in _FORM_TYPES:
            # Pages and the admin: the form body, cleaned the same way. Django's
            # own refusals (too big, too many fields) stay Django's 400.
            try:
                post = request.POST
            except (RequestDataTooBig, TooManyFieldsSent, MultiPartParserError):
                return None
            try:
                request._post = clean_querydict(post)
            except BadInput as e:
                return e.error_code
        return None

"""The one small hierarchy of domain errors.

Services raise these; the API maps them to HTTP statuses (400 / 403 / 404 /
409) with a machine-readable ``code`` and a Vietnamese ``message``.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    default_code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field
        self.extra = extra or {}

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.field:
            body["fields"] = {self.field: [{"code": self.code, "message": self.message}]}
        body.update(self.extra)
        return body


class ValidationFailed(DomainError):
    """Bad input; ``fields`` maps a field path to its messages."""

    status = 400
    default_code = "validation_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        fields: dict[str, list[dict[str, str]]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, code=code, field=field, extra=extra)
        self.fields = dict(fields or {})
        if field and field not in self.fields:
            self.fields[field] = [{"code": self.code, "message": message}]

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        body.update(self.extra)
        return body


class NotFound(DomainError):
    status = 404
    default_code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    default_code = "permission_denied"


class Conflict(DomainError):
    status = 409
    default_code = "conflict"


class InvalidTransition(Conflict):
    default_code = "invalid_transition"

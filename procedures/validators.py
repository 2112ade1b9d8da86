"""Vietnamese phone numbers: one rule for officers and applicants."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

_NOISE = re.compile(r"[\s.\-()]")
_MOBILE = re.compile(r"^(?:0|\+84|84)([35789][0-9]{8})$")
_LANDLINE = re.compile(r"^(?:0|\+84|84)(2[0-9]{9})$")


def normalise_phone(value: str) -> str:
    """Mobile (10 digits: 03/05/07/08/09…) or landline (11 digits: 02…), as
    written locally with a leading 0; +84 and spaces, dots, dashes accepted."""
    compact = _NOISE.sub("", value or "")
    match = _MOBILE.match(compact) or _LANDLINE.match(compact)
    if not match:
        raise ValidationError(
            "Số điện thoại không hợp lệ: di động 10 số bắt đầu bằng 03, 05, 07, 08, 09 hoặc "
            "cố định 11 số bắt đầu bằng 02.",
            code="invalid_phone",
        )
    return "0" + match.group(1)


def validate_phone(value: str) -> None:
    """Model-field validator form of ``normalise_phone``."""
    normalise_phone(value)

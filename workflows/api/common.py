"""Parsing helpers shared by the workflows API."""

from __future__ import annotations

import datetime as dt
import re

from config.errors import ValidationFailed

# Moments the API reads: wide enough for any dossier, narrow enough that no
# time-zone conversion or calendar lookup can overflow.
MIN_YEAR, MAX_YEAR = 1900, 2200

_SPACE_OFFSET = re.compile(r"^(.*T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


def parse_aware_datetime(raw: str | None, *, field: str) -> dt.datetime:
    """An ISO 8601 datetime *with* its UTC offset.

    A ``+`` left unencoded in a query string arrives as a space
    (``…T10:00:00 07:00``); that is read as ``+07:00`` rather than refused.
    """
    if raw is None or raw == "":
        raise ValidationFailed(
            f"Thiếu tham số {field} (ngày giờ ISO 8601 có múi giờ, ví dụ 2026-02-13T10:00:00+07:00).",
            code="required",
            field=field,
        )
    text = raw.strip()
    match = _SPACE_OFFSET.match(text)
    if match:
        text = f"{match[1]}+{match[2]}"
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"Tham số {field} không phải ngày giờ ISO 8601 hợp lệ: «{raw}».",
            code="invalid_datetime",
            field=field,
        ) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(
            f"Tham số {field} phải kèm múi giờ, ví dụ «{text}+07:00».",
            code="naive_datetime",
            field=field,
        )
    try:
        value.astimezone(dt.UTC)
        in_range = MIN_YEAR <= value.year <= MAX_YEAR
    except OverflowError:
        in_range = False
    if not in_range:
        raise ValidationFailed(
            f"Tham số {field} phải trong khoảng năm {MIN_YEAR}–{MAX_YEAR}: «{raw}».",
            code="out_of_range",
            field=field,
        )
    return value

"""Budgets in working time, read from ISO 8601 ("P3D", "PT8H", "P1DT4H")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from workflows.worktime.base import WorktimeError

if TYPE_CHECKING:
    from workflows.worktime.calendars import WorkingCalendar

_STANDARD_DAY_SECONDS = 8 * 3600  # parse_duration has no calendar: 365 days of 8 hours
_MAX_DAYS = 365


@dataclass(frozen=True, slots=True)
class WorkDuration:
    """A budget in *working* time: whole working days plus working seconds.

    Days stay days until a calendar says how long its day is, so "P1D" means
    8 hours at a 07:30-17:30 centre and 6 hours at a centre with a 6-hour day.
    """

    days: int = 0
    seconds: int = 0

    def __post_init__(self) -> None:
        for value in (self.days, self.seconds):
            if not isinstance(value, int) or isinstance(value, bool):
                raise WorktimeError(code="invalid_duration")
            if value < 0:
                raise WorktimeError(code="negative_duration")

    def to_seconds(self, calendar: WorkingCalendar) -> int:
        return self.days * calendar.day_seconds + self.seconds

    def isoformat(self) -> str:
        hours, rest = divmod(self.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        clock = "".join(
            f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n
        )
        text = "P" + (f"{self.days}D" if self.days else "") + (f"T{clock}" if clock else "")
        return "PT0S" if text == "P" else text

    __str__ = isoformat

    def __add__(self, other: object) -> WorkDuration:
        if not isinstance(other, WorkDuration):
            return NotImplemented
        return WorkDuration(days=self.days + other.days, seconds=self.seconds + other.seconds)


_NUMBER = r"\d+(?:[.,]\d+)?"
_DURATION_RE = re.compile(
    rf"P(?:(?P<D>{_NUMBER})D)?(?:T(?:(?P<H>{_NUMBER})H)?(?:(?P<M>{_NUMBER})M)?(?:(?P<S>{_NUMBER})S)?)?"
)
_UNITS_HELP = (
    "chỉ chấp nhận ngày làm việc (D), giờ (H), phút (M sau chữ T) và giây (S), "
    "ví dụ P3D, PT8H, PT30M, P1DT4H"
)


def _invalid(text: str, why: str) -> WorktimeError:
    return WorktimeError(f"Thời hạn không hợp lệ: «{text}» — {why}.", code="invalid_duration")


def parse_duration(text: str) -> WorkDuration:
    """Read an ISO 8601 duration counted in working time ("P3D", "PT1.5H", "P1DT4H").

    Years, months and weeks are refused: they have no fixed length in working
    time, and a legal limit is always stated in working days or hours.
    """
    if not isinstance(text, str):
        raise _invalid(repr(text), _UNITS_HELP)
    return _parse(text)


@lru_cache(maxsize=512)
def _parse(text: str) -> WorkDuration:
    raw = text.strip().upper()
    if raw.startswith("-"):
        raise WorktimeError(f"Thời hạn không được là số âm: «{text}».", code="negative_duration")
    match = _DURATION_RE.fullmatch(raw)
    if match is None:
        if raw.startswith("P") and any(unit in raw.partition("T")[0] for unit in "YMW"):
            raise _invalid(text, "không dùng năm (Y), tháng (M) hay tuần (W); " + _UNITS_HELP)
        raise _invalid(text, _UNITS_HELP)
    parts = {unit: value.replace(",", ".") for unit, value in match.groupdict().items() if value}
    if not parts or raw.endswith("T"):
        raise _invalid(text, _UNITS_HELP)
    if any("." in value for unit, value in parts.items() if unit != list(parts)[-1]):
        raise _invalid(text, "chỉ thành phần cuối cùng được có phần thập phân")
    if "." in parts.get("D", ""):
        raise _invalid(
            text, "số ngày làm việc phải là số nguyên (dùng giờ cho phần lẻ, ví dụ P1DT4H)"
        )
    days = int(parts.get("D", "0"))
    scale = {"H": 3600, "M": 60, "S": 1}
    seconds = sum(Decimal(parts[unit]) * factor for unit, factor in scale.items() if unit in parts)
    if seconds != int(seconds):
        raise _invalid(text, "thời hạn phải tròn đến giây")
    if days * _STANDARD_DAY_SECONDS + seconds > _MAX_DAYS * _STANDARD_DAY_SECONDS:
        raise WorktimeError(
            f"Thời hạn quá dài: «{text}» vượt quá {_MAX_DAYS} ngày làm việc.",
            code="duration_too_long",
        )
    return WorkDuration(days=days, seconds=int(seconds))


def as_duration(duration: WorkDuration | str) -> WorkDuration:
    return duration if isinstance(duration, WorkDuration) else parse_duration(duration)

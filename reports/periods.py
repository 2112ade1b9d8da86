"""The period a manager asks about: today, this week, this month, a quarter,
a year, or from–to; always whole local days ``[start, end]``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from config.clock import LOCAL_TZ
from config.errors import ValidationFailed

KINDS = {
    "today": "Hôm nay",
    "week": "Tuần này",
    "month": "Tháng này",
    "quarter": "Quý này",
    "year": "Năm nay",
    "range": "Từ ngày … đến ngày …",
}
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date  # inclusive

    @property
    def label(self) -> str:
        return f"{self.start:%d/%m/%Y} – {self.end:%d/%m/%Y}"

    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), tzinfo=LOCAL_TZ)

    def end_at(self, at: dt.datetime) -> dt.datetime:
        """The end of the period's last day, or ``at`` when that is earlier."""
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=LOCAL_TZ)
        return min(end, at)

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def query(self) -> dict[str, str]:
        if self.kind == "range":
            return {"period": "range", "from": self.start.isoformat(), "to": self.end.isoformat()}
        return {"period": self.kind}


def _date(raw: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except (TypeError, ValueError):
        raise ValidationFailed(
            "Ngày không hợp lệ (định dạng YYYY-MM-DD).", code="invalid_date", field=field
        ) from None


def parse_period(
    kind: str | None, *, at: dt.datetime, start: str = "", end: str = "", quarter: str = ""
) -> Period:
    """The period named by the query; a clear error for anything else."""
    today = at.astimezone(LOCAL_TZ).date()
    kind = kind or ("range" if start or end else "month")
    if kind not in KINDS:
        raise ValidationFailed("Kỳ báo cáo không hợp lệ.", code="invalid_period", field="period")
    if kind == "today":
        return Period(kind, today, today)
    if kind == "week":
        monday = today - dt.timedelta(days=today.weekday())
        return Period(kind, monday, monday + dt.timedelta(days=6))
    if kind == "month":
        first = today.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return Period(kind, first, following - dt.timedelta(days=1))
    if kind == "quarter":
        number = (today.month - 1) // 3 + 1
        if quarter:
            if quarter not in {"1", "2", "3", "4"}:
                raise ValidationFailed(
                    "Quý phải là 1, 2, 3 hoặc 4.", code="invalid_period", field="quarter"
                )
            number = int(quarter)
        first = dt.date(today.year, 3 * number - 2, 1)
        following = dt.date(today.year + (number == 4), 1 if number == 4 else 3 * number + 1, 1)
        return Period(kind, first, following - dt.timedelta(days=1))
    if kind == "year":
        return Period(kind, dt.date(today.year, 1, 1), dt.date(today.year, 12, 31))
    if not start or not end:
        raise ValidationFailed(
            "Hãy chọn cả ngày bắt đầu và ngày kết thúc.", code="invalid_period", field="from"
        )
    first, last = _date(start, "from"), _date(end, "to")
    if first > last:
        raise ValidationFailed(
            "Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.", code="invalid_period", field="to"
        )
    if (last - first).days >= MAX_DAYS:
        raise ValidationFailed("Kỳ báo cáo dài tối đa 3 năm.", code="invalid_period", field="to")
    if first.year < 2000 or last.year > 2100:
        raise ValidationFailed("Ngày nằm ngoài phạm vi.", code="invalid_date", field="from")
    return Period(kind, first, last)

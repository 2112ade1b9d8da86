"""What every part of the working-time package shares: the zone and the error."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

Session = tuple[time, time]

_MESSAGES = {
    "invalid_duration": "Thời hạn không hợp lệ.",
    "negative_duration": "Thời hạn không được là số âm.",
    "duration_too_long": "Thời hạn vượt quá 365 ngày làm việc.",
    "naive_datetime": "Thời điểm phải kèm múi giờ (ví dụ +07:00).",
    "out_of_range": "Thời điểm nằm ngoài phạm vi của lịch làm việc.",
    "invalid_calendar": "Lịch làm việc không hợp lệ.",
    "invalid_rule": "Ngày điều chỉnh lịch làm việc không hợp lệ.",
}


class WorktimeError(ValueError):
    """A working-time input the product cannot accept.

    ``code`` is for machines (the API maps it to a 400), ``str(error)`` is the
    Vietnamese sentence shown to the officer.
    """

    def __init__(self, message: str = "", *, code: str) -> None:
        self.code = code
        self.message = message or _MESSAGES.get(code, "Lỗi tính thời gian làm việc.")
        super().__init__(self.message)


def require_aware(moment: datetime) -> None:
    """Refuse naive datetimes: a deadline without a zone is off by up to 14 hours."""
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise WorktimeError(
            f"Thời điểm phải kèm múi giờ (ví dụ +07:00): {moment!r}.", code="naive_datetime"
        )

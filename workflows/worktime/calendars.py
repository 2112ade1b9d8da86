"""The working calendar of one centre, precomputed as cumulative tables.

Why tables: a due time is asked for on every receipt, every dashboard row and
every deadline sweep. Building the per-day sessions and the cumulative
working seconds once per calendar turns each question into one ``bisect``
and a few additions (microseconds), whatever the length of the budget.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache
from itertools import accumulate
from typing import Literal

import holidays

from workflows.worktime.base import LOCAL_TZ, Session, WorktimeError, require_aware

_Span = tuple[int, int]  # a session as (start, end) seconds after local midnight

_OFFICE_HOURS: tuple[Session, ...] = ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 30)))
DEFAULT_WEEKDAY_SESSIONS: tuple[tuple[Session, ...], ...] = (_OFFICE_HOURS,) * 5 + ((), ())

_WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
_ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class DayRule:
    """An administrator's override for one date (nation, province or centre)."""

    day: date
    kind: Literal["day_off", "working_day"]
    reason: str = ""

    def __post_init__(self) -> None:
        if type(self.day) is not date or self.kind not in ("day_off", "working_day"):
            raise WorktimeError(code="invalid_rule")


@dataclass(frozen=True, slots=True)
class _NationalDays:
    holidays: dict[date, str]  # day off -> the package's Vietnamese name(s)
    makeup: dict[date, str]  # make-up working Saturday -> why it is worked


@cache
def _national_days(first_year: int, last_year: int) -> _NationalDays:
    """Holidays from the ``holidays`` package, computed once per year span.

    The package knows Tết, observed days "(nghỉ bù)", the swapped weekdays
    "Ngày nghỉ (thay cho ngày dd/mm/yyyy)" and their make-up Saturdays
    (``weekend_workdays``); the swapped weekday's name is how a make-up
    Saturday learns which day it pays back.
    """
    vn = holidays.country_holidays("VN", years=range(first_year, last_year + 1), language="vi")
    names = {day: "; ".join(vn.get_list(day)) for day in sorted(vn)}
    makeup = {}
    for saturday in sorted(getattr(vn, "weekend_workdays", ())):
        if first_year <= saturday.year <= last_year:
            token = f"{saturday:%d/%m/%Y}"
            swapped = next((day for day, name in names.items() if token in name), None)
            makeup[saturday] = (
                f"Ngày làm việc bù (đổi cho ngày {swapped:%d/%m/%Y})"
                if swapped
                else "Ngày làm việc bù"
            )
    return _NationalDays(names, makeup)


def _clock_seconds(value: time) -> int:
    if not isinstance(value, time) or value.tzinfo is not None or value.microsecond:
        raise WorktimeError(f"Giờ làm việc không hợp lệ: {value!r}.", code="invalid_calendar")
    return value.hour * 3600 + value.minute * 60 + value.second


def _spans(sessions: Iterable[Sequence[time]]) -> tuple[_Span, ...]:
    """Sessions as sorted, non-overlapping second spans (validated)."""
    spans: list[_Span] = []
    for start, end in sessions:
        span = (_clock_seconds(start), _clock_seconds(end))
        if span[0] >= span[1] or (spans and span[0] < spans[-1][1]):
            raise WorktimeError(
                f"Ca làm việc {start}-{end} không hợp lệ hoặc chồng lấn.", code="invalid_calendar"
            )
        spans.append(span)
    return tuple(spans)


def _clock(seconds: int) -> time:
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


class WorkingCalendar:
    """One centre's working time, precomputed for ``first_year``..``last_year``.

    Layers, later ones winning: the weekday pattern; national holidays and
    make-up Saturdays; then the overrides in the order given (national, then
    province, then centre). Instances are read-only once built.
    """

    def __init__(
        self,
        *,
        weekday_sessions: Sequence[Sequence[Session]],
        overrides: Iterable[DayRule] = (),
        reception_sessions: Mapping[int, Sequence[Session]] | None = None,
        first_year: int = 2020,
        last_year: int = 2040,
        tz: tzinfo = LOCAL_TZ,
        label: str = "",
    ) -> None:
        if len(weekday_sessions) != 7 or not 1 <= first_year <= last_year < 9999:
            raise WorktimeError(code="invalid_calendar")
        self._week = tuple(_spans(day) for day in weekday_sessions)
        normal = next((day for day in self._week[:5] if day), None)
        if normal is None:
            raise WorktimeError(
                "Lịch phải có ít nhất một ngày làm việc trong tuần.", code="invalid_calendar"
            )
        self._normal = normal
        receiving = {int(wd): _spans(s) for wd, s in (reception_sessions or {}).items()}
        if any(not 0 <= wd <= 6 for wd in receiving):
            raise WorktimeError(code="invalid_calendar")
        self.tz, self.label = tz, label
        self.first_year, self.last_year = first_year, last_year
        self.day_seconds = sum(end - start for start, end in normal)
        self._national = _national_days(first_year, last_year)
        self._rules = {rule.day: rule for rule in overrides}  # later rules win
        self._epoch = datetime(first_year, 1, 1, tzinfo=tz)
        self._epoch_ordinal = self._epoch.toordinal()
        self._days = date(last_year + 1, 1, 1).toordinal() - self._epoch_ordinal
        self._build(receiving)

    def _build(self, receiving: Mapping[int, tuple[_Span, ...]]) -> None:
        """Per-day session spans, reception spans and cumulative working seconds."""
        self._spans: list[tuple[_Span, ...]] = []
        self._reception: list[tuple[_Span, ...]] = []
        for index in range(self._days):
            day = date.fromordinal(self._epoch_ordinal + index)
            spans = self._classify(day)
            closed = not spans and (day in self._rules or day in self._national.holidays)
            self._spans.append(spans)
            self._reception.append(() if closed else receiving.get(day.weekday(), ()))
        lengths = (sum(end - start for start, end in spans) for spans in self._spans)
        self._cum = list(accumulate(lengths, initial=0))

    def _classify(self, day: date) -> tuple[_Span, ...]:
        rule = self._rules.get(day)
        if rule is not None:
            return self._normal if rule.kind == "working_day" else ()
        if day in self._national.holidays:
            return ()
        if day in self._national.makeup:
            return self._normal
        return self._week[day.weekday()]

    @classmethod
    def default(cls) -> WorkingCalendar:
        """Standard office hours (Mon-Fri 07:30-11:30, 13:30-17:30), no overrides."""
        return _default_calendar()

    def __repr__(self) -> str:
        return f"<WorkingCalendar {self.label!r} {self.first_year}-{self.last_year}>"

    # -- days --

    def _index(self, day: date) -> int:
        index = day.toordinal() - self._epoch_ordinal
        if not 0 <= index < self._days:
            raise WorktimeError(
                f"Ngày {day:%d/%m/%Y} nằm ngoài lịch ({self.first_year}-{self.last_year}).",
                code="out_of_range",
            )
        return index

    def day_positions(self, day: date) -> tuple[int, int]:
        """Positions at the start and at the end of ``day``."""
        index = self._index(day)
        return self._cum[index], self._cum[index + 1]

    def is_working_day(self, day: date) -> bool:
        return bool(self._spans[self._index(day)])

    def sessions_on(self, day: date) -> tuple[Session, ...]:
        """The counting sessions of ``day`` (empty on a day off)."""
        return tuple((_clock(a), _clock(b)) for a, b in self._spans[self._index(day)])

    def non_working_reason(self, day: date) -> str | None:
        """Why ``day`` is off ("Thứ Bảy", a holiday's name, an override's reason)."""
        if self.is_working_day(day):
            return None
        rule = self._rules.get(day)
        if rule is not None:
            return rule.reason or "Ngày nghỉ theo điều chỉnh lịch làm việc"
        return self._national.holidays.get(day) or _WEEKDAY_NAMES[day.weekday()]

    def working_reason(self, day: date) -> str | None:
        """Why a day that is normally off is worked; None for an ordinary working day."""
        if not self.is_working_day(day):
            return None
        normally_off = not self._week[day.weekday()] or day in self._national.holidays
        rule = self._rules.get(day)
        if rule is not None:
            return (rule.reason or "Ngày làm việc theo điều chỉnh lịch") if normally_off else None
        return self._national.makeup.get(day) if not self._week[day.weekday()] else None

    # -- moments --

    def _locate(self, moment: datetime) -> tuple[int, int]:
        """(day index, local seconds after midnight) of an aware moment."""
        if getattr(moment, "tzinfo", None) is None or moment.utcoffset() is None:
            require_aware(moment)
        local = moment.astimezone(self.tz)
        index = local.toordinal() - self._epoch_ordinal
        if not 0 <= index < self._days:
            raise WorktimeError(
                f"Thời điểm {moment.isoformat()} nằm ngoài lịch ({self.first_year}-{self.last_year}).",
                code="out_of_range",
            )
        return index, local.hour * 3600 + local.minute * 60 + local.second

    def position(self, moment: datetime) -> int:
        """Working seconds from the epoch to ``moment``."""
        index, clock = self._locate(moment)
        position = self._cum[index]
        for start, end in self._spans[index]:
            if clock <= start:
                break
            if clock < end:
                return position + clock - start
            position += end - start
        return position

    def moment_at(self, position: int) -> datetime:
        """The earliest moment whose position is ``position`` (a session end, not the next start)."""
        cum = self._cum
        if not 0 < position <= cum[-1]:
            if position == 0:
                return self._epoch
            raise WorktimeError(
                f"Kết quả nằm ngoài lịch ({self.first_year}-{self.last_year}).", code="out_of_range"
            )
        index = bisect_left(cum, position, 1) - 1  # first day whose end reaches the position
        rest = position - cum[index]
        for start, end in self._spans[index]:
            if rest <= end - start:
                return self._epoch + timedelta(days=index, seconds=start + rest)
            rest -= end - start
        raise AssertionError("cumulative table out of step with sessions")  # pragma: no cover

    def is_working_time(self, moment: datetime) -> bool:
        """Inside a counting session, half-open [start, end)."""
        index, clock = self._locate(moment)
        return any(start <= clock < end for start, end in self._spans[index])

    def is_session_end(self, moment: datetime) -> bool:
        """Exactly at the end of a counting session (17:30:00, 11:30:00)."""
        index, clock = self._locate(moment)
        exact = moment.microsecond == 0
        return exact and any(clock == end for _, end in self._spans[index])

    def is_reception_open(self, moment: datetime) -> bool:
        """Dossiers are accepted: a counting session or a reception-only one."""
        index, clock = self._locate(moment)
        sessions = self._spans[index] + self._reception[index]
        return any(start <= clock < end for start, end in sessions)

    def next_opening(self, moment: datetime) -> datetime:
        """``moment`` itself inside working time, else the start of the next session."""
        if self.is_working_time(moment):
            return moment.astimezone(self.tz)
        # Outside sessions the position stands still; one second later than it
        # lies one second into the next session.
        return self.moment_at(self.position(moment) + 1) - _ONE_SECOND


@cache
def _default_calendar() -> WorkingCalendar:
    return WorkingCalendar(weekday_sessions=DEFAULT_WEEKDAY_SESSIONS, label="Giờ hành chính")

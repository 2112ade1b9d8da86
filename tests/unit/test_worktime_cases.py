"""Named due-time cases against the real 2024-2028 Vietnamese calendar.

Every expected value below was worked out by hand from the holiday list of
the ``holidays`` package (VN, language "vi") and office hours 07:30-11:30,
13:30-17:30 unless the case names another calendar. The arithmetic is noted
next to each case so a reviewer can redo it.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from workflows.worktime import (
    DEFAULT_WEEKDAY_SESSIONS,
    LOCAL_TZ,
    DayRule,
    SkippedDay,
    WorkDuration,
    WorkingCalendar,
    WorktimeError,
    due_at,
    explain,
    parse_duration,
    timeliness,
    working_time_between,
)


def at(text: str) -> datetime:
    """'2025-04-25 16:00' in Asia/Ho_Chi_Minh."""
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


def week(*sessions: tuple[time, time]) -> list[list[tuple[time, time]]]:
    return [list(sessions)] * 5 + [[], []]


SEVEN_TO_FIVE = week((time(7), time(11)), (time(13), time(17)))
SIX_HOURS = week((time(8), time(11)), (time(14), time(17)))
SATURDAY_MORNING = {5: [(time(7, 30), time(11, 30))]}

PROVINCE_OFF = DayRule(date(2025, 3, 13), "day_off", "Tỉnh cho nghỉ ngày lễ hội truyền thống")
CENTRE_WORKS = DayRule(date(2025, 3, 13), "working_day", "Trung tâm vẫn làm việc để trả hồ sơ")
CENTRE_SATURDAY = DayRule(date(2025, 3, 15), "working_day", "Trung tâm làm việc thứ Bảy")
NO_MAKEUP = DayRule(date(2025, 4, 26), "day_off", "Trung tâm không làm bù ngày 26/04")

CALENDARS = {
    "default": WorkingCalendar.default(),
    "saturday_reception": WorkingCalendar(
        weekday_sessions=DEFAULT_WEEKDAY_SESSIONS, reception_sessions=SATURDAY_MORNING
    ),
    "seven_to_five": WorkingCalendar(weekday_sessions=SEVEN_TO_FIVE, label="07:00-17:00"),
    "six_hours": WorkingCalendar(weekday_sessions=SIX_HOURS, label="6 giờ/ngày"),
    "province_off": WorkingCalendar(
        weekday_sessions=DEFAULT_WEEKDAY_SESSIONS, overrides=[PROVINCE_OFF]
    ),
    "centre_saturday": WorkingCalendar(
        weekday_sessions=DEFAULT_WEEKDAY_SESSIONS, overrides=[CENTRE_SATURDAY]
    ),
    "centre_wins": WorkingCalendar(
        weekday_sessions=DEFAULT_WEEKDAY_SESSIONS, overrides=[PROVINCE_OFF, CENTRE_WORKS]
    ),
    "province_wins": WorkingCalendar(
        weekday_sessions=DEFAULT_WEEKDAY_SESSIONS, overrides=[CENTRE_WORKS, PROVINCE_OFF]
    ),
    "no_makeup": WorkingCalendar(weekday_sessions=DEFAULT_WEEKDAY_SESSIONS, overrides=[NO_MAKEUP]),
}
DEFAULT = CALENDARS["default"]


def case(name: str, start: str, duration: str, expected: str, calendar: str = "default"):
    return pytest.param(calendar, at(start), duration, at(expected), id=name)


DUE_CASES = [
    # Fri 16:00-17:30 = 1.5 h; Sat 26/4 is the make-up day for Fri 2/5: 4 h + 2.5 h.
    case("makeup-saturday-2025", "2025-04-25 16:00", "P1D", "2025-04-26 16:00"),
    # Fri 5.5 h; 14-22 Feb off (weekend, Tết 16-20, weekend); Mon 23 8 h; Tue 2.5 h.
    case("tet-2026", "2026-02-13 10:00", "P2D", "2026-02-24 10:00"),
    case("start-inside-tet-2026", "2026-02-17 10:00", "P1D", "2026-02-23 17:30"),
    case("eve-of-tet-2026", "2026-02-12 17:00", "PT1H", "2026-02-13 08:00"),
    # Fri 3.5 h; Mon 27/1-Sat 1/2 Tết, Sun 2/2; Mon 3/2 4 h + 0.5 h.
    case("tet-2025", "2025-01-24 14:00", "P1D", "2025-02-03 14:00"),
    case("start-inside-tet-2025", "2025-01-29 09:00", "PT4H", "2025-02-03 11:30"),
    # Wed 6.5 h; Thu 4/2-Wed 10/2 Tết 2027; Thu 11 8 h; Fri 12 1.5 h.
    case("tet-2027", "2027-02-03 09:00", "P2D", "2027-02-12 09:00"),
    # 10 working days: 2, 3 Feb, then 11, 12, 15-19, 22 Feb.
    case("p10d-across-tet-2027", "2027-02-01 14:00", "P10D", "2027-02-22 14:00"),
    # Tue 7.5 h; Wed 30/4, Thu 1/5, Fri 2/5 (swapped) off, weekend; Mon 5/5 0.5 h.
    case("reunification-2025", "2025-04-29 08:00", "P1D", "2025-05-05 08:00"),
    case("inside-makeup-saturday", "2025-04-26 09:00", "PT2H", "2025-04-26 11:00"),
    case("makeup-saturday-not-kept", "2025-04-25 16:00", "P1D", "2025-04-28 16:00", "no_makeup"),
    # Fri 2 h; Sat 30/8-Tue 2/9 off (2/9 plus Mon 1/9); Wed 3/9 6 h.
    case("national-day-2025", "2025-08-29 15:30", "P1D", "2025-09-03 15:30"),
    # Fri 5.5 h; Sat 22/8 is worked (swap for Mon 31/8): 8 h; Mon 24 2.5 h.
    case("makeup-saturday-2026", "2026-08-21 10:00", "P2D", "2026-08-24 10:00"),
    # Fri 7 h; Sat 29, Sun 30, Mon 31 (swapped), Tue 1/9, Wed 2/9 off; Thu 3/9 1 h.
    case("national-day-2026", "2026-08-28 08:30", "P1D", "2026-09-03 08:30"),
    # Fri 4 h; Sun 26/4 Hùng Kings observed on Mon 27/4; Tue 28 4 h, ends at 11:30.
    case("hung-kings-2026-observed", "2026-04-24 13:30", "P1D", "2026-04-28 11:30"),
    # Wed 1 h; Thu 30/4, Fri 1/5, weekend; Mon 4/5 1 h.
    case("reunification-2026", "2026-04-29 16:30", "PT2H", "2026-05-04 08:30"),
    # Mon 6 h; Tue 24/11 Vietnam Cultural Day; Wed 2 h.
    case("culture-day-2026", "2026-11-23 09:30", "P1D", "2026-11-25 09:30"),
    case("culture-day-2027", "2027-11-23 17:00", "PT1H", "2027-11-25 08:00"),
    # 24/11 only became a holiday in 2026: Mon 24/11/2025 is worked.
    case("no-culture-day-2025", "2025-11-21 17:00", "PT1H", "2025-11-24 08:00"),
    case("hung-kings-2025", "2025-04-04 17:00", "PT1H", "2025-04-08 08:00"),
    case("hung-kings-2027", "2027-04-15 17:00", "PT1H", "2027-04-19 08:00"),
    # Thu 5.5 h; Fri 30/4; Sat 1/5 observed on Mon 3/5; Tue 4/5 2.5 h.
    case("labour-day-2027-observed", "2027-04-29 10:00", "P1D", "2027-05-04 10:00"),
    # Wed 4 h; Thu 2/9, Fri 3/9 off; Mon 6/9 4 h, ends at 11:30.
    case("national-day-2027", "2027-09-01 13:30", "P1D", "2027-09-06 11:30"),
    case("year-end-2024", "2024-12-31 10:00", "P1D", "2025-01-02 10:00"),
    case("year-end-2025", "2025-12-31 14:00", "PT4H", "2026-01-02 08:00"),
    case("year-end-2026", "2026-12-31 08:00", "P1D", "2027-01-04 08:00"),
    # Fri 0.5 h; Sat 1/1/2028 observed on Mon 3/1; Tue 4/1 0.5 h.
    case("year-end-2027-observed", "2027-12-31 17:00", "PT1H", "2028-01-04 08:00"),
    # 15 working days, Mon 7/4 (Hùng Kings) skipped.
    case("p15d-across-hung-kings", "2025-03-24 10:00", "P15D", "2025-04-15 10:00"),
    case("p30d-six-weeks", "2025-06-02 08:00", "P30D", "2025-07-14 08:00"),
    case("p5d-over-weekend", "2025-03-12 09:00", "P5D", "2025-03-19 09:00"),
    case("start-at-night", "2025-03-10 22:00", "P1D", "2025-03-11 17:30"),
    case("start-before-opening", "2025-03-11 06:00", "PT4H", "2025-03-11 11:30"),
    case("start-at-lunch", "2025-03-11 12:00", "PT1H", "2025-03-11 14:30"),
    case("start-on-sunday", "2025-03-09 10:00", "PT8H", "2025-03-10 17:30"),
    case("start-exactly-0730", "2025-03-12 07:30", "PT4H", "2025-03-12 11:30"),
    case("start-exactly-1130", "2025-03-12 11:30", "PT30M", "2025-03-12 14:00"),
    case("start-exactly-1730", "2025-03-12 17:30", "PT30M", "2025-03-13 08:00"),
    case("lands-at-1730", "2025-03-12 13:30", "PT4H", "2025-03-12 17:30"),
    case("lands-at-1730-eve-of-holiday", "2027-04-15 17:00", "PT30M", "2027-04-15 17:30"),
    case("lands-at-1130-next-day", "2025-03-12 11:30", "P1D", "2025-03-13 11:30"),
    case("pt30m-across-lunch", "2025-03-12 11:15", "PT30M", "2025-03-12 13:45"),
    case("pt1.5h", "2025-03-12 10:30", "PT1.5H", "2025-03-12 14:00"),
    # Wed 6.5 h; Thu 4 h + 1.5 h = 12 h.
    case("p1dt4h", "2025-03-12 09:00", "P1DT4H", "2025-03-13 15:00"),
    case("seconds", "2025-03-12 11:29:30", "PT45S", "2025-03-12 13:30:15"),
    case("zero-inside-session", "2025-03-12 10:00", "PT0S", "2025-03-12 10:00"),
    case("zero-at-session-end", "2025-03-12 17:30", "PT0S", "2025-03-12 17:30"),
    case("zero-at-lunch", "2025-03-12 12:00", "PT0S", "2025-03-12 13:30"),
    case("zero-on-sunday", "2025-03-09 10:00", "P0D", "2025-03-10 07:30"),
    # Overrides: Wed 6.5 h, then Thu 13/3 off or worked.
    case("province-day-off", "2025-03-12 09:00", "P1D", "2025-03-14 09:00", "province_off"),
    case("centre-override-wins", "2025-03-12 09:00", "P1D", "2025-03-13 09:00", "centre_wins"),
    case("province-override-wins", "2025-03-12 09:00", "P1D", "2025-03-14 09:00", "province_wins"),
    case("centre-saturday", "2025-03-14 13:30", "P1D", "2025-03-15 11:30", "centre_saturday"),
    # Received Saturday morning: counting starts Monday 07:30.
    case("saturday-reception", "2025-03-15 09:00", "P1D", "2025-03-17 17:30", "saturday_reception"),
    # Other office hours: the working day is the centre's own.
    case("seven-to-five", "2025-03-12 10:00", "PT6H", "2025-03-13 08:00", "seven_to_five"),
    # Fri 16-17 1 h; Sat 26/4 worked with weekday hours 8 h; Mon 28 07:00 + 3 h.
    case("seven-to-five-makeup", "2025-04-25 16:00", "P1DT4H", "2025-04-28 10:00", "seven_to_five"),
    case("six-hour-day-p1d", "2025-03-12 07:30", "P1D", "2025-03-12 17:00", "six_hours"),
    case("six-hour-day-pt8h", "2025-03-12 07:30", "PT8H", "2025-03-13 10:00", "six_hours"),
]


@pytest.mark.parametrize(("calendar", "start", "duration", "expected"), DUE_CASES)
def test_due_at_case(calendar: str, start: datetime, duration: str, expected: datetime) -> None:
    due = due_at(start=start, duration=duration, calendar=CALENDARS[calendar])
    assert due == expected
    assert due.isoformat() == expected.isoformat()  # same wall time, in +07:00


def test_case_table_is_large_and_named() -> None:
    assert len(DUE_CASES) >= 30
    assert len({param.id for param in DUE_CASES}) == len(DUE_CASES)


def test_start_in_utc_comes_back_in_local_time() -> None:
    start = datetime(2025, 3, 12, 2, 0, tzinfo=UTC)  # Wed 09:00 +07:00
    due = due_at(start=start, duration="PT4H", calendar=DEFAULT)
    assert due.isoformat() == "2025-03-12T15:00:00+07:00"
    late_evening_utc = datetime(2025, 3, 11, 17, 0, tzinfo=UTC)  # Wed 00:00 +07:00
    assert due_at(start=late_evening_utc, duration="PT1H", calendar=DEFAULT) == at(
        "2025-03-12 08:30"
    )
    new_york = timezone(timedelta(hours=-5))
    assert (
        due_at(
            start=datetime(2025, 3, 11, 21, 0, tzinfo=new_york), duration="PT30M", calendar=DEFAULT
        ).isoformat()
        == "2025-03-12T09:30:00+07:00"
    )


def test_work_duration_object_and_string_agree() -> None:
    start = at("2026-02-13 10:00")
    assert due_at(start=start, duration=WorkDuration(days=2), calendar=DEFAULT) == due_at(
        start=start, duration="P2D", calendar=DEFAULT
    )


# --- the calendar's days ---------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2025, 3, 15), "Thứ Bảy"),
        (date(2025, 3, 16), "Chủ Nhật"),
        (date(2025, 1, 1), "Tết Dương lịch"),
        (date(2025, 5, 2), "Ngày nghỉ (thay cho ngày 26/04/2025)"),
        (date(2026, 8, 31), "Ngày nghỉ (thay cho ngày 22/08/2026)"),
        (date(2026, 2, 17), "Tết Nguyên Đán"),
        (date(2026, 4, 26), "Ngày Giỗ Tổ Hùng Vương"),
        (date(2026, 4, 27), "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"),
        (date(2026, 11, 24), "Ngày Văn hóa Việt Nam"),
        (date(2027, 5, 3), "Ngày Quốc tế Lao động (nghỉ bù)"),
        (date(2027, 9, 3), "Quốc khánh"),
        (date(2025, 3, 12), None),
        (date(2025, 11, 24), None),
        (date(2025, 4, 26), None),
    ],
)
def test_non_working_reason(day: date, reason: str | None) -> None:
    assert DEFAULT.non_working_reason(day) == reason
    assert DEFAULT.is_working_day(day) is (reason is None)


def test_working_reasons_for_days_normally_off() -> None:
    assert DEFAULT.working_reason(date(2025, 4, 26)) == "Ngày làm việc bù (đổi cho ngày 02/05/2025)"
    assert DEFAULT.working_reason(date(2026, 8, 22)) == "Ngày làm việc bù (đổi cho ngày 31/08/2026)"
    assert DEFAULT.working_reason(date(2025, 3, 12)) is None  # an ordinary Wednesday
    assert DEFAULT.working_reason(date(2025, 3, 15)) is None  # off, so no working reason
    saturday = CALENDARS["centre_saturday"]
    assert saturday.working_reason(date(2025, 3, 15)) == "Trung tâm làm việc thứ Bảy"
    # The centre cancels a province day off: an ordinary working day again.
    assert CALENDARS["centre_wins"].working_reason(date(2025, 3, 13)) is None
    assert CALENDARS["province_wins"].non_working_reason(date(2025, 3, 13)) == PROVINCE_OFF.reason
    assert CALENDARS["no_makeup"].non_working_reason(date(2025, 4, 26)) == NO_MAKEUP.reason


def test_sessions_and_day_length() -> None:
    office = ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 30)))
    assert DEFAULT.day_seconds == 28800
    assert CALENDARS["six_hours"].day_seconds == 21600
    assert DEFAULT.sessions_on(date(2025, 3, 12)) == office
    assert DEFAULT.sessions_on(date(2025, 4, 26)) == office  # make-up Saturday: weekday hours
    assert DEFAULT.sessions_on(date(2025, 5, 2)) == ()
    assert CALENDARS["seven_to_five"].sessions_on(date(2025, 4, 26)) == (
        (time(7), time(11)),
        (time(13), time(17)),
    )
    assert WorkDuration(days=1).to_seconds(CALENDARS["six_hours"]) == 21600
    assert WorkingCalendar.default() is WorkingCalendar.default()


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        ("2025-03-12 07:29:59", False),
        ("2025-03-12 07:30", True),
        ("2025-03-12 11:29:59", True),
        ("2025-03-12 11:30", False),
        ("2025-03-12 13:30", True),
        ("2025-03-12 17:29:59", True),
        ("2025-03-12 17:30", False),
        ("2025-04-26 09:00", True),  # make-up Saturday
        ("2025-05-02 09:00", False),  # swapped Friday
    ],
)
def test_is_working_time_half_open(moment: str, working: bool) -> None:
    assert DEFAULT.is_working_time(at(moment)) is working


def test_saturday_morning_reception_does_not_count() -> None:
    centre = CALENDARS["saturday_reception"]
    saturday = at("2025-03-15 09:00")
    assert centre.is_reception_open(saturday)
    assert not centre.is_working_time(saturday)
    assert not centre.is_reception_open(at("2025-03-15 14:00"))
    assert not centre.is_reception_open(at("2025-02-01 09:00"))  # Saturday, but Tết
    assert not DEFAULT.is_reception_open(saturday)
    assert centre.is_reception_open(at("2025-03-17 08:00"))
    assert working_time_between(saturday, at("2025-03-17 07:30"), centre) == 0


@pytest.mark.parametrize(
    ("moment", "opening"),
    [
        ("2025-03-12 10:00", "2025-03-12 10:00"),
        ("2025-03-12 12:00", "2025-03-12 13:30"),
        ("2025-03-12 11:30", "2025-03-12 13:30"),
        ("2025-03-14 17:30", "2025-03-17 07:30"),
        ("2025-04-25 18:00", "2025-04-26 07:30"),
        ("2026-02-13 17:30", "2026-02-23 07:30"),
    ],
)
def test_next_opening(moment: str, opening: str) -> None:
    assert DEFAULT.next_opening(at(moment)) == at(opening)


def test_positions_and_moments() -> None:
    friday_end = at("2025-03-14 17:30")
    assert DEFAULT.moment_at(DEFAULT.position(friday_end)) == friday_end
    assert DEFAULT.moment_at(DEFAULT.position(at("2025-03-15 10:00"))) == friday_end
    assert DEFAULT.moment_at(DEFAULT.position(at("2025-03-12 12:45"))) == at("2025-03-12 11:30")
    assert DEFAULT.position(at("2020-01-01 00:00")) == 0
    assert working_time_between(at("2025-03-14 16:00"), at("2025-03-17 08:00"), DEFAULT) == 7200
    assert working_time_between(at("2025-03-17 08:00"), at("2025-03-14 16:00"), DEFAULT) == -7200
    # A full normal week is 5 x 8 h; the week of 28/4/2025 has 30/4, 1/5 and 2/5 off.
    assert working_time_between(at("2025-03-10 00:00"), at("2025-03-17 00:00"), DEFAULT) == 144000
    assert working_time_between(at("2025-04-28 00:00"), at("2025-05-05 00:00"), DEFAULT) == 57600


# --- explanations ---------------------------------------------------------------


def test_explain_tet_2026() -> None:
    explanation = explain(start=at("2026-02-13 10:00"), duration="P2D", calendar=DEFAULT)
    assert explanation.due_at == at("2026-02-24 10:00")
    assert explanation.effective_start == at("2026-02-13 10:00")
    assert explanation.duration_seconds == 57600
    assert explanation.skipped_days == [
        SkippedDay(date(2026, 2, 14), "Thứ Bảy"),
        SkippedDay(date(2026, 2, 15), "Chủ Nhật"),
        SkippedDay(date(2026, 2, 16), "Giao thừa Tết Nguyên Đán"),
        SkippedDay(date(2026, 2, 17), "Tết Nguyên Đán"),
        SkippedDay(date(2026, 2, 18), "Mùng hai Tết Nguyên Đán"),
        SkippedDay(date(2026, 2, 19), "Mùng ba Tết Nguyên Đán"),
        SkippedDay(date(2026, 2, 20), "Mùng bốn Tết Nguyên Đán"),
        SkippedDay(date(2026, 2, 21), "Thứ Bảy"),
        SkippedDay(date(2026, 2, 22), "Chủ Nhật"),
    ]
    assert explanation.extra_working_days == []
    data = json.loads(json.dumps(explanation.as_dict(), ensure_ascii=False))
    assert data["start"] == "2026-02-13T10:00:00+07:00"
    assert data["due_at"] == "2026-02-24T10:00:00+07:00"
    assert data["duration"] == "P2D"
    assert data["skipped_days"][2] == {"date": "2026-02-16", "reason": "Giao thừa Tết Nguyên Đán"}
    assert data["extra_working_days"] == []


def test_explain_national_day_2026_with_swap() -> None:
    explanation = explain(start=at("2026-08-21 10:00"), duration="P7D", calendar=DEFAULT)
    # Sat 22 (worked), Mon 24-Fri 28 = 6 days; 29/8-2/9 off; Thu 3/9 is the 7th.
    assert explanation.due_at == at("2026-09-03 10:00")
    assert explanation.extra_working_days == [
        SkippedDay(date(2026, 8, 22), "Ngày làm việc bù (đổi cho ngày 31/08/2026)")
    ]
    assert [(d.date.day, d.reason) for d in explanation.skipped_days] == [
        (23, "Chủ Nhật"),
        (29, "Thứ Bảy"),
        (30, "Chủ Nhật"),
        (31, "Ngày nghỉ (thay cho ngày 22/08/2026)"),
        (1, "Quốc khánh"),
        (2, "Quốc khánh"),
    ]


def test_explain_hung_kings_observed_and_sunday_start() -> None:
    explanation = explain(start=at("2026-04-24 13:30"), duration="P1D", calendar=DEFAULT)
    assert [d.reason for d in explanation.skipped_days] == [
        "Thứ Bảy",
        "Ngày Giỗ Tổ Hùng Vương",
        "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)",
    ]
    sunday = explain(start=at("2025-03-09 10:00"), duration="PT8H", calendar=DEFAULT)
    assert sunday.effective_start == at("2025-03-10 07:30")
    assert sunday.skipped_days == [SkippedDay(date(2025, 3, 9), "Chủ Nhật")]


def test_explain_lists_only_extra_days_that_counted() -> None:
    counted = explain(start=at("2025-04-25 16:00"), duration="P1D", calendar=DEFAULT)
    assert counted.extra_working_days == [
        SkippedDay(date(2025, 4, 26), "Ngày làm việc bù (đổi cho ngày 02/05/2025)")
    ]
    assert counted.skipped_days == []
    after_hours = explain(start=at("2025-04-26 18:00"), duration="P1D", calendar=DEFAULT)
    assert after_hours.due_at == at("2025-04-28 17:30")
    assert after_hours.extra_working_days == []
    assert after_hours.skipped_days == [SkippedDay(date(2025, 4, 27), "Chủ Nhật")]


def test_explain_overrides_carry_their_reasons() -> None:
    off = explain(start=at("2025-03-12 09:00"), duration="P1D", calendar=CALENDARS["province_off"])
    assert off.skipped_days == [SkippedDay(date(2025, 3, 13), PROVINCE_OFF.reason)]
    works = explain(
        start=at("2025-03-14 13:30"), duration="P1D", calendar=CALENDARS["centre_saturday"]
    )
    assert works.extra_working_days == [SkippedDay(date(2025, 3, 15), CENTRE_SATURDAY.reason)]


def test_explain_zero_duration_at_session_end() -> None:
    explanation = explain(start=at("2025-03-14 17:30"), duration="PT0S", calendar=DEFAULT)
    assert explanation.due_at == explanation.effective_start == at("2025-03-14 17:30")
    assert explanation.skipped_days == []


# --- durations ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days", "seconds"),
    [
        ("P3D", 3, 0),
        ("PT8H", 0, 28800),
        ("PT30M", 0, 1800),
        ("P1DT4H", 1, 14400),
        ("PT1.5H", 0, 5400),
        ("PT1,5H", 0, 5400),
        ("PT0.5M", 0, 30),
        ("PT1H30M", 0, 5400),
        ("pt45s", 0, 45),
        (" P2D ", 2, 0),
        ("P0D", 0, 0),
        ("PT0S", 0, 0),
        ("P365D", 365, 0),
        ("PT2920H", 0, 2920 * 3600),
    ],
)
def test_parse_duration_valid(text: str, days: int, seconds: int) -> None:
    assert parse_duration(text) == WorkDuration(days=days, seconds=seconds)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("P1Y", "invalid_duration"),
        ("P1M", "invalid_duration"),
        ("P1W", "invalid_duration"),
        ("P1Y2M3D", "invalid_duration"),
        ("3 ngày", "invalid_duration"),
        ("", "invalid_duration"),
        ("P", "invalid_duration"),
        ("PT", "invalid_duration"),
        ("P1DT", "invalid_duration"),
        ("P1H", "invalid_duration"),
        ("1D", "invalid_duration"),
        ("P1.5D", "invalid_duration"),
        ("PT1.5H30M", "invalid_duration"),
        ("PT0.5S", "invalid_duration"),
        ("-P1D", "negative_duration"),
        ("-PT1H", "negative_duration"),
        ("P366D", "duration_too_long"),
        ("PT2921H", "duration_too_long"),
        ("P365DT1S", "duration_too_long"),
    ],
)
def test_parse_duration_errors(text: str, code: str) -> None:
    with pytest.raises(WorktimeError) as caught:
        parse_duration(text)
    assert caught.value.code == code


def test_duration_messages_are_vietnamese_and_explain_units() -> None:
    with pytest.raises(WorktimeError) as caught:
        parse_duration("P1M")
    message = str(caught.value)
    assert message.startswith("Thời hạn không hợp lệ: «P1M»")
    assert "tháng" in message and "(D)" in message and "(H)" in message and "(S)" in message
    with pytest.raises(WorktimeError, match="Thời hạn quá dài"):
        parse_duration("P400D")
    with pytest.raises(WorktimeError, match="không hợp lệ") as not_text:
        parse_duration(3)  # type: ignore[arg-type]
    assert not_text.value.code == "invalid_duration"


def test_work_duration_format_and_sum() -> None:
    assert WorkDuration(days=3).isoformat() == "P3D"
    assert WorkDuration(seconds=28800).isoformat() == "PT8H"
    assert WorkDuration(days=1, seconds=14400).isoformat() == "P1DT4H"
    assert WorkDuration(seconds=1800).isoformat() == "PT30M"
    assert WorkDuration(seconds=5445).isoformat() == "PT1H30M45S"
    assert WorkDuration().isoformat() == "PT0S"
    assert parse_duration(WorkDuration(days=2, seconds=90).isoformat()) == WorkDuration(2, 90)
    assert WorkDuration(days=1) + parse_duration("PT4H") == WorkDuration(days=1, seconds=14400)
    with pytest.raises(WorktimeError) as caught:
        WorkDuration(days=-1)
    assert caught.value.code == "negative_duration"


# --- timeliness (Decision 766) --------------------------------------------------------

APPOINTMENT = at("2026-02-24 10:00")


@pytest.mark.parametrize(
    ("ended", "verdict"),
    [
        (at("2026-02-13 16:00"), "early"),
        (at("2026-02-23 17:30"), "early"),
        (datetime(2026, 2, 23, 16, 59, tzinfo=UTC), "early"),  # Mon 23:59 local
        (at("2026-02-24 07:45"), "on_time"),  # same date, before the time
        (at("2026-02-24 10:00"), "on_time"),
        (datetime(2026, 2, 23, 20, 0, tzinfo=UTC), "on_time"),  # Tue 03:00 local
        (at("2026-02-24 10:00:01"), "late"),  # same date, after the time
        (at("2026-02-24 16:00"), "late"),
        (at("2026-02-25 08:00"), "late"),
    ],
)
def test_timeliness(ended: datetime, verdict: str) -> None:
    assert timeliness(ended_at=ended, appointment=APPOINTMENT) == verdict


# --- refused inputs -------------------------------------------------------------------


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2025, 3, 12, 9, 0)  # noqa: DTZ001 - the point of the test
    calls = [
        lambda: due_at(start=naive, duration="P1D", calendar=DEFAULT),
        lambda: DEFAULT.position(naive),
        lambda: DEFAULT.is_working_time(naive),
        lambda: working_time_between(naive, at("2025-03-13 09:00"), DEFAULT),
        lambda: timeliness(ended_at=naive, appointment=APPOINTMENT),
        lambda: explain(start=naive, duration="P1D", calendar=DEFAULT),
    ]
    for call in calls:
        with pytest.raises(WorktimeError) as caught:
            call()
        assert caught.value.code == "naive_datetime"
        assert "múi giờ" in str(caught.value)


def test_out_of_range_is_refused() -> None:
    calls = [
        lambda: due_at(start=at("2019-12-31 09:00"), duration="P1D", calendar=DEFAULT),
        lambda: due_at(start=at("2040-12-28 09:00"), duration="P10D", calendar=DEFAULT),
        lambda: DEFAULT.is_working_day(date(2041, 1, 1)),
        lambda: DEFAULT.moment_at(-1),
        lambda: DEFAULT.position(datetime(2019, 12, 31, 16, 59, tzinfo=UTC)),
    ]
    for call in calls:
        with pytest.raises(WorktimeError) as caught:
            call()
        assert caught.value.code == "out_of_range"
    # 2020-01-01 00:00 +07:00 is still inside, even when written in UTC.
    assert DEFAULT.position(datetime(2019, 12, 31, 17, 0, tzinfo=UTC)) == 0


@pytest.mark.parametrize(
    "weekday_sessions",
    [
        [[]] * 7,
        list(DEFAULT_WEEKDAY_SESSIONS[:6]),
        week((time(8), time(12)), (time(11), time(17))),
        week((time(12), time(8))),
    ],
    ids=["no-working-day", "six-weekdays", "overlapping", "backwards"],
)
def test_invalid_calendars(weekday_sessions) -> None:
    with pytest.raises(WorktimeError) as caught:
        WorkingCalendar(weekday_sessions=weekday_sessions)
    assert caught.value.code == "invalid_calendar"


def test_invalid_day_rule() -> None:
    with pytest.raises(WorktimeError) as caught:
        DayRule(date(2025, 3, 13), "holiday", "?")  # type: ignore[arg-type]
    assert caught.value.code == "invalid_rule"

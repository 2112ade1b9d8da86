from django.core.management.base import BaseCommand, CommandError

from config.errors import DomainError
from procedures.selectors import centre_get
from workflows.api.common import parse_aware_datetime
from workflows.selectors.calendar import centre_calendar
from workflows.worktime import WorktimeError, explain

WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]


def _when(moment) -> str:
    return f"{moment:%H:%M} {WEEKDAYS[moment.weekday()]} {moment:%d/%m/%Y}"


class Command(BaseCommand):
    help = "Tính hạn trả kết quả theo thời gian làm việc của một trung tâm, kèm giải thích."

    def add_arguments(self, parser):
        parser.add_argument("--centre", required=True, help="Mã trung tâm, ví dụ 14797")
        parser.add_argument(
            "--start", required=True, help="ISO 8601 có múi giờ, ví dụ 2026-02-13T10:00:00+07:00"
        )
        parser.add_argument("--duration", required=True, help="ISO 8601: P3D, PT8H, P1DT4H")

    def handle(self, *args, centre: str, start: str, duration: str, **options):
        try:
            centre_obj = centre_get(code=centre)
            moment = parse_aware_datetime(start, field="start")
            explanation = explain(
                start=moment, duration=duration, calendar=centre_calendar(centre_obj)
            )
        except DomainError as e:
            raise CommandError(e.message) from None
        except WorktimeError as e:
            raise CommandError(str(e)) from None
        out = self.stdout.write
        out(f"Trung tâm: {centre_obj.code} {centre_obj.name}")
        out(f"Bắt đầu:   {_when(explanation.start)}")
        if explanation.effective_start != explanation.start:
            out(f"Bắt đầu tính từ: {_when(explanation.effective_start)} (ngoài giờ làm việc)")
        hours = explanation.duration_seconds / 3600
        out(f"Thời hạn:  {explanation.duration.isoformat()} ({hours:g} giờ làm việc)")
        out(f"Hạn:       {_when(explanation.due_at)}  [{explanation.due_at.isoformat()}]")
        if explanation.skipped_days:
            out("Ngày không tính:")
            for day in explanation.skipped_days:
                out(f"  {WEEKDAYS[day.date.weekday()]:<9} {day.date:%d/%m/%Y}  {day.reason}")
        if explanation.extra_working_days:
            out("Ngày làm việc bù được tính:")
            for day in explanation.extra_working_days:
                out(f"  {WEEKDAYS[day.date.weekday()]:<9} {day.date:%d/%m/%Y}  {day.reason}")

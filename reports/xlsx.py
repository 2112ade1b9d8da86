"""Excel files (openpyxl): the periodic report with the official template's
two-level merged header, Form 07, and any table of a page, with the same
figures the page shows."""

from __future__ import annotations

import io
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD = Font(bold=True)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(vertical="top", wrap_text=True)


def response(workbook: Workbook, filename: str) -> HttpResponse:
    buffer = io.BytesIO()
    workbook.save(buffer)
    r = HttpResponse(buffer.getvalue(), content_type=XLSX)
    r["Content-Disposition"] = f'attachment; filename="{filename}"'
    return r


def _title(ws, lines: list[str], width: int) -> int:
    for i, text in enumerate(lines, start=1):
        ws.cell(row=i, column=1, value=text).font = Font(bold=i == 1, size=13 if i == 1 else 11)
        ws.cell(row=i, column=1).alignment = Alignment(horizontal="center")
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=width)
    return len(lines) + 2


def _boxed(cell, *, head: bool = False) -> None:
    cell.border = _BOX
    if head:
        cell.font = _HEAD
        cell.alignment = _CENTER


def periodic_workbook(report: dict[str, Any], *, scope_name: str) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Báo cáo"
    width = 2 + len(report["columns"])
    period = report["period"]
    top = _title(
        ws,
        [
            report["title"],
            scope_name,
            f"Kỳ báo cáo: từ {period.start:%d/%m/%Y} đến {period.end:%d/%m/%Y}",
        ],
        width,
    )
    first, second = top, top + 1
    for col, text in ((1, "STT"), (2, report["heading"])):
        ws.cell(row=first, column=col, value=text)
        ws.merge_cells(start_row=first, start_column=col, end_row=second, end_column=col)
    col = 3
    for group, columns in report["header"]:
        ws.cell(row=first, column=col, value=group)
        ws.merge_cells(
            start_row=first, start_column=col, end_row=first, end_column=col + len(columns) - 1
        )
        for offset, (_, label) in enumerate(columns):
            ws.cell(row=second, column=col + offset, value=label)
        col += len(columns)
    ws.cell(row=first, column=col, value=report["other"][1])
    ws.merge_cells(start_row=first, start_column=col, end_row=second, end_column=col)
    for r in (first, second):
        for c in range(1, width + 1):
            _boxed(ws.cell(row=r, column=c), head=True)
    # the template's column numbers under the header: (1) (2) …
    numbers = second + 1
    for c in range(1, width + 1):
        _boxed(ws.cell(row=numbers, column=c, value=f"({c})"), head=True)
    row = numbers + 1
    for i, data in enumerate(report["rows"], start=1):
        values = [i, data["name"], *(data[k] for k in report["columns"])]
        for c, value in enumerate(values, start=1):
            _boxed(ws.cell(row=row, column=c, value=value))
        ws.cell(row=row, column=2).alignment = _WRAP
        row += 1
    values = ["", "Tổng cộng", *(report["total"][k] for k in report["columns"])]
    for c, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=c, value=value)
        _boxed(cell)
        cell.font = _HEAD
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 42
    for c in range(3, width + 1):
        ws.column_dimensions[get_column_letter(c)].width = 12
    ws.row_dimensions[second].height = 48
    ws.freeze_panes = ws.cell(row=numbers + 1, column=3)
    return wb


REGISTER_COLUMNS = [
    ("no", "STT", 5),
    ("code", "Mã hồ sơ", 22),
    ("matter", "Tên thủ tục hành chính", 34),
    ("sets", "Số lượng hồ sơ (bộ)", 9),
    ("applicant", "Tên cá nhân, tổ chức", 22),
    ("address", "Địa chỉ", 26),
    ("phone", "Số điện thoại", 13),
    ("agency", "Cơ quan chủ trì giải quyết", 24),
    ("received_at", "Ngày, giờ nhận hồ sơ", 17),
    ("appointment", "Ngày, giờ hẹn trả kết quả", 17),
    ("returned_at", "Ngày, giờ trả kết quả", 17),
    ("handed_over", "Người giao hồ sơ", 18),
    ("handed_to", "Người nhận hồ sơ", 18),
    ("returned_by", "Người trả kết quả", 18),
    ("returned_to", "Người nhận kết quả", 18),
    ("notes", "Ghi chú", 30),
]


def excel_time(value):
    """A moment (aware, or ISO text from ``local()``) as the naive local time
    Excel sorts and shows."""
    import datetime as dt

    from config.clock import LOCAL_TZ

    if not value:
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None)


def register_workbook(reg: dict[str, Any]) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Mẫu 07"
    width = len(REGISTER_COLUMNS)
    period = reg["period"]
    row = _title(
        ws,
        [
            "SỔ THEO DÕI HỒ SƠ",
            reg["centre"].name,
            f"Từ ngày {period.start:%d/%m/%Y} đến ngày {period.end:%d/%m/%Y}"
            + (f" (chỉ {reg['limit']} hồ sơ đầu trên {reg['total']})" if reg["truncated"] else ""),
        ],
        width,
    )
    for c, (_, label, w) in enumerate(REGISTER_COLUMNS, start=1):
        _boxed(ws.cell(row=row, column=c, value=label), head=True)
        ws.column_dimensions[get_column_letter(c)].width = w
    ws.row_dimensions[row].height = 45
    for data in reg["rows"]:
        row += 1
        for c, (key, _, _) in enumerate(REGISTER_COLUMNS, start=1):
            value = data[key]
            if key in ("received_at", "appointment", "returned_at"):
                value = excel_time(value)
            cell = ws.cell(row=row, column=c, value=value)
            _boxed(cell)
            cell.alignment = _WRAP
            if value is not None and key in ("received_at", "appointment", "returned_at"):
                cell.number_format = "hh:mm dd/mm/yyyy"
    ws.freeze_panes = ws.cell(row=5 + 1, column=3)
    return wb


def table_workbook(title: str, subtitle: str, headers: list[str], rows: list[list]) -> Workbook:
    """Any page's table, as shown."""
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31].replace("/", "-")
    row = _title(ws, [title, subtitle], max(1, len(headers)))
    for c, label in enumerate(headers, start=1):
        _boxed(ws.cell(row=row, column=c, value=label), head=True)
        ws.column_dimensions[get_column_letter(c)].width = max(10, min(40, len(label) + 4))
    for values in rows:
        row += 1
        for c, value in enumerate(values, start=1):
            _boxed(ws.cell(row=row, column=c, value=value))
    return wb

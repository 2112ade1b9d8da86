"""Moments as the statutory forms write them, always in Asia/Ho_Chi_Minh:
``08 giờ 00 phút, ngày 09/12/2026`` (``slip_time``), ``08:00 09/12/2026``
(``vn_datetime``) and ``09/12/2026`` (``vn_date``). Aware datetimes or the
ISO strings of the API's shapes; nothing in, nothing out."""

from __future__ import annotations

import datetime as dt

from django import template

from config.clock import LOCAL_TZ

register = template.Library()


def _local(value) -> dt.datetime | None:
    if not value:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        return None
    return value.astimezone(LOCAL_TZ)


@register.filter
def slip_time(value) -> str:
    moment = _local(value)
    return f"{moment:%H} giờ {moment:%M} phút, ngày {moment:%d/%m/%Y}" if moment else ""


@register.filter
def vn_datetime(value) -> str:
    moment = _local(value)
    return f"{moment:%H:%M %d/%m/%Y}" if moment else ""


@register.filter
def vn_date(value) -> str:
    moment = _local(value)
    return f"{moment:%d/%m/%Y}" if moment else ""

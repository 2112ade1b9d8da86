"""Presentation filters for the officers' pages: Vietnam time, working time."""

from __future__ import annotations

import datetime as dt
import re

from django import template

from config.clock import LOCAL_TZ

register = template.Library()


@register.filter
def vn_time(value) -> str:
    """An ISO string or datetime → ``14:02 02/12/2026`` in Vietnam time; ``–`` if empty."""
    if not value:
        return "–"
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return value.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


@register.filter
def work_hours(seconds) -> str:
    """Working seconds → ``2 ngày 3 giờ 15 phút`` (a working day is 8 hours)."""
    if seconds is None or seconds == "":
        return "–"
    seconds = int(seconds)
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 8 * 3600)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days} ngày")
    if hours:
        parts.append(f"{hours} giờ")
    if minutes or not parts:
        parts.append(f"{minutes} phút")
    return sign + " ".join(parts)


@register.filter
def vn_date(value) -> str:
    """``2025-07-01`` (or a date) → ``01/07/2025``."""
    if not value:
        return "–"
    try:
        value = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return value.strftime("%d/%m/%Y")


_ISO_LIMIT = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?)?$")


@register.filter
def time_limit(value) -> str:
    """A procedure's legal time limit, ``P7D`` → ``7 ngày làm việc``."""
    match = _ISO_LIMIT.match(str(value or ""))
    if not match or not any(match.groups()):
        return str(value or "–")
    days, hours = match.groups()
    parts = [f"{days} ngày" if days else "", f"{hours} giờ" if hours else ""]
    return " ".join(p for p in parts if p) + " làm việc"

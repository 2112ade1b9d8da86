"""A centre's working calendar, assembled from the database.

The arithmetic itself (``workflows.worktime``) is pure; this module only
gathers its inputs: the centre's office hours, its Saturday-morning reception,
and the overrides of the nation, its province and itself, in that order of
precedence. Built calendars are cached in-process, keyed by everything they
depend on, so a changed override or office hours produce a new calendar.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from threading import Lock

from django.db.models import Q

from procedures.models import ServiceCentre
from procedures.selectors import scope_centre_ids, scope_province_ids
from procedures.services import parse_sessions
from workflows.models import CalendarOverride, OverrideScope
from workflows.worktime import DayRule, WorkingCalendar

_SCOPE_ORDER = {OverrideScope.NATION: 0, OverrideScope.PROVINCE: 1, OverrideScope.CENTRE: 2}
_CACHE: OrderedDict[tuple, WorkingCalendar] = OrderedDict()
_CACHE_SIZE = 256
_LOCK = Lock()


def overrides_for(centre: ServiceCentre) -> list[CalendarOverride]:
    """The overrides that apply to a centre, lowest precedence first."""
    rows = CalendarOverride.objects.filter(
        Q(scope=OverrideScope.NATION)
        | Q(scope=OverrideScope.PROVINCE, province_id=centre.commune.province_id)
        | Q(scope=OverrideScope.CENTRE, centre_id=centre.pk)
    )
    return sorted(rows, key=lambda o: (_SCOPE_ORDER[o.scope], o.date, o.pk))


def overrides_visible_filter(user) -> Q | None:
    """The overrides that concern the user's scope: the nation's, their
    centres' provinces', their centres'. ``None``: all (the superuser)."""
    centre_ids = scope_centre_ids(user)
    if centre_ids is None:
        return None
    provinces = set(
        ServiceCentre.objects.filter(pk__in=centre_ids).values_list(
            "commune__province_id", flat=True
        )
    )
    provinces |= set(scope_province_ids(user) or ())
    return (
        Q(scope=OverrideScope.NATION)
        | Q(scope=OverrideScope.PROVINCE, province_id__in=sorted(provinces))
        | Q(scope=OverrideScope.CENTRE, centre_id__in=sorted(centre_ids))
    )


def override_visible(user, override: CalendarOverride) -> bool:
    condition = overrides_visible_filter(user)
    return condition is None or CalendarOverride.objects.filter(condition, pk=override.pk).exists()


def overrides_list(
    *,
    user=None,
    year: int | None = None,
    scope: str | None = None,
    centre: str | None = None,
    province: str | None = None,
):
    """Overrides for display, in date order, optionally filtered."""
    qs = CalendarOverride.objects.select_related("centre", "created_by").order_by("date", "pk")
    condition = overrides_visible_filter(user)
    if condition is not None:
        qs = qs.filter(condition)
    if year:
        qs = qs.filter(date__year=year)
    if scope:
        qs = qs.filter(scope=scope)
    if centre:
        qs = qs.filter(centre__code=centre)
    if province:
        qs = qs.filter(province_id=f"{province:0>2}")
    return qs


def calendar_inputs(centre: ServiceCentre, overrides: list[CalendarOverride]) -> dict:
    return {
        "weekday_sessions": [parse_sessions(day) for day in _seven(centre.office_hours)],
        "reception_sessions": (
            {5: parse_sessions(centre.saturday_reception_hours)}
            if centre.saturday_reception
            else {}
        ),
        "overrides": [DayRule(day=o.date, kind=o.kind, reason=o.reason) for o in overrides],
    }


def _seven(office_hours: list) -> list:
    days = list(office_hours)[:7]
    return days + [[] for _ in range(7 - len(days))]


def centre_calendar(
    centre: ServiceCentre, *, overrides: list[CalendarOverride] | None = None
) -> WorkingCalendar:
    """The working calendar of a centre (one query for its overrides)."""
    if overrides is None:
        overrides = overrides_for(centre)
    key = (
        centre.pk,
        json.dumps(centre.office_hours),
        centre.saturday_reception,
        json.dumps(centre.saturday_reception_hours),
        tuple((o.date, o.kind, o.reason) for o in overrides),
    )
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    calendar = WorkingCalendar(label=centre.code, **calendar_inputs(centre, overrides))
    with _LOCK:
        _CACHE[key] = calendar
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return calendar


def calendar_with_override(
    centre: ServiceCentre, *, extra: CalendarOverride, without: int | None = None
) -> WorkingCalendar:
    """The centre's calendar as it would be with ``extra`` added (and the
    override ``without`` removed): used to check an override before saving."""
    overrides = [o for o in overrides_for(centre) if o.pk != without and not _same_slot(o, extra)]
    overrides.append(extra)
    overrides.sort(key=lambda o: (_SCOPE_ORDER[o.scope], o.date))
    return WorkingCalendar(label=centre.code, **calendar_inputs(centre, overrides))


def _same_slot(a: CalendarOverride, b: CalendarOverride) -> bool:
    return (a.date, a.scope, a.province_id, a.centre_id) == (
        b.date,
        b.scope,
        b.province_id,
        b.centre_id,
    )


def centres_in_scope(
    *, scope: str, province_id: str | None, centre_id: int | None
) -> list[ServiceCentre]:
    qs = ServiceCentre.objects.select_related("commune")
    if scope == OverrideScope.PROVINCE:
        qs = qs.filter(commune__province_id=province_id)
    elif scope == OverrideScope.CENTRE:
        qs = qs.filter(pk=centre_id)
    return list(qs)

"""Calendar overrides: who may change the working calendar, the guard against
weeks without working time, and the recomputation of open due times."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from config.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from procedures.models import Province, Role, ServiceCentre
from procedures.selectors import (
    officer_of,
    scope_centre_ids,
    scope_province_ids,
    sees_everything,
)
from workflows.models import CalendarOverride, OverrideKind, OverrideScope
from workflows.selectors.calendar import (
    calendar_inputs,
    calendar_with_override,
    centre_calendar,
    centres_in_scope,
    override_visible,
    overrides_for,
)
from workflows.services.deadlines import clocks_recalculate

MIN_YEAR, MAX_YEAR = 2020, 2040


@dataclass(frozen=True)
class OverrideResult:
    override: CalendarOverride | None
    centres: int
    moved_due_times: int


def _may_change(
    actor, *, scope: str, centre: ServiceCentre | None, province: str | None = None
) -> None:
    """Managers and administrators change the calendar of the centres in their
    scope; a province-level scope also its province's; the nation's is the
    superuser's alone."""
    if sees_everything(actor):
        return
    officer = officer_of(actor)
    if officer is None or officer.role not in (Role.MANAGER, Role.ADMINISTRATOR):
        raise PermissionDenied(
            "Chỉ quản lý và quản trị hệ thống được điều chỉnh lịch làm việc.",
            code="permission_denied",
        )
    if scope == OverrideScope.CENTRE and centre is not None:
        if centre.pk not in scope_centre_ids(actor):
            raise PermissionDenied(
                f"Bạn không làm việc tại trung tâm {centre.code}.", code="permission_denied"
            )
        return
    if scope == OverrideScope.PROVINCE and province:
        if province not in scope_province_ids(actor):
            raise PermissionDenied(
                "Chỉ cán bộ có phạm vi cấp tỉnh của tỉnh này được điều chỉnh lịch cấp tỉnh.",
                code="permission_denied",
            )
        return
    raise PermissionDenied(
        "Lịch toàn quốc chỉ do quản trị viên cấp cao nhất điều chỉnh; quản lý và quản trị "
        "trung tâm điều chỉnh lịch của trung tâm mình.",
        code="permission_denied",
    )


def _weeks_emptied(
    centres: list[ServiceCentre], override: CalendarOverride, without: int | None = None
) -> tuple[ServiceCentre, dt.date] | None:
    """A centre and the first day of a 7-day window around the date that had
    working time before the change and has none after it, if any."""
    seen: set[str] = set()
    for centre in centres:
        key = repr(calendar_inputs(centre, overrides_for(centre)))
        if key in seen:
            continue
        seen.add(key)
        before = centre_calendar(centre)
        after = calendar_with_override(centre, extra=override, without=without)
        for offset in range(7):
            first = override.date - dt.timedelta(days=6 - offset)
            days = [first + dt.timedelta(days=i) for i in range(7)]
            try:
                had = any(before.is_working_day(d) for d in days)
                has = any(after.is_working_day(d) for d in days)
            except ValueError:
                continue
            if had and not has:
                return centre, first
    return None


def calendar_override_check(
    *,
    actor,
    at: dt.datetime,
    date: dt.date,
    kind: str,
    scope: str,
    reason: str,
    province: str | None = None,
    centre: str | None = None,
    confirm: bool = False,
) -> tuple[CalendarOverride, list[ServiceCentre]]:
    """Every check of ``calendar_override_create``, writing nothing: returns
    the unsaved override and the centres it applies to."""
    fields: dict[str, list[dict[str, str]]] = {}

    def bad(name: str, message: str, code: str = "invalid") -> None:
        fields.setdefault(name, []).append({"code": code, "message": message})

    if kind not in OverrideKind.values:
        bad("kind", "Loại phải là 'day_off' (ngày nghỉ) hoặc 'working_day' (ngày làm việc).")
    if scope not in OverrideScope.values:
        bad("scope", "Phạm vi phải là 'nation', 'province' hoặc 'centre'.")
    if not MIN_YEAR <= date.year <= MAX_YEAR:
        bad("date", f"Ngày phải trong khoảng năm {MIN_YEAR}–{MAX_YEAR}.", "out_of_range")
    reason = (reason or "").strip()
    if not reason:
        bad("reason", "Cần ghi lý do điều chỉnh lịch.", "required")
    elif len(reason) > 300:
        bad("reason", "Lý do tối đa 300 ký tự.", "max_length")
    province_obj = centre_obj = None
    if scope == OverrideScope.PROVINCE:
        if not province:
            bad("province", "Phạm vi tỉnh cần mã tỉnh.", "required")
        else:
            province_obj = Province.objects.filter(code=f"{province:0>2}").first()
            if province_obj is None:
                bad("province", f"Không có tỉnh mã {province}.", "unknown_province")
    if scope == OverrideScope.CENTRE:
        if not centre:
            bad("centre", "Phạm vi trung tâm cần mã trung tâm.", "required")
        else:
            centre_obj = ServiceCentre.objects.select_related("commune").filter(code=centre).first()
            if centre_obj is None:
                bad("centre", f"Không có trung tâm mã {centre}.", "unknown_centre")
    if scope == OverrideScope.NATION and (province or centre):
        bad("scope", "Phạm vi toàn quốc không kèm tỉnh hay trung tâm.")
    if scope == OverrideScope.PROVINCE and centre:
        bad("centre", "Phạm vi tỉnh không kèm trung tâm.")
    if scope == OverrideScope.CENTRE and province:
        bad("province", "Phạm vi trung tâm không kèm tỉnh.")
    if fields:
        first = next(iter(fields.values()))[0]["message"]
        raise ValidationFailed(first, fields=fields)

    _may_change(
        actor, scope=scope, centre=centre_obj, province=province_obj.pk if province_obj else None
    )
    if CalendarOverride.objects.filter(
        date=date, scope=scope, province=province_obj, centre=centre_obj
    ).exists():
        raise Conflict(
            f"Ngày {date:%d/%m/%Y} đã có điều chỉnh lịch cho phạm vi này; hãy hủy điều chỉnh cũ "
            "trước.",
            code="override_exists",
        )

    override = CalendarOverride(
        date=date,
        kind=kind,
        scope=scope,
        province=province_obj,
        centre=centre_obj,
        reason=reason,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=at,
    )
    centres = centres_in_scope(
        scope=scope,
        province_id=province_obj.pk if province_obj else None,
        centre_id=centre_obj.pk if centre_obj else None,
    )
    if kind == OverrideKind.DAY_OFF and not confirm:
        emptied = _weeks_emptied(centres, override)
        if emptied:
            where, first = emptied
            last = first + dt.timedelta(days=6)
            raise ValidationFailed(
                f"Điều chỉnh này làm trung tâm {where.code} không có ngày làm việc nào từ "
                f"{first:%d/%m/%Y} đến {last:%d/%m/%Y}. Nếu đúng ý, gửi lại với "
                '"confirm": true.',
                code="week_without_working_time",
                field="confirm",
            )
    return override, centres


def calendar_override_create(
    *,
    actor,
    at: dt.datetime,
    date: dt.date,
    kind: str,
    scope: str,
    reason: str,
    province: str | None = None,
    centre: str | None = None,
    confirm: bool = False,
) -> OverrideResult:
    """Make ``date`` a day off or a working day for the nation, a province or
    a centre; then recompute the open due times it moves, recording why."""
    override, centres = calendar_override_check(
        actor=actor,
        at=at,
        date=date,
        kind=kind,
        scope=scope,
        reason=reason,
        province=province,
        centre=centre,
        confirm=confirm,
    )
    reason = override.reason
    try:
        with transaction.atomic():
            override.save()
            moved = clocks_recalculate(
                centres=centres,
                reason=f"Điều chỉnh lịch ngày {date:%d/%m/%Y}: {reason}",
                at=at,
            )
    except IntegrityError:
        raise Conflict(
            f"Ngày {date:%d/%m/%Y} đã có điều chỉnh lịch cho phạm vi này; hãy xóa điều chỉnh cũ "
            "trước.",
            code="override_exists",
        ) from None
    return OverrideResult(override=override, centres=len(centres), moved_due_times=moved)


def calendar_override_delete(*, actor, at: dt.datetime, override_id: int) -> OverrideResult:
    override = (
        CalendarOverride.objects.select_related("centre__commune", "province")
        .filter(pk=override_id)
        .first()
    )
    if override is None or not override_visible(actor, override):
        raise NotFound(f"Không có điều chỉnh lịch số {override_id}.", code="unknown_override")
    _may_change(actor, scope=override.scope, centre=override.centre, province=override.province_id)
    centres = centres_in_scope(
        scope=override.scope, province_id=override.province_id, centre_id=override.centre_id
    )
    with transaction.atomic():
        CalendarOverride.objects.filter(pk=override.pk).delete()
        moved = clocks_recalculate(
            centres=centres,
            reason=f"Hủy điều chỉnh lịch ngày {override.date:%d/%m/%Y}: {override.reason}",
            at=at,
        )
    return OverrideResult(override=None, centres=len(centres), moved_due_times=moved)

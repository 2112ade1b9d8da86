"""The deadline sweep: escalate before anything goes late.

``deadlines_sweep(now=…)`` finds what is due through indexed columns only
(``Clock.alarm_at``, ``Handover.unclaimed_alarm_at``, the open supplement
requests' ``deadline``), so its cost follows what is due, not how many
dossiers are open. Each rung fires once per dossier or step: the flags on the
row and a unique ``Escalation`` row make a second sweep — or a second sweeper
running at the same moment — a no-op. Rows are taken with
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent sweepers
share the work instead of queueing on it.

The flow uses no viewflow timer nodes, so there are no viewflow timers to fire.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from config.clock import LOCAL_TZ
from config.errors import DomainError
from notifications.services import Recipient, notify
from procedures.models import Officer, Role
from workflows.models import (
    Clock,
    ClockKind,
    Dossier,
    Escalation,
    Handover,
    Rung,
    SupplementRequest,
)
from workflows.services.deadlines import next_alarm
from workflows.services.endings import dossier_close

log = logging.getLogger(__name__)
BATCH = 200


def _when(moment: dt.datetime | None) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y") if moment else ""


@dataclass
class _Run:
    """One sweep: its moment, what it fired, and the recipients it looked up
    (an agency's leaders and a centre's managers are read once per sweep,
    not once per due item)."""

    now: dt.datetime
    counts: Counter = field(default_factory=Counter)
    _people: dict[tuple[str, int], list[Recipient]] = field(default_factory=dict)

    def leaders(self, agency_id: int) -> list[Recipient]:
        return self._lookup(
            ("leaders", agency_id),
            Officer.objects.filter(role=Role.APPROVER, unit__agency_id=agency_id),
        )

    def managers(self, centre_id: int) -> list[Recipient]:
        return self._lookup(
            ("managers", centre_id),
            Officer.objects.filter(role=Role.MANAGER, centres=centre_id),
        )

    def _lookup(self, key: tuple[str, int], officers) -> list[Recipient]:
        if key not in self._people:
            ids = officers.filter(user__is_active=True).values_list("user_id", flat=True)
            self._people[key] = [Recipient(kind="officer", user_id=i) for i in ids]
        return list(self._people[key])


def _fire(
    *,
    rung: str,
    dossier: Dossier,
    handover: Handover | None,
    at: dt.datetime,
    recipients: list[Recipient],
    title: str,
    body: str,
    due_at: dt.datetime | None = None,
) -> bool:
    """Record the rung (once) and notify; False if it had already fired.
    ``due_at``: the deadline a warning is about (the warning stops mattering
    then: ``notifications.lifetimes``)."""
    described = [{k: v for k, v in r.__dict__.items() if v not in (None, "")} for r in recipients]
    try:
        with transaction.atomic():
            Escalation.objects.create(
                rung=rung, dossier=dossier, handover=handover, fired_at=at, recipients=described
            )
    except IntegrityError:
        return False
    if recipients:
        notify(
            recipients=recipients,
            kind=f"escalation.{rung}",
            title=title,
            body=body,
            dossier=dossier.code,
            data={
                "rung": rung,
                "status": dossier.status,
                **({"due_at": due_at.isoformat()} if due_at else {}),
            },
            centre_id=dossier.centre_id,
            at=at,
        )
    return True


def _clock_alarms(run: _Run) -> int:
    now = run.now
    with transaction.atomic():
        clocks = list(
            Clock.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(alarm_at__lte=now)
            .order_by("alarm_at")[:BATCH]
        )
        if not clocks:
            return 0
        ids = [c.pk for c in clocks]
        dossiers = {
            d.clock_id: d
            for d in Dossier.objects.filter(clock_id__in=ids).select_related("procedure")
        }
        handovers = {
            h.clock_id: h
            for h in Handover.objects.filter(clock_id__in=ids).select_related(
                "dossier__procedure", "to_unit"
            )
        }
        for clock in clocks:
            owner = (
                handovers.get(clock.pk) if clock.kind == ClockKind.STEP else dossiers.get(clock.pk)
            )
            if owner is None:  # an orphan clock: silence it rather than loop on it
                clock.warn_fired = clock.due_fired = True
            elif clock.kind == ClockKind.STEP:
                _step_alarm(clock, owner, run)
            else:
                _dossier_alarm(clock, owner, run)
            clock.alarm_at = next_alarm(clock)
            clock.save(update_fields=["warn_fired", "due_fired", "alarm_at"])
    return len(clocks)


def _step_alarm(clock: Clock, handover: Handover, run: _Run) -> None:
    now, counts = run.now, run.counts
    dossier = handover.dossier
    policy = dossier.policy or {}
    holder = (
        [Recipient(kind="officer", user_id=handover.to_officer_id)]
        if (handover.to_officer_id)
        else [Recipient(kind="unit", unit_id=handover.to_unit_id)]
    )
    if clock.warn_at and not clock.warn_fired and clock.warn_at <= now:
        clock.warn_fired = True
        if policy.get("notify_step_warning", True) and _fire(
            rung=Rung.STEP_WARNING,
            dossier=dossier,
            handover=handover,
            at=now,
            recipients=holder,
            title=f"Bước «{handover.step_name}» của hồ sơ {dossier.code} sắp hết thời gian",
            body=f"Đã dùng {policy.get('step_warning_percent', 75)}% thời gian của bước; "
            f"hạn của bước: {_when(clock.due_at)}.",
            due_at=clock.due_at,
        ):
            counts[Rung.STEP_WARNING] += 1
    if clock.due_at and not clock.due_fired and clock.due_at <= now:
        clock.due_fired = True
        if policy.get("notify_step_overdue", True) and _fire(
            rung=Rung.STEP_OVERDUE,
            dossier=dossier,
            handover=handover,
            at=now,
            recipients=holder + run.leaders(handover.to_unit.agency_id),
            title=f"Bước «{handover.step_name}» của hồ sơ {dossier.code} đã quá hạn",
            body=f"Hạn của bước: {_when(clock.due_at)}; bộ phận: {handover.to_unit.name}.",
        ):
            counts[Rung.STEP_OVERDUE] += 1


def _dossier_alarm(clock: Clock, dossier: Dossier, run: _Run) -> None:
    now, counts = run.now, run.counts
    policy = dossier.policy or {}
    if clock.warn_at and not clock.warn_fired and clock.warn_at <= now:
        clock.warn_fired = True
        if policy.get("notify_apology_due", True) and not clock.extended:
            desk = (
                [Recipient(kind="officer", user_id=dossier.received_by_id)]
                if dossier.received_by_id
                else [Recipient(kind="unit", unit_id=dossier.reception_unit_id)]
            )
            if _fire(
                rung=Rung.APOLOGY_DUE,
                dossier=dossier,
                handover=None,
                at=now,
                recipients=desk + run.leaders(dossier.agency_id),
                title=f"Hồ sơ {dossier.code} sắp đến hạn: cần văn bản xin lỗi và hẹn lại",
                body=f"{dossier.procedure.name}. Hạn trả kết quả: {_when(clock.due_at)}. "
                "Nếu không kịp, ban hành văn bản xin lỗi và hẹn lại trước hạn ít nhất "
                "1 ngày làm việc (Nghị định 118/2025).",
                due_at=clock.due_at,
            ):
                counts[Rung.APOLOGY_DUE] += 1
    if clock.due_at and not clock.due_fired and clock.due_at <= now:
        clock.due_fired = True
        if policy.get("notify_dossier_overdue", True) and _fire(
            rung=Rung.DOSSIER_OVERDUE,
            dossier=dossier,
            handover=None,
            at=now,
            recipients=run.managers(dossier.centre_id),
            title=f"Hồ sơ {dossier.code} đã quá hạn",
            body=f"{dossier.procedure.name}. Hạn trả kết quả: {_when(clock.due_at)}.",
        ):
            counts[Rung.DOSSIER_OVERDUE] += 1


def _unclaimed(run: _Run) -> int:
    now, counts = run.now, run.counts
    with transaction.atomic():
        rows = list(
            Handover.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(unclaimed_alarm_at__lte=now)
            .select_related("dossier", "to_unit")
            .order_by("unclaimed_alarm_at")[:BATCH]
        )
        for handover in rows:
            handover.unclaimed_alarm_at = None
            handover.save(update_fields=["unclaimed_alarm_at"])
            if handover.to_officer_id or handover.completed_at:
                continue
            dossier = handover.dossier
            if (dossier.policy or {}).get("notify_unclaimed", True) and _fire(
                rung=Rung.UNCLAIMED,
                dossier=dossier,
                handover=handover,
                at=now,
                recipients=run.leaders(handover.to_unit.agency_id),
                title=f"Hồ sơ {dossier.code} chưa có ai nhận xử lý",
                body=f"Bước «{handover.step_name}» đã chờ trong hàng của "
                f"{handover.to_unit.name} từ {_when(handover.handed_at)}. Đề nghị phân công.",
            ):
                counts[Rung.UNCLAIMED] += 1
    return len(rows)


def _expired_supplements(run: _Run) -> int:
    now, counts = run.now, run.counts
    codes = list(
        SupplementRequest.objects.filter(
            deadline__lte=now, completed_at__isnull=True, closed_at__isnull=True
        )
        .order_by("deadline")
        .values_list("dossier__code", "dossier__policy")[:BATCH]
    )
    for code, policy in codes:
        if not (policy or {}).get("close_unsupplemented", True):
            continue
        try:
            dossier = dossier_close(actor=None, code=code, at=now)
        except DomainError:
            continue  # another sweeper, or the citizen, got there first
        with transaction.atomic():
            _fire(
                rung=Rung.SUPPLEMENT_EXPIRED,
                dossier=dossier,
                handover=None,
                at=now,
                recipients=[],
                title="",
                body="",
            )
        counts[Rung.SUPPLEMENT_EXPIRED] += 1
    return len(codes)


def deadlines_sweep(*, now: dt.datetime) -> dict[str, int]:
    """One pass over everything due at ``now``. Idempotent."""
    run = _Run(now=now)
    counts = run.counts
    scanned = 0
    while True:
        taken = _clock_alarms(run)
        scanned += taken
        if taken < BATCH:
            break
    while True:
        taken = _unclaimed(run)
        scanned += taken
        if taken < BATCH:
            break
    scanned += _expired_supplements(run)
    result = {rung.value: counts.get(rung, 0) for rung in Rung}
    result["scanned"] = scanned
    return result

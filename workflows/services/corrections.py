"""Correcting a wrong end time: a new, reasoned history event by an
authorised person — never a silent rewrite (issue 10, "no rewriting the past").

Only a centre's manager or administrator (or the superuser) may correct the
moment processing ended, with a reason; the new moment must lie between the
last clock event before the end and now (and not after the result was
returned), so that the ledger's reading of the waiting stays what it was.
The correction is an ``end_corrected`` event holding the old and new time and
verdicts; the dossier's verdicts follow the corrected time, the per-day counts
move from the old day and verdict to the new ones in the same transaction,
and ``Dossier.corrections`` counts it so that reports can flag it. The
clock's ledger keeps what was recorded at the time.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from config.clock import now
from config.errors import Conflict, PermissionDenied, ValidationFailed
from procedures.models import Role
from procedures.selectors import officer_of, scope_centre_ids, sees_everything
from workflows.models import ClockEvent, Dossier, Rating
from workflows.services.common import lock_dossier, save_dossier
from workflows.services.history import history_append

MIN_REASON = 10


def may_correct(user, dossier: Dossier) -> bool:
    if sees_everything(user):
        return True
    officer = officer_of(user)
    if officer is None or officer.role not in (Role.MANAGER, Role.ADMINISTRATOR):
        return False
    ids = scope_centre_ids(user)
    return ids is None or dossier.centre_id in ids


def dossier_correct_end(*, actor, code: str, ended_at: dt.datetime, reason: str) -> Dossier:
    from reports import counters
    from workflows.worktime import timeliness

    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationFailed(
            f"Hãy ghi lý do sửa (ít nhất {MIN_REASON} ký tự).",
            code="reason_required",
            field="reason",
        )
    if ended_at is None or ended_at.tzinfo is None:
        raise ValidationFailed(
            "Thời điểm phải có múi giờ (ví dụ 2026-12-01T10:00:00+07:00).",
            code="invalid_datetime",
            field="ended_at",
        )
    at = now()
    with transaction.atomic():
        dossier = lock_dossier(code, actor=actor)
        if not may_correct(actor, dossier):
            raise PermissionDenied(
                "Chỉ quản lý hoặc quản trị của trung tâm được sửa thời điểm kết thúc xử lý.",
                code="correction_forbidden",
            )
        if dossier.ended_at is None or dossier.received_at is None:
            raise Conflict("Hồ sơ chưa kết thúc xử lý.", code="not_ended")
        clock = dossier.clock
        earliest = dossier.received_at
        paused_at_end = False
        if clock is not None:
            before_end = (
                ClockEvent.objects.filter(clock=clock)
                .exclude(kind="end")
                .order_by("-seq")
                .values_list("at", "kind")
                .first()
            )
            if before_end is not None:
                earliest = max(earliest, before_end[0])
                paused_at_end = before_end[1] == "pause"
        latest = min(at, dossier.returned_at) if dossier.returned_at else at
        if not earliest <= ended_at <= latest:
            raise ValidationFailed(
                "Thời điểm kết thúc phải sau sự kiện thời hạn cuối cùng trước khi kết thúc, "
                "không sau lúc trả kết quả và không ở tương lai.",
                code="correction_out_of_range",
                field="ended_at",
            )
        if ended_at == dossier.ended_at:
            raise ValidationFailed(
                "Thời điểm mới trùng thời điểm đã ghi.", code="unchanged", field="ended_at"
            )
        score = Rating.objects.filter(dossier=dossier).values_list("score", flat=True).first()
        twice = counters.requests_of(dossier.pk) >= 2

        def rows(sign: int):
            out = [counters.ended_row(dossier, second_request=twice)]
            duration = counters.duration_row(dossier)
            if duration is not None:
                out.append(duration)
            if score:
                out.append(counters.rating_row(dossier, score))
            corrected = counters.corrected_row(dossier)
            if corrected is not None:
                out.append(corrected)
            return [(key, tuple(sign * v for v in values)) for key, values in out]

        old = {
            "ended_at": dossier.ended_at,
            "timeliness": dossier.timeliness,
            "verdict_766": dossier.verdict_766,
        }
        counters.add(rows(-1))
        dossier.ended_at = ended_at
        # a clock paused for the citizen at the end is judged by the time used
        # before the pause (``verdict_at``), which the new moment does not change
        appointment = clock.appointment_due_at if clock is not None else None
        if appointment is not None and dossier.timeliness and not paused_at_end:
            dossier.timeliness = timeliness(ended_at=ended_at, appointment=appointment)
        from workflows.services.outcomes import record_outcome

        record_outcome(dossier)
        dossier.corrections += 1
        counters.add(rows(+1))
        history_append(
            dossier=dossier,
            kind="end_corrected",
            at=at,
            actor=actor,
            data={
                "reason": reason[:1000],
                "old_ended_at": old["ended_at"],
                "new_ended_at": ended_at,
                "timeliness": [old["timeliness"], dossier.timeliness],
                "verdict_766": [old["verdict_766"], dossier.verdict_766],
            },
        )
        save_dossier(dossier)
    return dossier

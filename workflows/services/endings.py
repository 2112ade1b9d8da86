"""The apology and new appointment, refusal, withdrawal, closing, and rating."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from config.clock import now
from config.errors import Conflict, ValidationFailed
from workflows.flows import DossierFlow
from workflows.models import (
    Dossier,
    DossierStatus,
    Extension,
    Rating,
    RatingScore,
)
from workflows.selectors.calendar import centre_calendar
from workflows.services.common import (
    end_clock,
    in_agency,
    invalid_transition,
    is_manager_at,
    is_receiver_at,
    is_super,
    lock_dossier,
    open_supplement_request,
    require,
    save_dossier,
    transition,
)
from workflows.services.deadlines import clock_append, clock_fold
from workflows.services.handovers import handover_complete
from workflows.services.history import history_append
from workflows.services.publish import publish
from workflows.worktime import working_time_between


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(f"Cần ghi lý do {what}.", code="required", field="reason")
    if len(reason) > 1000:
        raise ValidationFailed("Lý do tối đa 1.000 ký tự.", code="max_length", field="reason")
    return reason


def dossier_extend(*, actor, code: str, reason: str, new_due_at: dt.datetime) -> Dossier:
    """The agency apologises and sets the one new appointment (Art. 19(6))."""
    at = now()
    reason = _reason(reason, "xin lỗi và hẹn lại")
    if new_due_at.tzinfo is None:
        raise ValidationFailed(
            "Thời hạn mới phải kèm múi giờ.", code="naive_datetime", field="new_due_at"
        )
    with transaction.atomic():
        dossier = lock_dossier(code, actor=actor)
        require(
            is_super(actor)
            or in_agency(actor, dossier)
            or is_manager_at(actor, dossier.centre)
            or is_receiver_at(actor, dossier.centre),
            "Chỉ cơ quan giải quyết, bộ phận một cửa hoặc quản lý trung tâm được hẹn lại.",
        )
        if dossier.clock is not None and dossier.clock.extended:
            raise Conflict(
                "Hồ sơ đã được hẹn lại một lần; chỉ được hẹn lại một lần.",
                code="already_extended",
            )
        transition(dossier, "extend")
        clock = dossier.clock
        if clock is None:
            raise invalid_transition(dossier, "Hồ sơ chưa bắt đầu tính thời gian giải quyết.")
        calendar = centre_calendar(dossier.centre)
        before = clock_fold(clock, calendar=calendar, as_of=at)
        previous_due = before.due_at or before.appointment_due_at
        if previous_due is not None and new_due_at <= previous_due:
            raise ValidationFailed(
                f"Thời hạn mới phải sau thời hạn hiện tại ({previous_due.isoformat()}).",
                code="extension_not_later",
                field="new_due_at",
            )
        timely = (
            previous_due is not None
            and working_time_between(at, previous_due, calendar) >= calendar.day_seconds
        )
        try:
            state = clock_append(
                clock=clock,
                kind="extend",
                at=at,
                actor=actor,
                reason=reason,
                new_due_at=new_due_at,
                calendar=calendar,
            )
        except Conflict as e:
            if e.code == "extension_not_later":
                raise ValidationFailed(e.message, code=e.code, field="new_due_at") from None
            raise
        Extension.objects.create(
            dossier=dossier,
            reason=reason,
            previous_due_at=previous_due or at,
            new_due_at=new_due_at,
            requested_at=at,
            requested_by=actor if getattr(actor, "is_authenticated", False) else None,
            timely=timely,
        )
        history_append(
            dossier=dossier,
            kind="extended",
            at=at,
            actor=actor,
            data={
                "reason": reason,
                "previous_due_at": previous_due,
                "new_due_at": new_due_at,
                "effective_due_at": state.due_at,
                "timely": timely,
            },
        )
        save_dossier(dossier)
        publish(dossier, "extended", at=at, reason=reason, new_due_at=state.due_at)
    return dossier


def _stop(dossier: Dossier, *, at: dt.datetime, actor, note: str) -> str:
    """End the clocks, close the current row and cancel the open tasks."""
    calendar = centre_calendar(dossier.centre)
    verdict = end_clock(dossier.clock, at=at, actor=actor, calendar=calendar, reason=note)
    handover = dossier.current_handover
    if handover is not None and handover.completed_at is None:
        handover_complete(
            handover, at=at, actor=actor, note=note, calendar=calendar, dossier=dossier
        )
    if dossier.process_id is not None:
        DossierFlow.instance.cancel(dossier.process)
    dossier.current_handover = None
    return verdict


def dossier_refuse(*, actor, code: str, reason: str) -> Dossier:
    at = now()
    reason = _reason(reason, "từ chối")
    with transaction.atomic():
        dossier = lock_dossier(code, actor=actor)
        require(
            is_super(actor) or is_receiver_at(actor, dossier.centre) or in_agency(actor, dossier),
            "Chỉ bộ phận một cửa hoặc cơ quan giải quyết được từ chối hồ sơ.",
        )
        if dossier.status not in (
            DossierStatus.SUBMITTED,
            DossierStatus.RECEIVED,
            DossierStatus.IN_PROGRESS,
        ):
            raise invalid_transition(dossier)
        verdict = _stop(dossier, at=at, actor=actor, note=f"Từ chối: {reason}")
        transition(dossier, "refuse", at=at, reason=reason, timeliness=verdict)
        history_append(
            dossier=dossier,
            kind="refused",
            at=at,
            actor=actor,
            data={"reason": reason, "timeliness": verdict},
        )
        save_dossier(dossier)
        publish(dossier, "refused", at=at, reason=reason)
    return dossier


def dossier_withdraw(*, actor, code: str, reason: str) -> Dossier:
    """The citizen withdraws the dossier (Art. 21), until the result is issued."""
    at = now()
    reason = _reason(reason, "rút hồ sơ")
    with transaction.atomic():
        dossier = lock_dossier(code, actor=actor)
        require(
            is_super(actor) or is_receiver_at(actor, dossier.centre),
            "Công dân rút hồ sơ tại bộ phận một cửa của trung tâm.",
        )
        if dossier.status not in (
            DossierStatus.SUBMITTED,
            DossierStatus.AWAITING_SUPPLEMENT,
            DossierStatus.RECEIVED,
            DossierStatus.IN_PROGRESS,
        ):
            raise invalid_transition(dossier)
        request = open_supplement_request(dossier)
        if request is not None:
            request.closed_at = at
            request.save(update_fields=["closed_at"])
        handover = dossier.current_handover
        holding_unit = (
            handover.to_unit_id if handover is not None and handover.completed_at is None else None
        )
        verdict = _stop(dossier, at=at, actor=actor, note=f"Rút hồ sơ: {reason}")
        transition(dossier, "withdraw", at=at, reason=reason, timeliness=verdict)
        history_append(
            dossier=dossier,
            kind="withdrawn",
            at=at,
            actor=actor,
            data={"reason": reason, "timeliness": verdict},
        )
        save_dossier(dossier)
        publish(dossier, "withdrawn", at=at, reason=reason, unit_id=holding_unit)
    return dossier


CLOSE_REASON = "Quá 15 ngày công dân không bổ sung hồ sơ theo yêu cầu."


def dossier_close(*, actor, code: str, at: dt.datetime | None = None) -> Dossier:
    """Stop a dossier whose supplement was not brought within 15 days.

    Called by the deadline sweep (``actor=None``) or by the desk. Refused
    before the supplement deadline.
    """
    at = at or now()
    with transaction.atomic():
        dossier = lock_dossier(code, actor=actor)
        if actor is not None:
            require(
                is_super(actor)
                or is_receiver_at(actor, dossier.centre)
                or is_manager_at(actor, dossier.centre),
                "Chỉ bộ phận một cửa hoặc quản lý trung tâm được dừng giải quyết hồ sơ.",
            )
        if dossier.status != DossierStatus.AWAITING_SUPPLEMENT:
            raise invalid_transition(dossier)
        request = open_supplement_request(dossier)
        if request is None or request.deadline > at:
            raise Conflict(
                "Chưa hết 15 ngày chờ công dân bổ sung hồ sơ"
                + (f" (hạn {request.deadline.isoformat()})." if request else "."),
                code="supplement_deadline_not_reached",
                extra={"deadline": request.deadline.isoformat() if request else None},
            )
        request.closed_at = at
        request.save(update_fields=["closed_at"])
        verdict = _stop(dossier, at=at, actor=actor, note=CLOSE_REASON)
        transition(dossier, "close", at=at, reason=CLOSE_REASON, timeliness=verdict)
        history_append(
            dossier=dossier,
            kind="closed",
            at=at,
            actor=actor,
            data={"reason": CLOSE_REASON, "supplement_deadline": request.deadline},
        )
        save_dossier(dossier)
        publish(dossier, "closed", at=at, reason=CLOSE_REASON)
    return dossier


def dossier_rate(*, code: str, score: str, comment: str = "") -> Rating:
    """The citizen rates the service once, after the result was returned."""
    at = now()
    if score not in RatingScore.values:
        raise ValidationFailed(
            "Mức đánh giá phải là very_satisfied, satisfied hoặc dissatisfied.",
            code="invalid_choice",
            field="score",
        )
    if len(comment or "") > 1000:
        raise ValidationFailed("Ý kiến tối đa 1.000 ký tự.", code="max_length", field="comment")
    with transaction.atomic():
        dossier = lock_dossier(code)
        if dossier.status != DossierStatus.RETURNED:
            raise Conflict("Chỉ đánh giá được sau khi đã nhận kết quả.", code="not_returned_yet")
        try:
            with transaction.atomic():
                rating = Rating.objects.create(
                    dossier=dossier, score=score, comment=(comment or "").strip(), created_at=at
                )
        except IntegrityError:
            raise Conflict("Hồ sơ này đã được đánh giá.", code="already_rated") from None
        from reports.counters import rated

        rated(dossier, score)
        history_append(
            dossier=dossier,
            kind="rated",
            at=at,
            actor=None,
            data={"score": score, "comment": rating.comment},
        )
        save_dossier(dossier)
    return rating

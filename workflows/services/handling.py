"""Claiming, assigning and advancing steps, and returning the result."""

from __future__ import annotations

from django.db import transaction
from viewflow.workflow.status import STATUS

from config.clock import now
from config.errors import Conflict, ValidationFailed
from procedures.models import Officer, Role
from procedures.selectors import officer_of
from workflows.models import DossierStatus, ReturnMethod
from workflows.selectors.calendar import centre_calendar
from workflows.services.common import (
    end_clock,
    in_agency,
    in_unit,
    invalid_transition,
    is_manager_at,
    is_receiver_at,
    is_super,
    lock_dossier,
    require,
    save_dossier,
    transition,
)
from workflows.services.context import ActionContext, acting
from workflows.services.handovers import handover_complete
from workflows.services.history import history_append
from workflows.services.publish import publish


def _open_task(dossier):
    handover = dossier.current_handover
    if handover is None or handover.completed_at is not None or handover.task is None:
        raise invalid_transition(dossier)
    return handover, handover.task


def _take(handover, user, at) -> None:
    """The step now has a holder: taken from the queue or given by a leader."""
    handover.to_officer = user
    handover.claimed_at = at
    handover.unclaimed_alarm_at = None
    handover.save(update_fields=["to_officer", "claimed_at", "unclaimed_alarm_at"])


def _activation(task):
    return task.flow_task.activation_class(task)


def dossier_claim(*, actor, code: str) -> object:
    """An officer of the step's unit takes the step from the unit's queue."""
    at = now()
    with transaction.atomic():
        dossier = lock_dossier(code, actor=actor)
        if dossier.status not in (DossierStatus.RECEIVED, DossierStatus.IN_PROGRESS):
            raise invalid_transition(dossier)
        handover, task = _open_task(dossier)
        if handover.step_role == "return":
            raise invalid_transition(dossier)
        require(
            is_super(actor) or in_unit(actor, handover.to_unit_id),
            "Chỉ cán bộ của bộ phận đang được giao bước này mới được nhận xử lý.",
        )
        if task.owner_id is not None or task.status != STATUS.NEW:
            raise Conflict(
                "Bước này đã có người nhận xử lý.",
                code="task_already_claimed",
                extra={"assignee": task.owner.get_username() if task.owner_id else None},
            )
        _activation(task).assign(actor)
        _take(handover, actor, at)
        transition(dossier, "claim")
        history_append(
            dossier=dossier,
            kind="claimed",
            at=at,
            actor=actor,
            data={"step": handover.step_name, "unit": handover.to_unit_id},
        )
        save_dossier(dossier)
        publish(dossier, "claimed", at=at)
    return dossier


def dossier_assign(*, actor, code: str, officer_username: str) -> object:
    """A leader of the agency (or the centre's manager) gives the step to an
    officer of the step's unit."""
    at = now()
    with transaction.atomic():
        dossier = lock_dossier(code, actor=actor)
        if dossier.status not in (DossierStatus.RECEIVED, DossierStatus.IN_PROGRESS):
            raise invalid_transition(dossier)
        handover, task = _open_task(dossier)
        actor_officer = officer_of(actor)
        require(
            is_super(actor)
            or is_manager_at(actor, dossier.centre)
            or (
                actor_officer is not None
                and actor_officer.role == Role.APPROVER
                and in_agency(actor, dossier)
            ),
            "Chỉ lãnh đạo cơ quan giải quyết hoặc quản lý trung tâm được phân công.",
        )
        target = (
            Officer.objects.select_related("user")
            .filter(user__username=officer_username, user__is_active=True)
            .first()
        )
        if target is None:
            raise ValidationFailed(
                f"Không có cán bộ {officer_username!r}.", code="unknown_officer", field="officer"
            )
        if target.unit_id != handover.to_unit_id:
            raise ValidationFailed(
                f"Cán bộ {officer_username} không thuộc bộ phận đang được giao bước này.",
                code="officer_not_in_unit",
                field="officer",
            )
        activation = _activation(task)
        if task.owner_id is None:
            activation.assign(target.user)
        else:
            activation.reassign(target.user)
        _take(handover, target.user, at)
        transition(dossier, "assign")
        history_append(
            dossier=dossier,
            kind="assigned",
            at=at,
            actor=actor,
            data={"step": handover.step_name, "officer": officer_username},
        )
        save_dossier(dossier)
        publish(dossier, "assigned", at=at, officer_id=target.user_id)
    return dossier


def dossier_advance(*, actor, code: str, note: str = "", result: str = "") -> object:
    """The holder completes the step; the flow hands the dossier to the next
    step's unit, or, after the last step, back to the desk (result ready)."""
    at = now()
    with transaction.atomic():
        dossier = lock_dossier(code, actor=actor)
        if dossier.status != DossierStatus.IN_PROGRESS:
            raise invalid_transition(dossier)
        handover, task = _open_task(dossier)
        if handover.step_role == "return":
            raise invalid_transition(dossier)
        if task.owner_id is None:
            raise Conflict(
                "Bước này chưa có người nhận xử lý; hãy nhận xử lý trước khi chuyển.",
                code="task_not_claimed",
            )
        require(
            is_super(actor) or task.owner_id == actor.pk,
            "Chỉ người đang xử lý bước này mới được chuyển bước.",
        )
        calendar = centre_calendar(dossier.centre)
        verdict = handover_complete(
            handover, at=at, actor=actor, note=note, calendar=calendar, dossier=dossier
        )
        last = dossier.current_step + 1 >= len(dossier.route) - 1
        dossier_verdict = ""
        if last:
            dossier_verdict = end_clock(
                dossier.clock, at=at, actor=actor, calendar=calendar, reason="Đã có kết quả"
            )
        transition(dossier, "advance", last=last, at=at, timeliness=dossier_verdict, result=result)
        dossier.current_step += 1
        ctx = ActionContext(
            dossier=dossier,
            at=at,
            actor=actor,
            calendar=calendar,
            from_unit_id=handover.to_unit_id,
            from_officer=actor,
        )
        with acting(ctx):
            activation = _activation(task)
            activation.start(None)
            activation.execute()
        data = {
            "step": handover.step_name,
            "verdict": verdict,
            "to_step": dossier.current_handover.step_name,
            "to_unit": dossier.current_handover.to_unit_id,
            "note": note,
        }
        history_append(dossier=dossier, kind="advanced", at=at, actor=actor, data=data)
        if last:
            history_append(
                dossier=dossier,
                kind="result_ready",
                at=at,
                actor=actor,
                data={"timeliness": dossier_verdict, "result": dossier.result},
            )
        save_dossier(dossier)
        publish(dossier, "result_ready" if last else "advanced", at=at)
    return dossier


def dossier_return(*, actor, code: str, method: str) -> object:
    """The desk hands the result to the citizen (Art. 22)."""
    at = now()
    if method not in ReturnMethod.values:
        raise ValidationFailed(
            "Hình thức trả kết quả phải là counter (tại quầy), post (bưu chính) hoặc "
            "electronic (trực tuyến).",
            code="invalid_choice",
            field="method",
        )
    with transaction.atomic():
        dossier = lock_dossier(code, actor=actor)
        if dossier.status != DossierStatus.RESULT_READY:
            raise invalid_transition(dossier)
        handover, task = _open_task(dossier)
        require(
            is_super(actor)
            or in_unit(actor, handover.to_unit_id)
            or is_receiver_at(actor, dossier.centre),
            "Chỉ cán bộ một cửa của trung tâm được trả kết quả.",
        )
        calendar = centre_calendar(dossier.centre)
        verdict = handover_complete(
            handover,
            at=at,
            actor=actor,
            note=f"Trả kết quả: {method}",
            calendar=calendar,
            dossier=dossier,
        )
        activation = _activation(task)
        if task.owner_id is None:
            activation.assign(actor)
        ctx = ActionContext(dossier=dossier, at=at, actor=actor, calendar=calendar)
        with acting(ctx):
            activation.start(None)
            activation.execute()
        transition(dossier, "return_result", at=at, method=method)
        dossier.current_handover = None
        history_append(
            dossier=dossier,
            kind="returned",
            at=at,
            actor=actor,
            data={"method": method, "verdict": verdict},
        )
        save_dossier(dossier)
        publish(dossier, "returned", at=at)
    return dossier

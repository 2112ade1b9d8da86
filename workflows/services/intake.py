"""Receipt, acceptance and supplements (Decree 118, Arts. 16–17 and 19(5))."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from config.clock import LOCAL_TZ, now
from config.errors import Conflict, NotFound, ValidationFailed
from procedures.models import (
    Agency,
    Channel,
    Officer,
    Procedure,
    ProcedureVersion,
    Role,
    ServiceCentre,
    Unit,
    UnitKind,
)
from procedures.selectors import version_in_force
from workflows.flows import DossierFlow
from workflows.models import (
    Dossier,
    DossierStatus,
    SupplementRequest,
    SupplementStage,
)
from workflows.selectors.calendar import centre_calendar
from workflows.selectors.escalation import policy_for
from workflows.services.common import (
    in_unit,
    is_manager_at,
    is_receiver_at,
    is_super,
    lock_dossier,
    new_pin,
    next_code,
    open_supplement_request,
    pin_hash,
    require,
    resolve_route,
    save_dossier,
    transition,
)
from workflows.services.context import ActionContext, acting
from workflows.services.deadlines import clock_append, clock_start
from workflows.services.history import history_append
from workflows.services.publish import publish
from workflows.worktime import working_time_between

SUPPLEMENT_DAYS = 15


@dataclass
class Receipt:
    dossier: Dossier
    pin: str | None
    created: bool


@dataclass(frozen=True)
class Applicant:
    full_name: str
    id_number: str
    phone: str
    email: str = ""
    address: str = ""


def fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def _reception_unit(desk_officer: Officer | None, centre: ServiceCentre, agency: Agency) -> Unit:
    if desk_officer is not None and desk_officer.unit.kind == UnitKind.RECEPTION:
        return desk_officer.unit
    desks = list(Unit.objects.filter(centre=centre, kind=UnitKind.RECEPTION).order_by("pk"))
    for desk in desks:
        if desk.agency_id == agency.pk:
            return desk
    if desks:
        return desks[0]
    raise Conflict(f"Trung tâm {centre.code} chưa có bộ phận một cửa.", code="no_reception_unit")


def start_processing(dossier: Dossier, *, at: dt.datetime, actor) -> None:
    """The clock starts (Art. 17(3)) and the flow queues the first step."""
    calendar = centre_calendar(dossier.centre)
    who = actor if getattr(actor, "is_authenticated", False) else None
    if not dossier.policy:
        dossier.policy = policy_for(dossier.procedure)
    lead = (
        dossier.policy["apology_lead_hours"] * 3600 if dossier.policy["notify_apology_due"] else 0
    )
    clock, _ = clock_start(
        kind="dossier",
        centre=dossier.centre,
        budget=dossier.version.time_limit,
        at=at,
        actor=who,
        calendar=calendar,
        warn_before_seconds=lead,
    )
    dossier.clock = clock
    dossier.route = resolve_route(dossier=dossier)
    dossier.current_step = 0
    ctx = ActionContext(
        dossier=dossier,
        at=at,
        actor=actor,
        calendar=calendar,
        from_unit_id=dossier.reception_unit_id,
        from_officer=who,
    )
    with acting(ctx):
        process = DossierFlow.start.run(context=ctx)
    dossier.process = process


def dossier_receive(
    *,
    actor,
    procedure: str,
    centre: str,
    channel: str,
    applicant: Applicant,
    documents: list[dict[str, Any]] | None = None,
    complete: bool = True,
    missing_items: list[str] | None = None,
    note: str = "",
    idempotency_key: str = "",
    payload: dict[str, Any] | None = None,
) -> Receipt:
    """Register a dossier: in person (received now, or waiting for the
    missing items), online or postal (waiting for the desk to accept)."""
    at = now()
    centre_obj = ServiceCentre.objects.select_related("commune").filter(code=centre).first()
    if centre_obj is None:
        raise ValidationFailed(
            f"Không có trung tâm mã {centre}.", code="unknown_centre", field="centre"
        )
    desk_officer = None
    if not is_super(actor):
        desk_officer = (
            Officer.objects.select_related("unit")
            .filter(user=actor, role=Role.RECEIVER, unit__isnull=False, centres=centre_obj)
            .first()
            if getattr(actor, "is_authenticated", False)
            else None
        )
        require(
            desk_officer is not None,
            f"Chỉ cán bộ một cửa của trung tâm {centre_obj.code} được tiếp nhận hồ sơ tại đây.",
        )
    day = at.astimezone(LOCAL_TZ).date()
    version = (
        ProcedureVersion.objects.select_related("procedure__escalation_policy")
        .filter(procedure__code=procedure, procedure__active=True, effective_from__lte=day)
        .order_by("-effective_from")
        .first()
    )
    if version is None:
        procedure_obj = Procedure.objects.filter(code=procedure, active=True).first()
        if procedure_obj is None:
            raise ValidationFailed(
                f"Không có thủ tục mã {procedure}.", code="unknown_procedure", field="procedure"
            )
        try:
            version_in_force(procedure=procedure_obj, on=day)
        except NotFound as e:
            raise ValidationFailed(e.message, code=e.code, field="procedure") from None
    procedure_obj = version.procedure
    if channel not in version.channels:
        labels = ", ".join(str(Channel(c).label) for c in version.channels)
        raise ValidationFailed(
            f"Thủ tục {procedure_obj.code} không nhận hồ sơ qua kênh này; các kênh được nhận: "
            f"{labels}.",
            code="channel_not_allowed",
            field="channel",
        )
    if channel == Channel.IN_PERSON and not complete and not missing_items:
        raise ValidationFailed(
            "Hồ sơ chưa đầy đủ: hãy liệt kê các giấy tờ còn thiếu (một lần, đầy đủ).",
            code="required",
            field="missing_items",
        )
    agency = (
        Agency.objects.filter(kind=procedure_obj.agency_kind, centres=centre_obj)
        .order_by("code")
        .first()
    )
    if agency is None:
        raise Conflict(
            f"Chưa có cơ quan có thẩm quyền giải quyết thủ tục {procedure_obj.code} cho trung "
            f"tâm {centre_obj.code}.",
            code="no_competent_agency",
        )
    print_ = fingerprint(payload or {})
    if idempotency_key:
        existing = Dossier.objects.filter(created_by=actor, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replay(existing, print_)
    try:
        with transaction.atomic():
            dossier = _create(
                actor=actor,
                desk_officer=desk_officer,
                at=at,
                procedure=procedure_obj,
                version=version,
                centre=centre_obj,
                agency=agency,
                channel=channel,
                applicant=applicant,
                documents=documents or [],
                complete=complete,
                missing_items=missing_items or [],
                note=note,
                idempotency_key=idempotency_key,
                print_=print_,
            )
    except IntegrityError:
        if not idempotency_key:
            raise
        existing = Dossier.objects.filter(created_by=actor, idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _replay(existing, print_)
    return Receipt(dossier=dossier[0], pin=dossier[1], created=True)


def _replay(existing: Dossier, print_: str) -> Receipt:
    if existing.request_fingerprint != print_:
        raise Conflict(
            "Khóa Idempotency-Key này đã được dùng cho một yêu cầu khác.",
            code="idempotency_conflict",
        )
    return Receipt(dossier=existing, pin=None, created=False)


def _create(
    *,
    actor,
    desk_officer,
    at,
    procedure,
    version,
    centre,
    agency,
    channel,
    applicant,
    documents,
    complete,
    missing_items,
    note,
    idempotency_key,
    print_,
) -> tuple[Dossier, str]:
    code = next_code(centre=centre, at=at)
    pin = new_pin()
    dossier = Dossier(
        code=code,
        centre=centre,
        procedure=procedure,
        version=version,
        agency=agency,
        reception_unit=_reception_unit(desk_officer, centre, agency),
        channel=channel,
        applicant_name=applicant.full_name,
        applicant_id_number=applicant.id_number,
        applicant_phone=applicant.phone,
        applicant_email=applicant.email,
        applicant_address=applicant.address,
        documents=documents,
        note=note,
        submitted_at=at,
        tracking_pin_hash=pin_hash(code, pin),
        idempotency_key=idempotency_key,
        request_fingerprint=print_,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    save_dossier(dossier)
    summary = {
        "procedure": procedure.code,
        "version": version.effective_from.isoformat(),
        "channel": channel,
        "documents": documents,
    }
    if channel != Channel.IN_PERSON:
        history_append(dossier=dossier, kind="submitted", at=at, actor=actor, data=summary)
        save_dossier(dossier)
        publish(dossier, "submitted", at=at)
        return dossier, pin
    if complete:
        transition(dossier, "accept", at=at, by=actor)
        start_processing(dossier, at=at, actor=actor)
        history_append(
            dossier=dossier,
            kind="received",
            at=at,
            actor=actor,
            data={**summary, "due_at": dossier.clock.due_at},
        )
        save_dossier(dossier)
        publish(dossier, "received", at=at)
        return dossier, pin
    transition(dossier, "request_reception_supplement")
    request = _open_supplement(
        dossier,
        stage=SupplementStage.RECEPTION,
        at=at,
        actor=actor,
        reason="Hồ sơ chưa đầy đủ khi tiếp nhận",
        items=missing_items,
    )
    history_append(
        dossier=dossier,
        kind="supplement_requested",
        at=at,
        actor=actor,
        data={**summary, "stage": request.stage, "items": missing_items},
    )
    save_dossier(dossier)
    publish(
        dossier,
        "supplement_requested",
        at=at,
        items=missing_items,
        reason=request.reason,
        deadline=request.deadline,
    )
    return dossier, pin


def _open_supplement(
    dossier: Dossier, *, stage: str, at: dt.datetime, actor, reason: str, items: list[str]
) -> SupplementRequest:
    within = None
    if stage == SupplementStage.APPRAISAL and dossier.received_at:
        calendar = centre_calendar(dossier.centre)
        within = working_time_between(dossier.received_at, at, calendar) <= 3 * calendar.day_seconds
    return SupplementRequest.objects.create(
        dossier=dossier,
        stage=stage,
        reason=reason,
        items=items,
        requested_at=at,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        deadline=at + dt.timedelta(days=_supplement_days(dossier)),
        within_three_working_days=within,
    )


def _supplement_days(dossier: Dossier) -> int:
    policy = dossier.policy or policy_for(dossier.procedure)
    return int(policy.get("supplement_days", SUPPLEMENT_DAYS))


def dossier_accept(*, actor, code: str) -> Dossier:
    """An online or postal dossier is accepted at the desk: the clock starts."""
    at = now()
    with transaction.atomic():
        dossier = lock_dossier(code, actor=actor)
        require(
            is_super(actor) or is_receiver_at(actor, dossier.centre),
            "Chỉ cán bộ một cửa của trung tâm được tiếp nhận hồ sơ.",
        )
        transition(dossier, "accept", at=at, by=actor)
        start_processing(dossier, at=at, actor=actor)
        history_append(
            dossier=dossier,
            kind="accepted",
            at=at,
            actor=actor,
            data={"due_at": dossier.clock.due_at},
        )
        save_dossier(dossier)
        publish(dossier, "accepted", at=at)
    return dossier


def dossier_request_supplement(*, actor, code: str, reason: str, items: list[str]) -> Dossier:
    """Ask the citizen, once and completely, for what is missing.

    Before receipt (an online dossier at the desk) nothing is counting yet.
    After receipt (Art. 19(5)) it may happen once: the clocks pause and,
    when the supplement arrives, the processing time restarts from zero.
    """
    at = now()
    reason = (reason or "").strip()
    items = [str(i).strip() for i in (items or []) if str(i).strip()]
    if not reason:
        raise ValidationFailed("Cần ghi lý do yêu cầu bổ sung.", code="required", field="reason")
    if not items:
        raise ValidationFailed(
            "Cần liệt kê đầy đủ các giấy tờ phải bổ sung.", code="required", field="items"
        )
    with transaction.atomic():
        dossier = lock_dossier(code, actor=actor)
        handover = dossier.current_handover
        require(
            is_super(actor)
            or is_receiver_at(actor, dossier.centre)
            or is_manager_at(actor, dossier.centre)
            or (handover is not None and in_unit(actor, handover.to_unit_id)),
            "Bạn không có quyền yêu cầu bổ sung hồ sơ này.",
        )
        if dossier.status == DossierStatus.SUBMITTED:
            transition(dossier, "request_reception_supplement")
            stage = SupplementStage.RECEPTION
        else:
            if (
                dossier.status in (DossierStatus.RECEIVED, DossierStatus.IN_PROGRESS)
                and dossier.supplement_requests.filter(stage=SupplementStage.APPRAISAL).exists()
            ):
                raise Conflict(
                    "Hồ sơ đã được yêu cầu bổ sung một lần; theo Nghị định 118/2025 chỉ được "
                    "yêu cầu bổ sung một lần.",
                    code="supplement_already_requested",
                )
            transition(dossier, "request_supplement", previous=dossier.status)
            stage = SupplementStage.APPRAISAL
            calendar = centre_calendar(dossier.centre)
            clock_append(
                clock=dossier.clock,
                kind="pause",
                at=at,
                actor=actor,
                reason=reason,
                calendar=calendar,
            )
            if handover is not None and handover.completed_at is None:
                clock_append(
                    clock=handover.clock,
                    kind="pause",
                    at=at,
                    actor=actor,
                    reason=reason,
                    calendar=calendar,
                )
        request = _open_supplement(
            dossier, stage=stage, at=at, actor=actor, reason=reason, items=items
        )
        history_append(
            dossier=dossier,
            kind="supplement_requested",
            at=at,
            actor=actor,
            data={
                "stage": stage,
                "reason": reason,
                "items": items,
                "deadline": request.deadline,
                "within_three_working_days": request.within_three_working_days,
            },
        )
        save_dossier(dossier)
        publish(
            dossier,
            "supplement_requested",
            at=at,
            items=items,
            reason=reason,
            deadline=request.deadline,
        )
    return dossier


def dossier_supplement(*, actor, code: str, note: str = "") -> Dossier:
    """The citizen brought what was missing."""
    at = now()
    with transaction.atomic():
        dossier = lock_dossier(code, actor=actor)
        require(
            is_super(actor) or is_receiver_at(actor, dossier.centre),
            "Chỉ cán bộ một cửa của trung tâm được nhận hồ sơ bổ sung.",
        )
        request = open_supplement_request(dossier)
        status = transition(dossier, "supplement", at=at, by=actor)
        request.completed_at = at
        request.save(update_fields=["completed_at"])
        data: dict[str, Any] = {"stage": request.stage, "note": note}
        if request.stage == SupplementStage.RECEPTION:
            start_processing(dossier, at=at, actor=actor)
        else:
            calendar = centre_calendar(dossier.centre)
            clock_append(
                clock=dossier.clock,
                kind="restart",
                at=at,
                actor=actor,
                calendar=calendar,
                reason="Nhận đủ hồ sơ bổ sung: tính lại thời gian từ đầu (Điều 19 khoản 5).",
            )
            handover = dossier.current_handover
            if handover is not None and handover.completed_at is None:
                clock_append(
                    clock=handover.clock, kind="resume", at=at, actor=actor, calendar=calendar
                )
        data["due_at"] = dossier.clock.due_at
        data["status"] = status
        history_append(dossier=dossier, kind="supplement_received", at=at, actor=actor, data=data)
        save_dossier(dossier)
        publish(dossier, "supplement_received", at=at, stage=request.stage)
    return dossier

"""What the statutory forms print (Circular 03/2025/TT-VPCP, Appendix I).

Read from a dossier loaded by ``dossiers.dossier_for_display``: its handovers,
supplement requests, history events and clock are already fetched, so these
functions run no further query (the stop notice reads who asked and who
stopped: two small ones).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from procedures.models import Officer
from workflows.models import (
    Dossier,
    DossierEvent,
    DossierStatus,
    Handover,
    ReturnMethod,
    SupplementRequest,
    SupplementStage,
)
from workflows.templatetags.vn_time import vn_datetime

#: Decree 118/2025, Art. 19(5), as the forms cite it.
ART_19_5 = "khoản 5 Điều 19 Nghị định số 118/2025/NĐ-CP"

_ENDED_PHRASE = {
    DossierStatus.CLOSED: "hồ sơ đã dừng giải quyết",
    DossierStatus.WITHDRAWN: "công dân đã rút hồ sơ",
    DossierStatus.REFUSED: "hồ sơ bị từ chối",
}


def supplement_requests(dossier: Dossier) -> list[SupplementRequest]:
    return sorted(dossier.supplement_requests.all(), key=lambda r: (r.requested_at, r.pk))


def open_request(dossier: Dossier) -> SupplementRequest | None:
    for request in supplement_requests(dossier):
        if request.completed_at is None and request.closed_at is None:
            return request
    return None


# --- form 01: the receipt and appointment slip ------------------------------------------


@dataclass(frozen=True)
class SlipTimes:
    """Items 4 and 5 of the slip: a moment, or why there is none yet."""

    received_at: dt.datetime | None
    received_note: str
    due_at: dt.datetime | None
    due_note: str


def slip_times(dossier: Dossier) -> SlipTimes:
    """The received and due times of the slip. While the dossier waits for the
    citizen there is no appointment: the time is counted (again, from zero
    after appraisal) once the complete dossier is back, so the slip says so
    instead of printing an empty "giờ phút, ngày"."""
    clock = dossier.clock
    due = clock.due_at if clock is not None else None
    status = dossier.status
    waiting = open_request(dossier) if status == DossierStatus.AWAITING_SUPPLEMENT else None

    received_note = ""
    if dossier.received_at is None:
        if waiting is not None:
            received_note = (
                "chưa tiếp nhận: hồ sơ chưa đầy đủ, đang chờ bổ sung theo Phiếu yêu cầu "
                "bổ sung, hoàn thiện hồ sơ"
            )
        elif status == DossierStatus.SUBMITTED:
            received_note = "chưa tiếp nhận: hồ sơ đang chờ bộ phận một cửa kiểm tra"
        else:
            received_note = "hồ sơ chưa được tiếp nhận"

    due_note = ""
    if due is None:
        if waiting is not None and waiting.stage == SupplementStage.APPRAISAL:
            due_note = (
                f"chưa có hẹn: hồ sơ chờ bổ sung đến {vn_datetime(waiting.deadline)}, thời gian "
                f"giải quyết được tính lại từ đầu khi nhận đủ hồ sơ ({ART_19_5})"
            )
        elif waiting is not None:
            due_note = (
                f"chưa có hẹn: hồ sơ chờ bổ sung đến {vn_datetime(waiting.deadline)}, thời gian "
                "giải quyết được tính từ khi nhận đủ hồ sơ"
            )
        elif status in _ENDED_PHRASE:
            due_note = f"không còn hẹn trả: {_ENDED_PHRASE[status]}"
            if dossier.ended_at:
                due_note += f" lúc {vn_datetime(dossier.ended_at)}"
        else:
            due_note = "chưa có hẹn: thời gian giải quyết được tính từ khi tiếp nhận hồ sơ đầy đủ"
    return SlipTimes(
        received_at=dossier.received_at,
        received_note=received_note,
        due_at=due,
        due_note=due_note,
    )


# --- form 06: the handover control sheet ------------------------------------------------

RETURN_NOTE = "Trả kết quả: "


def handover_note(handover: Handover) -> str:
    """The row's note as a person reads it. The return row once stored the
    method's code ("Trả kết quả: counter"); it prints the label."""
    note = handover.note
    if handover.step_role == "return" and note.startswith(RETURN_NOTE):
        method = note.removeprefix(RETURN_NOTE)
        if method in ReturnMethod.values:
            return RETURN_NOTE + str(ReturnMethod(method).label)
    return note


def control_sheet(dossier: Dossier) -> list[dict[str, Any]]:
    return [{"handover": h, "note": handover_note(h)} for h in dossier.handovers.all()]


# --- form 05: the stop notice -----------------------------------------------------------


@dataclass(frozen=True)
class StopNotice:
    """Why and when a dossier was stopped because the supplement never came
    (Decree 118/2025, Art. 19(5)): everything is read back from the supplement
    request that was closed and the ``closed`` event of the history."""

    request: SupplementRequest
    requested_by: str  #: the body that asked for the supplement
    supplement_days: int
    deadline: dt.datetime
    closed_at: dt.datetime
    closed_by: str  #: an officer's name, or the automatic sweep
    reason: str
    legal_basis: str


def stop_notice(dossier: Dossier) -> StopNotice | None:
    """``None`` unless the dossier was stopped for want of a supplement."""
    if dossier.status != DossierStatus.CLOSED:
        return None
    closed = [r for r in supplement_requests(dossier) if r.closed_at is not None]
    event = _last_event(dossier, "closed")
    if not closed or event is None:
        return None
    request = closed[-1]
    deadline = request.deadline
    if event.data.get("supplement_deadline"):
        deadline = dt.datetime.fromisoformat(event.data["supplement_deadline"])
    cited = (
        f"{ART_19_5} của Chính phủ"
        if request.stage == SupplementStage.APPRAISAL
        else ("Nghị định số 118/2025/NĐ-CP của Chính phủ")
    )
    basis = (
        f"Căn cứ {cited} về thực hiện thủ tục hành chính theo cơ chế một cửa, một cửa liên "
        "thông: hồ sơ phải bổ sung, hoàn thiện mà người nộp không bổ sung, hoàn thiện trong "
        "thời hạn đã yêu cầu thì dừng giải quyết."
    )
    return StopNotice(
        request=request,
        requested_by=_body_of(request.requested_by_id) or dossier.centre.name,
        supplement_days=(request.deadline - request.requested_at).days,
        deadline=deadline,
        closed_at=request.closed_at,
        closed_by=_closed_by(event),
        reason=event.data.get("reason") or dossier.stop_reason,
        legal_basis=basis,
    )


def _last_event(dossier: Dossier, kind: str) -> DossierEvent | None:
    events = [e for e in dossier.events.all() if e.kind == kind]
    return events[-1] if events else None


def _officer(user_id: int | None) -> Officer | None:
    if user_id is None:
        return None
    return Officer.objects.select_related("unit", "user").filter(user_id=user_id).first()


def _body_of(user_id: int | None) -> str:
    officer = _officer(user_id)
    return officer.unit.name if officer is not None and officer.unit_id else ""


def _closed_by(event: DossierEvent) -> str:
    if event.actor_id is None:  # the deadline sweep
        return "tự động, khi hết thời hạn bổ sung (hệ thống quản lý hồ sơ)"
    officer = _officer(event.actor_id)
    if officer is None:
        return event.actor_name
    return f"{officer.full_name} ({officer.unit.name})" if officer.unit_id else officer.full_name

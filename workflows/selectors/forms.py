"""What the statutory forms print (Circular 03/2025/TT-VPCP, Appendix I).

Read from a dossier loaded by ``dossiers.dossier_for_display``: its handovers,
supplement requests, history events and clock are already fetched, so these
functions run no further query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from workflows.models import (
    Dossier,
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

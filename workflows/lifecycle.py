"""The dossier's status machine (``viewflow.fsm``): the single source of truth.

Transitions check guards and set fields. They do no I/O and read no clock:
the service passes the moment in. Services call them inside a transaction
after locking the dossier row, then save and append history.
"""

from __future__ import annotations

import datetime as dt

from viewflow import fsm

from workflows.models import Dossier, DossierStatus

S = DossierStatus


class DossierLifecycle:
    status = fsm.State(DossierStatus, default=DossierStatus.SUBMITTED)

    def __init__(self, dossier: Dossier) -> None:
        self.dossier = dossier

    @status.getter()
    def _get_status(self) -> str:
        return self.dossier.status

    @status.setter()
    def _set_status(self, value: str) -> None:
        self.dossier.status = value

    # --- reception -------------------------------------------------------------------

    @status.transition(source=S.SUBMITTED, target=S.RECEIVED, label="Tiếp nhận")
    def accept(self, *, at: dt.datetime, by) -> None:
        self.dossier.received_at = at
        self.dossier.received_by = by

    @status.transition(
        source=S.SUBMITTED, target=S.AWAITING_SUPPLEMENT, label="Yêu cầu bổ sung khi tiếp nhận"
    )
    def request_reception_supplement(self) -> None:
        self.dossier.status_before_supplement = S.SUBMITTED

    @status.transition(
        source=[S.RECEIVED, S.IN_PROGRESS],
        target=S.AWAITING_SUPPLEMENT,
        label="Yêu cầu bổ sung",
    )
    def request_supplement(self, *, previous: str) -> None:
        # viewflow.fsm applies the target state before the body runs, so the
        # state being left is passed in by the service.
        self.dossier.status_before_supplement = previous

    @status.transition(
        source=S.AWAITING_SUPPLEMENT,
        target=fsm.State.RETURN_VALUE(S.RECEIVED, S.IN_PROGRESS),
        label="Nhận bổ sung",
    )
    def supplement(self, *, at: dt.datetime, by) -> str:
        before = self.dossier.status_before_supplement
        self.dossier.status_before_supplement = ""
        if before == S.SUBMITTED:
            self.dossier.received_at = at
            self.dossier.received_by = by
            return S.RECEIVED
        return before

    # --- handling --------------------------------------------------------------------

    @status.transition(source=S.RECEIVED, target=S.IN_PROGRESS, label="Nhận xử lý")
    @status.transition(source=S.IN_PROGRESS, label="Nhận xử lý")
    def claim(self) -> None:
        """A handler took the current step (the first one moves the dossier on)."""

    @status.transition(source=S.RECEIVED, target=S.IN_PROGRESS, label="Phân công")
    @status.transition(source=S.IN_PROGRESS, label="Phân công")
    def assign(self) -> None:
        """A leader gave the current step to an officer."""

    @status.transition(
        source=S.IN_PROGRESS,
        target=fsm.State.RETURN_VALUE(S.IN_PROGRESS, S.RESULT_READY),
        label="Chuyển bước tiếp theo",
    )
    def advance(self, *, last: bool, at: dt.datetime, timeliness: str, result: str) -> str:
        if not last:
            return S.IN_PROGRESS
        self.dossier.ended_at = at
        self.dossier.timeliness = timeliness
        if result:
            self.dossier.result = result
        return S.RESULT_READY

    @status.transition(
        source=[S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SUPPLEMENT],
        label="Xin lỗi và hẹn lại",
        conditions=[lambda flow: not flow.dossier.clock or not flow.dossier.clock.extended],
    )
    def extend(self) -> None:
        """The one new appointment; the ledger records it."""

    # --- endings ---------------------------------------------------------------------

    def _end(self, *, at: dt.datetime, reason: str, timeliness: str) -> None:
        self.dossier.ended_at = at
        self.dossier.stop_reason = reason
        self.dossier.timeliness = timeliness

    @status.transition(
        source=[S.SUBMITTED, S.RECEIVED, S.IN_PROGRESS], target=S.REFUSED, label="Từ chối"
    )
    def refuse(self, *, at: dt.datetime, reason: str, timeliness: str) -> None:
        self._end(at=at, reason=reason, timeliness=timeliness)

    @status.transition(
        source=[S.SUBMITTED, S.AWAITING_SUPPLEMENT, S.RECEIVED, S.IN_PROGRESS],
        target=S.WITHDRAWN,
        label="Rút hồ sơ",
    )
    def withdraw(self, *, at: dt.datetime, reason: str, timeliness: str) -> None:
        self._end(at=at, reason=reason, timeliness=timeliness)

    @status.transition(source=S.AWAITING_SUPPLEMENT, target=S.CLOSED, label="Dừng giải quyết")
    def close(self, *, at: dt.datetime, reason: str, timeliness: str) -> None:
        self._end(at=at, reason=reason, timeliness=timeliness)

    @status.transition(source=S.RESULT_READY, target=S.RETURNED, label="Trả kết quả")
    def return_result(self, *, at: dt.datetime, method: str) -> None:
        self.dossier.returned_at = at
        self.dossier.return_method = method


#: API action slug → transition method name.
ACTIONS: dict[str, str] = {
    "accept": "accept",
    "claim": "claim",
    "assign": "assign",
    "advance": "advance",
    "request-supplement": "request_supplement",
    "supplement": "supplement",
    "extend": "extend",
    "refuse": "refuse",
    "withdraw": "withdraw",
    "close": "close",
    "return": "return_result",
}


def transitions_from(status: str) -> list[str]:
    """API actions whose transition leaves ``status`` (before business rules)."""
    slugs = []
    for slug, method in ACTIONS.items():
        descriptor = getattr(DossierLifecycle, method)
        if any(t.source == status for t in descriptor.get_transitions()):
            slugs.append(slug)
    if status == S.SUBMITTED:
        slugs.append("request-supplement")  # at reception
    return slugs

"""One entry point for an officer's action on a dossier, by name — the API's
action endpoints and the dossier page both call it, so both do exactly the
same thing (the rules stay in the services it calls)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from workflows.services import endings, handling, intake

ACTIONS = (
    "accept",
    "claim",
    "assign",
    "advance",
    "request-supplement",
    "supplement",
    "extend",
    "refuse",
    "withdraw",
    "close",
    "return",
)


def dossier_act(
    *,
    actor,
    code: str,
    action: str,
    note: str = "",
    result: str = "",
    reason: str = "",
    items: Sequence[str] = (),
    officer: str = "",
    new_due_at: dt.datetime | None = None,
    method: str = "",
) -> None:
    if action == "accept":
        intake.dossier_accept(actor=actor, code=code)
    elif action == "claim":
        handling.dossier_claim(actor=actor, code=code)
    elif action == "assign":
        handling.dossier_assign(actor=actor, code=code, officer_username=officer)
    elif action == "advance":
        handling.dossier_advance(actor=actor, code=code, note=note, result=result)
    elif action == "request-supplement":
        intake.dossier_request_supplement(actor=actor, code=code, reason=reason, items=list(items))
    elif action == "supplement":
        intake.dossier_supplement(actor=actor, code=code, note=note)
    elif action == "extend":
        endings.dossier_extend(actor=actor, code=code, reason=reason, new_due_at=new_due_at)
    elif action == "refuse":
        endings.dossier_refuse(actor=actor, code=code, reason=reason)
    elif action == "withdraw":
        endings.dossier_withdraw(actor=actor, code=code, reason=reason)
    elif action == "close":
        endings.dossier_close(actor=actor, code=code)
    elif action == "return":
        handling.dossier_return(actor=actor, code=code, method=method)
    else:
        raise ValueError(f"unknown dossier action {action!r}")

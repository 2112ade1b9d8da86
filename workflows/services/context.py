"""The action in progress, for the flow's node callbacks.

A dossier service locks the dossier, reads the clock once and then drives the
viewflow flow; the nodes it triggers (the gate, the task callbacks) need the
same dossier object, moment and actor. They read them from here instead of
re-reading the database or the clock.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from workflows.models import Dossier


@dataclass
class ActionContext:
    dossier: Dossier
    at: dt.datetime
    actor: Any
    calendar: Any = None
    #: who hands the dossier over in this action (unit id, user or None)
    from_unit_id: int | None = None
    from_officer: Any = None
    created_handovers: list = field(default_factory=list)


_current: contextvars.ContextVar[ActionContext | None] = contextvars.ContextVar(
    "motcua_action", default=None
)


def current() -> ActionContext:
    ctx = _current.get()
    if ctx is None:
        raise RuntimeError("The dossier flow runs only inside a dossier service.")
    return ctx


@contextlib.contextmanager
def acting(ctx: ActionContext) -> Iterator[ActionContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)

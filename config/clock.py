"""The one place that reads the wall clock.

Services read ``now()`` once per call and pass the moment down; tests and
sweeps run "as of" a moment with ``frozen(at)``.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.utils import timezone

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_override: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar(
    "motcua_clock_override", default=None
)


def now() -> dt.datetime:
    """The current moment, aware, in UTC (or the frozen moment in tests)."""
    frozen_at = _override.get()
    if frozen_at is not None:
        return frozen_at
    # Whole seconds: the working-time arithmetic counts seconds, so every
    # recorded moment and every due time share one resolution.
    return timezone.now().replace(microsecond=0)


def local_now() -> dt.datetime:
    return now().astimezone(LOCAL_TZ)


@contextlib.contextmanager
def frozen(at: dt.datetime) -> Iterator[dt.datetime]:
    """Run the block as of ``at`` (an aware datetime)."""
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    token = _override.set(at)
    try:
        yield at
    finally:
        _override.reset(token)

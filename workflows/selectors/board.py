"""The centre's wall board: who may look, and the counts it shows.

The board is in scope like everything else: an officer whose scope holds the
centre, or a wall screen opened with the centre's board key (a signed link
that managers hand to the screen; it shows counts only, never a dossier).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import signing

from config.clock import LOCAL_TZ
from procedures.models import ServiceCentre
from procedures.selectors import can_see_centre
from workflows.models import Dossier, Handover
from workflows.selectors.dossiers import local

_SALT = "motcua.board"


def board_key(centre: ServiceCentre) -> str:
    """The signed key of a centre's wall screen (changing SECRET_KEY revokes it)."""
    return signing.dumps({"board": centre.code}, salt=_SALT)


def board_centre(*, code: str, user=None, key: str = "") -> ServiceCentre | None:
    """The centre if ``user`` (or the wall screen's ``key``) may see its board;
    ``None`` for an unknown centre and for one outside the scope alike."""
    centre = ServiceCentre.objects.filter(code=code).first() if len(code) <= 5 else None
    if centre is None:
        return None
    if key:
        try:
            if signing.loads(key, salt=_SALT).get("board") == centre.code:
                return centre
        except (signing.BadSignature, AttributeError, TypeError):
            pass
    if (
        user is not None
        and getattr(user, "is_authenticated", False)
        and can_see_centre(user, centre)
    ):
        return centre
    return None


def board_counts(*, centre: ServiceCentre, at: dt.datetime) -> dict[str, Any]:
    """Counts for the centre's wall screen, as of ``at``:

    * ``received_today``: dossiers received today (local date);
    * ``due_today``: open dossiers whose appointment falls today;
    * ``at_risk``: open dossiers whose apology checkpoint (one working day
      before the appointment) has passed but that are not overdue yet;
    * ``overdue``: open dossiers past their appointment;
    * ``in_queue``: steps waiting for someone to claim them.
    """
    local_at = at.astimezone(LOCAL_TZ)
    start = local_at.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + dt.timedelta(days=1)
    dossiers = Dossier.objects.filter(centre=centre)
    running = dossiers.filter(clock_running=True)  # the dossier's copy of its clock
    return {
        "type": "board.counts",
        "centre": {"code": centre.code, "name": centre.name},
        "at": local(at),
        "received_today": dossiers.filter(received_at__gte=start, received_at__lt=end).count(),
        "due_today": running.filter(clock_due_at__gte=start, clock_due_at__lt=end).count(),
        "at_risk": running.filter(clock_warn_at__lte=at, clock_due_at__gt=at).count(),
        "overdue": running.filter(clock_due_at__lte=at).count(),
        "in_queue": Handover.objects.filter(
            dossier__centre=centre, completed_at__isnull=True, to_officer__isnull=True
        )
        .exclude(step_role="return")
        .count(),
    }

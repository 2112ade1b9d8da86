"""Shared machinery of the dossier services: locking, permissions, PINs,
codes, the route, the after-commit hook and the end of processing."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from django.conf import settings
from django.db import connection
from viewflow.fsm import NoTransition, TransitionNotAllowed

from config.clock import LOCAL_TZ
from config.errors import Conflict, InvalidTransition, PermissionDenied
from procedures.models import Role, ServiceCentre, Unit, UnitKind
from procedures.selectors import officer_of
from workflows.lifecycle import DossierLifecycle
from workflows.models import Clock, Dossier, DossierSequence, SupplementRequest
from workflows.services.deadlines import clock_append
from workflows.worktime import timeliness

# ---------------------------------------------------------------------------
# Loading and locking
# ---------------------------------------------------------------------------


def lock_dossier(code: str, *, actor=None) -> Dossier:
    """The dossier row, locked until the end of the transaction.

    With an ``actor`` (an officer acting), a dossier outside the actor's
    scope is "not found", exactly like an unknown code; ``actor=None`` is the
    system (the sweep) or the citizen (already authenticated by PIN/token).

    On PostgreSQL ``SELECT … FOR UPDATE`` serialises concurrent actions on
    one dossier; on SQLite every write transaction starts IMMEDIATE, which
    serialises all writers. The lock is taken first and the dossier with its
    current step loaded afterwards, in a second statement: under READ
    COMMITTED, rows joined into the locking statement would come from the
    snapshot taken *before* waiting for the lock, so a second officer would
    see the step as still unclaimed.
    """
    assert connection.in_atomic_block, "lock_dossier needs a transaction"
    from workflows.selectors.dossiers import can_see, not_found

    pk = Dossier.objects.select_for_update().filter(code=code).values_list("pk", flat=True).first()
    if pk is None:
        raise not_found(code)
    # What every action reads; the version and agency rows are read lazily by
    # the few actions that need them (starting the clock).
    dossier = Dossier.objects.select_related(
        "centre__commune",
        "clock",
        "current_handover__clock",
        "current_handover__task__process",
        "procedure",
    ).get(pk=pk)
    if actor is not None and not can_see(actor, dossier):
        raise not_found(code)
    dossier._as_loaded = _columns(dossier)
    return dossier


def _columns(dossier: Dossier) -> dict[str, Any]:
    return {f.attname: getattr(dossier, f.attname) for f in Dossier._meta.concrete_fields}


def save_dossier(dossier: Dossier) -> None:
    """Write the columns this action changed (all of them for a new dossier).

    A dossier row carries JSON (route, policy, documents) that an action
    seldom touches; rewriting the whole row on every action cost more than
    the rest of the UPDATE.
    """
    dossier.mirror_clock()
    loaded = getattr(dossier, "_as_loaded", None)
    outcome = None
    if dossier.ended_at is not None and (loaded is None or loaded["ended_at"] is None):
        from workflows.services.outcomes import record_outcome

        outcome = record_outcome(dossier)
    if dossier.pk is None or loaded is None:
        dossier.save()
    else:
        changed = [name for name, value in _columns(dossier).items() if loaded[name] != value]
        if changed:
            dossier.save(update_fields=changed)
    from reports.counters import dossier_saved

    # the per-day counts, in this transaction
    dossier_saved(
        dossier, loaded, supplement_requests=outcome.supplement_requests if outcome else None
    )
    dossier._as_loaded = _columns(dossier)


def transition(dossier: Dossier, name: str, **kwargs: Any) -> Any:
    """Run a ``viewflow.fsm`` transition, turning a refusal into a 409 that
    lists what is allowed now."""
    lifecycle = DossierLifecycle(dossier)
    try:
        return getattr(lifecycle, name)(**kwargs)
    except (NoTransition, TransitionNotAllowed):
        raise invalid_transition(dossier) from None


def invalid_transition(dossier: Dossier, message: str | None = None) -> InvalidTransition:
    from workflows.selectors.dossiers import allowed_actions

    return InvalidTransition(
        message
        or f"Không thể thực hiện thao tác này khi hồ sơ đang ở trạng thái "
        f"«{dossier.get_status_display()}».",
        extra={"status": dossier.status, "allowed_actions": allowed_actions(dossier, None)},
    )


# ---------------------------------------------------------------------------
# Who may act
# ---------------------------------------------------------------------------


def is_super(actor) -> bool:
    return bool(actor is not None and getattr(actor, "is_superuser", False))


def works_at(actor, centre: ServiceCentre) -> bool:
    o = officer_of(actor)
    return o is not None and o.centres.filter(pk=centre.pk).exists()


def is_receiver_at(actor, centre: ServiceCentre) -> bool:
    o = officer_of(actor)
    return (
        o is not None
        and o.role == Role.RECEIVER
        and o.unit_id is not None
        and works_at(actor, centre)
    )


def is_manager_at(actor, centre: ServiceCentre) -> bool:
    o = officer_of(actor)
    return o is not None and o.role == Role.MANAGER and works_at(actor, centre)


def in_agency(actor, dossier: Dossier) -> bool:
    o = officer_of(actor)
    return o is not None and o.unit is not None and o.unit.agency_id == dossier.agency_id


def in_unit(actor, unit_id: int) -> bool:
    o = officer_of(actor)
    return o is not None and o.unit_id == unit_id


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message, code="permission_denied")


# ---------------------------------------------------------------------------
# Codes and PINs
# ---------------------------------------------------------------------------


def next_code(*, centre: ServiceCentre, at: dt.datetime) -> str:
    """``<centre identifier>-YYMMDD-NNNN`` (Decree 118, Art. 28).

    One atomic upsert per receipt: concurrent receipts at a centre queue on
    the (centre, day) row, so each gets its own number. A rolled-back receipt
    may leave a gap; a committed code is never given again.
    """
    day = at.astimezone(LOCAL_TZ).date()
    table = DossierSequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (centre_id, day, last) VALUES (%s, %s, 1) "
            f"ON CONFLICT (centre_id, day) DO UPDATE SET last = {table}.last + 1 "
            "RETURNING last",
            [centre.pk, day],
        )
        number = cursor.fetchone()[0]
    return f"{centre.identifier}-{day:%y%m%d}-{number:04d}"


def new_pin() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def pin_hash(code: str, pin: str) -> str:
    """A keyed hash of the PIN (HMAC-SHA256 over the code and the PIN)."""
    key = hashlib.sha256(("motcua-pin:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, f"{code}:{pin}".encode(), hashlib.sha256).hexdigest()


def pin_matches(dossier: Dossier, pin: str) -> bool:
    return hmac.compare_digest(dossier.tracking_pin_hash, pin_hash(dossier.code, pin or ""))


# ---------------------------------------------------------------------------
# The route
# ---------------------------------------------------------------------------

_ROLE_UNIT = {"handling": UnitKind.SPECIALIST, "consultation": UnitKind.SPECIALIST}


def resolve_route(*, dossier: Dossier) -> list[dict[str, Any]]:
    """The version's steps with the units that perform them, then return."""
    units = list(Unit.objects.filter(agency=dossier.agency).order_by("code"))
    route = []
    for step in dossier.version.steps.order_by("order"):
        kind = _ROLE_UNIT.get(step.role, UnitKind.LEADERSHIP)
        unit = next((u for u in units if u.kind == kind), None)
        if unit is None:
            raise Conflict(
                f"{dossier.agency.name} chưa có bộ phận thực hiện bước «{step.name}».",
                code="no_unit_for_step",
            )
        route.append(
            {
                "order": step.order,
                "name": step.name,
                "role": step.role,
                "budget_hours": str(step.budget_hours),
                "unit": unit.pk,
            }
        )
    route.append(
        {
            "order": 0,
            "name": "Trả kết quả",
            "role": "return",
            "budget_hours": str(dossier.version.return_hours),
            "unit": dossier.reception_unit_id,
        }
    )
    return route


def hours_duration(hours: str) -> str:
    """``"2.50"`` → ``"PT2.5H"``; a zero budget is one minute (a step always has a due)."""
    from decimal import Decimal

    value = Decimal(hours).normalize()
    if value <= 0:
        return "PT1M"
    return f"PT{format(value, 'f')}H"


# ---------------------------------------------------------------------------
# Ending processing
# ---------------------------------------------------------------------------


def verdict_at(state, at: dt.datetime) -> str:
    """Decision 766 verdict for processing that ends at ``at``.

    A clock paused for the citizen (withdrawn or closed while waiting) is
    judged by the time the agency had used when it stopped counting: within
    the legal budget is on time, beyond it late.
    """
    if state is None or state.state == "not_started":
        return ""
    if state.state == "paused":
        return "on_time" if state.used_seconds <= state.original_budget_seconds else "late"
    if state.appointment_due_at is None:
        return ""
    return timeliness(ended_at=at, appointment=state.appointment_due_at)


def end_clock(clock: Clock | None, *, at: dt.datetime, actor, calendar, reason: str = "") -> str:
    """End a clock (if running or paused) and return the verdict."""
    return end_clock_measured(clock, at=at, actor=actor, calendar=calendar, reason=reason)[0]


def end_clock_measured(
    clock: Clock | None, *, at: dt.datetime, actor, calendar, reason: str = ""
) -> tuple[str, int | None]:
    """End a clock; the verdict and the working seconds it ran in all."""
    if clock is None or clock.state in ("not_started", "ended"):
        return "", None
    from workflows.services.deadlines import clock_events, clock_fold

    events = clock_events(clock)
    before = clock_fold(clock, events=events, calendar=calendar, as_of=at)
    verdict = verdict_at(before, at)
    clock_append(
        clock=clock,
        kind="end",
        at=at,
        actor=actor,
        reason=reason,
        calendar=calendar,
        events=events,
    )
    return verdict, max(0, before.used_seconds)


def open_supplement_request(dossier: Dossier) -> SupplementRequest | None:
    """The supplement request the citizen has not answered yet (at most one)."""
    return (
        SupplementRequest.objects.filter(
            dossier=dossier, completed_at__isnull=True, closed_at__isnull=True
        )
        .order_by("-requested_at")
        .first()
    )

"""Reading dossiers: who may see what, what may be done now, and the shapes
the API and the pages show."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from config.clock import LOCAL_TZ
from config.errors import NotFound
from procedures.models import Officer, Role
from procedures.selectors import officer_of, scope_centre_ids
from workflows.folding import fold
from workflows.lifecycle import transitions_from
from workflows.models import (
    ENDED_STATUSES,
    ClockEvent,
    Dossier,
    DossierEvent,
    DossierStatus,
    Handover,
    SupplementRequest,
    SupplementStage,
)

# ---------------------------------------------------------------------------
# Visibility
# ---------------------------------------------------------------------------


def visibility(user) -> tuple[str, Any]:
    """The rule of who sees which dossiers, as data: ``("all", None)``,
    ``("centres", ids)``, ``("agency", id)`` or ``("none", None)``.

    Desk officers, managers and administrators see the dossiers of the centres
    in their scope; handlers and leaders those of their agency. Only the
    superuser sees everything. (The dossier filter and the per-day counts'
    filter are both made from it.)"""
    centre_ids = scope_centre_ids(user)
    if centre_ids is None:
        return ("all", None)
    officer = officer_of(user)
    if officer is None:
        return ("none", None)
    if officer.role in (Role.MANAGER, Role.RECEIVER, Role.ADMINISTRATOR):
        return ("centres", sorted(centre_ids))
    if officer.unit_id is None:
        return ("none", None)
    return ("agency", officer.unit.agency_id)


def visibility_filter(user) -> Q | None:
    """``None`` means everything; otherwise the dossiers the user may see."""
    kind, value = visibility(user)
    if kind == "all":
        return None
    if kind == "centres":
        return Q(centre_id__in=value)
    if kind == "agency":
        return Q(agency_id=value)
    return Q(pk__in=[])


def dossiers_visible_to(user) -> QuerySet[Dossier]:
    qs = Dossier.objects.all()
    condition = visibility_filter(user)
    return qs if condition is None else qs.filter(condition)


def can_see(user, dossier: Dossier) -> bool:
    """The same rule as ``visibility_filter``, checked on a loaded dossier
    (no query once the user's scope is known)."""
    centre_ids = scope_centre_ids(user)
    if centre_ids is None:
        return True
    officer = officer_of(user)
    if officer is None:
        return False
    if officer.role in (Role.MANAGER, Role.RECEIVER, Role.ADMINISTRATOR):
        return dossier.centre_id in centre_ids
    return officer.unit_id is not None and officer.unit.agency_id == dossier.agency_id


def not_found(code: str) -> NotFound:
    """Unknown and out-of-scope dossiers answer alike, so codes cannot be probed."""
    return NotFound(f"Không có hồ sơ mã {code}.", code="unknown_dossier")


# ---------------------------------------------------------------------------
# Listing
# ---------------------------------------------------------------------------

LIST_RELATED = [
    "procedure",
    "centre",
    "clock",
    "current_handover__to_unit",
    "current_handover__to_officer__officer",
    "current_handover__clock",
]


def dossiers_list(
    *,
    user,
    at: dt.datetime,
    status: str | None = None,
    centre: str | None = None,
    procedure: str | None = None,
    overdue: bool | None = None,
    assigned_to_me: bool = False,
    q: str | None = None,
) -> QuerySet[Dossier]:
    qs = dossiers_visible_to(user).select_related(*LIST_RELATED)
    if status:
        qs = qs.filter(status__in=[s for s in status.split(",") if s])
    if centre:
        qs = qs.filter(centre__code=centre)
    if procedure:
        qs = qs.filter(procedure__code=procedure)
    if overdue is True:
        qs = qs.filter(clock_running=True, clock_due_at__lt=at)
    elif overdue is False:
        qs = qs.exclude(clock_running=True, clock_due_at__lt=at)
    if assigned_to_me:
        qs = qs.filter(
            current_handover__to_officer=user, current_handover__completed_at__isnull=True
        )
    if q:
        q = q.strip()
        qs = qs.filter(
            Q(code__icontains=q)
            | Q(applicant_name__icontains=q)
            | Q(applicant_name_folded__contains=fold(q))
            | Q(applicant_id_number=q)
            | Q(applicant_phone=q)
        )
    return qs.order_by("-submitted_at", "-pk")


# ---------------------------------------------------------------------------
# Allowed actions
# ---------------------------------------------------------------------------


def allowed_actions(dossier: Dossier, user, at: dt.datetime | None = None) -> list[str]:
    """What can be done now, by this user (or by anyone, when ``user`` is None)."""

    actions = transitions_from(dossier.status)
    handover = dossier.current_handover
    open_step = handover is not None and handover.completed_at is None
    is_return = open_step and handover.step_role == "return"
    task = handover.task if open_step else None
    facts = _Facts(user, dossier, handover) if user is not None else None
    result = []
    for action in actions:
        if action in ("claim", "assign") and (not open_step or is_return):
            continue
        if action == "claim" and task is not None and task.owner_id is not None:
            continue
        if action == "advance" and (task is None or task.owner_id is None):
            continue
        if action == "extend" and (dossier.clock is None or dossier.clock.extended):
            continue
        if (
            action == "request-supplement"
            and dossier.status in (DossierStatus.RECEIVED, DossierStatus.IN_PROGRESS)
            and _appraisal_requested(dossier)
        ):
            continue
        if action == "refuse" and dossier.status == DossierStatus.AWAITING_SUPPLEMENT:
            continue
        if action == "close" and at is not None and not _supplement_overdue(dossier, at):
            continue
        if facts is not None and not _may(facts, action, task):
            continue
        result.append(action)
    return result


def may_reissue_pin(dossier: Dossier, user) -> bool:
    """Not a change of status: the desk (or the centre's manager) may give a
    new PIN at any time."""
    facts = _Facts(user, dossier, dossier.current_handover)
    return facts.superuser or facts.receiver or facts.manager


def _appraisal_requested(dossier: Dossier) -> bool:
    cached = getattr(dossier, "_prefetched_objects_cache", {}).get("supplement_requests")
    if cached is not None:
        return any(r.stage == SupplementStage.APPRAISAL for r in cached)
    return dossier.supplement_requests.filter(stage=SupplementStage.APPRAISAL).exists()


def _supplement_overdue(dossier: Dossier, at: dt.datetime) -> bool:
    cached = getattr(dossier, "_prefetched_objects_cache", {}).get("supplement_requests")
    requests = (
        cached if cached is not None else list(SupplementRequest.objects.filter(dossier=dossier))
    )
    return any(
        r.completed_at is None and r.closed_at is None and r.deadline <= at for r in requests
    )


class _Facts:
    """What the permission rules ask about the caller, each read at most once."""

    def __init__(self, user, dossier: Dossier, handover) -> None:
        self.user, self.dossier, self.handover = user, dossier, handover
        self._cache: dict[str, bool] = {}

    def _get(self, name: str, compute) -> bool:
        if name not in self._cache:
            self._cache[name] = bool(compute())
        return self._cache[name]

    @property
    def superuser(self) -> bool:
        from workflows.services import common as c

        return self._get("superuser", lambda: c.is_super(self.user))

    @property
    def officer(self) -> Officer | None:
        return officer_of(self.user)

    @property
    def receiver(self) -> bool:
        from workflows.services import common as c

        return self._get("receiver", lambda: c.is_receiver_at(self.user, self.dossier.centre))

    @property
    def manager(self) -> bool:
        from workflows.services import common as c

        return self._get("manager", lambda: c.is_manager_at(self.user, self.dossier.centre))

    @property
    def agency(self) -> bool:
        from workflows.services import common as c

        return self._get("agency", lambda: c.in_agency(self.user, self.dossier))

    @property
    def in_step_unit(self) -> bool:
        return self._get(
            "in_step_unit",
            lambda: (
                self.handover is not None
                and self.officer is not None
                and self.officer.unit_id == self.handover.to_unit_id
            ),
        )


def _may(facts: _Facts, action: str, task) -> bool:
    if facts.superuser:
        return True
    if facts.officer is None:
        return False
    if action in ("accept", "supplement", "withdraw"):
        return facts.receiver
    if action == "claim":
        return facts.in_step_unit
    if action == "assign":
        return facts.manager or (facts.officer.role == Role.APPROVER and facts.agency)
    if action == "advance":
        return task is not None and task.owner_id == facts.user.pk
    if action == "request-supplement":
        return facts.receiver or facts.manager or facts.in_step_unit
    if action == "extend":
        return facts.agency or facts.manager or facts.receiver
    if action == "refuse":
        return facts.receiver or facts.agency
    if action == "close":
        return facts.receiver or facts.manager
    if action == "return":
        return facts.receiver or facts.in_step_unit
    return False


# ---------------------------------------------------------------------------
# Detail
# ---------------------------------------------------------------------------


def assignable_officers(dossier: Dossier) -> list[Officer]:
    """The active officers of the current step's unit (whom a leader may assign)."""
    handover = dossier.current_handover
    if handover is None or handover.completed_at is not None:
        return []
    return list(
        Officer.objects.select_related("user")
        .filter(unit_id=handover.to_unit_id, user__is_active=True)
        .order_by("full_name", "user__username")
    )


def dossier_for_display(*, code: str, user) -> Dossier:
    dossier = (
        Dossier.objects.select_related(
            *LIST_RELATED,
            "current_handover__task",
            "extension",
            "agency",
            "reception_unit",
        )
        .prefetch_related(
            Prefetch(
                "handovers",
                queryset=Handover.objects.select_related(
                    "from_unit", "from_officer__officer", "to_unit", "to_officer__officer"
                ).order_by("seq"),
            ),
            Prefetch(
                "events",
                queryset=DossierEvent.objects.select_related("actor__officer").order_by("seq"),
            ),
            Prefetch("supplement_requests", queryset=SupplementRequest.objects.order_by("pk")),
            Prefetch("clock__events", queryset=ClockEvent.objects.order_by("seq")),
        )
        .filter(code=code)
        .first()
    )
    if dossier is None or (user is not None and not can_see(user, dossier)):
        raise not_found(code)
    return dossier


def local(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(LOCAL_TZ).isoformat() if moment else None


def is_overdue(dossier: Dossier, at: dt.datetime) -> bool:
    clock = dossier.clock
    return bool(
        clock is not None
        and dossier.status not in ENDED_STATUSES
        and clock.state == "running"
        and clock.due_at is not None
        and clock.due_at < at
    )


def current_task(dossier: Dossier) -> dict[str, Any] | None:
    h = dossier.current_handover
    if h is None or h.completed_at is not None:
        return None
    return {
        "step": h.step_name,
        "role": h.step_role,
        "unit": {"id": h.to_unit_id, "name": h.to_unit.name},
        "assignee": _user(h.to_officer),
        "handed_at": local(h.handed_at),
        "started_at": local(h.claimed_at),
        "due_at": local(h.clock.due_at if h.clock_id else h.due_at),
    }


def officer_name(user) -> str:
    """An account's officer name (its username without a profile); "" for none."""
    shown = _user(user)
    return shown["full_name"] if shown else ""


def _user(user) -> dict[str, str] | None:
    if user is None:
        return None
    try:
        name = user.officer.full_name
    except Officer.DoesNotExist:
        name = user.get_full_name() or user.get_username()
    return {"username": user.get_username(), "full_name": name}


def summary(dossier: Dossier, *, at: dt.datetime) -> dict[str, Any]:
    clock = dossier.clock
    return {
        "code": dossier.code,
        "status": dossier.status,
        "status_label": str(dossier.get_status_display()),
        "procedure": {"code": dossier.procedure.code, "name": dossier.procedure.name},
        "centre": {"code": dossier.centre.code, "name": dossier.centre.name},
        "channel": dossier.channel,
        "applicant": {"full_name": dossier.applicant_name},
        "submitted_at": local(dossier.submitted_at),
        "received_at": local(dossier.received_at),
        "due_at": local(clock.due_at if clock else None),
        "original_due_at": local(clock.appointment_due_at if clock else None),
        "ended_at": local(dossier.ended_at),
        "returned_at": local(dossier.returned_at),
        "timeliness": dossier.timeliness or None,
        "overdue": is_overdue(dossier, at),
        "current_task": current_task(dossier),
    }


def working_time(dossier: Dossier, *, at: dt.datetime) -> dict[str, Any] | None:
    """Both legal views of the time taken, folded from the ledger as of ``at``:
    Decree 118 (``used``: since the last restart, pauses excluded) and
    Decision 766 (``elapsed_766``: since the first start, waiting for the
    citizen subtracted). Seconds of the centre's working time."""
    clock = dossier.clock
    if clock is None:
        return None
    from workflows.selectors.calendar import centre_calendar
    from workflows.services.deadlines import clock_fold

    calendar = centre_calendar(dossier.centre)
    state = clock_fold(clock, events=list(clock.events.all()), calendar=calendar, as_of=at)
    return {
        "state": state.state,
        "budget_seconds": state.budget_seconds,
        "used_seconds": state.used_seconds,
        "left_seconds": state.left_seconds,
        "paused_seconds": state.paused_seconds,
        "elapsed_766_seconds": state.elapsed_766_seconds,
        "day_seconds": calendar.day_seconds,
        "restarts": state.restart_count,
        "pauses": state.pause_count,
    }


def detail(dossier: Dossier, *, user, at: dt.datetime) -> dict[str, Any]:
    body = summary(dossier, at=at)
    clock = dossier.clock
    ext = getattr(dossier, "extension", None)
    body.update(
        {
            "applicant": {
                "full_name": dossier.applicant_name,
                "id_number": dossier.applicant_id_number,
                "phone": dossier.applicant_phone,
                "email": dossier.applicant_email,
                "address": dossier.applicant_address,
            },
            "documents": dossier.documents,
            "note": dossier.note,
            "agency": {"code": dossier.agency.code, "name": dossier.agency.name},
            "version": {
                "effective_from": dossier.version.effective_from.isoformat(),
                "time_limit": dossier.version.time_limit,
            },
            "first_due_at": local(clock.first_due_at if clock else None),
            "working_time": working_time(dossier, at=at),
            "result": dossier.result,
            "return_method": dossier.return_method or None,
            "stop_reason": dossier.stop_reason or None,
            "handovers": [
                {
                    "seq": h.seq,
                    "step": h.step_name,
                    "role": h.step_role,
                    "from_unit": h.from_unit.name,
                    "from_officer": _user(h.from_officer),
                    "to_unit": h.to_unit.name,
                    "to_officer": _user(h.to_officer),
                    "handed_at": local(h.handed_at),
                    "due_at": local(h.due_at),
                    "completed_at": local(h.completed_at),
                    "verdict": h.verdict or None,
                    "note": h.note,
                }
                for h in dossier.handovers.all()
            ],
            "clock": [
                {
                    "kind": e.kind,
                    "at": local(e.at),
                    "reason": e.reason,
                    "due_at": local(e.due_at),
                }
                for e in (clock.events.all() if clock else [])
            ],
            "supplement_requests": [
                {
                    "stage": r.stage,
                    "reason": r.reason,
                    "items": r.items,
                    "requested_at": local(r.requested_at),
                    "deadline": local(r.deadline),
                    "within_three_working_days": r.within_three_working_days,
                    "completed_at": local(r.completed_at),
                    "closed_at": local(r.closed_at),
                }
                for r in dossier.supplement_requests.all()
            ],
            "extension": (
                {
                    "reason": ext.reason,
                    "previous_due_at": local(ext.previous_due_at),
                    "new_due_at": local(ext.new_due_at),
                    "requested_at": local(ext.requested_at),
                    "timely": ext.timely,
                }
                if ext
                else None
            ),
            "allowed_actions": allowed_actions(dossier, user, at),
            "events": [
                {
                    "seq": e.seq,
                    "kind": e.kind,
                    "at": local(e.at),
                    "actor": e.actor_name,
                    # the officer's name; the row keeps the username it was signed with
                    "actor_display": (
                        _user(e.actor)["full_name"] if e.actor else e.actor_name or "Hệ thống"
                    ),
                    "data": e.data,
                    "hash": e.hash,
                }
                for e in dossier.events.all()
            ],
        }
    )
    return body


# ---------------------------------------------------------------------------
# Public tracking
# ---------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """ "Nguyễn Viết Anh" → "Nguyễn V*** A**": the family name, then initials."""
    words = name.split()
    if not words:
        return ""
    return " ".join([words[0], *(w[0] + "*" * (len(w) - 1) for w in words[1:])])


def timeline(dossier: Dossier) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for event in dossier.events.all():
        status = event.data.get("status")
        if status and (not out or out[-1]["status"] != status):
            out.append(
                {
                    "status": status,
                    "status_label": str(DossierStatus(status).label),
                    "at": local(event.at),
                }
            )
    return out


def public_status(dossier: Dossier) -> dict[str, Any]:
    """The fields a citizen may see about their dossier, read from the row
    and its clock only (no further queries)."""
    clock = dossier.clock
    return {
        "code": dossier.code,
        "procedure_name": dossier.procedure.name,
        "status": dossier.status,
        "status_label": str(dossier.get_status_display()),
        "received_at": local(dossier.received_at),
        "due_at": local(clock.due_at if clock else None),
        "ended_at": local(dossier.ended_at),
        "returned_at": local(dossier.returned_at),
        "applicant_name": mask_name(dossier.applicant_name),
    }


def tracking(dossier: Dossier) -> dict[str, Any]:
    """The tracking snapshot: the public fields, the timeline, what to bring,
    and why — the reason of a refusal, the new appointment and its reason
    after an extension, the supplement asked for, the rating given."""
    rating = getattr(dossier, "rating", None)
    return {
        **public_status(dossier),
        "timeline": timeline(dossier),
        "supplement_items": _open_items(dossier),
        "supplement": _open_supplement(dossier),
        **_reasons(dossier),
        "rating": (
            {
                "score": rating.score,
                "score_label": str(rating.get_score_display()),
                "comment": rating.comment,
                "at": local(rating.created_at),
            }
            if rating is not None
            else None
        ),
        "can_rate": dossier.status == DossierStatus.RETURNED and rating is None,
    }


def _moment(value: Any) -> str | None:
    if not value:
        return None
    try:
        return local(dt.datetime.fromisoformat(str(value)))
    except ValueError:
        return None


def _reasons(dossier: Dossier) -> dict[str, Any]:
    """The last refusal, withdrawal and extension, from the history."""
    found: dict[str, Any] = {"refusal": None, "withdrawal": None, "extension": None}
    for event in dossier.events.all():
        data = event.data or {}
        if event.kind == "refused":
            found["refusal"] = {"reason": data.get("reason", ""), "at": local(event.at)}
        elif event.kind == "withdrawn":
            found["withdrawal"] = {"reason": data.get("reason", ""), "at": local(event.at)}
        elif event.kind == "extended":
            found["extension"] = {
                "reason": data.get("reason", ""),
                "at": local(event.at),
                "previous_due_at": _moment(data.get("previous_due_at")),
                "new_due_at": _moment(data.get("effective_due_at") or data.get("new_due_at")),
            }
    return found


def _open_supplement(dossier: Dossier) -> dict[str, Any] | None:
    for request in dossier.supplement_requests.all():
        if request.completed_at is None and request.closed_at is None:
            return {
                "items": list(request.items),
                "reason": request.reason,
                "requested_at": local(request.requested_at),
                "deadline": local(request.deadline),
            }
    return None


def _open_items(dossier: Dossier) -> list[str]:
    for request in dossier.supplement_requests.all():
        if request.completed_at is None and request.closed_at is None:
            return list(request.items)
    return []


def dossier_for_tracking(code: str) -> Dossier | None:
    return (
        Dossier.objects.select_related("procedure", "clock", "rating")
        .prefetch_related(
            Prefetch("events", queryset=DossierEvent.objects.order_by("seq")),
            "supplement_requests",
        )
        .filter(code=code)
        .first()
    )

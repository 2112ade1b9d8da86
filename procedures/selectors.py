"""Everything in ``procedures`` that reads for display, checks or scoping."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet

from config.errors import NotFound
from procedures.models import (
    Officer,
    Procedure,
    ProcedureVersion,
    ProcessStep,
    RequiredDocument,
    Role,
    ServiceCentre,
    Unit,
)
from procedures.services.divisions import province_code

# ---------------------------------------------------------------------------
# Catalogue
# ---------------------------------------------------------------------------


def version_in_force(*, procedure: Procedure, on: dt.date) -> ProcedureVersion:
    """The version whose rules apply to a dossier received on ``on``."""
    version = (
        ProcedureVersion.objects.filter(procedure=procedure, effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )
    if version is None:
        raise NotFound(
            f"Thủ tục {procedure.code} chưa có quy định có hiệu lực vào ngày "
            f"{on.strftime('%d/%m/%Y')}.",
            code="no_version_in_force",
        )
    return version


def procedures_list(*, sector: str | None = None, q: str | None = None) -> QuerySet[Procedure]:
    qs = (
        Procedure.objects.filter(active=True)
        .select_related("sector")
        .prefetch_related(
            Prefetch("versions", queryset=ProcedureVersion.objects.order_by("-effective_from"))
        )
        .order_by("code")
    )
    if sector:
        qs = qs.filter(sector__code=sector)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return qs


def procedure_get(*, code: str) -> Procedure:
    procedure = (
        Procedure.objects.select_related("sector")
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=ProcedureVersion.objects.order_by("-effective_from").prefetch_related(
                    Prefetch("steps", queryset=ProcessStep.objects.order_by("order")),
                    Prefetch("documents", queryset=RequiredDocument.objects.order_by("order")),
                ),
            )
        )
        .filter(code=code)
        .first()
    )
    if procedure is None:
        raise NotFound(f"Không có thủ tục mã {code}.", code="unknown_procedure")
    return procedure


def version_from_prefetched(procedure: Procedure, on: dt.date) -> ProcedureVersion | None:
    """Pick the version in force from an already prefetched ``versions``."""
    candidates = [v for v in procedure.versions.all() if v.effective_from <= on]
    return max(candidates, key=lambda v: v.effective_from) if candidates else None


# ---------------------------------------------------------------------------
# Directory
# ---------------------------------------------------------------------------


def centres_list(*, province: str | None = None) -> QuerySet[ServiceCentre]:
    qs = ServiceCentre.objects.filter(active=True).select_related("commune__province")
    if province:
        qs = qs.filter(commune__province_id=normalise_province(province))
    return qs.order_by("code")


def normalise_province(value: str) -> str:
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or not 1 <= len(value) <= 2:
        raise NotFound(f"Mã tỉnh {value!r} không hợp lệ.", code="unknown_province")
    return province_code(value)


def centre_get(*, code: str) -> ServiceCentre:
    centre = (
        ServiceCentre.objects.select_related("commune__province")
        .filter(Q(code=code) | Q(identifier=code))
        .first()
    )
    if centre is None:
        raise NotFound(f"Không có trung tâm mã {code}.", code="unknown_centre")
    return centre


# ---------------------------------------------------------------------------
# Scoping: what an officer may see
#
# Scope is a rule: an officer's scope is the centres they work at, plus every
# centre of a province when they hold an explicit province-level scope. Only
# a superuser sees the whole system. Every page, API, socket, export and admin
# list reads it from here.
# ---------------------------------------------------------------------------


def officer_of(user) -> Officer | None:
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.officer
    except Officer.DoesNotExist:
        return None


def sees_everything(user) -> bool:
    """System-wide power: the superuser's alone."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_superuser)


def scope_centre_ids(user) -> frozenset[int] | None:
    """Ids of the centres in the user's scope; ``None`` means every centre
    (the superuser). Read once per user object (one request, one socket)."""
    if sees_everything(user):
        return None
    officer = officer_of(user)
    if officer is None or not user.is_active:
        return frozenset()
    cached = getattr(officer, "_scope_centre_ids", None)
    if cached is None:
        condition = Q(officers=officer)
        if officer.province_scope_id:
            condition |= Q(commune__province_id=officer.province_scope_id)
        cached = frozenset(
            ServiceCentre.objects.filter(condition).values_list("pk", flat=True).distinct()
        )
        officer._scope_centre_ids = cached
    return cached


def scope_province_ids(user) -> frozenset[str] | None:
    """Provinces whose calendar the user may change (a province-level scope);
    ``None`` means every province (the superuser)."""
    if sees_everything(user):
        return None
    officer = officer_of(user)
    if officer is None or not officer.province_scope_id:
        return frozenset()
    return frozenset([officer.province_scope_id])


def centres_visible_to(user) -> QuerySet[ServiceCentre]:
    """Centres an officer may see: those of their scope; the superuser sees
    all; anyone else sees none."""
    ids = scope_centre_ids(user)
    if ids is None:
        return ServiceCentre.objects.all()
    return ServiceCentre.objects.filter(pk__in=ids)


def units_visible_to(user) -> QuerySet[Unit]:
    """Units whose queues an officer may see.

    Receivers, handlers and approvers see their own unit; managers and
    administrators see every unit working at the centres of their scope
    (reception desks there and the units of the agencies serving them); the
    superuser sees all.
    """
    ids = scope_centre_ids(user)
    if ids is None:
        return Unit.objects.all()
    officer = officer_of(user)
    if officer is None:
        return Unit.objects.none()
    if officer.role in (Role.MANAGER, Role.ADMINISTRATOR):
        return Unit.objects.filter(Q(centre_id__in=ids) | Q(agency__centres__in=ids)).distinct()
    if officer.unit_id is None:
        return Unit.objects.none()
    return Unit.objects.filter(pk=officer.unit_id)


def can_see_centre(user, centre: ServiceCentre) -> bool:
    ids = scope_centre_ids(user)
    return ids is None or centre.pk in ids


def officers_managed_by(user) -> QuerySet[Officer]:
    """Officers whose profile and account this user may manage: all for the
    superuser; for an administrator, the officers of the centres in their
    scope whose role is not administrator (never themselves); nobody else."""
    if sees_everything(user):
        return Officer.objects.all()
    officer = officer_of(user)
    if officer is None or officer.role != Role.ADMINISTRATOR:
        return Officer.objects.none()
    ids = scope_centre_ids(user) or frozenset()
    managed = (
        Officer.objects.filter(centres__in=ids, user__is_superuser=False)
        .exclude(role=Role.ADMINISTRATOR)
        .exclude(pk=officer.pk)
        .values("pk")
    )
    return Officer.objects.filter(pk__in=managed)


def users_managed_by(user):
    """Accounts this user may manage in the admin: the superuser all; an
    administrator the accounts of the officers it manages, and accounts with
    no officer profile yet that hold no privilege (a new officer's account
    before its profile is saved)."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if sees_everything(user):
        return User.objects.all()
    officer = officer_of(user)
    if officer is None or officer.role != Role.ADMINISTRATOR:
        return User.objects.none()
    return User.objects.filter(
        Q(pk__in=officers_managed_by(user).values("user_id"))
        | Q(officer__isnull=True, is_staff=False, is_superuser=False)
    ).exclude(pk=user.pk)

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
    if not value.isdigit() or not 1 <= len(value) <= 2:
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
# ---------------------------------------------------------------------------


def officer_of(user) -> Officer | None:
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.officer
    except Officer.DoesNotExist:
        return None


def sees_everything(user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    officer = officer_of(user)
    return officer is not None and officer.role == Role.ADMINISTRATOR


def centres_visible_to(user) -> QuerySet[ServiceCentre]:
    """Centres an officer may see: their own; administrators and the
    superuser see all; anyone else sees none."""
    if sees_everything(user):
        return ServiceCentre.objects.all()
    officer = officer_of(user)
    if officer is None:
        return ServiceCentre.objects.none()
    return ServiceCentre.objects.filter(officers=officer)


def units_visible_to(user) -> QuerySet[Unit]:
    """Units whose queues an officer may see.

    Receivers, handlers and approvers see their own unit; managers see every
    unit working at their centres (reception desks there and the units of the
    agencies serving them); administrators and the superuser see all.
    """
    if sees_everything(user):
        return Unit.objects.all()
    officer = officer_of(user)
    if officer is None:
        return Unit.objects.none()
    if officer.role == Role.MANAGER:
        centres = officer.centres.all()
        return Unit.objects.filter(
            Q(centre__in=centres) | Q(agency__centres__in=centres)
        ).distinct()
    if officer.unit_id is None:
        return Unit.objects.none()
    return Unit.objects.filter(pk=officer.unit_id)


def can_see_centre(user, centre: ServiceCentre) -> bool:
    return centres_visible_to(user).filter(pk=centre.pk).exists()

"""What the reception desk reads: the procedures its centre can receive
(accent-insensitive search on name or national code), a procedure's version
in force with its checklist, and the appointment a dossier received now
would get, explained."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch

from config.clock import LOCAL_TZ
from procedures.models import (
    Agency,
    Procedure,
    ProcedureVersion,
    RequiredDocument,
    Role,
    ServiceCentre,
)
from procedures.selectors import officer_of
from workflows.folding import fold
from workflows.selectors.calendar import centre_calendar
from workflows.worktime import explain


def desk_centres(user) -> list[ServiceCentre]:
    """The centres at which this user receives dossiers (receivers only)."""
    officer = officer_of(user)
    if officer is None or officer.role != Role.RECEIVER:
        return []
    return list(officer.centres.filter(active=True).order_by("code"))


def desk_procedures(*, centre: ServiceCentre, q: str = "", limit: int = 30) -> list[Procedure]:
    """Active procedures some agency of ``centre`` is competent for, whose name
    (folded) or code contains ``q``. The catalogue is small: folded in Python."""
    kinds = set(Agency.objects.filter(centres=centre).values_list("kind", flat=True))
    qs = Procedure.objects.filter(active=True, agency_kind__in=kinds).order_by("code")
    needle = fold(q)
    words = needle.split()
    found = []
    for procedure in qs.only("code", "name"):
        name = fold(procedure.name)
        if not words or needle in procedure.code.lower() or all(w in name for w in words):
            found.append(procedure)
            if len(found) >= limit:
                break
    return found


@dataclass
class DeskProcedure:
    procedure: Procedure
    version: ProcedureVersion
    documents: list[RequiredDocument]


def desk_procedure(*, code: str, on: dt.date) -> DeskProcedure | None:
    procedure = (
        Procedure.objects.filter(code=code[:30], active=True)
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=ProcedureVersion.objects.filter(effective_from__lte=on)
                .order_by("-effective_from")
                .prefetch_related(
                    Prefetch("documents", queryset=RequiredDocument.objects.order_by("order"))
                ),
            )
        )
        .first()
    )
    if procedure is None:
        return None
    versions = list(procedure.versions.all())
    if not versions:
        return None
    version = versions[0]
    return DeskProcedure(
        procedure=procedure, version=version, documents=list(version.documents.all())
    )


def appointment_preview(*, centre: ServiceCentre, version: ProcedureVersion, at: dt.datetime):
    """The appointment a dossier received now would get (the same arithmetic
    as the receipt), with the days skipped and why."""
    return explain(start=at, duration=version.time_limit, calendar=centre_calendar(centre))


def today(at: dt.datetime) -> dt.date:
    return at.astimezone(LOCAL_TZ).date()

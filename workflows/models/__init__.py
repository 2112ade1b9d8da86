from .calendar import CalendarOverride, OverrideKind, OverrideScope
from .deadlines import Clock, ClockEvent, ClockEventKind, ClockKind, ClockState
from .dossiers import (
    ENDED_STATUSES,
    FINAL_STATUSES,
    Dossier,
    DossierEvent,
    DossierSequence,
    DossierStatus,
    Extension,
    Handover,
    Rating,
    RatingScore,
    ReturnMethod,
    SupplementRequest,
    SupplementStage,
    Timeliness,
)
from .escalation import Escalation, EscalationPolicy, Rung
from .tracking import AccessCounter

__all__ = [
    "ENDED_STATUSES",
    "FINAL_STATUSES",
    "AccessCounter",
    "CalendarOverride",
    "Clock",
    "ClockEvent",
    "ClockEventKind",
    "ClockKind",
    "ClockState",
    "Dossier",
    "DossierEvent",
    "DossierSequence",
    "DossierStatus",
    "Escalation",
    "EscalationPolicy",
    "Extension",
    "Handover",
    "OverrideKind",
    "OverrideScope",
    "Rating",
    "RatingScore",
    "ReturnMethod",
    "Rung",
    "SupplementRequest",
    "SupplementStage",
    "Timeliness",
]

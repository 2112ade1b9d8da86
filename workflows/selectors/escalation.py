"""Which escalation policy applies."""

from __future__ import annotations

import time
from typing import Any

from workflows.models import EscalationPolicy

POLICY_FIELDS = [
    "step_warning_percent",
    "apology_lead_hours",
    "unclaimed_hours",
    "supplement_days",
    "notify_step_warning",
    "notify_step_overdue",
    "notify_apology_due",
    "notify_dossier_overdue",
    "notify_unclaimed",
    "close_unsupplemented",
]

#: The global policy is read at most once a minute per process; a change in the
#: admin applies to dossiers received after that. A dossier keeps the policy it
#: was received under (``Dossier.policy``), as it keeps its procedure version.
_GLOBAL_TTL = 60.0
_global: tuple[float, dict[str, Any]] | None = None


def _as_dict(policy: EscalationPolicy) -> dict[str, Any]:
    return {name: getattr(policy, name) for name in POLICY_FIELDS}


def global_policy(*, fresh: bool = False) -> dict[str, Any]:
    global _global
    if not fresh and _global is not None and time.monotonic() - _global[0] < _GLOBAL_TTL:
        return dict(_global[1])
    row = EscalationPolicy.objects.filter(procedure__isnull=True).first()
    values = _as_dict(row) if row is not None else _as_dict(EscalationPolicy())
    _global = (time.monotonic(), values)
    return dict(values)


def policy_for(procedure) -> dict[str, Any]:
    """The procedure's own policy if it has one, else the global one.

    ``procedure`` should come with ``escalation_policy`` select_related.
    """
    try:
        own = procedure.escalation_policy
    except EscalationPolicy.DoesNotExist:
        own = None
    return _as_dict(own) if own is not None else global_policy()

"""How long a message still matters: the one table, by kind.

A delivery is retried (capped backoff) for as long as its notification
matters, then marked ``expired`` and never sent. ``notify`` computes
``Notification.expires_at`` from this table when the row is written:

* a **reminder** matters until the moment it reminds of, read from the
  notification's ``data`` (an ISO 8601 moment under the key named here): a
  "step almost late" warning is worthless once the step is late (the overdue
  rung tells that), a request to supplement once its deadline has passed (the
  dossier is then closed, and that is told too);
* an officer's **work prompt** (a dossier in the queue, a task assigned)
  matters for a day: the inbox shows the work anyway;
* a **status change** told to the citizen matters for a week (the default):
  a late SMS that the result is ready is still worth sending, one a month late
  is not.

A rule's ``after`` is also the cap when the reminder's moment is missing or
further away. A kind not in the table takes its prefix's rule
(``escalation.*``), then ``DEFAULT``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Lifetime:
    #: how long after the notification is written it stops mattering
    after: dt.timedelta
    #: a key of ``data`` holding the moment it stops mattering (if earlier)
    until: str | None = None


DAY = dt.timedelta(days=1)
DEFAULT = Lifetime(after=7 * DAY)

LIFETIMES: dict[str, Lifetime] = {
    # Reminders: until the moment they remind of.
    "escalation.step_warning": Lifetime(after=7 * DAY, until="due_at"),
    "escalation.apology_due": Lifetime(after=7 * DAY, until="due_at"),
    "supplement.requested": Lifetime(after=30 * DAY, until="deadline"),
    # Officers' work prompts: the inbox shows the work anyway.
    "queue.new": Lifetime(after=DAY),
    "task.assigned": Lifetime(after=DAY),
    "submitted": Lifetime(after=DAY),
    "supplement.received": Lifetime(after=DAY),
    "result.to_return": Lifetime(after=DAY),
    # Alerts to leaders and managers.
    "escalation.*": Lifetime(after=3 * DAY),
    # Status changes told to the citizen: the default week; the thanks and the
    # invitation to rate the service, three days.
    "returned": Lifetime(after=3 * DAY),
}


def lifetime_of(kind: str) -> Lifetime:
    if kind in LIFETIMES:
        return LIFETIMES[kind]
    prefix = kind.split(".", 1)[0] + ".*"
    return LIFETIMES.get(prefix, DEFAULT)


def expires_at(*, kind: str, data: dict, created_at: dt.datetime) -> dt.datetime:
    """The moment a notification of ``kind`` written at ``created_at`` with
    ``data`` stops mattering."""
    rule = lifetime_of(kind)
    latest = created_at + rule.after
    if rule.until:
        moment = _moment(data.get(rule.until))
        if moment is not None:
            return min(moment, latest)
    return latest


def _moment(value) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None

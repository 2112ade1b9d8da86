"""Writing the outbox: ``notify`` and what runs right after commit.

No request waits on a broker: the outbox row is the queue. After commit the
web deliveries (and the live broadcasts) go to the channel layer in-process,
within a time budget and behind a circuit breaker (``breaker``); e-mail and
SMS are sent in-process too in the embedded default, and with Redis
(production) they are left due for the delivery runs (Celery beat's
``deliver_pending`` every 5 s, ``manage.py sweep``). Nothing is published to
Celery from a request.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from config.clock import now as clock_now
from notifications import lifetimes, sms
from notifications.models import Channel, Delivery, DeliveryState, Notification, RecipientKind
from notifications.services.breaker import fast_path_budget
from notifications.services.delivery import send_fresh
from notifications.text import one_line, sms_compose
from procedures.models import ServiceCentre, Unit

log = logging.getLogger(__name__)

CHANNELS = frozenset(Channel.values)
_PHONE_NOISE = re.compile(r"[\s.\-()]")
_GROUP_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,90}$")


@dataclass(frozen=True)
class Recipient:
    """Whom to tell. ``officer`` needs ``user_id``, ``unit`` ``unit_id``,
    ``centre`` ``centre_id``; ``citizen`` is reached through the dossier code
    (tracking page) and the phone / e-mail given here."""

    kind: Literal["officer", "unit", "centre", "citizen"]
    user_id: int | None = None
    unit_id: int | None = None
    centre_id: int | None = None
    phone: str = ""
    email: str = ""
    name: str = ""


def _json_safe(data: dict | None) -> dict:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"notify(data=…) must be a dict, not {type(data).__name__}")
    try:
        round_trip = json.loads(json.dumps(data, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError) as e:
        raise ValueError(f"notify(data=…) must survive a JSON round trip: {e}") from None
    if round_trip != data:
        raise ValueError(
            "notify(data=…) must survive a JSON round trip unchanged "
            "(string keys, lists not tuples, no model instances)"
        )
    return round_trip


def _clean_phone(phone: str) -> str:
    return _PHONE_NOISE.sub("", phone or "")


def _clean_email(email: str) -> str:
    email = (email or "").strip()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        log.warning("notify: ignoring invalid e-mail address %r", email)
        return ""
    return email


def _check_recipient(r: Recipient, dossier: str) -> None:
    needs = {"officer": "user_id", "unit": "unit_id", "centre": "centre_id"}
    if r.kind in needs:
        if getattr(r, needs[r.kind]) is None:
            raise ValueError(f"Recipient(kind={r.kind!r}) needs {needs[r.kind]}")
    elif r.kind == "citizen":
        if not dossier:
            raise ValueError(
                "a citizen is reached through a dossier: notify(dossier=…) is required"
            )
    else:
        raise ValueError(f"unknown recipient kind {r.kind!r}")


@dataclass(frozen=True)
class Message:
    """One notification to a set of recipients (the arguments of ``notify``)."""

    recipients: Sequence[Recipient]
    kind: str
    title: str
    body: str
    dossier: str = ""
    data: dict | None = None
    channels: Iterable[str] = ("web",)
    sms_text: str | None = None
    #: The centre the message belongs to (the dossier's), for the managers'
    #: list of what could not be delivered; derived from the recipient if None.
    centre_id: int | None = None


#: New deliveries wait this long before the retry sweep may take them, so the
#: in-process fast path after commit owns them first; if the process dies
#: before sending, the sweep sends them once the grace period has passed.
FAST_PATH_GRACE = dt.timedelta(seconds=30)


def notify(
    *,
    recipients: Sequence[Recipient],
    kind: str,
    title: str,
    body: str,
    dossier: str = "",
    data: dict | None = None,
    channels: Iterable[str] = ("web",),
    sms_text: str | None = None,
    centre_id: int | None = None,
    at: dt.datetime | None = None,
    verify: bool = True,
) -> list[Notification]:
    """Write one notification per recipient and its deliveries, inside the
    caller's transaction; attempt them after commit.

    ``web`` is delivered when requested; ``email`` when the recipient has an
    address (an officer's defaults to their account's); ``sms`` when the
    recipient has a phone (an officer's defaults to their profile's). Raises
    ``ValueError`` for programming errors (unknown channel or recipient kind,
    data that does not survive JSON).
    """
    message = Message(
        recipients=recipients,
        kind=kind,
        title=title,
        body=body,
        dossier=dossier,
        data=data,
        channels=channels,
        sms_text=sms_text,
        centre_id=centre_id,
    )
    return notify_many([message], at=at, verify=verify)


def notify_many(
    messages: Sequence[Message], *, at: dt.datetime | None = None, verify: bool = True
) -> list[Notification]:
    """Several notifications in two INSERTs (notifications, deliveries).

    ``verify=False`` skips checking that unit and centre recipients exist
    (callers passing ids read from foreign keys); PostgreSQL would otherwise
    only notice at commit.
    """
    prepared = []
    for m in messages:
        requested = tuple(dict.fromkeys(m.channels))
        unknown = set(requested) - CHANNELS
        if unknown:
            raise ValueError(f"unknown notification channel(s): {sorted(unknown)}")
        if not m.kind or len(m.kind) > 50:
            raise ValueError("notify(kind=…) must be 1–50 characters")
        if m.dossier and not _GROUP_SAFE.match(m.dossier):
            raise ValueError(f"dossier code {m.dossier!r} cannot name a channel group")
        payload_data = _json_safe(m.data)
        for r in m.recipients:
            _check_recipient(r, m.dossier)
        if m.recipients:
            prepared.append((m, requested, payload_data))
    if not prepared:
        return []
    at = at or clock_now()
    all_recipients = [r for m, _, _ in prepared for r in m.recipients]
    officers = _officer_contacts([r.user_id for r in all_recipients if r.kind == "officer"])
    if verify:
        _check_exist(all_recipients)
    centres = _recipient_centres(
        [r for m, _, _ in prepared if m.centre_id is None for r in m.recipients]
    )

    created: list[Notification] = []
    planned: list[tuple[Notification, str, str, str]] = []
    for m, requested, payload_data in prepared:
        title = one_line(m.title)
        if len(title) > 255:
            title = title[:254] + "…"
        text_for_sms = (
            sms_compose(
                m.sms_text if m.sms_text is not None else title,
                dossier=m.dossier,
                ascii_only=sms.sms_ascii(),
            )
            if Channel.SMS in requested
            else ""
        )
        expires_at = lifetimes.expires_at(kind=m.kind, data=payload_data, created_at=at)
        for r in m.recipients:
            contact = officers.get(r.user_id, {}) if r.kind == "officer" else {}
            email = _clean_email(r.email) or contact.get("email", "")
            phone = _clean_phone(r.phone) or contact.get("phone", "")
            n = Notification(
                recipient_kind=r.kind,
                recipient_user_id=r.user_id if r.kind == RecipientKind.OFFICER else None,
                recipient_unit_id=r.unit_id if r.kind == RecipientKind.UNIT else None,
                recipient_centre_id=r.centre_id if r.kind == RecipientKind.CENTRE else None,
                citizen_phone=phone if r.kind == RecipientKind.CITIZEN else "",
                citizen_email=email if r.kind == RecipientKind.CITIZEN else "",
                recipient_name=(r.name or contact.get("name", ""))[:200],
                kind=m.kind,
                dossier=m.dossier,
                title=title,
                body=m.body,
                data=payload_data,
                created_at=at,
                expires_at=expires_at,
                centre_id=m.centre_id if m.centre_id is not None else centres.get(r),
            )
            created.append(n)
            for channel in requested:
                if channel == Channel.EMAIL:
                    if email:
                        planned.append((n, channel, email, ""))
                elif channel == Channel.SMS:
                    if phone:
                        planned.append((n, channel, phone, text_for_sms))
                else:
                    planned.append((n, channel, "", ""))

    worker = _worker_delivers()
    deliveries = []
    for n, channel, address, text in planned:
        # Sent after commit by this process (which the runs leave alone for a
        # grace period), or — e-mail and SMS with a worker — due at once.
        in_process = channel == Channel.WEB or not worker
        deliveries.append(
            Delivery(
                notification=n,
                channel=channel,
                address=address,
                text=text,
                state=DeliveryState.PENDING if n.expires_at > at else DeliveryState.EXPIRED,
                next_attempt_at=at + FAST_PATH_GRACE if in_process else at,
            )
        )
    with _atomic_if_needed():
        Notification.objects.bulk_create(created)
        Delivery.objects.bulk_create(deliveries)
        fresh = [
            d
            for d in deliveries
            if d.state == DeliveryState.PENDING and (d.channel == Channel.WEB or not worker)
        ]
        if fresh:
            _schedule(fresh)
    return created


def _atomic_if_needed():
    """The caller's transaction if there is one (no savepoint), else a new one."""
    if transaction.get_connection().in_atomic_block:
        return contextlib.nullcontext()
    return transaction.atomic()


class _FastPath:
    """The after-commit delivery of one transaction's new deliveries (one
    callback per transaction, however many ``notify`` calls it made)."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.broadcasts: list[tuple[str, dict]] = []
        self.done = False

    def __call__(self) -> None:
        self.done = True
        web = [d for d in self.deliveries if d.channel == Channel.WEB]
        other = [d for d in self.deliveries if d.channel != Channel.WEB]
        if web or self.broadcasts:
            try:
                send_fresh(web, broadcasts=self.broadcasts, budget=fast_path_budget())
            except Exception:
                log.exception("notifications: immediate web delivery failed; left for retry")
        if other:  # the embedded default only: with a worker they were left due
            try:
                send_fresh(other)
            except Exception:
                log.exception("notifications: immediate e-mail/SMS delivery failed; left for retry")


def _fast_path() -> _FastPath:
    """This transaction's after-commit sender (created on first use)."""
    connection = transaction.get_connection()
    for _sids, func, _robust in connection.run_on_commit:
        # (one that already ran is still listed under a test's captured commit)
        if isinstance(func, _FastPath) and not func.done:
            return func
    fast = _FastPath()
    transaction.on_commit(fast, robust=True)
    return fast


def _schedule(deliveries: list[Delivery]) -> None:
    _fast_path().deliveries.extend(deliveries)


def broadcast_after_commit(group: str, message: dict) -> None:
    """A best-effort live message (no outbox row: nothing to retry, a client
    that missed it re-reads its state) sent after commit, in the same hop as
    the transaction's notifications. Outside a transaction: sent now."""
    if not _GROUP_SAFE.match(group):
        raise ValueError(f"{group!r} cannot name a channel group")
    _json_safe(message)
    if not transaction.get_connection().in_atomic_block:
        send_fresh([], broadcasts=[(group, message)], budget=fast_path_budget())
        return
    _fast_path().broadcasts.append((group, message))


def _officer_contacts(user_ids: list[int | None]) -> dict[int, dict[str, str]]:
    """E-mail, phone and display name of officer recipients, in one query; a
    user id that does not exist is a programming error."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    rows = (
        get_user_model()
        .objects.filter(pk__in=ids)
        .values(
            "pk",
            "email",
            "first_name",
            "last_name",
            "username",
            "officer__full_name",
            "officer__phone",
        )
    )
    contacts = {}
    for row in rows:
        name = row["officer__full_name"] or f"{row['last_name']} {row['first_name']}".strip()
        contacts[row["pk"]] = {
            "email": _clean_email(row["email"]),
            "phone": _clean_phone(row["officer__phone"] or ""),
            "name": name or row["username"],
        }
    missing = ids - contacts.keys()
    if missing:
        raise ValueError(f"Recipient(kind='officer'): no user with id {sorted(missing)}")
    return contacts


def _check_exist(recipients: Sequence[Recipient]) -> None:
    """Fail now, not at commit (PostgreSQL checks foreign keys at commit)."""
    for kind, model, attr in (("unit", Unit, "unit_id"), ("centre", ServiceCentre, "centre_id")):
        wanted = {getattr(r, attr) for r in recipients if r.kind == kind}
        if wanted:
            found = set(model.objects.filter(pk__in=wanted).values_list("pk", flat=True))
            if wanted - found:
                raise ValueError(
                    f"Recipient(kind={kind!r}): no {kind} with id {sorted(wanted - found)}"
                )


def _worker_delivers() -> bool:
    """With Redis (production) a worker sends e-mail and SMS: Celery beat's
    ``deliver_pending``. In the embedded default this process does, after
    commit."""
    return bool(getattr(settings, "REDIS_URL", "")) and not getattr(
        settings, "CELERY_TASK_ALWAYS_EAGER", False
    )


def _recipient_centres(recipients: Sequence[Recipient]) -> dict[Recipient, int]:
    """The centre of each recipient that has one: a centre itself, a unit's
    centre (reception desks), an officer's only centre. At most two queries,
    only for messages that did not name their centre."""
    centres: dict[Recipient, int] = {}
    units, officers = set(), set()
    for r in recipients:
        if r.kind == RecipientKind.CENTRE and r.centre_id is not None:
            centres[r] = r.centre_id
        elif r.kind == RecipientKind.UNIT and r.unit_id is not None:
            units.add(r.unit_id)
        elif r.kind == RecipientKind.OFFICER and r.user_id is not None:
            officers.add(r.user_id)
    unit_centre = (
        dict(Unit.objects.filter(pk__in=units, centre__isnull=False).values_list("pk", "centre_id"))
        if units
        else {}
    )
    officer_centres: dict[int, set[int]] = {}
    if officers:
        rows = ServiceCentre.objects.filter(officers__user_id__in=officers).values_list(
            "officers__user_id", "pk"
        )
        for user_id, centre_id in rows:
            officer_centres.setdefault(user_id, set()).add(centre_id)
    for r in recipients:
        if r.kind == RecipientKind.UNIT and r.unit_id in unit_centre:
            centres[r] = unit_centre[r.unit_id]
        elif r.kind == RecipientKind.OFFICER and len(officer_centres.get(r.user_id, ())) == 1:
            [centres[r]] = officer_centres[r.user_id]
    return centres

"""The dossier's history: append-only, hash-chained, verifiable."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from workflows.models import Dossier, DossierEvent

GENESIS = "0" * 64


def canonical(*, seq: int, kind: str, at: dt.datetime, actor: str, data: dict[str, Any]) -> bytes:
    """The bytes an event's hash covers: sorted keys, no spaces, UTC times."""
    body = {
        "seq": seq,
        "kind": kind,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "data": data,
    }
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
    ).encode()


def chain_hash(prev_hash: str, payload: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + payload).hexdigest()


def actor_label(actor) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "system"
    return actor.get_username()


def history_append(
    *, dossier: Dossier, kind: str, at: dt.datetime, actor, data: dict[str, Any] | None = None
) -> DossierEvent:
    """Append one event. The caller holds the dossier row lock, so ``seq``
    and the previous hash are read from the locked row, not from a query."""
    data = json.loads(json.dumps({**(data or {}), "status": dossier.status}, cls=DjangoJSONEncoder))
    seq = dossier.events_count + 1
    prev = dossier.last_hash or GENESIS
    label = actor_label(actor)
    event = DossierEvent(
        dossier=dossier,
        seq=seq,
        kind=kind,
        at=at,
        actor=actor if label != "system" else None,
        actor_name=label,
        data=data,
        prev_hash=prev,
    )
    event.hash = chain_hash(prev, canonical(seq=seq, kind=kind, at=at, actor=label, data=data))
    event.save(force_insert=True)
    dossier.events_count = seq
    dossier.last_hash = event.hash
    return event


@dataclass(frozen=True)
class ChainProblem:
    code: str
    seq: int
    message: str


def history_verify(dossier: Dossier) -> list[ChainProblem]:
    """Recompute the chain; every break, gap or mismatch is reported."""
    problems: list[ChainProblem] = []
    prev = GENESIS
    expected_seq = 1
    events = DossierEvent.objects.filter(dossier=dossier).order_by("seq")
    for event in events:
        if event.seq != expected_seq:
            problems.append(
                ChainProblem(
                    "gap", event.seq, f"Thiếu sự kiện số {expected_seq} (gặp số {event.seq})."
                )
            )
            expected_seq = event.seq
        if event.prev_hash != prev:
            problems.append(
                ChainProblem(
                    "broken_link", event.seq, f"Sự kiện {event.seq}: mã băm trước không khớp."
                )
            )
        payload = canonical(
            seq=event.seq, kind=event.kind, at=event.at, actor=event.actor_name, data=event.data
        )
        if chain_hash(event.prev_hash, payload) != event.hash:
            problems.append(
                ChainProblem(
                    "tampered",
                    event.seq,
                    f"Sự kiện {event.seq} ({event.kind}): nội dung đã bị sửa, mã băm không khớp.",
                )
            )
        prev = event.hash
        expected_seq += 1
    if expected_seq - 1 != dossier.events_count:
        problems.append(
            ChainProblem(
                "missing_tail",
                expected_seq,
                f"Hồ sơ ghi {dossier.events_count} sự kiện nhưng chỉ còn {expected_seq - 1}.",
            )
        )
    elif dossier.events_count and prev != dossier.last_hash:
        problems.append(
            ChainProblem("head_mismatch", expected_seq - 1, "Mã băm cuối không khớp với hồ sơ.")
        )
    return problems

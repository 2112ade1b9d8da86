"""The dossier's history: append-only, hash-chained, keyed, verifiable.

Two chains run through every dossier's events:

* the public one, ``hash = sha256(prev_hash + canonical)``: anyone holding a
  copy of the rows can recompute it, and it is what the signed anchors
  (``workflows.services.anchors``) let a third party check;
* the keyed one, ``mac = HMAC-SHA256(key, prev_mac + canonical + hash)``,
  starting from a per-dossier genesis: without the history key (outside the
  database, ``workflows.services.history_keys``) nobody can re-chain the
  hashes after a rewrite, nor append an event, so that it verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.core.serializers.json import DjangoJSONEncoder

from workflows.models import Dossier, DossierEvent
from workflows.services.history_keys import Keyring, keyring

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


def mac_genesis(code: str) -> str:
    """The "previous mac" of a dossier's first keyed event. Derived from the
    code, so a keyed chain cannot be moved to another dossier."""
    return hashlib.sha256(b"motcua-history-genesis:" + code.encode()).hexdigest()


def chain_mac(key: bytes, prev_mac: str, payload: bytes, hash_: str) -> str:
    return hmac.new(key, prev_mac.encode() + payload + hash_.encode(), hashlib.sha256).hexdigest()


def actor_label(actor) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "system"
    return actor.get_username()


def history_append(
    *, dossier: Dossier, kind: str, at: dt.datetime, actor, data: dict[str, Any] | None = None
) -> DossierEvent:
    """Append one event. The caller holds the dossier row lock, so ``seq``
    and the previous hash and mac are read from the locked row, not from a
    query; the caller saves the dossier (``events_count``, ``last_hash``,
    ``last_mac``)."""
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
    payload = canonical(seq=seq, kind=kind, at=at, actor=label, data=data)
    event.hash = chain_hash(prev, payload)
    ring = keyring()
    event.key_id = ring.current_id
    event.mac = chain_mac(
        ring.current, dossier.last_mac or mac_genesis(dossier.code), payload, event.hash
    )
    event.save(force_insert=True)
    dossier.events_count = seq
    dossier.last_hash = event.hash
    dossier.last_mac = event.mac
    return event


class Head(NamedTuple):
    """A dossier's head as an anchor records it."""

    count: int
    hash: str
    mac: str


@dataclass(frozen=True)
class ChainProblem:
    code: str
    seq: int
    message: str
    #: "error": the history was changed; "notice": reported, not a failure
    #: (events written before the history key existed).
    severity: str = "error"


def history_verify(
    dossier: Dossier,
    *,
    keyed: bool = True,
    ring: Keyring | None = None,
    legacy_until: int | None = None,
    anchored: Head | None = None,
    upto_head: bool = False,
) -> list[ChainProblem]:
    """Recompute the chains; every break, gap or mismatch is reported.

    ``keyed=False`` checks the public hash chain only (a third party without
    the key). ``legacy_until``: the highest ``seq`` allowed without a mac, as
    sealed by the first anchor (0 for a dossier born after it); ``None`` when
    no anchor says, and then an unkeyed prefix is only a notice.
    ``anchored``: the head the last anchor recorded; the event at that seq
    must still be there, unchanged. ``upto_head``: read only the events up to
    the dossier's ``events_count`` (the anchor writer, while others append).
    """
    if keyed and ring is None:
        ring = keyring()
    problems: list[ChainProblem] = []
    prev = GENESIS
    prev_mac = mac_genesis(dossier.code)
    keyed_seen = False
    unkeyed: list[int] = []
    expected_seq = 1
    at_anchor: DossierEvent | None = None
    events = DossierEvent.objects.filter(dossier=dossier).order_by("seq")
    if upto_head:
        events = events.filter(seq__lte=dossier.events_count)
    for event in events:
        if anchored is not None and event.seq == anchored.count:
            at_anchor = event
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
        elif keyed and event.mac:
            key = ring.keys.get(event.key_id)
            if key is None:
                problems.append(
                    ChainProblem(
                        "unknown_key",
                        event.seq,
                        f"Sự kiện {event.seq}: ghi bằng khóa {event.key_id or '(trống)'} không có "
                        "trong HISTORY_KEY/HISTORY_KEYS, không kiểm tra được mã xác thực.",
                    )
                )
            elif not hmac.compare_digest(chain_mac(key, prev_mac, payload, event.hash), event.mac):
                problems.append(
                    ChainProblem(
                        "bad_mac",
                        event.seq,
                        f"Sự kiện {event.seq} ({event.kind}): mã xác thực (HMAC) không khớp — "
                        "sự kiện bị sửa rồi tính lại chuỗi băm, hoặc bị chèn thêm.",
                    )
                )
        if keyed and not event.mac:
            if keyed_seen or (legacy_until is not None and event.seq > legacy_until):
                problems.append(
                    ChainProblem(
                        "mac_missing",
                        event.seq,
                        f"Sự kiện {event.seq} ({event.kind}): không có mã xác thực dù được ghi "
                        "sau khi đã có khóa lịch sử — sự kiện bị chèn thêm hoặc bị xóa mã.",
                    )
                )
            else:
                unkeyed.append(event.seq)
        if event.mac:
            keyed_seen = True
            prev_mac = event.mac
        prev = event.hash
        expected_seq += 1
    count = expected_seq - 1
    if count < dossier.events_count:
        problems.append(
            ChainProblem(
                "missing_tail",
                expected_seq,
                f"Hồ sơ ghi {dossier.events_count} sự kiện nhưng chỉ còn {count}.",
            )
        )
    elif count > dossier.events_count and not upto_head:
        problems.append(
            ChainProblem(
                "extra_events",
                dossier.events_count + 1,
                f"Hồ sơ ghi {dossier.events_count} sự kiện nhưng có {count}.",
            )
        )
    elif dossier.events_count and prev != dossier.last_hash:
        problems.append(ChainProblem("head_mismatch", count, "Mã băm cuối không khớp với hồ sơ."))
    elif keyed and dossier.last_mac != (prev_mac if keyed_seen else ""):
        problems.append(
            ChainProblem("head_mismatch", count, "Mã xác thực cuối không khớp với hồ sơ.")
        )
    if anchored is not None and anchored.count:
        if at_anchor is None:
            problems.append(
                ChainProblem(
                    "anchored_tail_missing",
                    anchored.count,
                    f"Mốc neo ghi {anchored.count} sự kiện, nay chỉ còn {count}: "
                    "sự kiện đã bị xóa.",
                )
            )
        elif at_anchor.hash != anchored.hash or at_anchor.mac != anchored.mac:
            problems.append(
                ChainProblem(
                    "anchored_head_changed",
                    anchored.count,
                    f"Sự kiện {anchored.count} khác với bản ghi trong mốc neo: "
                    "lịch sử đã bị viết lại.",
                )
            )
    if unkeyed:
        span = f"{unkeyed[0]}–{unkeyed[-1]}" if len(unkeyed) > 1 else str(unkeyed[0])
        problems.append(
            ChainProblem(
                "unkeyed",
                unkeyed[-1],
                f"Sự kiện {span}: ghi trước khi có khóa lịch sử (chưa có mã xác thực), "
                "chỉ kiểm tra được chuỗi băm công khai.",
                severity="notice",
            )
        )
    return problems


def history_errors(problems: list[ChainProblem]) -> list[ChainProblem]:
    return [p for p in problems if p.severity == "error"]

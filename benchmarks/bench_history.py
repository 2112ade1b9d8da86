"""What the tamper-evident history costs: the mac per event, an anchor, a verification.

``make bench`` runs it; ``.venv/bin/python benchmarks/bench_history.py``
prints its JSON alone. ``MOTCUA_BENCH_HISTORY_DOSSIERS`` (default 20,000)
sets the number of dossiers.

In a throwaway PostgreSQL database (migrated, demo data), one dossier is
received through the real services and given 5 more events (6 in all, as a
returned dossier has); the others are copies of its row and of
its events, inserted in bulk, each with the same public hash chain and its
own keyed chain (the mac starts from a genesis derived from the code), so
every copy verifies. Timed:

* ``chain_hash`` alone and with ``chain_mac``, on a real event's canonical
  payload (the extra cost of ``history_append``);
* the first anchor (every dossier listed, every chain verified first), then
  an incremental one after 1% of the dossiers gained an event, then one with
  nothing changed;
* ``history_audit`` with the key, and with the public key alone;
* folding a chain of 1,000 synthetic anchors of 100 changed heads each (the
  cost every anchor and every verification pays to read the directory).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._support import django_on, log, median, throwaway_postgres

DEFAULT_DOSSIERS = 20_000
BATCH = 5_000
MD5_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


def _timed(fn, repeats: int = 1) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return median(times), result


def _copies(template, n: int) -> None:
    from workflows.models import Dossier, DossierEvent
    from workflows.services.history import canonical, chain_mac, mac_genesis
    from workflows.services.history_keys import keyring

    ring = keyring()
    events = list(DossierEvent.objects.filter(dossier=template).order_by("seq"))
    payloads = [
        canonical(seq=e.seq, kind=e.kind, at=e.at, actor=e.actor_name, data=e.data) for e in events
    ]
    skip = {"id", "code", "clock", "process", "current_handover", "idempotency_key"}
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Dossier._meta.concrete_fields
        if f.name not in skip
    }
    done = 0
    while done < n:
        size = min(BATCH, n - done)
        dossiers = [Dossier(**{**fields, "code": f"BENCH-{done + i:07d}"}) for i in range(size)]
        rows = []
        for d in dossiers:
            prev = mac_genesis(d.code)
            for e, payload in zip(events, payloads, strict=True):
                prev = chain_mac(ring.current, prev, payload, e.hash)
                rows.append((e, prev))
            d.last_mac = prev
        Dossier.objects.bulk_create(dossiers, batch_size=1000)
        DossierEvent.objects.bulk_create(
            [
                DossierEvent(
                    dossier=d,
                    seq=e.seq,
                    kind=e.kind,
                    at=e.at,
                    actor_id=e.actor_id,
                    actor_name=e.actor_name,
                    data=e.data,
                    prev_hash=e.prev_hash,
                    hash=e.hash,
                    mac=mac,
                    key_id=ring.current_id,
                )
                for d, chunk in zip(
                    dossiers,
                    [rows[i : i + len(events)] for i in range(0, len(rows), len(events))],
                    strict=True,
                )
                for e, mac in chunk
            ],
            batch_size=2000,
        )
        done += size
        log(f"history: {done:,} copies")


def _touch(codes: list[str], at: dt.datetime) -> None:
    """One more event on each of these dossiers, through history_append."""
    from django.db import transaction

    from workflows.models import Dossier
    from workflows.services.history import history_append

    with transaction.atomic():
        for dossier in Dossier.objects.select_for_update().filter(code__in=codes):
            history_append(dossier=dossier, kind="note", at=at, actor=None, data={"n": 1})
            dossier.save(update_fields=["events_count", "last_hash", "last_mac"])


def _fold_synthetic(directory: Path, anchors_n: int = 1000, per: int = 100) -> dict[str, float]:
    """Sign a chain of synthetic anchors, then time anchors_verify over it."""
    import base64
    import hashlib

    from workflows.services import anchors
    from workflows.services.history import Head
    from workflows.services.history_keys import public_key_raw_b64, signing_key

    key = signing_key()
    heads: dict[str, Head] = {}
    previous = anchors.GENESIS_ANCHOR
    for seq in range(1, anchors_n + 1):
        changed = {}
        for i in range(per):
            code = f"S-{(seq * 37 + i) % 20_000:06d}"
            old = heads.get(code)
            count = (old.count if old else 0) + 1
            h = hashlib.sha256(f"{code}{count}".encode()).hexdigest()
            changed[code] = Head(count, h, h)
        heads.update(changed)
        anchor = {
            "format": anchors.FORMAT,
            "seq": seq,
            "at": "2026-01-01T00:00:00+00:00",
            "previous": previous,
            "dossiers": len(heads),
            "events": sum(x.count for x in heads.values()),
            "heads_digest": anchors.heads_digest(heads) if seq == anchors_n else "",
            "changed": [[c, *changed[c]] for c in sorted(changed)],
            "disputed": [],
            "ledger": {"rows": 0, "max_id": 0},
            "key_id": "",
            "signer": public_key_raw_b64(key.public_key()),
        }
        anchor["signature"] = base64.b64encode(key.sign(anchors.canonical_body(anchor))).decode()
        (directory / f"anchor-{seq:08d}.json").write_text(json.dumps(anchor))
        previous = anchors.anchor_digest(anchor)
    seconds, (state, problems) = _timed(
        lambda: anchors.anchors_verify(public_key=key.public_key(), directory=directory), 3
    )
    assert problems == [], problems
    return {
        "anchors": anchors_n,
        "changed_per_anchor": per,
        "heads": len(state.heads),
        "fold_ms": round(seconds * 1000, 1),
    }


def run() -> dict[str, Any]:
    n = int(os.environ.get("MOTCUA_BENCH_HISTORY_DOSSIERS", DEFAULT_DOSSIERS))
    saved_redis = os.environ.pop("REDIS_URL", None)
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            throwaway_postgres(prefix="motcua_history") as url,
            django_on(url),
        ):
            from django.conf import settings
            from django.contrib.auth import get_user_model
            from django.core.management import call_command

            from benchmarks.bench_sweep import RECEIVER, receive
            from config.clock import now
            from procedures.services import demo_seed
            from workflows.models import DossierEvent
            from workflows.services import anchors
            from workflows.services.history import canonical, chain_hash, chain_mac
            from workflows.services.history_keys import keyring, signing_key

            settings.PASSWORD_HASHERS = [MD5_HASHER]
            settings.HISTORY_KEY = "5a" * 32
            settings.HISTORY_SIGNING_KEY_FILE = Path(tmp) / "signing_key"
            settings.HISTORY_ANCHOR_DIR = Path(tmp) / "anchors"
            log("history: migrating")
            call_command("migrate", verbosity=0, interactive=False)
            demo_seed(password="motcua-bench")
            desk = get_user_model().objects.get(username=RECEIVER)
            template = receive(desk, 0)
            for minute in range(1, 6):  # a history of 6 events, as a returned dossier has
                _touch([template.code], now() + dt.timedelta(minutes=minute))
            template.refresh_from_db()
            _copies(template, n - 1)

            event = DossierEvent.objects.filter(dossier=template).order_by("seq").last()
            payload = canonical(
                seq=event.seq,
                kind=event.kind,
                at=event.at,
                actor=event.actor_name,
                data=event.data,
            )
            key = keyring().current
            loops = 20_000
            t_hash, _ = _timed(
                lambda: [chain_hash(event.prev_hash, payload) for _ in range(loops)], 3
            )
            t_both, _ = _timed(
                lambda: [
                    chain_mac(key, event.mac, payload, chain_hash(event.prev_hash, payload))
                    for _ in range(loops)
                ],
                3,
            )

            at = now()
            log("history: first anchor")
            t_first, first = _timed(lambda: anchors.anchor_write(at=at))
            touched = [f"BENCH-{i:07d}" for i in range(0, n - 1, 100)]
            _touch(touched, at + dt.timedelta(minutes=1))
            t_incr, incr = _timed(lambda: anchors.anchor_write(at=at + dt.timedelta(hours=1)))
            t_idle, idle = _timed(lambda: anchors.anchor_write(at=at + dt.timedelta(hours=2)))
            log("history: audits")
            t_keyed, keyed = _timed(lambda: anchors.history_audit())
            public = signing_key().public_key()
            t_public, public_audit = _timed(
                lambda: anchors.history_audit(keyed=False, public_key=public)
            )
            assert keyed.errors == 0 and public_audit.errors == 0, keyed.lines[:5]
            size = first.path.stat().st_size
            fold_dir = Path(tmp) / "synthetic"
            fold_dir.mkdir()
            fold = _fold_synthetic(fold_dir)
            events_total = DossierEvent.objects.count()
    finally:
        if saved_redis is not None:
            os.environ["REDIS_URL"] = saved_redis
    return {
        "name": "history.tamper_evidence",
        "dossiers": n,
        "events": events_total,
        "per_event_us": {
            "hash": round(t_hash / loops * 1e6, 2),
            "hash_and_mac": round(t_both / loops * 1e6, 2),
        },
        "anchor_ms": {
            "first_all_dossiers": round(t_first * 1000, 1),
            "incremental_1pct_changed": round(t_incr * 1000, 1),
            "nothing_changed": round(t_idle * 1000, 1),
        },
        "anchor_changed": [first.changed, incr.changed, idle.changed],
        "first_anchor_bytes": size,
        "verify_history_s": {"keyed": round(t_keyed, 2), "public_key": round(t_public, 2)},
        "fold_synthetic": fold,
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    print(json.dumps(run(), ensure_ascii=False, indent=2))

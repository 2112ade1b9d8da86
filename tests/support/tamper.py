"""What a database superuser can do to the history with plain SQL.

The attacker knows the public algorithm (``canonical``, ``chain_hash``) and
can switch the append-only triggers off (``session_replication_role =
replica`` on PostgreSQL); the one thing they do not have is the history key.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import connection

from workflows.models import Dossier, DossierEvent
from workflows.services.history import GENESIS, canonical, chain_hash

EVENTS = DossierEvent._meta.db_table
DOSSIERS = Dossier._meta.db_table


def superuser_sql(sql: str, params: list | tuple = ()) -> None:
    """Run ``sql`` as a superuser who has turned the triggers off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


def _payload(event: DossierEvent, data: dict | None = None) -> bytes:
    return canonical(
        seq=event.seq,
        kind=event.kind,
        at=event.at,
        actor=event.actor_name,
        data=event.data if data is None else data,
    )


def rechain(dossier: Dossier, *, seq: int, data: dict) -> None:
    """Rewrite event ``seq``'s data, recompute every later hash and the
    dossier's head: the public chain verifies again afterwards."""
    events = list(DossierEvent.objects.filter(dossier=dossier).order_by("seq"))
    prev = GENESIS
    for event in events:
        if event.seq < seq:
            prev = event.hash
            continue
        new_data = data if event.seq == seq else event.data
        new_hash = chain_hash(prev, _payload(event, new_data))
        superuser_sql(
            f"UPDATE {EVENTS} SET data = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [json.dumps(new_data), prev, new_hash, event.pk],
        )
        prev = new_hash
    superuser_sql(f"UPDATE {DOSSIERS} SET last_hash = %s WHERE id = %s", [prev, dossier.pk])


def forge_append(dossier: Dossier, *, kind: str = "returned", mac: str = "") -> int:
    """INSERT one more event with a correct public hash and update the
    dossier's ``events_count`` and ``last_hash``. Returns its seq."""
    dossier.refresh_from_db()
    last = DossierEvent.objects.filter(dossier=dossier).order_by("-seq").first()
    seq = dossier.events_count + 1
    at = last.at + dt.timedelta(minutes=5)
    data = {"status": "returned", "result": "Đã giải quyết"}
    payload = canonical(seq=seq, kind=kind, at=at, actor="system", data=data)
    new_hash = chain_hash(dossier.last_hash, payload)
    superuser_sql(
        f"INSERT INTO {EVENTS} (dossier_id, seq, kind, at, actor_id, actor_name, data, "
        "prev_hash, hash, mac, key_id) VALUES (%s, %s, %s, %s, NULL, 'system', %s, %s, %s, %s, %s)",
        [dossier.pk, seq, kind, at, json.dumps(data), dossier.last_hash, new_hash, mac, ""],
    )
    superuser_sql(
        f"UPDATE {DOSSIERS} SET events_count = %s, last_hash = %s WHERE id = %s",
        [seq, new_hash, dossier.pk],
    )
    return seq


def delete_tail(dossier: Dossier, *, keep: int) -> None:
    """DELETE the events after ``keep`` and set the dossier's head back to
    event ``keep``: the chains of what is left verify."""
    kept = DossierEvent.objects.get(dossier=dossier, seq=keep)
    superuser_sql(f"DELETE FROM {EVENTS} WHERE dossier_id = %s AND seq > %s", [dossier.pk, keep])
    superuser_sql(
        f"UPDATE {DOSSIERS} SET events_count = %s, last_hash = %s, last_mac = %s WHERE id = %s",
        [keep, kept.hash, kept.mac, dossier.pk],
    )


def strip_macs(dossier: Dossier) -> None:
    """Make a dossier's keyed events look like legacy, unkeyed ones."""
    superuser_sql(f"UPDATE {EVENTS} SET mac = '', key_id = '' WHERE dossier_id = %s", [dossier.pk])
    superuser_sql(f"UPDATE {DOSSIERS} SET last_mac = '' WHERE id = %s", [dossier.pk])

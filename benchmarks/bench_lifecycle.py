"""The whole lifecycle of a dossier on PostgreSQL: throughput, queries per
action, and how far the engine is from a raw-SQL floor.

``make bench`` runs it; ``.venv/bin/python benchmarks/bench_lifecycle.py``
prints its JSON alone. ``MOTCUA_BENCH_DOSSIERS`` (default 2,000) shrinks the
run for a quick check.

* **Engine**: N dossiers of procedure 1.001667 (two steps, then return at the
  desk) go through the real services as the demo officers of centre 14797:
  receive (desk), claim and advance (specialist), claim and advance
  (leadership: result ready), return (desk). Lifecycles per second of wall
  time.
* **Queries per action**: one representative call of each action, after the
  warm-up, captured with ``CaptureQueriesContext``; each actor is loaded
  fresh from the database, as a request would load it. Then the REST API
  through DRF's ``APIClient``: the detail of a returned dossier, and the list
  with pages of 10, 50 and 200 dossiers in mixed states.
* **Floor**: the same row writes as the engine's lifecycle, in the same
  transactions (one per action, then the outbox's claim and record of each
  delivery after commit), issued by plain psycopg with hand-written SQL and
  values precomputed from a dossier the engine wrote: no ORM, no reads, no
  business logic. The ratio engine/floor says what the engine costs.

Engine and floor alternate in rounds on the same database, so that the noise
of a small shared machine falls on both; the ratio is the median of the
rounds' ratios. Everything runs in a throwaway database dropped at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import secrets
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._support import (  # after the path set-up above
    django_on,
    libpq_url,
    log,
    median,
    throwaway_postgres,
)

DEFAULT_DOSSIERS = 2_000
ROUNDS = 8  # engine and floor alternate this many times
WARM_UP = 5  # engine lifecycles before anything is measured
FLOOR_WARM_UP = 3
MIXED = 240  # dossiers left at every stage of the lifecycle, for the list
GET_REPEATS = 5  # each GET is timed this many times (after one warm-up)
LIST_PAGE_SIZES = (10, 50, 200)

PROCEDURE = "1.001667"  # sickness benefit: handling, approval, then return
CENTRE = "14797"  # Hạc Thành
RECEIVER = "hacthanh.bhxh.motcua"
HANDLER = "hacthanh.bhxh.chuyenvien"
APPROVER = "hacthanh.bhxh.lanhdao"
MD5_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"

#: The lifecycle, action by action: (name in the report, service action, actor).
STEPS = [
    ("receive", "receive", RECEIVER),
    ("claim", "claim", HANDLER),
    ("advance", "advance", HANDLER),
    ("claim_approval", "claim", APPROVER),
    ("advance_last", "advance", APPROVER),
    ("return", "return", RECEIVER),
]

GOALS = {
    "max_queries_per_action": 25,
    "list_queries_independent_of_page_size": True,
    "min_ratio_engine_to_floor": 0.2,
}

NAMES = [
    "Nguyễn Thị Hương",
    "Trần Văn Bình",
    "Lê Thị Thu Trang",
    "Phạm Quốc Khánh",
    "Hoàng Minh Đức",
    "Vũ Thị Ngọc Ánh",
]
DOCUMENTS = [
    {
        "name": "Danh sách đề nghị giải quyết hưởng chế độ ốm đau (mẫu 01B-HSB)",
        "kind": "original",
        "quantity": 1,
    },
    {
        "name": "Giấy chứng nhận nghỉ việc hưởng bảo hiểm xã hội",
        "kind": "original",
        "quantity": 1,
    },
]
TRANSACTION_WORDS = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def id_number(i: int) -> str:
    """A valid 12-digit personal identification number: Thanh Hóa (038), a
    century-and-sex digit 0–3, a birth year, six serial digits."""
    return f"038{i % 4}{(60 + i) % 100:02d}{i % 1_000_000:06d}"


def phone(i: int) -> str:
    return f"09{12_345_678 + i % 80_000_000:08d}"


def kind_of(statement: str) -> str:
    word = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
    if word in TRANSACTION_WORDS:
        return "transaction"
    if word in ("INSERT", "UPDATE", "DELETE"):
        return "write"
    return "read"


def shape(statement: str) -> str:
    """What a statement does, without its columns and values: "SELECT workflows_dossier
    FOR UPDATE", "INSERT notifications_delivery", "SAVEPOINT"."""
    text = " ".join(statement.split())
    head = text.split(" ", 1)[0].upper()
    if head == "SELECT":
        source = re.search(r'\bFROM "?(\w+)"?', text)
        words = ["SELECT"]
        if re.match(r"SELECT COUNT\(\*\)", text, re.IGNORECASE):
            words.append("COUNT(*)")
        words.append(source.group(1) if source else "…")
        if " FOR UPDATE" in text.upper():
            words.append("FOR UPDATE")
        return " ".join(words)
    written = WRITTEN_TABLE.match(text)
    if written:
        return f"{head} {written.group(1)}"
    return "RELEASE SAVEPOINT" if head == "RELEASE" else head


def shapes(statements: list[str]) -> str:
    """The statements in order, alike ones counted together: "2× INSERT … | 1× COMMIT"."""
    counted = Counter(shape(s) for s in statements)
    return " | ".join(f"{n}× {what}" for what, n in counted.items())


def written_tables(statements: list[str]) -> dict[str, int]:
    """How many writes each table received."""
    tables = Counter()
    for statement in statements:
        match = WRITTEN_TABLE.match(statement)
        if match:
            tables[match.group(1)] += 1
    return dict(sorted(tables.items()))


def transactions(statements: list[str]) -> dict[str, int]:
    """Explicit transactions (BEGIN … COMMIT) and writes sent outside any (autocommit)."""
    explicit = autocommit = 0
    inside = False
    for statement in statements:
        word = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if word == "BEGIN":
            explicit += 1
            inside = True
        elif word in ("COMMIT", "ROLLBACK"):
            inside = False
        elif not inside and kind_of(statement) == "write":
            autocommit += 1
    return {"transactions": explicit, "autocommit_writes": autocommit}


def tally(statements: list[str]) -> dict[str, int]:
    counts = {"total": len(statements), "read": 0, "write": 0, "transaction": 0}
    for statement in statements:
        counts[kind_of(statement)] += 1
    return counts


# ---------------------------------------------------------------------------
# The engine: the real services, as the demo officers
# ---------------------------------------------------------------------------


class Cast:
    """The three demo officers, loaded once (throughput) or fresh (query counts)."""

    names = (RECEIVER, HANDLER, APPROVER)

    def __init__(self) -> None:
        from django.contrib.auth import get_user_model

        self.model = get_user_model()
        self.users = {u.username: u for u in self.model.objects.filter(username__in=self.names)}
        missing = set(self.names) - set(self.users)
        if missing:
            raise RuntimeError(f"demo_seed did not create {sorted(missing)}")

    def user(self, username: str):
        return self.users[username]

    def fresh(self, username: str):
        return self.model.objects.get(pk=self.users[username].pk)


def act(action: str, actor, code: str | None, i: int) -> str:
    """One action of the lifecycle through its service; returns the dossier code."""
    from workflows.services import handling, intake

    if action == "receive":
        receipt = intake.dossier_receive(
            actor=actor,
            procedure=PROCEDURE,
            centre=CENTRE,
            channel="in_person",
            applicant=intake.Applicant(
                full_name=NAMES[i % len(NAMES)], id_number=id_number(i), phone=phone(i)
            ),
            documents=DOCUMENTS,
        )
        return receipt.dossier.code
    assert code is not None
    if action == "claim":
        handling.dossier_claim(actor=actor, code=code)
    elif action == "advance":
        handling.dossier_advance(actor=actor, code=code, note="Đã kiểm tra, đủ điều kiện.")
    elif action == "return":
        handling.dossier_return(actor=actor, code=code, method="counter")
    else:
        raise ValueError(action)
    return code


def engine_lifecycle(cast: Cast, i: int, *, steps: int = len(STEPS)) -> str:
    code = None
    for _, action, username in STEPS[:steps]:
        code = act(action, cast.user(username), code, i)
    assert code is not None
    return code


def engine_captured(cast: Cast, i: int) -> tuple[str, dict[str, list[str]]]:
    """One lifecycle, each action captured on its own, actors loaded fresh."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    code = None
    captured: dict[str, list[str]] = {}
    for name, action, username in STEPS:
        actor = cast.fresh(username)
        with CaptureQueriesContext(connection) as queries:
            code = act(action, actor, code, i)
        captured[name] = [q["sql"] for q in queries.captured_queries]
    assert code is not None
    return code, captured


# ---------------------------------------------------------------------------
# The floor: the same row writes with plain psycopg
# ---------------------------------------------------------------------------

SQL_SEQUENCE = (
    "INSERT INTO workflows_dossiersequence (centre_id, day, last) VALUES (%s, %s, 1) "
    "ON CONFLICT (centre_id, day) DO UPDATE SET last = workflows_dossiersequence.last + 1 "
    "RETURNING last"
)
SQL_DOSSIER = (
    "INSERT INTO workflows_dossier (code, centre_id, procedure_id, version_id, agency_id, "
    "reception_unit_id, channel, status, status_before_supplement, applicant_name, "
    "applicant_id_number, applicant_phone, applicant_email, applicant_address, documents, note, "
    "submitted_at, route, current_step, timeliness, result, return_method, stop_reason, "
    "tracking_pin_hash, idempotency_key, request_fingerprint, created_by_id, events_count, "
    "last_hash, policy) VALUES (%s, %s, %s, %s, %s, %s, 'in_person', 'submitted', '', %s, %s, "
    "%s, '', '', %s::jsonb, '', %s, '[]'::jsonb, 0, '', '', '', '', %s, '', %s, %s, 0, '', "
    "%s::jsonb) RETURNING id"
)
SQL_CLOCK = (
    "INSERT INTO workflows_clock (kind, centre_id, budget, state, started_at, first_due_at, "
    "appointment_due_at, due_at, extended, events_count, warn_before_seconds, warn_fired, "
    "due_fired) VALUES (%s, %s, %s, 'running', %s, %s, %s, %s, false, 1, %s, false, false) "
    "RETURNING id"
)
SQL_CLOCK_EVENT = (
    "INSERT INTO workflows_clockevent (clock_id, seq, kind, at, reason, due_at, actor_id) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
SQL_CLOCK_END = (
    "UPDATE workflows_clock SET state = 'ended', ended_at = %s, events_count = 2 WHERE id = %s"
)
SQL_PROCESS = (
    "INSERT INTO viewflow_process (flow_class, status, created, data) "
    "VALUES (%s, 'NEW', %s, %s::jsonb) RETURNING id"
)
SQL_PROCESS_DONE = "UPDATE viewflow_process SET status = 'DONE', finished = %s WHERE id = %s"
SQL_TASK = (
    "INSERT INTO viewflow_task (flow_task, flow_task_type, status, created, started, finished, "
    "token, owner_permission, owner_permission_content_type_id, owner_permission_obj_pk, "
    "process_id, data) VALUES (%s, %s, %s, %s, %s, %s, 'start', %s, %s, %s, %s, '{}'::jsonb) "
    "RETURNING id"
)
SQL_TASK_PREVIOUS = (
    "INSERT INTO viewflow_task_previous (from_task_id, to_task_id) VALUES (%s, %s) "
    "ON CONFLICT DO NOTHING"
)
SQL_TASK_ASSIGN = "UPDATE viewflow_task SET status = 'ASSIGNED', owner_id = %s WHERE id = %s"
SQL_TASK_DONE = (
    "UPDATE viewflow_task SET status = 'DONE', owner_id = %s, started = %s, finished = %s "
    "WHERE id = %s"
)
SQL_HANDOVER = (
    "INSERT INTO workflows_handover (dossier_id, seq, step_order, step_name, step_role, "
    "budget_hours, from_unit_id, from_officer_id, to_unit_id, handed_at, due_at, verdict, note, "
    "clock_id, task_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '', '', %s, %s) "
    "RETURNING id"
)
SQL_HANDOVER_CLAIM = (
    "UPDATE workflows_handover SET to_officer_id = %s, claimed_at = %s WHERE id = %s"
)
SQL_HANDOVER_DONE = (
    "UPDATE workflows_handover SET to_officer_id = %s, completed_at = %s, verdict = %s, "
    "note = %s WHERE id = %s"
)
SQL_EVENT = (
    "INSERT INTO workflows_dossierevent (dossier_id, seq, kind, at, actor_id, actor_name, data, "
    "prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s)"
)
SQL_DOSSIER_RECEIVED = (
    "UPDATE workflows_dossier SET status = 'received', received_at = %s, received_by_id = %s, "
    "clock_id = %s, process_id = %s, current_handover_id = %s, route = %s::jsonb, "
    "events_count = 1, last_hash = %s WHERE id = %s"
)
SQL_DOSSIER_CLAIMED = (
    "UPDATE workflows_dossier SET status = 'in_progress', events_count = %s, last_hash = %s "
    "WHERE id = %s"
)
SQL_DOSSIER_ADVANCED = (
    "UPDATE workflows_dossier SET current_step = %s, current_handover_id = %s, "
    "events_count = %s, last_hash = %s WHERE id = %s"
)
SQL_DOSSIER_RESULT_READY = (
    "UPDATE workflows_dossier SET status = 'result_ready', ended_at = %s, timeliness = %s, "
    "current_step = %s, current_handover_id = %s, events_count = %s, last_hash = %s WHERE id = %s"
)
SQL_DOSSIER_RETURNED = (
    "UPDATE workflows_dossier SET status = 'returned', returned_at = %s, "
    "return_method = 'counter', current_handover_id = NULL, events_count = %s, last_hash = %s "
    "WHERE id = %s"
)
SQL_NOTIFICATION = (
    "INSERT INTO notifications_notification (recipient_kind, recipient_user_id, "
    "recipient_unit_id, recipient_centre_id, citizen_phone, citizen_email, recipient_name, kind, "
    "dossier, title, body, data, created_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s) RETURNING id"
)
SQL_DELIVERY = (
    "INSERT INTO notifications_delivery (notification_id, channel, address, text, state, "
    "attempts, next_attempt_at, last_error) VALUES (%s, %s, %s, %s, 'pending', 0, %s, '') "
    "RETURNING id"
)
SQL_DELIVERY_SENT = (
    "UPDATE notifications_delivery SET state = 'sent', sent_at = %s, last_error = '', "
    "attempts = attempts + 1 WHERE id = ANY(%s) AND state = 'pending'"
)

INSERTS = {
    "SEQUENCE": SQL_SEQUENCE,
    "DOSSIER": SQL_DOSSIER,
    "CLOCK": SQL_CLOCK,
    "CLOCK_EVENT": SQL_CLOCK_EVENT,
    "PROCESS": SQL_PROCESS,
    "TASK": SQL_TASK,
    "TASK_PREVIOUS": SQL_TASK_PREVIOUS,
    "HANDOVER": SQL_HANDOVER,
    "EVENT": SQL_EVENT,
    "NOTIFICATION": SQL_NOTIFICATION,
    "DELIVERY": SQL_DELIVERY,
}
#: The lifecycle event each action publishes (``workflows.services.publish``).
PUBLISHED = {
    "receive": "received",
    "claim": "claimed",
    "advance": "advanced",
    "claim_approval": "claimed",
    "advance_last": "result_ready",
    "return": "returned",
}
INSERT_PARTS = re.compile(
    r"INSERT INTO (\w+) \(([^)]*)\) VALUES \((.*)\)( (?:RETURNING|ON CONFLICT) .*)?", re.DOTALL
)


def rows_of_insert(statement: str, rows: int) -> str:
    """A one-row ``INSERT … VALUES (…)`` made to insert ``rows`` rows at once."""
    match = INSERT_PARTS.match(statement)
    assert match is not None, statement
    table, columns, values, tail = match.groups()
    tuples = ", ".join([f"({values})"] * max(rows, 1))
    return f"INSERT INTO {table} ({columns}) VALUES {tuples}{tail or ''}"


WRITTEN_TABLE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


@dataclass
class Step:
    """One handover of the template dossier, with its clock and its task."""

    seq: int
    order: int
    name: str
    role: str
    budget_hours: Any
    from_unit: int
    to_unit: int
    claimer: int
    due_at: Any
    verdict: str
    note: str
    clock_budget: str
    clock_first_due: Any
    clock_appointment_due: Any
    clock_due: Any
    clock_start_due: Any
    clock_warn_before: int
    flow_task: str
    flow_task_type: str
    permission: str | None
    permission_type: int | None
    permission_obj: str | None


@dataclass
class Publication:
    """The outbox rows one lifecycle event wrote for the template dossier: its
    notifications in one INSERT, their deliveries in another, then after commit
    one update per group of deliveries sent together (web, then the others)."""

    notifications: list[tuple]  # recipient_kind … data, as written for the template
    citizen: list[bool]
    notification_sql: str
    deliveries: list[tuple[int, str, str, str]]  # its notification (index), channel, address, text
    delivery_sql: str
    groups: list[list[int]]  # indexes into deliveries


class Floor:
    """Precomputed values for the hand-written writes, modelled on one dossier
    the engine wrote; ``lifecycle`` then only moves ids between statements."""

    def __init__(self, conn, code: str, at, prefix: str) -> None:
        from psycopg.rows import dict_row

        self.at = at
        self.prefix = prefix
        self.day = at.date().replace(year=2000)  # a sequence row of its own
        with conn.cursor(row_factory=dict_row) as cur:
            d = cur.execute(
                "SELECT *, documents::text AS documents_json, route::text AS route_json, "
                "policy::text AS policy_json "
                "FROM workflows_dossier WHERE code = %s",
                (code,),
            ).fetchone()
            handovers = cur.execute(
                "SELECT * FROM workflows_handover WHERE dossier_id = %s ORDER BY seq", (d["id"],)
            ).fetchall()
            clock_ids = [d["clock_id"], *(h["clock_id"] for h in handovers)]
            clocks = {
                row["id"]: row
                for row in cur.execute(
                    "SELECT * FROM workflows_clock WHERE id = ANY(%s)", (clock_ids,)
                ).fetchall()
            }
            starts = {
                row["clock_id"]: row
                for row in cur.execute(
                    "SELECT * FROM workflows_clockevent WHERE clock_id = ANY(%s) AND seq = 1",
                    (clock_ids,),
                ).fetchall()
            }
            ends = {
                row["clock_id"]: row
                for row in cur.execute(
                    "SELECT * FROM workflows_clockevent WHERE clock_id = ANY(%s) AND kind = 'end'",
                    (clock_ids,),
                ).fetchall()
            }
            events = cur.execute(
                "SELECT *, data::text AS data_json FROM workflows_dossierevent "
                "WHERE dossier_id = %s ORDER BY seq",
                (d["id"],),
            ).fetchall()
            process = cur.execute(
                "SELECT *, data::text AS data_json FROM viewflow_process WHERE id = %s",
                (d["process_id"],),
            ).fetchone()
            tasks = cur.execute(
                "SELECT * FROM viewflow_task WHERE process_id = %s ORDER BY id", (d["process_id"],)
            ).fetchall()
            notifications = cur.execute(
                "SELECT *, data::text AS data_json FROM notifications_notification "
                "WHERE dossier = %s ORDER BY id",
                (code,),
            ).fetchall()
            deliveries = cur.execute(
                "SELECT * FROM notifications_delivery WHERE notification_id = ANY(%s) ORDER BY id",
                ([n["id"] for n in notifications],),
            ).fetchall()
            # The hand-written INSERTs name the columns the engine filled when they
            # were written; a NOT NULL column added since is filled from the template.
            self.filled: dict[str, list[str]] = {}
            templates = {
                "SEQUENCE": {},
                "DOSSIER": d,
                "CLOCK": clocks[d["clock_id"]],
                "CLOCK_EVENT": starts[d["clock_id"]],
                "PROCESS": process,
                "TASK": tasks[1],
                "TASK_PREVIOUS": {},
                "HANDOVER": handovers[0],
                "EVENT": events[0],
                "NOTIFICATION": notifications[0] if notifications else {},
                "DELIVERY": deliveries[0] if deliveries else {},
            }
            self.sql = {
                name: self._required_columns(cur, INSERTS[name], row)
                for name, row in templates.items()
            }
        conn.rollback()
        self.code = code
        events_of = {n["id"]: json.loads(n["data_json"]).get("event", "") for n in notifications}
        self.publications: dict[str, Publication] = {}
        for event in dict.fromkeys(events_of.values()):
            mine = [n for n in notifications if events_of[n["id"]] == event]
            index = {n["id"]: k for k, n in enumerate(mine)}
            theirs = [x for x in deliveries if x["notification_id"] in index]
            web = [k for k, x in enumerate(theirs) if x["channel"] == "web"]
            other = [k for k, x in enumerate(theirs) if x["channel"] != "web"]
            self.publications[event] = Publication(
                notifications=[
                    (
                        n["recipient_kind"],
                        n["recipient_user_id"],
                        n["recipient_unit_id"],
                        n["recipient_centre_id"],
                        n["citizen_phone"],
                        n["citizen_email"],
                        n["recipient_name"],
                        n["kind"],
                        n["dossier"],
                        n["title"],
                        n["body"],
                        n["data_json"],
                    )
                    for n in mine
                ],
                citizen=[n["recipient_kind"] == "citizen" for n in mine],
                notification_sql=rows_of_insert(self.sql["NOTIFICATION"], len(mine)),
                deliveries=[
                    (index[x["notification_id"]], x["channel"], x["address"], x["text"])
                    for x in theirs
                ],
                delivery_sql=rows_of_insert(self.sql["DELIVERY"], len(theirs)),
                groups=[g for g in (web, other) if g],
            )
        #: per lifecycle: one transaction per action, one autocommit update per group
        self.transactions = len(STEPS)
        self.autocommit_writes = sum(len(p.groups) for p in self.publications.values())
        by_task = {t["id"]: t for t in tasks}
        self.dossier = d
        c = clocks[d["clock_id"]]
        self.dossier_clock_values = (
            "dossier",
            d["centre_id"],
            c["budget"],
            at,
            c["first_due_at"],
            c["appointment_due_at"],
            c["due_at"],
            c["warn_before_seconds"],
        )
        self.dossier_clock_start = starts[d["clock_id"]]
        self.dossier_clock_end = ends[d["clock_id"]]
        # flow_task, flow_task_type, status, created, started, finished, then no
        # permission (type, object): the start and end nodes are not human tasks.
        first, last = tasks[0], tasks[-1]
        no_permission = (None, None, None)
        self.start_task_values = (
            *(first["flow_task"], first["flow_task_type"], "DONE", at, at, at),
            *no_permission,
        )
        self.end_task_values = (
            *(last["flow_task"], last["flow_task_type"], "NEW", at, None, None),
            *no_permission,
        )
        self.process_flow_class = process["flow_class"]
        self.steps = []
        for h in handovers:
            clock = clocks[h["clock_id"]]
            task = by_task[h["task_id"]]
            self.steps.append(
                Step(
                    seq=h["seq"],
                    order=h["step_order"],
                    name=h["step_name"],
                    role=h["step_role"],
                    budget_hours=h["budget_hours"],
                    from_unit=h["from_unit_id"],
                    to_unit=h["to_unit_id"],
                    claimer=h["to_officer_id"],
                    due_at=h["due_at"],
                    verdict=h["verdict"],
                    note=h["note"],
                    clock_budget=clock["budget"],
                    clock_first_due=clock["first_due_at"],
                    clock_appointment_due=clock["appointment_due_at"],
                    clock_due=clock["due_at"],
                    clock_start_due=starts[h["clock_id"]]["due_at"],
                    clock_warn_before=clock["warn_before_seconds"],
                    flow_task=task["flow_task"],
                    flow_task_type=task["flow_task_type"],
                    permission=task["owner_permission"],
                    permission_type=task["owner_permission_content_type_id"],
                    permission_obj=task["owner_permission_obj_pk"],
                )
            )
        if len(self.steps) != 3 or len(events) != 7 or len(tasks) != 5:
            raise RuntimeError(
                f"the template dossier {code} has {len(self.steps)} handovers, {len(events)} "
                f"events and {len(tasks)} tasks; the floor is written for 3, 7 and 5"
            )
        self.process_data = process["data_json"]
        # The history's hash chain is business logic: the floor writes fixed hashes.
        # seq → (kind, actor name, data, previous hash, hash)
        hashes = [hashlib.sha256(f"floor-{e['seq']}".encode()).hexdigest() for e in events]
        previous = ["0" * 64, *hashes[:-1]]
        self.events = {
            e["seq"]: (e["kind"], e["actor_name"], e["data_json"], prev, new)
            for e, prev, new in zip(events, previous, hashes, strict=True)
        }
        self.pin_hash = hashlib.sha256(b"floor-pin").hexdigest()
        self.fingerprint = d["request_fingerprint"]

    def _required_columns(self, cur, statement: str, template: dict[str, Any]) -> str:
        """``statement`` with any NOT NULL column it does not name (and that has
        no default) added, its value taken from the engine's template row."""
        from psycopg import sql
        from psycopg.types.json import Jsonb

        match = INSERT_PARTS.match(statement)
        if match is None:
            raise ValueError(f"not an INSERT the floor understands: {statement}")
        table, columns, values, tail = match.groups()
        named = {c.strip() for c in columns.split(",")}
        required = [
            row["column_name"]
            for row in cur.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO' "
                "ORDER BY ordinal_position",
                (table,),
            ).fetchall()
        ]
        missing = [c for c in required if c not in named]
        if not missing:
            return statement
        absent = [c for c in missing if c not in template]
        if absent:
            raise RuntimeError(f"the floor cannot fill {table}.{absent}: update its INSERT")
        literals = []
        for column in missing:
            value = template[column]
            value = Jsonb(value) if isinstance(value, dict | list) else value
            literals.append(sql.Literal(value).as_string(cur.connection))
        self.filled[table] = missing
        return (
            f"INSERT INTO {table} ({columns}, {', '.join(missing)}) "
            f"VALUES ({values}, {', '.join(literals)}){tail or ''}"
        )

    def lifecycle(self, conn, i: int) -> None:
        """receive → claim → advance → claim → advance (last) → return: six
        transactions, the rows the engine writes, nothing read."""
        at = self.at
        d = self.dossier
        s1, s2, s3 = self.steps
        desk = d["received_by_id"]
        with conn.cursor() as cur:  # receive
            number = cur.execute(self.sql["SEQUENCE"], (d["centre_id"], self.day)).fetchone()[0]
            code = f"{self.prefix}{number:06d}"
            dossier = cur.execute(
                self.sql["DOSSIER"],
                (
                    code,
                    d["centre_id"],
                    d["procedure_id"],
                    d["version_id"],
                    d["agency_id"],
                    d["reception_unit_id"],
                    NAMES[i % len(NAMES)],
                    id_number(i),
                    phone(i),
                    d["documents_json"],
                    at,
                    self.pin_hash,
                    self.fingerprint,
                    d["created_by_id"],
                    d["policy_json"],
                ),
            ).fetchone()[0]
            dclock = cur.execute(self.sql["CLOCK"], self.dossier_clock_values).fetchone()[0]
            start_due = self.dossier_clock_start["due_at"]
            cur.execute(self.sql["CLOCK_EVENT"], (dclock, 1, "start", at, "", start_due, desk))
            process = cur.execute(
                self.sql["PROCESS"], (self.process_flow_class, at, self.process_data)
            ).fetchone()[0]
            start = cur.execute(self.sql["TASK"], (*self.start_task_values, process)).fetchone()[0]
            task1, clock1, hand1 = self._hand_over(
                cur, s1, dossier, process, start, d["reception_unit_id"], desk
            )
            last_hash = self._event(cur, dossier, 1, desk)
            cur.execute(
                SQL_DOSSIER_RECEIVED,
                (at, desk, dclock, process, hand1, d["route_json"], last_hash, dossier),
            )
            sent = self._notify(cur, "receive", code, i)
        conn.commit()
        self._deliver(conn, sent)
        with conn.cursor() as cur:  # claim (specialist)
            self._claim(cur, dossier, task1, hand1, s1, 2)
            sent = self._notify(cur, "claim", code, i)
        conn.commit()
        self._deliver(conn, sent)
        with conn.cursor() as cur:  # advance (specialist)
            self._complete(cur, clock1, hand1, task1, s1)
            task2, clock2, hand2 = self._hand_over(
                cur, s2, dossier, process, task1, s1.to_unit, s1.claimer
            )
            last_hash = self._event(cur, dossier, 3, s1.claimer)
            cur.execute(SQL_DOSSIER_ADVANCED, (1, hand2, 3, last_hash, dossier))
            sent = self._notify(cur, "advance", code, i)
        conn.commit()
        self._deliver(conn, sent)
        with conn.cursor() as cur:  # claim (leadership)
            self._claim(cur, dossier, task2, hand2, s2, 4)
            sent = self._notify(cur, "claim_approval", code, i)
        conn.commit()
        self._deliver(conn, sent)
        with conn.cursor() as cur:  # advance, last step: the result is ready
            self._complete(cur, clock2, hand2, task2, s2)
            end = self.dossier_clock_end
            cur.execute(
                self.sql["CLOCK_EVENT"],
                (dclock, 2, "end", at, end["reason"], end["due_at"], s2.claimer),
            )
            cur.execute(SQL_CLOCK_END, (at, dclock))
            task3, clock3, hand3 = self._hand_over(
                cur, s3, dossier, process, task2, s2.to_unit, s2.claimer
            )
            self._event(cur, dossier, 5, s2.claimer)
            last_hash = self._event(cur, dossier, 6, s2.claimer)
            cur.execute(
                SQL_DOSSIER_RESULT_READY,
                (at, d["timeliness"], 2, hand3, 6, last_hash, dossier),
            )
            sent = self._notify(cur, "advance_last", code, i)
        conn.commit()
        self._deliver(conn, sent)
        with conn.cursor() as cur:  # return at the desk
            self._complete(cur, clock3, hand3, None, s3)
            cur.execute(SQL_TASK_ASSIGN, (desk, task3))
            cur.execute(SQL_TASK_DONE, (desk, at, at, task3))
            end_task = cur.execute(self.sql["TASK"], (*self.end_task_values, process)).fetchone()[0]
            cur.execute(self.sql["TASK_PREVIOUS"], (end_task, task3))
            cur.execute(SQL_PROCESS_DONE, (at, process))
            cur.execute(SQL_TASK_DONE, (None, at, at, end_task))
            last_hash = self._event(cur, dossier, 7, desk)
            cur.execute(SQL_DOSSIER_RETURNED, (at, 7, last_hash, dossier))
            sent = self._notify(cur, "return", code, i)
        conn.commit()
        self._deliver(conn, sent)

    def _notify(self, cur, action: str, code: str, i: int) -> list[list[int]]:
        """The outbox rows the action's publication writes; returns the groups of
        deliveries sent together after commit."""
        p = self.publications.get(PUBLISHED[action])
        if p is None:
            return []
        params: list[Any] = []
        for values, citizen in zip(p.notifications, p.citizen, strict=True):
            row = list(values)
            row[8] = code
            row[9] = row[9].replace(self.code, code)
            row[10] = row[10].replace(self.code, code)
            if citizen:
                row[4], row[6] = phone(i), NAMES[i % len(NAMES)]
            params += row
            params.append(self.at)
        notifications = [r[0] for r in cur.execute(p.notification_sql, params).fetchall()]
        if not p.deliveries:
            return []
        params = []
        for k, channel, address, text in p.deliveries:
            address = phone(i) if channel == "sms" else address
            params += [notifications[k], channel, address, text.replace(self.code, code), self.at]
        ids = [r[0] for r in cur.execute(p.delivery_sql, params).fetchall()]
        return [[ids[k] for k in group] for group in p.groups]

    def _deliver(self, conn, sent: list[list[int]]) -> None:
        """After commit, as the outbox does: each group marked sent by one statement
        in autocommit; the sending itself is not the database's work."""
        if not sent:
            return
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                for ids in sent:
                    cur.execute(SQL_DELIVERY_SENT, (self.at, ids))
        finally:
            conn.autocommit = False

    def _event(self, cur, dossier: int, seq: int, actor: int) -> str:
        kind, actor_name, data, prev, new = self.events[seq]
        cur.execute(
            self.sql["EVENT"], (dossier, seq, kind, self.at, actor, actor_name, data, prev, new)
        )
        return new

    def _hand_over(self, cur, s: Step, dossier, process, previous_task, from_unit, from_officer):
        at = self.at
        task = cur.execute(
            self.sql["TASK"],
            (
                s.flow_task,
                s.flow_task_type,
                "NEW",
                at,
                None,
                None,
                s.permission,
                s.permission_type,
                s.permission_obj,
                process,
            ),
        ).fetchone()[0]
        cur.execute(self.sql["TASK_PREVIOUS"], (task, previous_task))
        clock = cur.execute(
            self.sql["CLOCK"],
            (
                "step",
                self.dossier["centre_id"],
                s.clock_budget,
                at,
                s.clock_first_due,
                s.clock_appointment_due,
                s.clock_due,
                s.clock_warn_before,
            ),
        ).fetchone()[0]
        cur.execute(
            self.sql["CLOCK_EVENT"], (clock, 1, "start", at, "", s.clock_start_due, from_officer)
        )
        handover = cur.execute(
            self.sql["HANDOVER"],
            (
                dossier,
                s.seq,
                s.order,
                s.name,
                s.role,
                s.budget_hours,
                from_unit,
                from_officer,
                s.to_unit,
                at,
                s.due_at,
                clock,
                task,
            ),
        ).fetchone()[0]
        return task, clock, handover

    def _claim(self, cur, dossier, task, handover, s: Step, seq: int) -> None:
        cur.execute(SQL_TASK_ASSIGN, (s.claimer, task))
        cur.execute(SQL_HANDOVER_CLAIM, (s.claimer, self.at, handover))
        last_hash = self._event(cur, dossier, seq, s.claimer)
        cur.execute(SQL_DOSSIER_CLAIMED, (seq, last_hash, dossier))

    def _complete(self, cur, clock, handover, task, s: Step) -> None:
        """End the step's clock and close its handover (and its task, for a step)."""
        at = self.at
        cur.execute(self.sql["CLOCK_EVENT"], (clock, 2, "end", at, s.note, s.clock_due, s.claimer))
        cur.execute(SQL_CLOCK_END, (at, clock))
        cur.execute(SQL_HANDOVER_DONE, (s.claimer, at, s.verdict, s.note, handover))
        if task is not None:
            cur.execute(SQL_TASK_DONE, (s.claimer, at, at, task))


def floor_statements(conn, floor: Floor, i: int) -> list[str]:
    """Run one floor lifecycle, keeping the statements it sends."""
    import psycopg

    sent: list[str] = []

    class Counting(psycopg.Cursor):
        def execute(self, query, *args, **kwargs):
            sent.append(str(query))
            return super().execute(query, *args, **kwargs)

    factory = conn.cursor_factory
    conn.cursor_factory = Counting
    try:
        floor.lifecycle(conn, i)
    finally:
        conn.cursor_factory = factory
    return sent


# ---------------------------------------------------------------------------
# Checks and the REST API
# ---------------------------------------------------------------------------

SQL_ROWS = """
SELECT
  (SELECT count(*) FROM workflows_dossierevent WHERE dossier_id = d.id) AS events,
  (SELECT count(*) FROM workflows_handover WHERE dossier_id = d.id) AS handovers,
  1 + (SELECT count(*) FROM workflows_handover WHERE dossier_id = d.id) AS clocks,
  (SELECT count(*) FROM workflows_clock
    WHERE state = 'ended' AND (id = d.clock_id
       OR id IN (SELECT clock_id FROM workflows_handover WHERE dossier_id = d.id)))
    AS clocks_ended,
  (SELECT count(*) FROM workflows_clockevent
    WHERE clock_id = d.clock_id
       OR clock_id IN (SELECT clock_id FROM workflows_handover WHERE dossier_id = d.id))
    AS clock_events,
  (SELECT count(*) FROM viewflow_task WHERE process_id = d.process_id) AS tasks,
  (SELECT count(*) FROM viewflow_task WHERE process_id = d.process_id AND status = 'DONE')
    AS tasks_done,
  (SELECT status FROM viewflow_process WHERE id = d.process_id) AS process_status,
  (SELECT count(*) FROM viewflow_task_previous
    WHERE from_task_id IN (SELECT id FROM viewflow_task WHERE process_id = d.process_id))
    AS task_links,
  (SELECT count(*) FROM notifications_notification WHERE dossier = d.code) AS notifications,
  (SELECT count(*) FROM notifications_delivery
    WHERE notification_id IN (SELECT id FROM notifications_notification WHERE dossier = d.code))
    AS deliveries,
  (SELECT count(*) FROM notifications_delivery
    WHERE state = 'sent' AND notification_id IN
      (SELECT id FROM notifications_notification WHERE dossier = d.code))
    AS deliveries_sent,
  d.status, d.events_count, d.current_step, d.timeliness, d.return_method
FROM workflows_dossier d WHERE d.code = %s
"""


def rows_of(conn, code: str) -> dict[str, Any]:
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(SQL_ROWS, (code,)).fetchone()
    conn.rollback()
    return dict(row)


def measure_get(cast: Cast, path: str) -> dict[str, Any]:
    """Query count and median time of one GET, as the desk officer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient()
    counts, times, rows = [], [], None
    for attempt in range(GET_REPEATS + 1):
        client.force_authenticate(user=cast.fresh(RECEIVER))
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            response = client.get(path)
            elapsed = time.perf_counter() - began
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.content[:500]!r}")
        if attempt:  # the first one warms up
            counts.append(len(queries.captured_queries))
            times.append(elapsed)
        body = response.json()
        rows = len(body["results"]) if "results" in body else None
    return {
        "queries": max(counts),
        "stable": len(set(counts)) == 1,
        "ms": round(median(times) * 1000, 1),
        "rows": rows,
        "sql": [q["sql"] for q in queries.captured_queries],
    }


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


def split(total: int, parts: int) -> list[int]:
    parts = max(1, min(parts, total))
    return [total // parts + (1 if r < total % parts else 0) for r in range(parts)]


def run() -> dict:
    began = time.perf_counter()
    dossiers = int(os.environ.get("MOTCUA_BENCH_DOSSIERS", DEFAULT_DOSSIERS))
    if dossiers < 1:
        raise ValueError("MOTCUA_BENCH_DOSSIERS must be at least 1")
    with throwaway_postgres() as url, django_on(url):
        result = measure(url, dossiers)
    result["seconds"] = round(time.perf_counter() - began, 1)
    return result


def measure(url: str, dossiers: int) -> dict:
    import psycopg
    from django.core.management import call_command
    from django.db import connection
    from django.test import override_settings

    from config.clock import now
    from procedures.services import demo_seed

    log("migrate")
    call_command("migrate", interactive=False, verbosity=0, stdout=sys.stderr)
    log("demo_seed")
    with override_settings(PASSWORD_HASHERS=[MD5_HASHER]):  # nobody logs in here
        demo_seed(password=secrets.token_urlsafe(16))
    cast = Cast()

    # --- warm-up, then one lifecycle captured action by action -------------------------
    log(f"warm-up: {WARM_UP} lifecycles")
    for i in range(WARM_UP):
        engine_lifecycle(cast, i)
    template_code, captured = engine_captured(cast, WARM_UP)
    engine_per_action = {name: tally(sqls) for name, sqls in captured.items()}
    engine_lifecycle_statements = tally([s for sqls in captured.values() for s in sqls])
    engine_tables = written_tables([s for sqls in captured.values() for s in sqls])

    # --- engine and floor, alternating ---------------------------------------------------
    floor_conn = psycopg.connect(libpq_url(url), autocommit=False)
    try:
        floor = Floor(floor_conn, template_code, now(), prefix=f"SAN-{secrets.token_hex(3)}-")
        floor_sent = floor_statements(floor_conn, floor, 0)
        floor_tables = written_tables(floor_sent)
        for i in range(1, FLOOR_WARM_UP):
            floor.lifecycle(floor_conn, i)
        rounds = []
        offset = WARM_UP + 1
        for r, size in enumerate(split(dossiers, ROUNDS)):
            order = ("engine", "floor") if r % 2 == 0 else ("floor", "engine")
            seconds = {}
            for side in order:
                log(f"round {r + 1}: {side}, {size} lifecycles")
                started = time.perf_counter()
                if side == "engine":
                    for i in range(offset, offset + size):
                        engine_lifecycle(cast, i)
                else:
                    for i in range(offset, offset + size):
                        floor.lifecycle(floor_conn, i)
                seconds[side] = time.perf_counter() - started
            offset += size
            rounds.append({"lifecycles": size, **seconds})

        # --- the same rows? ----------------------------------------------------------------
        floor_code = f"{floor.prefix}{FLOOR_WARM_UP + dossiers:06d}"
        engine_rows = rows_of(floor_conn, template_code)
        floor_rows = rows_of(floor_conn, floor_code)
        with floor_conn.cursor() as cur:
            server = {
                name: cur.execute(f"SHOW {name}").fetchone()[0]
                for name in ("server_version", "synchronous_commit", "fsync", "autovacuum")
            }
        floor_conn.rollback()
    finally:
        floor_conn.close()

    # --- the REST API, over dossiers at every stage ---------------------------------------
    log(f"{MIXED} dossiers left at every stage, then the GETs")
    in_progress_code = None
    for j in range(MIXED):
        steps = 1 + j % len(STEPS)
        code = engine_lifecycle(cast, 900_000 + j, steps=steps)
        if steps == 4:
            in_progress_code = code
    gets = {
        "detail_get": measure_get(cast, f"/api/v1/dossiers/{template_code}/"),
        "detail_get_in_progress": measure_get(cast, f"/api/v1/dossiers/{in_progress_code}/"),
    }
    for size in LIST_PAGE_SIZES:
        gets[f"list_get_{size}"] = measure_get(cast, f"/api/v1/dossiers/?page_size={size}")
    with connection.cursor() as cur:
        cur.execute("SELECT status, count(*) FROM workflows_dossier GROUP BY status ORDER BY 1")
        statuses = dict(cur.fetchall())
    connection.close()

    # --- the report ----------------------------------------------------------------------
    engine_seconds = sum(r["engine"] for r in rounds)
    floor_seconds = sum(r["floor"] for r in rounds)
    engine_rate = dossiers / engine_seconds
    floor_rate = dossiers / floor_seconds
    # Each round times engine and floor side by side: its ratio is the repeat, the
    # headline is their median (the box is noisy and shared).
    round_ratios = [r["floor"] / r["engine"] for r in rounds]
    ratio = median(round_ratios)
    queries = {name: counts["total"] for name, counts in engine_per_action.items()}
    queries.update({name: g["queries"] for name, g in gets.items()})
    worst = max(queries, key=queries.get)
    list_counts = [gets[f"list_get_{size}"]["queries"] for size in LIST_PAGE_SIZES]
    transaction_statements = {
        name: counts["transaction"] for name, counts in engine_per_action.items()
    }
    notes = [
        "Query counts are every statement Django sent, as CaptureQueriesContext records them; "
        + (
            "they include the transaction statements (BEGIN, COMMIT, SAVEPOINT, RELEASE "
            f"SAVEPOINT): {transaction_statements} per action."
            if any(transaction_statements.values())
            else "no BEGIN/COMMIT/SAVEPOINT statement was among them."
        ),
        "Each measured action loads its actor fresh from the database, as a request would "
        "(so statements_per_action and statements_per_lifecycle count the officer look-ups); "
        "the throughput loop reuses the three user objects (the services alone, no HTTP).",
        "The GETs go through DRF's APIClient with force_authenticate (no token or session "
        f"lookup); the list holds {MIXED} dossiers left at every stage of the lifecycle, "
        "newest first, so every page mixes open, claimed and finished ones.",
        "The floor writes the same rows as the engine (per lifecycle: "
        f"{engine_lifecycle_statements['write']} engine writes, {len(floor_sent)} floor statements) "
        "with plain psycopg, in the engine's transactions, values precomputed and rows modelled "
        "on a dossier the engine wrote; it reads nothing (no row lock, no catalogue, no "
        "calendar) and writes fixed hashes, so it is a floor, not a rival implementation.",
        f"Engine and floor alternate in {len(rounds)} rounds on one database (the order "
        "swapped each round). lifecycles_per_second is the whole run (all lifecycles over all "
        "seconds), median_round_lifecycles_per_second the median of the rounds; "
        "ratio_engine_to_floor is the median of the per-round ratios (round_ratios), "
        "ratio_of_totals the whole runs' ratio.",
        "The floor uses psycopg's defaults: server-side binding, each statement prepared after "
        "5 runs (plans cached); Django's psycopg backend binds client-side and prepares "
        "nothing, so the engine plans every statement.",
        "DEBUG is off, the log at WARNING and e-mail to Django's dummy backend unless the "
        "environment sets them; without REDIS_URL the outbox delivers inline after commit "
        "(web push to the in-memory channel layer, SMS to the console gateway), and those "
        "deliveries are part of the engine's time and statements.",
    ]
    if engine_tables != floor_tables:
        notes.append(
            f"The floor no longer writes what the engine writes: engine {engine_tables}, "
            f"floor {floor_tables}; update the floor in benchmarks/bench_lifecycle.py."
        )
    if floor.filled:
        notes.append(
            "NOT NULL columns added since the floor's INSERTs were written, filled from the "
            f"engine's row: {floor.filled}."
        )
    if engine_rows != floor_rows:
        notes.append(f"Row counts differ: engine {engine_rows}, floor {floor_rows}.")
    for name, count in queries.items():
        if count > GOALS["max_queries_per_action"]:
            statements = captured.get(name) or gets[name]["sql"]
            notes.append(f"{name} takes {count} queries: {shapes(statements)}")
    unstable = [name for name, g in gets.items() if not g["stable"]]
    if unstable:
        notes.append(f"Query counts varied between repeats (the maximum is given): {unstable}.")
    if len(set(list_counts)) > 1:
        sizes = dict(zip(LIST_PAGE_SIZES, list_counts, strict=True))
        notes.append(f"The list's query count grows with the page size: {sizes}.")
    return {
        "name": "lifecycle",
        "database": "postgresql",
        "server": server,
        "python": platform.python_version(),
        "procedure": PROCEDURE,
        "centre": CENTRE,
        "dossiers": dossiers,
        "engine": {
            "seconds": round(engine_seconds, 2),
            "lifecycles_per_second": round(engine_rate, 2),
            "median_round_lifecycles_per_second": round(
                median([r["lifecycles"] / r["engine"] for r in rounds]), 2
            ),
            "actions_per_second": round(engine_rate * len(STEPS), 1),
            "statements_per_lifecycle": engine_lifecycle_statements,
            "statements_per_action": engine_per_action,
            "writes_per_table": engine_tables,
            **{
                f"{key}_per_lifecycle": value
                for key, value in transactions(
                    [s for sqls in captured.values() for s in sqls]
                ).items()
            },
        },
        "floor": {
            "seconds": round(floor_seconds, 2),
            "lifecycles_per_second": round(floor_rate, 2),
            "median_round_lifecycles_per_second": round(
                median([r["lifecycles"] / r["floor"] for r in rounds]), 2
            ),
            "statements_per_lifecycle": len(floor_sent),
            "writes_per_table": floor_tables,
            "transactions_per_lifecycle": floor.transactions,
            "autocommit_writes_per_lifecycle": floor.autocommit_writes,
        },
        "ratio_engine_to_floor": round(ratio, 3),
        "round_ratios": [round(x, 3) for x in round_ratios],
        "ratio_of_totals": round(engine_rate / floor_rate, 3),
        "rounds": [
            {k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()} for r in rounds
        ],
        "queries_per_action": queries,
        "max_queries_per_action": {"action": worst, "queries": queries[worst]},
        "get_ms": {name: g["ms"] for name, g in gets.items()},
        "list_rows": {size: gets[f"list_get_{size}"]["rows"] for size in LIST_PAGE_SIZES},
        "rows_per_lifecycle": {"engine": engine_rows, "floor": floor_rows},
        "dossier_statuses_at_end": statuses,
        "goals": GOALS,
        "meets_goals": {
            "max_queries_per_action": queries[worst] <= GOALS["max_queries_per_action"],
            "list_queries_independent_of_page_size": len(set(list_counts)) == 1,
            "ratio_engine_to_floor": ratio >= GOALS["min_ratio_engine_to_floor"],
        },
        "notes": notes,
    }


if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False, indent=2))

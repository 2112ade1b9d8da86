"""The officers' inbox and dossier page at 10k, 100k and 1M dossiers (issue 9).

Set-up, in a throwaway PostgreSQL database: the demo data, then 97 more
centres of Thanh Hóa built like the demo ones (two agencies, six units, one
officer per role), 100 centres in all. At the first centre (Hạc Thành) a set
of template dossiers goes through the real services at moments spread over
the last weeks, so that they stand at every stage: returned (most of them),
waiting in a unit's queue, claimed by the handler, at the leader, waiting for
a supplement, result ready, overdue. The templates are then cloned in SQL,
clone ``k`` going to centre ``k mod 100`` with that centre's agencies, units
and officers, its own code, applicant, CCCD and phone, and every moment moved
back by up to 30 days: dossiers, their clocks and their handovers (the rows
the inbox reads). History events, clock events and notifications are not
cloned: the dossier page reads them by an indexed dossier key, and the
measured dossiers are templates, which have all of theirs.

At each scale (``MOTCUA_BENCH_INBOX_SCALES``, default 10000,100000,1000000
dossiers in all) the officers of Hạc Thành, who see about one hundredth of
them, ask for each inbox tab's first page, a deep page (the cursor after ten
pages, or the last page when there are fewer), a filter and a search, and for
the dossier page. Each request goes through Django's test client in this
process (middleware, view, template: the server's time, without the network),
20 times after one warm-up, with the start-up objects frozen out of the
garbage collector's sight as the server does (``config/startup.py``); reported: p50 and p95 in ms and the number of
queries. The query count is also taken with pages of 10, 50 and 200 rows to
show that it does not depend on the page size.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._support import django_on, log, median, throwaway_postgres

SCALES = [
    int(s) for s in os.environ.get("MOTCUA_BENCH_INBOX_SCALES", "10000,100000,1000000").split(",")
]
CENTRES = 100
REPEATS = 20
GOALS = {"p50_ms": 100, "p95_ms": 250}
SHORT = "hacthanh"
PASSWORD = "bench-motcua"

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ"]
MIDDLE = ["Văn", "Thị", "Minh", "Quốc", "Thu", "Ngọc", "Đức", "Thanh", "Hữu", "Kim"]
GIVEN = [
    "An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng",
    "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn",
    "Tâm", "Thảo", "Trang", "Tuấn", "Vân", "Việt", "Xuân", "Yến",
]  # fmt: skip

#: (procedure, agency key) of the templates
PROCEDURES = [
    ("1.001667", "bhxh"),
    ("2.000693", "bhxh"),
    ("1.004873", "ubnd"),
    ("1.000894", "ubnd"),
]
#: (stage, how many templates per procedure)
STAGES = [
    ("returned", 6),
    ("queue", 1),
    ("mine", 1),
    ("approval", 1),
    ("supplement", 1),
    ("result_ready", 1),
    ("overdue", 1),
]


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def _people(agency: str) -> dict[str, str]:
    infix = ".bhxh" if agency == "bhxh" else ""
    return {
        "desk": f"{SHORT}{infix}.motcua",
        "handler": f"{SHORT}{infix}.chuyenvien",
        "leader": f"{SHORT}{infix}.lanhdao",
    }


def _open_centres() -> list[int]:
    """97 more centres like the demo's; returns the 100 centres' ids, Hạc Thành first."""
    from procedures.models import Commune, ServiceCentre
    from procedures.services.demo import DEMO_CENTRES, DEMO_PROVINCE, DemoResult, demo_centre

    demo = [c for c, _, _ in DEMO_CENTRES]
    communes = list(
        Commune.objects.filter(province_id=DEMO_PROVINCE)
        .exclude(code__in=demo)
        .order_by("code")
        .values_list("code", flat=True)[: CENTRES - len(demo)]
    )
    if len(communes) < CENTRES - len(demo):
        raise RuntimeError(f"Thanh Hóa has only {len(communes) + len(demo)} communes")
    result = DemoResult()
    for i, commune in enumerate(communes):
        demo_centre(commune=commune, short=f"c{i:02d}", saturday=False, password="", result=result)
    ordered = demo + communes
    ids = dict(ServiceCentre.objects.values_list("commune_id", "id"))
    return [ids[c] for c in ordered]


def _templates() -> list[str]:
    """Template dossiers at Hạc Thành, through the services, at moments in the past."""
    import datetime as dt

    from django.contrib.auth.models import User

    from config.clock import frozen, now
    from workflows.services.actions import dossier_act
    from workflows.services.intake import Applicant, dossier_receive

    users = {u.username: u for u in User.objects.filter(username__startswith=f"{SHORT}.")}
    start = now()
    codes, n = [], 0
    for procedure, agency in PROCEDURES:
        who = {role: users[name] for role, name in _people(agency).items()}
        for stage, count in STAGES:
            for _ in range(count):
                n += 1
                back = dt.timedelta(days=20 if stage == "overdue" else 1 + n % 4, hours=n % 5)
                at = start - back
                step = dt.timedelta(minutes=40)
                with frozen(at):
                    receipt = dossier_receive(
                        actor=who["desk"],
                        procedure=procedure,
                        centre="14797",
                        channel="in_person",
                        applicant=Applicant(
                            full_name=f"{SURNAMES[n % 12]} {MIDDLE[n % 10]} {GIVEN[n % 30]}",
                            id_number=f"0380{n:08d}",
                            phone=f"09{n:08d}",
                        ),
                    )
                code = receipt.dossier.code
                codes.append(code)
                script: list[tuple[str, str, dict]] = []
                if stage in ("mine", "approval", "supplement", "result_ready", "returned"):
                    script += [("handler", "claim", {})]
                if stage == "supplement":
                    script += [
                        (
                            "handler",
                            "request-supplement",
                            {"reason": "Thiếu giấy tờ", "items": ["Bản sao giấy khai sinh"]},
                        )
                    ]
                if stage in ("approval", "result_ready", "returned"):
                    script += [("handler", "advance", {"note": "Đủ điều kiện"})]
                if stage in ("result_ready", "returned"):
                    script += [
                        ("leader", "claim", {}),
                        ("leader", "advance", {"result": "Đã giải quyết"}),
                    ]
                if stage == "returned":
                    script += [("desk", "return", {"method": "counter"})]
                if stage == "overdue":
                    script += [("handler", "claim", {})]
                for i, (role, action, kwargs) in enumerate(script, start=1):
                    with frozen(at + i * step):
                        dossier_act(actor=who[role], code=code, action=action, **kwargs)
    return codes


def _directory_map(centre_ids: list[int]) -> list[tuple[str, int, int, int]]:
    """(kind, centre index, template id, that centre's id) for centres, agencies, units, users."""
    from django.contrib.auth.models import User

    from procedures.models import Agency, ServiceCentre, Unit

    rows: list[tuple[str, int, int, int]] = []
    centres = {c.id: c for c in ServiceCentre.objects.filter(id__in=centre_ids)}
    shorts = [SHORT, "samson", "hatrung"] + [f"c{i:02d}" for i in range(CENTRES - 3)]
    base = centres[centre_ids[0]]
    base_agencies = {a.code.split("-")[0]: a for a in Agency.objects.filter(centres=base)}
    base_units = {
        (u.agency.code.split("-")[0], u.code): u.id
        for u in Unit.objects.select_related("agency").filter(agency__in=base_agencies.values())
    }
    base_users = dict(
        User.objects.filter(username__startswith=f"{SHORT}.").values_list("username", "id")
    )
    for index, centre_id in enumerate(centre_ids):
        centre = centres[centre_id]
        rows.append(("centre", index, base.id, centre.id))
        agencies = {a.code.split("-")[0]: a for a in Agency.objects.filter(centres=centre)}
        for key, agency in agencies.items():
            rows.append(("agency", index, base_agencies[key].id, agency.id))
        for u in Unit.objects.select_related("agency").filter(agency__in=agencies.values()):
            rows.append(("unit", index, base_units[(u.agency.code.split("-")[0], u.code)], u.id))
        users = dict(
            User.objects.filter(username__startswith=f"{shorts[index]}.").values_list(
                "username", "id"
            )
        )
        for name, user_id in base_users.items():
            rows.append(("user", index, user_id, users[shorts[index] + name[len(SHORT) :]]))
    return rows


def _columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "ORDER BY ordinal_position",
        [table],
    )
    return [r[0] for r in cursor.fetchall()]


def _select(columns: list[str], overrides: dict[str, str]) -> str:
    return ", ".join(overrides.get(c, f"t.{c}") for c in columns)


def _mapped(kind: str, column: str) -> str:
    """The clone centre's counterpart of template column ``t.<column>`` (NULL stays NULL)."""
    return (
        f"(SELECT m.new FROM bench_map m WHERE m.kind = '{kind}' "
        f"AND m.c = mod(g.k, {CENTRES}) AND m.old = t.{column})"
    )


SHIFT = "mod(g.k * 7, 720) * interval '1 hour'"


def _shifted(column: str) -> str:
    return f"t.{column} - {SHIFT}"


def _clone(cursor, *, first: int, last: int, templates: list[int], strides: dict[str, int]):
    """Clones ``first``..``last`` of the template dossiers (ids ``templates``)."""
    ks = f"generate_series({first}, {last}) AS g(k)"
    clock_cols = _columns(cursor, "workflows_clock")
    clock_times = ["started_at", "first_due_at", "appointment_due_at", "due_at", "ended_at"]
    clock_times += ["warn_at", "alarm_at"]
    over = {c: _shifted(c) for c in clock_times}
    over["id"] = f"t.id + g.k * {strides['clock']}"
    over["centre_id"] = _mapped("centre", "centre_id")
    cursor.execute(
        f"INSERT INTO workflows_clock ({', '.join(clock_cols)}) "
        f"SELECT {_select(clock_cols, over)} FROM workflows_clock t, {ks} "
        "WHERE t.id IN (SELECT clock_id FROM workflows_dossier WHERE id = ANY(%s) "
        "UNION SELECT clock_id FROM workflows_handover WHERE dossier_id = ANY(%s))",
        [templates, templates],
    )
    hand_cols = _columns(cursor, "workflows_handover")
    hand_times = ["handed_at", "claimed_at", "due_at", "completed_at", "unclaimed_alarm_at"]
    over = {c: _shifted(c) for c in hand_times}
    over |= {
        "id": f"t.id + g.k * {strides['handover']}",
        "dossier_id": f"t.dossier_id + g.k * {strides['dossier']}",
        "clock_id": f"t.clock_id + g.k * {strides['clock']}",
        "task_id": "NULL",
        "from_unit_id": _mapped("unit", "from_unit_id"),
        "to_unit_id": _mapped("unit", "to_unit_id"),
        "from_officer_id": _mapped("user", "from_officer_id"),
        "to_officer_id": _mapped("user", "to_officer_id"),
    }
    cursor.execute(
        f"INSERT INTO workflows_handover ({', '.join(hand_cols)}) "
        f"SELECT {_select(hand_cols, over)} FROM workflows_handover t, {ks} "
        "WHERE t.dossier_id = ANY(%s)",
        [templates],
    )
    dossier_cols = _columns(cursor, "workflows_dossier")
    times = [
        "submitted_at",
        "received_at",
        "ended_at",
        "returned_at",
        "clock_due_at",
        "clock_warn_at",
    ]
    over = {c: _shifted(c) for c in times}
    serial = f"(g.k * {len(templates)} + array_position(%s::bigint[], t.id))"
    over |= {
        "id": f"t.id + g.k * {strides['dossier']}",
        "code": f"(SELECT s.identifier FROM procedures_servicecentre s WHERE s.id = "
        f"{_mapped('centre', 'centre_id')}) || '-B' || g.k || '-' || t.id",
        "centre_id": _mapped("centre", "centre_id"),
        "agency_id": _mapped("agency", "agency_id"),
        "reception_unit_id": _mapped("unit", "reception_unit_id"),
        "received_by_id": _mapped("user", "received_by_id"),
        "created_by_id": _mapped("user", "created_by_id"),
        "clock_id": f"t.clock_id + g.k * {strides['clock']}",
        "current_handover_id": f"t.current_handover_id + g.k * {strides['handover']}",
        "process_id": "NULL",
        "idempotency_key": "''",
        "applicant_name": f"(%s::text[])[1 + mod({serial}, %s)]",
        "applicant_name_folded": f"(%s::text[])[1 + mod({serial}, %s)]",
        "applicant_id_number": f"'038' || lpad(mod({serial}, 1000000000)::text, 9, '0')",
        "applicant_phone": f"'09' || lpad(mod({serial}, 100000000)::text, 8, '0')",
    }
    names, folded = _names()
    select = _select(dossier_cols, over)
    params: list = []
    # the placeholders of the select list, in column order
    for column in dossier_cols:
        if column == "applicant_name":
            params += [names, templates, len(names)]
        elif column == "applicant_name_folded":
            params += [folded, templates, len(names)]
        elif column in ("applicant_id_number", "applicant_phone"):
            params += [templates]
    cursor.execute(
        f"INSERT INTO workflows_dossier ({', '.join(dossier_cols)}) "
        f"SELECT {select} FROM workflows_dossier t, {ks} WHERE t.id = ANY(%s)",
        [*params, templates],
    )


def prepare_clones(codes: list[str], centre_ids: list[int]) -> tuple[list[int], dict[str, int]]:
    """The template dossiers' ids, the map from Hạc Thành's directory to each
    centre's (table ``bench_map``) and the id strides the clones are offset by."""
    from django.db import connection

    from workflows.models import Dossier

    templates = list(
        Dossier.objects.filter(code__in=codes).order_by("id").values_list("id", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_map (kind text, c int, old bigint, new bigint, "
            "PRIMARY KEY (kind, c, old))"
        )
        cursor.executemany(
            "INSERT INTO bench_map VALUES (%s, %s, %s, %s)", _directory_map(centre_ids)
        )
        strides = {}
        for key, table in (
            ("dossier", "workflows_dossier"),
            ("clock", "workflows_clock"),
            ("handover", "workflows_handover"),
        ):
            cursor.execute(f"SELECT max(id) FROM {table}")
            strides[key] = cursor.fetchone()[0] + 1
    return templates, strides


def _names() -> tuple[list[str], list[str]]:
    from workflows.folding import fold

    names = [f"{s} {m} {g}" for s in SURNAMES for m in MIDDLE for g in GIVEN]
    return names, [fold(n) for n in names]


def _grow(target: int, state: dict) -> None:
    """Clone until the database holds ``target`` dossiers."""
    from django.db import connection, transaction

    templates = state["templates"]
    per_clone = len(templates)
    last_needed = max(0, -(-(target - per_clone) // per_clone))  # clones 1..last_needed
    chunk = max(1, 50_000 // per_clone)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        k = state["clones"] + 1
        while k <= last_needed:
            last = min(last_needed, k + chunk - 1)
            with transaction.atomic():
                _clone(cursor, first=k, last=last, templates=templates, strides=state["strides"])
            k = last + 1
        state["clones"] = last_needed
        for table in ("workflows_dossier", "workflows_clock", "workflows_handover"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        cursor.execute("ANALYZE workflows_dossier, workflows_clock, workflows_handover")
        cursor.execute("SELECT count(*) FROM workflows_dossier")
        state["dossiers"] = cursor.fetchone()[0]
    log(f"{state['dossiers']} dossiers ({time.perf_counter() - started:.0f} s to clone)")


def _time(client, path: str) -> dict:
    from django.db import connection

    response = client.get(path)  # warm-up
    if response.status_code != 200:
        raise RuntimeError(f"{path}: HTTP {response.status_code}")
    statements: list[str] = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(path)
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(median(times), 1),
        "p95_ms": round(_p95(times), 1),
        "queries": len(statements),
    }


def _deep_cursor(user, tab: str, **filters) -> tuple[str, int]:
    """The cursor after ten pages (or before the last page); and the page number."""
    from config.clock import now
    from workflows.selectors.inbox import InboxFilters, inbox_page

    cursor, pages = "", 0
    while pages < 10:
        page = inbox_page(
            user=user, at=now(), filters=InboxFilters(tab=tab, after=cursor, **filters)
        )
        if not page.next_cursor:
            break
        cursor, pages = page.next_cursor, pages + 1
    return cursor, pages + 1


def _cases(codes: list[str]) -> list[tuple[str, str, str, dict]]:
    """(name, user, tab, query) of every measured inbox request."""
    bhxh, ubnd = _people("bhxh"), _people("ubnd")
    manager = f"{SHORT}.quanly"
    return [
        ("mine", bhxh["handler"], "mine", {}),
        ("queue", bhxh["handler"], "queue", {}),
        ("queue (leader)", bhxh["leader"], "queue", {}),
        ("supplement", ubnd["handler"], "supplement", {}),
        ("due_soon", manager, "due_soon", {}),
        ("overdue", manager, "overdue", {}),
        ("to_return", bhxh["desk"], "to_return", {}),
        ("all", manager, "all", {}),
        ("all, procedure filter", manager, "all", {"procedure": "1.004873"}),
        ("all, status filter", manager, "all", {"status": "returned"}),
        ("all, name search", manager, "all", {"q": "nguyen thi hương"}),
        ("all, code search", manager, "all", {"q": codes[0][-8:]}),
        ("all, CCCD search", manager, "all", {"q": "038000000007"}),
    ]


def _measure(state: dict, users: dict) -> dict:
    from urllib.parse import urlencode

    from django.test import Client

    import workflows.selectors.inbox as inbox_selector
    from config.startup import freeze_startup_objects

    clients = {}
    for name, user in users.items():
        clients[name] = Client()
        clients[name].force_login(user)
    freeze_startup_objects()  # as config/asgi.py does before the server serves
    out: dict = {"dossiers": state["dossiers"], "requests": {}}
    for name, username, tab, query in _cases(state["codes"]):
        user = users[username]
        first = _time(clients[username], "/inbox/?" + urlencode({"tab": tab, **query}))
        cursor, page_no = _deep_cursor(user, tab, **query)
        deep = _time(
            clients[username], "/inbox/?" + urlencode({"tab": tab, **query, "after": cursor})
        )
        counts = {}
        for size in (10, 50, 200):
            inbox_selector.PAGE_SIZE = size
            counts[size] = _time(clients[username], "/inbox/?" + urlencode({"tab": tab, **query}))[
                "queries"
            ]
        inbox_selector.PAGE_SIZE = 50
        out["requests"][f"inbox {name}, first page"] = first
        out["requests"][f"inbox {name}, page {page_no}"] = deep
        out["requests"][f"inbox {name}, first page"]["queries_by_page_size"] = counts
    manager = f"{SHORT}.quanly"
    for label, code in (("returned", state["returned"]), ("in handling", state["active"])):
        out["requests"][f"dossier page ({label})"] = _time(clients[manager], f"/dossiers/{code}/")
    return out


def run() -> dict:
    with throwaway_postgres() as url, django_on(url):
        from django.conf import settings
        from django.contrib.auth.models import User
        from django.core.management import call_command

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        quiet = io.StringIO()  # stdout is the JSON's
        call_command("migrate", verbosity=0, stdout=quiet)
        call_command("load_divisions", verbosity=0, stdout=quiet)
        call_command("seed_demo", verbosity=0, stdout=quiet)
        started = time.perf_counter()
        centre_ids = _open_centres()
        log(f"{len(centre_ids)} centres ({time.perf_counter() - started:.0f} s)")
        started = time.perf_counter()
        codes = _templates()
        log(f"{len(codes)} template dossiers ({time.perf_counter() - started:.0f} s)")
        from workflows.models import Dossier

        templates, strides = prepare_clones(codes, centre_ids)
        by_status = dict(Dossier.objects.filter(code__in=codes).values_list("status", "code"))
        state = {
            "templates": templates,
            "codes": codes,
            "strides": strides,
            "clones": 0,
            "dossiers": len(codes),
            "returned": by_status["returned"],
            "active": by_status["in_progress"],
        }
        users = {u.username: u for u in User.objects.filter(username__startswith=f"{SHORT}.")}
        scales = []
        for target in SCALES:
            _grow(target, state)
            result = _measure(state, users)
            scales.append(result)
            worst = max(r["p95_ms"] for r in result["requests"].values())
            log(f"{state['dossiers']}: worst p95 {worst} ms")
        summary = {
            str(s["dossiers"]): {
                "worst_p50_ms": max(r["p50_ms"] for r in s["requests"].values()),
                "worst_p95_ms": max(r["p95_ms"] for r in s["requests"].values()),
                "max_queries": max(r["queries"] for r in s["requests"].values()),
            }
            for s in scales
        }
        largest = summary[str(scales[-1]["dossiers"])]
        return {
            "name": "inbox",
            "centres": CENTRES,
            "templates": len(codes),
            "repeats": REPEATS,
            "goals": GOALS,
            "summary": summary,
            "meets_goals": largest["worst_p50_ms"] <= GOALS["p50_ms"]
            and largest["worst_p95_ms"] <= GOALS["p95_ms"],
            "query_count_independent_of_page_size": all(
                len(set(r["queries_by_page_size"].values())) == 1
                for s in scales
                for r in s["requests"].values()
                if "queries_by_page_size" in r
            ),
            "scales": scales,
        }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), ensure_ascii=False, indent=1))

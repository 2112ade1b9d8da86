"""The managers' pages at 10k, 100k and 1M dossiers (issue 10).

Set-up as ``bench_inbox`` (whose machinery this reuses), with 166 centres:
every commune of Thanh Hóa, and a template mix where most dossiers are over
(36 returned for 6 open per procedure, as at a real centre over a year,
where the inbox benchmark's mix is half open). The template dossiers go through the real
services at Hạc Thành (their per-day counts written by the actions' hooks);
the clones are copied in SQL, so their per-day counts are then built by the
same recomputation ``manage.py stats_verify`` runs (``counters.rebuild``,
timed). After each scale ``stats_verify``'s comparison runs over everything
and must find zero differences.

Measured, 20 requests after a warm-up each, through Django's test client (the
server's time without the network): the dashboard, the 766 page and the
periodic report for the last 30 days, for a province-wide manager (all 166
centres) and for one centre's manager; p50, p95 and the number of queries.

Also the cost the per-day counts add to one action: a dossier's whole
lifecycle (receive, claim, advance, claim, advance, return) with the hooks
on and with them replaced by no-ops, statements and time per lifecycle
(median of 15, on the small database before cloning).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import bench_inbox as inbox
from benchmarks._support import django_on, log, throwaway_postgres

SCALES = [
    int(s) for s in os.environ.get("MOTCUA_BENCH_REPORTS_SCALES", "10000,100000,1000000").split(",")
]
CENTRES = 166
REPEATS = 20
LIFECYCLES = 15
GOALS = {"p50_ms": 200, "p95_ms": 500}


def _province_manager():
    """A manager whose scope is the whole province (Thanh Hóa, 38)."""
    from django.contrib.auth.models import User

    from procedures.models import Officer, Role, ServiceCentre

    user = User.objects.create_user("tinh.quanly", password="bench-motcua-x")
    officer = Officer.objects.create(
        user=user, full_name="Quản lý cấp tỉnh", role=Role.MANAGER, province_scope_id="38"
    )
    officer.centres.add(ServiceCentre.objects.get(code="14797"))
    return user


def _lifecycle_cost(hooks: bool) -> dict:
    """Statements and time of one dossier's lifecycle, hooks on or off."""
    from unittest import mock

    from django.contrib.auth.models import User
    from django.db import connection

    from config.clock import frozen, now
    from workflows.services.actions import dossier_act
    from workflows.services.intake import Applicant, dossier_receive

    people = {role: User.objects.get(username=name) for role, name in inbox._people("bhxh").items()}
    noop = {
        "reports.counters.dossier_saved": lambda *a, **k: None,
        "reports.counters.step_completed": lambda *a, **k: None,
        "reports.counters.rated": lambda *a, **k: None,
    }
    patches = [] if hooks else [mock.patch(name, fn) for name, fn in noop.items()]
    times, counts = [], []
    for p in patches:
        p.start()
    try:
        for i in range(LIFECYCLES + 1):
            statements = []

            def count(execute, sql, params, many, context, statements=statements):
                statements.append(sql)
                return execute(sql, params, many, context)

            at = now() - dt.timedelta(days=3, minutes=i)
            started = time.perf_counter()
            with connection.execute_wrapper(count):
                with frozen(at):
                    code = dossier_receive(
                        actor=people["desk"],
                        procedure="1.001667",
                        centre="14797",
                        channel="in_person",
                        applicant=Applicant(
                            full_name="Nguyễn Văn Đo", id_number=f"03809{i:07d}", phone="0912000000"
                        ),
                    ).dossier.code
                for j, (role, action, kw) in enumerate(
                    [
                        ("handler", "claim", {}),
                        ("handler", "advance", {}),
                        ("leader", "claim", {}),
                        ("leader", "advance", {}),
                        ("desk", "return", {"method": "counter"}),
                    ],
                    start=1,
                ):
                    with frozen(at + dt.timedelta(minutes=10 * j)):
                        dossier_act(actor=people[role], code=code, action=action, **kw)
            if i:  # the first is a warm-up
                times.append((time.perf_counter() - started) * 1000)
                counts.append(len(statements))
    finally:
        for p in patches:
            p.stop()
    return {"ms": round(median(times), 1), "statements": int(median(counts))}


def _measure(users: dict) -> dict:
    from urllib.parse import urlencode

    from django.test import Client

    from config.clock import LOCAL_TZ, now
    from config.startup import freeze_startup_objects

    today = now().astimezone(LOCAL_TZ).date()
    period = {
        "period": "range",
        "from": (today - dt.timedelta(days=29)).isoformat(),
        "to": today.isoformat(),
    }
    clients = {}
    for name, user in users.items():
        clients[name] = Client()
        clients[name].force_login(user)
    freeze_startup_objects()  # as config/asgi.py does before the server serves
    out = {}
    for who, username in (("province", "tinh.quanly"), ("one centre", f"{inbox.SHORT}.quanly")):
        for page, path in (
            ("dashboard", "/dashboard/"),
            ("766", "/dashboard/766/"),
            ("report", "/reports/"),
        ):
            query = {**period, **({"by": "procedure"} if page == "report" else {})}
            out[f"{page}, {who}"] = inbox._time(clients[username], f"{path}?{urlencode(query)}")
    return out


#: Template stages (per procedure): most of a year's dossiers are over, as at
#: a real centre; the inbox benchmark's mix (half open) measures the inbox.
STAGES = [
    ("returned", 36),
    ("queue", 1),
    ("mine", 1),
    ("approval", 1),
    ("supplement", 1),
    ("result_ready", 1),
    ("overdue", 1),
]


def run() -> dict:
    inbox.CENTRES = CENTRES
    inbox.STAGES = STAGES
    with throwaway_postgres() as url, django_on(url):
        from django.conf import settings
        from django.contrib.auth.models import User
        from django.core.management import call_command
        from django.db import connection

        from reports import counters
        from reports.models import DayCount
        from workflows.models import Dossier

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        quiet = io.StringIO()
        call_command("migrate", verbosity=0, stdout=quiet)
        call_command("load_divisions", verbosity=0, stdout=quiet)
        call_command("seed_demo", verbosity=0, stdout=quiet)
        started = time.perf_counter()
        centre_ids = inbox._open_centres()
        log(f"{len(centre_ids)} centres ({time.perf_counter() - started:.0f} s)")
        cost = {"with per-day counts": _lifecycle_cost(True), "without": _lifecycle_cost(False)}
        cost["added_statements"] = (
            cost["with per-day counts"]["statements"] - cost["without"]["statements"]
        )
        cost["added_ms"] = round(cost["with per-day counts"]["ms"] - cost["without"]["ms"], 1)
        log(f"lifecycle cost {cost}")
        counters.rebuild()  # the lifecycles run without hooks have no counts
        # (the measured lifecycles' dossiers stay: returned ones, at Hạc Thành)
        codes = inbox._templates()
        _province_manager()
        templates, strides = inbox.prepare_clones(codes, centre_ids)
        hooked = counters.differences()
        log(f"after the templates, through the services: {len(hooked)} differences")
        state = {
            "templates": templates,
            "codes": codes,
            "strides": strides,
            "clones": 0,
            "dossiers": Dossier.objects.count(),
        }
        users = {
            u.username: u
            for u in User.objects.filter(username__in=["tinh.quanly", f"{inbox.SHORT}.quanly"])
        }
        scales = []
        for target in SCALES:
            inbox._grow(target, state)
            started = time.perf_counter()
            rows = counters.rebuild()
            rebuild_s = round(time.perf_counter() - started, 1)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE reports_daycount")
            result = {
                "dossiers": state["dossiers"],
                "day_rows": rows,
                "rebuild_s": rebuild_s,
                "requests": _measure(users),
            }
            started = time.perf_counter()
            result["stats_verify_differences"] = len(counters.differences())
            result["stats_verify_s"] = round(time.perf_counter() - started, 1)
            scales.append(result)
            worst = max(r["p95_ms"] for r in result["requests"].values())
            log(f"{state['dossiers']}: {rows} day rows, worst p95 {worst} ms")
        largest = scales[-1]["requests"]
        return {
            "name": "reports",
            "centres": CENTRES,
            "repeats": REPEATS,
            "goals": GOALS,
            "action_cost": cost,
            "template_differences_through_services": len(hooked),
            "summary": {
                str(s["dossiers"]): {
                    "worst_p50_ms": max(r["p50_ms"] for r in s["requests"].values()),
                    "worst_p95_ms": max(r["p95_ms"] for r in s["requests"].values()),
                    "stats_verify_differences": s["stats_verify_differences"],
                }
                for s in scales
            },
            "meets_goals": max(r["p50_ms"] for r in largest.values()) <= GOALS["p50_ms"]
            and max(r["p95_ms"] for r in largest.values()) <= GOALS["p95_ms"],
            "day_counts": DayCount.objects.count(),
            "scales": scales,
        }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), ensure_ascii=False, indent=1, default=str))

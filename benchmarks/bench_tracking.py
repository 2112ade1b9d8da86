"""A wrong PIN and an unknown code: the same answer in the same time.

Set-up: a throwaway PostgreSQL database (migrated, demo data), ``DOSSIERS``
dossiers received through the services, one Daphne serving the app behind a
"trusted proxy" (``TRUSTED_PROXIES=127.0.0.1``, each request naming its own
client in ``X-Forwarded-For``, so the per-address limit does not interfere).
Rounds alternate: a wrong PIN for a real dossier (at most 9 per dossier, under
the per-code limit), then a PIN for a code that does not exist. Each is timed
from this process over HTTP (keep-alive off: one connection per request, as
a browser's first request). Reported: medians and 95th percentiles of both,
their ratio, and the PIN-guessing rate the limiter allows for one code.
"""

from __future__ import annotations

import http.client
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._support import django_on, log, median, throwaway_postgres

DOSSIERS = int(os.environ.get("MOTCUA_BENCH_TRACK_DOSSIERS", "60"))
PER_DOSSIER = 9


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def _get(port: int, path: str, client: str) -> tuple[int, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"X-Forwarded-For": client, "Accept": "application/json"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, (time.perf_counter() - started) * 1000


def run() -> dict:
    with throwaway_postgres() as url, django_on(url):
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("load_divisions", verbosity=0)
        call_command("seed_demo", verbosity=0)
        from django.contrib.auth.models import User

        from workflows.services.intake import Applicant, dossier_receive
        from workflows.services.tracking import CODE_LIMIT

        desk = User.objects.get(username="hacthanh.bhxh.motcua")
        codes = []
        for i in range(DOSSIERS):
            receipt = dossier_receive(
                actor=desk,
                procedure="1.001667",
                centre="14797",
                channel="in_person",
                applicant=Applicant(
                    full_name="Nguyễn Văn An", id_number=f"038090{i:06d}", phone="0912345678"
                ),
            )
            codes.append((receipt.dossier.code, receipt.pin))
        from tests.support.servers import start_daphne

        server = start_daphne(
            database_url=url,
            env={"TRUSTED_PROXIES": "127.0.0.1", "LOG_LEVEL": "WARNING", "DEBUG": "0"},
        )
        try:
            wrong, unknown = [], []
            n = 0
            for code, pin in codes:
                bad = "000000" if pin != "000000" else "111111"
                for _ in range(PER_DOSSIER):
                    n += 1
                    client = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
                    status, ms = _get(server.port, f"/api/v1/track/{code}/?pin={bad}", client)
                    assert status == 404, status
                    wrong.append(ms)
                    n += 1
                    client = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
                    ghost = f"38.14797-261130-{9000 + n % 999:04d}x{n}"
                    status, ms = _get(server.port, f"/api/v1/track/{ghost}/?pin={bad}", client)
                    assert status == 404, status
                    unknown.append(ms)
            log(f"tracking: {len(wrong)} wrong-PIN and {len(unknown)} unknown-code requests")
        finally:
            server.stop()
        per_year = CODE_LIMIT[0] * 365 * 86400 / CODE_LIMIT[1]
        return {
            "name": "tracking.same_answer_same_time",
            "requests_each": len(wrong),
            "wrong_pin_ms": {"p50": round(median(wrong), 2), "p95": round(_p95(wrong), 2)},
            "unknown_code_ms": {"p50": round(median(unknown), 2), "p95": round(_p95(unknown), 2)},
            "ratio_p50_wrong_over_unknown": round(median(wrong) / median(unknown), 3),
            "goal": "same answer, ratio of medians within noise (≈1.0)",
            "pin_guesses_allowed_per_code_per_year": per_year,
            "years_to_try_every_pin": round(10**6 / per_year, 1),
            "notes": "HTTP over loopback to one Daphne, a new connection per request, "
            "alternating wrong PIN (real code) and unknown code.",
        }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), ensure_ascii=False, indent=2))

"""A bounded schemathesis run over ``/api/schema/`` against a real Daphne
(issue 8, point 6): zero 5xx, zero responses outside the schema (status
codes, content types, headers, bodies).

The two request-strictness checks (``positive_data_acceptance``,
``negative_data_rejection``) are not asserted: the schema cannot express every
business rule (a procedure code must exist, an ID number has 12 digits, a
date must lie in the working calendar), so they report rules, not defects.

``SCHEMATHESIS_MAX_TIME`` (seconds, default 120) bounds the run;
``SCHEMATHESIS_SEED`` picks another seed (default 1, so CI is repeatable).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import BHXH, receipt_body
from tests.support.servers import child_database_url, set_server_password, start_daphne

pytestmark = pytest.mark.django_db(transaction=True)

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)

CONFIG = """
[[operations]]
include-path-regex = "^/api/v1/dossiers/\\\\{{code\\\\}}/"
parameters = {{ "path.code" = "{code}" }}

[[operations]]
include-path-regex = "^/api/v1/track/"
parameters = {{ "path.code" = "{code}", "query.pin" = "{pin}" }}

[[operations]]
include-path-regex = "^/api/v1/board/"
parameters = {{ "path.centre" = "14797" }}

[[operations]]
include-path-regex = "^/api/v1/(procedures|centres)/\\\\{{code\\\\}}/"
parameters = {{ "path.code" = "{procedure}" }}
"""


def test_schemathesis_finds_no_server_error_and_no_schema_violation(demo, tmp_path):
    from django.db import connection

    password = "motcua-demo-pass"
    set_server_password([BHXH["desk"], BHXH["manager"]], password)
    server = start_daphne(
        database_url=child_database_url(connection.settings_dict),
        redis_url=os.environ.get("REDIS_URL") or None,
        env={"LOG_LEVEL": "WARNING"},
        log_dir=tmp_path,
    )
    try:
        token = server.token(BHXH["desk"], password)
        received = server.post("/api/v1/dossiers/", receipt_body(), token=token)
        assert received.status == 201, received.body
        config = tmp_path / "schemathesis.toml"
        config.write_text(
            CONFIG.format(
                code=received.body["code"],
                pin=received.body["tracking_pin"],
                procedure="1.001667",
            )
        )
        binary = Path(sys.executable).with_name("schemathesis")
        run = subprocess.run(
            [
                str(binary),
                "--config-file",
                str(config),
                "run",
                f"{server.url}/api/schema/",
                "-H",
                f"Authorization: Token {token}",
                "--checks",
                CHECKS,
                "--max-examples",
                "15",
                "--max-time",
                os.environ.get("SCHEMATHESIS_MAX_TIME", "120"),
                "--seed",
                os.environ.get("SCHEMATHESIS_SEED", "1"),
                "--workers",
                "1",
                "--suppress-health-check",
                "all",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
        )
    finally:
        server.stop()
    output = run.stdout + run.stderr
    summary = re.search(r"Test cases:\s*\n\s*(.+)", output)
    print("schemathesis:", summary[1] if summary else output[-2000:])
    assert run.returncode == 0, output[-6000:] + "\n" + server.logs()
    assert summary and "generated" in summary[1], output[-2000:]

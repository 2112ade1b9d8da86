"""The least-privilege PostgreSQL role of the application (issue 8, point 9).

Created by ``manage.py db_app_role`` inside the test's transaction (roles
are cluster-wide, but CREATE ROLE is transactional: the rollback removes it),
then used with SET ROLE, which drops the test user's superuser rights.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from tests.support import tamper
from workflows.models import ClockEvent, Dossier, DossierEvent

pytestmark = pytest.mark.django_db

ROLE = "motcua_app_test_history"
EVENTS = DossierEvent._meta.db_table
LEDGER = ClockEvent._meta.db_table


def as_app_role(sql: str, params=()) -> list:
    """Run ``sql`` as the application's role, in a savepoint."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {ROLE}")
        cursor.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else []
        cursor.execute("RESET ROLE")
    return rows


def refused(sql: str, match: str) -> None:
    with pytest.raises(DatabaseError, match=match):
        as_app_role(sql)


@pytest.mark.postgres
def test_the_app_role_reads_and_appends_history_but_cannot_change_it(received):
    out = io.StringIO()
    call_command("db_app_role", "--role", ROLE, "--password", "s3cr'et", stdout=out)
    assert f"{EVENTS}: {ROLE} được SELECT, INSERT." in out.getvalue()
    assert f"{LEDGER}: {ROLE} được SELECT, INSERT." in out.getvalue()

    event = DossierEvent.objects.order_by("pk").first()
    dossier = Dossier.objects.get(pk=event.dossier_id)
    # SELECT and INSERT work…
    assert as_app_role(f"SELECT count(*) FROM {EVENTS}")[0][0] == DossierEvent.objects.count()
    as_app_role(
        f"INSERT INTO {EVENTS} (dossier_id, seq, kind, at, actor_name, data, prev_hash, hash, "
        "mac, key_id) VALUES (%s, 999, 'note', now(), 'system', %s, '', '', '', '')",
        [dossier.pk, json.dumps({})],
    )
    assert DossierEvent.objects.filter(seq=999).exists()
    # …and so does ordinary work elsewhere.
    as_app_role(f"UPDATE {tamper.DOSSIERS} SET note = 'ghi chú' WHERE id = %s", [dossier.pk])

    # UPDATE, DELETE and TRUNCATE are refused by privileges, before any trigger.
    for table in (EVENTS, LEDGER):
        refused(f"UPDATE {table} SET seq = seq", f"permission denied for table {table}")
        refused(f"DELETE FROM {table}", f"permission denied for table {table}")
        refused(f"TRUNCATE {table}", f"permission denied for table {table}")
    # The triggers cannot be dropped, disabled, replaced or switched off.
    refused(f"DROP TRIGGER {EVENTS}_append_only ON {EVENTS}", "must be owner")
    refused(f"DROP TRIGGER {EVENTS}_no_truncate ON {EVENTS}", "must be owner")
    refused(f"ALTER TABLE {EVENTS} DISABLE TRIGGER ALL", "must be owner")
    refused(f"ALTER TABLE {LEDGER} DISABLE TRIGGER {LEDGER}_append_only", "must be owner")
    refused(
        "CREATE OR REPLACE FUNCTION motcua_append_only() RETURNS trigger AS "
        "$$ BEGIN RETURN NULL; END; $$ LANGUAGE plpgsql",
        "permission denied for schema|must be owner",
    )
    refused("SET session_replication_role = replica", "permission denied")
    refused(f"CREATE TABLE {ROLE}_t (id int)", "permission denied")


@pytest.mark.postgres
def test_the_role_sql_can_be_printed_for_a_dba(received):
    out = io.StringIO()
    call_command("db_app_role", "--role", ROLE, "--print", stdout=out)
    sql = out.getvalue()
    assert f'CREATE ROLE "{ROLE}" LOGIN NOSUPERUSER' in sql
    assert f'REVOKE UPDATE, DELETE, TRUNCATE ON "public"."{EVENTS}", "public"."{LEDGER}"' in sql
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [ROLE])
        assert cursor.fetchone() is None  # printed, not run


@pytest.mark.postgres
def test_the_owner_cannot_be_the_app_role(received):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="phải khác vai trò sở hữu bảng"):
        call_command("db_app_role", "--role", owner, stdout=io.StringIO())
    with pytest.raises(CommandError, match="không hợp lệ"):
        call_command("db_app_role", "--role", "x; DROP TABLE y", stdout=io.StringIO())


def test_the_role_is_for_postgresql_only(db):
    if connection.vendor == "postgresql":
        pytest.skip("checks the refusal on SQLite")
    with pytest.raises(CommandError, match="chỉ dùng với PostgreSQL"):
        call_command("db_app_role", stdout=io.StringIO())


@pytest.mark.postgres
def test_the_application_works_as_the_app_role(received, api):
    """A dossier's whole handling, as the app role: its rights are enough."""
    from tests.integration.test_history_tamper import walk
    from workflows.services.history import history_verify

    call_command("db_app_role", "--role", ROLE, stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {ROLE}")
    try:
        dossier = walk(received, api)
        r = api("hacthanh.bhxh.motcua").post(
            f"/api/v1/dossiers/{dossier.code}/return/", {"method": "counter"}, format="json"
        )
        assert r.status_code == 200, r.json()
        dossier.refresh_from_db()
        assert dossier.status == "returned"
        assert history_verify(dossier) == []
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")

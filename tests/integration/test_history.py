"""The dossier history: hash chain, tamper detection, append-only storage."""

from __future__ import annotations

import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from tests.integration.conftest import BHXH
from workflows.models import Dossier, DossierEvent
from workflows.services.history import GENESIS, canonical, chain_hash, history_verify

pytestmark = pytest.mark.django_db


def _walk(received, api):
    code = received["code"]
    for who in ("handler", "leader"):
        api(BHXH[who]).post(f"/api/v1/dossiers/{code}/claim/", {}, format="json")
        api(BHXH[who]).post(f"/api/v1/dossiers/{code}/advance/", {}, format="json")
    return Dossier.objects.get(code=code)


def test_chain_links_every_event(received, api):
    dossier = _walk(received, api)
    events = list(DossierEvent.objects.filter(dossier=dossier).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    for e in events:
        payload = canonical(seq=e.seq, kind=e.kind, at=e.at, actor=e.actor_name, data=e.data)
        assert chain_hash(e.prev_hash, payload) == e.hash
    assert dossier.last_hash == events[-1].hash
    assert history_verify(dossier) == []


def _tamper(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # bypass the trigger
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_tampering_is_detected_and_the_command_fails(received, api, capsys):
    dossier = _walk(received, api)
    call_command("verify_history", dossier.code)
    assert "0 hồ sơ có lịch sử bị thay đổi" in capsys.readouterr().out
    target = DossierEvent.objects.get(dossier=dossier, seq=2)
    table = DossierEvent._meta.db_table
    _tamper(f"UPDATE {table} SET actor_name = %s WHERE id = %s", ["someone.else", target.pk])
    problems = history_verify(dossier)
    assert [(p.code, p.seq) for p in problems] == [("tampered", 2)]
    with pytest.raises(CommandError):
        call_command("verify_history", dossier.code)
    assert "[tampered]" in capsys.readouterr().out


def test_deleting_an_event_is_detected(received, api):
    dossier = _walk(received, api)
    table = DossierEvent._meta.db_table
    last = DossierEvent.objects.filter(dossier=dossier).order_by("-seq").first()
    _tamper(f"DELETE FROM {table} WHERE id = %s", [last.pk])
    codes = {p.code for p in history_verify(dossier)}
    assert "missing_tail" in codes


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete_of_history(received):
    event = DossierEvent.objects.first()
    table = DossierEvent._meta.db_table
    for sql in (
        f"UPDATE {table} SET kind = 'x' WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    clock_table = "workflows_clockevent"
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {clock_table}")

"""Signed anchors of the history, written outside the database."""

from __future__ import annotations

import base64
import io
import json
import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command

from config.celery import app
from tests.integration.conftest import BHXH, receipt_body
from tests.integration.test_history_tamper import walk
from tests.support import tamper
from workflows.models import ClockEvent, Dossier, DossierEvent
from workflows.services import anchors, history_keys
from workflows.services.history import Head

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keys(settings, tmp_path):
    settings.HISTORY_KEY = "c3" * 32
    settings.HISTORY_KEYS = []
    settings.HISTORY_SIGNING_KEY = ""
    settings.HISTORY_SIGNING_KEY_FILE = tmp_path / "signing_key"
    settings.HISTORY_ANCHOR_DIR = tmp_path / "anchors"


def heads_in_db() -> dict[str, Head]:
    return {
        code: Head(n, h, m)
        for code, n, h, m in Dossier.objects.values_list(
            "code", "events_count", "last_hash", "last_mac"
        )
    }


def state():
    public = history_keys.signing_key().public_key()
    return anchors.anchors_verify(public_key=public)


def test_the_first_anchor_lists_every_dossier_then_only_what_changed(received, api, clock):
    other = api(BHXH["desk"]).post("/api/v1/dossiers/", receipt_body(), format="json").json()
    first = anchors.anchor_write(at=clock.at)
    assert (first.seq, first.changed, first.dossiers, first.disputed) == (1, 2, 2, [])
    assert first.path.name == "anchor-00000001.json"
    assert first.events == DossierEvent.objects.count()

    clock.advance(hours=1)
    walk(received, api)
    second = anchors.anchor_write(at=clock.at)
    assert (second.seq, second.changed, second.dossiers) == (2, 1, 2)
    body = json.loads(second.path.read_text())
    assert [row[0] for row in body["changed"]] == [received["code"]]
    assert body["previous"] == anchors.anchor_digest(json.loads(first.path.read_text()))
    assert body["ledger"] == {
        "rows": ClockEvent.objects.count(),
        "max_id": max(ClockEvent.objects.values_list("id", flat=True)),
    }
    folded, problems = state()
    assert problems == []
    assert folded.heads == heads_in_db()
    assert other["code"] in folded.heads
    assert body["heads_digest"] == anchors.heads_digest(heads_in_db())
    # Nothing changed: the next anchor lists nothing but carries every head forward.
    third = anchors.anchor_write(at=clock.advance(hours=1))
    assert (third.changed, third.dossiers, third.events) == (0, 2, second.events)


def test_the_signature_covers_the_canonical_body(received, clock):
    written = anchors.anchor_write(at=clock.at)
    body = json.loads(written.path.read_text())
    public = history_keys.signing_key().public_key()
    public.verify(base64.b64decode(body["signature"]), anchors.canonical_body(body))
    assert body["signer"] == history_keys.public_key_raw_b64(public)
    assert body["key_id"] == history_keys.keyring().current_id


def test_an_anchor_never_moves_a_shortened_history_forward(received, api, clock):
    dossier = walk(received, api)
    anchors.anchor_write(at=clock.at)
    anchored = heads_in_db()[dossier.code]
    tamper.delete_tail(dossier, keep=2)
    written = anchors.anchor_write(at=clock.advance(hours=1))
    assert written.disputed == [[dossier.code, ["anchored_tail_missing"]]]
    folded, problems = state()
    assert problems == [] and folded.heads[dossier.code] == anchored
    # …and says so again in every later anchor.
    again = anchors.anchor_write(at=clock.advance(hours=1))
    assert again.disputed == written.disputed


def test_a_deleted_dossier_stays_anchored_and_disputed(received, clock):
    code = received["code"]
    anchors.anchor_write(at=clock.at)
    dossier = Dossier.objects.get(code=code)
    tamper.superuser_sql(f"DELETE FROM {tamper.EVENTS} WHERE dossier_id = %s", [dossier.pk])
    tamper.superuser_sql(
        f"UPDATE {tamper.DOSSIERS} SET code = %s WHERE id = %s", ["gone", dossier.pk]
    )
    written = anchors.anchor_write(at=clock.advance(hours=1))
    assert [code, ["dossier_missing"]] in written.disputed


@pytest.mark.django_db(transaction=True)  # the sweep closes old connections
def test_the_sweep_writes_an_anchor_every_hour(received, clock, settings):
    settings.HISTORY_ANCHOR_EVERY = 3600
    directory = settings.HISTORY_ANCHOR_DIR
    out = io.StringIO()
    call_command("sweep", stdout=out)
    assert [p.name for p in anchors.anchor_files(directory)] == ["anchor-00000001.json"]
    assert "mốc neo số 1" in out.getvalue()
    clock.advance(minutes=59)
    call_command("sweep", stdout=io.StringIO())
    assert len(anchors.anchor_files(directory)) == 1
    clock.advance(minutes=1)
    call_command("sweep", stdout=io.StringIO())
    assert len(anchors.anchor_files(directory)) == 2
    settings.HISTORY_ANCHOR_EVERY = 0
    clock.advance(days=1)
    call_command("sweep", stdout=io.StringIO())
    assert len(anchors.anchor_files(directory)) == 2


def test_celery_beat_writes_anchors(received, settings):
    assert app.conf.beat_schedule["history-anchor"] == {
        "task": "workflows.history_anchor",
        "schedule": 3600.0,
    }
    app.autodiscover_tasks(["workflows", "notifications"], force=True)
    result = app.tasks["workflows.history_anchor"].apply().get()
    assert result == {"seq": 1, "changed": 1, "disputed": 0}
    assert len(anchors.anchor_files(settings.HISTORY_ANCHOR_DIR)) == 1


def test_history_anchor_command(received, capsys):
    call_command("history_anchor")
    assert "Đã ghi mốc neo số 1" in capsys.readouterr().out


# --- the signing key --------------------------------------------------------------------


def test_the_dev_signing_key_is_a_private_file_and_its_public_half_is_printed(settings, capsys):
    call_command("history_public_key")
    pem = capsys.readouterr().out
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    path = settings.HISTORY_SIGNING_KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert history_keys.load_public_key(pem, name="pem") == (
        history_keys.signing_key().public_key()
    )
    assert history_keys.signing_key_source() == "file"


@pytest.mark.parametrize("encoding", ["pem", "base64", "hex"])
def test_the_signing_key_from_the_environment(settings, capsys, encoding):
    key = Ed25519PrivateKey.generate()
    if encoding == "pem":
        raw = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
    else:
        seed = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        raw = base64.b64encode(seed).decode() if encoding == "base64" else seed.hex()
    settings.HISTORY_SIGNING_KEY = raw
    call_command("history_public_key")
    assert history_keys.load_public_key(capsys.readouterr().out, name="pem") == key.public_key()
    assert not settings.HISTORY_SIGNING_KEY_FILE.exists()

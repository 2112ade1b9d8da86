"""History a database superuser cannot silently rewrite (issue 8, point 9).

The attacker of these tests writes the database with plain SQL, triggers off
(tests/support/tamper.py), knows the public algorithm, and lacks the history
key. The old code (public hash chain only) passed every one of these attacks.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.integration.conftest import BHXH, receipt_body
from tests.support import tamper
from workflows.models import ClockEvent, Dossier, DossierEvent
from workflows.services import history_keys
from workflows.services.anchors import anchor_files
from workflows.services.history import history_errors, history_verify

pytestmark = pytest.mark.django_db

KEY_A = "a1" * 32
KEY_B = "b2" * 32


@pytest.fixture(autouse=True)
def _keys(settings, tmp_path):
    settings.HISTORY_KEY = KEY_A
    settings.HISTORY_KEYS = []
    settings.HISTORY_SIGNING_KEY = ""
    settings.HISTORY_SIGNING_KEY_FILE = tmp_path / "signing_key"
    settings.HISTORY_ANCHOR_DIR = tmp_path / "anchors"


def walk(received, api) -> Dossier:
    code = received["code"]
    for who in ("handler", "leader"):
        api(BHXH[who]).post(f"/api/v1/dossiers/{code}/claim/", {}, format="json")
        api(BHXH[who]).post(f"/api/v1/dossiers/{code}/advance/", {}, format="json")
    return Dossier.objects.get(code=code)


def codes(problems) -> list[tuple[str, int]]:
    return [(p.code, p.seq) for p in problems]


# --- the keyed chain ----------------------------------------------------------------------


def test_every_event_is_keyed_with_the_current_key(received, api):
    dossier = walk(received, api)
    events = list(DossierEvent.objects.filter(dossier=dossier).order_by("seq"))
    assert len(events) >= 5
    key_id = history_keys.key_fingerprint(bytes.fromhex(KEY_A))
    assert {e.key_id for e in events} == {key_id}
    assert all(len(e.mac) == 64 for e in events)
    assert len({e.mac for e in events}) == len(events)
    assert dossier.last_mac == events[-1].mac
    assert history_verify(dossier) == []


def test_a_full_rechain_passes_the_public_chain_but_not_the_mac(received, api, capsys):
    dossier = walk(received, api)
    n = dossier.events_count
    tamper.rechain(dossier, seq=3, data={"status": "in_progress", "note": "đã sửa"})
    dossier.refresh_from_db()
    # What the old verify_history saw: a perfect chain.
    assert history_verify(dossier, keyed=False) == []
    assert codes(history_verify(dossier)) == [("bad_mac", s) for s in range(3, n + 1)]
    with pytest.raises(CommandError):
        call_command("verify_history", dossier.code)
    assert "[bad_mac]" in capsys.readouterr().out


def test_an_appended_forgery_has_no_valid_mac(received, api):
    dossier = walk(received, api)
    seq = tamper.forge_append(dossier)
    dossier.refresh_from_db()
    assert history_verify(dossier, keyed=False) == []
    assert codes(history_verify(dossier)) == [("mac_missing", seq)]
    # A made-up mac, or one computed with another key, fails the same way.
    wrong = history_keys.key_fingerprint(b"x" * 32)
    other = Dossier.objects.get(pk=dossier.pk)
    tamper.superuser_sql(
        f"UPDATE {tamper.EVENTS} SET mac = %s, key_id = %s WHERE dossier_id = %s AND seq = %s",
        ["f" * 64, history_keys.key_fingerprint(bytes.fromhex(KEY_A)), dossier.pk, seq],
    )
    assert ("bad_mac", seq) in codes(history_verify(other))
    tamper.superuser_sql(
        f"UPDATE {tamper.EVENTS} SET key_id = %s WHERE dossier_id = %s AND seq = %s",
        [wrong, dossier.pk, seq],
    )
    assert ("unknown_key", seq) in codes(history_verify(other))


def test_a_chain_cannot_be_moved_to_another_dossier(received, api):
    """The keyed chain starts from a genesis derived from the dossier's code."""
    dossier = walk(received, api)
    tamper.superuser_sql(
        f"UPDATE {tamper.DOSSIERS} SET code = %s WHERE id = %s", ["X-" + dossier.code, dossier.pk]
    )
    dossier.refresh_from_db()
    assert history_verify(dossier, keyed=False) == []
    assert codes(history_errors(history_verify(dossier)))[0] == ("bad_mac", 1)


def test_key_rotation_keeps_old_events_verifiable(received, api, settings):
    dossier = walk(received, api)
    old_id = history_keys.key_fingerprint(bytes.fromhex(KEY_A))
    settings.HISTORY_KEY, settings.HISTORY_KEYS = KEY_B, [KEY_A]
    r = api(BHXH["desk"]).post(
        f"/api/v1/dossiers/{dossier.code}/return/", {"method": "counter"}, format="json"
    )
    assert r.status_code == 200, r.json()
    dossier.refresh_from_db()
    ids = list(
        DossierEvent.objects.filter(dossier=dossier)
        .order_by("seq")
        .values_list("key_id", flat=True)
    )
    new_id = history_keys.key_fingerprint(bytes.fromhex(KEY_B))
    assert ids[0] == old_id and ids[-1] == new_id
    assert history_verify(dossier) == []
    settings.HISTORY_KEYS = []
    assert {p.code for p in history_verify(dossier)} == {"unknown_key"}


def test_legacy_events_are_reported_as_unkeyed_not_tampered(received, api, capsys):
    """Rows written before the migration have an empty mac."""
    dossier = walk(received, api)
    n = dossier.events_count
    tamper.strip_macs(dossier)
    dossier.refresh_from_db()
    problems = history_verify(dossier)
    assert [(p.code, p.severity) for p in problems] == [("unkeyed", "notice")]
    call_command("verify_history", dossier.code)  # exit 0
    out = capsys.readouterr().out
    assert f"Sự kiện 1–{n}: ghi trước khi có khóa lịch sử" in out
    assert "0 hồ sơ có lịch sử bị thay đổi" in out
    # The next event is keyed; an unkeyed one after it is a forgery.
    r = api(BHXH["desk"]).post(
        f"/api/v1/dossiers/{dossier.code}/return/", {"method": "counter"}, format="json"
    )
    assert r.status_code == 200, r.json()
    dossier.refresh_from_db()
    assert history_errors(history_verify(dossier)) == []
    seq = tamper.forge_append(dossier)
    dossier.refresh_from_db()
    assert ("mac_missing", seq) in codes(history_verify(dossier))


# --- the keys ---------------------------------------------------------------------------


def test_keys_parse_from_hex_or_base64_and_must_be_long_enough():
    raw = bytes(range(32))
    assert history_keys.parse_secret(raw.hex(), name="K") == raw
    import base64

    assert history_keys.parse_secret(base64.b64encode(raw).decode(), name="K") == raw
    assert history_keys.parse_secret(base64.urlsafe_b64encode(raw).decode(), name="K") == raw
    with pytest.raises(ImproperlyConfigured, match="cần ít nhất 32 byte"):
        history_keys.parse_secret("ab" * 16, name="K")
    with pytest.raises(ImproperlyConfigured, match="hex hay base64"):
        history_keys.parse_secret("not a key!", name="K")


def test_without_history_key_a_private_file_is_created_once(settings, tmp_path):
    settings.HISTORY_KEY = ""
    settings.HISTORY_KEY_FILE = tmp_path / "var" / "history_key"
    ring = history_keys.keyring()
    path = settings.HISTORY_KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(ring.current) == 32
    assert history_keys.keyring().current == ring.current
    assert history_keys.parse_secret(path.read_text(), name="f") == ring.current
    assert history_keys.history_key_source() == "file"


# --- against the anchors ------------------------------------------------------------------


def verify(*args) -> tuple[bool, str]:
    """Run verify_history; (passed, output)."""
    out = io.StringIO()
    try:
        call_command("verify_history", *args, stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


def test_deleting_the_tail_since_the_last_anchor_is_detected(received, api, clock):
    dossier = walk(received, api)
    n = dossier.events_count
    call_command("history_anchor")
    assert verify()[0]
    tamper.delete_tail(dossier, keep=2)
    dossier.refresh_from_db()
    # Both chains of what is left verify: only the anchor knows.
    assert history_verify(dossier) == []
    passed, out = verify()
    assert not passed
    assert f"[anchored_tail_missing] Mốc neo ghi {n} sự kiện, nay chỉ còn 2" in out


def test_a_rechain_inside_the_anchored_part_breaks_the_anchored_head(received, api):
    dossier = walk(received, api)
    call_command("history_anchor")
    tamper.rechain(dossier, seq=3, data={"status": "in_progress"})
    passed, out = verify(dossier.code)
    assert not passed
    assert "[bad_mac]" in out and "[anchored_head_changed]" in out


def test_stripping_the_macs_does_not_pass_for_legacy_history(received, api, clock):
    dossier = walk(received, api)
    call_command("history_anchor")
    tamper.strip_macs(dossier)
    passed, out = verify()
    assert not passed and "[anchored_head_changed]" in out
    # A dossier born after the first anchor may have no unkeyed event at all.
    code = api(BHXH["desk"]).post("/api/v1/dossiers/", receipt_body(), format="json").json()
    newer = Dossier.objects.get(code=code["code"])
    tamper.strip_macs(newer)
    passed, out = verify(newer.code)
    assert not passed and f"{newer.code}: [mac_missing]" in out


def _truncate(table: str) -> None:
    """What TRUNCATE would do, for whoever gets past the trigger (or on SQLite)."""
    tamper.superuser_sql(f"DELETE FROM {table}")


def test_truncation_is_detected_by_the_anchors(received, api):
    dossier = walk(received, api)
    call_command("history_anchor")
    _truncate(tamper.EVENTS)
    tamper.superuser_sql(
        f"UPDATE {tamper.DOSSIERS} SET events_count = 0, last_hash = '', last_mac = ''"
    )
    dossier.refresh_from_db()
    assert history_verify(dossier) == []  # an empty history is a valid chain
    passed, out = verify()
    assert not passed and "[anchored_tail_missing]" in out
    _truncate(ClockEvent._meta.db_table)
    passed, out = verify()
    assert "[ledger_rows_missing] Sổ thời hạn" in out


def test_a_deleted_dossier_is_detected(received, api):
    dossier = walk(received, api)
    call_command("history_anchor")
    tamper.superuser_sql(f"DELETE FROM {tamper.EVENTS} WHERE dossier_id = %s", [dossier.pk])
    tamper.superuser_sql(
        f"UPDATE {tamper.DOSSIERS} SET code = %s WHERE id = %s", ["other", dossier.pk]
    )
    passed, out = verify()
    assert not passed and f"{dossier.code}: [dossier_missing]" in out


def test_a_tampered_anchor_is_detected(received, api, clock, settings):
    call_command("history_anchor")
    clock.advance(hours=1)
    walk(received, api)
    call_command("history_anchor")
    first, second = anchor_files(settings.HISTORY_ANCHOR_DIR)
    assert verify()[0]
    # Editing an anchor (here: shorten a head to match a deleted tail) breaks its signature.
    body = json.loads(second.read_text())
    body["changed"][0][1] = 2
    second.write_text(json.dumps(body))
    passed, out = verify()
    assert not passed and "[anchor_signature] Mốc neo số 2" in out
    # Removing an anchor breaks the numbering; the chain cannot be extended either.
    second.unlink()
    clock.advance(hours=1)
    call_command("history_anchor")  # anchor 2 again, from the state of anchor 1
    (settings.HISTORY_ANCHOR_DIR / "anchor-00000002.json").rename(
        settings.HISTORY_ANCHOR_DIR / "anchor-00000003.json"
    )
    passed, out = verify()
    assert not passed and "[anchor_gap]" in out
    with pytest.raises(CommandError, match="Chuỗi mốc neo bị hỏng"):
        call_command("history_anchor")
    assert first.exists()


def test_anchors_signed_by_another_key_are_refused(received, settings, tmp_path):
    call_command("history_anchor")
    settings.HISTORY_SIGNING_KEY_FILE = tmp_path / "another_key"
    passed, out = verify()
    assert not passed and "[anchor_signature]" in out


def test_a_third_party_verifies_with_the_public_key_alone(received, api, settings, tmp_path):
    dossier = walk(received, api)
    call_command("history_anchor")
    out = io.StringIO()
    call_command("history_public_key", stdout=out)
    public = tmp_path / "motcua-anchors.pem"
    public.write_text(out.getvalue())
    copy = tmp_path / "copy-of-anchors"
    shutil.copytree(settings.HISTORY_ANCHOR_DIR, copy)

    # The third party has neither the history key nor the signing key.
    settings.HISTORY_KEY = ""
    settings.HISTORY_KEY_FILE = tmp_path / "no" / "history_key"
    settings.HISTORY_SIGNING_KEY_FILE = tmp_path / "no" / "signing_key"
    args = ("--public-key", str(public), "--anchors", str(copy))
    passed, text = verify(*args)
    assert passed, text
    assert "Kiểm tra bằng khóa công khai" in text and "0 hồ sơ có lịch sử bị thay đổi" in text

    tamper.rechain(dossier, seq=3, data={"status": "in_progress", "note": "đã sửa"})
    passed, text = verify(*args)
    assert not passed
    assert f"{dossier.code}: [anchored_head_changed]" in text
    assert "[bad_mac]" not in text  # no key: the mac is not checked…
    assert not (tmp_path / "no").exists()  # …and no key was created or read

    # Anchors checked against another public key are refused.
    public.write_text(history_keys.public_key_pem(Ed25519PrivateKey.generate().public_key()))
    passed, text = verify(*args)
    assert not passed and "[anchor_signature]" in text


# --- PostgreSQL: TRUNCATE refused ---------------------------------------------------------


@pytest.mark.postgres
def test_postgres_refuses_truncate_of_the_history_and_the_ledger(received):
    from django.db import DatabaseError, connection, transaction

    for table in (tamper.EVENTS, ClockEvent._meta.db_table):
        with (
            pytest.raises(DatabaseError, match=f"{table} is append-only \\(TRUNCATE refused\\)"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            # The rows this test inserted have deferred FK checks pending,
            # which TRUNCATE refuses before any trigger runs: fire them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert DossierEvent.objects.exists() and ClockEvent.objects.exists()

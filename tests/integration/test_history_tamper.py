"""History a database superuser cannot silently rewrite (issue 8, point 9).

The attacker of these tests writes the database with plain SQL, triggers off
(tests/support/tamper.py), knows the public algorithm, and lacks the history
key. The old code (public hash chain only) passed every one of these attacks.
"""

from __future__ import annotations

import os
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.integration.conftest import BHXH
from tests.support import tamper
from workflows.models import Dossier, DossierEvent
from workflows.services import history_keys
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

"""The secrets that make the history tamper-evident, kept out of the database.

* The **history key** (HMAC-SHA256) chains a ``mac`` through every dossier
  event. Whoever can write the database but does not hold the key cannot
  rewrite, re-chain or append an event that verifies. ``HISTORY_KEY`` (hex or
  base64, at least 32 bytes); earlier keys after a rotation in
  ``HISTORY_KEYS`` (comma-separated, verification only). Each event records
  the ``key_id`` it was keyed with: a fingerprint of the key, never the key.
* The **signing key** (Ed25519) signs the anchors written outside the
  database (``workflows.services.anchors``); its public half lets a third
  party check them. ``HISTORY_SIGNING_KEY``: PEM (PKCS#8), or hex or base64
  of the 32 raw bytes.

Unset, both are read from files under ``var/`` created on first use (mode
0600), so ``make run`` works on a bare machine. A production deployment sets
both from its secret store (the ``motcua.W001``/``W002`` system checks say so).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MIN_KEY_BYTES = 32
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def key_fingerprint(key: bytes) -> str:
    """The ``key_id`` recorded with each event: identifies, never reveals, the key."""
    return hashlib.sha256(b"motcua-history-key-id:" + key).hexdigest()[:16]


def parse_secret(raw: str, *, name: str) -> bytes:
    """Hex or base64 (standard or URL-safe) to bytes."""
    text = raw.strip()
    if _HEX.match(text) and len(text) % 2 == 0:
        key = bytes.fromhex(text)
    else:
        try:
            padded = text + "=" * (-len(text) % 4)
            key = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"{name}: không phải chuỗi hex hay base64.") from None
    if len(key) < MIN_KEY_BYTES:
        raise ImproperlyConfigured(
            f"{name}: khóa chỉ có {len(key)} byte, cần ít nhất {MIN_KEY_BYTES} byte."
        )
    return key


def _create_once(path: Path, content: bytes) -> None:
    """Write ``path`` (0600) unless it exists; safe when two processes race."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        with contextlib.suppress(FileExistsError):  # another process won the race
            os.link(tmp, path)  # atomic: never a half-written key
    finally:
        tmp.unlink(missing_ok=True)


# --- the HMAC key ring --------------------------------------------------------------------


@dataclass(frozen=True)
class Keyring:
    current_id: str
    keys: dict[str, bytes]

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]


def keyring() -> Keyring:
    """The current history key and the earlier ones, from settings (cached)."""
    return _keyring(
        getattr(settings, "HISTORY_KEY", ""),
        tuple(getattr(settings, "HISTORY_KEYS", ())),
        str(_key_file()),
    )


def _key_file() -> Path:
    return Path(getattr(settings, "HISTORY_KEY_FILE", settings.VAR_DIR / "history_key"))


@functools.lru_cache(maxsize=8)
def _keyring(current: str, older: tuple[str, ...], key_file: str) -> Keyring:
    if current:
        key = parse_secret(current, name="HISTORY_KEY")
    else:
        path = Path(key_file)
        if not path.exists():
            _create_once(path, secrets.token_hex(32).encode() + b"\n")
        key = parse_secret(path.read_text(), name=str(path))
    keys = {key_fingerprint(key): key}
    for raw in older:
        old = parse_secret(raw, name="HISTORY_KEYS")
        keys.setdefault(key_fingerprint(old), old)
    return Keyring(current_id=key_fingerprint(key), keys=keys)


def history_key_source() -> str:
    """``"env"`` when HISTORY_KEY is set, else ``"file"`` (the dev fallback)."""
    return "env" if getattr(settings, "HISTORY_KEY", "") else "file"


# --- the Ed25519 signing key ------------------------------------------------------------------


def _signing_key_file() -> Path:
    return Path(
        getattr(settings, "HISTORY_SIGNING_KEY_FILE", settings.VAR_DIR / "history_signing_key")
    )


def signing_key() -> Ed25519PrivateKey:
    return _signing_key(getattr(settings, "HISTORY_SIGNING_KEY", ""), str(_signing_key_file()))


@functools.lru_cache(maxsize=8)
def _signing_key(raw: str, key_file: str) -> Ed25519PrivateKey:
    if raw:
        return load_private_key(raw, name="HISTORY_SIGNING_KEY")
    path = Path(key_file)
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _create_once(path, pem)
    return load_private_key(path.read_text(), name=str(path))


def load_private_key(raw: str, *, name: str) -> Ed25519PrivateKey:
    text = raw.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(_raw(text))
    except (ValueError, TypeError, binascii.Error):
        raise ImproperlyConfigured(f"{name}: không đọc được khóa ký Ed25519.") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{name}: khóa ký phải là Ed25519.")
    return key


def load_public_key(raw: str, *, name: str) -> Ed25519PublicKey:
    """PEM (SubjectPublicKeyInfo), or hex or base64 of the 32 raw bytes."""
    text = raw.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = Ed25519PublicKey.from_public_bytes(_raw(text))
    except (ValueError, TypeError, binascii.Error):
        raise ImproperlyConfigured(f"{name}: không đọc được khóa công khai Ed25519.") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ImproperlyConfigured(f"{name}: khóa công khai phải là Ed25519.")
    return key


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def public_key_raw_b64(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def signing_key_source() -> str:
    return "env" if getattr(settings, "HISTORY_SIGNING_KEY", "") else "file"


def _raw(text: str) -> bytes:
    """The 32 raw bytes of an Ed25519 key, in hex or base64."""
    if _HEX.match(text) and len(text) == 64:
        return bytes.fromhex(text)
    return _b64(text)


def _b64(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)

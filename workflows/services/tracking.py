"""Public access to a dossier: by its code and PIN (limited), or by the signed
tracking token of the receipt's QR code and of the citizen's messages (never
limited).

The PIN limiter counts failures per client address and per dossier code, in
the database (``AccessCounter``), so it holds with any number of workers and
while Redis is down:

* ``ADDRESS_LIMIT``: 10 failures per 10 minutes from one address;
* ``CODE_LIMIT``: 10 failures per 24 hours for one dossier code, from any
  number of addresses — at most 3,650 guesses a year against 1,000,000 PINs.

Beyond a limit every PIN attempt (right or wrong) is refused with 429 and a
``Retry-After``. The citizen is never locked out: the token path is not
limited, and the desk can re-issue the PIN. An unknown code and a wrong PIN
do the same work — one read of the counters, one read of the dossier's PIN
hash, one HMAC, one counter upsert — and answer the same 404.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from config.clock import now
from config.errors import DomainError, NotFound
from workflows.models import AccessCounter, Dossier
from workflows.services.common import (
    is_manager_at,
    is_receiver_at,
    is_super,
    lock_dossier,
    new_pin,
    pin_hash,
    require,
    save_dossier,
)
from workflows.services.history import history_append

ADDRESS_LIMIT = (10, 600)
CODE_LIMIT = (10, 24 * 3600)
#: Dossier codes are at most 60 characters; longer input cannot be one.
MAX_CODE = 60
#: Compared against when the code is unknown, so that both paths hash and compare.
_NO_DOSSIER = "0" * 64


class TooManyAttempts(DomainError):
    status = 429
    default_code = "too_many_attempts"


def _not_found() -> NotFound:
    return NotFound("Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này.", code="not_found")


# ---------------------------------------------------------------------------
# The signed tracking token
# ---------------------------------------------------------------------------


def _token_key() -> bytes:
    return hashlib.sha256(("motcua-track-token:" + settings.SECRET_KEY).encode()).digest()


def tracking_token(dossier: Dossier) -> str:
    """The dossier's tracking token: an HMAC of its code and current PIN hash
    (re-issuing the PIN voids the old token too). 22 characters, 132 bits."""
    mac = hmac.new(
        _token_key(), f"{dossier.code}|{dossier.tracking_pin_hash}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(mac).decode()[:22]


def token_matches(dossier: Dossier, token: str) -> bool:
    # bytes: compare_digest refuses str with non-ASCII characters (a 500 before)
    return hmac.compare_digest(tracking_token(dossier).encode(), (token or "")[:64].encode())


# ---------------------------------------------------------------------------
# The limiter
# ---------------------------------------------------------------------------


def limiter_keys(*, code: str, address: str) -> list[tuple[str, tuple[int, int]]]:
    return [
        (f"addr:{address}"[:200], ADDRESS_LIMIT),
        (f"code:{code}"[:200], CODE_LIMIT),
    ]


def _epoch(at: dt.datetime) -> int:
    return int(at.timestamp())


def _refuse_if_blocked(keys: list[tuple[str, tuple[int, int]]], at: dt.datetime) -> None:
    moment = _epoch(at)
    limits = dict(keys)
    waits = [
        expires - moment
        for key, failures, expires in AccessCounter.objects.filter(
            key__in=list(limits), expires__gt=moment
        ).values_list("key", "failures", "expires")
        if failures >= limits[key][0]
    ]
    if waits:
        wait = max(waits)
        minutes = max(1, -(-wait // 60))
        raise TooManyAttempts(
            "Đã nhập sai mã tra cứu quá nhiều lần; tra cứu bằng mã tra cứu tạm khóa "
            f"{minutes} phút. Ông/Bà vẫn tra cứu được ngay bằng mã QR trên giấy tiếp nhận "
            "hoặc đường dẫn trong tin nhắn, hoặc đề nghị bộ phận một cửa cấp lại mã tra cứu.",
            extra={"retry_after": wait},
        )


def _record_failure(keys: list[tuple[str, tuple[int, int]]], at: dt.datetime) -> None:
    """One upsert for every key: a failure inside the window counts, one after
    it starts a new window."""
    moment = _epoch(at)
    q = connection.ops.quote_name
    table, key_, failures, expires = (
        q(AccessCounter._meta.db_table),
        q("key"),
        q("failures"),
        q("expires"),
    )
    values = ", ".join(["(%s, 1, %s)"] * len(keys))
    params: list = []
    for key, (_limit, window) in sorted(keys):
        params += [key, moment + window]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_}, {failures}, {expires}) VALUES {values} "
            f"ON CONFLICT ({key_}) DO UPDATE SET "
            f"{failures} = CASE WHEN {table}.{expires} <= %s THEN 1 "
            f"ELSE {table}.{failures} + 1 END, "
            f"{expires} = CASE WHEN {table}.{expires} <= %s THEN excluded.{expires} "
            f"ELSE {table}.{expires} END",
            [*params, moment, moment],
        )


def pin_check(*, code: str, pin: str, address: str, at: dt.datetime | None = None) -> int:
    """The dossier's id if ``pin`` is its PIN; otherwise a failure is counted
    and the same 404 is raised for an unknown code and a wrong PIN; 429 once a
    limit is reached."""
    at = at or now()
    code = (code or "")[: MAX_CODE + 1]
    keys = limiter_keys(code=code, address=address or "unknown")
    _refuse_if_blocked(keys, at)
    row = (
        Dossier.objects.filter(code=code).values_list("pk", "tracking_pin_hash").first()
        if len(code) <= MAX_CODE
        else None
    )
    stored = row[1] if row else _NO_DOSSIER
    matched = hmac.compare_digest(stored, pin_hash(code, (pin or "")[:32])) and row is not None
    if not matched:
        _record_failure(keys, at)
        raise _not_found()
    return row[0]


def tracking_access(*, code: str, address: str, pin: str = "", token: str = ""):
    """The dossier for the public tracking page, API and socket: by token
    (not limited) or by PIN (limited, see above)."""
    from workflows.selectors.dossiers import dossier_for_tracking

    if token:
        dossier = dossier_for_tracking(code) if len(code or "") <= MAX_CODE else None
        if dossier is None or not token_matches(dossier, token):
            raise _not_found()
        return dossier
    pk = pin_check(code=code, pin=pin, address=address)
    dossier = dossier_for_tracking(code)
    if dossier is None or dossier.pk != pk:  # pragma: no cover - codes never change
        raise _not_found()
    return dossier


def counters_purge(*, at: dt.datetime) -> int:
    """Forget windows that have ended (run by the sweep)."""
    deleted, _ = AccessCounter.objects.filter(expires__lte=_epoch(at)).delete()
    return deleted


# ---------------------------------------------------------------------------
# Re-issuing the PIN
# ---------------------------------------------------------------------------


@dataclass
class NewPin:
    dossier: Dossier
    pin: str


def dossier_reissue_pin(*, actor, code: str) -> NewPin:
    """The desk gives the citizen a new PIN (lost slip, lost receipt response):
    the old PIN and the old tracking token stop working, the PIN's failure
    counter is reset, the history records who did it (not the PIN), and the
    citizen is told on their phone and e-mail."""
    from workflows.services.publish import publish

    at = now()
    with transaction.atomic():
        dossier = lock_dossier(code, actor=actor)
        require(
            is_super(actor)
            or is_receiver_at(actor, dossier.centre)
            or is_manager_at(actor, dossier.centre),
            "Chỉ bộ phận một cửa hoặc quản lý trung tâm được cấp lại mã tra cứu.",
        )
        pin = new_pin()
        dossier.tracking_pin_hash = pin_hash(dossier.code, pin)
        history_append(dossier=dossier, kind="pin_reissued", at=at, actor=actor, data={})
        save_dossier(dossier)
        AccessCounter.objects.filter(key=f"code:{dossier.code}").delete()
        publish(dossier, "pin_reissued", at=at)
    return NewPin(dossier=dossier, pin=pin)

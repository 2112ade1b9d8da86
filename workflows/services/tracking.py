"""Public access to a dossier by its code and PIN, throttled per address.

Shared by the tracking API and the tracking WebSocket: an unknown code and a
wrong PIN give the same answer, and ten failures from one address within ten
minutes lock that address out (the counter lives in the cache: Redis in
production, so every worker sees it).
"""

from __future__ import annotations

from django.core.cache import cache

from config.errors import DomainError, NotFound
from workflows.selectors.dossiers import dossier_for_tracking
from workflows.services.common import pin_hash, pin_matches

MAX_FAILURES = 10
WINDOW_SECONDS = 600


class TooManyAttempts(DomainError):
    status = 429
    default_code = "too_many_attempts"


def failures_key(address: str) -> str:
    return f"track-failures:{address}"


def tracking_access(*, code: str, pin: str, address: str):
    """The dossier if code and PIN match; the same 404 for an unknown code
    and a wrong PIN; 429 after 10 failures from one address in 10 minutes."""
    key = failures_key(address)
    if (cache.get(key) or 0) >= MAX_FAILURES:
        raise TooManyAttempts(
            "Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau 10 phút.",
            extra={"retry_after": WINDOW_SECONDS},
        )
    dossier = dossier_for_tracking(code)
    if dossier is None:
        # Hash anyway, so an unknown code and a wrong PIN take the same time.
        pin_hash(code, pin or "")
        matched = False
    else:
        matched = pin_matches(dossier, pin)
    if not matched:
        if cache.add(key, 1, WINDOW_SECONDS) is False:
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, WINDOW_SECONDS)
        raise NotFound("Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này.", code="not_found")
    return dossier

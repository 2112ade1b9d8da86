"""System checks for the history's secrets (issue 8, point 9).

Where the keys may come from the dev files in ``var/``:

* the embedded default (no DATABASE_URL: ``make run`` on a bare machine),
  DEBUG on, or MOTCUA_DEV=1: silently;
* a real database with ``config.settings``: a warning (motcua.W001/W002) —
  the files work, but are lost with the checkout or the container, and with
  them the means to verify the history and extend the anchors;
* ``config.settings_production``: an error (motcua.E001/E002): set them from
  the deployment's secret store.

A key that is set but unreadable is always an error (E003/E004), found at
start-up rather than at the first event.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured


def _dev_files_allowed() -> bool:
    return (
        getattr(settings, "EMBEDDED", False)
        or settings.DEBUG
        or os.environ.get("MOTCUA_DEV", "").strip().lower() in {"1", "true", "yes", "on"}
    )


@register(Tags.security)
def history_secrets_check(app_configs=None, **kwargs):
    from workflows.services.history_keys import load_private_key, parse_secret

    found = []
    if settings.HISTORY_KEY:
        try:
            parse_secret(settings.HISTORY_KEY, name="HISTORY_KEY")
            for raw in settings.HISTORY_KEYS:
                parse_secret(raw, name="HISTORY_KEYS")
        except ImproperlyConfigured as e:
            found.append(Error(str(e), id="motcua.E003"))
    if settings.HISTORY_SIGNING_KEY:
        try:
            load_private_key(settings.HISTORY_SIGNING_KEY, name="HISTORY_SIGNING_KEY")
        except ImproperlyConfigured as e:
            found.append(Error(str(e), id="motcua.E004"))
    if _dev_files_allowed():
        return found
    production = getattr(settings, "MOTCUA_PRODUCTION", False)
    level, prefix = (Error, "E") if production else (Warning, "W")
    missing = {
        "HISTORY_KEY": (
            "001",
            "khóa HMAC của lịch sử hồ sơ",
            "python -c 'import secrets; print(secrets.token_hex(32))'",
        ),
        "HISTORY_SIGNING_KEY": (
            "002",
            "khóa ký Ed25519 của các mốc neo",
            "python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'",
        ),
    }
    for name, (number, what, how) in missing.items():
        if not getattr(settings, name):
            found.append(
                level(
                    f"{name} chưa đặt: {what} đang lấy từ tệp trong var/ — mất tệp là mất "
                    "khả năng kiểm tra lịch sử.",
                    hint=f"Đặt {name} từ kho bí mật (tạo bằng: {how}); xem README, phần Bảo mật.",
                    id=f"motcua.{prefix}{number}",
                )
            )
    return found

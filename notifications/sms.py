"""SMS gateways.

A gateway has one method, ``send(to, text)``, that returns when the gateway
has accepted the message and raises ``SMSError`` otherwise. ``SMSUnavailable``
(a subclass) means the gateway itself could not be reached: the outbox then
stops trying the other messages of the same run instead of waiting for each
one to time out.

Settings (read with ``getattr``; empty means not configured):

* ``SMS_GATEWAY_URL`` – POST endpoint of an HTTP gateway; empty → console;
* ``SMS_GATEWAY_TOKEN`` – sent as ``Authorization: Bearer <token>``;
* ``SMS_GATEWAY_TIMEOUT`` – seconds (default 5);
* ``SMS_ASCII`` – fold Vietnamese to ASCII for GSM-7 gateways (default false).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Protocol

from django.conf import settings

log = logging.getLogger(__name__)


class SMSError(Exception):
    """The gateway refused or failed this message."""


class SMSUnavailable(SMSError):
    """The gateway could not be reached (connection refused, timeout, DNS)."""


class SMSGateway(Protocol):
    def send(self, to: str, text: str) -> None: ...


class ConsoleSMSGateway:
    """The embedded default: writes the message to the log instead of sending it."""

    def send(self, to: str, text: str) -> None:
        log.info("SMS tới %s: %s", to, text)


class HttpSMSGateway:
    """POST ``{"to": …, "text": …}`` (UTF-8 JSON) with a bearer token; any 2xx
    is success."""

    def __init__(self, url: str, token: str = "", timeout: float = 5) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"SMS gateway URL must be http(s): {url!r}")
        self.url = url
        self.token = token
        self.timeout = timeout

    def send(self, to: str, text: str) -> None:
        body = json.dumps({"to": to, "text": text}, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as e:
            detail = e.read(300).decode("utf-8", "replace").strip()
            raise SMSError(f"HTTP {e.code} {e.reason}: {detail}".rstrip(": ")) from None
        except (urllib.error.URLError, OSError) as e:  # refused, DNS, timeout
            reason = getattr(e, "reason", e)
            raise SMSUnavailable(f"{type(reason).__name__}: {reason}") from None


def get_sms_gateway() -> SMSGateway:
    """The gateway the settings describe (read at each call, so tests can
    override them)."""
    url = getattr(settings, "SMS_GATEWAY_URL", "") or ""
    if not url:
        return ConsoleSMSGateway()
    return HttpSMSGateway(
        url,
        getattr(settings, "SMS_GATEWAY_TOKEN", "") or "",
        timeout=float(getattr(settings, "SMS_GATEWAY_TIMEOUT", 5) or 5),
    )


def sms_ascii() -> bool:
    return bool(getattr(settings, "SMS_ASCII", False))

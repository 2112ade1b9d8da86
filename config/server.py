"""``python -m config.server …``: Daphne's command line, with Twisted's HTTP
refusals made into answers.

Twisted drops the connection without a word when a request line or header
is longer than 16 KB (a 200 KB query string, say), and answers other header
abuse with a bare ``400`` that has no body. Clients then report a network
error instead of a refusal. Here both become a ``400`` with a JSON body in
the API's error format; the rest of the over-long request is read and
discarded first (up to ``DISCARD_LIMIT``), so the client, still sending,
gets the answer rather than a connection reset.
"""

from __future__ import annotations

import json

from twisted.web import http

DISCARD_LIMIT = 4 * 1024 * 1024
_END_OF_HEADERS = b"\r\n\r\n"


def _response(code: str, message: str) -> bytes:
    body = json.dumps({"error": code, "message": message}, ensure_ascii=False).encode()
    return (
        b"HTTP/1.1 400 Bad Request\r\n"
        b"Content-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n".encode()
        + b"Connection: close\r\n\r\n"
        + body
    )


_TOO_LONG = _response(
    "request_too_long",
    "Dòng yêu cầu hoặc tiêu đề quá dài (tối đa 16 KB); hãy rút ngắn chuỗi truy vấn.",
)
_MALFORMED = _response("bad_request", "Yêu cầu HTTP không hợp lệ.")

_original_data_received = http.HTTPChannel.dataReceived


def _answer(channel: http.HTTPChannel, response: bytes = _TOO_LONG) -> None:
    channel._motcua_refusing = False
    channel._motcua_answered = True
    channel.transport.write(response)
    channel.loseConnection()


def _discard(channel: http.HTTPChannel, data: bytes) -> None:
    window = channel._motcua_tail + data
    channel._motcua_seen += len(data)
    if _END_OF_HEADERS in window or channel._motcua_seen > DISCARD_LIMIT:
        _answer(channel)
    else:
        channel._motcua_tail = window[-3:]


def _line_length_exceeded(self: http.HTTPChannel, line: bytes) -> None:
    self._motcua_refusing = True
    self._motcua_tail = b""
    self._motcua_seen = 0
    _discard(self, line)


def _data_received(self: http.HTTPChannel, data: bytes) -> None:
    if getattr(self, "_motcua_answered", False):
        return
    if getattr(self, "_motcua_refusing", False):
        _discard(self, data)
        return
    _original_data_received(self, data)


def _respond_to_bad_request(self: http.HTTPChannel) -> None:
    if not getattr(self, "_motcua_answered", False):
        _answer(self, _MALFORMED)


def install() -> None:
    http.HTTPChannel.lineLengthExceeded = _line_length_exceeded
    http.HTTPChannel.dataReceived = _data_received
    http.HTTPChannel._respondToBadRequestAndDisconnect = _respond_to_bad_request


def main() -> None:
    install()
    from daphne.cli import CommandLineInterface

    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()

"""Real local stand-ins for what the outbox sends to: an HTTP SMS gateway and
an SMTP server, each on a port of 127.0.0.1 chosen in advance.

While a stand-in is not started nothing listens on its port: the product's
real clients (``notifications.sms.HttpSMSGateway``, Django's SMTP backend)
get a refused connection, as they would from a gateway that is down. Started
on the same port, it accepts and records every message: the gateway "comes
back". Only the standard library.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"


def closed_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class _Server:
    server: socketserver.BaseServer

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list = []
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def record(self, item) -> None:
        with self.lock:
            self.received.append(item)

    def start(self) -> None:
        self.server = self._make()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.thread is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread = None

    def _make(self) -> socketserver.BaseServer:
        raise NotImplementedError


class SMSGatewayServer(_Server):
    """POST ``{"to", "text"}`` → 200; records ``(to, text)``."""

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/sms"

    def _make(self):
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length).decode("utf-8"))
                sink.record((body["to"], body["text"]))
                payload = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        return ThreadingHTTPServer((HOST, self.port), Handler)


class SMTPServer(_Server):
    """Just enough SMTP for Django's backend (EHLO, MAIL, RCPT, DATA, QUIT);
    records ``(recipients, subject)``, the subject decoded."""

    def _make(self):
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode("ascii") + b"\r\n")

            def handle(self):
                self.reply("220 motcua-test ESMTP")
                recipients: list[str] = []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    command = line.decode("ascii", "replace").strip()
                    verb = command[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 motcua-test")
                    elif verb == "MAIL":
                        recipients = []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        lines = []
                        while (data := self.rfile.readline()) not in (b".\r\n", b""):
                            lines.append(data[1:] if data.startswith(b"..") else data)
                        message = email.message_from_bytes(
                            b"".join(lines), policy=email.policy.default
                        )
                        subject = " ".join(str(message["Subject"]).split())  # unfolded
                        sink.record((tuple(recipients), subject))
                        self.reply("250 OK: queued")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:  # RSET, NOOP, …
                        self.reply("250 OK")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        return Server((HOST, self.port), Handler)

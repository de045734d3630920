"""A tiny SMTP receiver on a free local port, so mail tests talk real SMTP without the network.

Python's smtpd module is deprecated (and warnings are errors here), so this speaks just
enough of RFC 5321 for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
"""
from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


@dataclass
class _Envelope:
    sender: str = ""
    recipients: list[str] = field(default_factory=list)


class _Handler(socketserver.StreamRequestHandler):
    server: "_Server"

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        self.reply("220 localhost test SMTP ready")
        envelope = _Envelope()
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            command, _, argument = raw.decode("utf-8", "replace").rstrip("\r\n").partition(" ")
            verb = command.upper()
            if verb == "EHLO":
                self.reply("250-localhost")
                self.reply("250 8BITMIME")
            elif verb == "HELO":
                self.reply("250 localhost")
            elif verb == "MAIL":
                envelope = _Envelope(sender=_address(argument))
                self.reply("250 OK")
            elif verb == "RCPT":
                envelope.recipients.append(_address(argument))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    line = self.rfile.readline()
                    if not line or line in (b".\r\n", b".\n"):
                        break
                    lines.append(line[1:] if line.startswith(b"..") else line)
                message = message_from_bytes(b"".join(lines), policy=policy.default)
                self.server.received.append(ReceivedMail(envelope.sender, envelope.recipients, message))
                self.reply("250 OK queued")
                envelope = _Envelope()
            elif verb in ("RSET", "NOOP"):
                envelope = _Envelope() if verb == "RSET" else envelope
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


def _address(argument: str) -> str:
    """'FROM:<a@b> SIZE=10' -> 'a@b'."""
    _, _, rest = argument.partition(":")
    return rest.strip().split(" ")[0].strip("<>")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[ReceivedMail] = []


class SMTPReceiver:
    """Context manager: `with SMTPReceiver() as smtp: ... smtp.port ... smtp.received`."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def received(self) -> list[ReceivedMail]:
        return self._server.received

    def __enter__(self) -> "SMTPReceiver":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

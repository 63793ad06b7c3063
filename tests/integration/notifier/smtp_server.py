"""A real SMTP server for the tests (aiosmtpd) that records what it accepts.

It can refuse given recipients with a chosen reply (4xx or 5xx) and be stopped and started
again on the same port, to play a mail server that is down for a while.
"""

import email
import email.policy
import socket
import uuid
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class ReceivedMail:
    recipient: str
    raw: bytes
    message: EmailMessage


class RecordingHandler:
    def __init__(self) -> None:
        self.received: list[ReceivedMail] = []
        self.replies: dict[str, str] = {}

    async def handle_RCPT(  # noqa: N802 (the hook name aiosmtpd looks up)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        reply = self.replies.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 (the hook name aiosmtpd looks up)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.extend(ReceivedMail(rcpt, raw, parsed) for rcpt in envelope.rcpt_tos)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.handler = RecordingHandler()
        self._controller: Controller | None = None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def reset(self) -> None:
        self.handler.received.clear()
        self.handler.replies.clear()

    def mails(self, run_id: uuid.UUID, recipient: str | None = None) -> list[ReceivedMail]:
        """Mails about one run (other tests' runs may be mailed meanwhile), to one recipient."""
        return [
            mail
            for mail in self.handler.received
            if mail.message["X-ReportFlow-Run-Id"] == str(run_id)
            and recipient in (None, mail.recipient)
        ]

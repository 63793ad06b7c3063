"""A real SMTP server for the tests (aiosmtpd) that records what it accepts.

It can refuse given recipients with a chosen reply (4xx or 5xx), counting each refusal, and be
stopped and started again on the same port, to play a mail server that is down for a while.
"""

import email
import email.policy
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
        # (recipient, reply) per refused RCPT: how often each recipient was tried and refused.
        self.refused: list[tuple[str, str]] = []

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
            self.refused.append((address, reply))
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
        self.handler.refused.clear()

    def run_mails(self) -> list[tuple[str, str]]:
        """(recipient, run id) per mail about a run received: what the invariant checker counts
        (the watchdog's alert mails are about no run)."""
        return [
            (mail.recipient, str(mail.message["X-ReportFlow-Run-Id"]))
            for mail in self.handler.received
            if mail.message["X-ReportFlow-Run-Id"] is not None
        ]

    def notifier_env(self) -> dict[str, str]:
        """A notifier sending here, with its retries, claims and sweeps scaled to seconds."""
        return {
            "SMTP_PORT": str(self.port),
            "SMTP_TIMEOUT_SECONDS": "2",
            "NOTIFIER_RETRY_BASE_SECONDS": "0.2",
            "NOTIFIER_RETRY_MAX_SECONDS": "1",
            "NOTIFIER_CLAIM_TIMEOUT_SECONDS": "30",
            "NOTIFIER_OVERDUE_SECONDS": "5",
            "NOTIFIER_SWEEP_INTERVAL_SECONDS": "0.5",
            "NOTIFIER_MISSED_AFTER_SECONDS": "10",
        }

    def mails(self, run_id: uuid.UUID, recipient: str | None = None) -> list[ReceivedMail]:
        """Mails about one run (other tests' runs may be mailed meanwhile), to one recipient."""
        return [
            mail
            for mail in self.handler.received
            if mail.message["X-ReportFlow-Run-Id"] == str(run_id)
            and recipient in (None, mail.recipient)
        ]

"""Local mail catcher for `make run`: an SMTP server that stores every message as an .eml file.

`python -m deploy.mail_catcher` listens on SMTP_HOST:SMTP_PORT (127.0.0.1:1025 by default, what
the notifier sends to) and writes each message to MAIL_CATCHER_DIR (./mail by default).
"""

import asyncio
import logging
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic_settings import BaseSettings

from shared.lifecycle import stop_on_signals
from shared.settings import ENV_FILE_CONFIG

log = logging.getLogger("mail_catcher")


class MailCatcherSettings(BaseSettings):
    model_config = ENV_FILE_CONFIG

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    mail_catcher_dir: Path = Path("./mail")


class EmlWriter:
    """aiosmtpd handler: one `<time>-<id>.eml` per received message, envelope recipients first."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    async def handle_DATA(  # noqa: N802 (the hook name aiosmtpd looks up)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        recipients = ", ".join(envelope.rcpt_tos)
        content = envelope.original_content or b""
        head = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {recipients}\r\n"
        path = self._folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        await asyncio.to_thread(path.write_bytes, head.encode() + content)
        log.info("stored mail for %s in %s", recipients, path)
        return "250 Message accepted for delivery"


async def serve() -> None:
    settings = MailCatcherSettings()
    settings.mail_catcher_dir.mkdir(parents=True, exist_ok=True)
    stop = stop_on_signals()
    controller = Controller(
        EmlWriter(settings.mail_catcher_dir), hostname=settings.smtp_host, port=settings.smtp_port
    )
    controller.start()
    log.info(
        "mail catcher listening on %s:%d; mails go to %s",
        settings.smtp_host,
        settings.smtp_port,
        settings.mail_catcher_dir.resolve(),
    )
    await stop.wait()
    controller.stop()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter
    asyncio.run(serve())

"""Sends one rendered message to one recipient over SMTP (aiosmtplib lives here only)."""

from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

from services.notifier.decisions import DeliveryFailed
from shared.settings import SmtpSettings

__all__ = ["DeliveryFailed", "Mailer", "SmtpMailer"]


def _reply_failure(code: int, text: str) -> DeliveryFailed:
    # 4xx is the server's "not now", 5xx its "never"; anything else is treated as transient.
    return DeliveryFailed(f"{code} {text}".strip(), transient=not 500 <= code < 600)


class Mailer(Protocol):
    """What the notifier needs to send mail; SmtpMailer is the real one."""

    async def send(self, message: EmailMessage, recipient: str) -> None:
        """Raises DeliveryFailed with the server's reply when the message was not accepted."""


class SmtpMailer:
    """One connection per message: simple, and a failure never poisons another send."""

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    async def send(self, message: EmailMessage, recipient: str) -> None:
        """Raises DeliveryFailed with the server's reply (never with the credentials)."""
        settings = self._settings
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        try:
            await aiosmtplib.send(
                message,
                sender=settings.smtp_from,
                recipients=[recipient],
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=password,
                use_tls=settings.smtp_ssl,
                start_tls=settings.smtp_starttls and not settings.smtp_ssl,
                timeout=settings.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            refused = error.recipients[0] if error.recipients else None
            if refused is None:
                raise DeliveryFailed("recipient refused", transient=False) from None
            raise _reply_failure(refused.code, refused.message) from None
        except aiosmtplib.SMTPResponseException as error:
            raise _reply_failure(error.code, error.message) from None
        except (aiosmtplib.SMTPException, OSError) as error:
            reason = f"{type(error).__name__}: {error}"
            raise DeliveryFailed(reason, transient=True) from None

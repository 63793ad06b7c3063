"""Sends one claimed notification over its channel, once: mail, webhook, Teams or Slack.

What a send leads to is Delivered, RetryLater or GiveUp (services/notifier/decisions.py); the
ledger and the retries are the caller's (delivery.py).
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

from services.notifier.channels import HTTP_CHANNELS, http_target, open_channel
from services.notifier.decisions import (
    DeliveryFailed,
    GiveUp,
    RetryLater,
    RetryPolicy,
    after_failure,
)
from services.notifier.mailer import Mailer, SmtpMailer
from services.notifier.notification_log import Claim, LedgerKey
from services.notifier.rendering import RunNotice, build_message
from services.notifier.settings import NotifierSettings
from services.notifier.slack_client import SlackFile, SlackSender, SlackTarget
from services.notifier.slack_message import slack_text
from services.notifier.teams_card import teams_body
from services.notifier.webhook_client import WebhookClient
from services.notifier.webhook_payload import plain_headers, webhook_body, webhook_headers
from shared.channel_secrets import ChannelSealer, ChannelSecretsUnavailable
from shared.models import NotificationChannel
from shared.outbound_addresses import AllowList


@dataclass(frozen=True)
class Channels:
    """How the notifier reaches each channel: mail, webhooks, and the key that opens them."""

    mailer: Mailer
    webhooks: WebhookClient
    slack: SlackSender
    # None when CHANNEL_SECRETS_KEY is unset: a webhook then fails, saying so.
    sealer: ChannelSealer | None

    @classmethod
    def from_settings(cls, settings: NotifierSettings) -> "Channels":
        """The real ones. An invalid CHANNEL_SECRETS_KEY stops here; a missing one only fails
        the webhooks that need it."""
        key = settings.channel_secrets_key
        allow = AllowList.parse(settings.webhook_allowed_hosts)
        http = WebhookClient(allow, settings.webhook_timeout_seconds)
        slack = SlackSender(
            settings.slack_api_base_url, settings.webhook_timeout_seconds, http, allow
        )
        return cls(SmtpMailer(settings), http, slack, None if key is None else ChannelSealer(key))


@dataclass(frozen=True)
class Delivered:
    """The target (mail server, webhook receiver, Slack) accepted the notification."""


class Senders:
    """One attempt over the key's channel, with the report's channel settings opened."""

    def __init__(self, settings: NotifierSettings, channels: Channels, policy: RetryPolicy) -> None:
        self._settings = settings
        self._channels = channels
        self._policy = policy

    @classmethod
    def from_settings(cls, settings: NotifierSettings) -> "Senders":
        policy = RetryPolicy(
            settings.notifier_max_attempts,
            settings.notifier_retry_base_seconds,
            settings.notifier_retry_max_seconds,
        )
        return cls(settings, Channels.from_settings(settings), policy)

    async def close(self) -> None:
        await self._channels.webhooks.close()

    async def send(
        self, notice: RunNotice, key: LedgerKey, claim: Claim
    ) -> "Delivered | RetryLater | GiveUp":
        """Attempt `claim.attempt` over the key's channel, once."""
        if key.channel in HTTP_CHANNELS or key.channel == NotificationChannel.SLACK:
            return await self._post(notice, key, claim)
        settings = self._settings
        message = build_message(
            notice,
            settings.smtp_from,
            key.recipient,
            settings.mail_max_attachment_bytes,
            datetime.now(UTC),
            key.resend_id,
        )
        return await attempt_delivery(
            self._channels.mailer, message, key.recipient, claim.attempt, self._policy
        )

    async def _post(
        self, notice: RunNotice, key: LedgerKey, claim: Claim
    ) -> "Delivered | RetryLater | GiveUp":
        """A webhook (signed JSON), a Teams card or a Slack post, to a checked address."""
        channels = notice.run.channels
        try:
            values = open_channel(channels, key.channel, key.recipient, self._channels.sealer)
        except ChannelSecretsUnavailable as error:
            return GiveUp(str(error))
        if values is None:
            return GiveUp("the report no longer has this channel; not sent")
        if key.channel == NotificationChannel.SLACK:
            return await self._post_to_slack(notice, SlackTarget(key.recipient, **values), claim)
        target = http_target(key.recipient, values)
        if target.secret is None:
            body = teams_body(notice)
            headers = plain_headers(claim.row_id)
        else:
            body = webhook_body(notice, claim.row_id, key.resend_id)
            headers = webhook_headers(body, target.secret, claim.row_id)
        try:
            await self._channels.webhooks.post(target.url, body, headers)
        except DeliveryFailed as failure:
            return after_failure(claim.attempt, failure.transient, failure.reply, self._policy)
        return Delivered()

    async def _post_to_slack(
        self, notice: RunNotice, target: SlackTarget, claim: Claim
    ) -> "Delivered | RetryLater | GiveUp":
        """The file itself when it was small enough to attach to a mail, else the link."""
        output = notice.output
        file = None
        if output is not None and output.content is not None:
            file = SlackFile(output.filename, output.content)
        try:
            await self._channels.slack.send(target, slack_text(notice), file)
        except DeliveryFailed as failure:
            return after_failure(claim.attempt, failure.transient, failure.reply, self._policy)
        return Delivered()


async def attempt_delivery(
    mailer: Mailer, message: EmailMessage, recipient: str, attempt: int, policy: RetryPolicy
) -> Delivered | RetryLater | GiveUp:
    """Sends attempt number `attempt` (1-based) once; a refusal becomes what follows it."""
    try:
        await mailer.send(message, recipient)
    except DeliveryFailed as failure:
        return after_failure(attempt, failure.transient, failure.reply, policy)
    return Delivered()

"""A report's channels as the notifier reads them: labels for the ledger, targets to deliver."""

from dataclasses import dataclass
from typing import Any

from shared.channel_secrets import ChannelSealer, ChannelSecretsUnavailable

WEBHOOK = "webhook"


@dataclass(frozen=True)
class WebhookTarget:
    label: str
    url: str
    secret: str


def webhook_labels(channels: list[dict[str, Any]]) -> list[str]:
    """The ledger label of each webhook: its host (made unique by the api when saved)."""
    return [str(channel["label"]) for channel in channels if channel.get("type") == WEBHOOK]


def webhook_target(
    channels: list[dict[str, Any]], label: str, sealer: ChannelSealer | None
) -> WebhookTarget | None:
    """The webhook labelled `label`, opened; None when the report no longer has it.

    Raises ChannelSecretsUnavailable when CHANNEL_SECRETS_KEY is missing or does not open it.
    """
    for channel in channels:
        if channel.get("type") == WEBHOOK and channel.get("label") == label:
            if sealer is None:
                raise ChannelSecretsUnavailable(
                    "CHANNEL_SECRETS_KEY is not set: a report's channels cannot be used without it"
                )
            values = sealer.open(str(channel["sealed"]))
            return WebhookTarget(label, str(values["url"]), str(values.get("secret", "")))
    return None

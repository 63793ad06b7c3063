"""A report's channels as the notifier reads them: labels for the ledger, targets to deliver.

Each stored channel is `{"type": "webhook" | "teams", "label": <host>, "sealed": …}`; its
ledger channel is the type in capitals (WEBHOOK, TEAMS).
"""

from dataclasses import dataclass
from typing import Any

from shared.channel_secrets import ChannelSealer, ChannelSecretsUnavailable
from shared.models import NotificationChannel

# Channels delivered by an HTTP POST: at least once, the receiver de-duplicating.
HTTP_CHANNELS = (NotificationChannel.WEBHOOK, NotificationChannel.TEAMS)


@dataclass(frozen=True)
class HttpTarget:
    label: str
    url: str
    # The webhook's signing key; None for Teams (a Workflows URL carries its own signature).
    secret: str | None


def ledger_channel(channel: dict[str, Any]) -> NotificationChannel | None:
    try:
        kind = NotificationChannel(str(channel.get("type", "")).upper())
    except ValueError:
        return None
    return kind if kind in HTTP_CHANNELS else None


def channel_keys(channels: list[dict[str, Any]]) -> list[tuple[NotificationChannel, str]]:
    """(ledger channel, label) of each channel the notifier knows how to deliver."""
    keys = []
    for channel in channels:
        kind = ledger_channel(channel)
        if kind is not None:
            keys.append((kind, str(channel["label"])))
    return keys


def open_target(
    channels: list[dict[str, Any]],
    kind: NotificationChannel,
    label: str,
    sealer: ChannelSealer | None,
) -> HttpTarget | None:
    """The channel of that kind and label, opened; None when the report no longer has it.

    Raises ChannelSecretsUnavailable when CHANNEL_SECRETS_KEY is missing or does not open it.
    """
    for channel in channels:
        if ledger_channel(channel) == kind and channel.get("label") == label:
            if sealer is None:
                raise ChannelSecretsUnavailable(
                    "CHANNEL_SECRETS_KEY is not set: a report's channels cannot be used without it"
                )
            values = sealer.open(str(channel["sealed"]))
            secret = values.get("secret")
            return HttpTarget(label, str(values["url"]), None if secret is None else str(secret))
    return None

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
# Slack is at most once, like e-mail: a shared file cannot be taken back.
REPORT_CHANNELS = (*HTTP_CHANNELS, NotificationChannel.SLACK)


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
    return kind if kind in REPORT_CHANNELS else None


def channel_keys(channels: list[dict[str, Any]]) -> list[tuple[NotificationChannel, str]]:
    """(ledger channel, label) of each channel the notifier knows how to deliver."""
    keys = []
    for channel in channels:
        kind = ledger_channel(channel)
        if kind is not None:
            keys.append((kind, str(channel["label"])))
    return keys


def open_channel(
    channels: list[dict[str, Any]],
    kind: NotificationChannel,
    label: str,
    sealer: ChannelSealer | None,
) -> dict[str, str] | None:
    """The sealed settings of the channel of that kind and label; None when the report no
    longer has it.

    Raises ChannelSecretsUnavailable when CHANNEL_SECRETS_KEY is missing or does not open it.
    """
    for channel in channels:
        if ledger_channel(channel) == kind and channel.get("label") == label:
            if sealer is None:
                raise ChannelSecretsUnavailable(
                    "CHANNEL_SECRETS_KEY is not set: a report's channels cannot be used without it"
                )
            return {key: str(value) for key, value in sealer.open(str(channel["sealed"])).items()}
    return None


def http_target(label: str, values: dict[str, str]) -> HttpTarget:
    return HttpTarget(label, values["url"], values.get("secret"))

"""A report's channels as they are saved: each URL checked (https, public addresses unless
WEBHOOK_ALLOWED_HOSTS lists them, after DNS resolution), labelled by its host and sealed."""

from typing import Any

from services.api.errors import FieldError
from services.api.schemas import WRITE_ONLY_CHANNEL_FIELDS
from services.api.settings import ApiSettings
from shared.channel_secrets import ChannelSealer, ChannelSecretsUnavailable
from shared.outbound_addresses import AllowList, RefusedTarget, check_url, resolve_checked


def _unique_label(host: str, taken: set[str]) -> str:
    label, number = host, 1
    while label in taken:
        number += 1
        label = f"{host} #{number}"
    taken.add(label)
    return label


async def sealed_channels(
    channels: list[dict[str, Any]], settings: ApiSettings
) -> list[dict[str, Any]]:
    """The channels as stored: type, label (the host) and the sealed URL and secret.

    A refused URL is a 422 naming it (`channels[i].url`), without echoing the URL.
    """
    if not channels:
        return []
    try:
        sealer = ChannelSealer(settings.channel_secrets_key)
    except ChannelSecretsUnavailable as error:
        raise FieldError(503, "channels", str(error), "channel_secrets_unavailable") from None
    allow = AllowList.parse(settings.webhook_allowed_hosts)
    taken: set[str] = set()
    stored = []
    for index, channel in enumerate(channels):
        values = {key: value for key, value in channel.items() if key != "type" and value}
        url_field = "webhook_url" if "webhook_url" in values else "url"
        if url_field in values:
            label = await _checked_host(values[url_field], allow, (index, url_field))
        else:
            label = str(values["channel"])  # Slack's API host is the operator's setting
        stored.append(
            {
                "type": channel["type"],
                "label": _unique_label(label, taken),
                "sealed": sealer.seal(values),
                "set": sorted(values.keys() & set(WRITE_ONLY_CHANNEL_FIELDS)),
            }
        )
    return stored


async def _checked_host(url: str, allow: AllowList, path: tuple[int, str]) -> str:
    try:
        target = check_url(url, allow)
        await resolve_checked(target.host, target.port, allow)
    except RefusedTarget as refusal:
        raise FieldError(422, "channels", str(refusal), "refused_url", "body", path) from None
    return target.host

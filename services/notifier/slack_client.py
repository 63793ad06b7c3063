"""Posts a run to Slack: a file upload through Slack's SDK where the size allows, a message with
the link otherwise, or a message to an incoming webhook (slack_sdk lives here only).

The SDK talks only to SLACK_API_BASE_URL (Slack's API, set by the operator, never by a report).
The upload URL Slack hands out is checked like a webhook (a Slack host, or one listed in
WEBHOOK_ALLOWED_HOSTS) and the file goes there through our checked client. Completing an upload
shares the file: when that call's outcome is unknown (no answer), it is not repeated.
"""

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from services.notifier.decisions import DeliveryFailed
from services.notifier.webhook_client import WebhookClient
from shared.outbound_addresses import AllowList, host_listed

SLACK_DOMAIN = "slack.com"
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


@dataclass(frozen=True)
class SlackTarget:
    label: str
    token: str | None = None
    channel: str | None = None
    webhook_url: str | None = None


@dataclass(frozen=True)
class SlackFile:
    name: str
    content: bytes


def _is_slack(host: str) -> bool:
    return host == SLACK_DOMAIN or host.endswith("." + SLACK_DOMAIN)


def _api_failure(error: SlackApiError) -> DeliveryFailed:
    status = error.response.status_code
    reason = error.response.get("error") if isinstance(error.response.data, dict) else None
    transient = status == 429 or status >= 500 or reason in TRANSIENT_ERRORS
    return DeliveryFailed(f"Slack: HTTP {status} {reason or ''}".strip(), transient)


class SlackSender:
    def __init__(
        self, api_base_url: str, timeout_seconds: float, http: WebhookClient, allow: AllowList
    ) -> None:
        # The SDK's debug lines show requests; keep them out of the log at any LOG_LEVEL.
        logging.getLogger("slack_sdk").setLevel(logging.WARNING)
        self._api_base_url = api_base_url
        self._timeout = max(1, round(timeout_seconds))
        self._http = http
        self._allow = allow

    async def send(self, target: SlackTarget, text: str, file: SlackFile | None) -> None:
        """Raises DeliveryFailed when Slack did not take it (or may have: never repeated)."""
        if target.webhook_url is not None:
            body = json.dumps({"text": text}).encode()
            await self._http.post(target.webhook_url, body, {"Content-Type": "application/json"})
            return
        if target.token is None or target.channel is None:
            raise DeliveryFailed("a Slack channel needs a token and a channel", transient=False)
        client = WebClient(
            token=target.token,
            base_url=self._api_base_url,
            timeout=self._timeout,
            retry_handlers=[],
        )
        if file is None:
            await self._call(client.chat_postMessage, channel=target.channel, text=text)
            return
        await self._upload(client, target.channel, text, file)

    async def _upload(self, client: WebClient, channel: str, text: str, file: SlackFile) -> None:
        granted = await self._call(
            client.files_getUploadURLExternal, filename=file.name, length=len(file.content)
        )
        upload_url, file_id = str(granted["upload_url"]), str(granted["file_id"])
        host = (urlsplit(upload_url).hostname or "").lower()
        if not (host_listed(host, self._allow) or _is_slack(host)):
            raise DeliveryFailed(f"refused: Slack's upload host {host} is not Slack's", False)
        await self._http.post(
            upload_url, file.content, {"Content-Type": "application/octet-stream"}
        )
        try:
            await self._call(
                client.files_completeUploadExternal,
                files=[{"id": file_id, "title": file.name}],
                channel_id=channel,
                initial_comment=text,
            )
        except DeliveryFailed as failure:
            if failure.reply.startswith("Slack: HTTP"):
                raise  # Slack answered: it did not share the file
            raise DeliveryFailed(
                f"outcome unknown: {failure.reply}; the upload is not repeated", transient=False
            ) from None

    async def _call(self, method: Any, **arguments: Any) -> Any:
        try:
            return await asyncio.to_thread(method, **arguments)
        except SlackApiError as error:
            raise _api_failure(error) from None
        except Exception as error:  # urllib's errors: no answer, the outcome is not known
            raise DeliveryFailed(f"{type(error).__name__}: {error}", transient=True) from None

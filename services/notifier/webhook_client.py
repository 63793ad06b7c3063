"""POSTs a webhook over httpx, connecting only to addresses checked after resolution.

httpx lives here only. Its connection pool gets a network backend whose `connect_tcp` resolves
the host, refuses it unless every address is allowed (shared/outbound_addresses.py), and
connects to the checked address itself, so a DNS answer that changes between the check and the
connection (rebinding) cannot send us elsewhere. TLS still verifies the URL's host name:
httpcore takes the server name for SNI and the certificate from the request, not from here.
Redirects are not followed, proxies from the environment are not used.
"""

import logging
from collections.abc import Iterable

import httpcore
import httpx

from services.notifier.decisions import DeliveryFailed, http_status_is_transient
from shared.outbound_addresses import AllowList, RefusedTarget, check_url, resolve_checked

MAX_CONNECTIONS = 20


class CheckedAddressBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks every address, then connects to the first checked one."""

    def __init__(self, allow: AllowList) -> None:
        self._allow = allow
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await resolve_checked(host, port, self._allow)
        except RefusedTarget as refusal:
            raise _Refused(str(refusal)) from None
        return await self._backend.connect_tcp(
            str(addresses[0]), port, timeout, local_address, socket_options
        )

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class _Refused(httpcore.ConnectError):
    """A refused address, told apart from a connection that failed."""


class _CheckedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, allow: AllowList) -> None:
        super().__init__(trust_env=False)
        # httpx 0.28 (pinned) takes no network backend; its pool is replaced by an equal one
        # that has ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=MAX_CONNECTIONS,
            network_backend=CheckedAddressBackend(allow),
        )


class WebhookClient:
    """One pool for the notifier's webhooks; `post` raises DeliveryFailed when not accepted."""

    def __init__(self, allow: AllowList, timeout_seconds: float) -> None:
        # httpx logs every request's full URL at INFO, and a webhook URL may carry a token.
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._allow = allow
        self._client = httpx.AsyncClient(
            transport=_CheckedTransport(allow),
            timeout=timeout_seconds,
            follow_redirects=False,
            trust_env=False,
        )

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        try:
            check_url(url, self._allow)
        except RefusedTarget as refusal:
            raise DeliveryFailed(f"refused: {refusal}", transient=False) from None
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.ConnectError as error:
            cause = error.__cause__
            if isinstance(cause, _Refused):
                raise DeliveryFailed(f"refused: {cause}", transient=False) from None
            raise DeliveryFailed(f"could not connect: {error}", transient=True) from None
        except httpx.TransportError as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}", transient=True) from None
        if response.is_success:
            return
        reply = f"HTTP {response.status_code} {response.reason_phrase}".strip()
        if response.is_redirect:
            reply += " (redirects are not followed)"
        raise DeliveryFailed(reply, transient=http_status_is_transient(response.status_code))

    async def close(self) -> None:
        await self._client.aclose()

"""The webhook client against a real local receiver: the address check happens at connect
time, after resolution, and a redirect is not followed."""

import pytest

from services.notifier.decisions import DeliveryFailed
from services.notifier.webhook_client import WebhookClient
from shared.outbound_addresses import AllowList
from tests.support.webhook_receiver import WebhookReceiver

BODY = b"{}"
HEADERS = {"Content-Type": "application/json"}


async def _refusal(allowed: list[str], url: str) -> DeliveryFailed:
    client = WebhookClient(AllowList.parse(allowed), timeout_seconds=2)
    try:
        with pytest.raises(DeliveryFailed) as failure:
            await client.post(url, BODY, HEADERS)
    finally:
        await client.close()
    return failure.value


async def test_a_host_name_is_checked_once_resolved_and_refused_for_good() -> None:
    # https and a host name pass the URL check; localhost resolves to loopback.
    failure = await _refusal([], "https://localhost:9/hook")
    assert failure.transient is False
    assert "refused: localhost is 127.0.0.1, a loopback address" in failure.reply


async def test_a_host_name_allowed_by_its_address_is_delivered(
    receiver: WebhookReceiver,
) -> None:
    client = WebhookClient(AllowList.parse(["127.0.0.1", "localhost"]), timeout_seconds=2)
    try:
        await client.post(f"http://localhost:{receiver.port}/hook", BODY, HEADERS)
    finally:
        await client.close()
    (request,) = receiver.received
    assert request.body == BODY


async def test_a_redirect_is_a_permanent_failure_and_is_not_followed(
    receiver: WebhookReceiver,
) -> None:
    receiver.answer_next(307)
    failure = await _refusal(["127.0.0.1"], receiver.url())
    assert failure.transient is False
    assert "not followed" in failure.reply
    assert len(receiver.received) == 1


@pytest.mark.parametrize(("status", "transient"), [(429, True), (502, True), (404, False)])
async def test_a_refusal_is_transient_or_permanent_by_its_status(
    receiver: WebhookReceiver, status: int, transient: bool
) -> None:
    receiver.answer_next(status)
    failure = await _refusal(["127.0.0.1"], receiver.url())
    assert failure.transient is transient

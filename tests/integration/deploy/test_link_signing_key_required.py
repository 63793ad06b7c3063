"""The API and the notifier refuse to start without a strong LINK_SIGNING_KEY, saying why and
without repeating a refused key."""

import pytest

from tests.support.services import StartService


@pytest.mark.parametrize(
    ("service", "key", "reason"),
    [
        ("api", "", "LINK_SIGNING_KEY is not set"),
        ("notifier", "", "LINK_SIGNING_KEY is not set"),
        ("api", "a-key-too-short-to-sign", "LINK_SIGNING_KEY must have at least 32 characters"),
    ],
)
def test_a_service_that_signs_or_checks_links_refuses_to_start_without_a_strong_key(
    start_service: StartService, service: str, key: str, reason: str
) -> None:
    with pytest.raises(RuntimeError, match="exited early") as refused:
        start_service(service, LINK_SIGNING_KEY=key, API_PORT="1", METRICS_PORT="0")
    assert reason in str(refused.value)
    if key:
        assert key not in str(refused.value)

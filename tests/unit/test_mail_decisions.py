"""Which runs are mailed, how long a retry waits, and when a notification gives up."""

import pytest

from services.notifier.decisions import (
    GiveUp,
    RetryLater,
    RetryPolicy,
    after_failure,
    retry_delay_seconds,
    should_mail,
)
from services.notifier.settings import NotifierSettings
from shared.models import NotifyOn, RunStatus
from tests.support.accounts import LINK_SIGNING_KEY

POLICY = RetryPolicy(max_attempts=4, base_seconds=30.0, max_seconds=100.0)


@pytest.mark.parametrize(
    ("notify_on", "status", "mailed"),
    [
        (NotifyOn.ALWAYS, RunStatus.SUCCESS, True),
        (NotifyOn.ALWAYS, RunStatus.FAILED, True),
        (NotifyOn.SUCCESS, RunStatus.SUCCESS, True),
        (NotifyOn.SUCCESS, RunStatus.FAILED, False),
        (NotifyOn.FAILURE, RunStatus.SUCCESS, False),
        (NotifyOn.FAILURE, RunStatus.FAILED, True),
        (NotifyOn.NEVER, RunStatus.SUCCESS, False),
        (NotifyOn.NEVER, RunStatus.FAILED, False),
        (NotifyOn.ALWAYS, RunStatus.CANCELLED, False),
        (NotifyOn.ALWAYS, RunStatus.SKIPPED, False),
        (NotifyOn.FAILURE, RunStatus.CANCELLED, False),
        (NotifyOn.FAILURE, RunStatus.SKIPPED, False),
    ],
)
def test_notify_on_selects_the_runs_that_are_mailed(
    notify_on: NotifyOn, status: RunStatus, mailed: bool
) -> None:
    assert should_mail(notify_on, status) is mailed


@pytest.mark.parametrize(
    ("attempt", "delay"), [(1, 30.0), (2, 60.0), (3, 100.0), (10, 100.0), (0, 30.0)]
)
def test_retry_delay_doubles_up_to_the_cap(attempt: int, delay: float) -> None:
    assert retry_delay_seconds(attempt, 30.0, 100.0) == delay


def test_a_transient_failure_is_retried_later() -> None:
    assert after_failure(2, True, "451 try later", POLICY) == RetryLater(60.0, "451 try later")


def test_a_permanent_failure_gives_up_with_the_server_reply() -> None:
    assert after_failure(1, False, "550 no such user", POLICY) == GiveUp("550 no such user")


def test_the_last_attempt_gives_up_even_when_transient() -> None:
    assert after_failure(4, True, "451 try later", POLICY) == GiveUp(
        "gave up after 4 attempts; last error: 451 try later"
    )


def test_the_smtp_password_never_shows_in_the_settings_repr() -> None:
    settings = NotifierSettings(
        smtp_username="user", smtp_password="s3cret-pw", link_signing_key=LINK_SIGNING_KEY
    )
    assert "s3cret-pw" not in repr(settings)
    assert "s3cret-pw" not in str(settings.model_dump())


def test_a_claim_timeout_shorter_than_a_send_is_refused() -> None:
    with pytest.raises(ValueError, match="NOTIFIER_CLAIM_TIMEOUT_SECONDS"):
        NotifierSettings(
            smtp_timeout_seconds=30,
            notifier_claim_timeout_seconds=60,
            link_signing_key=LINK_SIGNING_KEY,
        )

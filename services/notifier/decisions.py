"""Pure decisions of the notifier: whether a run is worth a delivery, what a failure leads to."""

from dataclasses import dataclass

from shared.models import FINISHED_STATUSES, NotifyOn, RunStatus

_WANTED: dict[NotifyOn, frozenset[RunStatus]] = {
    NotifyOn.ALWAYS: frozenset(FINISHED_STATUSES),
    NotifyOn.SUCCESS: frozenset({RunStatus.SUCCESS}),
    NotifyOn.FAILURE: frozenset({RunStatus.FAILED}),
    NotifyOn.NEVER: frozenset(),
}


class DeliveryFailed(Exception):
    """The target (mail server, webhook receiver) did not accept the delivery; `transient`
    says whether to try again."""

    def __init__(self, reply: str, transient: bool) -> None:
        super().__init__(reply)
        self.reply = reply
        self.transient = transient


def should_mail(notify_on: NotifyOn, status: RunStatus) -> bool:
    return status in _WANTED[notify_on]


def retry_delay_seconds(attempt: int, base_seconds: float, max_seconds: float) -> float:
    """Exponential backoff: base after the first attempt, doubling, capped at max."""
    return min(max_seconds, base_seconds * 2.0 ** max(attempt - 1, 0))


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    max_seconds: float


@dataclass(frozen=True)
class RetryLater:
    delay_seconds: float
    reply: str  # the failure being retried, recorded as the notification's last error


@dataclass(frozen=True)
class GiveUp:
    reason: str


def after_failure(
    attempt: int, transient: bool, reply: str, policy: RetryPolicy
) -> RetryLater | GiveUp:
    """What follows failed attempt number `attempt` (1-based) that ended with `reply`."""
    if not transient:
        return GiveUp(reply)
    if attempt >= policy.max_attempts:
        return GiveUp(f"gave up after {attempt} attempts; last error: {reply}")
    delay = retry_delay_seconds(attempt, policy.base_seconds, policy.max_seconds)
    return RetryLater(delay, reply)


def http_status_is_transient(status: int) -> bool:
    """A webhook's answer: 408, 429 and 5xx are "not now"; other 4xx (and 3xx, not followed)
    are "never"."""
    return status in (408, 429) or status >= 500

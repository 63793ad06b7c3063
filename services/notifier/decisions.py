"""Pure decisions of the notifier: whether a run is worth a mail, and what a failure leads to."""

from dataclasses import dataclass

from shared.models import MAILED_STATUSES, NotifyOn, RunStatus

# CANCELLED and SKIPPED runs are never mailed, whatever notify_on says: somebody chose them.
_WANTED: dict[NotifyOn, frozenset[RunStatus]] = {
    NotifyOn.ALWAYS: frozenset(MAILED_STATUSES),
    NotifyOn.SUCCESS: frozenset({RunStatus.SUCCESS}),
    NotifyOn.FAILURE: frozenset({RunStatus.FAILED}),
    NotifyOn.NEVER: frozenset(),
}


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

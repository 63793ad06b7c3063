"""Pure decisions of the notifier: whether a run is worth a delivery, what a failure leads to."""

import operator
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.notifier.first_value import first_value_miss
from shared.models import MAILED_STATUSES, EmptyResult, NotifyOn, RunStatus

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}

# CANCELLED and SKIPPED runs are never mailed, whatever notify_on says: somebody chose them.
_WANTED: dict[NotifyOn, frozenset[RunStatus]] = {
    NotifyOn.ALWAYS: frozenset(MAILED_STATUSES),
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


def withheld_because(
    status: RunStatus,
    row_count: int | None,
    empty_result: EmptyResult,
    deliver_if: list[dict[str, Any]],
    first_rows: dict[str, Any] | None = None,
) -> str | None:
    """Why a successful run is not delivered (its report's empty_result and deliver_if), or
    None. A failed run is not judged here: notify_on decides. `first_rows`: the rows the run
    kept (report_runs.first_rows), which first_value reads."""
    if status != RunStatus.SUCCESS:
        return None
    if row_count == 0 and empty_result == EmptyResult.SKIP:
        return "the query returned no rows and empty_result is skip"
    for condition in deliver_if:
        metric, op, expected = condition.get("metric"), condition.get("op"), condition.get("value")
        compare = COMPARISONS.get(str(op))
        if metric == "first_value" and compare is not None:
            miss = first_value_miss(first_rows, str(op), compare, expected)
            if miss is not None:
                return f"deliver_if not met: {miss}"
            continue
        if metric != "row_count" or compare is None:
            return f"deliver_if has a condition this notifier does not know: {condition}"
        if row_count is None or not compare(row_count, expected):
            return f"deliver_if not met: row_count {row_count} {op} {expected} is false"
    return None


@dataclass(frozen=True)
class DeliveredRun:
    """The report's last delivered run (services/notifier/previous_delivery.py): its file's
    sha256, null for a run without a file (a failure notice)."""

    run_id: uuid.UUID
    sha256: str | None


def unchanged_since(
    status: RunStatus,
    only_if_changed: bool,
    sha256: str | None,
    last_delivered: DeliveredRun | None,
) -> str | None:
    """Why a successful run of an `only_if_changed` report is not delivered: its file is, byte
    for byte, the last delivered run's. None when it is delivered: the report's first delivery,
    a different file, or a missing checksum (nothing proves the file is the same)."""
    if status != RunStatus.SUCCESS or not only_if_changed or last_delivered is None:
        return None
    if sha256 is None or last_delivered.sha256 != sha256:
        return None
    return f"unchanged since run {last_delivered.run_id}, sha256 {sha256}"


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

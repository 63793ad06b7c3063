"""The watchdog's pure decisions: what is wrong now, given what was read and `now`."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.cron import InvalidSchedule, latest_fire_time, next_fire_time
from shared.models import AlertKind


@dataclass(frozen=True)
class AlertKey:
    """At most one open alert per key (the alerts table's partial unique index)."""

    kind: AlertKind
    report_id: uuid.UUID | None = None
    target: str | None = None


@dataclass(frozen=True)
class Finding:
    key: AlertKey
    details: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Verdict:
    """One check's result for one kind: what is wrong, and which open alerts cleared.

    `cleared` None: every open alert of the kind that was not found again has cleared. A set:
    only those keys (the others were not looked at, so they stay open).
    """

    kind: AlertKind
    found: list[Finding]
    cleared: frozenset[AlertKey] | None = None

    def clears(self, key: AlertKey) -> bool:
        if self.cleared is None:
            return key not in {finding.key for finding in self.found}
        return key in self.cleared


def missed_slot(
    cron: str,
    timezone: str,
    now: datetime,
    grace: timedelta,
    scheduled_since: datetime,
    last_fired: datetime | None,
) -> datetime | None:
    """The latest slot due `grace` ago that has no run, or None.

    Slots before `scheduled_since` (the report's creation or last edit: the scheduler starts an
    edited schedule from then) are not expected to have fired. A run for that slot or a later
    one means the scheduler went past it.
    """
    expected_after = max(scheduled_since, last_fired) if last_fired else scheduled_since
    try:
        # next_fire_time is cached and its argument stays the same from check to check, so a
        # report whose slots all fired costs a lookup; the latest slot is computed only when
        # one was missed.
        if next_fire_time(cron, timezone, expected_after) > now - grace:
            return None
        return latest_fire_time(cron, timezone, now - grace)
    except InvalidSchedule:
        return None  # the scheduler logs it and does not schedule it


def run_deadline(started_at: datetime, timeout_seconds: float, margin: timedelta) -> datetime:
    """When a RUNNING run is overdue: its statement timeout should have stopped it by then."""
    return started_at + timedelta(seconds=timeout_seconds) + margin


def scheduler_is_down(last_beat: datetime | None, now: datetime, grace: timedelta) -> bool:
    """No heartbeat at all says nothing (a scheduler never started here, or an older one)."""
    return last_beat is not None and last_beat < now - grace


def dead_letters_verdict(counts: dict[str, int], previous: dict[str, int]) -> Verdict:
    """A dead-letter queue that holds messages and holds more than at the previous check is
    growing (the first check compares with empty); an empty one has cleared."""
    found = [
        Finding(
            AlertKey(AlertKind.DEAD_LETTERS_GROWING, target=queue),
            {"queue": queue, "messages": count, "previously": previous.get(queue, 0)},
        )
        for queue, count in sorted(counts.items())
        if count > previous.get(queue, 0)
    ]
    cleared = frozenset(
        AlertKey(AlertKind.DEAD_LETTERS_GROWING, target=queue)
        for queue, count in counts.items()
        if count == 0
    )
    return Verdict(AlertKind.DEAD_LETTERS_GROWING, found, cleared)

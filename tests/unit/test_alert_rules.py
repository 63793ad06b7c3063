"""The watchdog's pure decisions: missed slots in the report's zone, overdue runs, a silent
scheduler, growing dead letters, and which open alerts a verdict clears."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.notifier.alert_rules import (
    AlertKey,
    Finding,
    Verdict,
    dead_letters_verdict,
    missed_slot,
    run_deadline,
    scheduler_is_down,
)
from shared.models import AlertKind

GRACE = timedelta(minutes=10)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("cron", "zone", "now", "last_fired", "expected"),
    [
        # Daily 08:00 in Berlin (07:00 UTC in winter), 20 minutes late without a run: missed.
        ("0 8 * * *", "Europe/Berlin", "2026-11-30T07:20+00:00", None, "2026-11-30T07:00+00:00"),
        # Within the grace: not yet.
        ("0 8 * * *", "Europe/Berlin", "2026-11-30T07:05+00:00", "2026-11-29T07:00+00:00", None),
        # Fired: nothing missed.
        (
            "0 8 * * *",
            "Europe/Berlin",
            "2026-11-30T07:20+00:00",
            "2026-11-30T07:00+00:00",
            None,
        ),
        # Only yesterday's fired: today's is missed.
        (
            "0 8 * * *",
            "Europe/Berlin",
            "2026-11-30T09:00+00:00",
            "2026-11-29T07:00+00:00",
            "2026-11-30T07:00+00:00",
        ),
        # Summer time: 08:00 in Berlin is 06:00 UTC.
        ("0 8 * * *", "Europe/Berlin", "2026-07-01T06:30+00:00", None, "2026-07-01T06:00+00:00"),
        # A later slot fired (a catch-up after a skip): nothing missed.
        ("*/5 * * * *", "UTC", "2026-11-30T10:17+00:00", "2026-11-30T10:15+00:00", None),
    ],
)
def test_the_latest_due_slot_without_a_run_is_missed(
    cron: str, zone: str, now: str, last_fired: str | None, expected: str | None
) -> None:
    fired = None if last_fired is None else at(last_fired)
    slot = missed_slot(cron, zone, at(now), GRACE, LONG_AGO, fired)
    assert slot == (None if expected is None else at(expected))


def test_slots_before_the_schedule_was_made_or_edited_are_not_expected() -> None:
    edited = at("2026-11-30T07:30+00:00")
    assert (
        missed_slot("0 8 * * *", "Europe/Berlin", at("2026-11-30T08:00+00:00"), GRACE, edited, None)
        is None
    )


def test_an_invalid_schedule_is_not_a_missed_slot() -> None:
    assert missed_slot("not cron", "UTC", LONG_AGO, GRACE, LONG_AGO - GRACE * 100, None) is None


def test_a_run_is_overdue_after_its_timeout_and_the_margin() -> None:
    started = at("2026-11-30T10:00+00:00")
    assert run_deadline(started, 3600, timedelta(minutes=5)) == at("2026-11-30T11:05+00:00")


@pytest.mark.parametrize(
    ("beat_seconds_ago", "down"), [(None, False), (5, False), (119, False), (121, True)]
)
def test_the_scheduler_is_down_when_its_heartbeat_is_older_than_the_grace(
    beat_seconds_ago: int | None, down: bool
) -> None:
    now = at("2026-11-30T10:00+00:00")
    beat = None if beat_seconds_ago is None else now - timedelta(seconds=beat_seconds_ago)
    assert scheduler_is_down(beat, now, timedelta(seconds=120)) is down


def test_dead_letters_that_grew_are_found_and_empty_queues_cleared() -> None:
    verdict = dead_letters_verdict(
        {"a.dead-letter": 3, "b.dead-letter": 2, "c.dead-letter": 0},
        {"a.dead-letter": 1, "b.dead-letter": 5},
    )
    assert [finding.key.target for finding in verdict.found] == ["a.dead-letter"]
    assert verdict.found[0].details == {"queue": "a.dead-letter", "messages": 3, "previously": 1}
    assert verdict.clears(AlertKey(AlertKind.DEAD_LETTERS_GROWING, target="c.dead-letter"))
    # Shrinking but not empty: neither found again nor cleared.
    assert not verdict.clears(AlertKey(AlertKind.DEAD_LETTERS_GROWING, target="b.dead-letter"))


def test_a_verdict_without_a_cleared_set_clears_every_open_alert_not_found_again() -> None:
    report = uuid.uuid4()
    still = AlertKey(AlertKind.MISSED_SLOT, report)
    verdict = Verdict(AlertKind.MISSED_SLOT, [Finding(still, {"slot": "x"})])
    assert not verdict.clears(AlertKey(AlertKind.MISSED_SLOT, report))
    assert verdict.clears(AlertKey(AlertKind.MISSED_SLOT, uuid.uuid4()))


def test_a_verdict_with_a_cleared_set_leaves_what_it_did_not_look_at_open() -> None:
    seen, unseen = uuid.uuid4(), uuid.uuid4()
    cleared = frozenset({AlertKey(AlertKind.RUN_FAILING, seen)})
    verdict = Verdict(AlertKind.RUN_FAILING, [], cleared)
    assert verdict.clears(AlertKey(AlertKind.RUN_FAILING, seen))
    assert not verdict.clears(AlertKey(AlertKind.RUN_FAILING, unseen))

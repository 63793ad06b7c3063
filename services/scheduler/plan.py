"""What to do with a report's slot that fell due: fire it, catch up once, or skip it (pure)."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.cron import latest_fire_time, next_fire_time


@dataclass(frozen=True)
class Schedule:
    report_id: uuid.UUID
    cron: str
    timezone: str


class Outcome(StrEnum):
    FIRE = "fire"
    CATCH_UP = "catch-up"
    SKIP = "skip"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    slot: datetime
    next_slot: datetime


def first_slot(schedule: Schedule, after: datetime) -> datetime:
    """The first slot after `after`: the last fired slot on resume, or now for a new schedule."""
    return next_fire_time(schedule.cron, schedule.timezone, after)


def decide(
    schedule: Schedule, pending: datetime, now: datetime, grace: timedelta, *, catching_up: bool
) -> Decision:
    """For a `pending` slot at or before `now`.

    Slots missed after it (the scheduler was down or stalled) coalesce into one run for the
    latest of them; a slot older than `grace` is skipped rather than fired late.
    `catching_up` marks a slot that fell due while no scheduler was running.
    """
    following = first_slot(schedule, pending)
    if following > now:
        slot, next_slot = pending, following
        outcome = Outcome.CATCH_UP if catching_up else Outcome.FIRE
    else:
        slot = latest_fire_time(schedule.cron, schedule.timezone, now)
        next_slot = first_slot(schedule, now)
        outcome = Outcome.CATCH_UP
    if now - slot > grace:
        outcome = Outcome.SKIP
    return Decision(outcome, slot, next_slot)

"""The scheduler's heap of next slots: due entries in order, edits and removals honoured."""

import uuid
from datetime import UTC, datetime, timedelta

from services.scheduler.plan import Schedule
from services.scheduler.timetable import Timetable

T0 = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def schedule(cron: str = "* * * * *") -> Schedule:
    return Schedule(uuid.uuid4(), cron, "UTC")


def test_pop_due_returns_every_due_entry_in_slot_order_and_keeps_later_ones() -> None:
    timetable = Timetable()
    late, early, future = schedule(), schedule(), schedule()
    timetable.set(late, T0 + MINUTE)
    timetable.set(early, T0)
    timetable.set(future, T0 + 5 * MINUTE)
    due = timetable.pop_due(T0 + MINUTE)
    assert [entry.schedule for entry in due] == [early, late]
    assert timetable.next_slot() == T0 + 5 * MINUTE
    assert len(timetable) == 1


def test_rescheduled_report_fires_only_at_its_new_slot() -> None:
    timetable = Timetable()
    report = schedule()
    timetable.set(report, T0)
    edited = Schedule(report.report_id, "0 12 * * *", "UTC")
    timetable.set(edited, T0 + 2 * MINUTE)
    assert timetable.pop_due(T0 + MINUTE) == []
    assert [entry.schedule for entry in timetable.pop_due(T0 + 2 * MINUTE)] == [edited]


def test_removed_report_never_comes_due() -> None:
    timetable = Timetable()
    report = schedule()
    timetable.set(report, T0)
    timetable.remove(report.report_id)
    assert timetable.next_slot() is None
    assert timetable.pop_due(T0 + MINUTE) == []


def test_catching_up_flag_travels_with_the_entry() -> None:
    timetable = Timetable()
    timetable.set(schedule(), T0, catching_up=True)
    (entry,) = timetable.pop_due(T0)
    assert entry.catching_up

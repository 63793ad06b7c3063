"""The next slot of every scheduled report, in a heap: the scheduler sleeps until the first."""

import heapq
import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime

from services.scheduler.plan import Schedule


@dataclass(frozen=True)
class Entry:
    schedule: Schedule
    slot: datetime
    catching_up: bool
    version: int


class Timetable:
    """Replacing or removing a report leaves its old heap item behind; it is dropped when seen."""

    def __init__(self) -> None:
        self._entries: dict[uuid.UUID, Entry] = {}
        self._heap: list[tuple[datetime, int, uuid.UUID]] = []
        self._versions = itertools.count()

    def __len__(self) -> int:
        return len(self._entries)

    def schedules(self) -> dict[uuid.UUID, Schedule]:
        return {report_id: entry.schedule for report_id, entry in self._entries.items()}

    def set(self, schedule: Schedule, slot: datetime, *, catching_up: bool = False) -> None:
        entry = Entry(schedule, slot, catching_up, next(self._versions))
        self._entries[schedule.report_id] = entry
        heapq.heappush(self._heap, (slot, entry.version, schedule.report_id))

    def remove(self, report_id: uuid.UUID) -> None:
        self._entries.pop(report_id, None)

    def next_slot(self) -> datetime | None:
        while self._heap:
            slot, version, report_id = self._heap[0]
            entry = self._entries.get(report_id)
            if entry is not None and entry.version == version:
                return slot
            heapq.heappop(self._heap)
        return None

    def pop_due(self, now: datetime) -> list[Entry]:
        """Removes and returns every entry whose slot is at or before `now`."""
        due = []
        while (slot := self.next_slot()) is not None and slot <= now:
            _, _, report_id = heapq.heappop(self._heap)
            due.append(self._entries.pop(report_id))
        return due

"""The scheduling loop: while leader, fire each due slot once, follow report changes, sleep."""

import asyncio
import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scheduler import store
from services.scheduler.clock import Clock
from services.scheduler.leadership import Leadership
from services.scheduler.metrics import LATENESS, SLOTS
from services.scheduler.plan import Decision, Outcome, Schedule, decide, first_slot
from services.scheduler.settings import SchedulerSettings
from services.scheduler.timetable import Timetable
from shared.lifecycle import wait_for_stop
from shared.outbox import OutboxRelay

log = logging.getLogger(__name__)

RUNS_PER_TRANSACTION = 1000
# How often the leader writes its heartbeat; ALERT_SCHEDULER_DOWN_GRACE_SECONDS must exceed it.
HEARTBEAT_SECONDS = 5.0


class Scheduler:
    """State lives in the database (the newest SCHEDULE run per report); the timetable is a
    cache of it, rebuilt whenever this process becomes leader or after any database error.
    """

    def __init__(
        self,
        settings: SchedulerSettings,
        sessions: async_sessionmaker[AsyncSession],
        relay: OutboxRelay,
        leadership: Leadership,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._relay = relay
        self._leadership = leadership
        self._clock = clock
        self._grace = timedelta(seconds=settings.scheduler_misfire_grace_seconds)
        self._poll_seconds = settings.scheduler_poll_seconds
        self._retry_seconds = settings.scheduler_leader_retry_seconds

    async def run(self, stop: asyncio.Event) -> None:
        while await self._leadership.acquire(stop):
            try:
                await self._lead(stop)
            except Exception:
                log.exception("scheduling failed; rebuilding from the database")
                await wait_for_stop(stop, self._retry_seconds)
            finally:
                await self._leadership.release()

    async def _lead(self, stop: asyncio.Event) -> None:
        timetable = Timetable()
        fingerprint = await self._resume(timetable)
        log.info("leading: %d scheduled reports", len(timetable))
        loop = asyncio.get_running_loop()
        next_poll = loop.time() + self._poll_seconds
        next_beat = loop.time()
        while not stop.is_set():
            if loop.time() >= next_beat:
                async with self._sessions.begin() as session:
                    await store.beat(session)
                next_beat = loop.time() + HEARTBEAT_SECONDS
            if loop.time() >= next_poll:
                if not await self._leadership.still_held():
                    log.warning("no longer the leader; standing by")
                    return
                fingerprint = await self._follow_changes(timetable, fingerprint)
                next_poll = loop.time() + self._poll_seconds
            await self._fire_due(timetable)
            next_slot = timetable.next_slot()
            until_slot = self._clock.seconds_until(next_slot) if next_slot else self._poll_seconds
            await wait_for_stop(stop, min(until_slot, max(0.0, next_poll - loop.time())))

    async def _resume(self, timetable: Timetable) -> str:
        """Each report's next slot after its last fired one; slots due by now are catch-ups."""
        async with self._sessions.begin() as session:
            fingerprint = await store.schedules_fingerprint(session)
            reports = await store.scheduled_reports(session)
        now = self._clock.now()
        for report in reports:
            slot = first_slot(report.schedule, report.last_slot)
            timetable.set(report.schedule, slot, catching_up=slot <= now)
        return fingerprint

    async def _follow_changes(self, timetable: Timetable, fingerprint: str) -> str:
        """New or edited schedules start from now; deleted or deactivated ones are dropped."""
        async with self._sessions.begin() as session:
            current = await store.schedules_fingerprint(session)
            if current == fingerprint:
                return fingerprint
            wanted = {schedule.report_id: schedule for schedule in await store.schedules(session)}
        known = timetable.schedules()
        now = self._clock.now()
        for report_id, schedule in known.items():
            if wanted.get(report_id) != schedule:
                timetable.remove(report_id)
                log.info("schedule removed", extra={"report_id": report_id})
        for report_id, schedule in wanted.items():
            if known.get(report_id) != schedule:
                timetable.set(schedule, first_slot(schedule, now))
                log.info(
                    "schedule %s (%s) added",
                    schedule.cron,
                    schedule.timezone,
                    extra={"report_id": report_id},
                )
        return current

    async def _fire_due(self, timetable: Timetable) -> None:
        now = self._clock.now()
        due = timetable.pop_due(now)
        if not due:
            return
        decisions = [
            (
                entry.schedule,
                decide(entry.schedule, entry.slot, now, self._grace, catching_up=entry.catching_up),
            )
            for entry in due
        ]
        firing = [
            (schedule.report_id, decision.slot)
            for schedule, decision in decisions
            if decision.outcome is not Outcome.SKIP
        ]
        created_keys: set[tuple[uuid.UUID, datetime | None]] = set()
        publishing: list[asyncio.Task[int]] = []
        try:
            for start in range(0, len(firing), RUNS_PER_TRANSACTION):
                async with self._sessions.begin() as session:
                    created = await store.create_runs(
                        session, firing[start : start + RUNS_PER_TRANSACTION]
                    )
                # Published from memory while the next chunk is written, instead of waiting
                # for the relay to read them back; the relay stays the safety net.
                publishing.append(
                    asyncio.create_task(self._relay.publish_committed(created.events))
                )
                created_keys.update((run.report_id, run.scheduled_for) for run in created.runs)
        finally:
            await asyncio.gather(*publishing)
        published_at = self._clock.now()
        for schedule, decision in decisions:
            fired = (schedule.report_id, decision.slot) in created_keys
            if fired:
                LATENESS.observe(max(0.0, (published_at - decision.slot).total_seconds()))
            timetable.set(schedule, decision.next_slot)
            _log_decision(schedule, decision, fired)


def _log_decision(schedule: Schedule, decision: Decision, created: bool) -> None:
    context = {"report_id": schedule.report_id, "scheduled_for": decision.slot.isoformat()}
    if decision.outcome is Outcome.SKIP:
        SLOTS.labels("skipped").inc()
        log.warning("slot skipped: missed by more than the misfire grace", extra=context)
    elif not created:
        SLOTS.labels("already_fired").inc()
        log.info("slot already fired (or report gone); no new run", extra=context)
    elif decision.outcome is Outcome.CATCH_UP:
        SLOTS.labels("catch_up").inc()
        log.info("catch-up run queued for the latest missed slot", extra=context)
    else:
        SLOTS.labels("scheduled").inc()
        log.info("scheduled run queued", extra=context)

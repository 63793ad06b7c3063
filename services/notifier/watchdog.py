"""The dead-man's switch: checks every ALERT_CHECK_INTERVAL_SECONDS, opens and resolves alerts,
and mails each new alert's notice once (docs/alerts.md)."""

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifier import alert_checks as checks
from services.notifier import alert_ledger as ledger
from services.notifier.alert_notices import AlertNotices
from services.notifier.alert_rules import Verdict, dead_letters_verdict
from services.notifier.settings import NotifierSettings
from shared.lifecycle import wait_for_stop
from shared.messaging import Broker
from shared.topology import NOTIFIER_QUEUE, NOTIFIER_RETRY_QUEUE, RUNNER_QUEUE

log = logging.getLogger(__name__)
CONSUMER_QUEUES = (RUNNER_QUEUE, NOTIFIER_QUEUE, NOTIFIER_RETRY_QUEUE)


class Watchdog:
    """Stateless between checks except for the dead-letter counts it saw last (growth is a
    comparison); a second notifier's watchdog opens nothing twice and sends nothing twice."""

    def __init__(
        self,
        settings: NotifierSettings,
        sessions: async_sessionmaker[AsyncSession],
        broker: Broker,
        notices: AlertNotices,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._broker = broker
        self._notices = notices
        self._dead_letters_seen: dict[str, int] = {}

    async def check_once(self) -> None:
        settings = self._settings
        async with self._sessions.begin() as session:
            now = await checks.database_now(session)
            verdicts = [
                await checks.failing_runs(session, timedelta(hours=settings.alert_lookback_hours)),
                await checks.failing_deliveries(
                    session, timedelta(hours=settings.alert_lookback_hours)
                ),
                await checks.missed_slots(
                    session, now, timedelta(seconds=settings.alert_missed_slot_grace_seconds)
                ),
                await checks.overdue_runs(
                    session,
                    now,
                    settings,
                    timedelta(seconds=settings.alert_run_overdue_margin_seconds),
                ),
                await checks.scheduler_down(
                    session, now, timedelta(seconds=settings.alert_scheduler_down_grace_seconds)
                ),
            ]
        verdicts.append(await self._dead_letters())
        for verdict in verdicts:
            if verdict is not None:
                await self._apply(verdict)
        await self._notices.send_due()

    async def _dead_letters(self) -> Verdict | None:
        try:
            counts = await self._broker.dead_letter_counts(CONSUMER_QUEUES)
        except Exception:
            log.warning("could not count the dead letters; checked next time", exc_info=True)
            return None
        verdict = dead_letters_verdict(counts, self._dead_letters_seen)
        self._dead_letters_seen = counts
        return verdict

    async def _apply(self, verdict: Verdict) -> None:
        async with self._sessions.begin() as session:
            opened, resolved = await ledger.apply(session, verdict)
        if opened or resolved:
            log.warning("alerts %s: %d opened, %d resolved", verdict.kind, opened, resolved)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.check_once()
            except Exception:
                log.exception("the watchdog's check failed; retrying")
            await wait_for_stop(stop, self._settings.alert_check_interval_seconds)

"""Composition root of the notifier: builds its parts and runs until SIGTERM/SIGINT."""

import logging

from services.notifier.alert_notices import AlertNotices
from services.notifier.delivery import Notifier
from services.notifier.mailer import SmtpMailer
from services.notifier.senders import Senders
from services.notifier.settings import NotifierSettings
from services.notifier.sweeper import run_sweeper
from services.notifier.watchdog import Watchdog
from shared.topology import NOTIFIER_QUEUE, NOTIFIER_RETRY_QUEUE
from shared.worker_runtime import worker_runtime

log = logging.getLogger(__name__)


async def main() -> None:
    settings = NotifierSettings()
    senders = Senders.from_settings(settings)
    async with worker_runtime("notifier", settings, writes_outbox=False) as runtime:
        broker = runtime.broker
        notifier = Notifier(settings, runtime.sessions, broker, senders)
        runtime.run_in_background(
            run_sweeper(runtime.sessions, broker, notifier, settings, runtime.stop)
        )
        notices = AlertNotices(settings, runtime.sessions, SmtpMailer(settings))
        watchdog = Watchdog(settings, runtime.sessions, broker, notices)
        runtime.run_in_background(watchdog.run(runtime.stop))
        # The retry consumer first: it declares the delay queues a run.completed may be
        # deferred into.
        for queue in (NOTIFIER_RETRY_QUEUE, NOTIFIER_QUEUE):
            await broker.consume(queue, notifier.handle, prefetch=settings.notifier_concurrency)
        log.info(
            "service ready: consuming %s and %s; mail via %s:%d",
            NOTIFIER_QUEUE,
            NOTIFIER_RETRY_QUEUE,
            settings.smtp_host,
            settings.smtp_port,
        )
        await runtime.stop.wait()
        await broker.stop_consuming()
        await notifier.drain(settings.shutdown_timeout_seconds)
        await senders.close()

"""Composition root of the notifier: builds its parts and runs until SIGTERM/SIGINT."""

import asyncio
import logging

from services.notifier.delivery import Notifier
from services.notifier.mailer import SmtpMailer
from services.notifier.settings import NotifierSettings
from services.notifier.sweeper import run_sweeper
from shared.database import create_engine, create_sessionmaker
from shared.health import check_dependencies
from shared.lifecycle import stop_on_signals
from shared.logs import configure_logging
from shared.messaging import Broker
from shared.observability import serve_observability
from shared.topology import NOTIFIER_QUEUE, NOTIFIER_RETRY_QUEUE

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_SECONDS = 30.0


async def main() -> None:
    settings = NotifierSettings()
    configure_logging("notifier", settings)
    stop = stop_on_signals()
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    broker = Broker(settings)
    await broker.connect(stop)
    notifier = Notifier(settings, sessions, broker, SmtpMailer(settings))
    sweeper = asyncio.create_task(run_sweeper(sessions, broker, notifier, settings, stop))
    observability = asyncio.create_task(
        serve_observability(settings, lambda: check_dependencies(engine, broker), stop)
    )
    for queue in (NOTIFIER_QUEUE, NOTIFIER_RETRY_QUEUE):
        await broker.consume(queue, notifier.handle, prefetch=settings.notifier_concurrency)
    log.info(
        "service ready: consuming %s and %s; mail via %s:%d",
        NOTIFIER_QUEUE,
        NOTIFIER_RETRY_QUEUE,
        settings.smtp_host,
        settings.smtp_port,
    )
    await stop.wait()
    await broker.stop_consuming()
    await notifier.drain(SHUTDOWN_GRACE_SECONDS)
    sweeper.cancel()
    await asyncio.gather(sweeper, observability, return_exceptions=True)
    await broker.close()
    await engine.dispose()
    log.info("notifier stopped")

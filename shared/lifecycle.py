"""Process lifecycle for the worker services: a stop event set by SIGTERM or SIGINT."""

import asyncio
import contextlib
import logging
import signal

log = logging.getLogger(__name__)


def stop_on_signals() -> asyncio.Event:
    """An event set on the first SIGTERM or SIGINT, so the service can shut down cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def request_stop(signum: int) -> None:
        log.info("received %s; shutting down", signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, request_stop, signum)
    return stop


async def wait_for_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleeps `seconds`, or less if the service is told to stop meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)

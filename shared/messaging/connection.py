"""Connects to RabbitMQ through aio-pika's robust connection, retrying until the broker answers."""

import asyncio
import contextlib
import logging

import aio_pika
import aiormq
from aio_pika.abc import AbstractRobustConnection
from aio_pika.connection import make_url

log = logging.getLogger(__name__)

CONNECT_RETRY_SECONDS = 2.0
CONNECT_TIMEOUT_SECONDS = 10.0


async def connect_robust(url: str, stop: asyncio.Event | None = None) -> AbstractRobustConnection:
    """A connection that, once made, reconnects by itself after an outage and then declares
    again what was declared through its channels and restarts their consumers.

    Retries the first connection every CONNECT_RETRY_SECONDS; raises the last error once `stop`
    is set.
    """
    while True:
        try:
            return await _connect_once(url)
        except (TimeoutError, OSError, aiormq.exceptions.AMQPError) as error:
            log.warning("RabbitMQ is not reachable (%s); retrying", error)
            if stop is not None and stop.is_set():
                raise
            await asyncio.sleep(CONNECT_RETRY_SECONDS)


async def _connect_once(url: str) -> AbstractRobustConnection:
    """aio_pika.connect_robust, but a connection whose first attempt fails or is cancelled is
    closed: left open, its finaliser schedules a close() that is never awaited (a warning that
    turned up in unrelated tests when an API was stopped before RabbitMQ answered)."""
    connection = aio_pika.RobustConnection(make_url(url), reconnect_interval=CONNECT_RETRY_SECONDS)
    try:
        await connection.connect(timeout=CONNECT_TIMEOUT_SECONDS)
    except BaseException:
        with contextlib.suppress(Exception):
            await connection.close()
        raise
    return connection

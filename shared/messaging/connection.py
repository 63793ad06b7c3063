"""Connects to RabbitMQ through aio-pika's robust connection, retrying until the broker answers."""

import asyncio
import logging

import aio_pika
import aiormq
from aio_pika.abc import AbstractRobustConnection

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
            return await aio_pika.connect_robust(
                url, timeout=CONNECT_TIMEOUT_SECONDS, reconnect_interval=CONNECT_RETRY_SECONDS
            )
        except (TimeoutError, OSError, aiormq.exceptions.AMQPError) as error:
            log.warning("RabbitMQ is not reachable (%s); retrying", error)
            if stop is not None and stop.is_set():
                raise
            await asyncio.sleep(CONNECT_RETRY_SECONDS)

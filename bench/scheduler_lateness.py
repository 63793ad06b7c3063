"""Scheduler lateness: N reports due in the same minute, slot → run.requested on the broker.

`python -m bench.scheduler_lateness [N ...]` (default 1000 10000). Each size gets a fresh
database and AMQP namespace on the local PostgreSQL and RabbitMQ, and a real scheduler
process; a consumer of a queue bound to run.requested compares each message's arrival with
the slot, which all the reports share. CPU is the scheduler's user+system time from 2 s
before the slot until the last event arrived, and over its whole life (start-up and loading
included).
"""

import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from bench.environment import (
    AMQP_URL,
    PROJECT_ROOT,
    add_due_reports,
    cpu_seconds,
    drop_database,
    fresh_database,
)
from shared.messaging import delete_namespace
from shared.topology import Topology

LEAD_SECONDS = 15  # the slot is the first minute boundary at least this far after loading


@dataclass(frozen=True)
class Result:
    reports: int
    received: int
    lateness: list[float]
    slot_cpu: float
    total_cpu: float


def start_scheduler(database_url: str, namespace: str, log_path: Path) -> subprocess.Popen[bytes]:
    """At INFO, as in production: the cost of a log line per fire is part of the figures."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "AMQP_URL": AMQP_URL,
        "AMQP_NAMESPACE": namespace,
        "LOG_LEVEL": "INFO",
    }
    profile = os.environ.get("BENCH_PROFILE")  # a cProfile output file for the scheduler
    command = [sys.executable, *(["-m", "cProfile", "-o", profile] if profile else [])]
    with log_path.open("wb") as log_file:
        return subprocess.Popen(
            [*command, "-m", "services.scheduler"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )


async def bind_probe(
    channel: aio_pika.abc.AbstractChannel, topology: Topology
) -> aio_pika.abc.AbstractQueue:
    exchange = await channel.declare_exchange(
        topology.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
    )
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, "run.requested")
    return queue


async def collect(
    queue: aio_pika.abc.AbstractQueue, slot: datetime, count: int, deadline: float
) -> list[float]:
    lateness: list[float] = []
    done = asyncio.Event()

    async def on_message(message: AbstractIncomingMessage) -> None:
        lateness.append(time.time() - slot.timestamp())
        await message.ack()
        if len(lateness) >= count:
            done.set()

    await queue.consume(on_message)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), max(0.0, deadline - time.monotonic()))
    return lateness


async def measure(count: int) -> Result:
    tag = uuid.uuid4().hex[:8]
    database = f"reportflow_bench_{tag}"
    topology = Topology(f"bench-{tag}")
    database_url = await fresh_database(database)
    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel()
    probe = await bind_probe(channel, topology)
    log_path = Path(tempfile.gettempdir()) / f"scheduler-bench-{tag}.log"
    scheduler = start_scheduler(database_url, topology.namespace, log_path)
    try:
        await asyncio.sleep(3)  # start-up: connect, take the leader lock
        slot = await add_due_reports(database_url, count, "SELECT 1", LEAD_SECONDS)
        await asyncio.sleep(max(0.0, (slot - datetime.now(UTC)).total_seconds() - 2))
        cpu_before = cpu_seconds(scheduler.pid)
        lateness = await collect(probe, slot, count, time.monotonic() + 62)
        slot_cpu = cpu_seconds(scheduler.pid) - cpu_before
        total_cpu = cpu_seconds(scheduler.pid)
    finally:
        scheduler.send_signal(signal.SIGTERM)
        await asyncio.to_thread(scheduler.wait, 30)
        await connection.close()
        await delete_namespace(AMQP_URL, topology.namespace)
        await drop_database(database)
    print(f"  scheduler log: {log_path}", flush=True)
    return Result(count, len(lateness), sorted(lateness), slot_cpu, total_cpu)


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


def print_table(results: list[Result]) -> None:
    print(
        f"{'reports':>8} {'received':>9} {'p50 s':>7} {'p99 s':>7} {'max s':>7} "
        f"{'CPU s (slot)':>13} {'CPU s (total)':>14}"
    )
    for result in results:
        values = result.lateness or [float("nan")]
        print(
            f"{result.reports:>8} {result.received:>9} {statistics.median(values):>7.3f} "
            f"{percentile(values, 0.99):>7.3f} {max(values):>7.3f} "
            f"{result.slot_cpu:>13.2f} {result.total_cpu:>14.2f}"
        )


async def main(sizes: list[int]) -> None:
    results = []
    for size in sizes:
        print(f"measuring {size} reports due in the same minute ...", flush=True)
        results.append(await measure(size))
    print_table(results)


if __name__ == "__main__":
    asyncio.run(main([int(arg) for arg in sys.argv[1:]] or [1000, 10000]))

"""Runs arranged directly in the database, and waiting for a run to reach a status."""

import asyncio
import uuid
from collections.abc import Sequence

import asyncpg

from shared.events import Event, RunRequested
from shared.messaging import Broker
from shared.settings import BrokerSettings
from tests.support.invariants import FINAL_STATUSES


async def queued_run(
    db: asyncpg.Connection,
    name: str,
    sql: str,
    output_format: str = "CSV",
    compression: str = "none",
) -> RunRequested:
    """A report and a QUEUED run written directly (past the API's checks), with the event a
    publisher would send."""
    report_id = await db.fetchval(
        "INSERT INTO reports (id, name, sql_query, output_format, compression) "
        "VALUES (gen_random_uuid(), $1, $2, $3, $4) RETURNING id",
        name,
        sql,
        output_format,
        compression,
    )
    run_id = await db.fetchval(
        "INSERT INTO report_runs (id, report_id, trigger) VALUES (gen_random_uuid(), $1, 'MANUAL') "
        "RETURNING id",
        report_id,
    )
    return RunRequested(run_id=run_id, report_id=report_id)


async def planted_run(db: asyncpg.Connection, name: str, **columns: object) -> asyncpg.Record:
    """A report called `name` and a MANUAL run of it written directly (past every check), with
    `columns` of report_runs set as given; the run's whole row."""
    report_id = await db.fetchval(
        "INSERT INTO reports (id, name, sql_query) VALUES (gen_random_uuid(), $1, 'SELECT 1') "
        "RETURNING id",
        name,
    )
    names = "".join(f", {column}" for column in columns)
    placeholders = "".join(f", ${index}" for index in range(2, len(columns) + 2))
    run = await db.fetchrow(
        f"INSERT INTO report_runs (id, report_id, trigger{names}) "
        f"VALUES (gen_random_uuid(), $1, 'MANUAL'{placeholders}) RETURNING *",
        report_id,
        *columns.values(),
    )
    assert run is not None
    return run


async def running_run(
    db: asyncpg.Connection,
    name: str,
    *,
    worker_id: str,
    attempt: int,
    lease_seconds: float,
    **columns: object,
) -> asyncpg.Record:
    """A RUNNING run planted as if `worker_id` had claimed attempt `attempt`, its lease ending
    `lease_seconds` from now by the database's clock (negative: its runner died that long ago)."""
    lease_expires_at = await db.fetchval(
        "SELECT now() + make_interval(secs => $1)", float(lease_seconds)
    )
    return await planted_run(
        db,
        name,
        status="RUNNING",
        worker_id=worker_id,
        attempt=attempt,
        lease_expires_at=lease_expires_at,
        **columns,
    )


async def wait_for_status(
    db: asyncpg.Connection, run_id: uuid.UUID, statuses: set[str], within: float = 30
) -> asyncpg.Record:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        run = await db.fetchrow("SELECT * FROM report_runs WHERE id = $1", run_id)
        assert run is not None
        if run["status"] in statuses:
            return run
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"run still {run['status']} after {within}s: {dict(run)}")
        await asyncio.sleep(0.1)


async def publish_in(amqp_url: str, namespace: str, event: Event) -> None:
    """Publishes `event` in another namespace than the session's (to reach one runner only)."""
    broker = Broker(
        BrokerSettings.model_validate({"amqp_url": amqp_url, "amqp_namespace": namespace})
    )
    await broker.connect()
    try:
        await broker.publish(event)
    finally:
        await broker.close()


async def wait_until_all_finished(
    db: asyncpg.Connection, run_ids: Sequence[uuid.UUID | str], within: float = 60
) -> list[asyncpg.Record]:
    """Every run in a final state, or an AssertionError naming the rest."""
    ids = [uuid.UUID(str(run_id)) for run_id in run_ids]
    deadline = asyncio.get_running_loop().time() + within
    while True:
        runs = await db.fetch("SELECT * FROM report_runs WHERE id = ANY($1::uuid[])", ids)
        waiting = [run for run in runs if run["status"] not in FINAL_STATUSES]
        if len(runs) == len(ids) and not waiting:
            return list(runs)
        if asyncio.get_running_loop().time() > deadline:
            states = [(str(run["id"]), run["status"], run["attempt"]) for run in waiting]
            raise AssertionError(f"{len(waiting)} runs unfinished after {within}s: {states}")
        await asyncio.sleep(0.2)


async def outbox_events(db: asyncpg.Connection, run_id: uuid.UUID | str) -> list[str]:
    """Routing keys of the outbox rows about one run, oldest first."""
    rows = await db.fetch(
        "SELECT routing_key FROM outbox WHERE payload->>'run_id' = $1 ORDER BY id", str(run_id)
    )
    return [row["routing_key"] for row in rows]

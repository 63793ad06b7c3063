"""What the benchmarks share: where PostgreSQL, RabbitMQ and the project are (override with
BENCH_*), databases made and dropped, the read-only role reports read their data through, the
environment service processes start with, and reports all due at one slot."""

import asyncio
import os
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from deploy.bootstrap import on_database
from deploy.sandbox import SandboxLimits, ensure_reader_role, grant_reading, reader_url
from shared.migrate import upgrade_to_head

ADMIN_DSN = os.environ.get(
    "BENCH_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
AMQP_URL = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
PROJECT_ROOT = Path(__file__).resolve().parents[1]
# An XLSX export of millions of rows takes minutes on a loaded machine.
BENCH_LIMITS = SandboxLimits(statement_timeout="1h", temp_file_limit="10GB", connection_limit=20)
TICKS = os.sysconf("SC_CLK_TCK")


def database_url(name: str) -> str:
    """The URL of database `name` on the server ADMIN_DSN points at."""
    return on_database(ADMIN_DSN, name)


async def create_database(name: str, *, replace: bool = False) -> None:
    """Creates database `name` if it is missing; `replace`: dropped first if it exists."""
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        if replace:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def fresh_database(name: str) -> str:
    """A new database `name` migrated to head; its URL."""
    await create_database(name, replace=True)
    url = database_url(name)
    await asyncio.to_thread(upgrade_to_head, url)
    return url


async def drop_database(name: str) -> None:
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _run_as_admin(database: str, role: str, create: bool) -> None:
    admin = await asyncpg.connect(database_url(database))
    try:
        if create:
            await ensure_reader_role(admin, role, None, BENCH_LIMITS)
            await grant_reading(admin, role)
        else:
            await admin.execute(f'DROP OWNED BY "{role}"')
            await admin.execute(f'DROP ROLE "{role}"')
    finally:
        await admin.close()


@contextmanager
def reader_role(database: str) -> Iterator[str]:
    """A login role of this run's own that may only read the tables of `database` (built like
    the demo sandbox), dropped afterwards; yields the URL the services get as DATA_SOURCE_URL."""
    role = f"reportflow_bench_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_run_as_admin(database, role, create=True))
        yield reader_url(ADMIN_DSN, role, None, database)
    finally:
        asyncio.run(_run_as_admin(database, role, create=False))


def service_env(
    database: str, source: str, namespace: str, output_dir: Path, port: int, admin_token: str
) -> dict[str, str]:
    """The environment of an api/runner/notifier/scheduler process on the bench databases,
    with a bootstrap admin whose API token is `admin_token` (LOG_LEVEL INFO, as in production:
    the cost of the log lines is part of the figures)."""
    return {
        **os.environ,
        "DATABASE_URL": database,
        "DATA_SOURCE_URL": source,
        "AMQP_URL": AMQP_URL,
        "AMQP_NAMESPACE": namespace,
        "OUTPUT_DIR": str(output_dir),
        "API_PORT": str(port),
        "METRICS_PORT": "0",
        "LOG_LEVEL": "INFO",
        "REPORTFLOW_ADMIN_EMAIL": "bench@example.com",
        "REPORTFLOW_ADMIN_PASSWORD": secrets.token_urlsafe(18),
        "REPORTFLOW_ADMIN_TOKEN": admin_token,
        "LINK_SIGNING_KEY": secrets.token_urlsafe(32),
    }


def wait_healthy(api_url: str, seconds: float, settle_seconds: float) -> None:
    """Until the API answers /health, then `settle_seconds` more for the workers, which
    declare their queues as they start."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api_url}/health", timeout=1).status_code == 200:
                time.sleep(settle_seconds)
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the API at {api_url} did not become healthy")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def add_due_reports(url: str, count: int, sql: str, lead_seconds: float) -> datetime:
    """`count` reports running `sql`, all due at the returned slot (UTC): the first minute
    boundary at least `lead_seconds` away once they are stored. Owned by the first account,
    if any (the runner re-checks the owner of a scheduled run)."""
    slot = (datetime.now(UTC) + timedelta(seconds=lead_seconds + 60)).replace(
        second=0, microsecond=0
    )
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "INSERT INTO reports (id, name, sql_query, schedule_cron, timezone, owner_id) "
            "SELECT gen_random_uuid(), 'bench ' || n, $3, $1, 'UTC', "
            "(SELECT id FROM accounts ORDER BY created_at LIMIT 1) "
            "FROM generate_series(1, $2) AS n",
            f"{slot.minute} {slot.hour} * * *",
            count,
            sql,
        )
    finally:
        await connection.close()
    if slot - datetime.now(UTC) < timedelta(seconds=lead_seconds):
        raise RuntimeError("storing the reports took too long to leave time before the slot")
    return slot

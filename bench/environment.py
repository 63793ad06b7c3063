"""Where the benchmarks find PostgreSQL, RabbitMQ and the project (override with BENCH_*), and
the read-only role reports read their data through."""

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from deploy.bootstrap import on_database
from deploy.sandbox import SandboxLimits, ensure_reader_role, grant_reading, reader_url

ADMIN_DSN = os.environ.get(
    "BENCH_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
AMQP_URL = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
PROJECT_ROOT = Path(__file__).resolve().parents[1]
# An XLSX export of millions of rows takes minutes on a loaded machine.
BENCH_LIMITS = SandboxLimits(statement_timeout="1h", temp_file_limit="10GB", connection_limit=20)


def database_url(name: str) -> str:
    """The URL of database `name` on the server ADMIN_DSN points at."""
    return on_database(ADMIN_DSN, name)


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

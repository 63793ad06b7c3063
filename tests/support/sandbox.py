"""A data source of a test session's own, built like the demo sandbox: a database, a login role
that may only read it (unique to the session), both dropped afterwards, also on failure."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

from deploy.sandbox import SandboxLimits, ensure_reader_role, grant_reading, reader_url
from tests.support.databases import empty_database

# Short enough that a runaway report is cancelled within the test's patience, long enough for
# every report the tests run on purpose (the longest sleeps 4 s).
TEST_LIMITS = SandboxLimits(statement_timeout="8s", temp_file_limit="256MB", connection_limit=40)


@dataclass(frozen=True)
class SandboxSource:
    role: str
    reader_url: str  # what the services get as DATA_SOURCE_URL
    admin_url: str  # the same database as a superuser, to arrange tables and check results

    async def add_tables(self, sql: str) -> None:
        """Runs `sql` as the administrator, then lets the role read every table it created."""
        connection = await asyncpg.connect(self.admin_url)
        try:
            await connection.execute(sql)
            await grant_reading(connection, self.role)
        finally:
            await connection.close()


@asynccontextmanager
async def probe_role(source: SandboxSource, role: str, grants: str) -> AsyncIterator[str]:
    """A login role of a test's own on `source` (trust auth: no password) with CONNECT, USAGE on
    its schema and whatever `grants` gives `{role}`; yields its URL, drops it afterwards."""
    admin = await asyncpg.connect(source.admin_url)
    try:
        database = await admin.fetchval("SELECT current_database()")
        await admin.execute(f'CREATE ROLE "{role}" LOGIN')
        try:
            await admin.execute(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"')
            await admin.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
            await admin.execute(grants.format(role=f'"{role}"'))
            yield reader_url(source.admin_url, role, None, database)
        finally:
            await admin.execute(f'DROP OWNED BY "{role}"')
            await admin.execute(f'DROP ROLE "{role}"')
    finally:
        await admin.close()


@asynccontextmanager
async def sandbox_source(
    admin_dsn: str, name: str, limits: SandboxLimits = TEST_LIMITS, extensions: tuple[str, ...] = ()
) -> AsyncIterator[SandboxSource]:
    """Database and role are both called `name`; `extensions` are created before the rights are
    set, as if the data source already had them (so the sandbox must take them away)."""
    try:
        async with empty_database(admin_dsn, name) as admin_url:
            connection = await asyncpg.connect(admin_url)
            try:
                for extension in extensions:
                    await connection.execute(f'CREATE EXTENSION IF NOT EXISTS "{extension}"')
                await ensure_reader_role(connection, name, None, limits)
                await grant_reading(connection, name)
            finally:
                await connection.close()
            yield SandboxSource(name, reader_url(admin_url, name, None, name), admin_url)
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'DROP ROLE IF EXISTS "{name}"')
        finally:
            await admin.close()

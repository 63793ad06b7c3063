"""Prepares a system: creates the database if missing, migrates it, loads the demo data.

The demo tables go into a database of their own (DEMO_DATABASE, `reportflow_demo`) on the
system of record's server, read through a sandboxed login role: the data source that `make run`
and docker compose give the runner and the API. The role is DATA_SOURCE_URL's user (and
password) when DATA_SOURCE_URL names the demo database (docker compose), `reportflow_reader`
without a password when DATA_SOURCE_URL is unset (`make run`). The demo never goes into the
system of record, nor into a database of your own named by DATA_SOURCE_URL (then none is loaded).
Set LOAD_DEMO_DATA=false (in the environment or `.env`) to skip the demo tables and sample
reports.
"""

import asyncio
import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

import asyncpg

from deploy.sandbox import (
    SandboxLimits,
    close_system_of_record,
    ensure_reader_role,
    grant_reading,
    reader_url,
)
from shared.migrate import upgrade_to_head
from shared.settings import DatabaseSettings

DEMO_DIR = Path(__file__).parent
# `make run`'s reader: no password, as its local PostgreSQL trusts 127.0.0.1 (deploy/Procfile).
LOCAL_READER_ROLE = "reportflow_reader"
log = logging.getLogger("bootstrap")


class BootstrapSettings(DatabaseSettings):
    load_demo_data: bool = True
    demo_database: str = "reportflow_demo"
    # The demo reader role's own limit (PostgreSQL syntax); the runner's may only be shorter.
    demo_reader_statement_timeout: str = "5min"


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def on_database(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


async def create_database_if_missing(database_url: str) -> None:
    name = database_name(database_url)
    admin = await asyncpg.connect(on_database(database_url, "postgres"))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
            log.info("created database %s", name)
    finally:
        await admin.close()


async def run_sql(database_url: str, sql: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def build_demo_sandbox(settings: BootstrapSettings) -> str:
    """The demo database, its tables and its reader role; returns the reader's URL."""
    demo_admin_url = on_database(settings.database_dsn, settings.demo_database)
    await create_database_if_missing(demo_admin_url)
    await run_sql(demo_admin_url, (DEMO_DIR / "demo_data.sql").read_text())
    role, password = LOCAL_READER_ROLE, None
    if settings.data_source_dsn is not None:
        parts = urlsplit(settings.data_source_dsn)
        role = unquote(parts.username or LOCAL_READER_ROLE)
        password = unquote(parts.password) if parts.password else None
    limits = SandboxLimits(statement_timeout=settings.demo_reader_statement_timeout)
    demo = await asyncpg.connect(demo_admin_url)
    try:
        await ensure_reader_role(demo, role, password, limits)
        await grant_reading(demo, role)
    finally:
        await demo.close()
    record = await asyncpg.connect(settings.database_dsn)
    try:
        await close_system_of_record(record, role)
    finally:
        await record.close()
    return reader_url(settings.database_dsn, role, None, settings.demo_database)  # no password


def loads_demo(settings: BootstrapSettings) -> bool:
    """False for a DATA_SOURCE_URL of your own; exits when the demo would share the system of
    record's database."""
    if not settings.load_demo_data:
        return False
    if settings.demo_database == database_name(settings.database_dsn):
        raise SystemExit(
            f"DEMO_DATABASE={settings.demo_database} is the system of record's database; the "
            "demo data source must be a database of its own: choose another DEMO_DATABASE"
        )
    configured = settings.data_source_dsn
    if configured is not None and database_name(configured) != settings.demo_database:
        log.warning("DATA_SOURCE_URL names a database of your own: no demo tables are loaded")
        return False
    return True


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    settings = BootstrapSettings()
    asyncio.run(create_database_if_missing(settings.database_dsn))
    upgrade_to_head(settings.database_dsn)
    log.info("database migrated")
    if not loads_demo(settings):
        return
    try:
        url = asyncio.run(build_demo_sandbox(settings))
    except ValueError as refusal:
        raise SystemExit(f"demo data source not built: {refusal}") from None
    asyncio.run(run_sql(settings.database_dsn, (DEMO_DIR / "demo_reports.sql").read_text()))
    log.info("demo data and sample reports loaded; the sandboxed data source is %s", url)


if __name__ == "__main__":
    main()

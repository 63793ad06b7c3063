"""Prepares a system: creates the database if missing, migrates it, loads the demo data.

Set LOAD_DEMO_DATA=false (in the environment or `.env`) to skip the demo tables and sample
reports.
"""

import asyncio
import logging
from pathlib import Path

import asyncpg

from shared.migrate import upgrade_to_head
from shared.settings import DatabaseSettings

DEMO_DIR = Path(__file__).parent
log = logging.getLogger("bootstrap")


class BootstrapSettings(DatabaseSettings):
    load_demo_data: bool = True


async def create_database_if_missing(database_url: str) -> None:
    server_url, _, name = database_url.rpartition("/")
    name = name.partition("?")[0]
    admin = await asyncpg.connect(f"{server_url}/postgres")
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


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    settings = BootstrapSettings()
    asyncio.run(create_database_if_missing(settings.database_dsn))
    upgrade_to_head(settings.database_dsn)
    log.info("database migrated")
    if not settings.load_demo_data:
        return
    asyncio.run(run_sql(settings.data_source_dsn, (DEMO_DIR / "demo_data.sql").read_text()))
    asyncio.run(run_sql(settings.database_dsn, (DEMO_DIR / "demo_reports.sql").read_text()))
    log.info("demo data and sample reports loaded")


if __name__ == "__main__":
    main()

"""REPORTFLOW_ADMIN_EMAIL/PASSWORD make the first admin once, however many API replicas start
together, and that admin adopts the reports that have no owner."""

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from pydantic import SecretStr

from services.api.accounts import bootstrap_admin
from services.api.settings import ApiSettings
from shared.database import create_engine, create_sessionmaker
from tests.support.databases import migrated_database
from tests.support.environment import ADMIN_DSN

FIRST_ADMIN = "first-admin@example.com"


@pytest.fixture(scope="module")
async def fresh_database(run_id: str, migrated_template: str) -> AsyncIterator[str]:
    """No accounts yet: the session's database has the tests' admin."""
    name = f"reportflow_test_{run_id}_bootstrap"
    async with migrated_database(ADMIN_DSN, name, migrated_template) as url:
        yield url


async def test_replicas_starting_together_make_one_admin_who_adopts_ownerless_reports(
    fresh_database: str, api_settings: ApiSettings
) -> None:
    settings = api_settings.model_copy(
        update={
            "database_url": SecretStr(fresh_database),
            "reportflow_admin_email": FIRST_ADMIN.upper(),
            "reportflow_admin_password": SecretStr("a-first-admin-password"),
        }
    )
    connection = await asyncpg.connect(fresh_database)
    engine = create_engine(settings)
    try:
        await connection.execute(
            "INSERT INTO reports (id, name, sql_query) "
            "VALUES (gen_random_uuid(), 'Old', 'SELECT 1')"
        )
        sessions = create_sessionmaker(engine)
        await asyncio.gather(*(bootstrap_admin(sessions, settings) for _ in range(3)))
        await bootstrap_admin(sessions, settings)  # the next start: nothing new
        admins = await connection.fetch("SELECT id, email, role FROM accounts")
        owners = await connection.fetch("SELECT owner_id FROM reports")
    finally:
        await engine.dispose()
        await connection.close()
    assert [(row["email"], row["role"]) for row in admins] == [(FIRST_ADMIN, "admin")]
    assert [row["owner_id"] for row in owners] == [admins[0]["id"]]

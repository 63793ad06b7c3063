"""A database no service process uses, for the tests of the runner's state changes.

Runner processes of other tests work on the session's database, and their recovery loops (with
their own MAX_ATTEMPTS) would take the planted runs first: the cause of a flaky
`RUNNING == FAILED` in the recovery tests.
"""

from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support.databases import migrated_database, sessions_on
from tests.support.environment import ADMIN_DSN


@pytest.fixture(scope="session")
async def quiet_database_url(run_id: str, migrated_template: str) -> AsyncIterator[str]:
    name = f"reportflow_test_{run_id}_quiet"
    async with migrated_database(ADMIN_DSN, name, migrated_template) as url:
        yield url


@pytest.fixture(scope="session")
async def quiet_sessions(
    quiet_database_url: str,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with sessions_on(quiet_database_url) as sessions:
        yield sessions


@pytest.fixture
async def quiet_db(quiet_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(quiet_database_url)
    yield connection
    await connection.close()

"""The runner says at start-up when the data source role may do more than read."""

import logging
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg
import pytest

from services.runner.data_source_rights import data_source_rights, warn_about_data_source_rights


@pytest.fixture
async def login_role(
    db: asyncpg.Connection, database_url: str, run_id: str
) -> AsyncIterator[tuple[str, str]]:
    """A fresh login role (trust auth: no password) and a DSN that connects as it."""
    role = f"reportflow_test_{run_id}_reader"
    await db.execute(f'CREATE ROLE "{role}" LOGIN')
    await db.execute("CREATE TABLE IF NOT EXISTS rights_probe (id int)")
    try:
        parts = urlsplit(database_url)
        yield role, parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}").geturl()
    finally:
        await db.execute(f'DROP OWNED BY "{role}"')
        await db.execute(f'DROP ROLE "{role}"')


async def test_a_superuser_is_named_as_such(database_url: str) -> None:
    rights = await data_source_rights(database_url)
    assert rights.superuser
    assert rights.excess()[0] == "is a superuser"


async def test_a_role_that_may_only_read_gets_no_warning(
    db: asyncpg.Connection,
    login_role: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    role, dsn = login_role
    await db.execute(f'GRANT SELECT ON rights_probe TO "{role}"')

    with caplog.at_level(logging.WARNING):
        await warn_about_data_source_rights(dsn)

    assert (await data_source_rights(dsn)).excess() == []
    assert caplog.records == []


async def test_a_role_that_may_write_is_warned_about_with_the_table_count(
    db: asyncpg.Connection,
    login_role: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    role, dsn = login_role
    await db.execute(f'GRANT SELECT, INSERT ON rights_probe TO "{role}"')

    with caplog.at_level(logging.WARNING):
        await warn_about_data_source_rights(dsn)

    assert [record.getMessage() for record in caplog.records] == [
        f"report SQL runs as role '{role}', which may write to 1 table(s); point "
        "DATA_SOURCE_URL at a role that may only read what reports may see"
    ]

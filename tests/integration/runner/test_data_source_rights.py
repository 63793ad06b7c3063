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
        f"report SQL runs as role '{role}', which may write to 1 table(s) or view(s); point "
        "DATA_SOURCE_URL at a role that may only read what reports may see"
    ]


async def test_a_member_of_pg_signal_backend_is_named_even_without_inheriting_it(
    db: asyncpg.Connection, login_role: tuple[str, str]
) -> None:
    role, dsn = login_role
    await db.execute(f'ALTER ROLE "{role}" NOINHERIT')
    await db.execute(f'GRANT pg_signal_backend TO "{role}"')
    try:
        excess = (await data_source_rights(dsn)).excess()
    finally:
        await db.execute(f'REVOKE pg_signal_backend FROM "{role}"')

    assert excess == ["holds pg_read_server_files, pg_write_server_files or pg_signal_backend"]


async def test_an_unreachable_data_source_is_a_warning_not_a_failed_start(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        await warn_about_data_source_rights("postgresql://nobody@127.0.0.1:1/nothing")

    assert [record.getMessage().split(":")[0] for record in caplog.records] == [
        "could not check the data source role's rights"
    ]

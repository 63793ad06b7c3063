"""What the data source role may do beyond reading, and the start-up rule that refuses it."""

import logging

import asyncpg
import pytest

from shared.data_source_policy import check_data_source, judge
from shared.data_source_rights import (
    DataSourceRefused,
    DataSourceRights,
    DataSourceUnreachable,
    data_source_rights,
)
from shared.settings import DatabaseSettings
from tests.integration.data_source.conftest import LoginRole
from tests.support.sandbox import SandboxSource

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/nothing"


async def test_the_sandbox_role_may_only_read(
    data_source: SandboxSource, database_url: str
) -> None:
    rights = await data_source_rights(data_source.reader_url, database_url)
    assert rights.role == data_source.role
    assert rights.excess() == []


async def test_a_superuser_is_named_as_such(data_source: SandboxSource, database_url: str) -> None:
    rights = await data_source_rights(data_source.admin_url, database_url)
    assert rights.excess()[0] == "is a superuser"


async def test_a_role_that_may_write_is_named_with_the_table_count(
    login_role: LoginRole, database_url: str
) -> None:
    async with login_role("GRANT SELECT, INSERT ON victims TO {role}") as url:
        rights = await data_source_rights(url, database_url)
    assert rights.excess() == ["may write to 1 table(s) or view(s)"]


@pytest.mark.parametrize(
    "server_role",
    [
        "pg_read_server_files",
        "pg_write_server_files",
        "pg_execute_server_program",
        "pg_signal_backend",
    ],
)
async def test_a_member_of_a_server_role_is_named_even_without_inheriting_it(
    login_role: LoginRole, database_url: str, server_role: str
) -> None:
    async with login_role(f"ALTER ROLE {{role}} NOINHERIT; GRANT {server_role} TO {{role}}") as url:
        rights = await data_source_rights(url, database_url)
    assert rights.excess() == [f"is a member of {server_role}"]


async def test_the_system_of_record_is_recognised_however_its_url_is_spelt(
    database_url: str,
) -> None:
    respelt = database_url.replace("127.0.0.1", "localhost")
    assert respelt != database_url
    rights = await data_source_rights(respelt, database_url)
    assert rights.is_system_of_record
    assert rights.excess()[0] == "runs on the system of record's own database (DATABASE_URL)"


async def test_an_unreachable_data_source_is_unreachable_not_refused(database_url: str) -> None:
    with pytest.raises(DataSourceUnreachable):
        await data_source_rights(UNREACHABLE, database_url)


async def test_no_data_source_url_is_refused_with_no_fallback(database_url: str) -> None:
    with pytest.raises(DataSourceRefused, match="DATA_SOURCE_URL is not set"):
        await check_data_source(DatabaseSettings(database_url=database_url, data_source_url=""))


SUPERUSER = DataSourceRights("postgres", True, (), 3, True)


def test_a_refusal_names_every_excess_right_and_the_way_out() -> None:
    with pytest.raises(DataSourceRefused) as refusal:
        judge(SUPERUSER, allow_privileged=False)
    message = str(refusal.value)
    assert message.startswith(
        "Report SQL would run as role 'postgres', which runs on the system of record's own "
        "database (DATABASE_URL); is a superuser; may write to 3 table(s) or view(s). "
    )
    assert "ALLOW_PRIVILEGED_DATA_SOURCE=true" in message


def test_allowing_a_privileged_data_source_warns_naming_each_right(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        judge(SUPERUSER, allow_privileged=True)
    [warning] = caplog.records
    assert warning.levelno == logging.WARNING
    assert "ALLOW_PRIVILEGED_DATA_SOURCE=true" in warning.getMessage()
    assert "is a superuser; may write to 3 table(s)" in warning.getMessage()


async def test_a_data_source_that_cannot_say_its_rights_is_refused_unless_allowed(
    source_db: asyncpg.Connection, data_source: SandboxSource, database_url: str
) -> None:
    """A hardened server (or a PostgreSQL-compatible one without pg_control_system): the check
    cannot run, which must not pass silently nor look like an outage to retry forever."""
    settings = DatabaseSettings(database_url=database_url, data_source_url=data_source.reader_url)
    await source_db.execute("REVOKE EXECUTE ON FUNCTION pg_control_system() FROM PUBLIC")
    try:
        with pytest.raises(DataSourceRefused, match="rights could not be checked"):
            await check_data_source(settings)
        allowed = settings.model_copy(update={"allow_privileged_data_source": True})
        assert await check_data_source(allowed) == data_source.reader_url
    finally:
        await source_db.execute("GRANT EXECUTE ON FUNCTION pg_control_system() TO PUBLIC")

"""A table locked by another session does not hold report create/update: the SQL check gives up
after SQL_CHECK_TIMEOUT_SECONDS and answers 503 with the reason."""

import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from services.api.settings import ApiSettings
from tests.support.api import api_client
from tests.support.reports import report_body
from tests.support.sandbox import SandboxSource

CHECK_TIMEOUT_SECONDS = 1.0


@pytest.fixture(scope="module")
async def impatient_client(api_settings: ApiSettings) -> AsyncIterator[httpx.AsyncClient]:
    settings = api_settings.model_copy(update={"sql_check_timeout_seconds": CHECK_TIMEOUT_SECONDS})
    async with api_client(settings) as client:
        yield client


@pytest.fixture
async def locked_table(
    data_source: SandboxSource, source_db: asyncpg.Connection
) -> AsyncIterator[str]:
    """A data-source table another connection holds in ACCESS EXCLUSIVE mode until the test
    ends."""
    table = f"locked_{uuid.uuid4().hex[:8]}"
    await data_source.add_tables(f"CREATE TABLE {table} (id int)")
    holder = await asyncpg.connect(data_source.admin_url)
    transaction = holder.transaction()
    await transaction.start()
    await holder.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    yield table
    await transaction.rollback()
    await holder.close()
    await source_db.execute(f"DROP TABLE {table}")


async def test_create_answers_503_while_the_table_is_locked(
    impatient_client: httpx.AsyncClient, locked_table: str
) -> None:
    started = time.monotonic()
    response = await impatient_client.post(
        "/api/reports", json=report_body(sql_query=f"SELECT id FROM {locked_table}")
    )
    assert response.status_code == 503, response.text
    assert "locked" in response.json()["detail"]
    assert time.monotonic() - started < CHECK_TIMEOUT_SECONDS + 3


async def test_update_answers_503_while_the_table_is_locked(
    impatient_client: httpx.AsyncClient, locked_table: str
) -> None:
    report = (await impatient_client.post("/api/reports", json=report_body())).json()
    started = time.monotonic()
    response = await impatient_client.put(
        f"/api/reports/{report['id']}", json={"sql_query": f"SELECT id FROM {locked_table}"}
    )
    assert response.status_code == 503, response.text
    assert "locked" in response.json()["detail"]
    assert time.monotonic() - started < CHECK_TIMEOUT_SECONDS + 3
    unchanged = await impatient_client.get(f"/api/reports/{report['id']}")
    assert unchanged.json()["sql_query"] == report["sql_query"]


async def test_the_checker_works_again_once_the_lock_is_gone(
    impatient_client: httpx.AsyncClient,
    db: asyncpg.Connection,
    data_source: SandboxSource,
    source_db: asyncpg.Connection,
) -> None:
    table = f"unlocked_{uuid.uuid4().hex[:8]}"
    await data_source.add_tables(f"CREATE TABLE {table} (id int)")
    try:
        response = await impatient_client.post(
            "/api/reports", json=report_body(sql_query=f"SELECT id FROM {table}")
        )
        assert response.status_code == 201, response.text
    finally:
        await db.execute(f"DELETE FROM reports WHERE sql_query LIKE '%{table}%'")
        await source_db.execute(f"DROP TABLE {table}")

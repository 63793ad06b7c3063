"""Upgrading to cron's rules rewrites no schedule and names every report whose times change."""

import asyncio
import logging
import uuid

import asyncpg
import pytest
from alembic import command

from shared.migrate import alembic_config
from tests.support.databases import empty_database
from tests.support.environment import ADMIN_DSN

SCHEDULES = {
    "Every hour by accident": "0 5-5 * * *",
    "Monday, every other day": "0 0 */2 * 1",
    "Plain daily": "0 9 * * *",
    "Not standard": "5/15 * * * *",
}


async def test_upgrade_logs_changed_schedules_and_rewrites_none(
    caplog: pytest.LogCaptureFixture, run_id: str
) -> None:
    async with empty_database(ADMIN_DSN, f"reportflow_test_{run_id}_cron_rules") as url:
        await asyncio.to_thread(command.upgrade, alembic_config(url), "0004")
        connection = await asyncpg.connect(url)
        try:
            for name, cron in SCHEDULES.items():
                await connection.execute(
                    "INSERT INTO reports (id, name, sql_query, schedule_cron) "
                    "VALUES ($1, $2, 'SELECT 1', $3)",
                    uuid.uuid4(),
                    name,
                    cron,
                )
            with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
                await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
            rows = await connection.fetch("SELECT name, schedule_cron FROM reports")
            stored = {row["name"]: row["schedule_cron"] for row in rows}
        finally:
            await connection.close()
    assert stored == SCHEDULES
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "'Every hour by accident'" in logged
    assert "'Monday, every other day'" in logged
    assert "'Plain daily'" not in logged
    assert "'Not standard'" in logged
    assert "a step needs a range or *" in logged

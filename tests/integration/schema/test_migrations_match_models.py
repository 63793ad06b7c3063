"""The migrations build the schema the models declare: tables, columns, types, server defaults,
indexes and constraints as Alembic compares them, plus the predicates of partial indexes,
which Alembic does not compare."""

from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.database import create_engine
from shared.models import Base
from shared.settings import DatabaseSettings
from tests.support.databases import empty_database, migrated_database
from tests.support.environment import ADMIN_DSN


@pytest.fixture(scope="module")
async def migrated_only(run_id: str) -> AsyncIterator[AsyncEngine]:
    """A database of its own: the session's database holds other tests' tables."""
    async with migrated_database(ADMIN_DSN, f"reportflow_test_{run_id}_schema") as url:
        engine = create_engine(DatabaseSettings(database_url=url))
        yield engine
        await engine.dispose()


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


PARTIAL_INDEX_PREDICATES = text(
    "SELECT c.relname AS name, pg_get_expr(i.indpred, i.indrelid) AS predicate "
    "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indpred IS NOT NULL"
)


async def _partial_index_predicates(engine: AsyncEngine) -> dict[str, str]:
    """As PostgreSQL prints them, so that equal predicates compare equal however written."""
    async with engine.connect() as connection:
        return {
            row.name: row.predicate for row in await connection.execute(PARTIAL_INDEX_PREDICATES)
        }


async def test_a_freshly_migrated_database_matches_the_models(migrated_only: AsyncEngine) -> None:
    async with migrated_only.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_partial_indexes_have_the_predicates_the_models_declare(
    migrated_only: AsyncEngine, run_id: str
) -> None:
    async with empty_database(ADMIN_DSN, f"reportflow_test_{run_id}_models") as url:
        engine = create_engine(DatabaseSettings(database_url=url))
        try:
            async with engine.begin() as connection:
                await connection.run_sync(Base.metadata.create_all)
            declared = await _partial_index_predicates(engine)
        finally:
            await engine.dispose()

    assert declared
    assert await _partial_index_predicates(migrated_only) == declared

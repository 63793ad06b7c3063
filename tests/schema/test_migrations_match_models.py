"""The migrations build exactly the schema the models declare: nothing added to a model is
missing a migration, and no migration drifts from the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from shared.database import create_engine
from shared.models import Base
from shared.settings import DatabaseSettings
from tests.conftest import ADMIN_DSN
from tests.support.databases import migrated_database


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_a_freshly_migrated_database_matches_the_models(run_id: str) -> None:
    # A database of its own: the session's database holds other tests' tables.
    async with migrated_database(ADMIN_DSN, f"reportflow_test_{run_id}_schema") as url:
        engine = create_engine(DatabaseSettings(database_url=url))
        try:
            async with engine.connect() as connection:
                assert await connection.run_sync(_differences) == []
        finally:
            await engine.dispose()

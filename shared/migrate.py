"""Apply the Alembic migrations to a database: `python -m shared.migrate [DATABASE_URL]`."""

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(database_url: str | None = None) -> None:
    """Runs in its own event loop (Alembic's env uses asyncio.run): call it from sync code."""
    command.upgrade(alembic_config(database_url), "head")


if __name__ == "__main__":
    upgrade_to_head(sys.argv[1] if len(sys.argv) > 1 else None)

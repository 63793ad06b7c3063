"""Where the benchmarks find PostgreSQL, RabbitMQ and the project (override with BENCH_*)."""

import os
from pathlib import Path

ADMIN_DSN = os.environ.get(
    "BENCH_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
AMQP_URL = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def database_url(name: str) -> str:
    """The URL of database `name` on the server ADMIN_DSN points at."""
    return f"{ADMIN_DSN.rpartition('/')[0]}/{name}"

"""A real runner process, and the awkward-values table the CSV tests export."""

import uuid

import asyncpg
import pytest

from tests.support.awkward_values import AWKWARD_TABLE
from tests.support.services import FAST_RECOVERY, ServiceProcess, StartService


@pytest.fixture(scope="session")
async def data_source_tables(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(AWKWARD_TABLE)
    finally:
        await connection.close()


@pytest.fixture
def private_namespace(amqp_namespace: str, extra_namespaces: list[str]) -> str:
    """A namespace of one test's own, to send a run to one particular runner."""
    namespace = f"{amqp_namespace}-{uuid.uuid4().hex[:6]}"
    extra_namespaces.append(namespace)
    return namespace


@pytest.fixture(scope="session")
def runner(start_service: StartService, data_source_tables: None) -> ServiceProcess:
    return start_service("runner", **FAST_RECOVERY)

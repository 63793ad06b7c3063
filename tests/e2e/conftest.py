"""A real runner process, the awkward-values table the CSV tests export, fault proxies and
isolated fault scenarios."""

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.support.awkward_values import AWKWARD_TABLE
from tests.support.environment import AMQP_URL
from tests.support.fault_proxy import FaultProxy
from tests.support.scenarios import Scenario, isolated_scenario
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


@pytest.fixture
def postgres_proxy(database_url: str) -> Iterator[FaultProxy]:
    """A fault proxy in front of the machine's PostgreSQL, for one test."""
    with FaultProxy.for_url(database_url) as proxy:
        yield proxy


@pytest.fixture
def rabbitmq_proxy() -> Iterator[FaultProxy]:
    """A fault proxy in front of the machine's RabbitMQ, for one test."""
    with FaultProxy.for_url(AMQP_URL) as proxy:
        yield proxy


@pytest.fixture
async def scenario(
    run_id: str, service_env: dict[str, str], extra_namespaces: list[str], tmp_path: Path
) -> AsyncIterator[Scenario]:
    """A database, namespace and output folder of this test's own (tests/support/scenarios.py)."""
    async with isolated_scenario(run_id, service_env, tmp_path) as isolated:
        extra_namespaces.append(isolated.namespace)
        yield isolated

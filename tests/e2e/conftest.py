"""A real runner process (reading the session's sandboxed data source, awkward values included),
fault proxies and isolated fault scenarios."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from services.api.settings import ApiSettings
from tests.support.api import api_client
from tests.support.environment import AMQP_URL
from tests.support.fault_proxy import FaultProxy
from tests.support.sandbox import SandboxSource
from tests.support.scenarios import Scenario, isolated_scenario
from tests.support.services import FAST_RECOVERY, ServiceProcess, StartService


@pytest.fixture
def private_namespace(amqp_namespace: str, extra_namespaces: list[str]) -> str:
    """A namespace of one test's own, to send a run to one particular runner."""
    namespace = f"{amqp_namespace}-{uuid.uuid4().hex[:6]}"
    extra_namespaces.append(namespace)
    return namespace


@pytest.fixture(scope="session")
def runner(start_service: StartService) -> ServiceProcess:
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
    run_id: str,
    service_env: dict[str, str],
    extra_namespaces: list[str],
    tmp_path: Path,
    data_source: SandboxSource,
) -> AsyncIterator[Scenario]:
    """A database, namespace and output folder of this test's own (tests/support/scenarios.py);
    report tables go into the session's sandboxed data source."""
    async with isolated_scenario(run_id, service_env, tmp_path, data_source) as isolated:
        extra_namespaces.append(isolated.namespace)
        yield isolated


# Small enough that a runaway payload stops within a second or two.
RUN_LIMITS = {
    "MAX_RUN_ROWS": "10000",
    "MAX_RUN_BYTES": str(1024 * 1024),
    "STATEMENT_TIMEOUT_SECONDS": "20",
    "MAX_STATEMENT_TIMEOUT_SECONDS": "30",
}


@dataclass(frozen=True)
class LimitedSystem:
    """A scenario whose runner runs with RUN_LIMITS, and an API client (the admin) on it."""

    scenario: Scenario
    client: httpx.AsyncClient


@pytest.fixture(scope="module")
async def limited_system(
    run_id: str,
    service_env: dict[str, str],
    extra_namespaces: list[str],
    data_source: SandboxSource,
    api_settings: ApiSettings,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[LimitedSystem]:
    """One per test module: its own database, namespace, output folder and limited runner."""
    directory = tmp_path_factory.mktemp("limited")
    async with isolated_scenario(run_id, service_env, directory, data_source) as scenario:
        extra_namespaces.append(scenario.namespace)
        await asyncio.to_thread(scenario.start, "runner", **RUN_LIMITS)
        settings = scenario.api_settings(
            api_settings, statement_timeout_seconds=20.0, max_statement_timeout_seconds=30.0
        )
        async with api_client(settings) as client:
            yield LimitedSystem(scenario, client)

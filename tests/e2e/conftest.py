"""A real runner process (reading the session's sandboxed data source, awkward values included),
fault proxies, an SMTP server and isolated fault scenarios."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from services.api.settings import ApiSettings
from tests.support.accounts import ADMIN_TOKEN
from tests.support.api import api_client
from tests.support.command_line import CommandLine
from tests.support.environment import AMQP_URL
from tests.support.fault_proxy import FaultProxy
from tests.support.metrics import free_port
from tests.support.sandbox import SandboxSource
from tests.support.scenarios import Scenario, isolated_scenario
from tests.support.services import FAST_RECOVERY, ServiceProcess, StartService
from tests.support.smtp_server import SmtpServer


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
def smtp() -> Iterator[SmtpServer]:
    """A recording SMTP server on a port of its own, for one test."""
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def scenario(
    run_id: str,
    service_env: dict[str, str],
    extra_namespaces: list[str],
    tmp_path: Path,
    data_source: SandboxSource,
    migrated_template: str,
) -> AsyncIterator[Scenario]:
    """A database, namespace and output folder of this test's own (tests/support/scenarios.py);
    report tables go into the session's sandboxed data source."""
    async with isolated_scenario(
        run_id, service_env, tmp_path, data_source, migrated_template
    ) as isolated:
        extra_namespaces.append(isolated.namespace)
        yield isolated


@pytest.fixture(scope="session")
def api_url(service_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API as a real process (`python -m services.api`) on a free local port."""
    port = free_port()
    api = ServiceProcess(
        "api",
        {**service_env, "API_HOST": "127.0.0.1", "API_PORT": str(port)},
        tmp_path_factory.mktemp("api-logs"),
    )
    try:
        api.start(ready_marker="Uvicorn running on")
        yield f"http://127.0.0.1:{port}"
    finally:
        api.stop()


@pytest.fixture
def reportflow(api_url: str, tmp_path: Path) -> CommandLine:
    """The `reportflow` command, signed in as the tests' admin (REPORTFLOW_TOKEN)."""
    return CommandLine(api_url, ADMIN_TOKEN, tmp_path / "config")


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
    migrated_template: str,
) -> AsyncIterator[LimitedSystem]:
    """One per test module: its own database, namespace, output folder and limited runner."""
    directory = tmp_path_factory.mktemp("limited")
    async with isolated_scenario(
        run_id, service_env, directory, data_source, migrated_template
    ) as scenario:
        extra_namespaces.append(scenario.namespace)
        await asyncio.to_thread(scenario.start, "runner", **RUN_LIMITS)
        settings = scenario.api_settings(
            api_settings, statement_timeout_seconds=20.0, max_statement_timeout_seconds=30.0
        )
        async with api_client(settings) as client:
            yield LimitedSystem(scenario, client)

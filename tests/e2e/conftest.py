"""A real runner process (reading the session's sandboxed data source, awkward values included),
fault proxies and isolated fault scenarios."""

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.integration.notifier.smtp_server import SmtpServer
from tests.support.environment import AMQP_URL
from tests.support.fault_proxy import FaultProxy
from tests.support.metrics import free_port
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


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """An SMTP server of one test's own, recording every mail it gets."""
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()

"""A real runner process (reading the session's sandboxed data source, awkward values included)."""

import uuid

import pytest

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

"""The runner and the API refuse to start on a data source that may do more than read."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.databases import migrated_database
from tests.support.environment import ADMIN_DSN
from tests.support.metrics import free_port
from tests.support.sandbox import SandboxSource, probe_role
from tests.support.services import READY_MARKER, ServiceProcess

SERVICES = ["runner", "api"]
READY = {"runner": READY_MARKER, "api": "Uvicorn running on"}
EXIT_REFUSED = 2


@pytest.fixture(scope="module")
async def refusal_record_url(run_id: str, migrated_template: str) -> AsyncIterator[str]:
    """A system of record of these processes' own, so no outbox row of another test is relayed
    into their namespace."""
    name = f"reportflow_test_{run_id}_refusal"
    async with migrated_database(ADMIN_DSN, name, migrated_template) as url:
        yield url


@pytest.fixture
def env(
    service_env: dict[str, str],
    refusal_record_url: str,
    amqp_namespace: str,
    extra_namespaces: list[str],
) -> dict[str, str]:
    namespace = f"{amqp_namespace}-refusal"
    if namespace not in extra_namespaces:
        extra_namespaces.append(namespace)
    return {
        **service_env,
        "DATABASE_URL": refusal_record_url,
        "AMQP_NAMESPACE": namespace,
        "API_PORT": str(free_port()),
    }


def assert_refused(name: str, env: dict[str, str], log_dir: Path, *reasons: str) -> str:
    process = ServiceProcess(name, env, log_dir)
    try:
        with pytest.raises(RuntimeError, match="exited early"):
            process.start(ready_marker=READY[name])
    finally:
        process.stop()  # a service that failed to refuse must not outlive the test
    assert process.process is not None
    assert process.process.returncode == EXIT_REFUSED
    log = process.log_text()
    assert "refusing to start: " in log
    for reason in reasons:
        assert reason in log
    return log


@pytest.mark.parametrize("name", SERVICES)
def test_a_superuser_data_source_is_refused(
    name: str, env: dict[str, str], data_source: SandboxSource, tmp_path: Path
) -> None:
    log = assert_refused(
        name,
        {**env, "DATA_SOURCE_URL": data_source.admin_url},
        tmp_path,
        "which is a superuser",
        "ALLOW_PRIVILEGED_DATA_SOURCE=true",
    )
    assert "Point DATA_SOURCE_URL at a login role that may only SELECT" in log


@pytest.mark.parametrize("name", SERVICES)
async def test_a_role_that_may_write_is_refused(
    name: str, env: dict[str, str], data_source: SandboxSource, run_id: str, tmp_path: Path
) -> None:
    grants = "GRANT SELECT, UPDATE ON victims TO {role}"
    async with probe_role(data_source, f"reportflow_test_{run_id}_writer", grants) as url:
        assert_refused(
            name, {**env, "DATA_SOURCE_URL": url}, tmp_path, "may write to 1 table(s) or view(s)"
        )


@pytest.mark.parametrize("name", SERVICES)
def test_the_system_of_record_is_refused_as_data_source_under_another_address(
    name: str, env: dict[str, str], refusal_record_url: str, tmp_path: Path
) -> None:
    respelt = refusal_record_url.replace("127.0.0.1", "localhost")
    assert_refused(
        name, {**env, "DATA_SOURCE_URL": respelt}, tmp_path, "on the system of record's own"
    )


@pytest.mark.parametrize("name", SERVICES)
def test_no_data_source_url_is_refused_without_falling_back(
    name: str, env: dict[str, str], tmp_path: Path
) -> None:
    assert_refused(
        name,
        {**env, "DATA_SOURCE_URL": ""},
        tmp_path,
        "DATA_SOURCE_URL is not set",
        "no longer falls back to DATABASE_URL",
    )


@pytest.mark.parametrize("name", SERVICES)
def test_allowing_a_privileged_data_source_starts_with_a_warning_naming_it(
    name: str, env: dict[str, str], data_source: SandboxSource, tmp_path: Path
) -> None:
    allowed = {
        **env,
        "DATA_SOURCE_URL": data_source.admin_url,
        "ALLOW_PRIVILEGED_DATA_SOURCE": "true",
    }
    process = ServiceProcess(name, allowed, tmp_path)
    try:
        process.start(ready_marker=READY[name])
        log = process.log_text()
    finally:
        process.stop()
    assert "WARNING" in log
    assert "ALLOW_PRIVILEGED_DATA_SOURCE=true: Report SQL would run as role 'postgres'" in log
    assert "is a superuser" in log


def test_a_runner_waits_for_an_unreachable_data_source_instead_of_exiting(
    env: dict[str, str], tmp_path: Path
) -> None:
    unreachable = {**env, "DATA_SOURCE_URL": "postgresql://nobody@127.0.0.1:1/nothing"}
    process = ServiceProcess("runner", unreachable, tmp_path)
    try:
        with pytest.raises(TimeoutError):
            process.start(ready_timeout=4)
        log = process.log_text()
    finally:
        assert process.stop() == 0
    assert log.count("cannot check the data source's rights yet") >= 2
    assert "retrying in 2 s" in log

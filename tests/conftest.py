"""Test fixtures: a freshly migrated database, a sandboxed data source and a private RabbitMQ
namespace per test session."""

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from deploy.sandbox import close_system_of_record
from services.api.settings import ApiSettings
from shared.database import create_engine, create_sessionmaker
from shared.messaging import Broker, delete_namespace
from shared.settings import BrokerSettings, DatabaseSettings
from tests.support.accounts import admin_env
from tests.support.api import api_client
from tests.support.awkward_values import AWKWARD_TABLE
from tests.support.databases import migrated_database
from tests.support.environment import ADMIN_DSN, AMQP_URL, WEBHOOK_TEST_HOST
from tests.support.sandbox import SandboxSource, sandbox_source
from tests.support.services import ServiceProcess, StartService, stop_all

TEST_KINDS = {
    "unit": "pure code: no database, broker or process",
    "integration": "one component against the real PostgreSQL, RabbitMQ or SMTP server",
    "e2e": "several real service processes working together",
}
TESTS_ROOT = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    for kind, meaning in TEST_KINDS.items():
        config.addinivalue_line("markers", f"{kind}: {meaning} (set from the test's folder)")
    config.addinivalue_line(
        "markers",
        "disruptive: stops and starts the real PostgreSQL or RabbitMQ; only in `make faults`",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks each test with its kind (its top folder: `-m unit` selects the fast ones); outage
    tests go last, so no other test meets a server that is restarting."""
    for item in items:
        kind = item.path.relative_to(TESTS_ROOT).parts[0]
        if kind in TEST_KINDS:
            item.add_marker(kind)
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
async def migrated_template(run_id: str) -> AsyncIterator[str]:
    """The name of a database Alembic migrated to head once for this session and nobody connects
    to: fixtures copy it (`migrated_database(..., template=migrated_template)`) instead of
    migrating each database of their own again."""
    name = f"reportflow_test_{run_id}_template"
    async with migrated_database(ADMIN_DSN, name):
        yield name


@pytest.fixture(scope="session")
async def database_url(run_id: str, migrated_template: str) -> AsyncIterator[str]:
    """A database of its own for this test session, migrated to head, dropped afterwards."""
    name = f"reportflow_test_{run_id}"
    async with migrated_database(ADMIN_DSN, name, migrated_template) as url:
        yield url


@pytest.fixture(scope="session")
async def data_source(run_id: str, database_url: str) -> AsyncIterator[SandboxSource]:
    """Where report SQL runs: a database and a read-only login role of this session's own, with
    the tables the tests' reports read (and dblink, when the server has it, taken away)."""
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        dblink = await admin.fetchval(
            "SELECT count(*) > 0 FROM pg_available_extensions WHERE name = 'dblink'"
        )
    finally:
        await admin.close()
    name = f"reportflow_test_{run_id}_source"
    async with sandbox_source(ADMIN_DSN, name, extensions=("dblink",) if dblink else ()) as source:
        await source.add_tables(AWKWARD_TABLE)
        record = await asyncpg.connect(database_url)
        try:
            await close_system_of_record(record, source.role)
        finally:
            await record.close()
        yield source


@pytest.fixture(scope="session")
async def amqp_namespace(run_id: str) -> AsyncIterator[str]:
    """Exchange and queue names of this test session only; deleted afterwards."""
    namespace = f"test-{run_id}"
    yield namespace
    await delete_namespace(AMQP_URL, namespace)


@pytest.fixture(scope="session")
async def extra_namespaces(amqp_namespace: str) -> AsyncIterator[list[str]]:
    """Namespaces tests add for themselves; deleted after every service process has stopped
    (a running service would declare its queues again)."""
    namespaces: list[str] = []
    yield namespaces
    for namespace in namespaces:
        await delete_namespace(AMQP_URL, namespace)


@pytest.fixture(scope="session")
def output_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("outputs")


@pytest.fixture(scope="session")
def channel_secrets_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture(scope="session")
def service_env(
    database_url: str,
    data_source: SandboxSource,
    amqp_namespace: str,
    output_dir: Path,
    channel_secrets_key: str,
) -> dict[str, str]:
    """Environment for the services under test (also applied to this process's settings)."""
    return {
        "DATABASE_URL": database_url,
        "DATA_SOURCE_URL": data_source.reader_url,
        "AMQP_URL": AMQP_URL,
        "AMQP_NAMESPACE": amqp_namespace,
        "OUTPUT_DIR": str(output_dir),
        "LOG_LEVEL": "INFO",
        "METRICS_PORT": "0",
        # Webhooks: the tests' receivers listen on 127.0.0.1; a key generated per session.
        "WEBHOOK_ALLOWED_HOSTS": WEBHOOK_TEST_HOST,
        "CHANNEL_SECRETS_KEY": channel_secrets_key,
        **admin_env(),
    }


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(DatabaseSettings(database_url=database_url))
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture(scope="session")
async def broker(amqp_namespace: str) -> AsyncIterator[Broker]:
    broker = Broker(BrokerSettings(amqp_url=AMQP_URL, amqp_namespace=amqp_namespace))
    await broker.connect()
    yield broker
    await broker.close()


@pytest.fixture(scope="session")
def api_settings(service_env: dict[str, str]) -> ApiSettings:
    return ApiSettings.model_validate({key.lower(): value for key, value in service_env.items()})


@pytest.fixture(scope="session")
async def client(api_settings: ApiSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The API served in-process on the test database and namespace, signed in as the admin."""
    async with api_client(api_settings) as client:
        yield client


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A raw connection to the test database, for arranging data and checking results."""
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


@pytest.fixture
async def source_db(data_source: SandboxSource) -> AsyncIterator[asyncpg.Connection]:
    """A superuser's connection to the data source, to arrange tables and check they survived."""
    connection = await asyncpg.connect(data_source.admin_url)
    yield connection
    await connection.close()


@pytest.fixture(scope="session")
def start_service(
    service_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
    extra_namespaces: list[str],
) -> Iterator[StartService]:
    """Starts `python -m services.<name>` with the test environment; stops it at session end."""
    started: list[ServiceProcess] = []
    logs = tmp_path_factory.mktemp("service-logs")

    def start(name: str, **extra_env: str) -> ServiceProcess:
        process = ServiceProcess(name, {**service_env, **extra_env}, logs)
        started.append(process)  # before it is ready, so one that fails to start is stopped too
        process.start()
        return process

    yield start
    stop_all(started)


@pytest.fixture
async def private_broker(amqp_namespace: str) -> AsyncIterator[Broker]:
    """A broker in a namespace of the test's own, removed afterwards."""
    namespace = f"{amqp_namespace}-{uuid.uuid4().hex[:6]}"
    broker = Broker(BrokerSettings(amqp_url=AMQP_URL, amqp_namespace=namespace))
    await broker.connect()
    yield broker
    await broker.close()
    await delete_namespace(AMQP_URL, namespace)

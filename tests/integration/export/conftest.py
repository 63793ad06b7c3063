"""A data source of its own for the export tests: awkward values, in an odd session time zone."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from deploy.sandbox import SandboxLimits
from services.api.settings import ApiSettings
from services.runner.exporters.request import ExportRequest, ExportResult
from services.runner.exporters.selector import CsvEngine, Exporter
from shared.events import utc_now
from shared.models import Compression, OutputFormat
from tests.support.api import api_client, run_and_wait
from tests.support.awkward_values import AWKWARD_TABLE
from tests.support.databases import migrated_database
from tests.support.environment import ADMIN_DSN
from tests.support.sandbox import sandbox_source
from tests.support.services import ServiceProcess, StartService

# +05:45 with no daylight saving: a timestamptz rendered in UTC by mistake cannot pass.
SESSION_TIME_ZONE = "Asia/Kathmandu"
# The resource tests export millions of rows from a loaded machine.
EXPORT_LIMITS = SandboxLimits(statement_timeout="10min", temp_file_limit="2GB", connection_limit=40)

MORE_AWKWARD_TYPES = """
CREATE TYPE export_mood AS ENUM ('happy', 'sad, "very"');
CREATE TYPE export_pair AS (a integer, b text);
CREATE DOMAIN export_code AS text CHECK (VALUE <> 'forbidden');
CREATE TABLE export_awkward (
    id integer PRIMARY KEY,
    f4 real,
    f8 double precision,
    num numeric,
    ts timestamp(6),
    tstz timestamptz,
    d date,
    t time,
    ttz timetz,
    iv interval,
    matrix integer[],
    shifted integer[],
    texts text[],
    rng int4range,
    tsr tstzrange,
    u uuid,
    ip inet,
    bits bit varying,
    j json,
    jb jsonb,
    x xml,
    mood export_mood,
    code export_code,
    pair export_pair,
    single text
);
INSERT INTO export_awkward VALUES
    (1, 'NaN', 'Infinity', 'NaN', 'infinity', '-infinity', 'infinity', '24:00:00',
     '12:00:00+05:30', '-1 year -2 mons +3 days -04:05:06.789', '{{1,2},{3,NULL}}',
     '[0:1]={1,2}', '{"","NULL",null,"a\\\\b","q\\"x"," sp "}', '[1,5)',
     '[2024-01-01 00:00:00+00,)', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1/24',
     B'101', E'{"a":\\n 1,\\t"b": "x\\\\ny"}', '{"b": [1, 2.50, null], "a": "\\u00fc"}',
     '<a>x &amp; y</a>', 'sad, "very"', 'code,1', ROW(1, 'x, "y"'), '\\.'),
    (2, '-Infinity', '-Infinity', '-12345678901234567890.123456789012345678901', '-infinity',
     'infinity', '-infinity', '00:00:00.000001', '23:59:59-11:00', '0', '{}', NULL, '{}',
     'empty', NULL, NULL, '::1', B'', 'null', '"just a string"', NULL, 'happy', '', ROW(NULL, ''),
     ''),
    (3, 1e-7, 1e-300, 123456789012345678901234567890.123456789, '0044-03-15 12:00:00 BC',
     '2024-03-31 02:30:00.123456 Europe/Berlin', '0001-01-01 BC', '13:14:15.5', '01:02:03+00',
     '100 years 11 mons 29 days 23:59:59.999999', '{{{1}}}', '[-3:-3]={7}', '{"{}",","}',
     '(,10]', '[2024-10-27 01:30:00 Europe/Berlin,2024-10-27 03:30:00 Europe/Berlin)',
     '00000000-0000-0000-0000-000000000000', '10.0.0.0/8', B'0', '[]', '{}',
     E'<p>line\\nbreak</p>', NULL, NULL, NULL, E'tab\\there'),
    (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"""


@pytest.fixture(scope="session")
async def data_source_url(run_id: str) -> AsyncIterator[str]:
    """A sandboxed database of awkward values whose default session time zone is not UTC; the
    URL is its read-only role's, as the runner and the API get it."""
    name = f"reportflow_export_{run_id}"
    async with sandbox_source(ADMIN_DSN, name, EXPORT_LIMITS) as source:
        connection = await asyncpg.connect(source.admin_url)
        try:
            await connection.execute(
                f"ALTER DATABASE \"{name}\" SET timezone = '{SESSION_TIME_ZONE}'"
            )
        finally:
            await connection.close()
        # A new session, in the zone as every later one: the values are written in it.
        await source.add_tables(AWKWARD_TABLE + MORE_AWKWARD_TYPES)
        yield source.reader_url


class RunExport(Protocol):
    async def __call__(
        self,
        sql: str,
        output_format: OutputFormat = OutputFormat.CSV,
        compression: Compression = Compression.NONE,
        engine: CsvEngine = CsvEngine.COPY,
        batch_rows: int = 1000,
    ) -> ExportResult: ...


@pytest.fixture
def export(data_source_url: str, tmp_path: Path) -> RunExport:
    """Runs one export in this process: `await export(sql, OutputFormat.JSON, engine=...)`."""

    async def run(
        sql: str,
        output_format: OutputFormat = OutputFormat.CSV,
        compression: Compression = Compression.NONE,
        engine: CsvEngine = CsvEngine.COPY,
        batch_rows: int = 1000,
    ) -> ExportResult:
        exporter = Exporter(data_source_url, tmp_path / engine, 60, engine, batch_rows)
        request = ExportRequest(
            uuid.uuid4().hex, "Export test", sql, utc_now(), output_format, compression
        )
        return await exporter.export(request)

    return run


RUN_WAIT_SECONDS = 60


@pytest.fixture(scope="session")
def export_namespace(amqp_namespace: str, extra_namespaces: list[str]) -> str:
    namespace = f"{amqp_namespace}-export"
    extra_namespaces.append(namespace)
    return namespace


@pytest.fixture(scope="session")
async def export_record_url(run_id: str, migrated_template: str) -> AsyncIterator[str]:
    """A system of record of the export deployment's own. Sharing the session's would let the
    session's services relay these runs' outbox rows into their own namespace, where a runner
    on another data source claims them."""
    name = f"reportflow_test_{run_id}_export_record"
    async with migrated_database(ADMIN_DSN, name, migrated_template) as url:
        yield url


@pytest.fixture(scope="session")
def export_runner(
    start_service: StartService,
    export_namespace: str,
    export_record_url: str,
    data_source_url: str,
) -> ServiceProcess:
    """A runner of its own on the export data source, so its peak memory is this module's."""
    return start_service(
        "runner",
        AMQP_NAMESPACE=export_namespace,
        DATABASE_URL=export_record_url,
        DATA_SOURCE_URL=data_source_url,
    )


@pytest.fixture
async def export_client(
    api_settings: ApiSettings, export_namespace: str, export_record_url: str, data_source_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = api_settings.model_copy(
        update={
            "amqp_namespace": export_namespace,
            "database_url": SecretStr(export_record_url),
            "data_source_url": SecretStr(data_source_url),
        }
    )
    async with api_client(settings) as client:
        yield client


async def run_report(client: httpx.AsyncClient, report_id: str) -> dict[str, Any]:
    run = await run_and_wait(client, report_id, RUN_WAIT_SECONDS)
    assert run["status"] == "SUCCESS", run
    return run

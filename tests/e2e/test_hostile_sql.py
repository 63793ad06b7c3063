"""Report SQL written by an attacker, run by the real runner on the sandboxed data source: each
payload is refused when saved or ends FAILED, and nothing outside the run changed.

The payloads are a table so the corpus can grow; each names what PostgreSQL must answer when the
payload reaches the runner (stored directly, as if the API's check were bypassed).
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from services.scheduler.leadership import LOCK_KEY
from tests.support.api import create_report, run_and_wait
from tests.support.sandbox import SandboxSource
from tests.support.services import ServiceProcess

WAIT = 60
ESCAPE_FILE = Path(f"/tmp/reportflow-hostile-{uuid.uuid4().hex}")
VICTIM_PID = "{victim_pid}"
RECORD_DATABASE = "{record_database}"


@dataclass(frozen=True)
class Payload:
    attack: str
    sql: str
    refusal: str  # part of the FAILED run's error message


PAYLOADS = [
    Payload("read a server file", "SELECT pg_read_file('/etc/passwd')", "permission denied"),
    Payload("list a server directory", "SELECT pg_ls_dir('/') AS entry", "permission denied"),
    Payload(
        "store a large object",
        "SELECT lo_from_bytea(0, 'owned'::bytea) AS oid",
        "permission denied for function lo_from_bytea",
    ),
    Payload("create a large object", "SELECT lo_create(0)", "permission denied for function"),
    Payload(
        "write a server file through a large object",
        f"SELECT lo_export(12345, '{ESCAPE_FILE}')",
        "permission denied for function lo_export",
    ),
    Payload(
        "terminate another session",
        f"SELECT pg_terminate_backend({VICTIM_PID})",
        "terminate",
    ),
    Payload("read ReportFlow's reports", "SELECT * FROM reports", 'relation "reports"'),
    Payload(
        "read ReportFlow's tables next to its own",
        "SELECT * FROM victims, report_runs",
        'relation "report_runs"',
    ),
    Payload(
        "read password hashes",
        "SELECT rolname, rolpassword FROM pg_authid",
        "permission denied for table pg_authid",
    ),
    Payload(
        "become a superuser with set_config",
        "SELECT set_config('role', 'postgres', false)",
        'permission denied to set role "postgres"',
    ),
    Payload(
        "switch session authorization",
        "SELECT set_config('session_authorization', 'postgres', false)",
        "permission denied to set session authorization",
    ),
    Payload("SET ROLE", "SET ROLE postgres", "must return rows"),
    Payload(
        "lift the read-only transaction",
        "SELECT set_config('transaction_read_only', 'off', false)",
        "transaction read-write mode",
    ),
    Payload(
        "write to the system of record through dblink",
        f"SELECT dblink_exec('dbname={RECORD_DATABASE} user=postgres host=127.0.0.1', "
        "'DELETE FROM hostile_canary')",
        "dblink_exec",
    ),
    Payload(
        "read the system of record through dblink",
        f"SELECT * FROM dblink('dbname={RECORD_DATABASE} user=postgres host=127.0.0.1', "
        "'SELECT name FROM reports') AS t(name text)",
        "dblink",
    ),
    Payload("run a program", "COPY (SELECT 1) TO PROGRAM 'touch /tmp/owned'", "must return rows"),
    Payload(
        "run away (bounded by the role's statement_timeout)",
        "SELECT count(*) FROM (SELECT generate_series(1, 100000000000)) AS rows",
        "canceling statement due to statement timeout",
    ),
    Payload(
        "fill the server's disk (bounded by the role's temp_file_limit)",
        "SELECT count(*) FROM generate_series(1, 100000000000)",
        "temporary file size exceeds temp_file_limit",
    ),
]


@dataclass(frozen=True)
class Fingerprint:
    canary: str
    victims: str
    large_objects: tuple[int, int]
    escape_file: bool


@pytest.fixture
async def victims(
    database_url: str, data_source: SandboxSource
) -> AsyncIterator[list[asyncpg.Connection]]:
    """Other sessions a payload may try to kill: one on each database."""
    connections = [
        await asyncpg.connect(database_url),
        await asyncpg.connect(data_source.admin_url),
    ]
    yield connections
    for connection in connections:
        await connection.close()


async def fingerprint(db: asyncpg.Connection, source_db: asyncpg.Connection) -> Fingerprint:
    return Fingerprint(
        canary=await db.fetchval(
            "SELECT md5(string_agg(c::text, ',' ORDER BY c.id)) FROM hostile_canary c"
        ),
        victims=await source_db.fetchval(
            "SELECT md5(string_agg(v::text, ',' ORDER BY v.id)) FROM victims v"
        ),
        large_objects=(
            await db.fetchval("SELECT count(*) FROM pg_largeobject_metadata"),
            await source_db.fetchval("SELECT count(*) FROM pg_largeobject_metadata"),
        ),
        escape_file=ESCAPE_FILE.exists(),
    )


async def test_hostile_sql_fails_and_changes_nothing(
    client: httpx.AsyncClient,
    runner: ServiceProcess,
    db: asyncpg.Connection,
    source_db: asyncpg.Connection,
    victims: list[asyncpg.Connection],
) -> None:
    await db.execute(
        "CREATE TABLE IF NOT EXISTS hostile_canary AS SELECT g AS id, md5(g::text) AS secret "
        "FROM generate_series(1, 20) AS g"
    )
    record_database = await db.fetchval("SELECT current_database()")
    victim_pid = await victims[0].fetchval("SELECT pg_backend_pid()")
    before = await fingerprint(db, source_db)
    outcomes = {}
    for payload in PAYLOADS:
        sql = payload.sql.format(victim_pid=victim_pid, record_database=record_database)
        saved = await client.post("/api/reports", json={"name": uuid.uuid4().hex, "sql_query": sql})
        assert saved.status_code in (201, 422), (payload.attack, saved.text)
        report_id = await create_report(client, "SELECT 1")
        await db.execute("UPDATE reports SET sql_query = $1 WHERE id = $2", sql, report_id)
        run = await run_and_wait(client, report_id, WAIT)
        outcomes[payload.attack] = (run["status"], run["error_message"])
        assert run["status"] == "FAILED", (payload.attack, run)
        assert payload.refusal in str(run["error_message"]), (payload.attack, run)

    assert await fingerprint(db, source_db) == before, outcomes
    for victim in victims:
        assert await victim.fetchval("SELECT 1") == 1


async def test_an_advisory_lock_taken_by_a_report_is_not_the_schedulers(
    client: httpx.AsyncClient,
    runner: ServiceProcess,
    source_db: asyncpg.Connection,
    data_source: SandboxSource,
) -> None:
    """Harmless by construction: advisory locks are per database, and the data source is not
    the system of record's database."""
    report_id = await create_report(
        client, f"SELECT pg_advisory_lock({LOCK_KEY})::text AS taken, pg_sleep(3)::text AS held"
    )
    run = asyncio.create_task(run_and_wait(client, report_id, WAIT))
    holders: list[str] = []
    for _ in range(100):
        holders = [
            row["datname"]
            for row in await source_db.fetch(
                "SELECT d.datname FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "JOIN pg_database d ON d.oid = l.database "
                "WHERE l.locktype = 'advisory' AND a.usename = $1",
                data_source.role,
            )
        ]
        if holders:
            break
        await asyncio.sleep(0.1)
    assert (await run)["status"] == "SUCCESS"
    assert holders == [data_source.role]  # the sandbox database is named after its role

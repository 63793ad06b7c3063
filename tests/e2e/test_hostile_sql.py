"""Report SQL written by an attacker, run by the real runner on the sandboxed data source: each
payload of the corpus is refused when saved, ends FAILED, or is harmless, as its row says, and
nothing outside the run changed.

The corpus is a table (attack, SQL, outcome, why), so it can grow. Every payload is saved through
the API with `timeout_seconds` 2 and run by a runner with small MAX_RUN_ROWS / MAX_RUN_BYTES
(tests/e2e/conftest.py, RUN_LIMITS), so the resource bombs stop within seconds. A payload the
API refuses is then stored directly, as if the API's check were bypassed, and must fail at the
runner too. Before and after each one a fingerprint is taken: the system of record's and the
data source's table checksums, their large-object counts, the data source's tables and the
role's settings, advisory locks on the system of record, and a file a payload might write.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import asyncpg
import httpx
import pytest

from services.scheduler.leadership import LOCK_KEY
from shared.sql_guard import QUERY_EXPECTED
from tests.e2e.conftest import LimitedSystem
from tests.support.api import create_report, run_and_wait
from tests.support.sandbox import SandboxSource
from tests.support.services import ServiceProcess

WAIT = 60
TIMEOUT_SECONDS = 2
ESCAPE_FILE = Path(f"/tmp/reportflow-hostile-{uuid.uuid4().hex}")
# A connection string to the system of record, as a payload would aim it (its name is filled in).
RECORD = "dbname={record_database} user=postgres host=127.0.0.1"


class Outcome(StrEnum):
    # 422 naming sql_query; stored directly anyway, the runner fails it with the same reason.
    REFUSED = "refused at save"
    # Saved (PostgreSQL checks these rights when the query runs); the run ends FAILED.
    FAILED = "FAILED at run"
    # Saved and SUCCESS, and the fingerprint shows it changed nothing; `reason` says why.
    HARMLESS = "harmless"


REFUSED, FAILED, HARMLESS = Outcome.REFUSED, Outcome.FAILED, Outcome.HARMLESS


@dataclass(frozen=True)
class Payload:
    attack: str
    sql: str
    outcome: Outcome
    # REFUSED and FAILED: part of the error message (any one of a tuple); HARMLESS: why.
    reason: str | tuple[str, ...]
    # HARMLESS: the rows the run must have exported, when that is the point (none leaked).
    row_count: int | None = None

    def explains(self, message: str) -> bool:
        reasons = (self.reason,) if isinstance(self.reason, str) else self.reason
        return any(reason in message for reason in reasons)


def denied(attack: str, sql: str, what: str) -> Payload:
    """Saved, and FAILED at run: the role lacks the right (`what`: "function pg_ls_dir")."""
    return Payload(attack, sql, FAILED, f"permission denied for {what}")


def not_a_query(attack: str, sql: str) -> Payload:
    """Refused at save: not a query that returns rows."""
    return Payload(attack, sql, REFUSED, QUERY_EXPECTED)


# The corpus, one row a payload, grouped by what the attacker is after.
PAYLOADS = [
    # --- Server files: the functions exist, the role may not execute them -------------------
    denied("read a server file", "SELECT pg_read_file('/etc/passwd')", "function pg_read_file"),
    denied(
        "read part of a server file",
        "SELECT pg_read_file('/etc/passwd', 0, 100)",
        "function pg_read_file",
    ),
    denied(
        "read a binary server file",
        "SELECT pg_read_binary_file('/etc/passwd')",
        "function pg_read_binary_file",
    ),
    denied("list a server directory", "SELECT pg_ls_dir('/') AS entry", "function pg_ls_dir"),
    denied(
        "list the data directory", "SELECT * FROM pg_ls_dir('.') AS entry", "function pg_ls_dir"
    ),
    denied(
        "stat a server file", "SELECT * FROM pg_stat_file('/etc/passwd')", "function pg_stat_file"
    ),
    denied(
        "list the server log directory", "SELECT * FROM pg_ls_logdir()", "function pg_ls_logdir"
    ),
    denied("list the WAL directory", "SELECT * FROM pg_ls_waldir()", "function pg_ls_waldir"),
    denied("list temporary files", "SELECT * FROM pg_ls_tmpdir()", "function pg_ls_tmpdir"),
    denied(
        "find the server's log file", "SELECT pg_current_logfile()", "function pg_current_logfile"
    ),
    Payload(
        "read the server configuration's path",
        "SELECT current_setting('config_file')",
        FAILED,
        "pg_read_all_settings",
    ),
    Payload(
        "read the data directory's path",
        "SELECT current_setting('data_directory')",
        FAILED,
        "pg_read_all_settings",
    ),
    denied(
        "read a file nested in another function",
        "SELECT format('%s', pg_read_file('/etc/passwd')) AS f",
        "function pg_read_file",
    ),
    Payload(
        "write a file with adminpack",
        "SELECT pg_file_write('/tmp/owned', 'x', false)",
        REFUSED,
        "does not exist",
    ),
    not_a_query("COPY a server file into the result", "COPY victims FROM '/etc/passwd'"),
    not_a_query("COPY the result into a server file", "COPY (SELECT 1) TO '{escape_file}'"),
    # --- Large objects ------------------------------------------------------------------------
    denied(
        "store a large object",
        "SELECT lo_from_bytea(0, 'owned'::bytea) AS oid",
        "function lo_from_bytea",
    ),
    denied("create a large object", "SELECT lo_create(0)", "function lo_create"),
    denied("create a large object the old way", "SELECT lo_creat(-1)", "function lo_creat"),
    denied(
        "import a server file as a large object",
        "SELECT lo_import('/etc/passwd')",
        "function lo_import",
    ),
    denied(
        "write a server file through a large object",
        "SELECT lo_export(12345, '{escape_file}')",
        "function lo_export",
    ),
    denied("overwrite a large object", "SELECT lo_put(12345, 0, 'x'::bytea)", "function lo_put"),
    denied("delete a large object", "SELECT lo_unlink(12345)", "function lo_unlink"),
    denied("read another's large object", "SELECT lo_get(12345)", "function lo_get"),
    denied("read the large object table", "SELECT * FROM pg_largeobject", "table pg_largeobject"),
    # --- dblink (installed on the data source, taken away from the role) and foreign data -------
    Payload(
        "write to the system of record through dblink",
        f"SELECT dblink_exec('{RECORD}', 'DELETE FROM hostile_canary')",
        FAILED,
        "dblink_exec",
    ),
    Payload(
        "read the system of record through dblink",
        f"SELECT * FROM dblink('{RECORD}', 'SELECT name FROM reports') AS t(name text)",
        FAILED,
        "dblink",
    ),
    Payload(
        "open a dblink connection",
        f"SELECT dblink_connect('owned', '{RECORD}')",
        FAILED,
        "dblink_connect",
    ),
    Payload(
        "open an unchecked dblink connection",
        "SELECT dblink_connect_u('dbname={record_database} user=postgres')",
        FAILED,
        "dblink_connect_u",
    ),
    Payload(
        "reach another server with postgres_fdw",
        "SELECT postgres_fdw_get_connections()",
        REFUSED,
        "does not exist",
    ),
    not_a_query("create a foreign server", "CREATE SERVER owned FOREIGN DATA WRAPPER dblink_fdw"),
    # --- Programs -----------------------------------------------------------------------------
    not_a_query("run a program", "COPY (SELECT 1) TO PROGRAM 'touch {escape_file}'"),
    not_a_query("read a program's output", "COPY victims FROM PROGRAM 'id'"),
    Payload(
        "run a program smuggled through COPY's wrapping",
        "SELECT 1) TO PROGRAM 'touch {escape_file}'; COPY (SELECT 1",
        REFUSED,
        "syntax error",
    ),
    # --- Roles and settings ---------------------------------------------------------------------
    not_a_query("SET ROLE", "SET ROLE postgres"),
    not_a_query("SET SESSION AUTHORIZATION", "SET SESSION AUTHORIZATION postgres"),
    not_a_query("RESET ROLE", "RESET ROLE"),
    Payload(
        "become a superuser with set_config",
        "SELECT set_config('role', 'postgres', false)",
        FAILED,
        'permission denied to set role "postgres"',
    ),
    Payload(
        "join pg_read_server_files with set_config",
        "SELECT set_config('role', 'pg_read_server_files', false)",
        FAILED,
        'permission denied to set role "pg_read_server_files"',
    ),
    Payload(
        "switch session authorization",
        "SELECT set_config('session_authorization', 'postgres', false)",
        FAILED,
        "permission denied to set session authorization",
    ),
    Payload(
        "lift the read-only transaction",
        "SELECT set_config('transaction_read_only', 'off', false)",
        FAILED,
        "transaction read-write mode",
    ),
    Payload(
        "lift the statement timeout from inside the query",
        "SELECT set_config('statement_timeout', '0', false) AS lifted, pg_sleep(5) AS slept",
        FAILED,
        "statement timeout",
    ),
    Payload(
        "lift the temp file limit",
        "SELECT set_config('temp_file_limit', '-1', false)",
        FAILED,
        'permission denied to set parameter "temp_file_limit"',
    ),
    Payload(
        "switch off triggers and constraints",
        "SELECT set_config('session_replication_role', 'replica', false)",
        FAILED,
        'permission denied to set parameter "session_replication_role"',
    ),
    Payload(
        "switch off statement logging",
        "SELECT set_config('log_statement', 'none', false)",
        FAILED,
        'permission denied to set parameter "log_statement"',
    ),
    Payload(
        "open large objects to everyone",
        "SELECT set_config('lo_compat_privileges', 'on', false)",
        FAILED,
        'permission denied to set parameter "lo_compat_privileges"',
    ),
    Payload(
        "change the default read-only mode for later statements",
        "SELECT set_config('default_transaction_read_only', 'off', false) AS changed",
        HARMLESS,
        "the session is reset (DISCARD ALL) before its connection serves another run",
    ),
    Payload(
        "shadow functions through search_path",
        "SELECT set_config('search_path', 'pg_temp, public', false) AS path",
        HARMLESS,
        "the session is reset (DISCARD ALL) before its connection serves another run",
    ),
    not_a_query("ALTER SYSTEM", "ALTER SYSTEM SET log_statement = 'none'"),
    denied("reload the server configuration", "SELECT pg_reload_conf()", "function pg_reload_conf"),
    denied("rotate the server log", "SELECT pg_rotate_logfile()", "function pg_rotate_logfile"),
    denied("reset the statistics", "SELECT pg_stat_reset()", "function pg_stat_reset"),
    denied("switch the WAL file", "SELECT pg_switch_wal()", "function pg_switch_wal"),
    denied(
        "write a restore point",
        "SELECT pg_create_restore_point('owned')",
        "function pg_create_restore_point",
    ),
    # --- Other sessions and locks ---------------------------------------------------------------
    Payload(
        "terminate another session",
        "SELECT pg_terminate_backend({victim_pid})",
        FAILED,
        "terminate",
    ),
    Payload(
        "cancel another session's query", "SELECT pg_cancel_backend({victim_pid})", FAILED, "cancel"
    ),
    Payload(
        "terminate every other role's session",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename <> current_user",
        FAILED,
        "terminate",
    ),
    Payload(
        "terminate its own session",
        "SELECT pg_terminate_backend(pg_backend_pid())",
        FAILED,
        ("terminat", "lost the connection"),
    ),
    Payload(
        "take the scheduler's leader lock",
        "SELECT pg_advisory_lock({lock_key}) AS taken",
        HARMLESS,
        "advisory locks are per database; released by the reset (DISCARD ALL) after the run",
    ),
    Payload(
        "take the scheduler's lock for the transaction",
        "SELECT pg_advisory_xact_lock({lock_key}) AS taken",
        HARMLESS,
        "advisory locks are per database",
    ),
    Payload(
        "try the scheduler's lock, shared",
        "SELECT pg_try_advisory_lock_shared({lock_key}) AS taken",
        HARMLESS,
        "advisory locks are per database",
    ),
    not_a_query("lock a table for everyone", "LOCK TABLE victims IN ACCESS EXCLUSIVE MODE"),
    Payload(
        "lock rows for update",
        "SELECT * FROM victims FOR UPDATE",
        FAILED,
        "cannot execute SELECT FOR UPDATE in a read-only transaction",
    ),
    # --- ReportFlow's tables and the catalogue -------------------------------------------------
    Payload(
        "read ReportFlow's reports",
        "SELECT * FROM reports",
        REFUSED,
        'relation "reports" does not exist',
    ),
    Payload(
        "read ReportFlow's tables next to its own",
        "SELECT * FROM victims, report_runs",
        REFUSED,
        'relation "report_runs" does not exist',
    ),
    Payload(
        "read ReportFlow's accounts",
        "SELECT * FROM public.accounts",
        REFUSED,
        'relation "public.accounts" does not exist',
    ),
    Payload(
        "read ReportFlow's API tokens",
        "SELECT * FROM api_tokens",
        REFUSED,
        'relation "api_tokens" does not exist',
    ),
    Payload(
        "read ReportFlow's sessions",
        "SELECT * FROM browser_sessions",
        REFUSED,
        'relation "browser_sessions" does not exist',
    ),
    Payload(
        "read ReportFlow's audit log",
        "SELECT * FROM audit_log",
        REFUSED,
        'relation "audit_log" does not exist',
    ),
    Payload(
        "read the system of record across databases",
        "SELECT * FROM {record_database}.public.reports",
        REFUSED,
        "cross-database references are not implemented",
    ),
    denied("read password hashes", "SELECT rolname, rolpassword FROM pg_authid", "table pg_authid"),
    denied("read password hashes through pg_shadow", "SELECT * FROM pg_shadow", "view pg_shadow"),
    Payload(
        "read column statistics",
        "SELECT * FROM pg_statistic",
        REFUSED,
        "column types cannot be read",
    ),
    denied("read pg_hba.conf", "SELECT * FROM pg_hba_file_rules", "view pg_hba_file_rules"),
    denied(
        "read the configuration files", "SELECT * FROM pg_file_settings", "view pg_file_settings"
    ),
    Payload(
        "read other roles' queries",
        "SELECT query FROM pg_stat_activity WHERE usename <> current_user "
        "AND query NOT IN ('<insufficient privilege>', '')",
        HARMLESS,
        "other roles' query texts are hidden",
        row_count=0,
    ),
    Payload(
        "read hidden settings",
        "SELECT name, setting FROM pg_settings "
        "WHERE name IN ('data_directory', 'config_file', 'hba_file')",
        HARMLESS,
        "settings the role may not read are left out",
        row_count=0,
    ),
    Payload(
        "run a write nested in query_to_xml",
        "SELECT query_to_xml('DELETE FROM victims RETURNING id', true, false, '')",
        FAILED,
        "DELETE is not allowed in a non-volatile function",
    ),
    denied(
        "read password hashes nested in query_to_xml",
        "SELECT query_to_xml('SELECT rolpassword FROM pg_authid', true, false, '')",
        "table pg_authid",
    ),
    # --- Smuggling a second statement --------------------------------------------------------
    Payload(
        "a second statement",
        "SELECT 1; DELETE FROM victims",
        REFUSED,
        "cannot insert multiple commands into a prepared statement",
    ),
    Payload(
        "a second statement after a block comment",
        "SELECT 1 /* ; */; DROP TABLE victims",
        REFUSED,
        "cannot insert multiple commands",
    ),
    Payload(
        "a second statement after a line comment",
        "SELECT 1 -- comment\n; DELETE FROM victims",
        REFUSED,
        "cannot insert multiple commands",
    ),
    Payload(
        "a second statement after a dollar-quoted string",
        "SELECT $a$x$a$; DELETE FROM victims",
        REFUSED,
        "cannot insert multiple commands",
    ),
    Payload(
        "a statement inside a dollar-quoted string",
        "SELECT $$; DELETE FROM victims; $$ AS text",
        HARMLESS,
        "the statement is a string literal",
    ),
    Payload(
        "a statement inside an E-string with an escaped quote",
        "SELECT E'\\'; DELETE FROM victims; --' AS text",
        HARMLESS,
        "the statement is a string literal",
    ),
    Payload(
        "a second statement after a unicode-escaped quote",
        "SELECT U&'\\0027'; DELETE FROM victims",
        REFUSED,
        "cannot insert multiple commands",
    ),
    Payload(
        "a fullwidth semicolon", "SELECT 1\uff1b DELETE FROM victims", REFUSED, "trailing junk"
    ),
    Payload(
        "a statement commented out",
        "/* ; */ SELECT 1 AS one /* ; DELETE FROM victims */",
        HARMLESS,
        "comments are not statements",
    ),
    Payload(
        "escape the subquery wrapping",
        "SELECT 1\n) AS q; DELETE FROM victims; SELECT * FROM (SELECT 1",
        REFUSED,
        "syntax error",
    ),
    Payload(
        "a trailing comment that would swallow the wrapping",
        "SELECT 1 AS one -- )",
        HARMLESS,
        "the wrapping puts a newline before its parenthesis",
    ),
    # --- Writes dressed as queries -------------------------------------------------------------
    not_a_query(
        "a CTE that deletes", "WITH d AS (DELETE FROM victims RETURNING *) SELECT * FROM d"
    ),
    not_a_query(
        "a CTE that updates",
        "WITH u AS (UPDATE victims SET id = -id RETURNING id) SELECT id FROM u",
    ),
    not_a_query(
        "a CTE that inserts",
        "WITH i AS (INSERT INTO victims VALUES (999) RETURNING id) SELECT id FROM i",
    ),
    not_a_query("DELETE RETURNING", "DELETE FROM victims RETURNING *"),
    not_a_query("INSERT RETURNING", "INSERT INTO victims VALUES (1000) RETURNING id"),
    not_a_query("UPDATE RETURNING", "UPDATE victims SET id = -id RETURNING id"),
    not_a_query("SELECT INTO a new table", "SELECT * INTO stolen FROM victims"),
    not_a_query("CREATE TABLE AS", "CREATE TABLE stolen AS SELECT * FROM victims"),
    not_a_query("a temporary table", "CREATE TEMP TABLE stolen AS SELECT 1 AS one"),
    not_a_query("TRUNCATE", "TRUNCATE victims"),
    not_a_query("DROP TABLE", "DROP TABLE victims"),
    not_a_query("ALTER TABLE", "ALTER TABLE victims ADD COLUMN owned integer"),
    not_a_query("GRANT", "GRANT ALL ON victims TO PUBLIC"),
    not_a_query(
        "a function of its own", "CREATE FUNCTION owned() RETURNS int LANGUAGE sql AS 'SELECT 1'"
    ),
    not_a_query("DO", "DO $$BEGIN DELETE FROM victims; END$$"),
    Payload("CALL", "CALL owned()", REFUSED, "does not exist"),
    not_a_query("LISTEN", "LISTEN reportflow"),
    not_a_query("NOTIFY", "NOTIFY reportflow, 'owned'"),
    Payload(
        "pg_notify",
        "SELECT pg_notify('reportflow', 'owned') AS sent",
        HARMLESS,
        "only listeners of the data source's own database hear it; ReportFlow listens to none",
    ),
    not_a_query("PREPARE", "PREPARE owned AS DELETE FROM victims"),
    not_a_query("EXECUTE", "EXECUTE owned"),
    not_a_query("DECLARE a cursor", "DECLARE owned CURSOR FOR SELECT * FROM victims"),
    not_a_query("FETCH from a cursor", "FETCH ALL FROM owned"),
    not_a_query("EXPLAIN ANALYZE a write", "EXPLAIN ANALYZE DELETE FROM victims"),
    not_a_query("SHOW", "SHOW ALL"),
    not_a_query("VACUUM", "VACUUM FULL victims"),
    Payload(
        "a parameter to be bound later",
        "SELECT * FROM victims WHERE id = $1",
        REFUSED,
        "must not contain parameters",
    ),
    # --- Resource bombs, bounded by the run's limits -------------------------------------------
    Payload(
        "run away (timeout_seconds)",
        "SELECT count(*) FROM (SELECT generate_series(1, 100000000000)) AS rows",
        FAILED,
        "statement timeout",
    ),
    Payload("sleep for an hour", "SELECT pg_sleep(3600)", FAILED, "statement timeout"),
    Payload(
        "sleep row by row",
        "SELECT pg_sleep(1) FROM generate_series(1, 100)",
        FAILED,
        "statement timeout",
    ),
    Payload(
        "fill the server's disk (temp_file_limit or the timeout)",
        "SELECT count(*) FROM generate_series(1, 100000000000)",
        FAILED,
        ("temp_file_limit", "statement timeout"),
    ),
    Payload(
        "endless rows",
        "SELECT generate_series(1, 10000000000) AS g",
        FAILED,
        ("MAX_RUN_ROWS", "MAX_RUN_BYTES"),
    ),
    Payload(
        "endless recursion",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r",
        FAILED,
        ("MAX_RUN_ROWS", "MAX_RUN_BYTES"),
    ),
    Payload(
        "a cartesian explosion",
        "SELECT a FROM generate_series(1, 100000) AS a, generate_series(1, 100000) AS b",
        FAILED,
        ("MAX_RUN_ROWS", "MAX_RUN_BYTES"),
    ),
    Payload("one enormous value", "SELECT repeat('x', 20000000) AS huge", FAILED, "MAX_RUN_BYTES"),
    Payload(
        "few rows of huge values",
        "SELECT repeat(md5(g::text), 100000) FROM generate_series(1, 100) AS g",
        FAILED,
        "MAX_RUN_BYTES",
    ),
    Payload(
        "grow one aggregate without end",
        "SELECT length(string_agg(md5(g::text), '')) FROM generate_series(1, 1000000000) AS g",
        FAILED,
        ("statement timeout", "temp_file_limit"),
    ),
]


@dataclass(frozen=True)
class Fingerprint:
    canary: str
    victims: str
    large_objects: tuple[int, int]
    source_tables: str
    role_settings: str | None
    record_advisory_locks: int
    escape_file: bool


@dataclass(frozen=True)
class Arena:
    """The limited system, its database's canary table and sessions a payload may try to kill."""

    system: LimitedSystem
    db: asyncpg.Connection
    source_db: asyncpg.Connection
    victims: list[asyncpg.Connection]
    role: str
    placeholders: dict[str, str]

    async def fingerprint(self) -> Fingerprint:
        db, source_db = self.db, self.source_db
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
            source_tables=await source_db.fetchval(
                "SELECT string_agg(schemaname || '.' || tablename, ',' ORDER BY 1) FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            ),
            role_settings=await source_db.fetchval(
                "SELECT rolconfig::text FROM pg_roles WHERE rolname = $1", self.role
            ),
            record_advisory_locks=await db.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            escape_file=ESCAPE_FILE.exists(),
        )


@pytest.fixture(scope="module")
async def arena(limited_system: LimitedSystem, data_source: SandboxSource) -> AsyncIterator[Arena]:
    db = limited_system.scenario.db
    await db.execute(
        "CREATE TABLE IF NOT EXISTS hostile_canary AS SELECT g AS id, md5(g::text) AS secret "
        "FROM generate_series(1, 20) AS g"
    )
    source_db = await asyncpg.connect(data_source.admin_url)
    victims = [
        await asyncpg.connect(limited_system.scenario.database_url),
        await asyncpg.connect(data_source.admin_url),
    ]
    placeholders = {
        "record_database": await db.fetchval("SELECT current_database()"),
        "victim_pid": str(await victims[0].fetchval("SELECT pg_backend_pid()")),
        "escape_file": str(ESCAPE_FILE),
        "lock_key": str(LOCK_KEY),
    }
    yield Arena(limited_system, db, source_db, victims, data_source.role, placeholders)
    for connection in [source_db, *victims]:
        await connection.close()


async def _saved_or_stored(client: httpx.AsyncClient, payload: Payload, sql: str) -> str:
    """The report's id: saved through the API, or, when the API refuses it as the row says,
    stored directly as if that check had been bypassed."""
    saved = await client.post(
        "/api/reports",
        json={"name": uuid.uuid4().hex, "sql_query": sql, "timeout_seconds": TIMEOUT_SECONDS},
    )
    if payload.outcome != REFUSED:
        assert saved.status_code == 201, saved.text
        return str(saved.json()["id"])
    assert saved.status_code == 422, saved.text
    (error,) = saved.json()["detail"]
    assert error["loc"] == ["body", "sql_query"]
    assert payload.explains(error["msg"]), error
    return await create_report(client, "SELECT 1 AS one", timeout_seconds=TIMEOUT_SECONDS)


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda payload: payload.attack)
async def test_hostile_sql_is_refused_or_harmless(arena: Arena, payload: Payload) -> None:
    client = arena.system.client
    sql = payload.sql.format(**arena.placeholders)
    before = await arena.fingerprint()

    report_id = await _saved_or_stored(client, payload, sql)
    await arena.db.execute("UPDATE reports SET sql_query = $1 WHERE id = $2", sql, report_id)
    run = await run_and_wait(client, report_id, WAIT)

    if payload.outcome == HARMLESS:
        assert run["status"] == "SUCCESS", run
        if payload.row_count is not None:
            assert run["row_count"] == payload.row_count, run
    else:
        assert run["status"] == "FAILED", run
        assert payload.explains(str(run["error_message"])), run
    assert await arena.fingerprint() == before
    for victim in arena.victims:
        assert await victim.fetchval("SELECT 1") == 1


def test_the_corpus_covers_at_least_80_attacks_each_named_once() -> None:
    attacks = [payload.attack for payload in PAYLOADS]
    assert len(attacks) >= 80
    assert len(set(attacks)) == len(attacks)


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
                # DISTINCT: an earlier payload's backend may still be exiting with the same
                # lock while this run's backend waits for it (two rows, one database).
                "SELECT DISTINCT d.datname FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid "
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

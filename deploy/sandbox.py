"""The demo data source as a sandbox: a database of its own read through a login role that may
only SELECT its tables (no superuser, no server-file or signal roles, no large objects, no
dblink, no CREATE or TEMP, no CONNECT on the system of record), with role-level limits.

Idempotent: every statement either creates what is missing or re-applies the same rights, so
a second `make run` (or a changed setting) converges on the same sandbox.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import asyncpg

from shared.data_source_rights import SERVER_ROLES

# Functions that create, write or export large objects, and the extensions that reach other
# databases or servers: revoked from PUBLIC in the sandbox database (functions are per database).
RISKY_FUNCTIONS = """
SELECT p.oid::regprocedure::text
  FROM pg_proc p
 WHERE p.proname ~ '^(lo_|be_lo_)' OR p.proname IN ('loread', 'lowrite')
    OR p.oid IN (SELECT d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                  WHERE d.classid = 'pg_proc'::regclass
                    AND d.refclassid = 'pg_extension'::regclass
                    AND e.extname IN ('dblink', 'postgres_fdw'))
"""


@dataclass(frozen=True)
class SandboxLimits:
    statement_timeout: str = "5min"
    temp_file_limit: str = "1GB"
    connection_limit: int = 20


def reader_url(admin_url: str, role: str, password: str | None, database: str) -> str:
    """`admin_url`'s server, as `role` (with `password`, if any) on `database`."""
    parts = urlsplit(admin_url)
    secret = f":{quote(password, safe='')}" if password else ""
    host = parts.netloc.rpartition("@")[2]
    return (
        parts._replace(netloc=f"{quote(role, safe='')}{secret}@{host}", path=f"/{database}")
        ._replace(query="")
        .geturl()
    )


async def _execute_formatted(
    connection: "asyncpg.Connection[Any]", template: str, *args: Any
) -> None:
    """Runs `format(template, args...)`: identifiers (%I) and literals (%L) quoted by PostgreSQL."""
    statement = await connection.fetchval(
        f"SELECT format($1, {', '.join(f'${i + 2}::text' for i in range(len(args)))})",
        template,
        *args,
    )
    await connection.execute(statement)


async def ensure_reader_role(
    connection: "asyncpg.Connection[Any]", role: str, password: str | None, limits: SandboxLimits
) -> None:
    """The login role with nothing but LOGIN, its limits, and no server-role membership.

    Refuses (ValueError) to turn a superuser or the administrator's own login into a reader."""
    existing = await connection.fetchrow(
        "SELECT rolsuper OR rolname = current_user AS protected FROM pg_roles WHERE rolname = $1",
        role,
    )
    if existing is None:
        await _execute_formatted(connection, "CREATE ROLE %I LOGIN", role)
    elif existing["protected"]:
        raise ValueError(
            f"role {role!r} is a superuser or the login setting up the sandbox; the data "
            "source's reader must be a role of its own (change DATA_SOURCE_URL's user)"
        )
    await _execute_formatted(
        connection,
        "ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS "
        f"INHERIT CONNECTION LIMIT {int(limits.connection_limit)} "
        + ("PASSWORD %L" if password else "PASSWORD NULL"),
        role,
        *([password] if password else []),
    )
    for server_role in SERVER_ROLES:
        await _execute_formatted(connection, "REVOKE %I FROM %I", server_role, role)
    for name, value in (
        ("statement_timeout", limits.statement_timeout),
        ("temp_file_limit", limits.temp_file_limit),
        ("default_transaction_read_only", "on"),
    ):
        await _execute_formatted(connection, f"ALTER ROLE %I SET {name} = %L", role, value)


async def grant_reading(sandbox: "asyncpg.Connection[Any]", role: str) -> None:
    """SELECT on every table in the sandbox's public schema, and nothing else there.

    `sandbox` is an administrator's connection to the sandbox database."""
    database = await sandbox.fetchval("SELECT current_database()")
    await _execute_formatted(sandbox, "REVOKE ALL ON DATABASE %I FROM PUBLIC, %I", database, role)
    await _execute_formatted(sandbox, "GRANT CONNECT ON DATABASE %I TO %I", database, role)
    await _execute_formatted(sandbox, "REVOKE ALL ON SCHEMA public FROM PUBLIC, %I", role)
    await _execute_formatted(sandbox, "GRANT USAGE ON SCHEMA public TO %I", role)
    await _execute_formatted(sandbox, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO %I", role)
    for function in await sandbox.fetch(RISKY_FUNCTIONS):
        await _execute_formatted(
            sandbox, f"REVOKE EXECUTE ON FUNCTION {function[0]} FROM PUBLIC, %I", role
        )


async def close_system_of_record(record: "asyncpg.Connection[Any]", role: str) -> None:
    """No CONNECT on the system of record for the role, nor for PUBLIC (the login that runs
    this keeps it explicitly; other logins of the system of record need their own GRANT)."""
    database = await record.fetchval("SELECT current_database()")
    await _execute_formatted(record, "GRANT CONNECT ON DATABASE %I TO CURRENT_USER", database)
    await _execute_formatted(
        record, "REVOKE CONNECT ON DATABASE %I FROM PUBLIC, %I", database, role
    )

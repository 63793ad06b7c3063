"""What the data source role may do beyond reading, and the refusal to run report SQL with it.

A READ ONLY transaction stops plain writes, but not what a privileged role can do from a
SELECT: read and write server files, run programs, terminate other sessions. A role that may
write would write as soon as someone points another tool at it, and report SQL on the system
of record's own database reads ReportFlow's tables and takes its advisory locks. The runner and
the API (which prepares report SQL on the data source) refuse such a data source unless
ALLOW_PRIVILEGED_DATA_SOURCE=true, which logs every excess right at every start instead.
"""

import logging
from dataclasses import dataclass

import asyncpg

log = logging.getLogger(__name__)

# Membership is enough (MEMBER, not USAGE): a NOINHERIT member can still SET ROLE to it from a
# SELECT with set_config('role', ...).
SERVER_ROLES = (
    "pg_read_server_files",
    "pg_write_server_files",
    "pg_execute_server_program",
    "pg_signal_backend",
)

RIGHTS_QUERY = """
SELECT current_user AS role,
       r.rolsuper AS superuser,
       ARRAY(SELECT name FROM unnest($1::text[]) AS name
              WHERE pg_has_role(current_user, name, 'MEMBER')) AS server_roles,
       (SELECT count(*)
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'f')  -- tables, views and foreign tables
           AND NOT c.relispartition  -- counted through their parent
           AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND has_schema_privilege(n.oid, 'USAGE')
           AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')) AS writable_tables
  FROM pg_roles r
 WHERE r.rolname = current_user
"""
# The same cluster (system identifier) and database, however the two URLs spell the address.
DATABASE_IDENTITY_QUERY = (
    "SELECT (SELECT system_identifier FROM pg_control_system())::text || '/' || current_database()"
)
CONNECT_TIMEOUT_SECONDS = 5.0


class DataSourceRefused(Exception):
    """The data source is missing or may do more than read; the message says how to fix it."""


class DataSourceUnreachable(Exception):
    """The data source (or the system of record) did not answer, so its rights are unknown."""


@dataclass(frozen=True)
class DataSourceRights:
    role: str
    superuser: bool
    server_roles: tuple[str, ...]
    writable_tables: int
    is_system_of_record: bool

    def excess(self) -> list[str]:
        """What report SQL could do beyond reading, in words; empty for a sandboxed role."""
        found = []
        if self.is_system_of_record:
            found.append("runs on the system of record's own database (DATABASE_URL)")
        if self.superuser:
            found.append("is a superuser")  # and so a member of every role
        else:
            found += [f"is a member of {role}" for role in self.server_roles]
        if self.writable_tables:
            found.append(f"may write to {self.writable_tables} table(s) or view(s)")
        return found


async def _database_identity(connection: "asyncpg.Connection[asyncpg.Record]") -> str:
    return str(await connection.fetchval(DATABASE_IDENTITY_QUERY))


async def data_source_rights(data_source_url: str, database_url: str) -> DataSourceRights:
    """Raises DataSourceUnreachable when either database does not answer."""
    try:
        source = await asyncpg.connect(data_source_url, timeout=CONNECT_TIMEOUT_SECONDS)
        try:
            row = await source.fetchrow(RIGHTS_QUERY, list(SERVER_ROLES))
            source_identity = await _database_identity(source)
        finally:
            await source.close()
        record = await asyncpg.connect(database_url, timeout=CONNECT_TIMEOUT_SECONDS)
        try:
            record_identity = await _database_identity(record)
        finally:
            await record.close()
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise DataSourceUnreachable(f"{type(error).__name__}: {error}") from error
    if row is None:
        raise DataSourceRefused("the data source's current_user has no pg_roles row")
    return DataSourceRights(
        role=row["role"],
        superuser=row["superuser"],
        server_roles=tuple(row["server_roles"]),
        writable_tables=int(row["writable_tables"]),
        is_system_of_record=source_identity == record_identity,
    )

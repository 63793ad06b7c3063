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

# The same cluster (system identifier) and database, however the two URLs spell the address.
DATABASE_IDENTITY = (
    "(SELECT system_identifier FROM pg_control_system())::text || '/' || current_database()"
)
DATABASE_IDENTITY_QUERY = f"SELECT {DATABASE_IDENTITY} AS identity"
RIGHTS_QUERY = f"""
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
           AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')) AS writable_tables,
       {DATABASE_IDENTITY} AS identity
  FROM pg_roles r
 WHERE r.rolname = current_user
"""
CONNECT_TIMEOUT_SECONDS = 5.0


class DataSourceRefused(Exception):
    """The data source is missing or may do more than read; the message says how to fix it."""


class DataSourceUnreachable(Exception):
    """The data source (or the system of record) did not answer, so its rights are unknown."""


class RightsUnknown(Exception):
    """The data source answered but refused the checking queries (not PostgreSQL, or hardened)."""


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


# Errors of a server that is not there (yet), as opposed to one that refuses a query.
CONNECTION_ERRORS = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)


async def _connect(url: str) -> "asyncpg.Connection[asyncpg.Record]":
    """Any failure to connect (refused, not started, unknown database, bad password) is the
    server not being reachable yet: logged and retried, never a silent pass."""
    try:
        return await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_SECONDS)
    except (*CONNECTION_ERRORS, asyncpg.PostgresError) as error:
        raise DataSourceUnreachable(f"{type(error).__name__}: {error}") from error


async def _fetch(url: str, query: str, *args: object) -> asyncpg.Record:
    connection = await _connect(url)
    try:
        row = await connection.fetchrow(query, *args)
    except CONNECTION_ERRORS as error:
        raise DataSourceUnreachable(f"{type(error).__name__}: {error}") from error
    except asyncpg.PostgresError as error:
        raise RightsUnknown(f"{type(error).__name__}: {error}") from error
    finally:
        await connection.close()
    if row is None:
        raise RightsUnknown("the data source's current_user has no pg_roles row")
    return row


async def data_source_rights(data_source_url: str, database_url: str) -> DataSourceRights:
    """Raises DataSourceUnreachable when either database does not answer, RightsUnknown when
    the data source answers but cannot say what its role may do."""
    row = await _fetch(data_source_url, RIGHTS_QUERY, list(SERVER_ROLES))
    record = await _fetch(database_url, DATABASE_IDENTITY_QUERY)
    return DataSourceRights(
        role=row["role"],
        superuser=row["superuser"],
        server_roles=tuple(row["server_roles"]),
        writable_tables=int(row["writable_tables"]),
        is_system_of_record=row["identity"] == record["identity"],
    )

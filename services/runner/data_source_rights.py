"""Says at start-up when report SQL would run with more rights than reading.

A READ ONLY transaction stops plain writes, but not what a privileged role can do from a
SELECT (terminate backends, read server files, take advisory locks), and a role that may
write would write as soon as someone points another tool at it. The runner warns, it does
not refuse: the default development set-up runs as the system-of-record's own login.
"""

import logging
from dataclasses import dataclass

import asyncpg

log = logging.getLogger(__name__)

RIGHTS_QUERY = """
SELECT current_user AS role,
       r.rolsuper AS superuser,
       -- MEMBER, not USAGE: a NOINHERIT member can still SET ROLE from a SELECT (set_config).
       pg_has_role(current_user, 'pg_read_server_files', 'MEMBER')
         OR pg_has_role(current_user, 'pg_signal_backend', 'MEMBER')
         OR pg_has_role(current_user, 'pg_write_server_files', 'MEMBER') AS server_roles,
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


@dataclass(frozen=True)
class DataSourceRights:
    role: str
    superuser: bool
    server_roles: bool
    writable_tables: int

    def excess(self) -> list[str]:
        """What the role may do beyond reading, in words; empty for a read-only role."""
        found = []
        if self.superuser:
            found.append("is a superuser")
        elif self.server_roles:
            found.append("holds pg_read_server_files, pg_write_server_files or pg_signal_backend")
        if self.writable_tables:
            found.append(f"may write to {self.writable_tables} table(s) or view(s)")
        return found


CONNECT_TIMEOUT_SECONDS = 5.0


async def data_source_rights(dsn: str) -> DataSourceRights:
    connection = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT_SECONDS)
    try:
        row = await connection.fetchrow(RIGHTS_QUERY)
    finally:
        await connection.close()
    if row is None:
        raise RuntimeError("the data source's current_user has no pg_roles row")
    return DataSourceRights(
        row["role"], row["superuser"], row["server_roles"], int(row["writable_tables"])
    )


async def warn_about_data_source_rights(dsn: str) -> None:
    """Logs one warning naming what the data source role may do beyond reading; never raises
    (a data source that is down is the run's failure to report, not the start-up's)."""
    try:
        rights = await data_source_rights(dsn)
    except Exception as error:  # the check is advice: nothing it meets may stop the runner
        log.warning("could not check the data source role's rights: %s", error)
        return
    excess = rights.excess()
    if excess:
        log.warning(
            "report SQL runs as role %r, which %s; point DATA_SOURCE_URL at a role that may "
            "only read what reports may see",
            rights.role,
            " and ".join(excess),
        )

"""Start-up rule of the runner and the API: report SQL runs only on a data source that reads.

DATA_SOURCE_URL has no default and no fallback to DATABASE_URL; a role with more than reading
rights is refused unless ALLOW_PRIVILEGED_DATA_SOURCE=true, which logs a warning naming each
excess right instead.
"""

import asyncio
import logging
from typing import NoReturn

from shared.data_source_rights import (
    DataSourceRefused,
    DataSourceRights,
    DataSourceUnreachable,
    RightsUnknown,
    data_source_rights,
)
from shared.settings import DatabaseSettings

log = logging.getLogger(__name__)

HOW_TO_FIX = (
    "Point DATA_SOURCE_URL at a login role that may only SELECT what reports may see, in a "
    "database other than the system of record (README, 'Security model', has the SQL), or set "
    "ALLOW_PRIVILEGED_DATA_SOURCE=true to run report SQL with these rights anyway."
)
EXIT_REFUSED = 2  # a configuration error: restarting the process cannot help
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0


def required_data_source_url(settings: DatabaseSettings) -> str:
    """DATA_SOURCE_URL; raises DataSourceRefused when it is not set (no fallback)."""
    url = settings.data_source_dsn
    if url is None:
        raise DataSourceRefused(
            "DATA_SOURCE_URL is not set, so there is no database to run report SQL on. It no "
            "longer falls back to DATABASE_URL: report SQL on the system of record could read "
            "ReportFlow's own tables. Set DATA_SOURCE_URL to a read-only role on your data "
            "(`make run` and docker compose set it to the demo sandbox)."
        )
    return url


def judge(rights: DataSourceRights, allow_privileged: bool) -> None:
    """Raises DataSourceRefused naming every excess right, or logs them when allowed."""
    excess = rights.excess()
    if not excess:
        log.info("data source role %r may only read", rights.role)
        return
    summary = f"Report SQL would run as role {rights.role!r}, which " + "; ".join(excess) + "."
    if not allow_privileged:
        raise DataSourceRefused(f"{summary} {HOW_TO_FIX}")
    log.warning(
        "ALLOW_PRIVILEGED_DATA_SOURCE=true: %s Any report can use these rights; reports are "
        "not sandboxed.",
        summary,
    )


def exit_refused(refusal: DataSourceRefused) -> NoReturn:
    """Logs the refusal as one paragraph and ends the process with EXIT_REFUSED."""
    log.critical("refusing to start: %s", refusal)
    raise SystemExit(EXIT_REFUSED)


async def check_data_source(settings: DatabaseSettings) -> str:
    """DATA_SOURCE_URL once checked; raises DataSourceRefused or DataSourceUnreachable."""
    url = required_data_source_url(settings)
    try:
        rights = await data_source_rights(url, settings.database_dsn)
    except RightsUnknown as error:
        unknown = f"The data source role's rights could not be checked ({error})."
        if not settings.allow_privileged_data_source:
            raise DataSourceRefused(f"{unknown} {HOW_TO_FIX}") from error
        log.warning("ALLOW_PRIVILEGED_DATA_SOURCE=true: %s Reports may not be sandboxed.", unknown)
        return url
    judge(rights, settings.allow_privileged_data_source)
    return url


async def check_data_source_at_start(settings: DatabaseSettings) -> None:
    """One check that exits the process if refused; a data source that does not answer yet is
    only logged, for callers that check again before first use (the API's SQL checker)."""
    try:
        await check_data_source(settings)
    except DataSourceRefused as refusal:
        exit_refused(refusal)
    except DataSourceUnreachable as error:
        log.warning("cannot check the data source's rights yet (%s); checked on first use", error)


async def check_data_source_when_reachable(
    settings: DatabaseSettings, stop: asyncio.Event
) -> str | None:
    """Retries with backoff (1 s doubling to 30 s) until both databases answer, then checks,
    exiting the process if refused; None if told to stop first. A warehouse that is down at
    start-up is waited for, not turned into a crash loop."""
    delay = FIRST_RETRY_SECONDS
    while not stop.is_set():
        try:
            return await check_data_source(settings)
        except DataSourceRefused as refusal:
            exit_refused(refusal)
        except DataSourceUnreachable as error:
            log.warning(
                "cannot check the data source's rights yet (%s); retrying in %.0f s", error, delay
            )
        try:
            await asyncio.wait_for(stop.wait(), delay)
        except TimeoutError:
            delay = min(delay * 2, MAX_RETRY_SECONDS)
    return None

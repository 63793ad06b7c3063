"""FastAPI dependencies: each route receives only the typed pieces it uses, never the Runtime.

Each request gets one session in one transaction (`SessionDep`): it commits when the route
returns, before the answer is sent, so a client that got a 201 reads its own write; it rolls back
when the route raises. `ReportDep`, `RunDep` and `RunQueueDep` share that session. A route that
needs several transactions (`?wait` reads the run in its own when woken) uses the sessionmaker
instead.
"""

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.api.authentication import Caller
from services.api.errors import NotFound, Unauthenticated
from services.api.run_queue import RunQueue
from services.api.run_waiting import RunWaiter
from services.api.runtime import Runtime
from services.api.settings import ApiSettings
from services.api.sql_check import SqlChecker
from shared.health import check_dependencies
from shared.models import Report, ReportRun


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_settings(request: Request) -> ApiSettings:
    return _runtime(request).settings


def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    return _runtime(request).sessions


def get_sql_checker(request: Request) -> SqlChecker:
    return _runtime(request).sql_checker


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
SessionMakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)]
SqlCheckerDep = Annotated[SqlChecker, Depends(get_sql_checker)]


async def request_session(sessions: SessionMakerDep) -> AsyncIterator[AsyncSession]:
    """A route may commit early (to wait for what it committed); the final commit is then a
    no-op. The connection is taken on first use, so checks before that hold none."""
    async with sessions() as session:
        yield session
        await session.commit()


# "function": the commit happens before the answer is sent, and a failing commit is answered.
SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]


async def report_from_path(report_id: uuid.UUID, session: SessionDep) -> Report:
    report = await session.get(Report, report_id)
    if report is None:
        raise NotFound("report", report_id)
    return report


async def run_from_path(run_id: uuid.UUID, session: SessionDep) -> ReportRun:
    run = await session.get(ReportRun, run_id)
    if run is None:
        raise NotFound("run", run_id)
    return run


ReportDep = Annotated[Report, Depends(report_from_path)]
RunDep = Annotated[ReportRun, Depends(run_from_path)]


def get_run_queue(request: Request, session: SessionDep) -> RunQueue:
    return RunQueue(session, _runtime(request).relay)


def get_run_waiter(request: Request, sessions: SessionMakerDep, settings: SettingsDep) -> RunWaiter:
    return RunWaiter(sessions, _runtime(request).finishes, settings.max_run_wait_seconds)


RunQueueDep = Annotated[RunQueue, Depends(get_run_queue)]
RunWaiterDep = Annotated[RunWaiter, Depends(get_run_waiter)]


async def dependency_checks(request: Request) -> dict[str, str]:
    """`ok` or the reason, for PostgreSQL and RabbitMQ."""
    runtime = _runtime(request)
    return await check_dependencies(runtime.engine, runtime.broker)


DependencyChecksDep = Annotated[dict[str, str], Depends(dependency_checks)]


def current_caller(request: Request) -> Caller:
    """Set by `authorization.authorize`, which runs before every route's own dependencies."""
    caller: Caller | None = getattr(request.state, "caller", None)
    if caller is None:
        raise Unauthenticated()
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]

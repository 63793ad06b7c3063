"""Prometheus metrics of the API, with the system-wide view of runs read from the database."""

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from sqlalchemy import func, select

from services.api.dependencies import SessionDep
from shared.models import OutboxMessage, ReportRun, RunStatus

router = APIRouter(tags=["operations"])

RUNS_BY_STATUS = Gauge("reportflow_runs", "Runs in the system of record, by status", ["status"])
RUNS_WAITING = Gauge("reportflow_runs_waiting", "Runs QUEUED and waiting for a runner")
OLDEST_QUEUED_AGE = Gauge(
    "reportflow_oldest_queued_run_age_seconds", "Age of the oldest QUEUED run (0 when none)"
)
EXPIRED_LEASES = Gauge(
    "reportflow_runs_with_expired_lease",
    "RUNNING runs whose runner stopped renewing its lease (recovered within seconds normally)",
)
OUTBOX_PENDING = Gauge(
    "reportflow_outbox_pending", "Events committed but not yet confirmed by RabbitMQ"
)


@router.get("/metrics", response_class=Response, include_in_schema=True)
async def metrics(session: SessionDep) -> Response:
    """Prometheus text format. `reportflow_runs_waiting` and the oldest QUEUED run's age answer
    "is anything stuck?" in one scrape."""
    rows = await session.execute(select(ReportRun.status, func.count()).group_by(ReportRun.status))
    counts = {status: count for status, count in rows}
    oldest_age = await session.scalar(
        select(func.extract("epoch", func.now() - func.min(ReportRun.queued_at))).where(
            ReportRun.status == RunStatus.QUEUED
        )
    )
    expired = await session.scalar(
        select(func.count()).where(
            ReportRun.status == RunStatus.RUNNING, ReportRun.lease_expires_at < func.now()
        )
    )
    pending = await session.scalar(select(func.count()).where(OutboxMessage.published_at.is_(None)))
    for status in RunStatus:
        RUNS_BY_STATUS.labels(status.value).set(counts.get(status, 0))
    RUNS_WAITING.set(counts.get(RunStatus.QUEUED, 0))
    OLDEST_QUEUED_AGE.set(float(oldest_age or 0))
    EXPIRED_LEASES.set(expired or 0)
    OUTBOX_PENDING.set(pending or 0)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

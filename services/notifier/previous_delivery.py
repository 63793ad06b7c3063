"""Which run of a report was delivered last, for `only_if_changed`; one report's decisions are
made one at a time.

The last delivered run is, among the report's other runs, the one that finished last and whose
own delivery (not a resend) has at least one ledger row on a target (not the LOG row) that is
SENT or still PENDING (claimed, or waiting for a retry). A PENDING row counts: that delivery is
under way, and waiting for its outcome would let a second identical run go out beside it. A
delivery that ended FAILED or SKIPPED on every target reached nobody, so it does not count.

Deciding and writing the rows happen in one transaction that first takes a transaction-level
advisory lock on the report: two run.completed of one report handled at once (by two notifiers,
or two slots of one) are decided one after the other, and the second sees the rows the first
wrote, so both cannot be taken for the first delivery.
"""

import uuid

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifier.decisions import DeliveredRun
from services.notifier.finished_run import FinishedRun
from shared.models import (
    NotificationChannel,
    NotificationLog,
    NotificationStatus,
    ReportRun,
    RunStatus,
)

# The `class` of pg_advisory_xact_lock(class, key) ("RFCH"); the key is the report id's hash.
DELIVERY_DECISION_LOCK_CLASS = 0x52464348
DELIVERING = (NotificationStatus.PENDING, NotificationStatus.SENT)


async def last_delivered_for(session: AsyncSession, run: FinishedRun) -> DeliveredRun | None:
    """For a successful run of an `only_if_changed` report: the report's last delivered run,
    read under the report's lock (held until the caller's transaction ends). None otherwise."""
    if not run.only_if_changed or run.status != RunStatus.SUCCESS or run.report_id is None:
        return None
    await lock_report_deliveries(session, run.report_id)
    return await last_delivered_run(session, run.report_id, run.run_id)


async def lock_report_deliveries(session: AsyncSession, report_id: uuid.UUID) -> None:
    await session.execute(
        select(
            func.pg_advisory_xact_lock(DELIVERY_DECISION_LOCK_CLASS, func.hashtext(str(report_id)))
        )
    )


async def last_delivered_run(
    session: AsyncSession, report_id: uuid.UUID, run_id: uuid.UUID
) -> DeliveredRun | None:
    delivering = exists().where(
        NotificationLog.run_id == ReportRun.id,
        NotificationLog.resend_id.is_(None),
        NotificationLog.channel != NotificationChannel.LOG,
        NotificationLog.status.in_(DELIVERING),
    )
    row = (
        await session.execute(
            select(ReportRun.id, ReportRun.sha256)
            .where(ReportRun.report_id == report_id, ReportRun.id != run_id, delivering)
            # ix_report_runs_report_id_finished_at read backwards, stopping at the first match
            # (unfinished runs, first in DESC order, have no rows, so never match).
            .order_by(ReportRun.finished_at.desc(), ReportRun.id.desc())
            .limit(1)
        )
    ).one_or_none()
    return None if row is None else DeliveredRun(row.id, row.sha256)

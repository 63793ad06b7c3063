"""log the schedules whose fire times change now that cron's rules are followed

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 20:00:00

No schema change and no stored schedule is rewritten: each active report whose next fire
times differ between the old reading (croniter's) and cron's is logged with both, so the
people who own them can check (`0 5-5 * * *` fired every hour; `0 0 */2 * 1` on every other
day or Monday; `*/15 * * * *` paused in the repeated hour of a fall-back night).
"""

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shared.cron import InvalidSchedule, fire_times_under_the_old_rules, next_fire_times

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")
COMPARED_FIRES = 5


def upgrade() -> None:
    now = datetime.now(UTC)
    reports = op.get_bind().execute(
        sa.text(
            "SELECT id, name, schedule_cron, timezone FROM reports "
            "WHERE is_active AND schedule_cron IS NOT NULL ORDER BY name"
        )
    )
    for report in reports:
        try:
            old = fire_times_under_the_old_rules(
                report.schedule_cron, report.timezone, now, COMPARED_FIRES
            )
            new = next_fire_times(report.schedule_cron, report.timezone, now, COMPARED_FIRES)
        except (InvalidSchedule, ValueError) as error:
            log.warning(
                "report %r (%s): schedule %r is not used any more: %s",
                report.name,
                report.id,
                report.schedule_cron,
                error,
            )
            continue
        if [time.astimezone(UTC) for time in new] != old:
            log.warning(
                "report %r (%s): schedule %r now fires at %s (before: %s)",
                report.name,
                report.id,
                report.schedule_cron,
                ", ".join(time.isoformat() for time in new),
                ", ".join(time.astimezone(new[0].tzinfo).isoformat() for time in old),
            )


def downgrade() -> None:
    pass

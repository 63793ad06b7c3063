"""A NOTIFY on channel reportflow_run_finished (payload: the run's id) whenever a run leaves
QUEUED/RUNNING, in the transaction that writes it, so API waiters are woken instead of polling

A trigger rather than a pg_notify in each writer: every path that ends a run (the runner's
finish, lease recovery, any later one such as a cancel) is covered, and NOTIFY is sent only
when that transaction commits.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 23:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Not a list of the final statuses: a final status added later wakes the waiters too.
CREATE_FUNCTION = """
CREATE FUNCTION notify_run_finished() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('reportflow_run_finished', NEW.id::text);
    RETURN NULL;
END
$$
"""
CREATE_TRIGGER = """
CREATE TRIGGER report_runs_notify_finished
AFTER UPDATE OF status ON report_runs
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status
      AND NEW.status::text NOT IN ('QUEUED', 'RUNNING'))
EXECUTE FUNCTION notify_run_finished()
"""


def upgrade() -> None:
    op.execute(CREATE_FUNCTION)
    op.execute(CREATE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER report_runs_notify_finished ON report_runs")
    op.execute("DROP FUNCTION notify_run_finished()")

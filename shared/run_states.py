"""A run's vocabulary without the ORM: what started it and the states it passes through."""

from enum import StrEnum


class RunTrigger(StrEnum):
    MANUAL = "MANUAL"
    SCHEDULE = "SCHEDULE"


class RunStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    # Stopped on request (POST /api/runs/{id}/cancel); never mailed to recipients.
    CANCELLED = "CANCELLED"
    # A scheduled slot not run because the report's previous run was still running (overlap
    # rule `skip`); never mailed to recipients.
    SKIPPED = "SKIPPED"

    @property
    def is_finished(self) -> bool:
        return self in FINISHED_STATUSES


# The one list of final statuses: a new final status is added here and nowhere else.
FINISHED_STATUSES = (RunStatus.SUCCESS, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.SKIPPED)
# Final statuses recipients may be mailed about (notify_on); the others are only logged.
MAILED_STATUSES = (RunStatus.SUCCESS, RunStatus.FAILED)
# Statuses a run may be cancelled in.
CANCELLABLE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)

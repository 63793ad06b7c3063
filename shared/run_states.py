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

    @property
    def is_finished(self) -> bool:
        return self in FINISHED_STATUSES


# The one list of final statuses: a new final status is added here and nowhere else.
FINISHED_STATUSES = (RunStatus.SUCCESS, RunStatus.FAILED)

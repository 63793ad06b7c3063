"""Scheduler settings: the shared blocks plus misfire grace, change polling and leader retries.

Test-only knobs (a fast clock, no leader election) live in services/scheduler/simulation.py.
"""

from pydantic import Field

from shared.settings import WorkerSettings


class SchedulerSettings(WorkerSettings):
    # After downtime, a report's latest missed slot gets one catch-up run if it is at most this
    # old; older misses are skipped (and logged). Also bounds how late an on-time run may be.
    scheduler_misfire_grace_seconds: float = Field(default=300.0, ge=1)
    # How often the reports table is checked for new, edited, disabled or deleted schedules,
    # and the leader checks that it still holds its lock.
    scheduler_poll_seconds: float = Field(default=1.0, gt=0, le=1.0)
    # How often a standby tries to take over leadership.
    scheduler_leader_retry_seconds: float = Field(default=1.0, gt=0)

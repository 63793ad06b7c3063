"""Test-only knobs of the scheduler: a fast clock and replicas without leader election.

They let the tests and bench/ pass through many cron slots in a few real seconds and check the
last line of defence (the unique (report_id, scheduled_for) key). Production leaves them unset.
"""

from datetime import datetime

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SchedulerSimulationSettings(BaseSettings):
    """`SCHEDULER_SIMULATION_*` variables, read from the environment only (never from `.env`,
    so a copied line cannot speed up or un-elect a production scheduler)."""

    model_config = SettingsConfigDict(env_prefix="SCHEDULER_SIMULATION_", extra="ignore")

    # The clock runs this many times faster than real time, counted from `clock_epoch`
    # (give every process of a test the same epoch, so they agree on the time).
    clock_speed: float = Field(default=1.0, gt=0)
    clock_epoch: datetime | None = None
    # What the clock shows at `clock_epoch` (default: the epoch itself), to test a given day.
    clock_start: datetime | None = None
    # Every replica schedules, so only the unique key keeps a slot from running twice.
    without_leader_election: bool = False

    @property
    def active(self) -> bool:
        return (
            self.clock_speed != 1.0 or self.clock_start is not None or self.without_leader_election
        )

"""Schedule preview: check a cron expression and time zone before saving them on a report."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.api.errors import FieldError
from shared.cron import (
    InvalidSchedule,
    describe_cron,
    describe_cron_rules,
    next_fire_times,
    validate_cron,
)
from shared.events import utc_now

router = APIRouter(prefix="/api/schedule", tags=["schedule"])


class SchedulePreview(BaseModel):
    cron: str
    timezone: str
    description: str
    # How the day fields combine and what happens on DST days (cron's rules, in words).
    rules: str
    next_runs: list[datetime]


@router.get(
    "/preview",
    response_model=SchedulePreview,
    responses={422: {"description": "The cron expression or time zone is invalid"}},
)
async def preview_schedule(
    cron: Annotated[str, Query(max_length=100, examples=["0 7 1 * *"])],
    timezone: Annotated[str, Query(max_length=64)] = "UTC",
    count: Annotated[int, Query(ge=1, le=50)] = 5,
) -> SchedulePreview:
    """The next `count` fire times (in the schedule's time zone) and a description."""
    try:
        runs = next_fire_times(cron, timezone, utc_now(), count)  # checks the zone, then cron
        description = describe_cron(cron)
        rules = describe_cron_rules(cron)
    except InvalidSchedule as error:
        field = "cron" if error.field == "schedule_cron" else error.field
        raise FieldError(422, field, str(error), "invalid_schedule", location="query") from error
    return SchedulePreview(
        cron=validate_cron(cron),
        timezone=timezone,
        description=description,
        rules=rules,
        next_runs=runs,
    )

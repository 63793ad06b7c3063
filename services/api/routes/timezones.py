"""The IANA time zones a report may use, for the form's time-zone picker."""

from fastapi import APIRouter, Response

from shared.cron import time_zone_names

router = APIRouter(prefix="/api/timezones", tags=["schedule"])

# The list changes only with the tzdata the process loaded: a browser may keep it a day.
CACHE_SECONDS = 86_400


@router.get("")
async def list_timezones(response: Response) -> list[str]:
    """Every zone name a report's `timezone` accepts, sorted (`UTC`, `Europe/Berlin`, ...)."""
    response.headers["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
    return list(time_zone_names())

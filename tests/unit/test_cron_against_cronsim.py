"""shared.cron against an independent evaluator: cronsim (Healthchecks.io's), which follows
Debian's cron, on seeded random standard expressions, in UTC and across DST changes.

cronsim's known bugs are kept out of the comparison rather than copied: zones with half-hour
DST shifts (Australia/Lord_Howe) and start times inside a repeated hour. One more difference,
found here: cronsim reads an equal-ended range with a step (`21-21/2`) like `21/2` (21 to the
end of the field), where cron's range is the one value; test_cron.py covers that case.
"""

import itertools
import random
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from cronsim import CronSim

from shared.cron import latest_fire_time, next_fire_times

SEED = 20261129
EXPRESSIONS = 400
FIRES = 30
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney"]
# Starts near the 2026 DST changes of those zones, and plain ones.
STARTS = [
    datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
    datetime(2026, 10, 24, 23, 0, tzinfo=UTC),
    datetime(2026, 3, 8, 5, 0, tzinfo=UTC),
    datetime(2026, 10, 31, 4, 30, tzinfo=UTC),
    datetime(2026, 4, 4, 14, 0, tzinfo=UTC),
    datetime(2026, 10, 3, 15, 0, tzinfo=UTC),
    datetime(2026, 6, 15, 12, 7, tzinfo=UTC),
]
_FIELDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def _element(rng: random.Random, low: int, high: int) -> str:
    kind = rng.choice(["star", "step", "value", "range", "range-step", "equal-range"])
    start = rng.randint(low, high)
    end = rng.randint(start, high)
    step = rng.randint(1, max(1, (high - low) // 2))
    return {
        "star": "*",
        "step": f"*/{step}",
        "value": str(start),
        "range": f"{start}-{end}",
        "range-step": f"{start}-{end}/{step}" if end > start else f"{start}-{end}",
        "equal-range": f"{start}-{start}",
    }[kind]


def _expression(rng: random.Random) -> str:
    fields = []
    for index, (low, high) in enumerate(_FIELDS):
        count = 1 if index < 2 and rng.random() < 0.7 else rng.randint(1, 3)
        fields.append(",".join(_element(rng, low, high) for _ in range(count)))
    # Mostly every day or every month, so the comparison reaches many slots quickly.
    if rng.random() < 0.5:
        fields[3] = "*"
    if rng.random() < 0.4:
        fields[2], fields[4] = rng.choice([("*", fields[4]), (fields[2], "*"), ("*", "*")])
    return " ".join(fields)


def _starts_inside_a_repeated_hour(start: datetime, zone: zoneinfo.ZoneInfo) -> bool:
    local = start.astimezone(zone)
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def _cases() -> list[tuple[str, str, datetime]]:
    rng = random.Random(SEED)
    cases = []
    for _ in range(EXPRESSIONS):
        expression = _expression(rng)
        zone = rng.choice(ZONES)
        start = rng.choice(STARTS) + timedelta(minutes=rng.randint(-90, 90))
        if not _starts_inside_a_repeated_hour(start, zoneinfo.ZoneInfo(zone)):
            cases.append((expression, zone, start))
    return cases


def _cronsim_fire_times(expression: str, zone: str, after: datetime) -> list[datetime] | None:
    """None when cronsim finds no slot (an impossible date such as 31 February, which
    shared.cron refuses at save time)."""
    try:
        fires = CronSim(expression, after.astimezone(zoneinfo.ZoneInfo(zone)))
        return [next(fires).astimezone(UTC) for _ in range(FIRES)]
    except (StopIteration, ValueError):
        return None


@pytest.mark.parametrize(("expression", "zone", "after"), _cases())
def test_fire_times_agree_with_cronsim(expression: str, zone: str, after: datetime) -> None:
    expected = _cronsim_fire_times(expression, zone, after)
    if expected is None:
        pytest.skip("cronsim finds no slot for this random expression")
    fired = [time.astimezone(UTC) for time in next_fire_times(expression, zone, after, FIRES)]
    assert fired == expected


@pytest.mark.parametrize(("expression", "zone", "after"), _cases()[::8])
def test_latest_fire_time_finds_each_of_cronsims_slots(
    expression: str, zone: str, after: datetime
) -> None:
    expected = _cronsim_fire_times(expression, zone, after)
    if expected is None:
        pytest.skip("cronsim finds no slot for this random expression")
    for slot, next_slot in itertools.pairwise(expected):
        assert latest_fire_time(expression, zone, slot) == slot
        assert latest_fire_time(expression, zone, next_slot - timedelta(seconds=1)) == slot

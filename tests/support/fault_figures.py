"""Short or long fault scenarios, and the figures each one reports for bench/faults.py.

`make test` runs the short versions. bench/faults.py sets FAULT_SCENARIOS=long (bigger sizes,
longer outages) and FAULT_FIGURES_FILE, to which each scenario appends one JSON line.
"""

import json
import os
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

LONG = os.environ.get("FAULT_SCENARIOS", "short") == "long"


def short_or_long(short: T, long: T) -> T:
    return long if LONG else short


# How long an event may wait in the outbox, at the scenario's scale: a minute would never be
# reached by a short scenario, whose longest outage is 10 s.
OUTBOX_GRACE = short_or_long(timedelta(seconds=15), timedelta(minutes=1))


@dataclass(frozen=True)
class Figures:
    scenario: str
    requested: int
    completed: int
    duplicates: int
    lost: int
    recovery_seconds: float | None
    notes: str = ""


def record_figures(figures: Figures) -> None:
    """Appends the figures to FAULT_FIGURES_FILE, when a benchmark asked for them."""
    destination = os.environ.get("FAULT_FIGURES_FILE")
    if destination:
        with Path(destination).open("a") as file:
            file.write(json.dumps(asdict(figures)) + "\n")

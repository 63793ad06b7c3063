"""Fault scenarios, long versions: requested, completed, duplicates, lost and recovery per scenario.

`python -m bench.faults` runs the proxy-based scenarios of tests/e2e with FAULT_SCENARIOS=long
(a 1,000,000-row export killed 10 times, 60 s black-holes, 200 healthy runs among poison
requests, the leading scheduler killed 10 times, an SMTP outage then 4xx and 5xx, ...) in one
pytest session, which ends each scenario with the invariant check of tests/support/invariants.py,
and prints a Markdown table of the figures each scenario recorded (duplicates and lost are the
checker's counts).
It never stops a server. `--real-restarts` then runs the tests that stop and start the machine's
real PostgreSQL and RabbitMQ (marked `disruptive`, e.g. tests/e2e/test_reconnection.py) and
lists them too; `make faults` runs it that way.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

from bench.environment import PROJECT_ROOT

PROXY_SCENARIOS = [
    "tests/e2e/test_killed_exports.py",
    "tests/e2e/test_postgresql_outage_burst.py",
    "tests/e2e/test_poison_requests.py",
    "tests/e2e/test_black_holes.py",
    "tests/e2e/test_outages.py",
    "tests/e2e/test_broker_cuts_under_load.py",
    "tests/e2e/test_scheduler_failover.py",
    "tests/e2e/test_smtp_faults.py",
]
COLUMNS = ["scenario", "requested", "completed", "duplicates", "lost", "recovery s", "notes"]


def _machine() -> str:
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    load = os.getloadavg()[0]
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{memory_kib / 1024 / 1024:.0f} GiB, {platform.platform()}, "
        f"load average {load:.1f} at the start, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def _run_pytest(selection: list[str], figures: Path, junit: Path) -> int:
    env = {**os.environ, "FAULT_SCENARIOS": "long", "FAULT_FIGURES_FILE": str(figures)}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "timeout=900",
        f"--junitxml={junit}",
        *selection,
    ]
    return subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=False).returncode


def _figure_rows(figures: Path) -> list[list[str]]:
    if not figures.exists():
        return []
    rows = []
    for line in figures.read_text().splitlines():
        recorded = json.loads(line)
        recovery = recorded["recovery_seconds"]
        rows.append(
            [
                recorded["scenario"],
                str(recorded["requested"]),
                str(recorded["completed"]),
                str(recorded["duplicates"]),
                str(recorded["lost"]),
                "—" if recovery is None else f"{recovery:.2f}",
                recorded["notes"],
            ]
        )
    return rows


def _test_rows(junit: Path) -> list[list[str]]:
    rows = []
    if not junit.exists():
        return []
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None
        outcome = "FAILED" if failed else "skipped" if skipped else "passed"
        rows.append([case.get("name", "?"), outcome, f"{float(case.get('time', 0)):.1f}"])
    return rows


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--real-restarts",
        action="store_true",
        help="also stop and start the machine's real PostgreSQL and RabbitMQ",
    )
    options = parser.parse_args()
    selections = [["-m", "not disruptive", *PROXY_SCENARIOS]]
    if options.real_restarts:
        selections.append(["-m", "disruptive", "tests"])
    machine = _machine()
    with tempfile.TemporaryDirectory() as scratch:
        figures = Path(scratch) / "figures.jsonl"
        junits = [Path(scratch) / f"junit-{index}.xml" for index in range(len(selections))]
        exit_codes = [
            _run_pytest(selection, figures, junit)
            for selection, junit in zip(selections, junits, strict=True)
        ]
        print(f"\nMachine: {machine}\n")
        print(_table(COLUMNS, _figure_rows(figures)))
        print()
        tests = [row for junit in junits for row in _test_rows(junit)]
        print(_table(["test", "outcome", "seconds"], tests))
    return max(exit_codes)


if __name__ == "__main__":
    sys.exit(main())

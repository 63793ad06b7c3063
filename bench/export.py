"""Export benchmark: psql \\copy against the runner's engines, as function calls and end to end.

`python -m bench.export [--repeats 3] [--rows 2000000] [--skip-xlsx]` creates (or reuses) a
table of 7 columns with NULLs, quotes, commas, newlines and unicode in the data-source database
`reportflow_bench_source` (the system of record is `reportflow_bench`), read through a
read-only role of the run's own; then measures, interleaved round by round: psql's \\copy; each
engine called in a child process (peak RSS from GNU time); and each format through the running
system (API and runner processes, `POST /api/reports/{id}/run?wait=`; the runner's peak RSS
from /proc VmHWM, reset before every run). Prints a Markdown table of medians.
"""

import argparse
import asyncio
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from bench.environment import (
    AMQP_URL,
    PROJECT_ROOT,
    create_database,
    database_url,
    reader_role,
    service_env,
    wait_healthy,
)
from services.runner.exporters.request import ExportRequest
from services.runner.exporters.selector import CsvEngine, Exporter
from shared.events import utc_now
from shared.messaging import delete_namespace
from shared.migrate import upgrade_to_head
from shared.models import Compression, OutputFormat

BENCH_DSN = database_url("reportflow_bench")  # the system of record
SOURCE_DATABASE = "reportflow_bench_source"
QUERY = "SELECT * FROM bench_rows"
TABLE = """
CREATE TABLE bench_rows AS
SELECT g::bigint AS id,
  CASE WHEN g % 50 = 0 THEN NULL
       WHEN g % 50 = 1 THEN 'say "hi", ' || g
       WHEN g % 50 = 2 THEN E'line\\nbreak ' || g
       WHEN g % 50 = 3 THEN 'Grüße 日本 🎉 ' || g
       ELSE 'customer ' || substr(md5(g::text), 1, 16) END AS name,
  CASE WHEN g % 37 = 0 THEN NULL ELSE round((g * 1.37) % 100000, 2) END::numeric(12,2) AS amount,
  (g % 1000) / 8.0::float8 AS ratio,
  timestamptz '2024-01-01 00:00:00+00' + g * interval '17 seconds' AS created_at,
  date '2020-01-01' + (g % 2000) AS day,
  CASE WHEN g % 3 = 0 THEN NULL ELSE g % 2 = 0 END AS active
FROM generate_series(1, $ROWS) AS g
"""


@dataclass(frozen=True)
class Sample:
    seconds: float
    rows: int
    bytes: int
    peak_rss: int


@dataclass(frozen=True)
class Case:
    name: str
    output_format: str = "CSV"
    engine: str = "copy"
    compression: str = "none"


FUNCTION_CASES = [
    Case("copy engine, CSV"),
    Case("cursor engine, CSV", engine="cursor"),
    Case("copy engine, CSV gzip", compression="gzip"),
    Case("JSON", "JSON"),
    Case("JSONL", "JSONL"),
    Case("XLSX", "XLSX"),
]
SYSTEM_CASES = [
    Case("end to end: CSV (copy)"),
    Case("end to end: CSV (cursor)", engine="cursor"),
    Case("end to end: CSV gzip", compression="gzip"),
    Case("end to end: JSON", "JSON"),
    Case("end to end: JSONL", "JSONL"),
    Case("end to end: XLSX", "XLSX"),
]


async def _prepare_databases(rows: int) -> None:
    for name in ("reportflow_bench", SOURCE_DATABASE):
        await create_database(name)
    connection = await asyncpg.connect(database_url(SOURCE_DATABASE))
    try:
        existing = await connection.fetchval("SELECT to_regclass('bench_rows') IS NOT NULL")
        count = await connection.fetchval("SELECT count(*) FROM bench_rows") if existing else 0
        if count != rows:
            await connection.execute("DROP TABLE IF EXISTS bench_rows")
            await connection.execute(TABLE.replace("$ROWS", str(rows)))
            await connection.execute("VACUUM ANALYZE bench_rows")
    finally:
        await connection.close()
    await asyncio.to_thread(upgrade_to_head, BENCH_DSN)


def _run_measured(command: list[str], env: dict[str, str] | None = None) -> tuple[str, int]:
    """(stdout, peak RSS in bytes) of a child run under GNU time.

    Not wait4's ru_maxrss: Linux carries the forking parent's high-water mark across exec.
    """
    with tempfile.NamedTemporaryFile("r") as peak_file:
        finished = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", peak_file.name, *command],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        return finished.stdout, int(peak_file.read().split()[-1]) * 1024


def measure_psql(source_url: str, output_dir: Path) -> Sample:
    """Wall time of the whole psql process, as a user would see it."""
    path = output_dir / "psql.csv"
    command = ["psql", source_url, "-v", "ON_ERROR_STOP=1", "-q", "-c"]
    command.append(f"\\copy ({QUERY}) TO '{path}' CSV HEADER")
    started = time.perf_counter()
    _, peak = _run_measured(command, {**os.environ, "PGCLIENTENCODING": "UTF8"})
    seconds = time.perf_counter() - started
    size = path.stat().st_size
    path.unlink()
    return Sample(seconds, 0, size, peak)


def measure_function(case: Case, source_url: str, output_dir: Path) -> Sample:
    """The engine called once in a fresh child process; its own timing, its peak RSS."""
    command = [sys.executable, "-m", "bench.export", "--child", case.output_format]
    command += [case.engine, case.compression, str(output_dir), source_url]
    output, peak = _run_measured(command)
    answer = json.loads(output)
    Path(answer["path"]).unlink()
    return Sample(answer["seconds"], answer["rows"], answer["bytes"], peak)


async def _child(
    output_format: str, engine: str, compression: str, output_dir: str, source_url: str
) -> None:
    exporter = Exporter(source_url, Path(output_dir), 3600, CsvEngine(engine))
    request = ExportRequest(
        uuid.uuid4().hex,
        "bench",
        QUERY,
        utc_now(),
        OutputFormat(output_format),
        Compression(compression),
    )
    started = time.perf_counter()
    result = await exporter.export(request)
    seconds = time.perf_counter() - started
    answer = {"seconds": seconds, "rows": result.row_count, "bytes": result.byte_size}
    print(json.dumps({**answer, "path": str(result.path)}))


class RunningSystem:
    """An API and a runner process on the bench databases, in an AMQP namespace of their own."""

    def __init__(
        self, engine: str, source_url: str, output_dir: Path, log_dir: Path, port: int
    ) -> None:
        self.port = port
        self.namespace = f"bench-export-{engine}-{uuid.uuid4().hex[:6]}"
        admin_token = secrets.token_urlsafe(32)
        self.headers = {"Authorization": f"Bearer {admin_token}"}
        self.env = service_env(BENCH_DSN, source_url, self.namespace, output_dir, port, admin_token)
        self.env.update(CSV_ENGINE=engine, MAX_RUN_WAIT_SECONDS="3600", LOG_LEVEL="WARNING")
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.log_dir = log_dir
        self.reports: dict[str, str] = {}

    def start(self) -> None:
        for name in ("runner", "api"):
            log = (self.log_dir / f"{name}-{self.port}.log").open("wb")
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_healthy(self.url, 30, settle_seconds=1.0)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            process.wait(60)
        asyncio.run(delete_namespace(AMQP_URL, self.namespace))

    def measure(self, case: Case) -> Sample:
        report_id = self.reports.get(case.name) or self._create_report(case)
        runner = self.processes["runner"].pid
        Path(f"/proc/{runner}/clear_refs").write_text("5")
        started = time.perf_counter()
        response = httpx.post(
            f"{self.url}/api/reports/{report_id}/run",
            params={"wait": 3600},
            headers=self.headers,
            timeout=3700,
        )
        seconds = time.perf_counter() - started
        run = response.json()
        if run["status"] != "SUCCESS":
            raise RuntimeError(f"{case.name}: {run}")
        Path(run["output_path"]).unlink()
        return Sample(seconds, run["row_count"], run["byte_size"], _peak_rss(runner))

    def _create_report(self, case: Case) -> str:
        body = {
            "name": f"bench {case.name} {uuid.uuid4().hex[:6]}",
            "sql_query": QUERY,
            "output_format": case.output_format,
            "compression": case.compression,
        }
        response = httpx.post(
            f"{self.url}/api/reports", json=body, headers=self.headers, timeout=30
        )
        response.raise_for_status()
        self.reports[case.name] = response.json()["id"]
        return self.reports[case.name]


def _peak_rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


@contextmanager
def running_systems(source_url: str, output_dir: Path) -> Iterator[dict[str, RunningSystem]]:
    systems = {
        engine: RunningSystem(engine, source_url, output_dir, output_dir, port)
        for engine, port in (("copy", 18731), ("cursor", 18732))
    }
    try:
        for system in systems.values():
            system.start()
        yield systems
    finally:
        for system in systems.values():
            system.stop()


def machine(dsn: str = BENCH_DSN) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    server = subprocess.run(
        ["psql", dsn, "-Atc", "SHOW server_version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM; PostgreSQL {server} on the same "
        f"machine; Python {platform.python_version()}; {platform.platform()}"
    )


def table(results: dict[str, list[Sample]], rows: int) -> str:
    baseline = statistics.median(sample.seconds for sample in results["psql \\copy"])
    lines = [
        "| export | seconds (median) | rows/s | MB/s | file MB | peak RSS MB | × psql \\copy |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, samples in results.items():
        seconds = statistics.median(sample.seconds for sample in samples)
        size = samples[-1].bytes / 1e6
        peak = max(sample.peak_rss for sample in samples) / 2**20
        lines.append(
            f"| {name} | {seconds:.2f} | {rows / seconds:,.0f} | {size / seconds:.1f} | "
            f"{size:.0f} | {peak:.0f} | {seconds / baseline:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--skip-xlsx", action="store_true")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        asyncio.run(_child(*arguments.child))
        return
    asyncio.run(_prepare_databases(arguments.rows))
    function_cases, system_cases = (
        [case for case in cases if not (arguments.skip_xlsx and case.output_format == "XLSX")]
        for cases in (FUNCTION_CASES, SYSTEM_CASES)
    )
    results: dict[str, list[Sample]] = {"psql \\copy": []}
    with (
        tempfile.TemporaryDirectory(prefix="bench-export-") as scratch,
        reader_role(SOURCE_DATABASE) as source_url,
    ):
        output_dir = Path(scratch)
        with running_systems(source_url, output_dir) as systems:
            for round_number in range(1, arguments.repeats + 1):
                print(f"round {round_number} of {arguments.repeats}", file=sys.stderr)
                results["psql \\copy"].append(measure_psql(source_url, output_dir))
                for case in function_cases:
                    sample = measure_function(case, source_url, output_dir)
                    results.setdefault(case.name, []).append(sample)
                for case in system_cases:
                    sample = systems[case.engine].measure(case)
                    results.setdefault(case.name, []).append(sample)
                    print(f"  {case.name}: {sample.seconds:.2f} s", file=sys.stderr)
    print(f"Machine: {machine()}\n")
    print(
        f"{arguments.rows:,} rows × 7 columns, `{QUERY}`, median of {arguments.repeats} "
        "interleaved rounds; peak RSS is the highest of the rounds.\n"
    )
    print(table(results, arguments.rows))


if __name__ == "__main__":
    main()

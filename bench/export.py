"""Export benchmark: psql \\copy against the runner's engines, as function calls and end to end.

`python -m bench.export [--repeats 3] [--rows 2000000] [--skip-xlsx] [--formats CSV,XLSX]
[--engines copy] [--vs PATH]` creates (or reuses) a
table of 7 columns with NULLs, quotes, commas, newlines and unicode in the data-source database
`reportflow_bench_source` (the system of record is `reportflow_bench`), read through a
read-only role of the run's own; then measures, interleaved round by round: psql's \\copy; each
engine called in a child process (peak RSS from GNU time); and each format through the running
system (API and runner processes, `POST /api/reports/{id}/run?wait=`; the runner's peak RSS
from /proc VmHWM, reset before every run, and its CPU seconds from /proc). `--vs PATH` also
measures another source tree (an older commit unpacked with `git archive`) in the same rounds,
each function call and run right after this tree's. Prints a Markdown table of medians.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
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
    cpu_seconds: float  # user + system of the exporting process (psql's own for psql)


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


def _run_measured(
    command: list[str], env: dict[str, str] | None = None, tree: Path = PROJECT_ROOT
) -> tuple[str, int, float]:
    """(stdout, peak RSS in bytes, user + system CPU seconds) of a child run under GNU time.

    Not wait4's ru_maxrss: Linux carries the forking parent's high-water mark across exec.
    """
    with tempfile.NamedTemporaryFile("r") as peak_file:
        finished = subprocess.run(
            ["/usr/bin/time", "-f", "%M %U %S", "-o", peak_file.name, *command],
            cwd=tree,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        peak, user, system = peak_file.read().split()[-3:]
        return finished.stdout, int(peak) * 1024, float(user) + float(system)


def _tree_environment(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree)}


def measure_psql(source_url: str, output_dir: Path) -> Sample:
    """Wall time of the whole psql process, as a user would see it."""
    path = output_dir / "psql.csv"
    command = ["psql", source_url, "-v", "ON_ERROR_STOP=1", "-q", "-c"]
    command.append(f"\\copy ({QUERY}) TO '{path}' CSV HEADER")
    started = time.perf_counter()
    _, peak, cpu = _run_measured(command, {**os.environ, "PGCLIENTENCODING": "UTF8"})
    seconds = time.perf_counter() - started
    size = path.stat().st_size
    path.unlink()
    return Sample(seconds, 0, size, peak, cpu)


def measure_function(
    case: Case, source_url: str, output_dir: Path, tree: Path = PROJECT_ROOT
) -> Sample:
    """The engine of `tree` called once in a fresh child process; its own timing, its peak
    RSS and CPU seconds (the whole process, start-up included)."""
    command = [sys.executable, "-m", "bench.export", "--child", case.output_format]
    command += [case.engine, case.compression, str(output_dir), source_url]
    output, peak, cpu = _run_measured(command, _tree_environment(tree), tree)
    answer = json.loads(output.splitlines()[-1])
    Path(answer["path"]).unlink()
    return Sample(answer["seconds"], answer["rows"], answer["bytes"], peak, cpu)


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
        self,
        engine: str,
        source_url: str,
        output_dir: Path,
        log_dir: Path,
        port: int,
        tree: Path = PROJECT_ROOT,
    ) -> None:
        self.port = port
        self.tree = tree
        self.output_dir = output_dir
        self.namespace = f"bench-export-{engine}-{uuid.uuid4().hex[:6]}"
        admin_token = secrets.token_urlsafe(32)
        self.headers = {"Authorization": f"Bearer {admin_token}"}
        self.env = {
            **service_env(BENCH_DSN, source_url, self.namespace, output_dir, port, admin_token),
            "PYTHONPATH": str(tree),
        }
        self.env.update(CSV_ENGINE=engine, MAX_RUN_WAIT_SECONDS="3600", LOG_LEVEL="WARNING")
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.log_dir = log_dir
        self.reports: dict[str, str] = {}

    def start(self) -> None:
        for name in ("runner", "api"):
            log = (self.log_dir / f"{name}-{self.port}.log").open("wb")
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"],
                cwd=self.tree,
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
        cpu_before = _cpu_seconds(runner)
        started = time.perf_counter()
        response = httpx.post(
            f"{self.url}/api/reports/{report_id}/run",
            params={"wait": 3600},
            headers=self.headers,
            timeout=3700,
        )
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds(runner) - cpu_before
        run = response.json()
        if run["status"] != "SUCCESS":
            raise RuntimeError(f"{case.name}: {run}")
        (self.output_dir / run["output_path"]).unlink()  # relative to OUTPUT_DIR, or absolute
        return Sample(seconds, run["row_count"], run["byte_size"], _peak_rss(runner), cpu)

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


def _retried(measure: Callable[[], Sample], name: str, attempts: int = 6) -> Sample:
    """`measure()`, again after a pause if it failed: PostgreSQL's connections are shared
    with other work, which may take them all for a while ("too many clients already")."""
    for attempt in range(1, attempts + 1):
        try:
            return measure()
        except (subprocess.CalledProcessError, RuntimeError) as error:
            if attempt == attempts:
                raise
            print(f"  {name}: failed ({error!s:.120}), again in 10 s", file=sys.stderr)
            time.sleep(10)
    raise AssertionError("unreachable")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of process `pid` so far, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def _peak_rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


@contextmanager
def running_systems(
    source_url: str, output_dir: Path, trees: list[Path], engines: list[str]
) -> Iterator[dict[tuple[Path, str], RunningSystem]]:
    """An API and a runner per tree and CSV engine."""
    ports = iter(range(18731, 18800))
    systems = {
        (tree, engine): RunningSystem(engine, source_url, output_dir, output_dir, next(ports), tree)
        for tree in trees
        for engine in engines
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
        "| export | seconds (median) | rounds | CPU s (median) | rows/s | file MB "
        "| peak RSS MB | × psql \\copy |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for name, samples in results.items():
        seconds = statistics.median(sample.seconds for sample in samples)
        rounds = ", ".join(f"{sample.seconds:.2f}" for sample in samples)
        cpu = statistics.median(sample.cpu_seconds for sample in samples)
        size = samples[-1].bytes / 1e6
        peak = max(sample.peak_rss for sample in samples) / 2**20
        lines.append(
            f"| {name} | {seconds:.2f} | {rounds} | {cpu:.2f} | {rows / seconds:,.0f} | "
            f"{size:.0f} | {peak:.0f} | {seconds / baseline:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--skip-xlsx", action="store_true")
    parser.add_argument("--formats", help="comma-separated output formats (default: all)")
    parser.add_argument("--engines", default="copy,cursor", help="CSV engines (default: both)")
    parser.add_argument("--vs", type=Path, help="a second source tree, measured in turn")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        asyncio.run(_child(*arguments.child))
        return
    asyncio.run(_prepare_databases(arguments.rows))
    formats = arguments.formats.split(",") if arguments.formats else list(OutputFormat)
    engines = arguments.engines.split(",")
    function_cases, system_cases = (
        [
            case
            for case in cases
            if case.output_format in formats
            and case.engine in engines
            and not (arguments.skip_xlsx and case.output_format == "XLSX")
        ]
        for cases in (FUNCTION_CASES, SYSTEM_CASES)
    )
    trees = [PROJECT_ROOT, *([arguments.vs.resolve()] if arguments.vs else [])]
    labels = {tree: f" [{tree}]" if arguments.vs else "" for tree in trees}
    results: dict[str, list[Sample]] = {"psql \\copy": []}
    loads = [_load()]
    with (
        tempfile.TemporaryDirectory(prefix="bench-export-") as scratch,
        reader_role(SOURCE_DATABASE) as source_url,
    ):
        output_dir = Path(scratch)
        with running_systems(source_url, output_dir, trees, engines) as systems:
            for round_number in range(1, arguments.repeats + 1):
                print(f"round {round_number} of {arguments.repeats}, {_load()}", file=sys.stderr)
                sample = _retried(partial(measure_psql, source_url, output_dir), "psql")
                results["psql \\copy"].append(sample)
                for case in function_cases:
                    for tree in trees:
                        measure = partial(measure_function, case, source_url, output_dir, tree)
                        sample = _retried(measure, case.name)
                        results.setdefault(case.name + labels[tree], []).append(sample)
                for case in system_cases:
                    for tree in trees:
                        measure = partial(systems[tree, case.engine].measure, case)
                        sample = _retried(measure, case.name)
                        results.setdefault(case.name + labels[tree], []).append(sample)
                        print(
                            f"  {case.name}{labels[tree]}: {sample.seconds:.2f} s", file=sys.stderr
                        )
                loads.append(_load())
    print(f"Machine: {machine()}\n")
    print(
        f"{arguments.rows:,} rows × 7 columns, `{QUERY}`, median of {arguments.repeats} "
        "interleaved rounds; peak RSS is the highest of the rounds.\n"
    )
    print("Load before the first round and after each: " + "; ".join(loads) + "\n")
    print(table(results, arguments.rows))


if __name__ == "__main__":
    main()

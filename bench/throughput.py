"""Throughput of small runs: manual runs through the API, a burst of scheduled runs, waiters.

`python -m bench.throughput [--manual-runs 300] [--reports 10000] [--waiters 100] [--runners 1]
[--repeats 3] [--only manual,burst,waiters] [--tree PATH] [--vs PATH]` (BENCH_PROFILE_DIR=dir:
a cProfile file per service there). Each scenario gets a fresh database and AMQP namespace
on the local PostgreSQL and RabbitMQ and real service processes (api, runner(s), notifier;
the scheduler for the burst) with reports `SELECT 1 AS one` read through a read-only role of
a database of its own, as in production (LOG_LEVEL INFO). `--tree` runs the services from another
source tree (an older commit unpacked with `git archive`); `--vs` measures a second tree in
turn, round by round, for before/after figures side by side.

- manual: N manual runs posted by 20 concurrent clients; runs/s from the first request to the
  last SUCCESS (`finished_at`), and the requests/s the API accepted (first request to last 202).
- burst: N reports all due at the same minute; from the slot to the last SUCCESS, and each
  run's lateness (finished_at − slot) at p50/p99/max.
- waiters: N clients wait on `?wait` for runs that no runner takes (no runner is started);
  while they wait, the API's CPU share over 10 s and the latency of 200 other requests
  (`GET /api/reports/{id}`, one after another), against the same requests with nobody waiting.
"""

import argparse
import asyncio
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.environment import (
    ADMIN_DSN,
    AMQP_URL,
    PROJECT_ROOT,
    add_due_reports,
    cpu_seconds,
    create_database,
    drop_database,
    fresh_database,
    reader_role,
    service_env,
    wait_healthy,
)
from bench.export import machine
from bench.scheduler_lateness import percentile
from shared.messaging import delete_namespace

TRIVIAL_SQL = "SELECT 1 AS one"
CLIENTS = 20
OTHER_REQUESTS = 200
CPU_WINDOW_SECONDS = 10.0
BURST_LEAD_SECONDS = 20
RETRIES, RETRY_PAUSE_SECONDS = 20, 1.0


@dataclass
class System:
    """Service processes on one fresh database and AMQP namespace."""

    database: str
    database_url: str
    source_url: str
    tree: Path
    log_dir: Path
    port: int

    def __post_init__(self) -> None:
        self.namespace = f"bench-throughput-{uuid.uuid4().hex[:6]}"
        self.token = secrets.token_urlsafe(32)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def start(self, name: str, module: str) -> subprocess.Popen[bytes]:
        env = service_env(
            self.database_url,
            self.source_url,
            self.namespace,
            self.log_dir / "outputs",
            self.port,
            self.token,
        )
        env["PYTHONPATH"] = str(self.tree)
        profiles = os.environ.get("BENCH_PROFILE_DIR")  # cProfile output of each service
        profile = ["-m", "cProfile", "-o", f"{profiles}/{name}.prof"] if profiles else []
        command = [sys.executable, *profile]
        with (self.log_dir / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                [*command, "-m", f"services.{module}"],
                cwd=self.tree,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes[name] = process
        return process

    def stop(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        asyncio.run(delete_namespace(AMQP_URL, self.namespace))


@contextmanager
def running_system(tree: Path, services: list[str]) -> Iterator[System]:
    """`services` as (name, module) pairs joined by ':' ("runner-1:runner"), or module names."""
    database = f"reportflow_bench_{uuid.uuid4().hex[:8]}"
    source = f"{database}_source"  # reports may not read the system of record's database
    url = asyncio.run(fresh_database(database))
    asyncio.run(create_database(source, replace=True))
    try:
        scratch = tempfile.mkdtemp(prefix="bench-throughput-")  # kept: the services' logs
        print(f"  logs: {scratch}", file=sys.stderr, flush=True)
        with reader_role(source) as source_url:
            system = System(
                database, url, source_url, tree, Path(scratch), 8100 + secrets.randbelow(800)
            )
            (system.log_dir / "outputs").mkdir()
            try:
                for service in services:
                    name, _, module = service.partition(":")
                    system.start(name, module or name)
                wait_healthy(system.url, 60, settle_seconds=2.0)
                yield system
            finally:
                system.stop()
    finally:
        asyncio.run(drop_database(database))
        asyncio.run(drop_database(source))


def _run(coroutine: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> Any:
    return asyncio.run(coroutine(*args))


async def _create_report(client: httpx.AsyncClient, name: str) -> str:
    body = {"name": name, "sql_query": TRIVIAL_SQL}
    response = await _post(client, "/api/reports", 201, body)
    return str(response.json()["id"])


async def _finished(url: str, count: int, seconds: float) -> list[float]:
    """finished_at (epoch seconds) of the SUCCESS runs once `count` runs finished."""
    connection = await asyncpg.connect(url)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            done = await connection.fetchval(
                "SELECT count(*) FROM report_runs WHERE status IN ('SUCCESS', 'FAILED')"
            )
            if done >= count:
                break
            await asyncio.sleep(0.2)
        rows = await connection.fetch(
            "SELECT extract(epoch FROM finished_at)::float8 AS at FROM report_runs "
            "WHERE status = 'SUCCESS'"
        )
        return sorted(row["at"] for row in rows)
    finally:
        await connection.close()


@dataclass(frozen=True)
class Manual:
    runs: int
    succeeded: int
    runs_per_second: float
    accepted_per_second: float
    # CPU milliseconds per run of each service process, start-up excluded.
    cpu_ms_per_run: dict[str, float]


async def _post(
    client: httpx.AsyncClient, path: str, expected: int, body: dict[str, str] | None = None
) -> httpx.Response:
    """POSTs, again after a pause when the API answers 5xx: PostgreSQL's connection slots are
    shared with everything else on the machine, which may take them all for a moment ("too
    many clients"). Each retry is printed."""
    for _ in range(RETRIES):
        response = await client.post(path, json=body)
        if response.status_code == expected:
            return response
        if response.status_code < 500:
            raise RuntimeError(f"{path} refused: {response.status_code} {response.text}")
        print(f"  retrying {path} after {response.status_code}", file=sys.stderr)
        await asyncio.sleep(RETRY_PAUSE_SECONDS)
    raise RuntimeError(f"{path} failed {RETRIES} times: {response.text}")


async def _manual(system: System, runs: int) -> Manual:
    cpu_before = {name: cpu_seconds(p.pid) for name, p in system.processes.items()}
    async with httpx.AsyncClient(base_url=system.url, headers=system.headers, timeout=60) as client:
        report_id = await _create_report(client, "bench manual")
        todo = iter(range(runs))
        started = time.time()

        async def post_all() -> None:
            for _ in todo:
                await _post(client, f"/api/reports/{report_id}/run", 202)

        await asyncio.gather(*(post_all() for _ in range(CLIENTS)))
        accepted = time.time()
    finished = await _finished(system.database_url, runs, 600)
    last = finished[-1] if finished else float("nan")
    await asyncio.sleep(1)  # the last notifications
    cpu = {
        name: (cpu_seconds(p.pid) - cpu_before[name]) * 1000 / runs
        for name, p in system.processes.items()
    }
    return Manual(runs, len(finished), runs / (last - started), runs / (accepted - started), cpu)


@dataclass(frozen=True)
class Burst:
    reports: int
    succeeded: int
    last_seconds: float
    lateness: list[float]


async def _burst(system: System, reports: int) -> Burst:
    slot = await add_due_reports(system.database_url, reports, TRIVIAL_SQL, BURST_LEAD_SECONDS)
    await asyncio.sleep(max(0.0, (slot - datetime.now(UTC)).total_seconds()))
    finished = await _finished(system.database_url, reports, 1800)
    lateness = [at - slot.timestamp() for at in finished]
    return Burst(reports, len(finished), max(lateness, default=float("nan")), lateness)


@dataclass(frozen=True)
class Waiting:
    waiters: int
    idle_cpu: float
    waiting_cpu: float
    idle_latency: list[float]
    waiting_latency: list[float]


async def _other_requests(client: httpx.AsyncClient, report_id: str) -> list[float]:
    latencies = []
    for _ in range(OTHER_REQUESTS):
        started = time.perf_counter()
        response = await client.get(f"/api/reports/{report_id}")
        latencies.append(time.perf_counter() - started)
        response.raise_for_status()
        await asyncio.sleep(0.02)
    return sorted(latencies)


async def _cpu_share(pid: int) -> float:
    before = cpu_seconds(pid)
    await asyncio.sleep(CPU_WINDOW_SECONDS)
    return (cpu_seconds(pid) - before) / CPU_WINDOW_SECONDS


async def _waiting(system: System, waiters: int) -> Waiting:
    api = system.processes["api"].pid
    limits = httpx.Limits(max_connections=waiters + 10, max_keepalive_connections=waiters + 10)
    async with httpx.AsyncClient(
        base_url=system.url, headers=system.headers, timeout=120, limits=limits
    ) as client:
        report_id = await _create_report(client, "bench waiting")
        idle_cpu = await _cpu_share(api)
        idle_latency = await _other_requests(client, report_id)
        wait_seconds = CPU_WINDOW_SECONDS + 2 + OTHER_REQUESTS * 0.1 + 10
        waiting = [
            asyncio.create_task(
                client.post(f"/api/reports/{report_id}/run", params={"wait": wait_seconds})
            )
            for _ in range(waiters)
        ]
        await asyncio.sleep(2)  # every waiter has posted and is waiting
        waiting_cpu = await _cpu_share(api)
        waiting_latency = await _other_requests(client, report_id)
        answers = await asyncio.gather(*waiting)
    if any(answer.status_code != 202 for answer in answers):
        raise RuntimeError("a waiter was answered before its time was up")
    return Waiting(waiters, idle_cpu, waiting_cpu, idle_latency, waiting_latency)


def _load() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


Figures = dict[str, list[float]]  # figure name → one value per round


def _manual_figures(results: list[Manual]) -> Figures:
    figures = {
        "runs/s, first request → last SUCCESS": [m.runs_per_second for m in results],
        "requests/s accepted by the API": [m.accepted_per_second for m in results],
        "runs that succeeded": [float(m.succeeded) for m in results],
    }
    for name in results[0].cpu_ms_per_run:
        figures[f"{name} CPU ms per run"] = [m.cpu_ms_per_run[name] for m in results]
    return figures


def _burst_figures(results: list[Burst]) -> Figures:
    return {
        "s from the slot to the last SUCCESS": [b.last_seconds for b in results],
        "lateness p50 s": [percentile(b.lateness, 0.5) for b in results],
        "lateness p99 s": [percentile(b.lateness, 0.99) for b in results],
        "runs/s": [b.succeeded / b.last_seconds for b in results],
        "runs that succeeded": [float(b.succeeded) for b in results],
    }


def _waiting_figures(results: list[Waiting]) -> Figures:
    figures = {
        "API CPU %, nobody waiting": [w.idle_cpu * 100 for w in results],
        "API CPU %, while they wait": [w.waiting_cpu * 100 for w in results],
    }
    for label, pick in (("nobody waiting", "idle_latency"), ("while they wait", "waiting_latency")):
        for name, fraction in (("p50", 0.5), ("p99", 0.99)):
            values = [percentile(getattr(w, pick), fraction) * 1000 for w in results]
            figures[f"other requests {name} ms, {label}"] = values
    return figures


def _scenario(
    trees: list[Path], repeats: int, services: list[str], measure: Callable[[System], Any]
) -> dict[Path, list[Any]]:
    """`repeats` rounds, each tree once a round (interleaved, so drifting load hits both)."""
    results: dict[Path, list[Any]] = {tree: [] for tree in trees}
    for _ in range(repeats):
        for tree in trees:
            with running_system(tree, services) as system:
                results[tree].append(measure(system))
            print(f"  {tree}: {results[tree][-1]!s:.200} ({_load()})", file=sys.stderr, flush=True)
    return results


def _rows(scenario: str, figures: dict[Path, Figures]) -> list[str]:
    trees = list(figures)
    rows = []
    for figure in figures[trees[0]]:
        cells = []
        for tree in trees:
            values = figures[tree][figure]
            rounds = ", ".join(f"{value:.1f}" for value in values)
            cells.append(f"{statistics.median(values):.1f} ({rounds})")
        rows.append(f"| {scenario} | {figure} | {' | '.join(cells)} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--manual-runs", type=int, default=300)
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--waiters", type=int, default=100)
    parser.add_argument("--runners", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="manual,burst,waiters")
    parser.add_argument("--tree", type=Path, default=PROJECT_ROOT)
    parser.add_argument("--vs", type=Path, help="a second source tree, measured in turn")
    arguments = parser.parse_args()
    only = set(arguments.only.split(","))
    trees = [arguments.tree, *([arguments.vs] if arguments.vs else [])]
    runners = [f"runner-{n}:runner" for n in range(1, arguments.runners + 1)]
    print(f"Machine: {machine(ADMIN_DSN)}")
    print(f"{arguments.runners} runner(s); {_load()} at the start\n")
    headers = " | ".join(f"median (rounds): {tree}" for tree in trees)
    lines = [f"| scenario | figure | {headers} |", "|---|---|" + "---:|" * len(trees)]
    repeats = arguments.repeats
    if "manual" in only:
        runs = arguments.manual_runs
        manual = _scenario(
            trees, repeats, ["api", *runners, "notifier"], lambda s: _run(_manual, s, runs)
        )
        scenario = f"{runs} manual runs"
        lines += _rows(scenario, {tree: _manual_figures(r) for tree, r in manual.items()})
    if "burst" in only:
        reports = arguments.reports
        services = ["api", "scheduler", *runners, "notifier"]
        bursts = _scenario(trees, repeats, services, lambda s: _run(_burst, s, reports))
        scenario = f"burst of {reports} reports due at one slot"
        lines += _rows(scenario, {tree: _burst_figures(r) for tree, r in bursts.items()})
    if "waiters" in only:
        count = arguments.waiters
        waits = _scenario(trees, repeats, ["api"], lambda s: _run(_waiting, s, count))
        scenario = f"{count} `?wait` clients"
        lines += _rows(scenario, {tree: _waiting_figures(r) for tree, r in waits.items()})
    print("\n".join(lines))
    print(f"\n{_load()} at the end")


if __name__ == "__main__":
    main()

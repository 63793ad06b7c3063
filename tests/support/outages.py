"""Stops and starts the machine's real PostgreSQL and RabbitMQ, for the reconnection tests."""

import subprocess
import time
from pathlib import Path


def _postgres_cluster() -> tuple[str, str]:
    version = sorted(path.name for path in Path("/etc/postgresql").iterdir())[-1]
    return version, "main"


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=180)


def stop_postgres() -> None:
    _run("pg_ctlcluster", "--skip-systemctl-redirect", *_postgres_cluster(), "stop", "-m", "fast")


def start_postgres() -> None:
    _run("pg_ctlcluster", "--skip-systemctl-redirect", *_postgres_cluster(), "start")
    for _ in range(100):
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], check=False).returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("PostgreSQL did not come back")


def stop_rabbitmq() -> None:
    _run("rabbitmqctl", "stop_app")


def start_rabbitmq() -> None:
    _run("rabbitmqctl", "start_app")
    _run("rabbitmqctl", "await_startup")

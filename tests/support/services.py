"""Runs a service as a real child process (`python -m services.<name>`) for end-to-end tests."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Protocol

READY_MARKER = "service ready"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Short lease and recovery interval, so a crashed runner's run is recovered within seconds.
FAST_RECOVERY = {"LEASE_SECONDS": "2", "RECOVERY_INTERVAL_SECONDS": "0.5"}


class ServiceProcess:
    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.env = {**os.environ, **env}
        self.log_path = log_dir / f"{name}-{time.monotonic_ns()}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ready_timeout: float = 30.0, ready_marker: str = READY_MARKER) -> None:
        with self.log_path.open("wb") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"services.{self.name}"],
                env=self.env,
                cwd=PROJECT_ROOT,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        self.wait_for_log(ready_marker, ready_timeout)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log_text():
                return
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log_text()}")
            time.sleep(0.05)
        raise TimeoutError(f"{self.name} did not log {text!r} in {timeout}s:\n{self.log_text()}")

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, then SIGKILL if it has not exited within `timeout`; returns the exit code."""
        self.request_stop()
        return self.wait_stopped(timeout)

    def request_stop(self) -> None:
        """SIGTERM, once, if it is running; returns at once."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self, timeout: float = 20.0) -> int | None:
        """Its exit code once it exited, SIGKILLed if that takes longer than `timeout`."""
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def kill(self) -> None:
        """A crash: SIGKILL, no chance to clean up."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def stop_all(processes: list[ServiceProcess]) -> None:
    """SIGTERM to every process at once, then waits for each: shutting down one after the other
    would add up their graceful shutdowns."""
    for process in processes:
        process.request_stop()
    for process in processes:
        process.wait_stopped()


class StartService(Protocol):
    def __call__(self, name: str, **extra_env: str) -> ServiceProcess: ...

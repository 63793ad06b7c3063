"""Runs the `reportflow` command line as a child process against a real API process."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.services import PROJECT_ROOT

COMMAND_TIMEOUT = 90


@dataclass(frozen=True)
class CommandLine:
    """`reportflow …` with REPORTFLOW_URL, a token and a config directory of the test's own."""

    url: str
    token: str | None
    config_home: Path

    def __call__(
        self, *args: str, input_text: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        variables = {
            **os.environ,
            "REPORTFLOW_URL": self.url,
            "XDG_CONFIG_HOME": str(self.config_home),
            "COLUMNS": "200",
            **env,
        }
        variables.pop("REPORTFLOW_TOKEN", None)
        if self.token is not None:
            variables["REPORTFLOW_TOKEN"] = self.token
        return subprocess.run(
            [sys.executable, "-m", "reportflow_cli", *args],
            env=variables,
            cwd=PROJECT_ROOT,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )

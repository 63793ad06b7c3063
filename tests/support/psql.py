"""psql's own CSV export of a query, the reference the runner's files must match byte for byte."""

import subprocess
from pathlib import Path


def psql_copy_csv(database_url: str, query: str, destination: Path) -> bytes:
    subprocess.run(
        [
            "psql",
            database_url,
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-c",
            f"\\copy ({query}) TO '{destination}' CSV HEADER",
        ],
        check=True,
        env={"PGCLIENTENCODING": "UTF8", "PATH": "/usr/bin:/bin"},
    )
    return destination.read_bytes()

"""How answers are shown: Rich tables for people, JSON (`--json`) for scripts."""

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def local_time(value: str | None) -> str:
    """An API timestamp in the user's time zone, to the second; `-` for none."""
    if not value:
        return "-"
    moment = datetime.fromisoformat(value).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z")


def size(byte_count: int | None) -> str:
    if byte_count is None:
        return "-"
    amount = float(byte_count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{byte_count} B"


def fail(message: str) -> None:
    errors.print(Text.assemble(("error: ", "red"), message), soft_wrap=True)

"""The first rows of a run in its mail (the report's `inline_rows`), as an HTML table with
inline styles only (what Outlook and Gmail both render; every value escaped) and as aligned
plain text (pure). The rows are those the runner kept with the run (report_runs.first_rows).
"""

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from services.notifier.finished_run import FinishedRun
from shared.models import RunStatus

# Plain text: each cell on one line, at most this wide.
MAX_TEXT_CELL_CHARS = 60
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_TABLE_STYLE = (
    "border-collapse:collapse;border:1px solid #c8c8c8;"
    "font-family:Arial,Helvetica,sans-serif;font-size:13px;color:#222222"
)
_CELL_STYLE = "border:1px solid #c8c8c8;padding:4px 8px;text-align:left;vertical-align:top"
_HEADER_STYLE = f"{_CELL_STYLE};background-color:#f0f0f0;font-weight:bold"


@dataclass(frozen=True)
class InlineRows:
    columns: list[str]
    rows: list[list[str | None]]
    caption: str


def inline_rows(run: FinishedRun) -> InlineRows | None:
    """The rows the mail shows: up to the report's inline_rows of those kept; None for none."""
    kept = run.first_rows
    if run.status != RunStatus.SUCCESS or run.inline_rows <= 0 or not kept:
        return None
    columns = [str(name) for name in kept.get("columns", [])]
    rows = [[_text(value) for value in row] for row in kept.get("rows", [])[: run.inline_rows]]
    if not columns or not rows:  # no rows: the facts above already say so
        return None
    total = run.row_count if run.row_count is not None else len(rows)
    caption = f"The first {len(rows)} of {total} rows" if total > len(rows) else "All the rows"
    if kept.get("cut"):
        caption += " (long values, and columns past the 50th, are cut short: the file has them)"
    return InlineRows(columns, rows, caption + ":")


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def html_table(run: FinishedRun) -> str:
    shown = inline_rows(run)
    if shown is None:
        return ""
    header = "".join(f'<th style="{_HEADER_STYLE}">{_html(name)}</th>' for name in shown.columns)
    body = "".join(
        "<tr>"
        + "".join(f'<td style="{_CELL_STYLE}">{_html(value)}</td>' for value in row)
        + "</tr>"
        for row in shown.rows
    )
    return (
        f'<p style="font-family:Arial,Helvetica,sans-serif">{_html(shown.caption)}</p>'
        f'<table cellpadding="0" cellspacing="0" border="1" '
        f'style="{_TABLE_STYLE}"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'
    )


def _html(value: str | None) -> str:
    if value is None:
        return ""
    return _LINE_BREAKS.sub("<br>", html.escape(_CONTROLS.sub(" ", value), quote=True))


def text_table(run: FinishedRun) -> str:
    """Columns aligned as psql aligns them: ` | ` between cells, a rule under the header."""
    shown = inline_rows(run)
    if shown is None:
        return ""
    lines = [[_one_line(name) for name in shown.columns]]
    lines += [[_one_line(value) for value in row] for row in shown.rows]
    widths = [max(len(line[index]) for line in lines) for index in range(len(shown.columns))]
    rule = "-+-".join("-" * width for width in widths)
    text = [_aligned(lines[0], widths), rule, *(_aligned(line, widths) for line in lines[1:])]
    return "\n".join([shown.caption, "", *text]) + "\n"


def _one_line(value: str | None) -> str:
    text = _CONTROLS.sub(" ", _LINE_BREAKS.sub(" ↵ ", value or ""))
    return text if len(text) <= MAX_TEXT_CELL_CHARS else text[: MAX_TEXT_CELL_CHARS - 1] + "…"


def _aligned(cells: Sequence[str], widths: Sequence[int]) -> str:
    padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
    return " | ".join(padded).rstrip()

"""PostgreSQL's CSV rules for values already in PostgreSQL's text form (the cursor engine).

A field is quoted when it holds a comma, a double quote, CR or LF, or is the empty string
(an empty unquoted field is NULL); quotes inside are doubled. A lone `\\.` in a one-column
result is quoted too, as COPY does, so it cannot read as the end-of-data marker.
"""

from collections.abc import Iterable, Sequence
from typing import cast

Field = str | None
_END_OF_DATA = "\\."


def _needs_quotes(value: str) -> bool:
    return value == "" or '"' in value or "," in value or "\n" in value or "\r" in value


def quote_field(value: Field, single_column: bool = False) -> str:
    if value is None:
        return ""
    if _needs_quotes(value) or (single_column and value == _END_OF_DATA):
        return '"' + value.replace('"', '""') + '"'
    return value


def _csv_column(values: Sequence[Field], single_column: bool) -> Sequence[str]:
    """One column of a batch: scanned once in C, quoted value by value only when it must be."""
    present = "\0".join(filter(None, values))  # text never holds NUL, so this cannot collide
    if (
        '"' in present
        or "," in present
        or "\n" in present
        or "\r" in present
        or "" in values
        or (single_column and _END_OF_DATA in values)
    ):
        return [quote_field(value, single_column) for value in values]
    if None in values:
        return [value or "" for value in values]
    return cast(Sequence[str], values)


def csv_rows(rows: Iterable[Iterable[Field]]) -> str:
    """Rows of text values as CSV lines ending in LF, exactly as PostgreSQL's COPY writes them.

    Works column by column so that the common case (nothing to quote) stays in C.
    """
    columns = list(zip(*rows, strict=True))
    if not columns:
        return ""
    single_column = len(columns) == 1
    quoted = [_csv_column(values, single_column) for values in columns]
    return "\n".join(map(",".join, zip(*quoted, strict=True))) + "\n"


def csv_header(names: Sequence[str]) -> str:
    return csv_rows([names])

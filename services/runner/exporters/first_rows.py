"""The first rows of an export, kept with the run (report_runs.first_rows) for the mail's table
(`inline_rows`) and for deliver_if's `first_value`, taken from what the export already reads.

Bounded whatever the data: at most MAX_KEPT_COLUMNS columns, each value (and column name) cut
to MAX_VALUE_CHARS characters with CUT_MARKER appended, and rows kept only while the names and
values together stay within MAX_KEPT_CHARS characters. The first row always fits those bounds,
so a run with rows keeps at least its first one. `cut` says something was left out.
"""

import math
import struct
from collections.abc import Iterable, Sequence
from typing import Any

from shared.models import MAX_INLINE_ROWS

# A JSON scalar: text (PostgreSQL's text output, or a JSON string or number as written), a
# JSON integer or boolean, or null (SQL NULL).
KeptValue = str | int | float | bool | None

MAX_KEPT_COLUMNS = 50
MAX_VALUE_CHARS = 1_000
MAX_KEPT_CHARS = 64_000
CUT_MARKER = "…"
# PostgreSQL's jsonb refuses NUL, which a json value may carry as \u0000.
_NOT_STORABLE = "\x00"


def storable_text(text: str, limit: int = MAX_VALUE_CHARS) -> tuple[str, bool]:
    """`text` as jsonb can hold it, cut to `limit` characters; and whether it was cut."""
    cut = len(text) > limit
    if cut:
        text = text[:limit] + CUT_MARKER
    if _NOT_STORABLE in text:
        text = text.replace(_NOT_STORABLE, "\ufffd")
    if not text.isascii():  # a lone surrogate from a JSON \ud800 cannot be encoded
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text, cut


def native_text(value: Any, type_name: str = "") -> KeptValue:
    """A value the XLSX engine keeps native (int, float, bool) in PostgreSQL's text form, so
    every engine keeps the same text; other values are already that text, or None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float):
        return _float_text(value, single=type_name == "float4")
    return str(value)


def _float_text(value: float, single: bool) -> str:
    """PostgreSQL's shortest exact form (12 and later): `1.5`, `123`, `1e-07`, `NaN`."""
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    text = repr(value)
    if single:  # the fewest digits that read back as the same float4
        wanted = _as_float4(text)
        text = next(
            (
                candidate
                for digits in range(1, 10)
                if _as_float4(candidate := f"{value:.{digits}g}") == wanted
            ),
            text,
        )
    return text[:-2] if text.endswith(".0") else text


def _as_float4(text: str) -> float:
    return float(struct.unpack("f", struct.pack("f", float(text)))[0])


class FirstRows:
    """Collects up to `wanted` rows; `add` says whether more are still wanted."""

    def __init__(self, wanted: int) -> None:
        self.wanted = max(0, min(wanted, MAX_INLINE_ROWS))
        self.columns: list[str] | None = None
        self.rows: list[list[KeptValue]] = []
        self.cut = False
        self._chars = 0
        self._closed = self.wanted == 0

    @property
    def wants_more(self) -> bool:
        return not self._closed

    def set_columns(self, names: Sequence[str]) -> None:
        if self._closed or self.columns is not None:
            return
        kept = [self._fitted(name) for name in names[:MAX_KEPT_COLUMNS]]
        self.cut = self.cut or len(names) > MAX_KEPT_COLUMNS
        self.columns = [str(name) for name in kept]
        self._chars = sum(len(name) for name in self.columns)

    def add(self, values: Iterable[KeptValue]) -> bool:
        if self._closed:
            return False
        row = [self._fitted(value) for value in tuple(values)[:MAX_KEPT_COLUMNS]]
        size = sum(len(value) if isinstance(value, str) else 8 for value in row)
        if self.rows and self._chars + size > MAX_KEPT_CHARS:
            self.cut = True
            self._closed = True
            return False
        self.rows.append(row)
        self._chars += size
        self._closed = len(self.rows) >= self.wanted
        return not self._closed

    def add_all(self, rows: Iterable[Iterable[Any]]) -> None:
        """Rows of KeptValue (asyncpg Records in text output among them)."""
        for row in rows:
            if not self.add(row):
                return

    def _fitted(self, value: KeptValue) -> KeptValue:
        if not isinstance(value, str):
            return value
        text, cut = storable_text(value)
        self.cut = self.cut or cut
        return text

    def kept(self) -> dict[str, Any] | None:
        """What report_runs.first_rows holds; None when no rows were asked for."""
        if self.wanted == 0:
            return None
        return {"columns": self.columns or [], "rows": self.rows, "cut": self.cut}


# Closed from the start (it wants no rows), so one instance serves every export that keeps none.
NO_FIRST_ROWS = FirstRows(0)

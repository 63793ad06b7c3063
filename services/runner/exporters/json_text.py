"""Turns rows of `row_to_json` text into a JSON array or JSON Lines, chunk by chunk.

Two sources feed it: COPY's text format, where each line is one row with backslash escapes
(`\\\\`, `\\n`, ...), and the cursor engine, whose rows arrive unescaped. A raw CR or LF can
only appear in `row_to_json` output as white space inside an embedded `json` value (a JSON
string cannot hold one), so it becomes a space: one object per line, same JSON value.
"""

import re

_COPY_ESCAPE = re.compile(rb"\\(.)", re.DOTALL)
_UNESCAPED = {
    b"\\": b"\\",
    b"n": b" ",
    b"r": b" ",
    b"t": b"\t",
    b"b": b"\b",
    b"f": b"\f",
    b"v": b"\v",
}
_LINE_BREAKS = re.compile(r"[\r\n]")


def unescape_copy_text(data: bytes) -> bytes:
    """COPY text-format escapes undone, with escaped CR/LF turned into spaces."""
    if b"\\" not in data:
        return data
    return _COPY_ESCAPE.sub(lambda match: _UNESCAPED.get(match[1], match[1]), data)


def json_lines_text(rows: list[str]) -> str:
    """Unescaped `row_to_json` texts (the cursor engine) as lines, CR/LF inside made spaces."""
    text = "\n".join(rows)
    if text.count("\n") != len(rows) - 1 or "\r" in text:
        text = "\n".join(_LINE_BREAKS.sub(" ", row) for row in rows)
    return text + "\n"


class JsonFraming:
    """Lines of one JSON object each (`obj\\n...`) as JSON Lines, or as one JSON array.

    The array is `[\\n obj,\\n obj\\n]\\n`: still one object per line, and never held whole.
    """

    def __init__(self, as_array: bool) -> None:
        self._as_array = as_array
        self._separator_due = False

    def start(self) -> bytes:
        return b"[\n" if self._as_array else b""

    def lines(self, lines: bytes) -> bytes:
        """`lines` is whole lines, each ending in LF."""
        if not self._as_array or not lines:
            return lines
        body = lines[:-1].replace(b"\n", b",\n")
        prefix = b",\n" if self._separator_due else b""
        self._separator_due = True
        return prefix + body

    def end(self) -> bytes:
        if not self._as_array:
            return b""
        return b"\n]\n" if self._separator_due else b"]\n"


class CopyTextLines:
    """Cuts COPY text output into whole lines, carrying a partial line to the next chunk."""

    def __init__(self) -> None:
        self._partial = b""

    def feed(self, chunk: bytes) -> bytes:
        data = self._partial + chunk
        cut = data.rfind(b"\n") + 1
        self._partial = data[cut:]
        return unescape_copy_text(data[:cut])

    def finish(self) -> None:
        if self._partial:
            raise ValueError("COPY output ended in the middle of a row")

"""SpreadsheetML for one typed cell: numbers, booleans, dates, date-times and inline text.

The forms are those xlsxwriter writes in constant-memory mode (numbers with 16 significant
digits, inline strings, Excel's `_xHHHH_` escapes for control characters), so files read the
same as before the writer was replaced.
"""

import math
import re
from datetime import date, datetime

MAX_CELL_TEXT = 32_767  # UTF-16 code units
EXACT_INTEGER_LIMIT = 2**53
EARLIEST_EXCEL_YEAR = 1900
BOLD_STYLE = 1
DATE_STYLE = 2
TIMESTAMP_STYLE = 3
# Excel counts days from 1899-12-31 and keeps 1900-02-29, a day that never was.
_EXCEL_EPOCH_ORDINAL = date(1899, 12, 31).toordinal()
_FICTITIOUS_LEAP_DAY = 59
_SECONDS_A_DAY = 86_400
_SPECIAL_FLOATS = {math.inf: "Infinity", -math.inf: "-Infinity"}
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_ESCAPE_LOOKALIKE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def excel_time(text: str) -> float | None:
    """PostgreSQL's ISO timestamp text as Excel's serial number, None if Excel cannot hold it.

    Days since Excel's epoch and the fraction of the day. The offset of a timestamptz is
    ignored: the text is already in the session's time zone.
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:  # infinity, BC, or a year past 9999
        return None
    if moment.year < EARLIEST_EXCEL_YEAR:
        return None
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
    days = moment.toordinal() - _EXCEL_EPOCH_ORDINAL
    if days > _FICTITIOUS_LEAP_DAY:
        days += 1
    return days + (seconds + moment.microsecond / 1e6) / _SECONDS_A_DAY


def special_float_text(value: float) -> str:
    return "NaN" if math.isnan(value) else _SPECIAL_FLOATS[value]


def excel_day(text: str) -> int | None:
    """PostgreSQL's ISO date text as Excel's day number, None if Excel cannot hold it."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    if day.year < EARLIEST_EXCEL_YEAR:
        return None
    serial = day.toordinal() - _EXCEL_EPOCH_ORDINAL
    return serial + 1 if serial > _FICTITIOUS_LEAP_DAY else serial


def excel_text(text: str) -> str:
    """Text as Excel stores it in XML: escaped, control characters as `_xHHHH_`."""
    text = _ESCAPE_LOOKALIKE.sub(r"_x005F\1", text)
    text = _CONTROL_CHARACTER.sub(lambda match: f"_x{ord(match.group()):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit_to_cell(text: str) -> str | None:
    """`text` cut to Excel's cell limit, or None if it fits already."""
    if len(text) <= MAX_CELL_TEXT // 2:
        return None
    units = text.encode("utf-16-le")
    if len(units) <= 2 * MAX_CELL_TEXT:
        return None
    return units[: 2 * MAX_CELL_TEXT].decode("utf-16-le", errors="ignore")


def text_cell(ref: str, text: str, style: str = "") -> str:
    if _NEEDS_ESCAPE.search(text):
        text = excel_text(text)
    if text[:1].isspace() or text[-1:].isspace():
        return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return f'<c r="{ref}"{style} t="inlineStr"><is><t>{text}</t></is></c>'


def header_cell(ref: str, name: str) -> str:
    return text_cell(ref, name, f' s="{BOLD_STYLE}"')


def number_cell(ref: str, value: float) -> str:
    return f'<c r="{ref}"><v>{value:.16G}</v></c>'


def integer_cell(ref: str, value: int) -> str:
    if -EXACT_INTEGER_LIMIT <= value <= EXACT_INTEGER_LIMIT:
        return f'<c r="{ref}"><v>{value}</v></c>'
    return text_cell(ref, str(value))


def float_cell(ref: str, value: float) -> str:
    if math.isfinite(value):
        return f'<c r="{ref}"><v>{value:.16G}</v></c>'
    return text_cell(ref, special_float_text(value))


def numeric_cell(ref: str, text: str) -> str:
    """A numeric from PostgreSQL's text: parsing that is cheaper than decoding a Decimal."""
    return float_cell(ref, float(text))


def boolean_cell(ref: str, value: bool) -> str:
    return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'


def date_cell(ref: str, text: str) -> str:
    serial = excel_day(text)
    if serial is None:
        return text_cell(ref, text)
    return f'<c r="{ref}" s="{DATE_STYLE}"><v>{serial}</v></c>'


def timestamp_cell(ref: str, text: str) -> str:
    serial = excel_time(text)
    if serial is None:
        return text_cell(ref, text)
    return f'<c r="{ref}" s="{TIMESTAMP_STYLE}"><v>{serial:.16G}</v></c>'

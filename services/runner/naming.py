"""Output file names: `<Report_Name>_<YYYYmmdd_HHMMSS>.<ext>`, safe on any file system."""

import re
from datetime import datetime

MAX_STEM_LENGTH = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def safe_stem(report_name: str) -> str:
    stem = _UNSAFE.sub("_", report_name).strip("_")[:MAX_STEM_LENGTH].strip("_")
    return stem or "report"


def output_filename(
    report_name: str, started_at: datetime, extension: str, attempt: int = 1
) -> str:
    """`attempt` > 1 adds `_<attempt>` when an earlier name is taken."""
    suffix = f"_{attempt}" if attempt > 1 else ""
    return f"{safe_stem(report_name)}_{started_at:%Y%m%d_%H%M%S}{suffix}.{extension}"

"""Output file names: `<Report_Name>_<YYYYmmdd_HHMMSS>.<ext>`, or the report's
file_name_template made safe, `<stem>.<ext>`; safe on any file system."""

import re
from dataclasses import replace
from datetime import datetime

from shared.message_templates.engine import TemplateProblem
from shared.message_templates.messages import render_file_stem
from shared.message_templates.variables import RunFacts

MAX_STEM_LENGTH = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def safe_stem(report_name: str) -> str:
    stem = _UNSAFE.sub("_", report_name).strip("_")[:MAX_STEM_LENGTH].strip("_")
    return stem or "report"


def output_filename(
    report_name: str,
    started_at: datetime,
    extension: str,
    attempt: int = 1,
    templated_stem: str | None = None,
) -> str:
    """`attempt` > 1 adds `_<attempt>` when an earlier name is taken (a templated name without
    a date is taken by the report's previous run)."""
    suffix = f"_{attempt}" if attempt > 1 else ""
    if templated_stem is not None:
        return f"{templated_stem}{suffix}.{extension}"
    return f"{safe_stem(report_name)}_{started_at:%Y%m%d_%H%M%S}{suffix}.{extension}"


def templated_stem(
    template: str | None, facts: RunFacts | None, rows: int, size: int
) -> tuple[str | None, str | None]:
    """The file's stem from the report's template and the exported run, and a note for the run
    when the template cannot be rendered: the run keeps the default name, it never fails."""
    if template is None or facts is None:
        return None, None
    try:
        return render_file_stem(template, replace(facts, rows=rows, size=size)), None
    except TemplateProblem as problem:
        return None, f"The file_name_template could not be rendered ({problem}); default name used."

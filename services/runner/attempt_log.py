"""The run's `attempts` list (JSONB) as SQL expressions: an entry opened at each claim, closed
with its end and error however the attempt ends (finish, retry, hand back, lease recovery)."""

from sqlalchemy import ColumnElement, cast, func, literal, literal_column
from sqlalchemy.dialects.postgresql import JSONB

from shared.models import ReportRun


def opened_attempt() -> ColumnElement[object]:
    """A one-entry array to append: the attempt the claim starts (its number is the new one)."""
    return func.jsonb_build_array(
        func.jsonb_build_object(
            "number",
            ReportRun.attempt + 1,
            "started_at",
            func.now(),
            "finished_at",
            None,
            "error",
            None,
        )
    )


def closed_attempts(error: str | None) -> ColumnElement[object]:
    """`attempts` with its last (open) entry given its end and error."""
    last = func.coalesce(ReportRun.attempts.op("->")(-1), cast(literal("{}"), JSONB))
    closed = last.op("||")(func.jsonb_build_object("finished_at", func.now(), "error", error))
    return func.jsonb_set(ReportRun.attempts, literal_column("'{-1}'::text[]"), closed)

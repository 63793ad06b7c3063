"""A report's templates rendered for its last finished run, or for sample values when it has
none: what the preview route answers (a template that cannot be rendered is a 422)."""

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.errors import FieldError
from services.api.report_changes import definition_of
from services.api.schemas import MessagePreviewOut
from services.api.template_rules import sample_facts_of
from shared.export_formats import file_extension
from shared.message_templates.engine import TemplateProblem
from shared.message_templates.messages import TEMPLATE_FIELDS, render_field
from shared.message_templates.variables import RunFacts
from shared.models import FINISHED_STATUSES, Report, ReportRun


async def last_finished_run(session: AsyncSession, report: Report) -> ReportRun | None:
    return await session.scalar(
        select(ReportRun)
        .where(ReportRun.report_id == report.id, ReportRun.status.in_(FINISHED_STATUSES))
        .order_by(ReportRun.finished_at.desc().nulls_last(), ReportRun.queued_at.desc())
        .limit(1)
    )


def run_facts(report: Report, run: ReportRun) -> RunFacts:
    return RunFacts(
        report.name,
        report.description,
        report.timezone,
        str(run.status),
        run_time=run.scheduled_for or run.queued_at,
        scheduled_for=run.scheduled_for,
        rows=run.row_count,
        size=run.byte_size,
        error=run.error_message,
        parameters=run.parameters or {},
    )


def _rendered(field: str, source: str | None, facts: RunFacts) -> str | None:
    if source is None:
        return None
    try:
        return render_field(field, source, facts)
    except TemplateProblem as problem:
        raise FieldError(
            422, field, f"the template cannot be rendered: {problem}", "invalid_template"
        ) from problem


async def preview(
    session: AsyncSession, report: Report, unsaved: Mapping[str, str | None], now: datetime
) -> MessagePreviewOut:
    """`unsaved`: templates replacing the report's own for this preview."""
    templates = {field: getattr(report, field) for field in TEMPLATE_FIELDS} | dict(unsaved)
    run = await last_finished_run(session, report)
    facts = sample_facts_of(definition_of(report), now) if run is None else run_facts(report, run)
    stem = _rendered("file_name_template", templates["file_name_template"], facts)
    extension = file_extension(report.output_format, report.compression)
    return MessagePreviewOut(
        source="sample" if run is None else "last_run",
        run_id=None if run is None else run.id,
        subject=_rendered("subject_template", templates["subject_template"], facts),
        body=_rendered("body_template", templates["body_template"], facts),
        file_name=None if stem is None else f"{stem}.{extension}",
    )

"""A run's subject and body from its report's templates (pure): a template that cannot be
rendered gives the default subject or body and a problem to record, never a failed delivery."""

from dataclasses import dataclass

from services.notifier.finished_run import FinishedRun
from shared.message_templates.engine import TemplateProblem
from shared.message_templates.messages import render_field
from shared.message_templates.variables import RunFacts


@dataclass(frozen=True)
class TemplatedMessage:
    """None: no template, or one that failed (`problems` says which and why)."""

    subject: str | None = None
    body: str | None = None
    problems: tuple[str, ...] = ()


def _facts(run: FinishedRun) -> RunFacts:
    run_time = run.scheduled_for or run.queued_at or run.started_at or run.finished_at
    if run_time is None:
        raise TemplateProblem("the run has no time")
    return RunFacts(
        run.report_name,
        run.report_description,
        run.timezone,
        str(run.status),
        run_time=run_time,
        scheduled_for=run.scheduled_for,
        rows=run.row_count,
        size=run.byte_size,
        error=run.error_message,
        parameters=run.parameters,
    )


def templated_message(run: FinishedRun) -> TemplatedMessage:
    templates = {"subject_template": run.subject_template, "body_template": run.body_template}
    if not any(templates.values()):
        return TemplatedMessage()
    rendered: dict[str, str | None] = {}
    problems: list[str] = []
    for field_name, source in templates.items():
        rendered[field_name] = None
        if source is None:
            continue
        try:
            rendered[field_name] = render_field(field_name, source, _facts(run))
        except TemplateProblem as problem:
            problems.append(f"{field_name} could not be rendered ({problem}); default used")
        except Exception as error:  # a stored zone gone from tzdata, or worse: still deliver
            problems.append(f"{field_name} could not be rendered ({error!r}); default used")
    return TemplatedMessage(
        rendered["subject_template"], rendered["body_template"], tuple(problems)
    )


def with_template_problems(log_line: str, run: FinishedRun) -> str:
    """The run's LOG line, saying which template fell back to the default and why."""
    problems = templated_message(run).problems
    return " ".join([log_line, *problems]) if problems else log_line

"""The three report templates: their limits, and the one-line subject, body and safe file
name rendered from them (a TemplateProblem when a template cannot give one)."""

import re
from collections.abc import Mapping

from shared.message_templates.engine import TemplateProblem, render
from shared.message_templates.variables import RunFacts, template_variables

# Characters a template may have (the API's 422 names the field beyond them).
TEMPLATE_LIMITS = {"subject_template": 500, "body_template": 10_000, "file_name_template": 255}
TEMPLATE_FIELDS = tuple(TEMPLATE_LIMITS)
MAX_SUBJECT_CHARS = 200
MAX_BODY_CHARS = 100_000
MAX_FILE_STEM_CHARS = 100
# Rendered output a subject or file name may have before it is cut to one line or a name.
_MAX_SHORT_OUTPUT_CHARS = 2_000
# C0/C1 controls, DEL and the Unicode line and paragraph separators: anything a mail header
# parser might take for a line break.
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def one_line(text: str, max_chars: int = MAX_SUBJECT_CHARS) -> str:
    """CR, LF and every other control character become spaces; runs of spaces collapse."""
    return " ".join(_LINE_BREAKING.sub(" ", text).split())[:max_chars].strip()


def safe_file_stem(text: str) -> str:
    """Letters, digits, `.`, `_` and `-` only (no path separator, control character or
    space), no leading dot, at most MAX_FILE_STEM_CHARS; may be empty."""
    stem = _UNSAFE_IN_FILE_NAME.sub("_", text).strip("._")
    return stem[:MAX_FILE_STEM_CHARS].strip("._")


def render_subject(source: str, facts: RunFacts) -> str:
    subject = one_line(render(source, template_variables(facts), _MAX_SHORT_OUTPUT_CHARS))
    if not subject:
        raise TemplateProblem("the subject is empty")
    return subject


def render_body(source: str, facts: RunFacts) -> str:
    return render(source, template_variables(facts), MAX_BODY_CHARS)


def render_file_stem(source: str, facts: RunFacts) -> str:
    """The file's name without its extension (the format chooses that)."""
    stem = safe_file_stem(render(source, template_variables(facts), _MAX_SHORT_OUTPUT_CHARS))
    if not stem:
        raise TemplateProblem("the file name is empty once made safe")
    return stem


RENDERERS = {
    "subject_template": render_subject,
    "body_template": render_body,
    "file_name_template": render_file_stem,
}


def render_field(field_name: str, source: str, facts: RunFacts) -> str:
    """The subject, body or file stem `source` gives for `facts`; TemplateProblem when it is
    too long or cannot be rendered."""
    limit = TEMPLATE_LIMITS[field_name]
    if len(source) > limit:
        raise TemplateProblem(f"a template has at most {limit} characters")
    return RENDERERS[field_name](source, facts)


def template_problems(templates: Mapping[str, str | None], facts: RunFacts) -> dict[str, str]:
    """Each field whose template is too long or does not render with `facts`, and why."""
    problems: dict[str, str] = {}
    for field_name, source in templates.items():
        if source is None:
            continue
        try:
            render_field(field_name, source, facts)
        except TemplateProblem as problem:
            problems[field_name] = str(problem)
    return problems

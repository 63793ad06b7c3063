"""Report templates: variables, date macros, strict undefined names, the sandbox and its caps."""

import time
from datetime import UTC, datetime

import pytest

from shared.message_templates.engine import TemplateProblem, render
from shared.message_templates.messages import (
    MAX_BODY_CHARS,
    MAX_FILE_STEM_CHARS,
    MAX_SUBJECT_CHARS,
    render_body,
    render_file_stem,
    render_subject,
    template_problems,
)
from shared.message_templates.variables import RunFacts, sample_facts

# Monday 2026-11-30 06:30 UTC is 07:30 in Berlin; the week before started on 2026-11-23.
SLOT = datetime(2026, 11, 30, 6, 30, tzinfo=UTC)
FACTS = RunFacts(
    "Sales",
    "Weekly sales",
    "Europe/Berlin",
    "SUCCESS",
    run_time=SLOT,
    scheduled_for=SLOT,
    rows=42,
    size=2048,
    parameters={"region": "EU", "ids": [1, 2, 3]},
)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ report_name }}: {{ description }}", "Sales: Weekly sales"),
        ("{{ rows }} rows, {{ size | filesizeformat }}", "42 rows, 2.0 kB"),
        ("{{ status }}{{ error }}", "SUCCESS"),
        ("{{ scheduled_for | date('%Y-%m-%d %H:%M') }}", "2026-11-30 07:30"),
        ("{{ run_time.hour }} {{ timezone }}", "7 Europe/Berlin"),
        ("{{ parameters.region }} {{ parameters.ids | join('+') }}", "EU 1+2+3"),
        ("week {{ macros.last_week_start | date('%V') }}", "week 48"),
        ("{{ macros.last_week_start }}..{{ macros.last_week_end }}", "2026-11-23..2026-11-29"),
        ("{{ macros.last_month_start | date('%B %Y') }}", "October 2026"),
        ("{% if rows > 10 %}many{% else %}few{% endif %}", "many"),
        ("{% for i in range(3) %}{{ i }}{% endfor %}", "012"),
        ("{{ report_name | upper }} {{ report_name | length }}", "SALES 5"),
    ],
)
def test_a_template_renders_the_run_s_variables(source: str, expected: str) -> None:
    assert render_body(source, FACTS) == expected


def test_the_date_macros_are_evaluated_in_the_report_s_zone() -> None:
    # 23:30 UTC on Sunday is already Monday in Berlin: last week is the one just ended.
    sunday_night = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    berlin = RunFacts("r", None, "Europe/Berlin", "SUCCESS", run_time=sunday_night)
    utc = RunFacts("r", None, "UTC", "SUCCESS", run_time=sunday_night)
    source = "{{ macros.last_week_start }}"
    assert render_body(source, berlin) == "2026-11-23"
    assert render_body(source, utc) == "2026-11-16"


@pytest.mark.parametrize("source", ["{{ nope }}", "{{ parameters.missing }}", "{{ macros.x }}"])
def test_an_unknown_variable_is_a_problem(source: str) -> None:
    with pytest.raises(TemplateProblem, match=r"undefined|no attribute"):
        render_body(source, FACTS)


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ report_name.__init__.__globals__ }}",
        "{{ parameters.ids.append(4) }}",
        "{{ ''.join(['a']) }}",
        "{{ lipsum(1000000) }}",
        "{{ cycler }}{{ namespace }}",
        "{% include 'x' %}",
        "{% import 'x' as y %}",
        "{% extends 'x' %}",
        "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
        "{% set x = 1 %}",
    ],
)
def test_sandbox_escapes_and_outside_reaches_are_refused(source: str) -> None:
    with pytest.raises(TemplateProblem):
        render_body(source, FACTS)


HOSTILE = [
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% for a in 'x' %}{% for b in 'x' %}{% for c in 'x' %}{% endfor %}{% endfor %}{% endfor %}",
    "{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}",
    "{{ 'x' * 1000000000 }}",
    "{{ [1] * 1000000000 }}",
    "{{ 9 ** 9 ** 9 }}",
    "{{ '%999999999s' % 1 }}",
    "{{ report_name | center(1000000000) }}",
    "{{ report_name | indent(1000000000) }}",
    "{{ range(100) | join(range(100) | join(range(100) | join('x' * 9999))) }}",
    "{{ scheduled_for | date('%999999999Y') }}",
    "{{" + "(" * 5000 + "1" + ")" * 5000 + "}}",
    "{% for i in range(100) %}{% for j in range(100) %}" + "x" * 100 + "{% endfor %}{% endfor %}",
    # Concatenation is not capped, but what a loop goes over is.
    "{% for a in ('x' * 9999) ~ ('x' * 9999) ~ ('x' * 9999) %}"
    "{% for b in ('y' * 9999) ~ ('y' * 9999) %}{% endfor %}{% endfor %}",
]


def test_loops_have_a_budget_of_iterations_in_all() -> None:
    allowed = "{% for a in 'x' * 1000 %}{% for b in 'y' * 99 %}{% endfor %}{% endfor %}done"
    assert render_body(allowed, FACTS) == "done"
    with pytest.raises(TemplateProblem, match="iterations"):
        render_body(allowed.replace("99", "100"), FACTS)


@pytest.mark.parametrize("source", HOSTILE)
def test_a_hostile_template_fails_fast_instead_of_hanging(source: str) -> None:
    started = time.monotonic()
    with pytest.raises(TemplateProblem):
        render_body(source, FACTS)
    assert time.monotonic() - started < 5  # generous: the point is that it ends at all


def test_a_body_is_cut_off_at_its_size_cap() -> None:
    with pytest.raises(TemplateProblem, match=str(MAX_BODY_CHARS)):
        render(
            "{% for i in range(100) %}{% for j in range(100) %}" + "y" * 20 + "{% endfor %}"
            "{% endfor %}",
            {},
            MAX_BODY_CHARS,
        )


def test_long_variables_are_cut_before_a_template_sees_them() -> None:
    long = RunFacts("r", "d" * 50_000, "UTC", "FAILED", run_time=SLOT, error="e" * 50_000)
    assert len(render_body("{{ description }}{{ error }}", long)) == 2_000


@pytest.mark.parametrize(
    "source",
    [
        "Sales\r\nBcc: victim@example.com",
        "Sales\nX-Injected: 1",
        "Sales\u2028next",
        "{{ description }}\r\n\r\n<html>",
    ],
)
def test_a_subject_is_one_line(source: str) -> None:
    subject = render_subject(source, FACTS)
    assert not {"\r", "\n", "\u2028"} & set(subject)
    assert subject.startswith(("Sales", "Weekly"))


def test_a_subject_is_capped_and_never_empty() -> None:
    assert len(render_subject("{{ 'x' * 1500 }}", FACTS)) == MAX_SUBJECT_CHARS
    with pytest.raises(TemplateProblem, match="empty"):
        render_subject("{% if false %}x{% endif %}  \n ", FACTS)


@pytest.mark.parametrize(
    ("source", "stem"),
    [
        ("Sales {{ macros.last_week_start }}", "Sales_2026-11-23"),
        ("../../etc/passwd", "etc_passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        (".hidden", "hidden"),
        ("a\x00b\nc", "a_b_c"),
        ("Umsätze €", "Ums_tze"),
    ],
)
def test_a_file_name_is_made_safe(source: str, stem: str) -> None:
    assert render_file_stem(source, FACTS) == stem


def test_a_file_name_is_bounded_and_not_empty() -> None:
    assert len(render_file_stem("{{ 'a' * 1500 }}", FACTS)) == MAX_FILE_STEM_CHARS
    with pytest.raises(TemplateProblem, match="empty"):
        render_file_stem("/../..", FACTS)


def test_problems_name_each_field_that_is_too_long_or_does_not_render() -> None:
    facts = sample_facts("Sales", None, "UTC", [{"name": "region", "default": "EU"}], SLOT)
    problems = template_problems(
        {
            "subject_template": "{{ report_name }} {{ parameters.region }}",
            "body_template": "{{ oops",
            "file_name_template": "x" * 256,
        },
        facts,
    )
    assert set(problems) == {"body_template", "file_name_template"}
    assert "255" in problems["file_name_template"]
    assert template_problems({"subject_template": None}, facts) == {}

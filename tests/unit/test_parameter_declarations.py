"""Declarations and a run's resolution: names, types and defaults refused with their path;
overrides, defaults and date macros resolved into the rewritten SQL and the settings."""

from datetime import UTC, datetime
from typing import Any, get_args

import pytest

from services.api.schemas import ParameterTypeName
from shared.report_parameters.declarations import (
    MAX_PARAMETERS,
    PARAMETER_TYPES,
    ParameterProblem,
    parse_declarations,
)
from shared.report_parameters.placeholders import PlaceholderProblem
from shared.report_parameters.resolution import checked_overrides, report_statement, resolve_run


@pytest.mark.parametrize(
    ("raw", "path", "message"),
    [
        ([{"name": "N", "type": "integer"}], (0, "name"), "lower-case"),
        ([{"name": "1n", "type": "integer"}], (0, "name"), "lower-case"),
        ([{"name": "n" * 64, "type": "integer"}], (0, "name"), "at most 63"),
        ([{"name": "today", "type": "date"}], (0, "name"), "built-in date macro"),
        (
            [{"name": "n", "type": "integer"}, {"name": "n", "type": "text"}],
            (1, "name"),
            "declared twice",
        ),
        ([{"name": "n", "type": "int"}], (0, "type"), "type must be one of"),
        ([{"name": "n", "type": "integer", "default": "x"}], (0, "default"), "expected an integer"),
        ([{"name": "d", "type": "date[]", "default": ["2026-13-01"]}], (0, "default"), "item 0"),
        ([{"name": "n", "type": "integer", "extra": 1}], (0, "extra"), "unknown field"),
        ([{"name": f"p{i}", "type": "text"} for i in range(MAX_PARAMETERS + 1)], (), "at most"),
    ],
)
def test_bad_declaration_is_refused_naming_where(
    raw: list[dict[str, Any]], path: tuple[str | int, ...], message: str
) -> None:
    with pytest.raises(ParameterProblem, match=message) as refused:
        parse_declarations(raw)
    assert refused.value.path == path


def test_declarations_are_stored_in_their_checked_form() -> None:
    declarations = parse_declarations(
        [
            {"name": "n", "type": "integer", "default": "3"},
            {"name": "ids", "type": "integer[]"},
            {"name": "since", "type": "date", "default": None},
        ]
    )
    assert [declaration.stored() for declaration in declarations] == [
        {"name": "n", "type": "integer", "default": 3},
        {"name": "ids", "type": "integer[]"},
        {"name": "since", "type": "date"},
    ]


DECLARED = parse_declarations(
    [
        {"name": "n", "type": "integer", "default": 3},
        {"name": "who", "type": "text", "default": "x"},
        {"name": "ids", "type": "integer[]"},
    ]
)


@pytest.mark.parametrize(
    ("overrides", "path", "message"),
    [
        ({"ids": [1], "nope": 1}, ("nope",), "unknown parameter 'nope'"),
        ({"ids": [1], "today": "2026-01-01"}, ("today",), "date macro"),
        ({"ids": [1], "n": "five"}, ("n",), "expected an integer"),
        ({"n": 5}, ("ids",), "has no default"),
    ],
)
def test_bad_override_is_refused_naming_the_parameter(
    overrides: dict[str, object], path: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ParameterProblem, match=message) as refused:
        checked_overrides(DECLARED, overrides)
    assert refused.value.path == path


def test_unknown_placeholder_is_refused() -> None:
    with pytest.raises(PlaceholderProblem, match="names no declared parameter"):
        report_statement("SELECT {{ missing }}", DECLARED)


def test_run_resolves_overrides_defaults_and_used_macros() -> None:
    sql = "SELECT {{ n }} AS n, {{ who }} AS who WHERE 1 = ANY({{ ids }}) AND {{ yesterday }} > x"
    slot = datetime(2026, 3, 29, 22, 30, tzinfo=UTC)  # Monday 00:30 in Berlin
    resolved = resolve_run(sql, DECLARED, {"ids": [1, 2], "who": "'; --"}, slot, "Europe/Berlin")
    assert resolved.values == {"n": 3, "who": "'; --", "ids": [1, 2], "yesterday": "2026-03-29"}
    assert resolved.settings == [
        ("reportflow.param.n", "3"),
        ("reportflow.param.who", "'; --"),
        ("reportflow.param.ids", '["1", "2"]'),
        ("reportflow.param.yesterday", "2026-03-29"),
    ]
    assert "'; --" not in resolved.sql
    assert resolved.sql == (
        "SELECT (SELECT current_setting('reportflow.param.n')::bigint) AS n, "
        "(SELECT current_setting('reportflow.param.who')::text) AS who "
        "WHERE 1 = ANY((ARRAY(SELECT jsonb_array_elements_text("
        "current_setting('reportflow.param.ids')::jsonb))::bigint[])) "
        "AND (SELECT current_setting('reportflow.param.yesterday')::date) > x"
    )


def test_report_saved_before_parameters_existed_still_runs_with_braces_in_a_literal() -> None:
    slot = datetime(2026, 3, 30, 6, tzinfo=UTC)
    resolved = resolve_run("SELECT '{{ mustache }}' AS t", [], {}, slot, "UTC")
    assert resolved.sql == "SELECT '{{ mustache }}' AS t"
    assert resolved.values == {}


def test_api_schema_offers_exactly_the_parameter_types() -> None:
    assert get_args(ParameterTypeName) == PARAMETER_TYPES

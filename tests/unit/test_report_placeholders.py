"""The placeholder scanner: `{{ name }}` counts only outside literals, quoted identifiers,
dollar-quoted strings and comments, and is refused inside them."""

import pytest

from shared.report_parameters.placeholders import (
    PlaceholderProblem,
    find_placeholders,
    original_position,
    replace_placeholders,
)


@pytest.mark.parametrize(
    ("sql", "names"),
    [
        ("SELECT {{ n }} AS n", ["n"]),
        ("SELECT {{n}}, {{  other_1 }}", ["n", "other_1"]),
        ("SELECT * FROM t WHERE id = ANY({{ ids }})", ["ids"]),
        ("SELECT '{' || {{ a }} || '}}'", ["a"]),
        ("SELECT 'it''s' , {{ a }}", ["a"]),
        ("SELECT E'\\'' , {{ a }}", ["a"]),  # E'\'' is one quote: the literal ends after it
        ("SELECT E'\\\\', {{ a }}", ["a"]),  # E'\\' is one backslash
        ("SELECT '\\', {{ a }}", ["a"]),  # standard string: the backslash is just a character
        ('SELECT 1 AS "we""ird", {{ a }}', ["a"]),
        ("SELECT $$ it's $$, {{ a }}", ["a"]),
        ("SELECT $tag$ $$ {no} $tag$, {{ a }}", ["a"]),
        ("SELECT a$b, {{ a }} FROM t$1", ["a"]),  # $ inside identifiers opens nothing
        ("SELECT 1 -- a comment\n, {{ a }}", ["a"]),
        ("SELECT /* outer /* nested */ still */ {{ a }}", ["a"]),
        ('SELECT \'{"k": {"j": 1}}\'::jsonb, {{ a }}', ["a"]),
        ("SELECT U&'d\\0061t', {{ a }}", ["a"]),
        ("SELECT 1", []),
    ],
)
def test_placeholders_are_found_only_in_the_sql_itself(sql: str, names: list[str]) -> None:
    assert [placeholder.name for placeholder in find_placeholders(sql)] == names


@pytest.mark.parametrize(
    ("sql", "where"),
    [
        ("SELECT '{{ n }}'", "inside a string literal"),
        ("SELECT 'it''s {{ n }}'", "inside a string literal"),
        ("SELECT E'\\' {{ n }}'", "inside a string literal"),
        ('SELECT 1 AS "{{ n }}"', "inside a quoted identifier"),
        ("SELECT $$ {{ n }} $$", "inside a dollar-quoted string"),
        ("SELECT $q$ {{ n }} $q$", "inside a dollar-quoted string"),
        ("SELECT 1 -- {{ n }}", "inside a comment"),
        ("SELECT 1 /* /* */ {{ n }} */", "inside a comment"),
        ("SELECT '{{ n }}", "inside a string literal"),  # unterminated: to the end
    ],
)
def test_placeholder_inside_a_literal_or_comment_is_refused(sql: str, where: str) -> None:
    with pytest.raises(PlaceholderProblem, match=where):
        find_placeholders(sql)


def test_refusal_gives_the_character_position() -> None:
    with pytest.raises(PlaceholderProblem, match="at character 9 "):
        find_placeholders("SELECT '{{ n }}'")


@pytest.mark.parametrize("sql", ["SELECT {{ }}", "SELECT {{ a b }}", "SELECT {{n", "SELECT {{1}}"])
def test_malformed_placeholder_is_refused(sql: str) -> None:
    with pytest.raises(PlaceholderProblem, match="does not start a placeholder"):
        find_placeholders(sql)


def test_replacing_keeps_everything_else_verbatim() -> None:
    sql = "SELECT '{{' || x, {{ a }} /* c */, {{a}} FROM t -- end"
    assert replace_placeholders(sql, {"a": "(ref)"}) == (
        "SELECT '{{' || x, (ref) /* c */, (ref) FROM t -- end"
    )


def test_runner_reads_a_placeholder_inside_a_literal_as_its_text() -> None:
    sql = "SELECT '{{ n }}' AS t, {{ n }} AS n -- {{ n }}"
    assert [p.start for p in find_placeholders(sql, refuse_inside=False)] == [23]
    assert replace_placeholders(sql, {"n": "(ref)"}, refuse_inside=False) == (
        "SELECT '{{ n }}' AS t, (ref) AS n -- {{ n }}"
    )


@pytest.mark.parametrize(
    ("position", "original"),
    [(1, 1), (7, 7), (8, 8), (12, 8), (13, 15), (16, 18), (17, 18), (25, 26), (31, 32)],
)
def test_a_position_in_the_replaced_sql_maps_back_to_the_sql_as_written(
    position: int, original: int
) -> None:
    sql = "SELECT {{ a }} + {{ bb }} FROM t"  # replaced: "SELECT AAAAA + BBBBBBBBB FROM t"
    replacements = {"a": "AAAAA", "bb": "BBBBBBBBB"}
    replaced = replace_placeholders(sql, replacements)
    assert replaced == "SELECT AAAAA + BBBBBBBBB FROM t"
    assert original_position(sql, replacements, position) == original
    if replaced[position - 1] not in "AB":
        assert sql[original - 1] == replaced[position - 1]

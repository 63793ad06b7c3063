"""The CSV formula-injection guard on values (pure): what is prefixed and what is left alone."""

import pytest

from services.runner.exporters.formula_guard import guarded_rows, guarded_text


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        ("'already", "'already"),
        (" =space first", " =space first"),
    ],
)
def test_only_text_that_starts_a_formula_is_prefixed(text: str, written: str) -> None:
    assert guarded_text(text) == written


def test_only_guarded_columns_and_text_values_change() -> None:
    rows = [("=a", "=b", -5, None), ("x", "-1", 3, "@c")]
    assert guarded_rows(rows, [True, False, True, True]) == [
        ("'=a", "=b", -5, None),
        ("x", "-1", 3, "'@c"),
    ]

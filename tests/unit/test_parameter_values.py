"""Parameter values checked against their types: what a run records, and the text that
travels as a bind parameter."""

from typing import Any

import pytest

from shared.report_parameters.values import (
    MAX_LIST_ITEMS,
    MAX_TEXT_CHARS,
    InvalidValue,
    coerce,
)


@pytest.mark.parametrize(
    ("item_type", "is_list", "value", "recorded", "setting"),
    [
        ("text", False, "'; DROP TABLE t; --", "'; DROP TABLE t; --", "'; DROP TABLE t; --"),
        ("text", False, "", "", ""),
        ("integer", False, 5, 5, "5"),
        ("integer", False, "-12", -12, "-12"),
        ("integer", False, 2**63 - 1, 2**63 - 1, str(2**63 - 1)),
        ("number", False, 1.5, 1.5, "1.5"),
        ("number", False, "0.25", 0.25, "0.25"),
        ("number", False, 3, 3, "3"),
        ("number", False, 2.0, 2, "2"),
        ("date", False, "2028-02-29", "2028-02-29", "2028-02-29"),
        (
            "timestamp",
            False,
            "2026-03-30T08:00:00+02:00",
            "2026-03-30T08:00:00+02:00",
            "2026-03-30T08:00:00+02:00",
        ),
        ("timestamp", False, "2026-03-30T06:00:00Z", "2026-03-30T06:00:00+00:00", None),
        ("boolean", False, True, True, "true"),
        ("boolean", False, "false", False, "false"),
        ("integer", True, [1, "2"], [1, 2], '["1", "2"]'),
        ("text", True, ['a"b', "c,d", "{e}"], ['a"b', "c,d", "{e}"], '["a\\"b", "c,d", "{e}"]'),
        ("date", True, [], [], "[]"),
    ],
)
def test_value_of_the_declared_type_is_accepted(
    item_type: str, is_list: bool, value: object, recorded: Any, setting: str | None
) -> None:
    coerced = coerce(item_type, is_list, value)
    assert coerced.recorded == recorded
    if setting is not None:
        assert coerced.setting == setting


@pytest.mark.parametrize(
    ("item_type", "is_list", "value", "message"),
    [
        ("text", False, 5, "expected text"),
        ("text", False, "x" * (MAX_TEXT_CHARS + 1), "at most"),
        ("text", False, "a\x00b", "NUL"),
        ("integer", False, 1.5, "expected an integer"),
        ("integer", False, True, "expected an integer"),
        ("integer", False, "5; DROP", "expected an integer"),
        ("integer", False, 2**63, "expected an integer"),
        ("number", False, float("nan"), "finite number"),
        ("number", False, float("inf"), "finite number"),
        ("number", False, "1e", "finite number"),
        ("date", False, "2026-02-30", "YYYY-MM-DD"),
        ("date", False, "20260101", "YYYY-MM-DD"),
        ("date", False, 20260101, "YYYY-MM-DD"),
        ("timestamp", False, "2026-03-30T08:00:00", "UTC offset"),
        ("timestamp", False, "yesterday", "UTC offset"),
        ("boolean", False, 1, "boolean"),
        ("boolean", False, "yes", "boolean"),
        ("integer", True, 5, "a list"),
        ("integer", True, [1, "x"], "item 1: expected an integer"),
        ("integer", True, [None], "item 0"),
        ("integer", True, list(range(MAX_LIST_ITEMS + 1)), "at most"),
    ],
)
def test_value_of_another_type_is_refused_saying_why(
    item_type: str, is_list: bool, value: object, message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        coerce(item_type, is_list, value)

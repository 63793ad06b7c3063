"""When a run is delivered (empty_result, deliver_if) and when the runner fails an empty one:
pure decisions, as tables."""

import pytest

from services.notifier.decisions import withheld_because
from services.runner.claim_records import RunOutcome
from services.runner.empty_result import NO_ROWS, apply_empty_result
from shared.models import EmptyResult, RunStatus


def _if(op: str, value: int) -> dict[str, object]:
    return {"metric": "row_count", "op": op, "value": value}


@pytest.mark.parametrize(
    ("row_count", "empty_result", "deliver_if", "delivered"),
    [
        (0, EmptyResult.SEND, [], True),
        (0, EmptyResult.SKIP, [], False),
        (3, EmptyResult.SKIP, [], True),
        (11, EmptyResult.SEND, [_if(">", 10)], True),
        (10, EmptyResult.SEND, [_if(">", 10)], False),
        (10, EmptyResult.SEND, [_if(">=", 10)], True),
        (10, EmptyResult.SEND, [_if("<", 10)], False),
        (9, EmptyResult.SEND, [_if("<=", 9)], True),
        (7, EmptyResult.SEND, [_if("==", 7)], True),
        (7, EmptyResult.SEND, [_if("!=", 7)], False),
        (50, EmptyResult.SEND, [_if(">", 10), _if("<", 100)], True),
        (500, EmptyResult.SEND, [_if(">", 10), _if("<", 100)], False),
        (None, EmptyResult.SEND, [_if(">", 10)], False),
    ],
)
def test_a_successful_run_is_delivered_only_when_every_rule_allows(
    row_count: int | None,
    empty_result: EmptyResult,
    deliver_if: list[dict[str, object]],
    delivered: bool,
) -> None:
    reason = withheld_because(RunStatus.SUCCESS, row_count, empty_result, deliver_if)
    assert (reason is None) is delivered


def test_a_failed_run_is_left_to_notify_on() -> None:
    assert withheld_because(RunStatus.FAILED, None, EmptyResult.SKIP, [_if(">", 1)]) is None


def test_an_unknown_condition_withholds_the_delivery() -> None:
    reason = withheld_because(
        RunStatus.SUCCESS, 5, EmptyResult.SEND, [{"metric": "byte_size", "op": ">", "value": 1}]
    )
    assert reason is not None
    assert "does not know" in reason


def _kept(*first_values: object) -> dict[str, object]:
    return {"columns": ["v", "w"], "rows": [[value, "x"] for value in first_values], "cut": False}


@pytest.mark.parametrize(
    ("first_value", "op", "value", "delivered"),
    [
        ("12.50", ">", 12, True),  # text that reads as a number, compared as numbers
        ("9", ">", 10, False),  # as text "9" > "10"; as numbers it is not
        (9, "<", 10, True),
        ("-3e2", "==", -300, True),
        (12.5, "==", 12.5, True),
        ("100", "!=", 100.0, False),
        ("abc", ">", 10, True),  # not a number: compared as text, "abc" > "10"
        ("open", "==", "open", True),
        ("open", "==", "Open", False),
        ("9", ">", "10", True),  # a text value: compared as text
        (True, "==", "true", True),
        ("b", "<", "a", False),
    ],
)
def test_first_value_compares_as_numbers_when_both_are_numbers_else_as_text(
    first_value: object, op: str, value: object, delivered: bool
) -> None:
    condition = [{"metric": "first_value", "op": op, "value": value}]
    reason = withheld_because(RunStatus.SUCCESS, 3, EmptyResult.SEND, condition, _kept(first_value))
    assert (reason is None) is delivered, reason


@pytest.mark.parametrize(
    ("row_count", "first_rows", "reason"),
    [
        (
            0,
            {"columns": ["v"], "rows": [], "cut": False},
            "deliver_if not met: first_value > 10 cannot hold: the run has no rows",
        ),
        (
            1,
            _kept(None),
            "deliver_if not met: first_value > 10 cannot hold: the first value is NULL",
        ),
        (
            1,
            None,
            "deliver_if not met: first_value > 10 cannot hold: the run kept no first rows "
            "(it ran before the condition was set)",
        ),
        (
            2,
            _kept("7"),
            "deliver_if not met: first_value 7 > 10 is false (compared as numbers)",
        ),
    ],
)
def test_a_run_without_a_first_value_does_not_meet_the_condition_and_says_why(
    row_count: int, first_rows: dict[str, object] | None, reason: str
) -> None:
    condition = [{"metric": "first_value", "op": ">", "value": 10}]
    assert (
        withheld_because(RunStatus.SUCCESS, row_count, EmptyResult.SEND, condition, first_rows)
        == reason
    )


def test_a_text_comparison_says_so() -> None:
    condition = [{"metric": "first_value", "op": "==", "value": "open"}]
    assert withheld_because(RunStatus.SUCCESS, 1, EmptyResult.SEND, condition, _kept("closed")) == (
        "deliver_if not met: first_value 'closed' == 'open' is false (compared as text)"
    )


SUCCESS_WITH_FILE = RunOutcome(RunStatus.SUCCESS, 0, 10, "/out/x.csv", sha256="ab")


@pytest.mark.parametrize(
    ("outcome", "empty_result", "status"),
    [
        (SUCCESS_WITH_FILE, EmptyResult.FAIL, RunStatus.FAILED),
        (SUCCESS_WITH_FILE, EmptyResult.SKIP, RunStatus.SUCCESS),
        (SUCCESS_WITH_FILE, EmptyResult.SEND, RunStatus.SUCCESS),
        (RunOutcome(RunStatus.SUCCESS, 1, 10, "/out/x.csv"), EmptyResult.FAIL, RunStatus.SUCCESS),
        (RunOutcome(RunStatus.FAILED, error_message="boom"), EmptyResult.FAIL, RunStatus.FAILED),
    ],
)
def test_only_an_empty_success_with_fail_becomes_a_failed_run(
    outcome: RunOutcome, empty_result: EmptyResult, status: RunStatus
) -> None:
    assert apply_empty_result(outcome, empty_result).status == status


def test_an_empty_run_that_fails_says_why_and_has_no_file() -> None:
    failed = apply_empty_result(SUCCESS_WITH_FILE, EmptyResult.FAIL)
    assert (failed.error_message, failed.output_path, failed.sha256) == (NO_ROWS, None, None)
    assert failed.row_count == 0

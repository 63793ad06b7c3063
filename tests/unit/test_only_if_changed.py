"""`only_if_changed` as pure decisions: which run is withheld as unchanged, and that a resend,
a failed run and a first delivery never are; and read from a reports file."""

import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from reportflow_cli.plan import make_plan
from reportflow_cli.reports_file import load_definitions
from services.notifier.decisions import DeliveredRun, unchanged_since
from services.notifier.finished_run import FinishedRun
from services.notifier.targets import plan_delivery
from shared.models import EmptyResult, NotificationStatus, NotifyOn, RunStatus

SAME = "a" * 64
OTHER = "b" * 64
EARLIER = DeliveredRun(uuid.UUID(int=7), SAME)


@pytest.mark.parametrize(
    ("status", "only_if_changed", "sha256", "last_delivered", "delivered"),
    [
        (RunStatus.SUCCESS, True, SAME, EARLIER, False),
        (RunStatus.SUCCESS, True, OTHER, EARLIER, True),
        (RunStatus.SUCCESS, True, SAME, None, True),  # the first delivery
        (RunStatus.SUCCESS, False, SAME, EARLIER, True),
        (RunStatus.SUCCESS, True, None, DeliveredRun(uuid.UUID(int=7), None), True),
        (RunStatus.SUCCESS, True, SAME, DeliveredRun(uuid.UUID(int=7), None), True),
        (RunStatus.FAILED, True, None, DeliveredRun(uuid.UUID(int=7), None), True),
        (RunStatus.FAILED, True, SAME, EARLIER, True),
    ],
)
def test_only_a_success_with_the_last_delivered_file_is_withheld(
    status: RunStatus,
    only_if_changed: bool,
    sha256: str | None,
    last_delivered: DeliveredRun | None,
    delivered: bool,
) -> None:
    reason = unchanged_since(status, only_if_changed, sha256, last_delivered)
    assert (reason is None) is delivered


def test_the_reason_names_the_run_and_the_checksum() -> None:
    reason = unchanged_since(RunStatus.SUCCESS, True, SAME, EARLIER)
    assert reason == f"unchanged since run {EARLIER.run_id}, sha256 {SAME}"


RUN = FinishedRun(
    uuid.uuid4(),
    "Orders",
    None,
    NotifyOn.ALWAYS,
    ["ana@example.com", "bo@example.com"],
    RunStatus.SUCCESS,
    3,
    None,
    None,
    None,
    None,
    "orders.csv",
    sha256=SAME,
    only_if_changed=True,
)


def test_an_unchanged_run_gets_a_skipped_row_per_target_and_sends_nothing() -> None:
    plan = plan_delivery(RUN, None, None, lambda _: True, EARLIER)

    assert plan.to_send == []
    [group] = plan.groups
    assert group.status == NotificationStatus.SKIPPED
    assert [key.recipient for key in group.keys] == ["ana@example.com", "bo@example.com"]
    assert group.message.startswith(f"unchanged since run {EARLIER.run_id}")


def test_a_resend_of_an_unchanged_run_is_delivered() -> None:
    plan = plan_delivery(RUN, uuid.uuid4(), None, lambda _: True, EARLIER)
    assert [key.recipient for key in plan.to_send] == ["ana@example.com", "bo@example.com"]


def test_a_rule_that_withholds_first_is_the_reason_given() -> None:
    run = replace(RUN, row_count=0, empty_result=EmptyResult.SKIP)
    plan = plan_delivery(run, None, None, lambda _: True, EARLIER)
    assert plan.groups[0].message == "the query returned no rows and empty_result is skip"


def test_a_reports_file_sets_only_if_changed_and_omitting_it_means_off(tmp_path: Path) -> None:
    path = tmp_path / "reports.yaml"
    path.write_text(
        "reports:\n  - name: A\n    sql_query: SELECT 1\n    only_if_changed: true\n"
        "  - name: B\n    sql_query: SELECT 1\n"
    )
    on, off = load_definitions(path)
    assert (on.fields["only_if_changed"], off.fields["only_if_changed"]) == (True, False)
    existing = {"id": "id-a", "name": "A", "sql_query": "SELECT 1", "only_if_changed": False}

    [change] = make_plan([on], [existing]).changes

    assert change.fields == {"only_if_changed": (False, True)}

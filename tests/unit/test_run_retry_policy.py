"""Which export failures a run retries, and how long each retry waits."""

import pytest

from services.runner.retry_policy import is_transient_sqlstate, retry_delay_seconds, should_retry


@pytest.mark.parametrize(
    ("sqlstate", "transient"),
    [
        ("08006", True),  # connection_failure
        ("08001", True),  # sqlclient_unable_to_establish_sqlconnection
        ("40001", True),  # serialization_failure
        ("40P01", True),  # deadlock_detected
        ("55P03", True),  # lock_not_available
        ("53300", True),  # too_many_connections
        ("57P01", True),  # admin_shutdown
        ("57P03", True),  # cannot_connect_now
        ("57014", False),  # query_canceled: the statement timeout, a limit
        ("22012", False),  # division_by_zero
        ("42P01", False),  # undefined_table
        ("42501", False),  # insufficient_privilege
        ("53100", False),  # disk_full (temp_file_limit): a limit
        ("", False),
        (None, False),
    ],
)
def test_only_connection_load_and_conflict_errors_are_transient(
    sqlstate: str | None, transient: bool
) -> None:
    assert is_transient_sqlstate(sqlstate) is transient


@pytest.mark.parametrize(
    ("transient", "retries_done", "max_retries", "retried"),
    [
        (True, 0, 0, False),
        (True, 0, 1, True),
        (True, 1, 1, False),
        (True, 2, 3, True),
        (False, 0, 3, False),
    ],
)
def test_a_transient_failure_is_retried_until_max_retries(
    transient: bool, retries_done: int, max_retries: int, retried: bool
) -> None:
    assert should_retry(transient, retries_done, max_retries) is retried


@pytest.mark.parametrize(("retries_done", "delay"), [(0, 30.0), (1, 60.0), (2, 120.0), (3, 240.0)])
def test_each_retry_waits_twice_as_long_as_the_one_before(retries_done: int, delay: float) -> None:
    assert retry_delay_seconds(30, retries_done) == delay

"""A run's statement timeout is its report's own, else the default, never above the maximum;
rows and bytes past MAX_RUN_ROWS / MAX_RUN_BYTES stop the export with a reason naming them."""

import pytest

from services.runner.exporters.limits import NO_LIMITS, LimitExceeded, RunLimits
from shared.settings import RunTimeoutSettings


@pytest.mark.parametrize(
    ("default", "maximum", "report", "expected"),
    [
        (3600, None, None, 3600),  # no timeout of its own: the default
        (3600, None, 60, 60),  # shorter than the default
        (3600, None, 7200, 3600),  # the default is the maximum when none is set
        (600, 7200, 3600, 3600),  # longer than the default, within the maximum
        (600, 7200, 10_000, 7200),  # a stored value above a since-lowered maximum is capped
        (3600, 60, None, 60),  # a maximum below the default caps the default too
    ],
)
def test_a_runs_timeout_is_the_reports_own_capped_by_the_maximum(
    default: float, maximum: float | None, report: int | None, expected: float
) -> None:
    settings = RunTimeoutSettings(
        _env_file=None, statement_timeout_seconds=default, max_statement_timeout_seconds=maximum
    )
    assert settings.run_timeout(report) == expected


def test_rows_up_to_the_limit_pass_and_one_more_stops_naming_it() -> None:
    limits = RunLimits(max_rows=1000, max_bytes=None)
    limits.check_rows(1000)
    with pytest.raises(LimitExceeded, match=r"MAX_RUN_ROWS \(1,000 rows\)"):
        limits.check_rows(1001)


def test_bytes_up_to_the_limit_pass_and_one_more_stops_naming_it() -> None:
    limits = RunLimits(max_rows=None, max_bytes=2048)
    limits.check_bytes(2048)
    with pytest.raises(LimitExceeded, match=r"MAX_RUN_BYTES \(2,048 bytes of output\)"):
        limits.check_bytes(2049)


def test_without_limits_nothing_is_refused() -> None:
    NO_LIMITS.check_rows(10**12)
    NO_LIMITS.check_bytes(10**15)

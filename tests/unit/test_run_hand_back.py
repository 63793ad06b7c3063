"""When the runner hands a run request back to the queue instead of taking it."""

import pytest

from services.runner.admission import NO_FREE_SLOT, SHUTTING_DOWN, hand_back_reason


@pytest.mark.parametrize(
    ("got_slot", "stopping", "reason"),
    [
        (True, False, None),
        (False, False, NO_FREE_SLOT),
        (True, True, SHUTTING_DOWN),
        (False, True, NO_FREE_SLOT),
    ],
)
def test_a_request_is_handed_back_without_a_slot_in_time_or_while_shutting_down(
    got_slot: bool, stopping: bool, reason: str | None
) -> None:
    assert hand_back_reason(got_slot, stopping) == reason

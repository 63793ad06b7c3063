"""A report's `empty_result: fail`: a successful export with no rows becomes a failed run (pure).

`skip` and `deliver_if` are the notifier's to apply (it records a SKIPPED row per target);
only `fail` changes the run, and the runner is the one writer of runs.
"""

from dataclasses import replace

from services.runner.claim_records import RunOutcome
from shared.models import EmptyResult, RunStatus

NO_ROWS = "the query returned no rows (the report's empty_result is fail)"


def apply_empty_result(outcome: RunOutcome, empty_result: EmptyResult) -> RunOutcome:
    """The outcome to record; the file of an empty run that fails is kept on disk, unlinked
    from the run (the caller removes it)."""
    if empty_result != EmptyResult.FAIL or outcome.status != RunStatus.SUCCESS:
        return outcome
    if outcome.row_count != 0:
        return outcome
    return replace(
        outcome,
        status=RunStatus.FAILED,
        error_message=NO_ROWS,
        output_path=None,
        byte_size=None,
        sha256=None,
    )

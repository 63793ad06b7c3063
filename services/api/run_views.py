"""Builds run answers, with a download link once the run has a file."""

from services.api.schemas import RunOut
from shared.models import ReportRun, RunStatus


def run_view(run: ReportRun) -> RunOut:
    view = RunOut.model_validate(run)
    if run.status == RunStatus.SUCCESS and run.output_path:
        view = view.model_copy(update={"download_url": f"/api/runs/{run.id}/download"})
    return view

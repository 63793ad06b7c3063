"""Builds run answers, with a download link once the run has a file, and the file's headers."""

import base64

from services.api.schemas import RunOut
from shared.models import ReportRun, RunStatus
from shared.output_files import download_path, output_file_name


def run_view(run: ReportRun) -> RunOut:
    """`output_path` is the file's name inside the output folder, not a path on the server."""
    view = RunOut.model_validate(run)
    if run.output_path:
        view = view.model_copy(update={"output_path": output_file_name(run.output_path)})
    if run.status == RunStatus.SUCCESS and run.output_path and run.expired_at is None:
        view = view.model_copy(update={"download_url": download_path(run.id)})
    return view


def integrity_headers(sha256: str | None) -> dict[str, str]:
    """ETag and Repr-Digest (RFC 9530) from the SHA-256 recorded when the file was written."""
    if not sha256:
        return {}
    digest = base64.b64encode(bytes.fromhex(sha256)).decode()
    return {"ETag": f'"{sha256}"', "Repr-Digest": f"sha-256=:{digest}:"}

"""Where a run's output file is stored and how it is labelled: one answer for API and notifier."""

import mimetypes
import uuid
from pathlib import Path

# Types Python's mimetypes does not know, or knows under another name.
MEDIA_TYPES = {".jsonl": "application/x-ndjson", ".gz": "application/gzip"}


def download_path(run_id: uuid.UUID) -> str:
    """The API route that serves a run's file; the notifier puts its public base URL before it."""
    return f"/api/runs/{run_id}/download"


def output_file_name(output_path: str) -> str:
    """What clients are shown of a recorded path: the file's name in the output folder, never
    where the server keeps it."""
    return Path(output_path).name


def stored_output_path(output_dir: Path, output_path: str) -> Path:
    """The file in this process's OUTPUT_DIR: only the recorded path's file name counts, since
    the runner that wrote it may have seen the directory under another mount or working dir."""
    return output_dir / output_file_name(output_path)


def output_media_type(filename: str) -> str:
    """`application/gzip` for a `.csv.gz`: the client should save the bytes, not unpack them."""
    for suffix, media_type in MEDIA_TYPES.items():
        if filename.endswith(suffix):
            return media_type
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"

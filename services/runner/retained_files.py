"""The output folder as retention sees it: removing recorded files, finding unclaimed ones."""

import os
import time
from collections.abc import Iterable
from pathlib import Path

from shared.output_files import stored_output_path


def remove_recorded_files(output_dir: Path, output_paths: Iterable[str]) -> None:
    """Removes the files these recorded paths name in `output_dir`; gone ones are fine."""
    for output_path in output_paths:
        stored_output_path(output_dir, output_path).unlink(missing_ok=True)


def unclaimed_candidates(output_dir: Path, older_than_seconds: float) -> list[str]:
    """Names of the visible files not written to for `older_than_seconds` and linked once.

    Hidden names are an export under way (`.part`) or a publish not yet recorded
    (`.publishing/`); a second link means the same. The runner removes those itself.
    """
    if not output_dir.is_dir():
        return []
    cutoff = time.time() - older_than_seconds
    names = []
    with os.scandir(output_dir) as entries:
        for entry in entries:
            if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                continue
            found = entry.stat(follow_symlinks=False)
            if found.st_nlink == 1 and found.st_mtime <= cutoff:
                names.append(entry.name)
    return sorted(names)


def remove_unclaimed(output_dir: Path, names: Iterable[str]) -> None:
    for name in names:
        (output_dir / name).unlink(missing_ok=True)

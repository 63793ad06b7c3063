"""The orphan sweep only ever considers settled files: visible, linked once, not written lately."""

import os
import time
from pathlib import Path

from services.runner.retained_files import remove_recorded_files, unclaimed_candidates


def _written(path: Path, seconds_ago: float) -> Path:
    path.write_text(path.name)
    moment = time.time() - seconds_ago
    os.utime(path, (moment, moment))
    return path


def test_only_old_visible_files_linked_once_are_candidates(tmp_path: Path) -> None:
    _written(tmp_path / "Old_20260101.csv", seconds_ago=7200)
    _written(tmp_path / "Recent_20261129.csv", seconds_ago=10)
    _written(tmp_path / ".run.abcd.csv.part", seconds_ago=7200)
    publishing = _written(tmp_path / "Publishing_20260101.csv", seconds_ago=7200)
    (tmp_path / ".publishing").mkdir()
    os.link(publishing, tmp_path / ".publishing" / ".run.ef01.csv")

    assert unclaimed_candidates(tmp_path, older_than_seconds=3600) == ["Old_20260101.csv"]


def test_a_missing_output_folder_has_no_candidates(tmp_path: Path) -> None:
    assert unclaimed_candidates(tmp_path / "absent", older_than_seconds=0) == []


def test_recorded_files_are_found_by_name_whatever_folder_was_recorded(tmp_path: Path) -> None:
    kept = _written(tmp_path / "Kept.csv", seconds_ago=0)
    expired = _written(tmp_path / "Expired.csv", seconds_ago=0)

    remove_recorded_files(tmp_path, ["/mnt/elsewhere/Expired.csv", "/mnt/elsewhere/Gone.csv"])

    assert (kept.exists(), expired.exists()) == (True, False)

"""What killed attempts of a run leave in the output folder is removed once its outcome is
recorded: `.part` files, and files published by an attempt killed before recording them."""

import os
from pathlib import Path

from services.runner.exporters.output_file import (
    PUBLISHING_DIR,
    remove_leftovers,
    remove_published,
)

RUN = "6f1c2f52-0000-4000-8000-000000000001"


def _published(directory: Path, name: str, token: str) -> Path:
    final = directory / name
    final.write_text(name)
    (directory / PUBLISHING_DIR).mkdir(exist_ok=True)
    os.link(final, directory / PUBLISHING_DIR / f".{RUN}.{token}.csv")
    return final


def test_leftovers_of_killed_attempts_go_and_the_recorded_file_stays(tmp_path: Path) -> None:
    (tmp_path / f".{RUN}.aaaa.csv.part").write_text("half")
    _published(tmp_path, "Report_20260101_000001.csv", "bbbb")  # killed before recording
    recorded = _published(tmp_path, "Report_20260101_000002.csv", "cccc")
    other_run = tmp_path / ".6f1c2f52-0000-4000-8000-000000000002.dddd.csv.part"
    other_run.write_text("another run's export")

    remove_leftovers(tmp_path, RUN, recorded)

    remaining = {path.name for path in tmp_path.rglob("*") if path.is_file()}
    assert remaining == {recorded.name, other_run.name}


def test_a_failed_outcome_removes_every_file_its_attempts_published(tmp_path: Path) -> None:
    _published(tmp_path, "Report_20260101_000001.csv", "bbbb")

    remove_leftovers(tmp_path, RUN, None)

    assert not [path for path in tmp_path.rglob("*") if path.is_file()]


def test_a_file_taken_over_by_another_attempt_goes_with_its_marker_only(tmp_path: Path) -> None:
    ours = _published(tmp_path, "Report_20260101_000001.csv", "bbbb")
    (tmp_path / f".{RUN}.eeee.csv.part").write_text("the current attempt, still writing")

    remove_published(tmp_path, RUN, ours)

    remaining = {path.name for path in tmp_path.rglob("*") if path.is_file()}
    assert remaining == {f".{RUN}.eeee.csv.part"}

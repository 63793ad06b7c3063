"""Where a run's file is read from and the media type it is served and attached with."""

from pathlib import Path

import pytest

from shared.output_files import output_media_type, stored_output_path


@pytest.mark.parametrize(
    ("filename", "media_type"),
    [
        ("sales.csv", "text/csv"),
        ("sales.csv.gz", "application/gzip"),
        ("sales.json", "application/json"),
        ("sales.json.gz", "application/gzip"),
        ("sales.jsonl", "application/x-ndjson"),
        ("sales.jsonl.gz", "application/gzip"),
        ("sales.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("sales", "application/octet-stream"),
        ("sales.unknown-extension", "application/octet-stream"),
    ],
)
def test_the_media_type_follows_the_outermost_extension(filename: str, media_type: str) -> None:
    assert output_media_type(filename) == media_type


@pytest.mark.parametrize(
    "recorded",
    [
        "sales_20250101.csv",
        "./outputs/sales_20250101.csv",
        "/var/lib/runner/outputs/sales_20250101.csv",
        "../elsewhere/sales_20250101.csv",
    ],
)
def test_only_the_recorded_file_name_counts(recorded: str) -> None:
    output_dir = Path("/srv/reportflow/outputs")

    assert stored_output_path(output_dir, recorded) == output_dir / "sales_20250101.csv"

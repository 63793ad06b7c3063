"""The live display of `reportflow run --wait`: rows and bytes only where the API reports them."""

from reportflow_cli.run_watch import progress_fields


def test_a_running_export_shows_its_rows_and_bytes() -> None:
    fields = progress_fields({"status": "RUNNING", "rows_exported": 12500, "bytes_written": 4096})
    assert fields == {"status": "RUNNING  ", "rows": "12,500 rows", "bytes": "4.0 KiB"}


def test_an_api_without_progress_fields_shows_the_status_only() -> None:
    fields = progress_fields({"status": "RUNNING", "row_count": None, "byte_size": None})
    assert fields == {"status": "RUNNING  ", "rows": "", "bytes": ""}


def test_a_finished_run_shows_its_final_counts() -> None:
    fields = progress_fields({"status": "SUCCESS", "row_count": 7, "byte_size": 39})
    assert fields == {"status": "SUCCESS  ", "rows": "7 rows", "bytes": "39 B"}

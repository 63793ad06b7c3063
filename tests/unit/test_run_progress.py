"""The live line of `reportflow run --wait`: rows and bytes only where the API reports them."""

from reportflow_cli.run_watch import progress_line


def test_a_running_export_shows_its_rows_bytes_and_elapsed_time() -> None:
    line = progress_line({"status": "RUNNING", "rows_exported": 12500, "bytes_written": 4096}, 3.25)
    assert line.plain.split() == ["RUNNING", "12,500", "rows", "4.0", "KiB", "3.2", "s"]


def test_an_api_without_progress_fields_shows_status_and_time_only() -> None:
    line = progress_line({"status": "RUNNING", "row_count": None, "byte_size": None}, 1.0)
    assert line.plain.split() == ["RUNNING", "1.0", "s"]


def test_a_finished_run_shows_its_final_counts() -> None:
    line = progress_line({"status": "SUCCESS", "row_count": 7, "byte_size": 39}, 0.5)
    assert line.plain.split() == ["SUCCESS", "7", "rows", "39", "B", "0.5", "s"]

"""LOG_FORMAT=json gives one JSON object a line, with the run and report a line is about."""

import json
import logging

from shared.logs import JsonFormatter, TextFormatter


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord(
        "services.runner.worker", logging.INFO, __file__, 1, "run finished: %s", ("SUCCESS",), None
    )
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_json_lines_carry_the_run_and_report_ids() -> None:
    line = JsonFormatter().format(_record(run_id="r-1", report_id="p-2"))
    entry = json.loads(line)
    assert entry["message"] == "run finished: SUCCESS"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "services.runner.worker"
    assert (entry["run_id"], entry["report_id"]) == ("r-1", "p-2")
    assert "\n" not in line


def test_json_lines_leave_out_context_that_is_absent() -> None:
    entry = json.loads(JsonFormatter().format(_record()))
    assert "run_id" not in entry


def test_text_lines_end_with_the_context() -> None:
    line = TextFormatter("%(message)s").format(_record(run_id="r-1"))
    assert line == "run finished: SUCCESS [run_id=r-1]"

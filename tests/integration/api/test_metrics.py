"""The API's /metrics carries the system-wide view of runs from the database."""

import httpx

from tests.support.metrics import metric_value
from tests.support.reports import report_body


async def test_queued_runs_show_as_waiting_with_the_oldest_age(client: httpx.AsyncClient) -> None:
    before = (await client.get("/metrics")).text
    report = (await client.post("/api/reports", json=report_body())).json()
    await client.post(f"/api/reports/{report['id']}/run")  # no runner here: it stays QUEUED
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text
    assert (
        metric_value(after, "reportflow_runs_waiting")
        == metric_value(before, "reportflow_runs_waiting") + 1
    )
    assert metric_value(after, 'reportflow_runs{status="QUEUED"}') >= 1
    assert "\nreportflow_oldest_queued_run_age_seconds " in after
    assert metric_value(after, "reportflow_oldest_queued_run_age_seconds") >= 0
    assert "reportflow_outbox_pending" in after

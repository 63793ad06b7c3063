"""Subject, body and file name templates through the API: saved, checked by rendering them
(a 422 naming the field), and previewed for the last finished run or for sample values."""

import asyncpg
import httpx
import pytest

from tests.support.reports import report_body

WEEK_SUBJECT = "{{ report_name }}: week of {{ macros.last_week_start }}"


async def _create(client: httpx.AsyncClient, **fields: object) -> dict[str, object]:
    response = await client.post("/api/reports", json=report_body(**fields))
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def test_templates_are_saved_shown_and_cleared(client: httpx.AsyncClient) -> None:
    report = await _create(
        client, subject_template=WEEK_SUBJECT, file_name_template="sales_{{ run_time.year }}"
    )
    assert (report["subject_template"], report["body_template"]) == (WEEK_SUBJECT, None)
    changed = await client.put(
        f"/api/reports/{report['id']}", json={"subject_template": None, "body_template": "  "}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["subject_template"] is None
    assert changed.json()["body_template"] is None
    assert changed.json()["file_name_template"] == "sales_{{ run_time.year }}"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"subject_template": "{{ report_name"}, "subject_template"),
        ({"body_template": "{{ no_such_variable }}"}, "body_template"),
        ({"body_template": "{{ ''.__class__.__mro__ }}"}, "body_template"),
        ({"body_template": "{% for i in range(100000) %}x{% endfor %}"}, "body_template"),
        ({"file_name_template": "{{ parameters.region }}"}, "file_name_template"),
        ({"file_name_template": "x" * 256}, "file_name_template"),
        ({"subject_template": "x" * 501}, "subject_template"),
        ({"body_template": "x" * 10_001}, "body_template"),
        ({"subject_template": "{{ '%9999999s' % 1 }}"}, "subject_template"),
    ],
)
async def test_a_template_that_cannot_render_is_a_422_naming_its_field(
    client: httpx.AsyncClient, fields: dict[str, object], field: str
) -> None:
    response = await client.post("/api/reports", json=report_body(**fields))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", field]


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"subject_template": "On {{ scheduled_for | date('%Y-%m-%d') }}"}, "a manual run"),
        ({"body_template": "{{ rows + 1 }} rows"}, "a failed run"),
    ],
)
async def test_a_template_must_render_for_manual_and_failed_runs_too(
    client: httpx.AsyncClient, fields: dict[str, object], kind: str
) -> None:
    """A manual run has no scheduled_for and a failed run no rows: a template that renders
    only for a scheduled success would fall back to the default at delivery."""
    response = await client.post("/api/reports", json=report_body(**fields))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", next(iter(fields))]
    assert f"for {kind}" in response.json()["detail"][0]["msg"]


async def test_an_update_that_breaks_a_template_is_a_422(client: httpx.AsyncClient) -> None:
    report = await _create(
        client,
        sql_query="SELECT {{ region }}::text AS region",
        parameters=[{"name": "region", "type": "text", "default": "EU"}],
        subject_template="Sales {{ parameters.region }}",
    )
    response = await client.put(
        f"/api/reports/{report['id']}",
        json={"sql_query": "SELECT 1 AS one", "parameters": []},
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "subject_template"]


async def test_the_preview_uses_sample_values_before_any_run(client: httpx.AsyncClient) -> None:
    report = await _create(
        client,
        timezone="Europe/Berlin",
        subject_template=WEEK_SUBJECT,
        body_template="{{ rows }} rows\n{{ status }}",
        file_name_template="{{ report_name }}/../x",
        output_format="CSV",
        compression="gzip",
    )
    response = await client.post(f"/api/reports/{report['id']}/preview-message")
    assert response.status_code == 200, response.text
    preview = response.json()
    assert (preview["source"], preview["run_id"]) == ("sample", None)
    assert preview["subject"].startswith(f"{report['name']}: week of 20")
    assert preview["body"] == "1234 rows\nSUCCESS"
    assert preview["file_name"].endswith("_x.csv.gz")
    assert "/" not in preview["file_name"]


async def test_the_preview_renders_the_last_finished_run(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    report = await _create(client, body_template="{{ status }}: {{ rows }} rows, {{ error }}")
    run_id = await db.fetchval(
        """INSERT INTO report_runs (id, report_id, trigger, status, scheduled_for, row_count,
               error_message, finished_at)
           VALUES (gen_random_uuid(), $1, 'SCHEDULE', 'FAILED', '2026-11-30 07:00+00', 3,
                   'boom', now())
           RETURNING id""",
        report["id"],
    )
    response = await client.post(f"/api/reports/{report['id']}/preview-message")
    assert response.status_code == 200, response.text
    assert response.json()["source"] == "last_run"
    assert response.json()["run_id"] == str(run_id)
    assert response.json()["body"] == "FAILED: 3 rows, boom"
    assert response.json()["subject"] is None  # no template: the default subject


async def test_the_preview_renders_unsaved_templates(client: httpx.AsyncClient) -> None:
    report = await _create(client, subject_template="saved")
    url = f"/api/reports/{report['id']}/preview-message"
    unsaved = await client.post(url, json={"subject_template": "Hi\r\nBcc: x@example.com"})
    assert unsaved.status_code == 200, unsaved.text
    assert unsaved.json()["subject"] == "Hi Bcc: x@example.com"
    cleared = await client.post(url, json={"subject_template": None})
    assert cleared.json()["subject"] is None
    bad = await client.post(url, json={"body_template": "{% for %}"})
    assert bad.status_code == 422, bad.text
    assert bad.json()["detail"][0]["loc"] == ["body", "body_template"]

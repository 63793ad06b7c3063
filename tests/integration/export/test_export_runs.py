"""Export formats through the whole system: API → RabbitMQ → runner process → file → download."""

import gzip
import hashlib
import json

import httpx
import pytest

from tests.integration.export.conftest import run_report
from tests.support.api import create_report
from tests.support.reports import report_body
from tests.support.services import ServiceProcess


async def test_a_gzipped_json_lines_report_downloads_with_its_checksum(
    export_client: httpx.AsyncClient, export_runner: ServiceProcess
) -> None:
    report_id = await create_report(
        export_client,
        "SELECT * FROM export_awkward ORDER BY id",
        output_format="JSONL",
        compression="gzip",
    )
    report = (await export_client.get(f"/api/reports/{report_id}")).json()
    run = await run_report(export_client, report_id)
    download = await export_client.get(str(run["download_url"]))

    assert (report["output_format"], report["compression"]) == ("JSONL", "gzip")
    assert run["output_path"].endswith(".jsonl.gz")
    assert run["row_count"] == 4
    assert run["byte_size"] == len(download.content)
    assert run["sha256"] == hashlib.sha256(download.content).hexdigest()
    assert download.headers["etag"] == f'"{run["sha256"]}"'
    assert download.headers["content-type"] == "application/gzip"
    assert "content-encoding" not in download.headers
    lines = gzip.decompress(download.content).decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("output_format", "media_type"),
    [
        ("CSV", "text/csv"),
        ("JSON", "application/json"),
        ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
async def test_every_format_can_be_picked_on_a_report(
    export_client: httpx.AsyncClient,
    export_runner: ServiceProcess,
    output_format: str,
    media_type: str,
) -> None:
    report_id = await create_report(
        export_client, "SELECT 1 AS one, 'a,b' AS two", output_format=output_format
    )
    run = await run_report(export_client, report_id)
    download = await export_client.get(str(run["download_url"]))
    assert download.headers["content-type"].startswith(media_type)
    assert run["sha256"] == hashlib.sha256(download.content).hexdigest()
    assert run["notes"] is None


async def test_xlsx_with_gzip_is_refused_naming_the_field(
    export_client: httpx.AsyncClient,
) -> None:
    created = await export_client.post(
        "/api/reports", json=report_body(output_format="XLSX", compression="gzip")
    )
    report_id = await create_report(export_client, "SELECT 1", compression="gzip")
    updated = await export_client.put(f"/api/reports/{report_id}", json={"output_format": "XLSX"})
    unknown = await export_client.post("/api/reports", json=report_body(compression="zip"))

    for response in (created, updated, unknown):
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["body", "compression"]
    assert "compressed already" in created.json()["detail"][0]["msg"]

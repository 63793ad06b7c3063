"""The mailed download link opens its run's file without an account, until it expires; a
changed run id, expiry or signature is refused, saying why."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from services.api.settings import ApiSettings
from shared.download_links import download_signature, signed_download_path
from tests.support.accounts import LINK_SIGNING_KEY
from tests.support.api import api_client, create_report

CONTENT = b"region,total\nnorth,150\n"


@pytest.fixture
async def recipient(api_settings: ApiSettings) -> AsyncIterator[httpx.AsyncClient]:
    """Someone with a mailed link and no account: no token, no cookie."""
    async with api_client(api_settings, as_admin=False) as client:
        yield client


async def _finished_run(
    client: httpx.AsyncClient, db: asyncpg.Connection, output_dir: Path
) -> uuid.UUID:
    """A SUCCESS run with its file in OUTPUT_DIR, written as a runner leaves it."""
    report_id = await create_report(client, "SELECT 1 AS one")
    run_id = uuid.uuid4()
    path = output_dir / f"signed_{run_id.hex}.csv"
    path.write_bytes(CONTENT)
    await db.execute(
        "INSERT INTO report_runs (id, report_id, trigger, status, output_path, finished_at) "
        "VALUES ($1, $2, 'MANUAL', 'SUCCESS', $3, now())",
        run_id,
        uuid.UUID(report_id),
        str(path),
    )
    return run_id


def _link(run_id: uuid.UUID, expires: int, signature: str | None = None) -> str:
    signature = signature or download_signature(LINK_SIGNING_KEY, run_id, expires)
    return f"{signed_download_path(run_id)}?expires={expires}&signature={signature}"


def _in_hours(hours: float) -> int:
    return int((datetime.now(UTC) + timedelta(hours=hours)).timestamp())


async def test_a_valid_link_downloads_the_file_without_any_credential(
    client: httpx.AsyncClient,
    recipient: httpx.AsyncClient,
    db: asyncpg.Connection,
    output_dir: Path,
) -> None:
    run_id = await _finished_run(client, db, output_dir)
    response = await recipient.get(_link(run_id, _in_hours(72)))
    assert response.status_code == 200, response.text
    assert response.content == CONTENT
    assert response.headers["content-disposition"].startswith("attachment;")


@pytest.mark.parametrize("change", ["another run", "a later expiry"])
async def test_a_link_changed_to_another_run_or_a_later_expiry_is_refused(
    client: httpx.AsyncClient,
    recipient: httpx.AsyncClient,
    db: asyncpg.Connection,
    output_dir: Path,
    change: str,
) -> None:
    mailed = await _finished_run(client, db, output_dir)
    expires = _in_hours(1)
    signature = download_signature(LINK_SIGNING_KEY, mailed, expires)
    if change == "another run":
        link = _link(await _finished_run(client, db, output_dir), expires, signature)
    else:
        link = _link(mailed, _in_hours(1000), signature)
    response = await recipient.get(link)
    assert response.status_code == 403
    assert "signature is not valid" in response.json()["detail"]


async def test_an_expired_link_is_410_saying_it_expired(
    client: httpx.AsyncClient,
    recipient: httpx.AsyncClient,
    db: asyncpg.Connection,
    output_dir: Path,
) -> None:
    run_id = await _finished_run(client, db, output_dir)
    response = await recipient.get(_link(run_id, _in_hours(-1)))
    assert response.status_code == 410
    assert "the download link expired at" in response.json()["detail"]


async def test_a_valid_link_to_a_run_that_does_not_exist_is_404(
    recipient: httpx.AsyncClient,
) -> None:
    response = await recipient.get(_link(uuid.uuid4(), _in_hours(1)))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("expires=1&signature=abc", "signature"),
        (f"expires=-5&signature={'0' * 64}", "expires"),
        (f"expires=99999999999999999999&signature={'0' * 64}", "expires"),
        (f"signature={'0' * 64}", "expires"),
    ],
)
async def test_a_malformed_link_is_422_naming_the_field(
    recipient: httpx.AsyncClient, query: str, field: str
) -> None:
    response = await recipient.get(f"{signed_download_path(uuid.uuid4())}?{query}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]

"""Signed download links open one run's file until they expire, and nothing else; the key has no
default and a weak one stops the service."""

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError

from shared.download_links import (
    LinkCheck,
    check_download_link,
    download_signature,
    signed_download_url,
)
from shared.settings import DownloadLinkSettings
from tests.support.accounts import LINK_SIGNING_KEY

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RUN_ID = uuid.UUID("0b6c3c5e-2f4e-4b8a-9f0e-6c1d2a3b4c5d")
EXPIRES = int((NOW + timedelta(hours=72)).timestamp())


def _link_parts(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return parts.path, int(query["expires"][0]), query["signature"][0]


def test_a_mailed_link_names_the_run_its_expiry_and_a_signature_that_checks_out() -> None:
    url = signed_download_url(
        "https://reports.example.com/", RUN_ID, LINK_SIGNING_KEY, NOW + timedelta(hours=72)
    )
    path, expires, signature = _link_parts(url)
    assert url.startswith("https://reports.example.com/api/runs/")
    assert path == f"/api/runs/{RUN_ID}/signed-download"
    assert expires == EXPIRES
    assert len(signature) == 64
    assert check_download_link(LINK_SIGNING_KEY, RUN_ID, expires, signature, NOW) == LinkCheck.VALID


def test_the_signature_of_one_run_does_not_open_another() -> None:
    signature = download_signature(LINK_SIGNING_KEY, RUN_ID, EXPIRES)
    other = uuid.uuid4()
    assert (
        check_download_link(LINK_SIGNING_KEY, other, EXPIRES, signature, NOW)
        == LinkCheck.BAD_SIGNATURE
    )


def test_a_later_expiry_breaks_the_signature() -> None:
    signature = download_signature(LINK_SIGNING_KEY, RUN_ID, EXPIRES)
    check = check_download_link(LINK_SIGNING_KEY, RUN_ID, EXPIRES + 3600, signature, NOW)
    assert check == LinkCheck.BAD_SIGNATURE


def test_a_link_signed_with_another_key_is_refused() -> None:
    signature = download_signature("another-key-" + LINK_SIGNING_KEY, RUN_ID, EXPIRES)
    check = check_download_link(LINK_SIGNING_KEY, RUN_ID, EXPIRES, signature, NOW)
    assert check == LinkCheck.BAD_SIGNATURE


def test_a_genuine_link_past_its_expiry_is_expired() -> None:
    signature = download_signature(LINK_SIGNING_KEY, RUN_ID, EXPIRES)
    later = datetime.fromtimestamp(EXPIRES, UTC)
    assert check_download_link(LINK_SIGNING_KEY, RUN_ID, EXPIRES, signature, later) == (
        LinkCheck.EXPIRED
    )


def test_the_signing_key_has_no_default() -> None:
    with pytest.raises(ValidationError, match="LINK_SIGNING_KEY is not set"):
        DownloadLinkSettings(_env_file=None)


@pytest.mark.parametrize(
    "key", ["", "short-key", "changeme-changeme-changeme-changeme", "a" * 40, "ab" * 20]
)
def test_a_weak_signing_key_is_refused_without_being_echoed(key: str) -> None:
    with pytest.raises(ValidationError, match="LINK_SIGNING_KEY") as refused:
        DownloadLinkSettings(_env_file=None, link_signing_key=key)
    if key:
        assert key not in str(refused.value)


@pytest.mark.parametrize("hours", ["0", "-1", str(24 * 91)])
def test_the_link_lifetime_is_bounded(hours: str) -> None:
    with pytest.raises(ValidationError, match="download_link_ttl_hours"):
        DownloadLinkSettings(
            _env_file=None,
            link_signing_key=LINK_SIGNING_KEY,
            download_link_ttl_hours=hours,
        )

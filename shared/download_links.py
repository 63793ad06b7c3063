"""Signed, expiring download links: made by the notifier (mails), checked by the API.

A link names the run, a Unix expiry time and an HMAC-SHA256 over both, keyed with
LINK_SIGNING_KEY, so it opens that one run's file until it expires and nothing else: changing
the run id or the expiry breaks the signature.
"""

import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlencode

# Bumped if what is signed ever changes, so an old link fails instead of meaning something else.
SIGNED_PURPOSE = "reportflow-download-v1"
SIGNATURE_HEX_CHARS = 64


class LinkCheck(StrEnum):
    VALID = "valid"
    BAD_SIGNATURE = "bad signature"
    EXPIRED = "expired"


def signed_download_path(run_id: uuid.UUID) -> str:
    """The API route that serves a run's file to whoever holds a valid signed link."""
    return f"/api/runs/{run_id}/signed-download"


def download_signature(signing_key: str, run_id: uuid.UUID, expires: int) -> str:
    """HMAC-SHA256 (hex) of the run id and the expiry (Unix seconds)."""
    message = f"{SIGNED_PURPOSE}\n{run_id}\n{expires}".encode()
    return hmac.new(signing_key.encode(), message, hashlib.sha256).hexdigest()


def signed_download_url(
    public_base_url: str, run_id: uuid.UUID, signing_key: str, expires_at: datetime
) -> str:
    """`<public_base_url>/api/runs/<id>/signed-download?expires=<unix>&signature=<hex>`."""
    expires = int(expires_at.timestamp())
    query = urlencode(
        {"expires": expires, "signature": download_signature(signing_key, run_id, expires)}
    )
    return f"{public_base_url.rstrip('/')}{signed_download_path(run_id)}?{query}"


def check_download_link(
    signing_key: str, run_id: uuid.UUID, expires: int, signature: str, now: datetime
) -> LinkCheck:
    """The signature first (compared in constant time), then the expiry: an expired link is
    only reported as such when it is genuine."""
    expected = download_signature(signing_key, run_id, expires)
    if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
        return LinkCheck.BAD_SIGNATURE
    if now >= datetime.fromtimestamp(expires, UTC):
        return LinkCheck.EXPIRED
    return LinkCheck.VALID

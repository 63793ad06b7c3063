"""Secrets handed to clients (API tokens, session cookies, CSRF tokens) and their stored digests.

A secret is shown once and stored as its SHA-256: it has 256 bits of entropy, so a fast digest
is as safe as a slow one, and authenticating a request stays one indexed lookup.
"""

import hashlib
import secrets
from dataclasses import dataclass

TOKEN_PREFIX = "rfk_"  # recognisable in logs and secret scanners
SECRET_BYTES = 32


@dataclass(frozen=True)
class IssuedSecret:
    value: str
    sha256: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(prefix: str = "") -> IssuedSecret:
    value = prefix + secrets.token_urlsafe(SECRET_BYTES)
    return IssuedSecret(value, digest(value))


def issue_api_token() -> IssuedSecret:
    return issue(TOKEN_PREFIX)


def same_secret(presented: str, expected_sha256: str) -> bool:
    """Constant-time comparison of a presented secret with a stored digest."""
    return secrets.compare_digest(digest(presented), expected_sha256)

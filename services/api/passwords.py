"""Password hashing with argon2id, off the event loop, and a check that takes the same time
whether or not the account exists."""

import asyncio
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


# Verified against when no account matches, so a failed login costs one verification either
# way and its timing does not tell whether the e-mail exists. A constant: hashing it on first
# use would make that first failed login slower. PasswordHasher()'s parameters, as it encodes.
UNKNOWN_ACCOUNT_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$Fqw/JDVUbBvxFbQme2E0Ig$g8IjGC"
    "WCTJ3MjodPAp6QAMYQVBbmZXaFvvVG/McaOgE"
)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher().hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher().verify(password_hash or UNKNOWN_ACCOUNT_HASH, password) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False


async def password_matches(password_hash: str | None, password: str) -> bool:
    """False for a wrong password, and for no account (None) after the same amount of work."""
    return await asyncio.to_thread(_verify, password_hash, password)

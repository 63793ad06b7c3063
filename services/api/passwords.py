"""Password hashing with argon2id, off the event loop, and a check that takes the same time
whether or not the account exists."""

import asyncio
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _unknown_account_hash() -> str:
    """Verified against when no account matches, so a failed login costs one verification
    either way and its timing does not tell whether the e-mail exists."""
    return _hasher().hash("no account has this password")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher().hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher().verify(password_hash or _unknown_account_hash(), password) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False


async def password_matches(password_hash: str | None, password: str) -> bool:
    """False for a wrong password, and for no account (None) after the same amount of work."""
    return await asyncio.to_thread(_verify, password_hash, password)

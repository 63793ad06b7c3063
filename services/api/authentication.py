"""Who is calling: a Bearer token (an API token, or REPORTFLOW_ADMIN_TOKEN) or a browser
session cookie, which needs its CSRF token on every unsafe request."""

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from fastapi import Request
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.api.credentials import digest, same_secret
from services.api.errors import Forbidden
from services.api.settings import ApiSettings
from shared.models import ApiToken, BrowserSession, Role, User

SESSION_COOKIE = "reportflow_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# last_used_at is written at most this often per token: a request stays one lookup.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class CredentialKind(StrEnum):
    API_TOKEN = "api token"
    ADMIN_TOKEN = "admin token"
    SESSION = "session"


@dataclass(frozen=True)
class Caller:
    user_id: uuid.UUID
    email: str
    role: Role
    credential: CredentialKind
    # The API token or browser session used, if any.
    credential_id: uuid.UUID | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def authenticate(
    request: Request,
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    settings: ApiSettings,
) -> Caller | None:
    """The caller, or None when no valid credential was sent. Bearer wins over the cookie."""
    token = bearer_token(request)
    if token is not None:
        if _is_admin_token(settings, token):
            return await _bootstrap_admin(session, settings)
        return await _token_caller(session, sessions, token)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return await _session_caller(request, session, cookie)
    return None


def _is_admin_token(settings: ApiSettings, token: str) -> bool:
    expected = settings.reportflow_admin_token
    return expected is not None and secrets.compare_digest(
        token.encode(), expected.get_secret_value().encode()
    )


async def _bootstrap_admin(session: AsyncSession, settings: ApiSettings) -> Caller | None:
    user = await session.scalar(
        select(User).where(
            User.email == settings.admin_email, User.role == Role.ADMIN, User.is_active
        )
    )
    if user is None:
        return None
    return Caller(user.id, user.email, user.role, CredentialKind.ADMIN_TOKEN)


async def _token_caller(
    session: AsyncSession, sessions: async_sessionmaker[AsyncSession], token: str
) -> Caller | None:
    row = (
        await session.execute(
            select(ApiToken.id, ApiToken.last_used_at, func.now().label("now"), User)
            .join(User, User.id == ApiToken.user_id)
            .where(
                ApiToken.secret_sha256 == digest(token),
                ApiToken.revoked_at.is_(None),
                or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > func.now()),
                User.is_active,
            )
        )
    ).one_or_none()
    if row is None:
        return None
    if row.last_used_at is None or row.now - row.last_used_at >= LAST_USED_RESOLUTION:
        await _touch(sessions, row.id)
    user = row.User
    return Caller(user.id, user.email, user.role, CredentialKind.API_TOKEN, row.id)


async def _touch(sessions: async_sessionmaker[AsyncSession], token_id: uuid.UUID) -> None:
    """In a transaction of its own: the request's may be long, and would hold the token's row."""
    async with sessions.begin() as session:
        await session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token_id,
                or_(
                    ApiToken.last_used_at.is_(None),
                    ApiToken.last_used_at < func.now() - LAST_USED_RESOLUTION,
                ),
            )
            .values(last_used_at=func.now())
        )


async def _session_caller(request: Request, session: AsyncSession, secret: str) -> Caller | None:
    row = (
        await session.execute(
            select(BrowserSession.id, BrowserSession.csrf_sha256, User)
            .join(User, User.id == BrowserSession.user_id)
            .where(
                BrowserSession.secret_sha256 == digest(secret),
                BrowserSession.expires_at > func.now(),
                User.is_active,
            )
        )
    ).one_or_none()
    if row is None:
        return None
    if request.method not in SAFE_METHODS:
        presented = request.headers.get(CSRF_HEADER, "")
        if not presented or not same_secret(presented, row.csrf_sha256):
            raise Forbidden(f"a signed-in browser must send its CSRF token in {CSRF_HEADER}")
    user = row.User
    return Caller(user.id, user.email, user.role, CredentialKind.SESSION, row.id)

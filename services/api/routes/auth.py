"""Browser sign-in: a session cookie (HttpOnly, SameSite=Strict) and its CSRF token."""

from datetime import timedelta

from fastapi import APIRouter, Response, status
from sqlalchemy import delete, func, select

from services.api.account_schemas import Login, SignedIn, UserOut
from services.api.authentication import SESSION_COOKIE, CredentialKind
from services.api.credentials import issue
from services.api.dependencies import CallerDep, SessionDep, SettingsDep
from services.api.errors import Unauthenticated
from services.api.passwords import password_matches
from shared.events import utc_now
from shared.models import BrowserSession, User

router = APIRouter(prefix="/api/auth", tags=["accounts"])

LOGIN_FAILED = "e-mail or password is wrong, or the account is deactivated"


@router.post("/login", responses={401: {"description": LOGIN_FAILED}})
async def login(
    body: Login, session: SessionDep, settings: SettingsDep, response: Response
) -> SignedIn:
    """One answer for every failure, after the same work, so nobody learns which e-mails exist."""
    user = await session.scalar(select(User).where(User.email == body.email.lower()))
    matches = await password_matches(user.password_hash if user else None, body.password)
    if user is None or not matches or not user.is_active:
        raise Unauthenticated(LOGIN_FAILED)
    await session.execute(
        delete(BrowserSession).where(
            BrowserSession.user_id == user.id, BrowserSession.expires_at < func.now()
        )
    )  # the account's expired sessions: the table stays as small as its live sessions
    cookie, csrf = issue(), issue()
    expires_at = utc_now() + timedelta(hours=settings.session_hours)
    session.add(
        BrowserSession(
            user_id=user.id,
            secret_sha256=cookie.sha256,
            csrf_sha256=csrf.sha256,
            expires_at=expires_at,
        )
    )
    response.set_cookie(
        SESSION_COOKIE,
        cookie.value,
        max_age=int(settings.session_hours * 3600),
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )
    return SignedIn(user=UserOut.model_validate(user), csrf_token=csrf.value, expires_at=expires_at)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> None:
    """Ends this browser session (a Bearer token stays valid: revoke it with DELETE /api/tokens)."""
    if caller.credential == CredentialKind.SESSION:
        await session.execute(
            delete(BrowserSession).where(BrowserSession.id == caller.credential_id)
        )
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=settings.secure_cookies, httponly=True, samesite="strict"
    )

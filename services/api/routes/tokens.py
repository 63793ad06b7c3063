"""Routes for API tokens: issue one (its secret shown once), list them, revoke one."""

import uuid
from datetime import timedelta

from fastapi import APIRouter, status
from sqlalchemy import func, select

from services.api import audit
from services.api.account_schemas import TokenCreate, TokenCreated, TokenOut
from services.api.credentials import issue_api_token
from services.api.dependencies import CallerDep, SessionDep
from services.api.errors import FieldError, Forbidden, NotFound
from shared.events import utc_now
from shared.models import ApiToken, User

router = APIRouter(prefix="/api/tokens", tags=["accounts"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_token(body: TokenCreate, caller: CallerDep, session: SessionDep) -> TokenCreated:
    """Send it as `Authorization: Bearer <token>`. Only admins name another `user_id`."""
    owner_id = body.user_id or caller.user_id
    if owner_id != caller.user_id:
        if not caller.is_admin:
            raise Forbidden("only an admin may issue a token for another account")
        owner = await session.get(User, owner_id)
        if owner is None or not owner.is_active:
            raise FieldError(422, "user_id", f"no active account {owner_id}", "unknown_user")
    secret = issue_api_token()
    token = ApiToken(
        user_id=owner_id,
        name=body.name,
        secret_sha256=secret.sha256,
        expires_at=None
        if body.expires_in_days is None
        else utc_now() + timedelta(days=body.expires_in_days),
    )
    session.add(token)
    await session.flush()
    await session.refresh(token)
    audit.record(
        session,
        caller,
        "token.created",
        "token",
        token.id,
        {"name": token.name, "user_id": str(owner_id)},
    )
    return TokenCreated(**TokenOut.model_validate(token).model_dump(), token=secret.value)


@router.get("")
async def list_tokens(caller: CallerDep, session: SessionDep) -> list[TokenOut]:
    """The caller's tokens; an admin's list has everyone's. Revoked tokens are left out."""
    query = select(ApiToken).where(ApiToken.revoked_at.is_(None))
    if not caller.is_admin:
        query = query.where(ApiToken.user_id == caller.user_id)
    tokens = (await session.scalars(query.order_by(ApiToken.created_at.desc()))).all()
    return [TokenOut.model_validate(token) for token in tokens]


@router.delete(
    "/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"description": "No token of yours with that id"}},
)
async def revoke_token(token_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> None:
    token = await session.get(ApiToken, token_id, with_for_update=True)
    if token is None or token.revoked_at is not None:
        raise NotFound("token", token_id)
    if not caller.is_admin and token.user_id != caller.user_id:
        raise NotFound("token", token_id)  # others' tokens are not even confirmed to exist
    token.revoked_at = await session.scalar(select(func.now()))
    audit.record(
        session,
        caller,
        "token.revoked",
        "token",
        token.id,
        {"name": token.name, "user_id": str(token.user_id)},
    )

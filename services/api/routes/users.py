"""Routes for accounts: create and list them (admins), change one, and who am I."""

import uuid
from typing import Any

from fastapi import APIRouter, status
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.api import audit
from services.api.account_schemas import UserCreate, UserOut, UserUpdate
from services.api.accounts import lock_admins
from services.api.dependencies import CallerDep, SessionDep
from services.api.errors import Conflict, FieldError, Forbidden, NotFound
from services.api.passwords import hash_password
from shared.models import BrowserSession, Role, User

router = APIRouter(tags=["accounts"])

SELF_SERVICE_FIELDS = frozenset({"password", "display_name"})


@router.get("/api/me")
async def me(caller: CallerDep, session: SessionDep) -> UserOut:
    user = await session.get(User, caller.user_id)
    if user is None:
        raise NotFound("user", caller.user_id)
    return UserOut.model_validate(user)


@router.post(
    "/api/users",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "An account with that e-mail exists"}},
)
async def create_user(body: UserCreate, caller: CallerDep, session: SessionDep) -> UserOut:
    user = User(
        email=body.email,
        display_name=body.display_name,
        password_hash=await hash_password(body.password),
        role=body.role,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as error:
        raise FieldError(
            409, "email", f"an account with e-mail {body.email} exists", "duplicate"
        ) from error
    await session.refresh(user)
    audit.record(session, caller, "user.created", "user", user.id, _described(user))
    return UserOut.model_validate(user)


@router.get("/api/users")
async def list_users(session: SessionDep) -> list[UserOut]:
    users = (await session.scalars(select(User).order_by(User.email))).all()
    return [UserOut.model_validate(user) for user in users]


@router.patch("/api/users/{user_id}", responses={404: {"description": "No such account"}})
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, caller: CallerDep, session: SessionDep
) -> UserOut:
    """Admins change anything; others only their own password and display name. A new password
    ends the account's browser sessions (API tokens stay: revoke them one by one)."""
    changes = body.model_dump(exclude_unset=True)
    if not caller.is_admin and set(changes) - SELF_SERVICE_FIELDS:
        raise Forbidden("only an admin may change a role or deactivate an account")
    for field in ("role", "is_active", "password"):
        if field in changes and changes[field] is None:
            raise FieldError(422, field, f"{field} cannot be null", "null_not_allowed")
    user = await session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound("user", user_id)
    before = _described(user)
    if "role" in changes or "is_active" in changes:
        await _keep_an_admin(session, user, changes)
    password = changes.pop("password", None)
    if password is not None:
        user.password_hash = await hash_password(password)
        # A stolen session must not outlive the password it was opened with.
        await session.execute(delete(BrowserSession).where(BrowserSession.user_id == user.id))
    for field, value in changes.items():
        setattr(user, field, value)
    await session.flush()
    await session.refresh(user)
    details = audit.field_changes(before, _described(user))
    if password is not None:
        details["password"] = "changed"
    audit.record(session, caller, "user.changed", "user", user.id, details)
    return UserOut.model_validate(user)


def _described(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role.value,
        "is_active": user.is_active,
    }


async def _keep_an_admin(session: AsyncSession, user: User, changes: dict[str, Any]) -> None:
    """An admin who is demoted or deactivated must leave another active admin behind."""
    stays_admin = changes.get("role", user.role) == Role.ADMIN and changes.get(
        "is_active", user.is_active
    )
    if user.role != Role.ADMIN or not user.is_active or stays_admin:
        return
    await lock_admins(session)
    others = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN, User.is_active, User.id != user.id)
    )
    if not others:
        raise Conflict("this is the last active admin; make another admin first")

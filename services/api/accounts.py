"""The first admin, created from REPORTFLOW_ADMIN_EMAIL/PASSWORD when no admin exists, and the
adoption of reports that have no owner (demo data, reports older than accounts)."""

import asyncio
import logging

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.api.passwords import hash_password
from services.api.settings import ApiSettings
from shared.database import database_unavailable
from shared.models import Report, Role, User

log = logging.getLogger(__name__)
# pg_advisory_xact_lock key: serialises "is there an admin?" decisions between API replicas.
ADMINS_LOCK = 0x5245_5046_4C57_0001
RETRY_SECONDS = 2.0


async def lock_admins(session: AsyncSession) -> None:
    """Held until the transaction ends: who is an admin cannot change meanwhile elsewhere."""
    await session.execute(select(func.pg_advisory_xact_lock(ADMINS_LOCK)))


async def try_bootstrap_admin(
    sessions: async_sessionmaker[AsyncSession], settings: ApiSettings
) -> bool:
    """False when PostgreSQL did not answer: the API still starts, and serves 503s meanwhile."""
    try:
        await bootstrap_admin(sessions, settings)
    except Exception as error:
        if not database_unavailable(error):
            raise
        log.warning("could not check for the first admin yet (PostgreSQL: %s); retrying", error)
        return False
    return True


async def retry_bootstrap_admin(
    sessions: async_sessionmaker[AsyncSession], settings: ApiSettings, stop: asyncio.Event
) -> None:
    while not stop.is_set() and not await try_bootstrap_admin(sessions, settings):
        try:
            await asyncio.wait_for(stop.wait(), RETRY_SECONDS)
        except TimeoutError:
            continue


async def bootstrap_admin(
    sessions: async_sessionmaker[AsyncSession], settings: ApiSettings
) -> None:
    """Idempotent, and race-safe between replicas starting together (the advisory lock)."""
    email, password = settings.admin_email, settings.reportflow_admin_password
    if email is None or password is None:
        return
    async with sessions.begin() as session:
        await lock_admins(session)
        admin = await session.scalar(
            select(User).where(User.email == email, User.role == Role.ADMIN)
        )
        if admin is None and not await _any_active_admin(session):
            admin = await _create_or_promote(session, email, password.get_secret_value())
        if admin is None:
            log.warning("an admin exists already, and it is not %s: none created", email)
            return
        adopted = (
            await session.scalars(
                update(Report)
                .where(Report.owner_id.is_(None))
                .values(owner_id=admin.id)
                .returning(Report.id)
            )
        ).all()
        if adopted:
            log.info("%s adopted %d report(s) that had no owner", email, len(adopted))


async def _any_active_admin(session: AsyncSession) -> bool:
    found = await session.scalar(
        select(User.id).where(User.role == Role.ADMIN, User.is_active).limit(1)
    )
    return found is not None


async def _create_or_promote(session: AsyncSession, email: str, password: str) -> User:
    """Hashes the password only for a new account: argon2 costs ~0.1 s and 64 MiB, and most
    starts find the admin there already."""
    user = await session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, password_hash=await hash_password(password), role=Role.ADMIN)
        session.add(user)
        log.info("created the first admin, %s", email)
    else:
        user.role, user.is_active = Role.ADMIN, True
        log.info("made %s the first admin", email)
    await session.flush()
    return user

"""A run re-checks its report's owner when it starts: the owner may have been deactivated or
made a viewer since the run was scheduled or requested, and then the report must not run."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import Report, Role, User

ROLES_THAT_RUN = frozenset({Role.ADMIN, Role.EDITOR})


async def owner_refusal(session: AsyncSession, report_id: uuid.UUID) -> str | None:
    """Why the report may not run now, or None. A report without an owner (written by SQL
    outside the API and not adopted yet) runs: only someone with the database could make it."""
    owner = (
        await session.execute(
            select(User.email, User.role, User.is_active)
            .join(Report, Report.owner_id == User.id)
            .where(Report.id == report_id)
        )
    ).one_or_none()
    if owner is None:
        return None
    if not owner.is_active:
        problem = f"its owner {owner.email} is deactivated"
    elif owner.role not in ROLES_THAT_RUN:
        problem = f"its owner {owner.email} is a {owner.role} and may not run reports"
    else:
        return None
    return f"not run: {problem}; an admin can hand the report to another owner"

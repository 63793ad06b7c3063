"""A run re-checks its report's owner when it starts: the owner may have been deactivated or
made a viewer since the run was scheduled or requested, and then the report must not run."""

from shared.models import Role

ROLES_THAT_RUN = frozenset({Role.ADMIN, Role.EDITOR})


def owner_refusal(email: str | None, role: Role | None, is_active: bool | None) -> str | None:
    """Why the report may not run now, or None; the owner's columns as the claim read them (all
    None for a report without an owner: written by SQL outside the API and not adopted yet, it
    runs, since only someone with the database could make it)."""
    if email is None:
        return None
    if not is_active:
        problem = f"its owner {email} is deactivated"
    elif role not in ROLES_THAT_RUN:
        problem = f"its owner {email} is a {role} and may not run reports"
    else:
        return None
    return f"not run: {problem}; an admin can hand the report to another owner"

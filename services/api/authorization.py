"""Who may call which route: one table, applied to every route by one dependency.

A route missing from the table is refused (and `create_app` fails on it, so none is
unprotected by accident). Reads are for every signed-in account; editors change only the
reports they own; accounts, tokens of others and the audit log are for admins.
"""

import secrets
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from services.api.authentication import Caller, authenticate, bearer_token
from services.api.dependencies import SessionDep, SessionMakerDep, SettingsDep
from services.api.errors import Forbidden, Unauthenticated
from services.api.settings import ApiSettings
from shared.models import Report, ReportRun, Role


class Scope(StrEnum):
    """What, besides the role, a non-admin caller must satisfy."""

    ANY = "any"
    OWN_REPORT = "own report"  # the report in the path is the caller's
    OWN_ACCOUNT = "own account"  # the user in the path is the caller
    OWN_RUN = "own run"  # the run in the path is of one of the caller's reports


class Gate(StrEnum):
    OPEN = "open"  # no credential
    METRICS = "metrics"  # METRICS_TOKEN when it is set, open otherwise
    ACCOUNT = "account"  # a signed-in account with one of the roles
    SIGNED_LINK = "signed link"  # no account: the route checks the link's signature itself


@dataclass(frozen=True)
class Rule:
    gate: Gate
    roles: frozenset[Role] = frozenset()
    scope: Scope = Scope.ANY


EVERYONE = Rule(Gate.ACCOUNT, frozenset(Role))
WRITERS = Rule(Gate.ACCOUNT, frozenset({Role.ADMIN, Role.EDITOR}))
OWNERS = Rule(Gate.ACCOUNT, frozenset({Role.ADMIN, Role.EDITOR}), Scope.OWN_REPORT)
RUN_OWNERS = Rule(Gate.ACCOUNT, frozenset({Role.ADMIN, Role.EDITOR}), Scope.OWN_RUN)
ADMINS = Rule(Gate.ACCOUNT, frozenset({Role.ADMIN}))
SELF = Rule(Gate.ACCOUNT, frozenset(Role), Scope.OWN_ACCOUNT)
OPEN = Rule(Gate.OPEN)
SIGNED_LINK = Rule(Gate.SIGNED_LINK)

RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/health"): OPEN,
    # The web UI's page: no data in it (its modules call the routes below, signed in).
    ("GET", "/"): OPEN,
    # The API's documentation (served by FastAPI itself, or as routes of ours).
    ("GET", "/docs"): OPEN,
    ("GET", "/docs/oauth2-redirect"): OPEN,
    ("GET", "/redoc"): OPEN,
    ("GET", "/openapi.json"): OPEN,
    ("GET", "/metrics"): Rule(Gate.METRICS),
    ("POST", "/api/auth/login"): OPEN,
    ("POST", "/api/auth/logout"): EVERYONE,
    ("GET", "/api/me"): EVERYONE,
    ("GET", "/api/reports"): EVERYONE,
    ("POST", "/api/reports"): WRITERS,
    ("GET", "/api/reports/{report_id}"): EVERYONE,
    ("PUT", "/api/reports/{report_id}"): OWNERS,
    ("DELETE", "/api/reports/{report_id}"): OWNERS,
    ("POST", "/api/reports/{report_id}/run"): OWNERS,
    ("GET", "/api/reports/{report_id}/versions"): EVERYONE,
    # Renders templates (bounded) and saves nothing: whoever may read the report.
    ("POST", "/api/reports/{report_id}/preview-message"): EVERYONE,
    ("POST", "/api/reports/{report_id}/versions/{version}/restore"): OWNERS,
    ("GET", "/api/reports/{report_id}/runs"): EVERYONE,
    ("GET", "/api/runs/{run_id}"): EVERYONE,
    ("GET", "/api/runs/{run_id}/download"): EVERYONE,
    # The link mailed to recipients, who may have no account (shared/download_links.py).
    ("GET", "/api/runs/{run_id}/signed-download"): SIGNED_LINK,
    ("GET", "/api/runs/{run_id}/notifications"): EVERYONE,
    ("POST", "/api/runs/{run_id}/resend"): RUN_OWNERS,
    ("POST", "/api/runs/{run_id}/cancel"): RUN_OWNERS,
    ("GET", "/api/schedule/preview"): EVERYONE,
    ("GET", "/api/timezones"): EVERYONE,
    # Prepares SQL on the data source (connections, locks): only those who may save a report.
    ("POST", "/api/sql/check"): WRITERS,
    # Public like /openapi.json: an editor fetches it to validate a reports file.
    ("GET", "/api/schemas/reports-file.json"): OPEN,
    ("POST", "/api/users"): ADMINS,
    ("GET", "/api/users"): ADMINS,
    # Non-admins: their own password and display name only (the route refuses the rest).
    ("PATCH", "/api/users/{user_id}"): SELF,
    # Non-admins: their own tokens only (the routes answer 403 or 404 for others').
    ("POST", "/api/tokens"): EVERYONE,
    ("GET", "/api/tokens"): EVERYONE,
    ("DELETE", "/api/tokens/{token_id}"): EVERYONE,
    ("GET", "/api/audit"): ADMINS,
    # Non-admins: the alerts of reports only (the route filters).
    ("GET", "/api/alerts"): EVERYONE,
}


def rule_for(method: str, path: str) -> Rule | None:
    return RULES.get((method, path))


def api_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route of ours, inside included routers too."""
    return {
        (method, context.path)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute) and context.path is not None
        for method in context.methods or ()
    }


def unruled_routes(app: FastAPI) -> list[str]:
    """`METHOD path` of every API route the table does not cover."""
    return sorted(
        f"{method} {path}" for method, path in api_routes(app) if rule_for(method, path) is None
    )


def require_rules_for_every_route(app: FastAPI) -> None:
    missing = unruled_routes(app)
    if missing:
        raise RuntimeError(f"routes without an access rule in authorization.RULES: {missing}")


# Declares the Bearer scheme in the OpenAPI document, so /docs has an "Authorize" button;
# `authenticate` reads the header itself (the cookie is the other way in).
BEARER_SCHEME = HTTPBearer(
    auto_error=False,
    description="An API token (POST /api/tokens) or REPORTFLOW_ADMIN_TOKEN",
)
DocumentedBearer = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER_SCHEME)]


async def authorize(
    request: Request,
    session: SessionDep,
    sessions: SessionMakerDep,
    settings: SettingsDep,
    _: DocumentedBearer,
) -> None:
    """Runs before every route's own dependencies; the caller is then `CallerDep`."""
    route = request.scope.get("route")
    path = route.path if isinstance(route, APIRoute) else request.url.path
    rule = rule_for(request.method, path)
    if rule is None:
        raise Forbidden("this route has no access rule")
    if rule.gate in (Gate.OPEN, Gate.SIGNED_LINK):
        return
    if rule.gate == Gate.METRICS:
        _check_metrics_token(request, settings)
        return
    caller = await authenticate(request, session, sessions, settings)
    if caller is None:
        raise Unauthenticated()
    if caller.role not in rule.roles:
        raise Forbidden(f"the {caller.role} role may not {request.method} {path}")
    if not caller.is_admin:
        await _check_scope(rule.scope, request, session, caller)
    request.state.caller = caller


def _check_metrics_token(request: Request, settings: ApiSettings) -> None:
    expected = settings.metrics_token
    if expected is None:
        return
    presented = bearer_token(request) or ""
    if not secrets.compare_digest(presented.encode(), expected.get_secret_value().encode()):
        raise Unauthenticated("send Authorization: Bearer <METRICS_TOKEN>")


async def _check_scope(scope: Scope, request: Request, session: SessionDep, caller: Caller) -> None:
    if scope == Scope.OWN_ACCOUNT:
        if _path_uuid(request, "user_id") != caller.user_id:
            raise Forbidden("only an admin may change another account")
    elif scope == Scope.OWN_REPORT:
        report_id = _path_uuid(request, "report_id")
        if report_id is None:
            return  # not a UUID: the route answers 422
        # session.get: the route's ReportDep then finds the row loaded instead of reading it again
        report = await session.get(Report, report_id)
        if report is not None and report.owner_id != caller.user_id:
            raise Forbidden("an editor may change only the reports they own")
    elif scope == Scope.OWN_RUN:
        run_id = _path_uuid(request, "run_id")
        if run_id is None:
            return  # not a UUID: the route answers 422
        owner = await session.scalar(
            select(Report.owner_id).join(ReportRun).where(ReportRun.id == run_id)
        )
        if owner is not None and owner != caller.user_id:
            raise Forbidden("an editor may act only on the runs of the reports they own")


def _path_uuid(request: Request, name: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(request.path_params.get(name)))
    except ValueError:
        return None

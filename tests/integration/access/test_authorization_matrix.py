"""Every route × every kind of caller answers as the rules say: 401 without a valid credential,
403 when the role or the ownership does not allow it, the route's own answer otherwise."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest

from services.api.authorization import RULES
from tests.integration.access.conftest import Cast
from tests.support.accounts import bearer
from tests.support.reports import report_body

CALLERS = (
    "no token",
    "bad token",
    "revoked",
    "expired",
    "viewer",
    "editor on own report",
    "editor on another's",
    "admin",
)
SIGNED_OUT = {"no token": 401, "bad token": 401, "revoked": 401, "expired": 401}
DOCS = {
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("GET", "/openapi.json"),
}


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    ok: int
    # Status for the callers not named: `ok` for the signed-in ones, 401 for the others.
    refused: dict[str, int] = field(default_factory=dict)
    body: Callable[[], Any] | None = None
    open: bool = False
    also_ok: frozenset[int] = frozenset()

    def expected(self, caller: str) -> int:
        if caller in self.refused:
            return self.refused[caller]
        if caller in SIGNED_OUT and not self.open:
            return 401
        return self.ok


VIEWER = {"viewer": 403}
NOT_OWNER = {"viewer": 403, "editor on another's": 403}
NOT_ADMIN = {"viewer": 403, "editor on own report": 403, "editor on another's": 403}


def _new_user() -> dict[str, str]:
    return {
        "email": f"new-{uuid.uuid4().hex[:8]}@example.com",
        "password": "x" * 6 + "y1z2A3b4",
        "role": "viewer",
    }


CASES = [
    # 503 when RabbitMQ or PostgreSQL does not answer: either way, not 401 or 403.
    Case("GET", "/health", 200, open=True, also_ok=frozenset({503})),
    Case("GET", "/", 200, open=True),  # the web UI's page: no data in it
    Case("GET", "/metrics", 200, open=True),
    Case(
        "POST",
        "/api/auth/login",
        401,
        open=True,
        body=lambda: {"email": "a@example.com", "password": "wrong"},
    ),
    Case("POST", "/api/auth/logout", 204),
    Case("GET", "/api/me", 200),
    Case("GET", "/api/reports", 200),
    Case("POST", "/api/reports", 201, VIEWER, body=report_body),
    Case("GET", "/api/reports/{report}", 200),
    Case("PUT", "/api/reports/{report}", 200, NOT_OWNER, body=lambda: {"description": "changed"}),
    Case("DELETE", "/api/reports/{report}", 204, NOT_OWNER),
    Case("POST", "/api/reports/{report}/run", 202, NOT_OWNER),
    Case("GET", "/api/reports/{report}/runs", 200),
    Case("GET", "/api/reports/{report}/versions", 200),
    Case("POST", "/api/reports/{report}/preview-message", 200),
    Case("POST", "/api/reports/{report}/versions/{version}/restore", 200, NOT_OWNER),
    Case("GET", "/api/runs/{run}", 200),
    Case("GET", "/api/runs/{run}/download", 409),  # the run failed: it has no file
    Case("GET", "/api/runs/{run}/notifications", 200),
    # The run is the admin's (editors own none of it) and failed: it has no file to resend.
    Case("POST", "/api/runs/{run}/resend", 409, NOT_ADMIN),
    # No account counts, signed in or not: only the link's own signature (this one is wrong).
    Case(
        "GET", f"/api/runs/{{run}}/signed-download?expires=1&signature={'0' * 64}", 403, open=True
    ),
    # The planted run is the admin's and FAILED: editors own no report of it (their own runs:
    # tests/integration/access/test_run_cancel_access.py), the admin is told it already ended.
    Case("POST", "/api/runs/{run}/cancel", 409, NOT_ADMIN),
    Case("GET", "/api/schedule/preview?cron=0+7+*+*+*", 200),
    Case("GET", "/api/timezones", 200),
    Case("POST", "/api/sql/check", 200, VIEWER, body=lambda: {"sql_query": "SELECT 1 AS one"}),
    Case("GET", "/api/schemas/reports-file.json", 200, open=True),
    Case("POST", "/api/users", 201, NOT_ADMIN, body=_new_user),
    Case("GET", "/api/users", 200, NOT_ADMIN),
    # The editor changes its own account; the viewer and "another's" someone else's.
    Case("PATCH", "/api/users/{user}", 200, NOT_OWNER, body=lambda: {"display_name": "Renamed"}),
    Case("POST", "/api/tokens", 201, body=lambda: {"name": "matrix"}),
    Case("GET", "/api/tokens", 200),
    # Each caller revokes a token of its own.
    Case("DELETE", "/api/tokens/{token}", 204),
    Case("GET", "/api/audit", 200, NOT_ADMIN),
    Case("GET", "/api/alerts", 200),
]


def _route(case: Case) -> tuple[str, str]:
    path = case.path.partition("?")[0]
    for placeholder, name in (
        ("{report}", "{report_id}"),
        ("{run}", "{run_id}"),
        ("{user}", "{user_id}"),
        ("{token}", "{token_id}"),
    ):
        path = path.replace(placeholder, name)
    return case.method, path


def test_the_matrix_covers_every_rule() -> None:
    assert {_route(case) for case in CASES} == set(RULES) - DOCS


@pytest.fixture(scope="module")
async def others_run(client: httpx.AsyncClient, database_url: str) -> str:
    """A FAILED run of the admin's, written directly: no runner of other tests can change it."""
    report = await client.post("/api/reports", json=report_body())
    connection = await asyncpg.connect(database_url)
    try:
        run_id = await connection.fetchval(
            "INSERT INTO report_runs (id, report_id, trigger, status, finished_at, error_message) "
            "VALUES (gen_random_uuid(), $1::uuid, 'MANUAL', 'FAILED', now(), 'planted') "
            "RETURNING id",
            report.json()["id"],
        )
    finally:
        await connection.close()
    return str(run_id)


def _headers(caller: str, cast: Cast, admin: httpx.AsyncClient) -> dict[str, str]:
    tokens = {
        "bad token": "rfk_" + "A" * 43,
        "revoked": cast.revoked.token,
        "expired": cast.expired.token,
        "viewer": cast.viewer.token,
        "editor on own report": cast.editor.token,
        "editor on another's": cast.editor.token,
        "admin": admin.headers["Authorization"].removeprefix("Bearer "),
    }
    return bearer(tokens[caller]) if caller in tokens else {"Authorization": ""}


async def _own_token(admin: httpx.AsyncClient, caller: str, cast: Cast) -> str:
    accounts = {
        "viewer": cast.viewer,
        "editor on own report": cast.editor,
        "editor on another's": cast.editor,
    }
    body: dict[str, Any] = {"name": "to revoke"}
    if caller in accounts:
        body["user_id"] = accounts[caller].id
    response = await admin.post("/api/tokens", json=body)
    return str(response.json()["id"])


async def _path(case: Case, caller: str, cast: Cast, admin: httpx.AsyncClient, run: str) -> str:
    path = case.path.replace("{run}", run).replace("{version}", "1")
    if "{report}" in path:
        owner = bearer(cast.editor.token) if caller == "editor on own report" else {}
        report = await admin.post("/api/reports", json=report_body(), headers=owner)
        path = path.replace("{report}", str(report.json()["id"]))
    if "{user}" in path:
        user = cast.editor.id if caller == "editor on own report" else cast.expired.id
        path = path.replace("{user}", user)
    if "{token}" in path:
        path = path.replace("{token}", await _own_token(admin, caller, cast))
    return path


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.method} {case.path}")
async def test_each_route_answers_each_caller_as_the_rules_say(
    case: Case,
    caller: str,
    cast: Cast,
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    others_run: str,
) -> None:
    path = await _path(case, caller, cast, client, others_run)
    body = case.body() if case.body else None
    response = await anonymous.request(
        case.method, path, json=body, headers=_headers(caller, cast, client)
    )
    expected = case.expected(caller)
    if response.status_code not in case.also_ok or expected != case.ok:
        assert response.status_code == expected, response.text
    if response.status_code == 401:
        assert response.headers.get("WWW-Authenticate") == "Bearer" or case.open

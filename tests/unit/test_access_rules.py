"""Every route of the app has an access rule (none is unprotected by accident), and every rule
names a route; only health, login, metrics, the docs (the reports file's schema among them),
the web UI's page (no data) and the signed download link (which checks its own signature)
need no account."""

import pytest
from fastapi import APIRouter, FastAPI

from services.api.app import create_app
from services.api.authorization import (
    RULES,
    Gate,
    api_routes,
    require_rules_for_every_route,
    unruled_routes,
)
from services.api.settings import ApiSettings
from tests.support.accounts import LINK_SIGNING_KEY

DOCS = {
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("GET", "/openapi.json"),
}


def _app() -> FastAPI:
    return create_app(ApiSettings(_env_file=None, link_signing_key=LINK_SIGNING_KEY))


def test_every_route_of_the_app_has_an_access_rule() -> None:
    assert unruled_routes(_app()) == []


def test_every_rule_names_a_route_of_the_app() -> None:
    # The vendored docs pages are routes of the app; the OpenAPI document is Starlette's own.
    assert set(RULES) == api_routes(_app()) | {("GET", "/openapi.json")}


def test_only_health_login_metrics_the_docs_the_web_ui_page_and_signed_links_need_no_account() -> (
    None
):
    without_account = {route for route, rule in RULES.items() if rule.gate != Gate.ACCOUNT}
    assert without_account == DOCS | {
        ("GET", "/"),
        ("GET", "/health"),
        ("GET", "/metrics"),
        ("POST", "/api/auth/login"),
        # The reports file's JSON Schema: documentation an editor fetches, like /openapi.json.
        ("GET", "/api/schemas/reports-file.json"),
        ("GET", "/api/runs/{run_id}/signed-download"),
    }
    signed = {route for route, rule in RULES.items() if rule.gate == Gate.SIGNED_LINK}
    assert signed == {("GET", "/api/runs/{run_id}/signed-download")}


def test_an_app_with_a_route_missing_from_the_table_is_refused() -> None:
    app = _app()
    router = APIRouter()

    @router.get("/api/forgotten")
    async def forgotten() -> None: ...

    app.include_router(router)
    with pytest.raises(RuntimeError, match="GET /api/forgotten"):
        require_rules_for_every_route(app)

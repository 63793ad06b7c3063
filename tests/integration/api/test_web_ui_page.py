"""The web UI's page and modules: served by the API at `/`, from this origin only, with no inline
script and no way for data to become markup."""

import re
from pathlib import Path

import httpx

from services.api.security_headers import page_policy
from services.api.web_ui import UI_PAGE

UI_DIR = UI_PAGE.parent
# Any absolute or protocol-relative URL, and absolute paths in src/href/import/fetch.
OTHER_HOST = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]")
MARKUP_SINKS = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(")
IMPORTS = re.compile(r'from "(\.{1,2}/[^"]+)"')


def _modules() -> list[Path]:
    return sorted(UI_DIR.rglob("*.js"))


async def test_the_page_is_served_at_the_root_with_the_strict_policy(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == page_policy()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.text) == []  # no inline script
    assert "style=" not in response.text
    assert OTHER_HOST.findall(response.text) == []


async def test_the_pages_assets_are_served_from_relative_urls(
    client: httpx.AsyncClient,
) -> None:
    html = (await client.get("/")).text
    assets = re.findall(r'(?:src|href)="([^"#]+)"', html)
    assert assets
    for asset in assets:
        assert not asset.startswith("/"), asset  # relative: the UI works under a path prefix
        response = await client.get(f"/{asset}")
        assert response.status_code == 200, asset


async def test_every_module_is_served_and_imports_only_served_modules(
    client: httpx.AsyncClient,
) -> None:
    for module in _modules():
        url = f"/static/ui/{module.relative_to(UI_DIR).as_posix()}"
        response = await client.get(url)
        assert response.status_code == 200, url
        assert "javascript" in response.headers["content-type"], url
        for imported in IMPORTS.findall(module.read_text()):
            assert (module.parent / imported).resolve().is_file(), (module, imported)


def test_no_module_turns_text_into_markup_or_names_another_host() -> None:
    for module in _modules():
        text = module.read_text()
        assert MARKUP_SINKS.findall(text) == [], module
        assert OTHER_HOST.findall(text) == [], module

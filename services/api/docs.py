"""The API's documentation pages, Swagger UI at /docs and ReDoc at /redoc, served from the
assets vendored in `static/` (see its README): a browser fetches nothing from another host."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from services.api.security_headers import new_nonce, page_policy, with_nonce

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/static"
SWAGGER_UI_PARAMETERS = {
    # Swagger UI would otherwise load a validity badge from validator.swagger.io.
    "validatorUrl": None,
}


def _page(html: HTMLResponse, *, inline_styles: bool = False) -> HTMLResponse:
    """The page with a nonce on its inline scripts and a policy that admits only those."""
    nonce = new_nonce()
    return HTMLResponse(
        with_nonce(bytes(html.body).decode(), nonce),
        headers={"Content-Security-Policy": page_policy(nonce, inline_styles=inline_styles)},
    )


def install_docs(app: FastAPI) -> None:
    """Call with an app made with `docs_url=None, redoc_url=None`."""
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return _page(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{STATIC_URL}/swagger-ui/swagger-ui-bundle.js",
                swagger_css_url=f"{STATIC_URL}/swagger-ui/swagger-ui.css",
                swagger_favicon_url=f"{STATIC_URL}/swagger-ui/favicon-32x32.png",
                oauth2_redirect_url=oauth2_redirect_url,
                init_oauth=app.swagger_ui_init_oauth,
                swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
            )
        )

    if oauth2_redirect_url:

        @app.get(oauth2_redirect_url, include_in_schema=False)
        async def swagger_ui_oauth2_redirect() -> HTMLResponse:
            return _page(get_swagger_ui_oauth2_redirect_html())

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _page(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{STATIC_URL}/redoc/redoc.standalone.js",
                redoc_favicon_url=f"{STATIC_URL}/swagger-ui/favicon-32x32.png",
                with_google_fonts=False,
            ),
            inline_styles=True,
        )

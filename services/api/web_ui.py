"""The web UI: one page at `/` whose ES modules (static/ui/) call the JSON API.

The page holds no data and no inline script, so the default Content-Security-Policy
(`script-src 'self'`) admits it as it is; user data reaches the page only through the API and
is set as text by the modules (static/ui/dom.js)."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

UI_PAGE = Path(__file__).parent / "static" / "ui" / "index.html"

router = APIRouter(include_in_schema=False)


@router.get("/")
async def web_ui() -> FileResponse:
    # no-cache: after an upgrade the browser asks again, so page and modules stay in step.
    return FileResponse(UI_PAGE, media_type="text/html", headers={"Cache-Control": "no-cache"})

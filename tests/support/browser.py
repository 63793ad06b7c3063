"""Debian's Chromium driven by Playwright (no browser download), and what a browser test records:
dialogs that opened, scripts that failed, and screenshots kept as test artefacts."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Dialog,
    Error,
    Page,
    ViewportSize,
    async_playwright,
)

from tests.support.services import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; `make test` installs it when missing
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Git-ignored: every run of the browser tests leaves its screenshots here.
SCREENSHOT_DIR = PROJECT_ROOT / "test-artifacts" / "screenshots"
LAPTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=390, height=844)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Fails (never skips) when Debian's Chromium is missing: `make test` installs it."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: `apt-get install chromium` (make test does)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class PageWatch:
    """What happened on a page that a test must not let pass unnoticed."""

    dialogs: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("dialog", self._dialog)
        page.on("pageerror", self._page_error)
        page.on("console", self._console)

    async def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        await dialog.dismiss()

    def _page_error(self, error: Error) -> None:
        self.script_errors.append(str(error))

    def _console(self, message: ConsoleMessage) -> None:
        # A refused request (422, 403) is logged as an error too; those are expected answers.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.script_errors.append(message.text)


async def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    return path

"""The running system the browser tests use: a scenario of their own (database, namespace,
output folder) with the API as a real process, a runner, a notifier mailing a recording SMTP
server, and Debian's Chromium.

System and browser are started once for the whole folder (package scope): every test makes its
own reports and accounts and finds them by a unique name, so the modules share one system as
the tests of one module always did; a fresh browser context per test keeps sessions apart."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page

from tests.support.accounts import ADMIN_TOKEN, bearer
from tests.support.browser import LAPTOP, PageWatch, chromium
from tests.support.metrics import free_port
from tests.support.sandbox import SandboxSource
from tests.support.scenarios import Scenario, isolated_scenario
from tests.support.services import FAST_RECOVERY, ServiceProcess
from tests.support.smtp_server import SmtpServer

API_READY = "Uvicorn running on"
NOTIFIER_ENV = {
    "SMTP_TIMEOUT_SECONDS": "2",
    "NOTIFIER_RETRY_BASE_SECONDS": "0.2",
    "NOTIFIER_RETRY_MAX_SECONDS": "1",
    "NOTIFIER_SWEEP_INTERVAL_SECONDS": "0.5",
}


@dataclass
class WebSystem:
    url: str
    scenario: Scenario
    smtp: SmtpServer
    # The API process, as the bootstrap admin (REPORTFLOW_ADMIN_TOKEN).
    admin: httpx.AsyncClient


@pytest.fixture(scope="package")
async def web_system(
    run_id: str,
    service_env: dict[str, str],
    data_source: SandboxSource,
    tmp_path_factory: pytest.TempPathFactory,
    migrated_template: str,
) -> AsyncIterator[WebSystem]:
    smtp = SmtpServer(free_port())
    smtp.start()
    directory = tmp_path_factory.mktemp("web-ui")
    try:
        async with isolated_scenario(
            run_id, service_env, directory, data_source, migrated_template
        ) as scenario:
            await asyncio.to_thread(scenario.start, "runner", **FAST_RECOVERY)
            await asyncio.to_thread(
                scenario.start, "notifier", SMTP_PORT=str(smtp.port), **NOTIFIER_ENV
            )
            port = free_port()
            api_env = {**scenario.env, "API_HOST": "127.0.0.1", "API_PORT": str(port)}
            api = ServiceProcess("api", api_env, scenario.log_dir)
            scenario.processes.append(api)  # stopped with the scenario's other services
            await asyncio.to_thread(api.start, 30.0, API_READY)
            url = f"http://127.0.0.1:{port}"
            # No kept-alive connections: uvicorn closes an idle one after 5 s, and a request
            # sent on it as it closes fails (httpx.ReadError).
            async with httpx.AsyncClient(
                base_url=url,
                headers=bearer(ADMIN_TOKEN),
                limits=httpx.Limits(max_keepalive_connections=0),
            ) as admin:
                yield WebSystem(url, scenario, smtp, admin)
    finally:
        smtp.stop()


@pytest.fixture(scope="package")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as started:
        yield started


@pytest.fixture
async def context(browser: Browser, web_system: WebSystem) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile (no cookie, no storage) at laptop size, for one test."""
    fresh = await browser.new_context(
        base_url=web_system.url, viewport=LAPTOP, accept_downloads=True, timezone_id="UTC"
    )
    fresh.set_default_timeout(15_000)
    yield fresh
    await fresh.close()


@pytest.fixture
async def watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
async def page(context: BrowserContext, watch: PageWatch) -> AsyncIterator[Page]:
    """A page whose dialogs and script errors are recorded; a test ends with none of them."""
    opened = await context.new_page()
    watch.attach(opened)
    yield opened
    assert watch.script_errors == [], watch.script_errors
    assert watch.dialogs == [], watch.dialogs

"""Browser end-to-end fixtures: the real ASGI app served by uvicorn, driven by real Chromium.

The server runs in a thread of the test process, so the test can read ``django.core.mail.outbox``
and prepare data with services; ``transactional_db`` makes that data visible to the server thread
(SQLite test databases are in-memory with a shared cache; on PostgreSQL it is a real database).
"""

from __future__ import annotations

import importlib
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conftest import chromium_path, require

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 15_000


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, server_thread: threading.Thread, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server_thread.is_alive():
            raise RuntimeError("the test server stopped while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the test server did not answer on port {port} within {timeout}s")


def _asgi_application() -> Any:
    """The project's real ``config.asgi.application``, built under the current settings.

    WhiteNoise reads its settings when the middleware is built, and tests run with DEBUG off and
    no ``collectstatic``; (re)importing the module after the fixture turned on finders makes
    /static/ work exactly as in ``make run``."""
    if "config.asgi" in sys.modules:
        module = importlib.reload(sys.modules["config.asgi"])
    else:
        module = importlib.import_module("config.asgi")
    return module.application


def _restore_seeded_rows() -> None:
    """Transactional tests (these and others before them) flush the database, taking the rows
    migrations seed with it: the subject catalogue, institutions and the Site. Put them back
    the way the migrations do, so every browser test sees what a fresh install has."""
    from django.contrib.sites.models import Site

    from peerlearn.accounts.catalogue import load_catalogue

    load_catalogue()
    Site.objects.update_or_create(pk=1, defaults={"domain": "localhost", "name": "PeerLearn"})


def _site_url_at_import() -> str:
    from config import settings as project_settings

    return project_settings.SITE_URL


@pytest.fixture
def live_url(
    transactional_db: None,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """Base URL (no trailing slash) of the real ASGI app served by uvicorn on 127.0.0.1."""
    import uvicorn

    _restore_seeded_rows()
    port = _free_port()
    origins = [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    settings.CSRF_TRUSTED_ORIGINS = origins
    # Links in emails are built from SITE_URL (through allauth's frontend URLs); point them here.
    settings.SITE_URL = origins[0]
    settings.HEADLESS_FRONTEND_URLS = {
        name: url.replace(_site_url_at_import(), origins[0], 1)
        for name, url in settings.HEADLESS_FRONTEND_URLS.items()
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True

    config = uvicorn.Config(
        _asgi_application(),
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    # Server.run() makes its own event loop in this thread, so the test thread has none and
    # Playwright's sync API can run there.
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    try:
        _wait_for_port(port, thread)
        yield origins[0]
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    """Playwright's sync API keeps an asyncio loop marked as running in the test thread, which
    makes Django refuse ORM calls there (test data, assertions). The test thread never uses the
    database concurrently with that loop, so allow it for e2e tests only."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser(live_url: str) -> Iterator[Browser]:
    """Chromium for one test, started after the database and server are ready, closed before.

    Per test on purpose: while Playwright's sync API runs, the test thread is in another context,
    so ``django.db.connections`` hands out other connection objects. A browser outliving a test
    would make the next test's database setup and flush run on those, without the serialized
    data that restores the migrations' rows (subject catalogue, institutions) after each test."""
    require(chromium_path() is not None, "Chromium")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        # Connections the test body opened inside Playwright's context; PostgreSQL could not
        # drop the test database while they are open.
        connections.close_all()
        playwright.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so fixtures can tell that the test failed."""
    report = yield
    setattr(item, f"e2e_report_{report.when}", report)
    return report


NewPage = Callable[..., "Page"]


@pytest.fixture
def new_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[NewPage]:
    """Factory: each call opens a page in a fresh browser context (one context per person).

    When the test fails, every open page is saved as FAILED-<test>-<n>.png next to the
    screenshots, to see what the browser showed."""
    contexts: list[BrowserContext] = []

    def make(**context_options: Any) -> Page:
        options: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}, **context_options}
        context = browser.new_context(**options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    report = getattr(request.node, "e2e_report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pages = [page for context in contexts for page in context.pages]
        for number, page in enumerate(pages, start=1):
            path = SCREENSHOTS / f"FAILED-{request.node.name}-{number}.png"
            page.screenshot(path=str(path), full_page=True)
    for context in contexts:
        context.close()


Screenshot = Callable[["Page", str], Path]


@pytest.fixture
def screenshot() -> Screenshot:
    """``screenshot(page, name)`` saves a full-page PNG to test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take

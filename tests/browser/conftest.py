"""Real-browser fixtures: Debian's chromium driven by Playwright (sync API) against live_server.

One browser per session, a fresh context (cookies, storage) per test. Every page opened
through `open_page` records console errors and uncaught exceptions; the test fails at
teardown if any were seen that the test did not declare as expected.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Error, Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000  # actions and expect(); generous for a loaded CI machine
SETTLE_POLLS, SETTLE_POLL_MS = 50, 100  # up to 5 s for the last requests of a test
expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(config, items) -> None:
    """Run browser tests last.

    Playwright's sync API leaves its asyncio loop marked as running in the main thread while
    the session-scoped browser lives, so any later test calling asgiref's async_to_sync (an
    async view, an async task) would fail with "You cannot use AsyncToSync in the same thread
    as an async event loop". Sorting is stable: the order within each group is kept.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing; `./dev.sh test` installs Debian's chromium (never `playwright install`).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class BrowserErrors:
    """Console errors and uncaught page errors seen in one test, minus those it expects."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.expected: list[re.Pattern[str]] = []

    def expect(self, pattern: str) -> None:
        """Declare a console error that is part of the scenario (e.g. the 409 of a stale save)."""
        self.expected.append(re.compile(pattern))

    def watch(self, page: Page) -> Page:
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        return page

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            location = message.location or {}
            self.seen.append(f"console: {message.text} ({location.get('url', '')}:{location.get('lineNumber', '')})")

    def _on_page_error(self, error: Error) -> None:
        self.seen.append(f"pageerror: {error.message}\n{error.stack or ''}")

    @property
    def unexpected(self) -> list[str]:
        return [e for e in self.seen if not any(p.search(e) for p in self.expected)]


@pytest.fixture
def browser_errors() -> BrowserErrors:
    return BrowserErrors()


def _new_context(browser: Browser, live_server) -> tuple[BrowserContext, set[object]]:
    """A context on the live server, with the set of its requests in flight (for `_settle`)."""
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    in_flight: set[object] = set()
    context.on("request", lambda request: in_flight.add(request))
    context.on("requestfinished", lambda request: in_flight.discard(request))
    context.on("requestfailed", lambda request: in_flight.discard(request))
    return context, in_flight


@pytest.fixture
def context(browser: Browser, live_server, transactional_db, browser_errors: BrowserErrors) -> Iterator[BrowserContext]:
    context, in_flight = _new_context(browser, live_server)
    yield context
    _settle(context, in_flight)
    context.close()
    assert not browser_errors.unexpected, "browser console errors:\n" + "\n".join(browser_errors.unexpected)


@pytest.fixture
def person_context(browser: Browser, live_server, transactional_db, browser_errors: BrowserErrors):
    """person_context() -> a context of its own (so each person has their own session), settled and
    closed after the test like `context`; they were left open, still polling the next test's server."""
    opened: list[tuple[BrowserContext, set[object]]] = []

    def open_() -> BrowserContext:
        opened.append(_new_context(browser, live_server))
        return opened[-1][0]

    yield open_
    for context, in_flight in opened:
        if not context.pages or all(page.is_closed() for page in context.pages):
            continue  # closed by the test
        _settle(context, in_flight)
        context.close()
    assert not browser_errors.unexpected, "browser console errors:\n" + "\n".join(browser_errors.unexpected)


def _settle(context: BrowserContext, in_flight: set[object]) -> None:
    """Let the page's last requests (a save, the refresh a few seconds after it) finish before the
    database is flushed: a server thread still at work then failed the teardown ("cannot open
    savepoint - SQL statements in progress"). Waiting through a page pumps Playwright's events."""
    pages = [page for page in context.pages if not page.is_closed()]
    if not pages:
        return
    for _ in range(SETTLE_POLLS):
        if not in_flight:
            break
        pages[0].wait_for_timeout(SETTLE_POLL_MS)
    # The server's thread closes its connection after the response it sent.
    pages[0].wait_for_timeout(SETTLE_POLL_MS)


@pytest.fixture
def open_page(context: BrowserContext, browser_errors: BrowserErrors):
    """open_page() -> a new page in this test's context, watched for console and page errors."""

    def open_() -> Page:
        return browser_errors.watch(context.new_page())

    return open_


@pytest.fixture
def page(open_page) -> Page:
    return open_page()


"""End-to-end fixtures: one headless Chromium per session, a fresh context per test, real pages.

Chromium is Debian's (/usr/bin/chromium); Playwright never downloads a browser here. The
site is pytest-django's live_server on 127.0.0.1 with a transactional test database.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to
# run there unless told it is safe (it is: the test thread does no async work itself).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tanfang.accounts.models import User
from tanfang.conftest import Tree
from tanfang.core.roles import Role
from tanfang.devtools.factories import DEFAULT_PASSWORD, make_user

CHROMIUM = os.environ.get("TANFANG_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"

expect.set_options(timeout=5_000)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """On SQLite, test against a file, not shared memory.

    The live server answers the browser from several threads at once (a page and its
    favicon, say). An in-memory SQLite database refuses a second writer at once with
    "database table is locked"; a file makes it wait its turn, as a real server would.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("e2e") / "tanfang-e2e.sqlite3")


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser: Browser, live_server: Any) -> Iterator[Callable[..., BrowserContext]]:
    """Open browser contexts on the live server: a phone in Chinese unless told otherwise."""
    opened: list[BrowserContext] = []

    def open_context(**options: Any) -> BrowserContext:
        settings = {"viewport": PHONE, "locale": "zh-CN", "base_url": live_server.url, **options}
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    return new_context().new_page()


# --- data --------------------------------------------------------------------------------


@pytest.fixture
def tree(transactional_db: None) -> Tree:
    return Tree()


@pytest.fixture
def officer_wuzhi(tree: Tree) -> User:
    return make_user("officer_wuzhi", Role.COUNTY_OFFICER, [tree.wuzhi], display_name="武陟县民政局")


@pytest.fixture
def officer_boai(tree: Tree) -> User:
    return make_user("officer_boai", Role.COUNTY_OFFICER, [tree.boai], display_name="博爱县民政局")


@pytest.fixture
def admin_henan(tree: Tree) -> User:
    return make_user("admin_henan", Role.SYSTEM_ADMIN, [tree.henan], display_name="系统管理员")


# --- page helpers ------------------------------------------------------------------------


def log_in(page: Page, username: str, password: str = DEFAULT_PASSWORD) -> None:
    """Log in through the real log-in page and wait for the answer to load."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def open_nav(page: Page) -> None:
    """Show the main navigation: on a phone the navbar is collapsed behind the toggler."""
    toggler = page.locator("button.navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    expect(page.locator("#mainnav")).to_be_visible()
    # Bootstrap animates the menu open: a click during the animation can land on nothing.
    expect(page.locator("#mainnav")).not_to_have_class(re.compile(r"\bcollapsing\b"))


def click_nav(page: Page, label: str) -> None:
    open_nav(page)
    with page.expect_navigation():
        page.locator("#mainnav").get_by_role("link", name=label, exact=True).click()


def log_out(page: Page) -> None:
    open_nav(page)
    with page.expect_navigation():
        page.locator("#mainnav").get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

"""Browser test harness: Debian's Chromium driven by Playwright against a live Django server.

- `page` (pytest-playwright) opens a fresh context on the live server: `page.goto("/guides/")`.
- `login_as(page, user)` signs a user in by injecting a real session cookie (fast); the login
  form itself is exercised in tests/browser/test_accounts.py.
- `assert_accessible(page)` runs the vendored axe-core and fails on any serious or critical
  violation, listing each rule and the elements concerned.
- Every browser test also fails when the page raised an uncaught JavaScript error or the browser
  refused something because of the Content Security Policy (e.g. the DSFR script without nonce).

Never run `playwright install`: the browser is /usr/bin/chromium (`CHROMIUM` overrides it).
Every test in this folder is marked `browser` (`pytest -m "not browser"` skips them).
Browser tests need no `django_db` marker: the live server gives them a transactional database,
and `tests/conftest.py` makes sure the data-migration rows are there before each test.
Each browser test costs a fresh browser context and a database flush (about a second on a
busy machine): group the checks of one page in one test rather than one test per assertion.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

# Playwright's sync API runs an event loop in the main thread; Django refuses ORM calls from a
# thread with a running loop unless told that this is deliberate (tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_SOURCE = (Path(__file__).parent / "axe.min.js").read_text(encoding="utf-8")
BLOCKING_IMPACTS = ("serious", "critical")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium introuvable ({CHROMIUM}) : installez le paquet chromium.")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": browser_type_launch_args.get("headless", True),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], live_server: Any) -> dict[str, Any]:
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "locale": "fr-FR",
        "timezone_id": "Europe/Paris",
        "viewport": {"width": 1280, "height": 900},
    }


@pytest.fixture(autouse=True)
def _fail_on_js_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Uncaught JavaScript errors and CSP refusals fail the test that caused them."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    problems: list[str] = []

    def on_console(message: Any) -> None:
        text = message.text
        if message.type == "error" and "Content Security Policy" in text:
            problems.append(f"CSP : {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"Erreur JavaScript : {error}"))
    yield
    if problems:
        pytest.fail("Le navigateur a signalé :\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def login_as(live_server: Any) -> Callable[[Any, Any], None]:
    """`login_as(page, user)`: the page's browser context is now signed in as `user`."""

    def _login(page: Any, user: Any) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": cookie.value,
                    "url": live_server.url,
                    "httpOnly": True,
                    "sameSite": "Lax",
                }
            ]
        )

    return _login


def format_violations(violations: list[dict[str, Any]], url: str) -> str:
    lines = [f"axe-core : {len(violations)} violation(s) grave(s) ou critique(s) sur {url}"]
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']} : {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    {target}\n      {node.get('html', '')[:200]}\n      {summary}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … et {len(v['nodes']) - 10} autre(s) élément(s)")
    return "\n".join(lines)


def run_axe(page: Any) -> list[dict[str, Any]]:
    """All axe-core violations of the page as it is now (axe is injected through the DevTools
    protocol, so the page's Content Security Policy does not have to allow it)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        """async () => {
            const r = await window.axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({
                    target: n.target, html: n.html, failureSummary: n.failureSummary
                })),
            }));
        }"""
    )
    return list(result)


@pytest.fixture
def assert_accessible() -> Callable[[Any], list[dict[str, Any]]]:
    """`assert_accessible(page)`: no serious or critical axe-core violation on the page.

    Returns the minor and moderate violations, should a test want to look at them."""

    def _check(page: Any) -> list[dict[str, Any]]:
        page.wait_for_load_state("load")
        violations = run_axe(page)
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            pytest.fail(format_violations(blocking, page.url), pytrace=False)
        return [v for v in violations if v["impact"] not in BLOCKING_IMPACTS]

    return _check

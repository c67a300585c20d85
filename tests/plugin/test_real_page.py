"""The plugin in this very test run: pytest-playwright's real ``page`` (tests/conftest.py points it at the
auditor's Chromium), the demo shop served over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from auditor.pytest_plugin import DarkPatternsFound, assert_no_dark_patterns

pytestmark = pytest.mark.browser


def open_signup(page, origin: str, which: str):
    page.goto(f"{origin}/site/{which}/signup.html")
    page.wait_for_selector("#nw-cookie-consent")  # the shop's banner comes 0.5 s after the load
    return page


def test_dark_signup(page, consent_audit, output_path, fixture_server):
    open_signup(page, fixture_server[0], "dark")
    result = consent_audit()
    assert {"prechecked-consent", "missing-opt-out"} <= {f.check for f in result}
    assert result.folder == Path(output_path) / "consent-audit"
    assert result.report_html.is_file() and result.report_json.is_file()

    with pytest.raises(DarkPatternsFound) as info:
        assert_no_dark_patterns(page, fail_on="high")
    message = str(info.value)
    assert isinstance(info.value, AssertionError)
    assert f"consent audit of {fixture_server[0]}/site/dark/signup.html" in message
    assert str(info.value.result.report_html) in message and info.value.result.report_html.is_file()
    assert "prechecked-consent" in message and "fp2:" in message

    # the test's sync API objects are still its own after the audits (the audit wrapped them for asyncio)
    assert type(page.main_frame).__module__.startswith("playwright.sync_api")
    assert type(page.context).__module__.startswith("playwright.sync_api")
    assert page.context.pages[0] is page and page.frames[0] is page.main_frame
    page.locator("#signup-form input[type=checkbox]").first.uncheck()
    assert page.title()


@pytest.mark.consent_audit(fail_on="low")
def test_clean_signup(page, fixture_server):
    open_signup(page, fixture_server[0], "clean")
    result = assert_no_dark_patterns(page)
    assert not result and result.page.error is None and result.report_html is None
    # the marker audits the page once more after this body


def test_async_programs_keep_their_wrappers(page, browser_path):
    """The adapter changes how Playwright's async API caches its wrappers, for the whole process: a program
    of the async API alone (here in a thread of its own) sees no difference."""
    from auditor.browser.adopt import async_twin
    async_twin(page)  # the change is in place
    seen: dict = {}

    async def program():
        from playwright.async_api import async_playwright
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=browser_path)
            try:
                p = await browser.new_page()
                await p.set_content("<p>hello</p>")
                seen["same frame"] = p.main_frame is p.main_frame is p.frames[0]
                seen["same page"] = p.context.pages[0] is p
                seen["async"] = type(p.context).__module__.startswith("playwright.async_api")
                seen["text"] = await p.text_content("p")
            finally:
                await browser.close()

    thread = threading.Thread(target=lambda: asyncio.run(program()))
    thread.start()
    thread.join(60)
    assert seen == {"same frame": True, "same page": True, "async": True, "text": "hello"}

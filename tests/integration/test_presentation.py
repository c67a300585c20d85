"""See what a person sees: pages that hide their banner from automated browsers (in the page, from
navigator.webdriver or "HeadlessChrome"; on the server, from the User-Agent) must still show it to the auditor,
and the report must record how the auditor presented itself."""

from __future__ import annotations

import json

import pytest

from harness import run_in_thread

PAGES = ["presentation/hides-from-automation.html", "presentation/bot-variant.html"]


@pytest.fixture(scope="module")
def audited(fixture_server, browser_path, tmp_path_factory):
    from auditor.api import Options, audit_async
    from auditor.report import json_report
    origin, _ = fixture_server
    out = tmp_path_factory.mktemp("presentation")
    run = run_in_thread(audit_async([f"{origin}/{p}" for p in PAGES],
                                    options=Options(timeout=30, interact=False, browser=browser_path, out_dir=out,
                                                    evidence=False)))
    json_report.write(run, out / "report.json")
    return run, json.loads((out / "report.json").read_text(encoding="utf-8"))


@pytest.mark.browser
@pytest.mark.parametrize("page", PAGES)
def test_plain_automation_is_shown_no_banner(page, fixture_server, browser_type_launch_args, playwright):
    """The control: Playwright as it comes (webdriver flag on, HeadlessChrome user agent) gets the clean page,
    so the fixtures really do hide their banner from automation."""
    origin, _ = fixture_server
    browser = playwright.chromium.launch(executable_path=browser_type_launch_args.get("executable_path"))
    try:
        p = browser.new_page()
        p.goto(f"{origin}/{page}")
        p.wait_for_timeout(300)
        assert p.evaluate("navigator.webdriver") is True
        assert p.locator("#hl-consent").count() == 0
    finally:
        browser.close()


@pytest.mark.browser
@pytest.mark.parametrize("page", PAGES)
def test_auditor_sees_the_banner(audited, page):
    run, _ = audited
    result = next(r for r in run.pages if r.url.endswith(page))
    assert result.error is None
    assert result.banner is not None and result.banner.state == "found"
    assert "missing-opt-out" in {f.check for f in result.findings}


@pytest.mark.browser
def test_report_records_how_the_auditor_presented_itself(audited):
    run, report = audited
    assert run.browser.webdriver_hidden is True and run.browser.headless_visible is False
    assert report["browser"]["webdriver_hidden"] is True and report["browser"]["headless_visible"] is False
    assert "HeadlessChrome" not in report["browser"]["user_agent"]
    for page in report["pages"]:
        seen = page["presented_as"]
        assert seen["webdriver"] is False
        assert "HeadlessChrome" not in seen["user_agent"] and seen["user_agent"].startswith("Mozilla/5.0")
        assert not any("headless" in b.lower() for b in seen["brands"])
        assert seen["headless_visible"] is False

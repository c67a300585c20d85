"""The HTML report: banner state, the cookies and requests behind the network findings, all page text escaped."""

from __future__ import annotations

from builders import cookie, journey, phase_state, refusal, request, run, styled_button, styled_overlay

from auditor.banners import find_banners
from auditor.lexicon import load
from auditor.models import AuditRun, BrowserInfo, PageResult, RunSettings
from auditor.registry import CheckContext
from auditor.report import html_report

HOSTILE = '<img src=x onerror="alert(1)">'


def _page():
    ctx = CheckContext(lexicon=load())
    banner = styled_overlay("We use cookies for analytics and ads. " + HOSTILE, [
        styled_button("Accept all", 160, 40), styled_button("Reject all", 160, 40)])
    before = phase_state("before-choice", cookies=[cookie("_ga"), cookie("PHPSESSID"), cookie(HOSTILE)],
                        requests=[request("https://www.google-analytics.com/g/collect?v=2&x=" + HOSTILE)])
    after = phase_state("after-refusal", cookies=[cookie("_ga")])
    snap = journey(overlays=[banner], states=[before], choice=refusal(states=[after]))
    checks = run("consent-before-choice", snap).findings
    return PageResult(url="https://shop.example/", title=HOSTILE, snapshot=snap, banner=find_banners(snap, ctx),
                      checks=(run("consent-before-choice", snap),)), checks


def _render() -> str:
    page, _ = _page()
    run_ = AuditRun(tool="consent-auditor", version="t", browser=BrowserInfo(), settings=RunSettings(),
                    started_at="", finished_at="", pages=(page,))
    return html_report.render(run_, None)


def test_banner_state_and_buttons_are_shown():
    html = _render()
    assert "Consent banner: found" in html
    assert "<td>Accept all</td><td>accept</td>" in html and "<td>Reject all</td><td>reject</td>" in html
    assert "Refusal in a fresh browser (reject): clicked &#x27;Reject all&#x27;" in html


def test_cookies_and_requests_are_tables_with_their_classification():
    html = _render()
    assert "<td>_ga</td><td>.shop.example</td><td>analytics</td>" in html
    assert "<td>PHPSESSID</td><td>.shop.example</td><td>essential</td>" in html
    assert "<td>Google Analytics (analytics)</td>" in html
    # the finding's own evidence (its cookies and requests) is a table too, not a Python repr
    assert "cookies:<table" in html and "requests:<table" in html and "{'name'" not in html


def test_page_text_is_escaped_everywhere():
    html = _render()
    assert HOSTILE not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html

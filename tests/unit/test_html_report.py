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
    # Jinja2's escaping (markupsafe) writes ' as &#39; and " as &#34; (html.escape wrote &#x27; and &quot;)
    assert "Refusal in a fresh browser (reject): clicked &#39;Reject all&#39;" in html


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
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html


# --------------------------------------------------------------------------- the Jinja2 port's safety rails

import base64  # noqa: E402
import dataclasses  # noqa: E402
import hashlib  # noqa: E402
import re  # noqa: E402

import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from auditor.models import Finding, FlowResult, FlowStep, PageError  # noqa: E402


def _run_with(*pages, flows=()):
    return AuditRun(tool="consent-auditor", version="t", browser=BrowserInfo(), settings=RunSettings(),
                    started_at="", finished_at="", pages=tuple(pages), flows=tuple(flows))


@pytest.mark.parametrize("url, ok", [
    ("https://shop.example/a?b=1#c", True), ("http://shop.example/", True), ("HTTPS://SHOP.EXAMPLE/", True),
    ("shots/page-1.png", True), ("discovered/signup flow.yaml", True),
    ("javascript:alert(1)", False), ("JavaScript:alert(1)", False), ("java\tscript:alert(1)", False),
    ("java\nscript:alert(1)", False), (" javascript:alert(1)", False), ("\x01javascript:alert(1)", False),
    ("data:text/html,<script>alert(1)</script>", False), ("data:image/png;base64,AAAA", False),
    ("vbscript:msgbox(1)", False), ("file:///etc/passwd", False), ("//evil.example/x", False),
    ("/etc/passwd", False), ("../outside.png", False), ("shots/../../outside.png", False),
    ("shots/%2e%2e/%2E%2E/outside.png", False), ("\\\\evil.example\\x", False), ("", False), (None, False),
])
def test_safe_url_lets_through_only_http_https_and_relative_paths_inside_the_output_folder(url, ok):
    assert html_report.safe_url(url) == (url if ok else None)


def test_safe_url_for_pictures_takes_only_the_reports_own_embedded_images():
    assert html_report.safe_url("data:image/png;base64,iVBORw0KGgo=", image=True)
    assert html_report.safe_url("data:image/jpeg;base64,/9j/4AAQ", image=True)
    for bad in ("data:image/svg+xml;base64,PHN2Zz4=", "data:text/html;base64,PHNjcmlwdD4=",
                'data:image/png;base64,AAAA" onerror="x', "https://tracker.example/pixel.png", "shots/a.png",
                "javascript:alert(1)"):
        assert html_report.safe_url(bad, image=True) is None, bad


def test_screenshots_outside_the_output_folder_are_never_embedded(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    Image.new("RGB", (20, 20), "red").save(tmp_path / "secret.png")
    Image.new("RGB", (20, 20), "blue").save(out / "inside.png")
    finding = Finding(check="x", severity="low", confidence="low", message="m", screenshot="inside.png")
    inside = PageResult(url="https://a.example/", screenshot="inside.png",
                        checks=(dataclasses.replace(run("consent-before-choice", _page()[0].snapshot),
                                                    findings=(finding,)),))
    html = html_report.render(_run_with(inside), out)
    assert html.count('src="data:image/') == 2  # the thumbnail and the finding's crop
    for path in ("../secret.png", str(tmp_path / "secret.png"), "x/../../secret.png", "a\x00b.png"):
        outside = PageResult(url="https://b.example/", screenshot=path,
                             checks=(dataclasses.replace(inside.checks[0],
                                                         findings=(dataclasses.replace(finding, screenshot=path),)),))
        failed = FlowResult(name="f", path="f.yaml", start="https://b.example/",
                            steps=(FlowStep(1, "click", "go", status="failed", page=outside),))
        assert "<img" not in html_report.render(_run_with(outside, flows=(failed,)), out), path


def test_a_strict_content_security_policy_hashes_the_one_stylesheet():
    html = _render()
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html).group(1)
    csp = csp.replace("&#39;", "'")
    assert "script-src 'none'" in csp and "default-src 'none'" in csp and "base-uri 'none'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    css = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp
    assert html.count("<style>") == 1 and " style=" not in html and "<script" not in html
    # the CSP must come before anything it governs
    assert html.index("Content-Security-Policy") < html.index("<style>") < html.index("<body>")


def test_page_text_is_never_template_source():
    page = PageResult(url="https://a.example/{{7*7}}", title="{{7*7}}{% for x in range(3) %}{{x}}{% endfor %}",
                      error=PageError("crash", "{{ config }}{# c #}"))
    html = html_report.render(_run_with(page), None)
    assert "{{7*7}}{% for x in range(3) %}{{x}}{% endfor %}" in html and "49" not in html
    assert "https://a.example/{{7*7}}" in html and "{{ config }}{# c #}" in html


def test_a_value_that_claims_to_be_html_is_escaped_all_the_same():
    class Sneaky:
        def __html__(self):
            return "<script>alert(1)</script>"

        def __str__(self):
            return "<script>alert(2)</script>"

    finding = Finding(check="x", severity="low", confidence="low", message="m",
                      details=(("a", Sneaky()), ("b", [{"c": Sneaky()}]), (Sneaky(), "d")))
    page = PageResult(url="https://a.example/", checks=(dataclasses.replace(
        run("consent-before-choice", _page()[0].snapshot), findings=(finding,)),))
    html = html_report.render(_run_with(page), None)
    assert "<script" not in html and html.count("&lt;script&gt;alert(2)&lt;/script&gt;") == 3

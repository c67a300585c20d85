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


# --------------------------------------------------------------------------- a walked flow, read as a journey

import io  # noqa: E402

from bs4 import BeautifulSoup  # noqa: E402
from builders import SPECS, check_result, finding, flow_result, flow_step, page_result  # noqa: E402

from auditor.browser.page import parse_amount  # noqa: E402
from auditor.models import ElementRef, PageSnapshot, PriceRow  # noqa: E402

SUMMARY = "#summary"


def _row(label: str, raw: str, currency: str | None = None) -> PriceRow:
    amount, cur = parse_amount(raw)
    return PriceRow(ref=ElementRef(selector=f"{SUMMARY} li[data-l='{label[:10]}']", text=label), label=label,
                    raw=raw, amount=amount, currency=cur if currency is None else currency, container=SUMMARY)


def _snap(url: str, *rows: PriceRow) -> PageSnapshot:
    return PageSnapshot(url=url, prices=tuple(rows))


def _noise(path, size):
    """A picture that compresses badly (noise), so a report that embedded it as it is would show it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.effect_noise(size, 90).convert("RGB").save(path, compress_level=1)
    return path.name


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    """The output folder of a walk: its full-page screenshots and the findings' crops (noise, megabytes)."""
    folder = tmp_path_factory.mktemp("walk") / "out"
    for name, size in (("s0.png", (1280, 2600)), ("s1.png", (1280, 800)), ("s3.png", (1280, 1400)),
                       ("s4-failed.png", (1280, 800)), ("c0.png", (1280, 420)), ("c3.png", (900, 700)),
                       ("c3b.png", (300, 120))):
        _noise(folder / "screenshots" / name, size)
    return folder


def _walked_flow(label="add the Summit pack", message="Service fee £2.95 appears only at the payment step",
                 line="Service fee", currency=None):
    """A checkout walked in five steps: the start page (a finding, no total), the basket (£129.00), a fill that
    changed nothing (the basket's audit reused), the payment page (£151.89, a drip finding and one to review),
    then a step that failed. Its screenshots are those of ``out``."""
    pack = _row("Summit 45L Pack", "£129.00", currency)
    basket = _snap("https://shop.example/cart", pack, _row("Subtotal", "£129.00", currency),
                   _row("Total", "£129.00", currency))
    payment = _snap("https://shop.example/pay", pack, _row("Subtotal", "£129.00", currency),
                    _row("Delivery", "£9.95", currency), _row(line, "£2.95", currency),
                    _row("Total", "£151.89", currency))
    start = page_result("https://shop.example/product", check_result("consent-before-choice", finding(
        "consent-before-choice", "Tracking starts before any choice", screenshot="screenshots/c0.png")),
        screenshot="screenshots/s0.png", snapshot=_snap("https://shop.example/product"))
    cart = page_result("https://shop.example/cart", check_result("drip-pricing"), screenshot="screenshots/s1.png",
                       snapshot=basket)
    same = dataclasses.replace(cart, reused=1)
    pay = page_result("https://shop.example/pay", check_result(
        "drip-pricing", finding("drip-pricing", message, screenshot="screenshots/c3.png")), check_result(
        "hidden-agreement-text", finding("hidden-agreement-text", "Faint text near the button", severity="medium",
                                         status="review", screenshot="screenshots/c3b.png")),
        screenshot="screenshots/s3.png", snapshot=payment)
    failed = PageResult(url="https://shop.example/pay", screenshot="screenshots/s4-failed.png",
                        error=PageError("flow-step", "timeout: no element matches #place-order"))
    return flow_result("Checkout", "flows/checkout.yaml",
                       flow_step(0, "https://shop.example/product", start),
                       flow_step(1, label, cart),
                       flow_step(2, "fill #email = someone@example.com", same, kind="fill"),
                       flow_step(3, "continue to payment", pay),
                       flow_step(4, "pay", failed, status="failed", error="timeout: no element matches #place-order"),
                       complete=False, error="step 4 (pay): timeout")


def _flow_html(out, **kw) -> tuple[str, BeautifulSoup]:
    flow = _walked_flow(**kw)
    path = html_report.write(_run_with(flows=(flow,)), out / "report.html", out, tuple(SPECS.values()))
    html = path.read_text(encoding="utf-8")
    return html, BeautifulSoup(html, "html.parser")


def _cards(soup):
    return soup.select("section.flow ul.strip > li.card")


def _words(el) -> str:
    return " ".join(el.get_text(" ").split())


def test_a_flow_is_a_filmstrip_with_one_card_per_step(out):
    _, soup = _flow_html(out)
    cards = _cards(soup)
    assert [_words(c.select_one(".card-head b")) for c in cards] == [f"Step {i}" for i in range(5)]
    assert [_words(c.select_one(".label")) for c in cards] == [
        "https://shop.example/product", "add the Summit pack", "fill #email = someone@example.com",
        "continue to payment", "pay"]
    assert [_words(c.select_one(".kind")) for c in cards] == ["start", "click", "fill", "click", "click"]
    assert [_words(c.select_one(".status")) for c in cards] == ["ok", "ok", "ok", "ok", "failed"]
    # the number of findings new at each step; a step that changed nothing says whose audit holds
    feet = [_words(c.select_one(".card-foot")) for c in cards]
    assert "1 new finding" in feet[0] and "no new findings" in feet[1] and "2 new findings" in feet[3]
    assert "unchanged since step 1" in feet[2] and "finding" not in feet[2] and "finding" not in feet[4]
    # the worst severity colours the count; the failed step shows its error, and the total where there is one
    assert cards[3].select_one(".card-foot .sev")["class"] == ["sev", "high"]
    assert "timeout: no element matches #place-order" in _words(cards[4].select_one(".error"))
    assert [_words(c.select_one(".total")) if c.select_one(".total") else None for c in cards] == [
        None, "total £129.00", "total £129.00", "total £151.89 +£22.89", None]


def test_each_finding_is_shown_at_its_step_with_how_to_fix_folded(out):
    _, soup = _flow_html(out)
    groups = soup.select("section.flow .at-step")
    assert [_words(g.select_one(".step-head")).split(" · ")[0] for g in groups] == ["Step 0", "Step 3"]
    assert [[_words(f.select_one("b")) for f in g.select(".finding")] for g in groups] == [
        ["consent-before-choice"], ["drip-pricing", "hidden-agreement-text"]]
    drip = groups[1].select(".finding")[0]
    assert "Service fee £2.95 appears only at the payment step" in _words(drip)
    assert drip.select_one(".sev")["class"] == ["sev", "high"]
    assert groups[1].select(".finding")[1].select_one(".sev")["class"] == ["sev", "review"]
    fix = SPECS["drip-pricing"].sections()["How to fix"]
    folded = drip.select_one("details")
    assert folded is not None and " ".join(fix.split())[:60] in _words(folded)
    assert drip.select_one("img") is not None  # its crop


def test_the_chart_shows_the_total_at_each_step_and_what_changed(out):
    _, soup = _flow_html(out)
    svg = soup.select_one("section.flow svg.chart")
    assert svg is not None and svg.find_parent("section") is _cards(soup)[0].find_parent("section")
    assert [_words(t) for t in svg.select("text.amount")] == ["£129.00", "£151.89"]
    assert [_words(t) for t in svg.select("text.delta")] == ["+£22.89"]
    assert "rise" in svg.select_one("text.delta")["class"]
    # the later, higher total is drawn higher up (SVG y grows downwards)
    first, later = (float(t["y"]) for t in svg.select("text.amount"))
    assert later < first
    # one step number per step, the steps with findings marked; the start page shows no total: a gap, no line
    ticks = svg.select("text.tick")
    assert [_words(t) for t in ticks] == ["0", "1", "2", "3", "4"]
    assert [_words(t) for t in svg.select("text.tick.hit")] == ["0", "3"]
    start_x, basket_x = float(ticks[0]["x"]), float(ticks[1]["x"])
    levels = svg.select("line.level")
    assert levels and min(min(float(ln["x1"]), float(ln["x2"])) for ln in levels) > (start_x + basket_x) / 2 - 1
    # the steps after the failed one show nothing either: no line reaches step 4
    assert max(max(float(ln["x1"]), float(ln["x2"])) for ln in levels) < float(ticks[4]["x"])
    # in words: the rise and the lines behind it
    story = [_words(li) for li in soup.select("section.flow ul.story > li")]
    assert story[0].startswith("Step 1 (add the Summit pack): total £129.00")
    assert story[1].startswith("Step 3 (continue to payment): total £151.89 +£22.89")
    assert "Delivery £9.95 (new)" in story[1] and "Service fee £2.95 (new)" in story[1]
    assert "Summit" not in story[1]  # the pack was there before
    verdict = _words(soup.select_one("section.flow .verdict"))
    assert "£129.00 at step 1 → £151.89 at step 3 (+£22.89, +17.7%)" in verdict


def test_no_chart_when_no_step_shows_a_total(tmp_path):
    out = tmp_path / "out"
    shot = _noise(out / "screenshots" / "s.png", (1280, 800))
    steps = [flow_step(i, f"step {i}", page_result("https://shop.example/signup", screenshot=f"screenshots/{shot}",
                                                     snapshot=_snap("https://shop.example/signup")))
             for i in range(3)]
    html = html_report.render(_run_with(flows=(flow_result("Sign-up", "f.yaml", *steps),)), out)
    soup = BeautifulSoup(html, "html.parser")
    assert len(_cards(soup)) == 3 and soup.select_one("svg") is None and soup.select_one("ul.story") is None


def test_no_flow_step_embeds_a_full_size_png(out):
    html, soup = _flow_html(out)
    flow = soup.select_one("section.flow")
    assert "data:image/png" not in str(flow)
    images = flow.select("img")
    assert len(images) >= 7  # four thumbnails (one per screenshot), three crops
    # one thumbnail per screenshot: the step that changed nothing does not embed its screenshot again
    assert len(flow.select("ul.strip img")) == 4 and not _cards(soup)[2].select("img")
    for img in images:
        head, _, data = img["src"].partition(",")
        assert head == "data:image/jpeg;base64", head
        raw = base64.b64decode(data)
        assert len(raw) <= html_report.STEP_IMAGE_CAP
        with Image.open(io.BytesIO(raw)) as pic:
            cap = html_report.STEP_THUMB if img.find_parent("ul", class_="strip") else html_report.STEP_CROP
            assert pic.format == "JPEG" and pic.width <= cap[0] and pic.height <= cap[1], (pic.size, cap)
    # the full screenshots are files, linked relative to the report
    links = {a["href"] for a in flow.select("ul.strip a[href]")}
    assert links == {"screenshots/s0.png", "screenshots/s1.png", "screenshots/s3.png", "screenshots/s4-failed.png"}
    # the noise screenshots weigh megabytes as PNG; the report stays small
    assert len(html) < 400_000


def test_a_report_written_outside_the_output_folder_links_no_screenshot(out):
    flow = _walked_flow()
    above = html_report.write(_run_with(flows=(flow,)), out.parent / "report.html", out)
    assert 'href="out/screenshots/s0.png"' in above.read_text(encoding="utf-8")
    beside = html_report.write(_run_with(flows=(flow,)), out.parent / "elsewhere" / "report.html", out)
    assert "href=" not in beside.read_text(encoding="utf-8")  # ../out would leave the report's folder
    assert "href=" not in html_report.render(_run_with(flows=(flow,)), None)


def test_hostile_text_in_a_flow_stays_escaped_in_cards_findings_and_the_chart(out):
    html, soup = _flow_html(out, label="add " + HOSTILE, message="drip " + HOSTILE, line="Fee " + HOSTILE,
                            currency=HOSTILE)
    assert HOSTILE not in html and "onerror=\"alert" not in html
    flow = soup.select_one("section.flow")
    # every picture is one of the report's own; the hostile <img> is text wherever it landed
    assert all(img["src"].startswith("data:image/jpeg;base64,") for img in flow.select("img"))
    assert HOSTILE in _words(_cards(soup)[1].select_one(".label"))
    assert any(HOSTILE in _words(f) for f in flow.select(".at-step .finding p"))
    amounts = [_words(t) for t in flow.select("svg text.amount")]
    assert amounts == [f"129.00 {HOSTILE}", f"151.89 {HOSTILE}"]
    assert flow.select_one("svg img") is None and flow.select_one("svg").select("text")  # text, not elements
    assert any(f"Fee {HOSTILE}" in _words(li) for li in flow.select("ul.story > li"))


def test_amounts_are_written_with_their_currency():
    assert html_report.money(151.89, "GBP") == "£151.89"
    assert html_report.money(-5, "EUR") == "-€5.00"
    assert html_report.money(1299, "SEK") == "1,299.00 SEK"
    assert html_report.money(3900, "JPY") == "¥3,900"
    assert html_report.money(2.5) == "2.50"

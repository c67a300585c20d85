"""The HTML report of walked flows reads as a journey: the demo shop's four flows walked by `auditor flow` in real
Chromium make a report under 1 MB (small JPEG thumbnails and crops, full screenshots linked), whose dark
checkout shows the price drip as a rising order total; and a flow's chart, drawn as inline SVG from page text,
stays inert in Chromium however hostile that text is."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from auditor.models import AuditRun, BrowserInfo, ElementRef, FlowResult, FlowStep, PageResult, PageSnapshot, \
    PriceRow, RunSettings
from auditor.report import html_report

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "fixtures" / "flows"
MAX_BYTES = 1_000_000


@pytest.fixture(scope="module")
def walked(fixture_server, tmp_path_factory):
    origin, _ = fixture_server
    out = tmp_path_factory.mktemp("flow-report")
    files = sorted(FLOWS.glob("*.yaml"))
    proc = subprocess.run([sys.executable, "-m", "auditor", "flow", *map(str, files), "--base", origin,
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr
    path = out / "report.html"
    html = path.read_text(encoding="utf-8")
    return path, html, BeautifulSoup(html, "html.parser")


def _flow(soup, name: str):
    return next(s for s in soup.select("section.flow") if name in s.select_one("h2").get_text())


def _amount(text: str) -> float:
    return float(re.sub(r"[^\d.]", "", text))


@pytest.mark.browser
def test_the_demo_flows_report_is_under_one_megabyte(walked):
    path, html, soup = walked
    size = path.stat().st_size
    assert size < MAX_BYTES, f"report.html is {size} bytes"
    flows = soup.select("section.flow")
    assert len(flows) == 4
    for flow in flows:
        # one card per step, and no full-size PNG anywhere in a flow: step pictures are small JPEGs
        assert len(flow.select("ul.strip > li.card")) >= 10
        assert "data:image/png" not in str(flow)
        assert flow.select("ul.strip img") and all(img["src"].startswith("data:image/jpeg;base64,")
                                                    for img in flow.select("img"))
        # the full screenshots are files next to the report, linked
        for a in flow.select("a[href]"):
            assert html_report.safe_url(a["href"]) == a["href"] and (path.parent / a["href"]).is_file(), a["href"]


@pytest.mark.browser
def test_the_dark_checkout_shows_its_drip_as_a_rising_total(walked):
    _, _, soup = walked
    flow = _flow(soup, "checkout (dark)")
    amounts = [_amount(t.get_text()) for t in flow.select("svg.chart text.amount")]
    assert len(amounts) >= 3 and amounts == sorted(amounts) and amounts[-1] > amounts[0], amounts
    assert all(t.get_text().startswith("£") for t in flow.select("svg.chart text.amount"))
    # each rise is labelled, and told in words with the line that appeared: the service fee at the payment step
    assert [t.get_text() for t in flow.select("svg.chart text.delta")][-1] == "+£2.95"
    story = [" ".join(li.get_text(" ").split()) for li in flow.select("ul.story > li")]
    assert any("payment" in s and "Service fee £2.95 (new)" in s for s in story), story
    # the cards where the total rose show it, and the steps with findings are marked on the filmstrip
    assert any("+£2.95" in c.get_text() and "payment" in c.select_one(".label").get_text()
               for c in flow.select("li.card.has-findings"))


@pytest.mark.browser
def test_the_clean_flows_show_no_rise_and_the_sign_ups_no_chart(walked):
    _, _, soup = walked
    clean = _flow(soup, "checkout (clean)")
    assert len(clean.select("svg.chart text.amount")) == 1 and not clean.select("svg.chart text.delta")
    assert not clean.select("li.card.has-findings")
    for name in ("sign-up (clean)", "sign-up (dark)"):
        assert _flow(soup, name).select_one("svg") is None


@pytest.mark.browser
def test_the_report_opens_in_chromium_with_nothing_blocked(walked, page):
    """The report's CSP allows no script, no style attribute and only data: pictures: a template that broke
    one of those rules would show in Chromium as a violation (and a broken report)."""
    path, _, _ = walked
    violations = []
    page.expose_binding("__violation", lambda source, what: violations.append(what))
    page.add_init_script("document.addEventListener('securitypolicyviolation', "
                         "e => window.__violation(e.violatedDirective + ' ' + e.blockedURI), true);")
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.evaluate("() => { for (const d of document.querySelectorAll('details')) d.open = true; }")
    page.wait_for_timeout(200)
    assert violations == []
    # the chart is drawn: its lines have a size, its labels are laid out
    box = page.locator("svg.chart").first.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 50
    assert page.locator("li.card img").first.evaluate("img => img.complete && img.naturalWidth > 0")


# --------------------------------------------------------------------------- a hostile page's prices in the chart

PAYLOADS = ("<img src=x onerror=\"window.__pwned('img')\">", "</text><script>window.__pwned('text')</script>",
            "<svg onload=\"window.__pwned('svg')\"></svg>", "]]><script>window.__pwned('cdata')</script>",
            "\" onmouseover=\"window.__pwned('attr')\" x=\"")
EVIL = " ".join(PAYLOADS)


def _hostile_flow() -> FlowResult:
    def row(label: str, amount: float) -> PriceRow:
        return PriceRow(ref=ElementRef(selector="#summary li", text=label), label=label, raw=f"{amount:.2f}",
                        amount=amount, currency=EVIL, container="#summary")

    def step(i: int, *rows: PriceRow) -> FlowStep:
        snap = PageSnapshot(url=f"https://shop.example/{i}", prices=rows)
        return FlowStep(index=i, kind="click", label=f"step {EVIL}",
                        page=PageResult(url=f"https://shop.example/{EVIL}", title=EVIL, snapshot=snap))

    return FlowResult(name=EVIL, path="f.yaml", start="https://shop.example/", complete=True, steps=(
        step(0), step(1, row("Pack " + EVIL, 100.0), row("Total", 100.0)),
        step(2, row("Pack " + EVIL, 100.0), row("Fee " + EVIL, 5.0), row("Total", 105.0))))


@pytest.mark.browser
@pytest.mark.parametrize("csp", [True, False], ids=["with-csp", "escaping-alone"])
def test_hostile_text_in_the_chart_and_the_filmstrip_is_inert(page, tmp_path, csp):
    run = AuditRun(tool="consent-auditor", version="t", browser=BrowserInfo(), settings=RunSettings(),
                   started_at="", flows=(_hostile_flow(),))
    path = html_report.write(run, tmp_path / "report.html", tmp_path)
    html = path.read_text(encoding="utf-8")
    assert "<svg class=\"chart\"" in html  # the chart is there to be attacked
    if not csp:
        html, n = re.subn(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">', "", html)
        assert n == 1
        path.write_text(html, encoding="utf-8")
    pwned, dialogs, requests = [], [], []
    url = path.resolve().as_uri()
    page.expose_binding("__pwned", lambda source, what: pwned.append(what))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.route("**/*", lambda r: r.continue_() if r.request.url == url else (requests.append(r.request.url),
                                                                             r.abort()))
    page.goto(url, wait_until="load")
    page.evaluate("""() => { for (const el of document.querySelectorAll('*')) {
        for (const t of ['mouseover', 'load', 'error', 'focus']) el.dispatchEvent(new Event(t));
      } for (const d of document.querySelectorAll('details')) d.open = true; }""")
    page.wait_for_timeout(300)
    assert pwned == [] and dialogs == [] and requests == []
    # the SVG holds only what the report draws; the page's text is text in it
    tags = set(page.evaluate("() => [...document.querySelectorAll('svg *')].map(e => e.tagName.toLowerCase())"))
    assert tags <= {"title", "line", "text", "circle"}, tags
    labels = page.evaluate("() => [...document.querySelectorAll('svg text.amount')].map(t => t.textContent)")
    assert labels == [f"100.00 {EVIL}", f"105.00 {EVIL}"]
    assert page.locator("ul.story").inner_text().count("Fee " + EVIL) == 1
    assert page.locator("li.card .label").nth(1).inner_text() == f"step {EVIL}"

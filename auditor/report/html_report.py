"""One self-contained HTML file: findings, their crops and page thumbnails embedded as data URIs.

The markup lives in Jinja2 templates (``auditor/report/templates/``) rendered with autoescaping on: every string
that came from a page (titles, texts, selectors, snippets, URLs) is data, escaped wherever it lands, and never
template source. A page is hostile input. No script runs in the report: a Content-Security-Policy that allows
no script, only the report's own (hashed) stylesheet and data: images, backs the escaping up.

A walked flow reads as a journey: a filmstrip of its steps (small JPEG thumbnails, status, new findings), the
order total at each step as an inline SVG chart (no script; its labels are escaped text like any other), each
finding at its step, and the per-step checks, banner and cookies folded in <details>. No full-size screenshot
of a step is embedded: they are files of the output folder, linked relatively (see ``write``).

This module prepares the values (pictures, tracker classes, table rows, chart coordinates); the templates only
lay them out.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from PIL import Image

from auditor.models import AuditRun, FlowResult, PageResult
from auditor.registry import CheckSpec

THUMB_WIDTH = 480
#: what reading a screenshot may raise: a missing or unreadable file, a path the OS refuses (a NUL byte in it),
#: a file that is no picture, or one too large to decode
_IMAGE_ERRORS = (OSError, ValueError, Image.DecompressionBombError)

ENV = Environment(
    loader=PackageLoader("auditor.report", "templates"),
    autoescape=True,  # every template is HTML: {{ }} escapes, whatever the file name
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


# --------------------------------------------------------------------------- URLs


_IMAGE_DATA = re.compile(r"data:image/(?:png|jpeg);base64,[A-Za-z0-9+/]+={0,2}")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


def safe_url(url, image: bool = False) -> str | None:
    """``url`` if it may stand in an ``href`` (or, with ``image``, a ``src``) of the report, else None.

    Links: http, https, or a relative path that stays inside the output folder (no absolute path, no
    ``//host``, no ``..`` even percent-encoded). Pictures (``image``): only the report's own embedded
    ``data:image/png|jpeg;base64`` URIs, so the file stays self-contained. A ``javascript:``, ``data:`` or any
    other URL never becomes live; browsers drop tabs and newlines inside a URL and spaces or controls around
    it before reading the scheme (``java\\tscript:``), so such a URL is refused rather than cleaned.
    """
    if not isinstance(url, str) or not url:
        return None
    if image:
        return url if _IMAGE_DATA.fullmatch(url) else None
    if _CONTROL.search(url) or url != url.strip(" "):
        return None
    scheme = _SCHEME.match(url)
    if scheme:
        return url if scheme.group(1).lower() in ("http", "https") else None
    path = unquote(urlsplit(url).path)
    if url.startswith("/") or any(part == ".." for part in path.split("/")):
        return None
    return url


def _inside(base: Path | None, rel: str | None) -> Path | None:
    """The file ``rel`` names in the output folder ``base``: screenshot paths are relative to it. An absolute
    path or one climbing out with ``..`` is never read into the report."""
    if base is None or not rel or os.path.isabs(rel) or "\x00" in rel:
        return None
    norm = os.path.normpath(rel)
    if norm == os.curdir or norm == os.pardir or norm.startswith(os.pardir + os.sep):
        return None
    return base / norm


# --------------------------------------------------------------------------- pictures


def _data_uri(base: Path | None, rel: str | None, thumb: bool = False) -> str | None:
    path = _inside(base, rel)
    if path is None:
        return None
    try:
        if thumb:
            with Image.open(path) as img:
                img = img.convert("RGB")
                ratio = THUMB_WIDTH / max(1, img.width)
                img = img.resize((THUMB_WIDTH, max(1, min(int(img.height * ratio), 2400))))
                buf = io.BytesIO()
                img.save(buf, "JPEG", quality=70)
                return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()
        return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
    except _IMAGE_ERRORS:
        return None


def _crop_uri(base: Path | None, rel: str | None, box) -> str | None:
    """The banner cut out of the full-page screenshot, in memory."""
    path = _inside(base, rel)
    if box is None or path is None:
        return None
    try:
        with Image.open(path) as img:
            x0, y0 = max(0, int(box.x) - 8), max(0, int(box.y) - 8)
            x1, y1 = min(img.width, int(box.x + box.width) + 8), min(img.height, int(box.y + box.height) + 8)
            if x1 - x0 < 4 or y1 - y0 < 4:
                return None
            crop = img.crop((x0, y0, x1, min(y1, y0 + 1400))).convert("RGB")
            buf = io.BytesIO()
            crop.save(buf, "PNG")
            return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    except _IMAGE_ERRORS:
        return None


# --------------------------------------------------------------------------- template filters and tests


def _text(v) -> str:
    """A value of no fixed type as plain text. ``str()`` first: an object with ``__html__`` would otherwise
    be trusted as markup by the autoescaper; as a plain str it is escaped like any page text."""
    return str(v)


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.0f}" if abs(v) >= 100 else f"{v:g}"
    return str(v)[:300]


def _columns(rows) -> list[str]:
    return [str(k) for k in dict.fromkeys(k for r in rows for k in r)]


def _records(value) -> bool:
    """A list of records (cookies, requests): shown as a table."""
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(v, dict) for v in value)


ENV.filters.update(text=_text, cell=_cell, columns=_columns, safe_url=safe_url, money=lambda a, c="": money(a, c))
ENV.tests["records"] = _records


def _stylesheet() -> tuple[Markup, str]:
    """The report's own CSS and its CSP hash. Markup on purpose: it is a file of this package, no page wrote a
    byte of it, and escaping would break its quotes. It must hold no ``</`` (it could close the <style>)."""
    css, _, _ = ENV.loader.get_source(ENV, "report.css")
    if "</" in css:
        raise ValueError("report.css must not contain '</'")
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode()
    return Markup(css), f"'sha256-{digest}'"


CSS, _CSS_HASH = _stylesheet()
#: no script at all; the one <style> element by its hash (no style attribute, no injected <style>); pictures
#: from data: only; no <base>, no form. frame-ancestors and sandbox are ignored in a <meta>, so not listed.
CSP = (f"default-src 'none'; script-src 'none'; style-src {_CSS_HASH}; img-src data:; "
       "base-uri 'none'; form-action 'none'")


# --------------------------------------------------------------------------- what the templates lay out


def _cookie_kind(trackers, name: str, domain: str = "") -> str:
    return trackers.cookie(name, domain).category if trackers is not None else ""


def _request_kind(trackers, url: str) -> str:
    m = trackers.request(url) if trackers is not None else None
    return f"{m.vendor} ({m.category})" if m else ""


def _finding(f, base: Path | None, specs: dict[str, CheckSpec], compact: bool = False) -> dict:
    """A finding and its crop: the crop file as it is, or (``compact``, a flow step's) a small JPEG of it."""
    spec = specs.get(f.check)
    img = None
    if f.screenshot:
        img = _crop_small(base, f.screenshot) if compact else _data_uri(base, f.screenshot)
    return {"finding": f, "sev": "review" if f.status == "review" else f.severity,
            "fix": spec.sections().get("How to fix", "") if spec else "", "img": img}


def _banner(p: PageResult, base: Path | None, trackers, compact: bool = False) -> dict | None:
    """The banner facts of a page; ``compact`` (a flow step's): its pictures as small JPEGs."""
    report = p.banner
    if report is None:
        return None
    banners, pic, pic_alt = [], None, ""
    for b in report.banners:
        banners.append({"banner": b, "where": "settings layer" if b.layer == 2 else "first layer",
                        "buttons": [{"button": x.text, "kind": x.kind, "prominence": x.prominence}
                                    for x in b.buttons]})
        if not pic and b.layer == 1 and p.screenshot and base is not None:
            box = b.ref.box if b.ref else None
            pic = (_crop_small(base, p.screenshot, box) if box is not None else None) if compact \
                else _crop_uri(base, p.screenshot, box)
            pic_alt = "the banner as shown"
    refusal, states, presented = None, [], None
    snap = p.snapshot
    if snap is not None:
        raw_states = list(snap.states) + (list(snap.choice.states) if snap.choice else [])
        if snap.choice is not None:
            c = snap.choice
            refusal = {"action": c.action, "at": c.at,
                       "outcome": ("clicked " + repr(c.button)) if c.clicked else "not made",
                       "extra": f"; {c.error}" if c.error else "",
                       "back": "; the banner came back after a reload" if c.banner_returned else ""}
            if c.screenshot and base is not None and not pic:
                pic = _crop_small(base, c.screenshot) if compact else _data_uri(base, c.screenshot)
                pic_alt = "the banner at the moment of the choice"
        for st in raw_states:
            cookies = [{"name": k.name, "domain": k.domain, "kind": _cookie_kind(trackers, k.name, k.domain),
                        "httpOnly": k.http_only, "expires": k.expires} for k in st.cookies]
            reqs = [{"url": r.url, "tracker": _request_kind(trackers, r.url), "type": r.resource_type,
                     "frame": r.frame_url, "at": r.at} for r in st.requests]
            reqs.sort(key=lambda r: r["tracker"] == "")
            states.append({"phase": st.phase, "at": st.at, "cookies": cookies, "storage": len(st.storage),
                           "requests": reqs})
        presented = snap.presented
    return {"state": report.state, "banners": banners, "refusal": refusal, "states": states,
            "presented": presented, "pic": pic, "pic_alt": pic_alt}


def _page(p: PageResult, base: Path | None, specs: dict[str, CheckSpec], trackers=None) -> dict:
    return {"page": p, "thumb": _data_uri(base, p.screenshot, thumb=True) if p.screenshot else None,
            "findings": [_finding(f, base, specs) for f in p.findings], "banner": _banner(p, base, trackers)}


# --------------------------------------------------------------------------- a walked flow, as a journey


#: a flow step's thumbnail: at most this wide and high (the top of the page), JPEG of this quality
STEP_THUMB = (240, 320)
STEP_THUMB_QUALITY = 60
#: a crop shown with a flow finding (or a step's banner): at most this wide and high, JPEG of this quality
STEP_CROP = (640, 480)
STEP_CROP_QUALITY = 70
#: no picture of a flow step is embedded larger than this (bytes of JPEG); a larger one is made smaller
STEP_IMAGE_CAP = 60_000
STEP_STATUSES = ("ok", "failed", "refused", "blocked")
#: the currencies written with a symbol before the amount; any other after it ("129.00 SEK")
_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥", "CNY": "¥", "INR": "₹", "KRW": "₩", "ILS": "₪",
            "TRY": "₺", "PLN": "zł ", "BRL": "R$", "AUD": "A$", "CAD": "C$", "NZD": "NZ$", "HKD": "HK$"}
_NO_CENTS = ("JPY", "KRW")


def _jpeg(img: Image.Image, size: tuple[int, int], quality: int) -> str:
    """``img`` no wider than ``size`` (never enlarged), its top part no higher, as a JPEG data URI of at most
    STEP_IMAGE_CAP bytes (lower quality, then smaller, until it fits)."""
    img = img.convert("RGB")
    width, height = size
    if img.width > width:
        img = img.resize((width, max(1, round(img.height * width / img.width))), Image.LANCZOS)
    if img.height > height:
        img = img.crop((0, 0, img.width, height))
    while True:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality, optimize=True)
        if buf.tell() <= STEP_IMAGE_CAP or (quality <= 30 and min(img.size) <= 32):
            return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()
        if quality > 30:
            quality = max(30, quality - 15)
        else:
            img = img.resize((max(1, img.width // 2), max(1, img.height // 2)))


def _small(base: Path | None, rel: str | None, size: tuple[int, int], quality: int, box=None) -> str | None:
    """A screenshot in the output folder (or the ``box`` cut out of it, with a margin) as a small JPEG."""
    path = _inside(base, rel)
    if path is None:
        return None
    try:
        with Image.open(path) as img:
            if box is not None:
                x0, y0 = max(0, int(box.x) - 8), max(0, int(box.y) - 8)
                x1, y1 = min(img.width, int(box.x + box.width) + 8), min(img.height, int(box.y + box.height) + 8)
                if x1 - x0 < 4 or y1 - y0 < 4:
                    return None
                img = img.crop((x0, y0, x1, y1))
            return _jpeg(img, size, quality)
    except _IMAGE_ERRORS:
        return None


def _crop_small(base: Path | None, rel: str | None, box=None) -> str | None:
    return _small(base, rel, STEP_CROP, STEP_CROP_QUALITY, box)


def money(amount: float, currency: str = "") -> str:
    """An amount with its currency: "£151.89", "-€2.50", "1,299.00 SEK", "¥3,900"."""
    digits = f"{abs(amount):,.0f}" if currency in _NO_CENTS else f"{abs(amount):,.2f}"
    sign = "-" if amount < 0 and digits.strip("0.,") else ""
    symbol = _SYMBOLS.get(currency)
    if symbol:
        return f"{sign}{symbol}{digits}"
    return f"{sign}{digits} {currency}".rstrip()


def _delta(before: float, after: float, currency: str = "") -> str:
    """How much an amount changed, signed: "+£2.95", "-€5.00"."""
    return ("+" if after > before else "") + money(after - before, currency)


def _link(rel: str | None, root: str | None) -> str | None:
    """A relative link from the report to a file of the output folder (``root``: the output folder as seen
    from the report's folder; None: no link), if safe_url lets it through."""
    if root is None or not rel or _inside(Path("."), rel) is None:
        return None
    return safe_url(rel if root in ("", ".") else f"{root.rstrip('/')}/{rel}")


def _total(snapshot, ctx):
    """(total line, basket) of the order summary on a step's page, or (None, None)."""
    from auditor.baskets import find_basket
    if snapshot is None or not snapshot.prices:
        return None, None
    basket = find_basket(snapshot, ctx)
    return (basket.total, basket) if basket is not None and basket.total is not None else (None, basket)


def _changes(before, after) -> list[dict]:
    """What differs between two baskets: lines (items, fees, delivery; taxes and discounts only when new) that
    are new, changed in amount or gone."""
    from auditor.baskets import same_item
    kinds = ("item", "fee", "shipping", "tax_or_discount")
    old = [ln for ln in (before.lines if before else ()) if ln.kind in kinds]
    out, matched = [], set()
    for ln in (after.lines if after else ()):
        if ln.kind not in kinds:
            continue
        was = next((o for o in old if id(o) not in matched and o.kind == ln.kind
                    and same_item(o.row.label, ln.row.label)), None)
        if was is None:
            out.append({"label": ln.row.label, "amount": money(ln.row.amount, ln.row.currency), "how": "new"})
            continue
        matched.add(id(was))
        if abs(was.row.amount - ln.row.amount) >= 0.005 and ln.kind != "tax_or_discount":
            out.append({"label": ln.row.label, "amount": money(ln.row.amount, ln.row.currency),
                        "how": "was " + money(was.row.amount, was.row.currency)})
    for o in old:
        if id(o) not in matched and o.kind != "tax_or_discount":
            out.append({"label": o.row.label, "amount": money(o.row.amount, o.row.currency), "how": "gone"})
    return out


#: the chart's drawing area (SVG user units); the SVG scales to the report's width
CHART_W, CHART_H, CHART_TOP, CHART_BOTTOM, CHART_PAD = 1000, 220, 76, 186, 12


def _chart(steps: list[dict]) -> dict | None:
    """The order total at each step as a step line (a gap where a step shows no total), each change of the
    total labelled with the amount and the difference; None when no step shows a total."""
    points = [s for s in steps if s["total"] is not None]
    if not points:
        return None
    amounts = [s["total"].row.amount for s in points]
    lo, hi = min(amounts), max(amounts)
    floor = 0.0
    if 0 < lo < hi:  # the rise fills the height; the scale starts at a round amount below the lowest total
        unit = 10 ** math.floor(math.log10(hi - lo))
        floor = max(0.0, math.floor((lo - (hi - lo) * 0.3) / unit) * unit)
    span = (hi - floor) or max(abs(hi), 1.0)
    n = len(steps)
    slot = (CHART_W - 2 * CHART_PAD) / n

    def y(v: float) -> float:
        if hi == lo:
            return round((CHART_TOP + CHART_BOTTOM) / 2, 1)
        return round(CHART_BOTTOM - (v - floor) / span * (CHART_BOTTOM - CHART_TOP), 1)

    segments, joins, marks, labels, ticks = [], [], [], [], []
    prev = None  # (position, amount, currency) of the last step with a total
    last_label_x, row = -1e9, 0
    every = max(1, -(-n // 40))  # a step number under every step, or every k-th when there are many
    for k, s in enumerate(steps):
        x0, x1 = CHART_PAD + k * slot, CHART_PAD + (k + 1) * slot
        cx = round((x0 + x1) / 2, 1)
        if k % every == 0 or s["findings"]:
            ticks.append({"x": cx, "text": str(s["step"].index), "hit": bool(s["findings"])})
        t = s["total"]
        if t is None:
            continue
        amount, cur = t.row.amount, t.row.currency
        yy = y(amount)
        if segments and prev is not None and prev[0] == k - 1 and segments[-1]["y"] == yy:
            segments[-1]["x2"] = round(x1, 1)  # the same total as the step before: one line
        else:
            segments.append({"x1": round(x0, 1), "x2": round(x1, 1), "y": yy})
        if prev is not None and prev[0] == k - 1 and abs(prev[1] - amount) >= 0.005:
            joins.append({"x": round(x0, 1), "y1": y(prev[1]), "y2": yy})
        if prev is None or abs(prev[1] - amount) >= 0.005 or prev[2] != cur:
            delta = amount - prev[1] if prev is not None and prev[2] == cur else None
            row = 1 - row if cx - last_label_x < 80 else 0
            last_label_x = cx
            marks.append({"x": cx, "y": yy})
            labels.append({"x": cx, "y": round(yy - 10 - 32 * row, 1),
                           "text": money(amount, cur),
                           "delta": None if delta is None else _delta(prev[1], amount, cur),
                           "rise": delta is not None and delta > 0})
        prev = (k, amount, cur)
    return {"w": CHART_W, "h": CHART_H, "segments": segments, "joins": joins, "marks": marks, "labels": labels,
            "ticks": ticks, "axis_y": CHART_BOTTOM + 8, "tick_y": CHART_H - 12,
            "scale": f"{money(floor, points[0]['total'].row.currency)} to {money(hi, points[0]['total'].row.currency)}"
            if hi != lo else "", "from_zero": floor == 0.0}


def _basket_rows(basket) -> list[dict]:
    return [{"line": ln.row.label, "kind": ln.kind.replace("_", " "), "amount": money(ln.row.amount, ln.row.currency)}
            for ln in basket.lines] if basket is not None else []


def _flow(fl: FlowResult, base: Path | None, specs, trackers, links: str | None = ".") -> dict:
    """A walked journey as a filmstrip: one card per step (small thumbnail, status, new findings, total), the
    order total per step as a chart, each finding at its step (its crop small), and each step's checks, banner
    and cookies folded away. No full-size picture is embedded: full screenshots are linked files."""
    from auditor.lexicon import load
    from auditor.registry import CheckContext
    ctx = CheckContext(lexicon=load())
    shown: dict[str, int] = {}  # screenshot file -> the step whose card shows it
    steps = []
    for st in fl.steps:
        p = st.page
        shot = p.screenshot if p is not None else None
        reused = p.reused if p is not None and st.status == "ok" else None
        thumb = same = None
        if reused is None and shot and shot not in shown:
            thumb = _small(base, shot, STEP_THUMB, STEP_THUMB_QUALITY)
            if thumb:
                shown[shot] = st.index
        elif reused is None and shot in shown:
            same = shown[shot]
        ok = st.status == "ok" and p is not None
        total, basket = _total(p.snapshot, ctx) if ok else (None, None)
        findings = [_finding(f, base, specs, compact=True) for f in p.findings] if ok else []
        worst = next((s for s in ("high", "medium", "low") if any(v["sev"] == s for v in findings)),
                     "review" if findings else "")
        steps.append({
            "step": st, "page": p, "ok": ok, "status": st.status if st.status in STEP_STATUSES else "other",
            "thumb": thumb, "same": same, "reused": reused, "link": _link(shot, links),
            "findings": findings, "fails": sum(1 for v in findings if v["finding"].status == "fail"),
            "reviews": sum(1 for v in findings if v["finding"].status == "review"), "worst": worst,
            "total": total, "basket": basket, "basket_rows": _basket_rows(basket) if reused is None else [],
            "checks": p.checks if ok and reused is None else (),
            "banner": _banner(p, base, trackers, compact=True) if ok and reused is None else None})
    # where the total changes (or first shows): the card says by how much, the story what changed in the basket
    story, before = [], None
    for s in steps:
        t = s["total"]
        s["change"], s["rise"] = None, False
        if t is None:
            continue
        if before is None or before["total"].row.currency != t.row.currency:
            story.append({"step": s["step"], "total": money(t.row.amount, t.row.currency), "delta": None,
                          "rise": False, "changes": _changes(before["basket"], s["basket"]) if before else []})
        elif abs(before["total"].row.amount - t.row.amount) >= 0.005:
            s["change"] = _delta(before["total"].row.amount, t.row.amount, t.row.currency)
            s["rise"] = t.row.amount > before["total"].row.amount
            story.append({"step": s["step"], "total": money(t.row.amount, t.row.currency), "delta": s["change"],
                          "rise": s["rise"], "changes": _changes(before["basket"], s["basket"])})
        else:
            continue
        before = s
    first = next((s for s in steps if s["total"] is not None), None)
    last = next((s for s in reversed(steps) if s["total"] is not None), None)
    overall = None
    if first is not None and first is not last and first["total"].row.currency == last["total"].row.currency:
        a, b, cur = first["total"].row.amount, last["total"].row.amount, last["total"].row.currency
        if abs(b - a) >= 0.005:
            share = f", {'+' if b > a else ''}{(b - a) / a * 100:.1f}%" if a > 0 else ""
            overall = {"first": money(a, cur), "last": money(b, cur), "from": first["step"].index,
                       "to": last["step"].index, "rise": b > a, "delta": _delta(a, b, cur) + share}
    nfind = sum(len(s["findings"]) for s in steps)
    return {"flow": fl, "steps": steps, "chart": _chart(steps), "story": story, "overall": overall,
            "state": "complete" if fl.complete else "incomplete: " + fl.error,
            "found": nfind, "found_steps": sum(1 for s in steps if s["findings"]),
            "identity": ", ".join(f"{k} {v}" for k, v in fl.identity if k not in ("locale", "seed"))}


def render(run: AuditRun, base: Path | None, specs: tuple[CheckSpec, ...] = (), tracker_files=(),
           links: str | None = ".") -> str:
    """The report. ``links``: where the output folder ``base`` is, seen from the report's folder, for links to
    the full screenshots of flow steps ("." : the report is in it; None: no links)."""
    from auditor.trackers import load
    by_id = {s.id: s for s in specs}
    trackers = load(tuple(tracker_files))
    fails = [f for f in run.findings if f.status == "fail"]
    stats = ([("flows", len(run.flows)), ("flows incomplete", sum(1 for fl in run.flows if not fl.complete))]
             if run.flows else []) + [("pages", len(run.pages)), ("pages not audited", sum(1 for p in run.pages if p.error)),
             ("findings", len(fails))] + [(f"{s} severity", sum(1 for f in fails if f.severity == s))
                                          for s in ("high", "medium", "low")]
    return ENV.get_template("report.html.j2").render(
        run=run, stats=stats, css=CSS, csp=CSP,
        pages=[_page(p, base, by_id, trackers) for p in run.pages],
        flows=[_flow(fl, base, by_id, trackers, links if base is not None else None) for fl in run.flows])


def write(run: AuditRun, path: Path, base: Path | None, specs: tuple[CheckSpec, ...] = (), tracker_files=()) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    links = None  # the screenshots are linked when the output folder is the report's or below it
    if base is not None:
        try:
            rel = os.path.relpath(Path(base).resolve(), path.parent.resolve())
        except ValueError:  # another drive
            rel = os.pardir
        links = None if rel.split(os.sep)[0] == os.pardir else rel.replace(os.sep, "/")
    path.write_text(render(run, base, specs, tracker_files, links), encoding="utf-8")
    return path

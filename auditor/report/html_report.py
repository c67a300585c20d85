"""One self-contained HTML file: findings, their crops and page thumbnails embedded as data URIs.

The markup lives in Jinja2 templates (``auditor/report/templates/``) rendered with autoescaping on: every string
that came from a page (titles, texts, selectors, snippets, URLs) is data, escaped wherever it lands, and never
template source. A page is hostile input. No script runs in the report: a Content-Security-Policy that allows
no script, only the report's own (hashed) stylesheet and data: images, backs the escaping up.

This module prepares the values (pictures, tracker classes, table rows); the templates only lay them out.
"""

from __future__ import annotations

import base64
import hashlib
import io
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


ENV.filters.update(text=_text, cell=_cell, columns=_columns, safe_url=safe_url)
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


def _finding(f, base: Path | None, specs: dict[str, CheckSpec]) -> dict:
    spec = specs.get(f.check)
    return {"finding": f, "sev": "review" if f.status == "review" else f.severity,
            "fix": spec.sections().get("How to fix", "") if spec else "",
            "img": _data_uri(base, f.screenshot) if f.screenshot else None}


def _banner(p: PageResult, base: Path | None, trackers) -> dict | None:
    report = p.banner
    if report is None:
        return None
    banners, pic, pic_alt = [], None, ""
    for b in report.banners:
        banners.append({"banner": b, "where": "settings layer" if b.layer == 2 else "first layer",
                        "buttons": [{"button": x.text, "kind": x.kind, "prominence": x.prominence}
                                    for x in b.buttons]})
        if not pic and b.layer == 1 and p.screenshot and base is not None:
            pic = _crop_uri(base, p.screenshot, b.ref.box if b.ref else None)
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
                pic = _data_uri(base, c.screenshot)
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


def _flow(fl: FlowResult, base: Path | None, specs, trackers) -> dict:
    """A walked journey: status, the fake identity (secrets masked), then every step with the page after it."""
    steps = []
    for st in fl.steps:
        page = thumb = None
        if st.page is not None:
            if st.status == "ok":
                page = _page(st.page, base, specs, trackers)
            elif st.page.screenshot:
                thumb = _data_uri(base, st.page.screenshot, thumb=True)
        steps.append({"step": st, "page": page, "thumb": thumb})
    return {"flow": fl, "steps": steps,
            "state": "complete" if fl.complete else "incomplete: " + fl.error,
            "identity": ", ".join(f"{k} {v}" for k, v in fl.identity if k not in ("locale", "seed"))}


def render(run: AuditRun, base: Path | None, specs: tuple[CheckSpec, ...] = (), tracker_files=()) -> str:
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
        flows=[_flow(fl, base, by_id, trackers) for fl in run.flows])


def write(run: AuditRun, path: Path, base: Path | None, specs: tuple[CheckSpec, ...] = (), tracker_files=()) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(run, base, specs, tracker_files), encoding="utf-8")
    return path

"""One self-contained HTML file: findings, their crops and page thumbnails embedded as data URIs.

Every string that came from a page (titles, texts, selectors, snippets, URLs) is escaped: a page is hostile
input. No script runs in the report.
"""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path

from PIL import Image

from auditor.models import AuditRun, Finding, PageResult
from auditor.registry import CheckSpec

THUMB_WIDTH = 480

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d1d1f;background:#f5f5f7}
header{background:#1d1d1f;color:#fff;padding:18px 28px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#c7c7cc;font-size:12px}
main{padding:20px 28px;max-width:1200px}
.summary{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:18px}
.stat{background:#fff;border-radius:8px;padding:10px 16px;box-shadow:0 1px 2px #0001}
.stat b{display:block;font-size:22px}
section.page{background:#fff;border-radius:10px;padding:16px 20px;margin-bottom:18px;box-shadow:0 1px 3px #0002}
section.page h2{font-size:16px;margin:0 0 4px;word-break:break-all}
.meta{color:#555;font-size:12px;word-break:break-all}
.error{background:#fff0f0;border-left:4px solid #d70015;padding:8px 12px;margin:8px 0}
.finding{display:grid;grid-template-columns:1fr 320px;gap:16px;border-top:1px solid #eee;padding:12px 0}
.finding img{max-width:320px;border:1px solid #ddd;border-radius:4px}
.sev{display:inline-block;border-radius:4px;padding:1px 7px;font-size:11px;font-weight:600;color:#fff;text-transform:uppercase}
.sev.high{background:#d70015}.sev.medium{background:#c93400}.sev.low{background:#6e6e73}.sev.review{background:#0071e3}
code,pre{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f2f2f4;border-radius:4px}
pre{padding:6px 8px;white-space:pre-wrap;word-break:break-all;max-height:9em;overflow:auto}
.thumb{float:right;margin:0 0 8px 16px}.thumb img{width:240px;border:1px solid #ddd}
details.doc{margin-top:6px;font-size:13px;color:#333}
table.checks{border-collapse:collapse;font-size:12px;margin-top:6px}table.checks td{padding:2px 10px 2px 0}
.ok{color:#1a7f37}
.banner{border-top:1px solid #eee;padding:10px 0;display:grid;grid-template-columns:1fr 360px;gap:16px}
.banner img{max-width:360px;border:1px solid #ddd;border-radius:4px}
table.facts{border-collapse:collapse;font-size:12px;margin:4px 0 8px}
table.facts th,table.facts td{border-bottom:1px solid #eee;padding:2px 8px 2px 0;text-align:left;vertical-align:top}
table.facts td{word-break:break-all;max-width:520px}
.tag{display:inline-block;border-radius:4px;padding:0 6px;font-size:11px;background:#eef}
.tag.tracker{background:#ffe3e3}.tag.essential{background:#e3f5e8}
"""


def _data_uri(path: Path, thumb: bool = False) -> str | None:
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
    except OSError:
        return None


def _finding(f: Finding, base: Path | None, specs: dict[str, CheckSpec]) -> str:
    img = ""
    if f.screenshot and base is not None:
        uri = _data_uri(base / f.screenshot)
        if uri:
            img = f'<img alt="element outlined" src="{uri}">'
    el = f.element
    spec = specs.get(f.check)
    fix = escape(spec.sections().get("How to fix", "")) if spec else ""
    sev = "review" if f.status == "review" else f.severity
    details = "".join(_detail(k, v) for k, v in f.details)
    return f"""<div class="finding"><div>
<span class="sev {escape(sev)}">{escape(sev)}</span> <b>{escape(f.check)}</b>
<span class="meta">confidence {escape(f.confidence)}</span>
<p>{escape(f.message)}</p>
<div class="meta">selector <code>{escape(el.selector if el else '')}</code>{' in frame ' + escape(f.frame) if f.frame else ''}</div>
{'<pre>' + escape(el.html) + '</pre>' if el and el.html else ''}
<details class="doc"><summary>measured values and how to fix</summary><ul>{details}</ul><p>{fix}</p></details>
<div class="meta">fingerprint {escape(f.fingerprint)}</div>
</div><div>{img}</div></div>"""


def _detail(key, value) -> str:
    """A measured value; a list of records (cookies, requests) becomes a table."""
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, dict) for v in value):
        return f"<li>{escape(str(key))}:{_table(list(value))}</li>"
    return f"<li>{escape(str(key))}: <code>{escape(str(value))}</code></li>"


def _table(rows: list[dict], limit: int = 60) -> str:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    head = "".join(f"<th>{escape(str(c))}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{escape(_cell(r.get(c)))}</td>" for c in cols) + "</tr>"
                   for r in rows[:limit])
    more = f'<tr><td colspan="{len(cols)}">… {len(rows) - limit} more</td></tr>' if len(rows) > limit else ""
    return f'<table class="facts"><tr>{head}</tr>{body}{more}</table>'


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.0f}" if abs(v) >= 100 else f"{v:g}"
    return str(v)[:300]


def _crop_uri(shot: Path, box) -> str | None:
    """The banner cut out of the full-page screenshot, in memory."""
    if box is None:
        return None
    try:
        with Image.open(shot) as img:
            x0, y0 = max(0, int(box.x) - 8), max(0, int(box.y) - 8)
            x1, y1 = min(img.width, int(box.x + box.width) + 8), min(img.height, int(box.y + box.height) + 8)
            if x1 - x0 < 4 or y1 - y0 < 4:
                return None
            crop = img.crop((x0, y0, x1, min(y1, y0 + 1400))).convert("RGB")
            buf = io.BytesIO()
            crop.save(buf, "PNG")
            return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    except OSError:
        return None


def _banner(p: PageResult, base: Path | None, trackers) -> str:
    """The banner as the auditor understood it (state, buttons, picture), what the page stored and sent before
    any choice, and what followed the auditor's refusal."""
    report = p.banner
    if report is None:
        return ""
    parts = [f'<div class="banner"><div><b>Consent banner: {escape(report.state)}</b>']
    pic = ""
    for b in report.banners:
        where = "settings layer" if b.layer == 2 else "first layer"
        why = f" ({escape(b.reason)})" if b.reason else ""
        parts.append(f'<div class="meta">{escape(where)}, {escape(b.kind)}, {escape(b.state)}{why}: '
                     f'<code>{escape(b.ref.selector if b.ref else "")}</code></div>')
        if b.buttons:
            parts.append(_table([{"button": x.text, "kind": x.kind, "prominence": x.prominence} for x in b.buttons]))
        if not pic and b.layer == 1 and p.screenshot and base is not None:
            uri = _crop_uri(base / p.screenshot, b.ref.box if b.ref else None)
            pic = f'<img alt="the banner as shown" src="{uri}">' if uri else ""
    snap = p.snapshot
    if snap is not None:
        states = list(snap.states) + (list(snap.choice.states) if snap.choice else [])
        if snap.choice is not None:
            c = snap.choice
            outcome = ("clicked " + repr(c.button)) if c.clicked else "not made"
            extra = f"; {c.error}" if c.error else ""
            back = "; the banner came back after a reload" if c.banner_returned else ""
            parts.append(f'<p>Refusal in a fresh browser ({escape(c.action)}): {escape(outcome)} at '
                         f'{escape(c.at)}{escape(extra)}{escape(back)}</p>')
            if c.screenshot and base is not None and not pic:
                uri = _data_uri(base / c.screenshot)
                pic = f'<img alt="the banner at the moment of the choice" src="{uri}">' if uri else ""
        for st in states:
            cookies = [{"name": k.name, "domain": k.domain, "kind": _cookie_kind(trackers, k.name, k.domain),
                        "httpOnly": k.http_only, "expires": k.expires} for k in st.cookies]
            reqs = [{"url": r.url, "tracker": _request_kind(trackers, r.url), "type": r.resource_type,
                     "frame": r.frame_url, "at": r.at} for r in st.requests]
            reqs.sort(key=lambda r: r["tracker"] == "")
            parts.append(f'<details class="doc"><summary>{escape(st.phase)} (read {escape(st.at)}): '
                         f'{len(cookies)} cookie(s), {len(st.storage)} storage item(s), {len(reqs)} request(s)'
                         f'</summary>{_table(cookies) if cookies else ""}{_table(reqs) if reqs else ""}</details>')
        if snap.presented is not None:
            pr = snap.presented
            parts.append(f'<div class="meta">presented as: webdriver {escape(str(pr.webdriver))}, '
                         f'user agent {escape(pr.user_agent)}, brands {escape(", ".join(pr.brands))}</div>')
    parts.append(f"</div><div>{pic}</div></div>")
    return "".join(parts)


def _cookie_kind(trackers, name: str, domain: str = "") -> str:
    return trackers.cookie(name, domain).category if trackers is not None else ""


def _request_kind(trackers, url: str) -> str:
    m = trackers.request(url) if trackers is not None else None
    return f"{m.vendor} ({m.category})" if m else ""


def _page(p: PageResult, base: Path | None, specs: dict[str, CheckSpec], trackers=None) -> str:
    thumb = ""
    if p.screenshot and base is not None:
        uri = _data_uri(base / p.screenshot, thumb=True)
        if uri:
            thumb = f'<div class="thumb"><img alt="full page" src="{uri}"></div>'
    err = f'<div class="error"><b>{escape(p.error.kind)}</b>: {escape(p.error.message)}</div>' if p.error else ""
    findings = "".join(_finding(f, base, specs) for f in p.findings)
    if not p.error and not p.findings:
        findings = '<p class="ok">No findings.</p>'
    checks = "".join(f"<tr><td>{escape(c.check)}</td><td>{escape(c.outcome)}</td><td>{escape(c.error)}</td></tr>"
                     for c in p.checks)
    return f"""<section class="page">{thumb}
<h2>{escape(p.title or p.url)}</h2>
<div class="meta">{escape(p.url)}{' → ' + escape(p.final_url) if p.final_url and p.final_url != p.url else ''}
{' · HTTP ' + escape(str(p.status)) if p.status else ''} · {escape(p.started_at)}{_language(p)}</div>
{err}<table class="checks">{checks}</table>{_banner(p, base, trackers)}{findings}<div style="clear:both"></div></section>"""


def _language(p: PageResult) -> str:
    if p.language is None:
        return ""
    if p.language.covered:
        return f" · language: {escape(p.language.code)}"
    return (f' · <b class="error">language: {escape(p.language.code)}, not covered</b> (checks that read words '
            f'could not judge this page)')


def _flow(fl, base: Path | None, specs, trackers) -> str:
    """A walked journey: status, the fake identity (secrets masked), then every step with the page after it."""
    state = "complete" if fl.complete else "incomplete: " + fl.error
    ident = ", ".join(f"{k} {v}" for k, v in fl.identity if k not in ("locale", "seed"))
    notes = "".join(f'<div class="error">blocked (out of scope): {escape(b)}</div>' for b in fl.blocked)
    notes += "".join(f'<div class="error">refused: {escape(r)}</div>' for r in fl.refused)
    steps = []
    for st in fl.steps:
        head = (f'<h3>Step {st.index}: {escape(st.label)} <span class="meta">{escape(st.status)} · '
                f'{escape(st.at)}</span></h3>')
        err = f'<div class="error">{escape(st.error)}</div>' if st.error else ""
        if st.note:
            err += f'<div class="meta">submit guard: {escape(st.note)}</div>'
        body = ""
        if st.page is not None:
            if st.status == "ok":
                body = _page(st.page, base, specs, trackers)
            elif st.page.screenshot and base is not None:
                uri = _data_uri(base / st.page.screenshot, thumb=True)
                body = f'<div class="thumb"><img alt="the page when the step failed" src="{uri}"></div>' if uri else ""
        steps.append(f"{head}{err}{body}")
    return f"""<section class="page"><h2>Flow: {escape(fl.name)}</h2>
<div class="meta">{escape(fl.path)} · start {escape(fl.start)} · {escape(state)}</div>
<div class="meta">test identity: {escape(ident)}</div>{notes}{''.join(steps)}<div style="clear:both"></div></section>"""


def _discoveries(run: AuditRun) -> str:
    """What automatic discovery found from each start page: the flow files it wrote and where it stopped."""
    if not run.discoveries:
        return ""
    rows = "".join(
        f"<tr><td>{escape(d.journey)}</td><td>{escape(d.start)}</td>"
        f"<td>{escape(d.file) if d.found else '<b>not found</b>'}</td><td>{d.steps}</td><td>{d.seconds:.1f} s</td>"
        f"<td>{escape(d.stopped)}{''.join('<br>note: ' + escape(n) for n in d.notes)}</td></tr>"
        for d in run.discoveries)
    return (f'<section class="page"><h2>Discovered journeys</h2><table class="checks"><tr><th>journey</th>'
            f"<th>start</th><th>flow file</th><th>steps</th><th>time</th><th>where it stopped</th></tr>{rows}"
            f"</table></section>")


def render(run: AuditRun, base: Path | None, specs: tuple[CheckSpec, ...] = (), tracker_files=()) -> str:
    from auditor.trackers import load
    by_id = {s.id: s for s in specs}
    trackers = load(tuple(tracker_files))
    fails = [f for f in run.findings if f.status == "fail"]
    stats = ([("flows", len(run.flows)), ("flows incomplete", sum(1 for fl in run.flows if not fl.complete))]
             if run.flows else []) + [("pages", len(run.pages)), ("pages not audited", sum(1 for p in run.pages if p.error)),
             ("findings", len(fails))] + [(f"{s} severity", sum(1 for f in fails if f.severity == s))
                                          for s in ("high", "medium", "low")]
    stat_html = "".join(f'<div class="stat"><b>{n}</b>{escape(k)}</div>' for k, n in stats)
    pages = _discoveries(run) + "".join(_page(p, base, by_id, trackers) for p in run.pages) + \
        "".join(_flow(fl, base, by_id, trackers) for fl in run.flows)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>consent-auditor report</title><style>{CSS}</style></head><body>
<header><h1>consent-auditor report</h1>
<p>{escape(run.tool)} {escape(run.version)} · Chromium {escape(run.browser.version)} · UA {escape(run.browser.user_agent)}
· navigator.webdriver {'hidden' if run.browser.webdriver_hidden else 'visible'}
· viewport {run.settings.viewport[0]}×{run.settings.viewport[1]} · locale {escape(run.settings.locale)}
· {escape(run.started_at)} → {escape(run.finished_at)}</p></header>
<main><div class="summary">{stat_html}</div>{pages}</main></body></html>"""


def write(run: AuditRun, path: Path, base: Path | None, specs: tuple[CheckSpec, ...] = (), tracker_files=()) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(run, base, specs, tracker_files), encoding="utf-8")
    return path

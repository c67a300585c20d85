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
    details = "".join(f"<li>{escape(str(k))}: <code>{escape(str(v))}</code></li>" for k, v in f.details)
    return f"""<div class="finding"><div>
<span class="sev {escape(sev)}">{escape(sev)}</span> <b>{escape(f.check)}</b>
<span class="meta">confidence {escape(f.confidence)}</span>
<p>{escape(f.message)}</p>
<div class="meta">selector <code>{escape(el.selector if el else '')}</code>{' in frame ' + escape(f.frame) if f.frame else ''}</div>
{'<pre>' + escape(el.html) + '</pre>' if el and el.html else ''}
<details class="doc"><summary>measured values and how to fix</summary><ul>{details}</ul><p>{fix}</p></details>
<div class="meta">fingerprint {escape(f.fingerprint)}</div>
</div><div>{img}</div></div>"""


def _page(p: PageResult, base: Path | None, specs: dict[str, CheckSpec]) -> str:
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
{' · HTTP ' + escape(str(p.status)) if p.status else ''} · {escape(p.started_at)}</div>
{err}<table class="checks">{checks}</table>{findings}<div style="clear:both"></div></section>"""


def render(run: AuditRun, base: Path | None, specs: tuple[CheckSpec, ...] = ()) -> str:
    by_id = {s.id: s for s in specs}
    fails = [f for p in run.pages for f in p.findings if f.status == "fail"]
    stats = [("pages", len(run.pages)), ("pages not audited", sum(1 for p in run.pages if p.error)),
             ("findings", len(fails))] + [(f"{s} severity", sum(1 for f in fails if f.severity == s))
                                          for s in ("high", "medium", "low")]
    stat_html = "".join(f'<div class="stat"><b>{n}</b>{escape(k)}</div>' for k, n in stats)
    pages = "".join(_page(p, base, by_id) for p in run.pages)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>consent-auditor report</title><style>{CSS}</style></head><body>
<header><h1>consent-auditor report</h1>
<p>{escape(run.tool)} {escape(run.version)} · Chromium {escape(run.browser.version)} · UA {escape(run.browser.user_agent)}
· viewport {run.settings.viewport[0]}×{run.settings.viewport[1]} · locale {escape(run.settings.locale)}
· {escape(run.started_at)} → {escape(run.finished_at)}</p></header>
<main><div class="summary">{stat_html}</div>{pages}</main></body></html>"""


def write(run: AuditRun, path: Path, base: Path | None, specs: tuple[CheckSpec, ...] = ()) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(run, base, specs), encoding="utf-8")
    return path

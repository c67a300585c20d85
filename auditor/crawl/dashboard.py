"""``auditor dashboard``: a static site (no CDN, no script; opens from disk) of a crawl's history: sites x checks
over the last runs, a trend chart of findings per site, the latest diff, and links into each run's reports.
``--serve`` serves the runs folder (the dashboard and the reports it links to) on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import os
from collections import Counter
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from auditor.crawl.diff import diff as make_diff
from auditor.crawl.store import Store

ENV = Environment(loader=PackageLoader("auditor.crawl", "templates"), autoescape=True, undefined=StrictUndefined,
                  trim_blocks=True, lstrip_blocks=True)
RUNS_SHOWN = 30
CHART_W, CHART_H = 640, 160


def _css() -> tuple[str, str]:
    css, _, _ = ENV.loader.get_source(ENV, "dashboard.css")
    return css, "sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()


def _chart(runs: list, series: dict[str, list[int]]) -> dict:
    """A line per site: findings at each run, as SVG coordinates."""
    top = max([1] + [v for vals in series.values() for v in vals])
    n = max(1, len(runs) - 1)
    lines = []
    for i, (site, vals) in enumerate(sorted(series.items())):
        points = [(round(40 + (CHART_W - 60) * k / n), round(CHART_H - 20 - (CHART_H - 40) * v / top), v)
                  for k, v in enumerate(vals)]
        lines.append({"site": site, "points": points, "path": " ".join(f"{x},{y}" for x, y, _ in points),
                      "colour": i % 6})
    return {"lines": lines, "top": top, "w": CHART_W, "h": CHART_H,
            "labels": [(round(40 + (CHART_W - 60) * k / n), r.id) for k, r in enumerate(runs)]}


def build(store: Store, dest: Path, name: str | None = None) -> Path:
    """Write the dashboard into ``dest`` (index.html); returns its path."""
    runs = [r for r in store.runs(name)][-RUNS_SHOWN:]
    rows = []
    per_site: dict[str, list[int]] = {}
    cells: dict[tuple[str, str], dict[int, int]] = {}
    reports: dict[int, list[tuple[str, str]]] = {}
    errors: dict[int, int] = {}
    for r in runs:
        counts = Counter((f["site"], f["check_id"]) for f in store.findings(r.id) if f["status"] == "fail")
        for key, n in counts.items():
            cells.setdefault(key, {})[r.id] = n
        targets = store.targets(r.id)
        errors[r.id] = sum(1 for t in targets if t["status"] == "error")
        for site in {t["site"] for t in targets} | {s for s, _ in counts}:
            per_site.setdefault(site, [0] * len(runs))
        out = Path(store.run_out(r.id)) if store.run_out(r.id) else None
        if out is not None and out.is_dir():
            reports[r.id] = [(p.relative_to(out).parent.as_posix() or ".", _link(dest, p))
                             for p in sorted(out.rglob("report*.html"))][:50]
    for k, r in enumerate(runs):
        for (site, _check), by_run in cells.items():
            if r.id in by_run:
                per_site.setdefault(site, [0] * len(runs))[k] += by_run[r.id]
    for (site, check), by_run in sorted(cells.items()):
        rows.append({"site": site, "check": check, "counts": [by_run.get(r.id, 0) for r in runs]})
    latest = make_diff(store, runs[-2].id if len(runs) > 1 else None, runs[-1].id) if runs else None
    css, digest = _css()
    html = ENV.get_template("dashboard.html.j2").render(
        name=name or (runs[-1].name if runs else "crawl"), runs=runs, rows=rows, errors=errors, reports=reports,
        chart=_chart(runs, per_site) if runs else None, diff=latest, css=css,
        csp=f"default-src 'none'; style-src '{digest}'; img-src data:; base-uri 'none'; form-action 'none'",
        totals=[sum(row["counts"][k] for row in rows) for k in range(len(runs))])
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "index.html").write_text(html, encoding="utf-8")
    return dest / "index.html"


def _link(dest: Path, target: Path) -> str:
    """A relative link from the dashboard to a run's report (the site opens from disk)."""
    return Path(os.path.relpath(target.resolve(), dest.resolve())).as_posix()


def serve(root: Path, port: int = 8765):
    """Serve ``root`` on 127.0.0.1 until interrupted; returns the server (started in this thread's caller)."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass
    return ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Quiet, directory=str(root)))

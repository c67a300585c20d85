"""The fixture harness: scan annotated pages in real Chromium and compare findings with annotations.

Used by tests/integration/test_fixture_harness.py (strict both ways) and tests/bench/bench.py (precision and
recall). An annotation is ``data-expect-fail="<check ids>"`` or ``data-expect-pass="<check ids>"`` on the
element a finding points at or on an ancestor (across open shadow roots); a finding about the whole page (no
element) is matched against an annotation on ``<html>``; see fixtures/README.md.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

# Runs in each frame: enumerate annotations, then map each finding selector to its annotation.
RESOLVE_JS = r"""
(selectors) => {
  const annotated = [];
  const index = new Map();
  const walk = (root) => {
    root.querySelectorAll('*').forEach((el) => {
      if (el.hasAttribute('data-expect-fail') || el.hasAttribute('data-expect-pass')) {
        index.set(el, annotated.length);
        annotated.push({
          fail: (el.getAttribute('data-expect-fail') || '').split(/\s+/).filter(Boolean),
          pass: (el.getAttribute('data-expect-pass') || '').split(/\s+/).filter(Boolean),
          html: el.outerHTML.slice(0, 160),
        });
      }
      if (el.shadowRoot) walk(el.shadowRoot);
    });
  };
  walk(document);
  const up = (el) => el.parentElement || (el.parentNode && el.parentNode.host) || null;
  const resolve = (sel) => {
    if (!sel) return document.documentElement;  // a page-level finding: annotate <html>
    let root = document, el = null;
    for (const part of sel.split(' >> ')) {
      const scope = el ? el.shadowRoot : root;
      if (!scope && el) return el;  // inside a closed shadow root the page cannot open: its host carries the annotation
      if (!scope) return null;
      el = scope.querySelector(part);
      if (!el) return null;
    }
    return el;
  };
  const mapped = selectors.map(([sel, check]) => {
    const el = resolve(sel);
    if (!el) return { found: false, annotation: null };
    for (let cur = el; cur; cur = up(cur)) {
      if (index.has(cur)) {
        const a = annotated[index.get(cur)];
        if (a.fail.includes(check) || a.pass.includes(check)) return { found: true, annotation: index.get(cur) };
      }
    }
    // a finding on a block that holds exactly one annotated case of this check
    const inside = [];
    const collect = (root) => root.querySelectorAll('*').forEach((d) => {
      if (index.has(d)) { const a = annotated[index.get(d)]; if (a.fail.includes(check) || a.pass.includes(check)) inside.push(index.get(d)); }
      if (d.shadowRoot) collect(d.shadowRoot);
    });
    collect(el);
    if (el.shadowRoot) collect(el.shadowRoot);
    return { found: true, annotation: inside.length === 1 ? inside[0] : null };
  });
  return { annotated, mapped };
}
"""


@dataclass
class Annotation:
    frame: int
    index: int
    fail: list
    pass_: list
    html: str
    hits: dict = field(default_factory=dict)  # check -> count


@dataclass
class PageOutcome:
    path: str
    url: str
    error: str | None = None
    annotations: list = field(default_factory=list)
    # (check, message, annotation or None, verdict) per finding
    findings: list = field(default_factory=list)
    choice: str = ""  # what the auditor's refusal did, for diagnosing a missed choice-ignored

    def problems(self, checks: set[str] | None = None) -> list[str]:
        out = []
        if self.error:
            return [f"page not audited: {self.error}"]
        for check, message, ann, _ in self.findings:
            if checks and check not in checks:
                continue
            if ann is None:
                out.append(f"false alarm (unannotated element): {check}: {message}")
            elif check not in ann.fail:
                out.append(f"false alarm (data-expect-pass): {check}: {message} @ {ann.html[:100]}")
        for ann in self.annotations:
            for check in ann.fail:
                if checks and check not in checks:
                    continue
                if not ann.hits.get(check):
                    out.append(f"missed: {check} @ {ann.html[:140]}"
                               + (f" [{self.choice}]" if check == "choice-ignored" and self.choice else ""))
        return out


def fixture_pages(kind: str = "all") -> list[Path]:
    """Annotated pages: ``all`` (checks and the demo shop, strict in the test suite), ``checks``, ``site``, or
    ``blind`` (fixtures/blind/: measured by `make bench`, never tuned against, not part of ``all``)."""
    pages = []
    if kind == "blind":
        return sorted(p for p in (FIXTURES / "blind").glob("**/*.html")
                      if ".frame." not in p.name and "node_modules" not in p.parts)
    if kind in ("all", "checks"):
        pages += sorted(p for p in (FIXTURES / "checks").glob("*/*.html") if ".frame." not in p.name)
    if kind in ("all", "site"):
        pages += sorted((FIXTURES / "site" / "dark").glob("*.html")) + sorted((FIXTURES / "site" / "clean").glob("*.html"))
    return pages


async def _inspect(page, result, outcomes: dict):
    path = outcomes["__url_to_path"][result.url]
    outcome = PageOutcome(path=path, url=result.url)
    snapshot = result.snapshot
    findings = list(result.findings)
    frames = [f for f in page.frames if not f.is_detached()]
    by_frame: dict[int, list] = {}
    for n, f in enumerate(findings):
        fi = f.element.frame if f.element else 0
        by_frame.setdefault(fi, []).append(n)
    resolved: dict[int, Annotation | None] = {}
    for fi, frame in enumerate(frames):
        sels = [[findings[n].element.selector if findings[n].element else "", findings[n].check]
                for n in by_frame.get(fi, [])]
        try:
            data = await frame.evaluate(RESOLVE_JS, sels)
        except Exception:
            continue
        anns = [Annotation(fi, i, a["fail"], a["pass"], a["html"]) for i, a in enumerate(data["annotated"])]
        outcome.annotations += anns
        for n, m in zip(by_frame.get(fi, []), data["mapped"]):
            resolved[n] = anns[m["annotation"]] if m["annotation"] is not None else None
    for n, f in enumerate(findings):
        ann = resolved.get(n)
        if ann is not None:
            ann.hits[f.check] = ann.hits.get(f.check, 0) + 1
        verdict = "tp" if ann is not None and f.check in ann.fail else "fp"
        outcome.findings.append((f.check, f.message, ann, verdict))
    choice = snapshot.choice if snapshot is not None else None
    if choice is not None:  # shown with a missed network finding: what the refusal did
        outcome.choice = (f"refusal: {choice.action} {choice.button!r} clicked={choice.clicked} "
                          f"error={choice.error or None} banner_returned={choice.banner_returned} "
                          + " ".join(f"{s.phase}: {len(s.cookies)} cookies, {len(s.requests)} requests"
                                     for s in choice.states))
    outcomes[path] = outcome


def scan_fixtures(pages: list[Path], origin: str, browser_path: str | None = None, concurrency: int = 3) -> dict[str, PageOutcome]:
    """Scan fixture pages served at ``origin``; returns an outcome per page path (relative to fixtures/)."""
    from auditor.api import Hooks, Options, audit_async

    urls = {}
    for p in pages:
        rel = p.relative_to(FIXTURES).as_posix()
        urls[f"{origin}/{rel}"] = rel
    outcomes: dict = {"__url_to_path": urls}

    async def inspect(page, result):
        await _inspect(page, result, outcomes)

    opts = Options(timeout=30, browser=browser_path, out_dir=None, concurrency=concurrency, evidence=False)

    def on_page(result):
        if result.error:
            path = urls[result.url]
            outcomes[path] = PageOutcome(path=path, url=result.url, error=f"{result.error.kind}: {result.error.message}")

    run_in_thread(audit_async(list(urls), options=opts, hooks=Hooks(on_page=on_page, inspect=inspect)))
    outcomes.pop("__url_to_path")
    return outcomes


def run_in_thread(coro):
    """Run a coroutine in a fresh event loop on its own thread (safe beside pytest-playwright's sync API)."""
    box = {}

    def target():
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def precision_recall(outcomes: dict[str, PageOutcome], check: str) -> dict:
    tp = fn = fp = 0
    for o in outcomes.values():
        for ann in o.annotations:
            if check in ann.fail:
                if ann.hits.get(check):
                    tp += 1
                else:
                    fn += 1
        seen_fp = set()
        for c, msg, ann, verdict in o.findings:
            if c == check and verdict == "fp":
                key = (id(ann), msg) if ann is None else id(ann)
                if key not in seen_fp:
                    seen_fp.add(key)
                    fp += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall}

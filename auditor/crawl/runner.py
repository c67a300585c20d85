"""``auditor crawl PLAN``: every site of a plan, every page, flow and discovered journey, once per matrix variant,
through the public API (one ``Auditor`` per site and variant, restarted every ``restart-every`` audits), each
result stored in the history the moment it is known.

Transient failures (a timeout, a 5xx, a connection reset, a crashed renderer or browser) are tried again with
back-off (0.5 s, 1 s, 2 s, ...) and marked as retried; a page that fails every try is a page error, not a crash.
``resume``: the run's targets that were not finished (pending, or in flight when the crawl was killed) are
audited; the finished ones are not touched. ``shard`` (i, n): only the targets whose key hashes to shard i of n.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Callable

from auditor.browser.page import utc_now
from auditor.crawl.plan import Plan, Site, Sitemap, Variant
from auditor.crawl.store import Store

#: page errors worth another try: the site or the browser may do better a moment later
TRANSIENT = ("timeout", "unreachable", "crash", "browser-closed", "unresponsive")
SITEMAP_LIMIT = 10 * 1024 * 1024


def transient(error) -> bool:
    if error is None:
        return False
    if error.kind == "http-error":
        m = re.match(r"HTTP (\d+)", error.message)
        return bool(m) and int(m.group(1)) >= 500
    if error.kind == "unreachable":
        return any(w in error.message for w in ("reset", "closed", "empty response", "refused"))
    return error.kind in TRANSIENT


def _matches(url: str, patterns) -> bool:
    return any(re.search(p[3:], url) if p.startswith("re:") else fnmatchcase(url, p) for p in patterns)


def sitemap_pages(sm: Sitemap, fetch=None, depth: int = 0) -> list[str]:
    """The page addresses of a sitemap (or sitemap index), filtered and capped."""
    fetch = fetch or _fetch
    try:
        root = ET.fromstring(fetch(sm.url))
    except ET.ParseError as exc:
        raise ValueError(f"sitemap {sm.url}: not XML ({exc})") from None
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    out: list[str] = []
    if root.tag == f"{ns}sitemapindex" and depth < 2:
        for loc in root.iter(f"{ns}loc"):
            out += sitemap_pages(replace(sm, url=(loc.text or "").strip()), fetch, depth + 1)
    else:
        out = [(loc.text or "").strip() for loc in root.iter(f"{ns}loc")]
    out = [u for u in dict.fromkeys(out) if u.startswith(("http://", "https://"))
           and (not sm.include or _matches(u, sm.include)) and not _matches(u, sm.exclude)]
    return out[:sm.max_pages]


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 (http(s) only, checked by the plan)
        return resp.read(SITEMAP_LIMIT + 1)[:SITEMAP_LIMIT]


def target_rows(plan: Plan, fetch=None) -> tuple[list[tuple[str, str, str, str, str]], list[str]]:
    """(key, site, variant, kind, target) for every target of the plan, and the problems met (a sitemap that
    cannot be read is a problem of that site, not of the crawl)."""
    rows, problems = [], []
    for site in plan.sites:
        pages = list(site.urls)
        for sm in site.sitemaps:
            try:
                pages += sitemap_pages(sm, fetch)
            except (OSError, ValueError) as exc:
                problems.append(f"{site.name}: {exc}")
        pages = list(dict.fromkeys(pages))
        for v in site.variants:
            for url in pages:
                rows.append((f"{site.name}|{v.label}|page|{url}", site.name, v.label, "page", url))
            for f in site.flows:
                rows.append((f"{site.name}|{v.label}|flow|{f}", site.name, v.label, "flow", f))
            if site.discover and pages:
                rows.append((f"{site.name}|{v.label}|discover|{pages[0]}", site.name, v.label, "discover", pages[0]))
    return rows, problems


def in_shard(key: str, shard: tuple[int, int] | None) -> bool:
    if shard is None:
        return True
    i, n = shard
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % n == i - 1


def _variant(site: Site, label: str) -> Variant:
    return next(v for v in site.variants if v.label == label)


def _rows_of(result, kind: str, group_out: Path, run_out: Path) -> list[dict]:
    """The findings of a page result or of a flow's steps, for the store."""
    pages = [result] if kind == "page" else [st.page for fl in result for st in fl.steps if st.page is not None]
    out = []
    for p in pages:
        for f in p.findings:
            evidence = None
            if f.screenshot:
                evidence = (group_out / f.screenshot).relative_to(run_out).as_posix()
            out.append({"check": f.check, "severity": f.severity, "status": f.status, "fingerprint": f.fingerprint,
                        "url": p.final_url or p.url, "message": f.message, "evidence": evidence})
    return out


async def crawl(plan: Plan, store: Store, *, resume: int | None = None, shard: tuple[int, int] | None = None,
                progress: Callable[[dict], None] | None = None, fetch=None) -> int:
    """Run (or resume) a crawl; returns the run's id. Everything is in ``store`` as it happens."""
    from auditor import __version__
    progress = progress or (lambda event: None)
    shard_label = f"{shard[0]}/{shard[1]}" if shard else None
    if resume is None:
        rows, problems = target_rows(plan, fetch)
        rows = [r for r in rows if in_shard(r[0], shard)]
        run_id = store.start_run(str(plan.file), plan.name, utc_now(), __version__, "", shard_label)
        out = plan.out / (f"run-{run_id:05d}" + (f"-shard-{shard[0]}-of-{shard[1]}" if shard else ""))
        with store.tx() as db:
            db.execute("UPDATE runs SET out = ? WHERE id = ?", (str(out), run_id))
        store.add_targets(run_id, rows, shard_label)
        for p in problems:
            progress({"event": "problem", "message": p})
    else:
        run_id = resume
        out = Path(store.run_out(run_id))
        with store.tx() as db:
            db.execute("UPDATE runs SET status = 'running', finished_at = NULL WHERE id = ?", (run_id,))
    todo = store.todo(run_id)
    total, done = len(todo), 0
    started = time.monotonic()
    progress({"event": "start", "run": run_id, "targets": total, "resumed": resume is not None})
    sites = {s.name: s for s in plan.sites}
    groups: dict[tuple[str, str], list] = {}
    for t in todo:  # a site or variant the plan no longer has (edited before --resume) is left as it is
        if t["site"] in sites and any(v.label == t["variant"] for v in sites[t["site"]].variants):
            groups.setdefault((t["site"], t["variant"]), []).append(t)
        else:
            progress({"event": "problem", "message": f"{t['key']}: no longer in the plan, not audited"})
    status = "finished"
    try:
        for (site_name, label), targets in groups.items():
            site = sites[site_name]
            variant = _variant(site, label)
            for first in range(0, len(targets), plan.restart_every):
                chunk = targets[first:first + plan.restart_every]
                async for t in _audit_group(plan, site, variant, chunk, store, run_id, out):
                    done += 1
                    elapsed = time.monotonic() - started
                    progress({"event": "target", "run": run_id, "done": done, "total": total, **t,
                              "eta_s": round(elapsed / done * (total - done), 1)})
    except asyncio.CancelledError:
        status = "interrupted"
        raise
    finally:
        store.finish_run(run_id, utc_now(), status)
        progress({"event": "end", "run": run_id, "status": status, "done": done, "total": total})
    return run_id


async def _audit_group(plan: Plan, site: Site, variant: Variant, targets: list, store: Store, run_id: int,
                       run_out: Path):
    """One browser for one site and variant: each target audited (with retries) and stored; yields a short
    record of each as it finishes."""
    from auditor.api import Auditor
    group_out, options = group_options(plan, site, variant, run_out)
    queue: asyncio.Queue = asyncio.Queue()
    gate = asyncio.Semaphore(options.concurrency)
    pace = asyncio.Lock()  # the delay between two starts on this site

    async def one(auditor, t):
        async with gate:
            if site.delay_ms:
                async with pace:
                    await asyncio.sleep(site.delay_ms / 1000)
            store.begin_target(run_id, t["key"], utc_now())
            t0 = time.monotonic()
            error, findings, report, tries = await audit_with_retries(auditor, t, group_out, run_out, audited,
                                                                      plan.retries)
            store.finish_target(run_id, t["key"], at=utc_now(), seconds=round(time.monotonic() - t0, 3),
                                findings=findings, error=error[:2] if error else None, report=report,
                                retried=tries - 1)
            await queue.put({"site": site.name, "variant": variant.label, "kind": t["kind"], "target": t["target"],
                             "findings": len(findings), "error": error[0] if error else None,
                             "retried": tries - 1})

    audited: dict = {"pages": [], "flows": []}
    async with Auditor(options) as auditor:
        jobs = [asyncio.ensure_future(one(auditor, t)) for t in targets]
        try:
            for _ in targets:
                yield await queue.get()
        finally:
            for j in jobs:
                j.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)
            if audited["pages"] or audited["flows"]:
                _group_report(auditor, audited, group_out, options)


def group_options(plan: Plan, site: Site, variant: Variant, run_out: Path):
    """(the folder of one site and variant in a run, the API options its audits use)."""
    group_out = run_out / re.sub(r"[^A-Za-z0-9._-]+", "-", site.name) / variant.slug
    extra = dict(out_dir=str(group_out), viewport=variant.size, locale=variant.locale, timezone=variant.timezone,
                 mobile=variant.mobile, storage_state=site.storage_state, headers=site.headers,
                 concurrency=site.concurrency or plan.concurrency, command=f"auditor crawl {plan.file}")
    if site.base:
        extra["base"] = site.base
    return group_out, plan.project.validated_options(**extra)


async def audit_with_retries(auditor, t, group_out: Path, run_out: Path, audited: dict, retries: int):
    """(error or None, findings, report, tries) of one target, transient failures tried again with back-off."""
    tries = 0
    while True:
        tries += 1
        try:
            error, findings, report = await _audit_one(auditor, t, group_out, run_out, audited)
        except Exception as exc:  # a browser gone for good: this target's error, the crawl goes on
            error = ("internal", f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}", True)
            findings, report = [], None
        if error is None or tries > retries or not error[2]:
            return error, findings, report, tries
        await asyncio.sleep(0.5 * 2 ** (tries - 1))


def _group_report(auditor, audited: dict, group_out: Path, options) -> None:
    """The report of one site and variant (report.json, report.html in its folder): what the dashboard links to.
    A resumed crawl writes the part it audited (report-resumed-N)."""
    from auditor import TOOL_NAME, __version__
    from auditor.api import finish
    from auditor.engine import browser_info
    from auditor.models import AuditRun
    from auditor.registry import discover
    from auditor.report import html_report, json_report
    pages = tuple(audited["pages"])
    flows = tuple(audited["flows"])
    steps = [st.page for fl in flows for st in fl.steps if st.page is not None]
    starts = [p.started_at for p in pages + tuple(steps) if p.started_at] or [utc_now()]
    run = AuditRun(tool=TOOL_NAME, version=__version__, browser=browser_info(auditor.session, list(pages) + steps),
                   settings=auditor.session.options.settings, started_at=min(starts), finished_at=utc_now(),
                   pages=pages, flows=flows)
    run = finish(run, options)
    name, n = "report", 1
    while (group_out / f"{name}.json").exists():
        n += 1
        name = f"report-resumed-{n}"
    group_out.mkdir(parents=True, exist_ok=True)
    json_report.write(run, group_out / f"{name}.json")
    html_report.write(run, group_out / f"{name}.html", group_out, discover(), options.tracker_files)


def slim_result(page):
    """A page's result as the group's report needs it at the end of the crawl: its snapshot without what only the
    checks read (texts, controls, overlays, forms, the settings layer's snapshot). The frames, cookies, storage,
    requests, the refusal, the presentation and the prices stay. Kept whole, every result of a long crawl stayed
    in memory until its report was written (about 0.3 MB a page on the demo shop)."""
    snap = page.snapshot
    if snap is None:
        return page
    return replace(page, snapshot=replace(
        snap, controls=(), texts=(), overlays=(), forms=(), second_layer=None))


def slim_flow(flow):
    return replace(flow, steps=tuple(
        replace(st, page=slim_result(st.page)) if st.page is not None else st for st in flow.steps))


async def _audit_one(auditor, t, group_out: Path, run_out: Path, audited: dict):
    """(error or None, findings, report path) of one target; error = (kind, message, transient)."""
    if t["kind"] == "page":
        result = await auditor.page(t["target"])
        if result.error is None or not transient(result.error):
            audited["pages"].append(slim_result(result))
        report = (group_out / result.screenshot).relative_to(run_out).as_posix() if result.screenshot else None
        if result.error is not None:
            return (result.error.kind, result.error.message, transient(result.error)), [], report
        return None, _rows_of(result, "page", group_out, run_out), report
    run = await (auditor.run(flows=[t["target"]]) if t["kind"] == "flow" else auditor.run(discover=[t["target"]]))
    flows = run.flows
    audited["flows"].extend(slim_flow(fl) for fl in flows)
    rows = _rows_of(flows, "flow", group_out, run_out)
    if t["kind"] == "discover" and not any(d.found for d in run.discoveries):
        return ("not-found", "discovery found no journey from this page", False), [], None
    broken = [fl for fl in flows if not fl.complete]
    if broken:
        return ("flow-incomplete", broken[0].error[:300], False), rows, None
    return None, rows, None

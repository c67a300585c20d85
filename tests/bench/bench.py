"""`make bench`: what the audit costs, measured side by side in one run (never a timed test).

1. Whole-process time of `auditor scan URL` against a plain Playwright script that launches the same browser,
   loads the same page and takes one full-page screenshot; both run alternately on every page, several rounds,
   and the medians and their ratio are printed (target: ratio at most 1.5).
2. The collector's in-page time on generated pages of 1,000, 10,000 and 100,000 elements (target: at most
   250 ms at 10,000 elements, growing about linearly).
3. Precision and recall of every check over the annotated fixtures (the harness of the test suite), and (3b)
   over the blind set in fixtures/blind/, pages written by someone who never read the detector: measured
   here, never tuned against (see fixtures/blind/README.md).
4. Whole-process time of `auditor flow FILE` for every demo-shop flow and the purchase or booking flow of every
   unseen shop (fixtures/shops/, dark twins) against a plain Playwright script doing the same steps with no
   audit (target: ratio at most 2.0, issue 11).
5. Discovery per site: whole-process time of `auditor discover HOME --no-walk` (find both journeys, write the
   flow files, no audit) for each demo-shop variant, against a plain Playwright script replaying the steps it
   wrote; and the time each journey's discovery took, from its report. 5b: the same on each unseen shop.
6. Big pages (issue 12): `auditor scan` of pages of 10,000 and 100,000 elements, 10 MB of text and 200,000 px
   tall, each with a pre-ticked box at the very end, against the plain load+screenshot script: time, peak
   memory of the whole process tree, and whether the box was found.

7. Evidence packs (issue 14): `auditor scan` of each dark demo-shop page alone, and `auditor scan --pack DIR
   --key KEY` of the same page (HAR, MHTML, DOM, console, snapshot, the PDF report, the bag, the signature),
   alternately; the time the pack adds and its size per page.

8. Crawl throughput (issue 15): `auditor crawl` of the demo shop's twelve pages (both variants), several times
   over, at concurrency 1, 2 and 4, then through Celery with 1 and 2 workers and a local redis-server: page
   audits per hour; and the demo shop's four flow files on two sites at concurrency 2: walked journeys per hour.
9. Memory over a long crawl (issue 15): `auditor crawl` of 500 page audits (``--crawl-pages``) at concurrency 4,
   the proportional memory (PSS) of the Python process and of the whole process tree sampled every 2 s, by
   pages done.
10. The refusal (issue 15): from the fresh context's navigation to the refusal click on banner pages, the click
   aimed with the first load's banner facts against the fresh page settled and read again first
   (``AUDITOR_REFUSAL=read-again``, the way before), alternately, and the whole scan both ways.

Options: ``--rounds N`` (default 3), ``--pages N`` (fixture pages in part 1, default 12), ``--skip PART``,
``--no-interact`` (time the first-layer audit alone, without opening settings or refusing consent).
Results also go to out/bench/bench.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from devserver import serve  # noqa: E402
from shop_harness import serve_all  # noqa: E402

BASELINE = r"""
import sys
from playwright.sync_api import sync_playwright
from auditor.browser.launch import IGNORE_DEFAULT_ARGS, LAUNCH_ARGS, find_browser
url, shot = sys.argv[1], sys.argv[2]
with sync_playwright() as pw:
    exe = find_browser(None, pw)
    browser = pw.chromium.launch(executable_path=exe, args=list(LAUNCH_ARGS), ignore_default_args=list(IGNORE_DEFAULT_ARGS))
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(url, wait_until="load")
    page.screenshot(path=shot, full_page=True)
    browser.close()
"""


def _timed(cmd: list[str]) -> tuple[float, int]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(f"bench: {' '.join(cmd[:4])} failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
    return elapsed, proc.returncode


def bench_scan(origin: str, pages: list[str], rounds: int, extra: list[str] = ()) -> dict:
    """Part 1: auditor scan vs load-and-screenshot, whole processes, alternating."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for page in pages:
            url = f"{origin}/{page}"
            audit, plain = [], []
            for r in range(rounds):
                # alternate which goes first so drift on a shared machine hits both alike
                order = ("audit", "plain") if r % 2 == 0 else ("plain", "audit")
                for which in order:
                    if which == "audit":
                        audit.append(_timed([sys.executable, "-m", "auditor", "scan", url, "--out", f"{tmp}/a", *extra])[0])
                    else:
                        plain.append(_timed([sys.executable, "-c", BASELINE, url, f"{tmp}/plain.png"])[0])
            a, p = statistics.median(audit), statistics.median(plain)
            rows.append({"page": page, "audit_s": round(a, 3), "plain_s": round(p, 3), "ratio": round(a / p, 3)})
            print(f"  {page:<62} audit {a:6.2f}s  plain {p:6.2f}s  ratio {a / p:5.2f}", flush=True)
    ratios = [r["ratio"] for r in rows]
    summary = {"pages": rows, "median_ratio": round(statistics.median(ratios), 3), "max_ratio": max(ratios),
               "median_audit_s": round(statistics.median(r["audit_s"] for r in rows), 3),
               "median_plain_s": round(statistics.median(r["plain_s"] for r in rows), 3), "rounds": rounds}
    print(f"  median: audit {summary['median_audit_s']:.2f}s, plain {summary['median_plain_s']:.2f}s, "
          f"ratio {summary['median_ratio']:.2f} (max {summary['max_ratio']:.2f}; target <= 1.5)", flush=True)
    return summary


# The same steps as `auditor flow`, done by a plain Playwright script: no settle, no audit, no screenshots (it
# uses the runner's step code so both sides click, fill and wait the same way).
FLOW_BASELINE = r"""
import asyncio, sys
from playwright.async_api import async_playwright
from auditor.browser.launch import IGNORE_DEFAULT_ARGS, LAUNCH_ARGS, find_browser
from auditor.flows.spec import load_flow
from auditor.flows.identity import make_identity
from auditor.flows.runner import WalkState, do_step, after_action
from auditor.lexicon import load
async def main(path, base):
    flow = load_flow(path, base)
    ident = make_identity(flow.locale, flow.seed)
    lex = load()
    async with async_playwright() as pw:
        exe = find_browser(None, pw)
        browser = await pw.chromium.launch(executable_path=exe, args=list(LAUNCH_ARGS),
                                           ignore_default_args=list(IGNORE_DEFAULT_ARGS))
        vp = flow.viewport or (1280, 800)
        page = await browser.new_page(viewport={"width": vp[0], "height": vp[1]})
        await page.goto(flow.start, wait_until="load")
        state = WalkState()
        for step in flow.steps:
            await do_step(page, step, flow, ident, state, 30.0, lex)
            await after_action(page)
        await browser.close()
asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def bench_flows(cases: list[tuple[str, Path, str]], rounds: int) -> dict:
    """Part 4: `auditor flow FILE` (an audit and a screenshot after every step) vs the same steps, plain;
    ``cases`` are (name, flow file, base origin)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, f, origin in cases:
            audit, plain = [], []
            for r in range(rounds):
                order = ("audit", "plain") if r % 2 == 0 else ("plain", "audit")
                for which in order:
                    if which == "audit":
                        audit.append(_timed([sys.executable, "-m", "auditor", "flow", str(f), "--base", origin,
                                             "--out", f"{tmp}/a"])[0])
                    else:
                        plain.append(_timed([sys.executable, "-c", FLOW_BASELINE, str(f), origin])[0])
            a, p = statistics.median(audit), statistics.median(plain)
            steps = sum(1 for line in f.read_text(encoding="utf-8").splitlines() if line.lstrip().startswith("- "))
            rows.append({"flow": name, "steps": steps, "audit_s": round(a, 3), "plain_s": round(p, 3),
                         "ratio": round(a / p, 3)})
            print(f"  {name:<34} {steps:3} steps  audit {a:6.2f}s  plain {p:6.2f}s  ratio {a / p:5.2f}", flush=True)
    ratios = [r["ratio"] for r in rows]
    summary = {"flows": rows, "median_ratio": round(statistics.median(ratios), 3), "max_ratio": max(ratios),
               "rounds": rounds}
    print(f"  median ratio {summary['median_ratio']:.2f}, max {summary['max_ratio']:.2f} (target <= 2.0, issue 11)",
          flush=True)
    return summary


def demo_flows(origin: str) -> list[tuple[str, Path, str]]:
    return [(f.name, f, origin) for f in sorted((ROOT / "fixtures" / "flows").glob("*.yaml"))]


def shop_flows(twins: dict) -> list[tuple[str, Path, str]]:
    """The dark twin's purchase or booking flow of every unseen shop (fixtures/shops/)."""
    out = []
    for (shop, twin), t in sorted(twins.items()):
        if twin != "dark":
            continue
        for f in t.flows():
            if not f.name.endswith("-signup.yaml"):
                out.append((f"{shop}/{f.name}", f, t.origin))
    return out


def bench_shop_discovery(twins: dict, rounds: int) -> dict:
    """Part 5b: `auditor discover START --no-walk` on each unseen shop's dark twin (every journey) vs a plain
    replay of the flows it wrote."""
    from shop_harness import journey_kind
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for (shop, twin), t in sorted(twins.items()):
            if twin != "dark":
                continue
            found, plain, reached = [], [], {}
            for r in range(rounds):
                out = f"{tmp}/{shop}{r}"
                starts = sorted({t.start(j) for j in t.journeys})
                elapsed, _ = _timed([sys.executable, "-m", "auditor", "discover", *starts, "--no-walk", "--out", out])
                found.append(elapsed)
                report = json.loads(Path(out, "report.json").read_text(encoding="utf-8"))
                for d in report["discoveries"]:
                    reached.setdefault(d["journey"], d["found"])
                files = [d["file"] for d in report["discoveries"] if d["found"]]
                plain.append(sum(_timed([sys.executable, "-c", FLOW_BASELINE, f, t.origin])[0] for f in files))
            d, p = statistics.median(found), statistics.median(plain)
            journeys = {journey_kind(j): reached.get(journey_kind(j), False) for j in t.journeys}
            rows.append({"shop": shop, "discover_s": round(d, 3), "plain_replay_s": round(p, 3),
                         "ratio": round(d / p, 3) if p else None, "found": journeys})
            print(f"  {shop:16} discover {d:6.2f}s  plain replay {p:6.2f}s  ratio {d / p if p else float('nan'):5.2f}  "
                  + "  ".join(f"{j} {'found' if ok else 'NOT FOUND'}" for j, ok in journeys.items()), flush=True)
    ratios = [r["ratio"] for r in rows if r["ratio"]]
    return {"shops": rows, "median_ratio": round(statistics.median(ratios), 3) if ratios else None, "rounds": rounds}


def bench_discovery(origin: str, rounds: int) -> dict:
    """Part 5: `auditor discover HOME --no-walk` vs a plain replay of the flows it wrote, per site."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for variant in ("dark", "clean"):
            home = f"{origin}/site/{variant}/index.html"
            found, plain, journeys = [], [], {}
            for r in range(rounds):
                out = f"{tmp}/{variant}{r}"
                t, code = _timed([sys.executable, "-m", "auditor", "discover", home, "--no-walk", "--locale",
                                  "en-GB", "--out", out])
                found.append(t)
                report = json.loads(Path(out, "report.json").read_text(encoding="utf-8"))
                for d in report["discoveries"]:
                    journeys.setdefault(d["journey"], []).append(d["seconds"] if d["found"] else None)
                files = [d["file"] for d in report["discoveries"] if d["found"]]
                plain.append(sum(_timed([sys.executable, "-c", FLOW_BASELINE, f, origin])[0] for f in files))
            d, p = statistics.median(found), statistics.median(plain)
            per = {j: (statistics.median(v) if all(x is not None for x in v) else None) for j, v in journeys.items()}
            rows.append({"site": variant, "discover_s": round(d, 3), "plain_replay_s": round(p, 3),
                         "ratio": round(d / p, 3), "journey_s": per})
            print(f"  {variant:6} discover {d:6.2f}s  plain replay {p:6.2f}s  ratio {d / p:5.2f}  "
                  + "  ".join(f"{j} {v:.2f}s" if v is not None else f"{j} NOT FOUND" for j, v in per.items()),
                  flush=True)
    return {"sites": rows, "rounds": rounds}


def generated_page(n: int) -> str:
    """A page of about ``n`` elements in a realistic mix: sections, paragraphs, links, form rows, fine print."""
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'><title>generated</title>",
             "<style>.fine{font-size:8px;color:#ccc}.row{display:flex;gap:8px}</style></head><body><main>"]
    count, i = 6, 0
    while count < n:
        k = i % 10
        if k == 0:
            parts.append(f"<section><h2>Section {i}</h2>")
            count += 2
        elif k in (1, 2, 3):
            parts.append(f"<p>Ordinary product copy number {i} with <a href='#p{i}'>a link</a> and <b>bold</b>.</p>")
            count += 3
        elif k == 4:
            parts.append(f"<div class='row'><label><input type='checkbox' name='c{i}'> Keep item {i} in my list"
                         f"</label></div>")
            count += 3
        elif k == 5:
            parts.append(f"<p class='fine'>By continuing you agree to the terms of offer {i}.</p>")
            count += 1
        elif k == 6:
            parts.append(f"<ul><li>Feature {i}</li><li>Detail</li><li>More</li></ul>")
            count += 4
        elif k == 7:
            parts.append(f"<div><span>Price</span> <span>{i}.99</span></div>")
            count += 3
        elif k == 8:
            parts.append(f"<div class='row'><button type='button'>Add {i}</button></div>")
            count += 2
        else:
            parts.append("</section>")
        i += 1
    parts.append("</main><form><button type='submit'>Continue</button></form></body></html>")
    return "".join(parts)


async def _collector_times(origin: str, sizes: list[int], runs: int, tmpdir: Path) -> list[dict]:
    from playwright.async_api import async_playwright

    from auditor.browser.launch import launch
    from auditor.browser.page import COLLECT_JS
    from auditor.browser.worlds import Worlds
    from auditor.lexicon import load

    terms = json.dumps(load().js_matcher(), ensure_ascii=False)
    rows = []
    async with async_playwright() as pw:
        browser, _ = await launch(pw, None)
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        worlds = await Worlds.attach(page)
        for n in sizes:
            await page.goto(f"{origin}/gen-{n}.html", wait_until="load")
            top = (await worlds.frames())[0]
            opts = {"terms": terms, "maxText": 400, "htmlLimit": 500, "isTop": True}
            times, count = [], 0
            for _ in range(runs):
                # in the auditor's isolated world, as a scan runs it
                raw = json.loads(await worlds.call(top, COLLECT_JS, opts, deadline=120))
                times.append(float(raw["collector_ms"]))
                count = int(raw["element_count"])
            med = statistics.median(times)
            # the first run is what a scan pays (the collector is evaluated once per frame); later runs are warm
            rows.append({"elements": count, "target_elements": n, "median_ms": round(med, 1),
                         "first_ms": round(times[0], 1), "min_ms": round(min(times), 1), "runs": runs})
            print(f"  {count:>7,} elements: first {times[0]:8.1f} ms, median of {runs} {med:8.1f} ms "
                  f"(min {min(times):.1f})", flush=True)
        await browser.close()
    return rows


def bench_collector(sizes: list[int], runs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for n in sizes:
            (d / f"gen-{n}.html").write_text(generated_page(n), encoding="utf-8")
        with serve(d) as (origin, _):
            rows = asyncio.run(_collector_times(origin, sizes, runs, d))
    by = {r["target_elements"]: r for r in rows}
    growth = None
    if 1_000 in by and 100_000 in by and by[1_000]["median_ms"] > 0:
        growth = round(by[100_000]["median_ms"] / by[1_000]["median_ms"], 1)
        print(f"  100k/1k time ratio {growth} (linear would be about 100)", flush=True)
    if 10_000 in by:
        print(f"  at 10k elements: {by[10_000]['median_ms']:.1f} ms (target <= 250 ms)", flush=True)
    return {"sizes": rows, "growth_100k_over_1k": growth}


BOX = ("<form action='/signup'><p><label><input type='checkbox' name='news' checked> Send me marketing emails"
       "</label></p><button type='submit'>Create account</button></form>")


def big_pages(d: Path) -> dict[str, str]:
    """Part 6's pages, each with a pre-ticked marketing box at the very end: 10,000 and 100,000 elements, 10 MB of
    text, and a page 200,000 px tall."""
    pages = {}
    for n in (10_000, 100_000):
        name = f"big-{n}.html"
        (d / name).write_text(generated_page(n).replace("</main>", "</main>" + BOX), encoding="utf-8")
        pages[f"{n:,} elements"] = name
    para = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt. " * 40
    body = "".join(f"<p>{para}</p>" for _ in range(10 * 1024 * 1024 // (len(para) + 7)))
    (d / "big-text.html").write_text(f"<!doctype html><html lang='en'><body>{body}{BOX}</body></html>", encoding="utf-8")
    pages["10 MB of text"] = "big-text.html"
    (d / "big-tall.html").write_text("<!doctype html><html lang='en'><body><div style='height:200000px'>top</div>"
                                     f"{BOX}</body></html>", encoding="utf-8")
    pages["200,000 px tall"] = "big-tall.html"
    return pages


def _tree_rss(pid: int) -> int:
    """Resident memory (bytes) of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(fields[21]) * 4096
        except (OSError, ValueError, IndexError):
            continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, ()))
    return total


def _pss(pid: int) -> int:
    """Proportional resident memory (bytes) of one process: shared pages divided among their sharers, so a
    sum over Chromium's processes does not count its shared libraries and memory once per process."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _tree_pss(pid: int) -> int:
    """Proportional resident memory (bytes) of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                children.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += _pss(p)
        stack.extend(children.get(p, ()))
    return total


def _timed_peak(cmd: list[str]) -> tuple[float, int, int]:
    """Whole-process time, peak resident memory of the process tree (sampled every 50 ms), exit code."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.05)
    elapsed = time.perf_counter() - t
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"bench: {' '.join(cmd[:4])} failed (exit {proc.returncode}): {err.strip()[-300:]}")
    return elapsed, peak, proc.returncode


def bench_big_pages(rounds: int) -> dict:
    """Part 6: `auditor scan` of very large pages vs the plain load+screenshot script, whole processes side by
    side: time, peak memory of the process tree (Python, driver, Chromium), and whether the box at the end was
    found."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        pages = big_pages(d)
        with serve(d) as (origin, _):
            for label, name in pages.items():
                url = f"{origin}/{name}"
                audit, plain, audit_mem, plain_mem, found, notes = [], [], [], [], None, []
                for r in range(rounds):
                    order = ("audit", "plain") if r % 2 == 0 else ("plain", "audit")
                    for which in order:
                        if which == "audit":
                            t, mem, _ = _timed_peak([sys.executable, "-m", "auditor", "scan", url, "--out",
                                                     f"{tmp}/a", "--no-interact"])
                            audit.append(t)
                            audit_mem.append(mem)
                            page = json.loads((d / "a" / "report.json").read_text(encoding="utf-8"))["pages"][0]
                            found = not page["error"] and any(f["check"] == "prechecked-consent"
                                                              for f in page["findings"])
                            notes = [n["kind"] for n in page.get("notes", [])]
                        else:
                            t, mem, _ = _timed_peak([sys.executable, "-c", BASELINE, url, f"{tmp}/plain.png"])
                            plain.append(t)
                            plain_mem.append(mem)
                a, p = statistics.median(audit), statistics.median(plain)
                row = {"page": label, "audit_s": round(a, 2), "plain_s": round(p, 2), "ratio": round(a / p, 2),
                       "audit_peak_mb": round(max(audit_mem) / 2**20), "plain_peak_mb": round(max(plain_mem) / 2**20),
                       "box_found": found, "notes": notes}
                rows.append(row)
                print(f"  {label:<18} audit {a:6.2f}s {row['audit_peak_mb']:5d} MB   plain {p:6.2f}s "
                      f"{row['plain_peak_mb']:5d} MB   ratio {a / p:5.2f}   box found: {found}"
                      + (f"   notes: {', '.join(notes)}" if notes else ""), flush=True)
    return {"pages": rows, "rounds": rounds}


def bench_accuracy(origin: str, kind: str = "all") -> dict:
    from harness import fixture_pages, precision_recall, scan_fixtures

    from auditor.registry import discover

    t = time.perf_counter()
    outcomes = scan_fixtures(fixture_pages(kind), origin)
    elapsed = time.perf_counter() - t
    out = {"pages": len(outcomes), "seconds": round(elapsed, 1), "checks": {}}
    for spec in discover():
        pr = precision_recall(outcomes, spec.id)
        out["checks"][spec.id] = pr
        print(f"  {spec.id:<24} precision {pr['precision']:.3f}  recall {pr['recall']:.3f}  "
              f"(tp {pr['tp']}, fp {pr['fp']}, fn {pr['fn']})", flush=True)
    errors = [o.path for o in outcomes.values() if o.error]
    if errors:
        print(f"  pages not audited: {errors}", flush=True)
    print(f"  {len(outcomes)} fixture pages in {elapsed:.1f}s", flush=True)
    return out


def bench_pack(origin: str, rounds: int) -> dict:
    """Part 7: a scan with and without an evidence pack, alternately, per dark demo-shop page."""
    rows = []
    pages = ["index.html", "product.html", "cart.html", "checkout.html", "signup.html", "account.html"]
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "k.pem"
        subprocess.run([sys.executable, "-m", "auditor", "keys", "generate", "--private", str(key)], cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)
        for page in pages:
            url = f"{origin}/site/dark/{page}"
            plain, packed, sizes = [], [], []
            for r in range(rounds):
                order = ("plain", "pack") if r % 2 == 0 else ("pack", "plain")
                for which in order:
                    if which == "plain":
                        plain.append(_timed([sys.executable, "-m", "auditor", "scan", url, "--out", f"{tmp}/s{r}"])[0])
                    else:
                        dest = Path(tmp) / f"pack-{page}-{r}"
                        packed.append(_timed([sys.executable, "-m", "auditor", "scan", url, "--out", f"{tmp}/p{r}",
                                              "--pack", str(dest), "--key", str(key)])[0])
                        sizes.append(sum(f.stat().st_size for f in dest.rglob("*") if f.is_file()))
            a, b = statistics.median(plain), statistics.median(packed)
            rows.append({"page": page, "scan_s": round(a, 3), "scan_with_pack_s": round(b, 3),
                         "added_s": round(b - a, 3), "ratio": round(b / a, 3),
                         "pack_bytes": int(statistics.median(sizes))})
            print(f"  {page:<16} scan {a:6.2f}s  with pack {b:6.2f}s  (+{b - a:4.2f}s, x{b / a:4.2f})  "
                  f"pack {statistics.median(sizes) / 1e6:5.2f} MB", flush=True)
    summary = {"pages": rows, "median_added_s": round(statistics.median(r["added_s"] for r in rows), 3),
               "median_ratio": round(statistics.median(r["ratio"] for r in rows), 3),
               "median_pack_mb": round(statistics.median(r["pack_bytes"] for r in rows) / 1e6, 2),
               "rounds": rounds}
    print(f"  median: +{summary['median_added_s']:.2f}s a page (x{summary['median_ratio']:.2f}), "
          f"{summary['median_pack_mb']:.2f} MB a pack of one page", flush=True)
    return summary


def bench_throughput(origin: str, copies: int = 3) -> dict:
    """Part 8: page audits per hour of a crawl, in-process at concurrency 1, 2, 4, then with Celery workers."""
    import os
    import shutil
    import signal
    import socket
    pages = [f"{origin}/site/{v}/{p}?copy={c}" for c in range(copies) for v in ("dark", "clean")
             for p in ("index.html", "product.html", "cart.html", "checkout.html", "signup.html", "account.html")]
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        def plan(name: str, concurrency: int) -> Path:
            path = Path(tmp) / f"{name}.toml"
            urls = ", ".join(f'"{u}"' for u in pages)
            path.write_text(f'[crawl]\nname = "{name}"\nconcurrency = {concurrency}\n[[crawl.sites]]\n'
                            f'name = "demo"\nurls = [{urls}]\n', encoding="utf-8")
            return path
        for n in (1, 2, 4):
            t = time.perf_counter()
            _timed([sys.executable, "-m", "auditor", "crawl", str(plan(f"c{n}", n))])
            elapsed = time.perf_counter() - t
            rows[f"concurrency {n}"] = round(len(pages) / elapsed * 3600)
            print(f"  concurrency {n}: {len(pages)} pages in {elapsed:.0f} s = {rows[f'concurrency {n}']} audits/hour",
                  flush=True)
        # walked journeys: the demo shop's four flow files (sign-up and checkout, both variants) on two sites
        from auditor.flows.spec import load_flow
        files = sorted((ROOT / "fixtures" / "flows").glob("*.yaml"))
        steps = sum(len(load_flow(str(f), origin).steps) for f in files)
        copies_of_flows = 2
        flows_plan = Path(tmp) / "flows.toml"
        flows_plan.write_text('[crawl]\nname = "flows"\nconcurrency = 2\n' + "".join(
            f'[[crawl.sites]]\nname = "demo{c}"\nbase = "{origin}"\nflows = [{", ".join(repr(str(f)) for f in files)}]\n'
            for c in range(copies_of_flows)), encoding="utf-8")
        t = time.perf_counter()
        _timed([sys.executable, "-m", "auditor", "crawl", str(flows_plan)])
        elapsed = time.perf_counter() - t
        n_flows = len(files) * copies_of_flows
        rows["flows, concurrency 2"] = round(n_flows / elapsed * 3600)
        rows["flow steps, concurrency 2"] = round(steps * copies_of_flows / elapsed * 3600)
        print(f"  flows, concurrency 2: {n_flows} flows ({steps * copies_of_flows} steps) in {elapsed:.0f} s = "
              f"{rows['flows, concurrency 2']} flows/hour ({rows['flow steps, concurrency 2']} steps/hour)", flush=True)
        redis = shutil.which("redis-server")
        if redis is None:
            print("  celery: skipped (no redis-server)", flush=True)
            return {"pages": len(pages), "audits_per_hour": rows}
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([redis, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
                                  stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        url = f"redis://127.0.0.1:{port}/0"
        try:
            for n in (1, 2):
                workers = [subprocess.Popen([sys.executable, "-m", "auditor", "worker", "--broker", url], cwd=ROOT,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                            start_new_session=True) for _ in range(n)]
                try:
                    time.sleep(3)  # the workers start
                    t = time.perf_counter()
                    _timed([sys.executable, "-m", "auditor", "crawl", str(plan(f"w{n}", 1)), "--broker", url])
                    elapsed = time.perf_counter() - t
                finally:
                    for w in workers:
                        os.killpg(w.pid, signal.SIGTERM)
                    for w in workers:
                        w.wait(60)
                rows[f"celery {n} worker(s)"] = round(len(pages) / elapsed * 3600)
                print(f"  celery, {n} worker(s): {len(pages)} pages in {elapsed:.0f} s = "
                      f"{rows[f'celery {n} worker(s)']} audits/hour", flush=True)
        finally:
            server.terminate()
    return {"pages": len(pages), "audits_per_hour": rows}


def bench_crawl_memory(origin: str, pages: int, concurrency: int = 4, restart_every: int = 200) -> dict:
    """Part 9: memory over a long crawl. `auditor crawl` of ``pages`` page audits (the demo shop's twelve pages
    over and over, each with its own query) at ``concurrency``, its resident memory sampled every 2 s: the
    Python process alone (what the browser restarts cannot give back) and the whole tree (Python, driver,
    Chromium), against how many pages were done. Proportional set size (PSS), not RSS: summed over Chromium's
    processes, RSS counts the memory they share once per process (3 GB for a tree whose PSS is well under 1 GB)."""
    urls = [f"{origin}/site/{v}/{p}?copy={c}" for c in range(pages) for v in ("dark", "clean")
            for p in ("index.html", "product.html", "cart.html", "checkout.html", "signup.html", "account.html")]
    urls = urls[:pages]
    samples = []
    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / "long.toml"
        plan.write_text(f'[crawl]\nname = "long"\nconcurrency = {concurrency}\nrestart-every = {restart_every}\n'
                        f'[[crawl.sites]]\nname = "demo"\nurls = [{", ".join(repr(u) for u in urls)}]\n',
                        encoding="utf-8")
        log = Path(tmp) / "progress.jsonl"
        t = time.perf_counter()
        with log.open("w") as err:
            proc = subprocess.Popen([sys.executable, "-m", "auditor", "crawl", str(plan)], cwd=ROOT,
                                    stdout=subprocess.DEVNULL, stderr=err)
            while proc.poll() is None:
                done = 0
                for line in log.read_text(encoding="utf-8", errors="replace").splitlines()[::-1]:
                    if line.startswith("{") and '"done"' in line:
                        try:
                            done = json.loads(line)["done"]
                            break
                        except (ValueError, KeyError):
                            continue
                samples.append((round(time.perf_counter() - t, 1), done, _pss(proc.pid), _tree_pss(proc.pid)))
                time.sleep(2)
        elapsed = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(f"bench: the long crawl failed (exit {proc.returncode})")

    def at(fraction: float) -> tuple:
        """Median memory of the samples taken while the crawl was near ``fraction`` of its pages."""
        near = [s for s in samples if abs(s[1] - fraction * pages) <= pages * 0.05] or samples
        return (round(statistics.median(s[2] for s in near) / 2**20), round(statistics.median(s[3] for s in near) / 2**20))

    marks = {f"{int(f * 100)}%": at(f) for f in (0.1, 0.25, 0.5, 0.75, 0.95)}
    summary = {"pages": pages, "concurrency": concurrency, "restart_every": restart_every,
               "seconds": round(elapsed), "audits_per_hour": round(pages / elapsed * 3600),
               "python_mb": {k: v[0] for k, v in marks.items()}, "tree_mb": {k: v[1] for k, v in marks.items()},
               "python_peak_mb": round(max(s[2] for s in samples) / 2**20),
               "tree_peak_mb": round(max(s[3] for s in samples) / 2**20), "samples": samples}
    print(f"  {pages} pages in {elapsed:.0f} s ({summary['audits_per_hour']} audits/hour), concurrency {concurrency}, "
          f"browser restarted every {restart_every}", flush=True)
    for k, (own, tree) in marks.items():
        print(f"    at {k:>4} of the pages: Python {own:5d} MB, whole tree {tree:5d} MB", flush=True)
    print(f"    peak: Python {summary['python_peak_mb']} MB, whole tree {summary['tree_peak_mb']} MB", flush=True)
    return summary


REFUSAL_PAGES = ["site/dark/index.html", "site/dark/signup.html", "site/clean/index.html",
                 "checks/asymmetric-choice/fail-bottom-sheet-pt.html", "checks/asymmetric-choice/fail-ghost-button-en.html",
                 "checks/asymmetric-choice/fail-shadow-root-zh.html", "checks/asymmetric-choice/fail-xorigin-de.html",
                 "checks/choice-ignored/fail-closed-event-pixel-en.html",
                 "checks/choice-ignored/fail-delayed-banner-asks-until-yes-it.html",
                 "libs/cookieconsent-compliant.html", "libs/klaro-modal-fr.html"]


def _iso(s: str) -> float:
    from datetime import datetime
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def bench_refusal(origin: str, rounds: int) -> dict:
    """Part 10: from the fresh context's navigation to the refusal click, per banner page, with the click aimed
    by the first load's banner facts (today) and with the fresh page settled and read again first (as before
    issue 15: ``AUDITOR_REFUSAL=read-again``), alternately; and the whole scan's time both ways."""
    import os
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for page in REFUSAL_PAGES:
            url = f"{origin}/{page}"
            got: dict[str, dict[str, list]] = {"aimed": {"click": [], "scan": []},
                                               "read-again": {"click": [], "scan": []}}
            aimed_any = False
            for r in range(rounds):
                for how in (("aimed", "read-again") if r % 2 == 0 else ("read-again", "aimed")):
                    env = dict(os.environ, AUDITOR_REFUSAL=how)
                    t = time.perf_counter()
                    subprocess.run([sys.executable, "-m", "auditor", "scan", url, "--out", f"{tmp}/r"], cwd=ROOT,
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    got[how]["scan"].append(time.perf_counter() - t)
                    report = json.loads((Path(tmp) / "r" / "report.json").read_text(encoding="utf-8"))
                    choice = ((report["pages"][0].get("consent_evidence") or {}).get("choice") or {})
                    if choice.get("clicked") and choice.get("started") and choice.get("at"):
                        got[how]["click"].append(_iso(choice["at"]) - _iso(choice["started"]))
                        aimed_any |= how == "aimed" and bool(choice.get("aimed"))
            if not got["aimed"]["click"] or not got["read-again"]["click"]:
                print(f"  {page:<62} no refusal clicked; left out", flush=True)
                continue
            a, b = statistics.median(got["aimed"]["click"]), statistics.median(got["read-again"]["click"])
            sa, sb = statistics.median(got["aimed"]["scan"]), statistics.median(got["read-again"]["scan"])
            rows.append({"page": page, "click_aimed_s": round(a, 2), "click_read_again_s": round(b, 2),
                         "scan_aimed_s": round(sa, 2), "scan_read_again_s": round(sb, 2), "aimed": aimed_any})
            print(f"  {page:<62} to the click: aimed {a:5.2f}s{'' if aimed_any else ' (not aimed)'}, read again "
                  f"{b:5.2f}s   scan {sa:5.2f}s vs {sb:5.2f}s", flush=True)
    summary = {"pages": rows, "rounds": rounds}
    if rows:
        summary.update({k: round(statistics.median(r[k] for r in rows), 2)
                        for k in ("click_aimed_s", "click_read_again_s", "scan_aimed_s", "scan_read_again_s")})
        print(f"  median: to the click {summary['click_aimed_s']:.2f}s aimed vs {summary['click_read_again_s']:.2f}s "
              f"read again; the scan {summary['scan_aimed_s']:.2f}s vs {summary['scan_read_again_s']:.2f}s", flush=True)
    return summary


def default_pages(n: int) -> list[str]:
    from harness import FIXTURES, fixture_pages

    pages = [p.relative_to(FIXTURES).as_posix() for p in fixture_pages()]
    site = [p for p in pages if p.startswith("site/")]
    checks = [p for p in pages if p.startswith("checks/")]
    # half the sample from the dark shop (its six entry pages first: the same pages as earlier measurements),
    # half from the check fixtures, taken in turn from each check's folder
    entry = ["index", "product", "cart", "checkout", "signup", "account"]
    shop = sorted((p for p in site if "/dark/" in p),
                  key=lambda p: (entry.index(p.rsplit("/", 1)[1][:-5]) if p.rsplit("/", 1)[1][:-5] in entry else 99, p))
    chosen = shop[: n // 2]
    folders: dict[str, list[str]] = {}
    for p in checks:
        folders.setdefault(p.split("/")[1], []).append(p)
    queues = [iter(v[::2]) for v in folders.values()]
    while len(chosen) < n and queues:
        for q in list(queues):
            nxt = next(q, None)
            if nxt is None:
                queues.remove(q)
            elif len(chosen) < n:
                chosen.append(nxt)
    return chosen[:n]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pages", type=int, default=12)
    ap.add_argument("--skip", action="append", default=[],
                    choices=["scan", "collector", "accuracy", "blind", "flows", "discovery", "big", "pack", "throughput",
                             "memory", "refusal"])
    ap.add_argument("--crawl-pages", type=int, default=500, help="page audits in the long crawl of part 9")
    ap.add_argument("--no-interact", action="store_true",
                    help="time scans with --no-interact (first layer only: no settings layer, no refusal)")
    args = ap.parse_args()
    results: dict = {"machine_note": "ratios are measured side by side in one run; absolute times are noisy"}
    with serve(ROOT / "fixtures") as (origin, _):
        if "scan" not in args.skip:
            print(f"1. auditor scan vs plain load+screenshot (whole process, median of {args.rounds})", flush=True)
            results["scan"] = bench_scan(origin, default_pages(args.pages), args.rounds,
                                         ["--no-interact"] if args.no_interact else [])
        if "accuracy" not in args.skip:
            print("3. precision and recall per check over the annotated fixtures", flush=True)
            results["accuracy"] = bench_accuracy(origin)
        if "blind" not in args.skip:
            print("3b. precision and recall per check over the blind set (fixtures/blind/: never tuned against)",
                  flush=True)
            results["blind"] = bench_accuracy(origin, "blind")
        if "flows" not in args.skip:
            print(f"4. auditor flow vs the same steps in a plain Playwright script (median of {args.rounds}): the demo "
                  f"shop, then the unseen shops' purchase and booking flows", flush=True)
            with serve_all() as twins:
                results["flows"] = bench_flows(demo_flows(origin) + shop_flows(twins), args.rounds)
        if "discovery" not in args.skip:
            print(f"5. auditor discover (no walk) per site vs a plain replay of what it wrote (median of "
                  f"{args.rounds})", flush=True)
            results["discovery"] = bench_discovery(origin, args.rounds)
            print(f"5b. auditor discover (no walk) on each unseen shop vs a plain replay of what it wrote (median of "
                  f"{args.rounds})", flush=True)
            with serve_all() as twins:
                results["shop_discovery"] = bench_shop_discovery(twins, args.rounds)
        if "pack" not in args.skip:
            print(f"7. evidence packs: a scan with and without --pack, per dark demo page (median of {args.rounds})",
                  flush=True)
            results["pack"] = bench_pack(origin, args.rounds)
        if "throughput" not in args.skip:
            print("8. crawl throughput: page audits per hour at concurrency 1, 2, 4 and with 1 and 2 Celery workers",
                  flush=True)
            results["throughput"] = bench_throughput(origin)
        if "refusal" not in args.skip:
            print(f"10. the refusal: from navigation to the click, aimed with the first load's facts vs read again "
                  f"(median of {args.rounds})", flush=True)
            results["refusal"] = bench_refusal(origin, args.rounds)
        if "memory" not in args.skip:
            print(f"9. memory over a long crawl: {args.crawl_pages} page audits, sampled every 2 s", flush=True)
            results["crawl_memory"] = bench_crawl_memory(origin, args.crawl_pages)
    if "collector" not in args.skip:
        print("2. collector time on generated pages", flush=True)
        results["collector"] = bench_collector([1_000, 10_000, 100_000], runs=args.rounds + 2)
    if "big" not in args.skip:
        print("6. big pages: auditor scan vs plain load+screenshot, time and peak memory of the process tree "
              f"(median of {max(1, args.rounds - 1)})", flush=True)
        results["big_pages"] = bench_big_pages(max(1, args.rounds - 1))
    out = ROOT / "out" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"written {out / 'bench.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

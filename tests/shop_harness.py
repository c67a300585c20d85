"""The unseen-shop harness: the shops in ``fixtures/shops/`` (written by people who did not read the detector),
each twin served at the root of its own origin, discovery and the hand-written flows run on them as a user
runs them (the CLI in a subprocess), and the truth in each shop's ``EXPECT.json`` and flow annotations.

Used by ``tests/integration/test_unseen_shops.py`` and ``tests/bench/bench.py``; ``python tests/shop_harness.py``
prints where discovery and the flows get to on every shop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOPS = ROOT / "fixtures" / "shops"
TWINS = ("dark", "clean")
ANNOTATION = re.compile(r"#\s*expect-(fail|pass):\s*([a-z0-9\- ]+?)\s*$")


@dataclass
class Twin:
    shop: str
    twin: str
    origin: str = ""
    record: list = field(default_factory=list)  # (method, path) of every request the twin's server answered

    @property
    def expect(self) -> dict:
        return json.loads((SHOPS / self.shop / "EXPECT.json").read_text(encoding="utf-8"))

    @property
    def journeys(self) -> dict:
        return self.expect["journeys"]

    def start(self, journey: str) -> str:
        return self.origin + self.journeys[journey]["start"]

    def flows(self) -> list[Path]:
        return sorted((SHOPS / self.shop / "flows").glob(f"{self.twin}-*.yaml"))

    def submitted(self) -> list:
        return [r for r in self.record if "/__recorded__/" in r[1]]


def shop_names() -> list[str]:
    return sorted(p.name for p in SHOPS.iterdir() if (p / "EXPECT.json").is_file())


@contextlib.contextmanager
def serve_all(names=None):
    """Every twin of every shop at the root of its own 127.0.0.1 origin: {(shop, twin): Twin}."""
    from devserver import serve
    with contextlib.ExitStack() as stack:
        twins = {}
        for shop in names or shop_names():
            for twin in TWINS:
                t = Twin(shop, twin)
                t.origin = stack.enter_context(serve(SHOPS / shop / twin, record=t.record))[0]
                twins[(shop, twin)] = t
        yield twins


def journey_kind(journey: str) -> str:
    """discovery's journey for an EXPECT journey: a booking is discovered as a checkout."""
    return "signup" if journey == "signup" else "checkout"


def run_auditor(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auditor", *args], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout)


def discover_all(twins: dict, out: Path, concurrency: int = 4, walk: bool = False) -> dict:
    """`auditor discover` on every journey start of every twin, one CLI call: {(shop, twin, journey): discovery},
    each with the walked flow under "walked" when ``walk`` (discover, then audit the flows it wrote)."""
    starts = {}
    for t in twins.values():
        for journey in t.journeys:
            starts.setdefault(t.start(journey), []).append((t, journey))
    proc = run_auditor("discover", *starts, "--walk" if walk else "--no-walk", "--no-evidence", "--timeout", "15",
                       "--concurrency", str(concurrency), "--out", str(out))
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    flows = {fl["file"]: fl for fl in report.get("flows", [])}
    found = {}
    for d in report["discoveries"]:
        for t, journey in starts.get(d["start"], ()):
            if journey_kind(journey) == d["journey"]:
                found[(t.shop, t.twin, journey)] = {**d, "walked": flows.get(d["file"])}
    found["_proc"] = proc
    return found


def absolute_flow(path: Path, origin: str, out_dir: Path) -> Path:
    """A copy of a hand-written flow with its root-relative addresses made absolute for ``origin``."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'^(start:\s*)"?(/[^"\s#]*)"?', lambda m: f'{m.group(1)}"{origin}{m.group(2)}"', text, flags=re.M)
    text = re.sub(r'(goto:\s*(?:\{url:\s*)?)"?(/[^"\s,}]*)"?', lambda m: f'{m.group(1)}"{origin}{m.group(2)}"', text)
    out_dir.mkdir(parents=True, exist_ok=True)
    copy = out_dir / f"{path.parent.parent.name}-{path.name}"
    copy.write_text(text, encoding="utf-8")
    return copy


def annotations(path: Path) -> tuple[dict, set]:
    """({check: {first step}} expected, {checks the flow must not report}) from a flow's comments."""
    from auditor.flows.spec import load_flow
    flow = load_flow(path, "http://127.0.0.1:1")
    step_of_line = {s.line: s.index for s in flow.steps}
    fail: dict = {}
    never: set = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        m = ANNOTATION.search(line)
        if not m:
            continue
        kind, checks = m.group(1), m.group(2).split()
        body = line[:m.start()].strip()
        if kind == "pass" and not body:
            never.update(checks)
            continue
        step = 0 if body.startswith("start:") else step_of_line.get(n)
        if kind == "fail" and step is not None:
            for c in checks:
                fail.setdefault(c, set()).add(step)
    return fail, never


def walk_flows(twins: dict, out: Path, concurrency: int = 4) -> dict:
    """`auditor flow` over every hand-written flow of every twin, one CLI call: {(shop, twin, file name): flow}."""
    copies = {}
    for t in twins.values():
        for f in t.flows():
            copies[absolute_flow(f, t.origin, out / "flows")] = (t, f)
    proc = run_auditor("flow", *map(str, copies), "--no-evidence", "--timeout", "15", "--concurrency",
                       str(concurrency), "--out", str(out / "report"))
    report = json.loads((out / "report" / "report.json").read_text(encoding="utf-8"))
    walked = {}
    for fl in report.get("flows", []):
        t, f = copies[Path(fl["file"])]
        walked[(t.shop, t.twin, f.name)] = (fl, f)
    walked["_proc"] = proc
    return walked


def first_findings(flow: dict) -> dict:
    """{check: {the first step it reports at}} of a walked flow."""
    out: dict = {}
    for s in flow["steps"]:
        for f in (s.get("page") or {}).get("findings", []):
            out.setdefault(f["check"], set()).add(s["index"])
    return {c: {min(steps)} for c, steps in out.items()}


async def _reached_all(cases: dict, concurrency: int = 3) -> dict:
    """Walk discovered flow files again (the runner's step code and its wait for a quiet page between steps, no
    audit; one browser) and say for each whether its ``selector`` is visible at the end, in the page or any of
    its frames: {key: (reached, last url)}."""
    from playwright.async_api import async_playwright

    from auditor.browser.launch import IGNORE_DEFAULT_ARGS, LAUNCH_ARGS, find_browser
    from auditor.browser.page import NetworkTracker, settle, settle_script
    from auditor.flows.identity import make_identity
    from auditor.flows.runner import WalkState, after_action, do_step
    from auditor.flows.spec import load_flow
    from auditor.lexicon import load
    lex = load()
    gate = asyncio.Semaphore(concurrency)

    async def one(browser, flow_file: str, selector: str) -> tuple[bool, str]:
        async with gate:
            flow = load_flow(flow_file)
            ident = make_identity(flow.locale, flow.seed)
            context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale=flow.locale)
            await context.add_init_script(settle_script())
            try:
                page = await context.new_page()
                network = NetworkTracker(page)
                await page.goto(flow.start, wait_until="load")
                state = WalkState()
                try:
                    for step in flow.steps:
                        # as `auditor flow` walks: each step waits for the page to go quiet before the next
                        await settle(page, network, 200, 5000)
                        await do_step(page, step, flow, ident, state, 15.0, lex)
                        await after_action(page)
                except Exception as exc:
                    return False, f"step failed: {str(exc).splitlines()[0][:200]}"
                await page.wait_for_timeout(300)
                for frame in page.frames:
                    try:
                        if await frame.locator(selector).first.is_visible():
                            return True, page.url
                    except Exception:
                        continue
                return False, page.url
            finally:
                await context.close()

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=find_browser(None, pw), args=list(LAUNCH_ARGS),
                                           ignore_default_args=list(IGNORE_DEFAULT_ARGS))
        try:
            keys = list(cases)
            done = await asyncio.gather(*(one(browser, *cases[k]) for k in keys))
            return dict(zip(keys, done))
        finally:
            await browser.close()


def reached_all(cases: dict) -> dict:
    """{key: (flow file, selector)} -> {key: (reached, where)}. Run on a thread of its own: under pytest an event
    loop may already be running on this one (pytest-playwright's)."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _reached_all(cases)).result()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, serve_all() as twins:
        found = discover_all(twins, Path(tmp) / "discover")
        cases = {(shop, twin, journey): (found[(shop, twin, journey)]["file"], exp["reached"])
                 for (shop, twin), t in twins.items() for journey, exp in t.journeys.items()
                 if found.get((shop, twin, journey), {}).get("found")}
        reach = reached_all(cases)
        for (shop, twin), t in twins.items():
            for journey in t.journeys:
                d = found.get((shop, twin, journey)) or {}
                ok, where = reach.get((shop, twin, journey), (False, ""))
                print(f"{'OK ' if ok else 'NO '} {shop:16} {twin:5} {journey:8} {d.get('steps', 0):2} steps  "
                      f"{d.get('stopped', 'not run')}  {'' if ok else where}")
        walked = walk_flows(twins, Path(tmp) / "walk")
        for key, value in walked.items():
            if key == "_proc":
                continue
            fl, f = value
            want, never = annotations(f)
            got = first_findings(fl)
            ok = fl["complete"] and got == want
            print(f"{'OK ' if ok else 'NO '} flow {key[0]:16} {f.name:22} complete={fl['complete']} "
                  f"want={ {k: sorted(v) for k, v in want.items()} } got={ {k: sorted(v) for k, v in got.items()} } "
                  f"{fl['error'] or ''}")
        for t in twins.values():
            if t.submitted():
                print(f"SUBMITTED on {t.shop}/{t.twin}: {t.submitted()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

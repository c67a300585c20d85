"""The audit pipeline: load -> settle -> gather -> judge -> evidence -> PageResult, for many URLs at once.

Several URLs share one browser and run concurrently, each in its own context (no shared cookies). A page that
fails (unreachable, timeout, HTTP error, not HTML, renderer crash) becomes a PageResult with an error; the
others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit

from auditor import TOOL_NAME, __version__
from auditor.browser.launch import desktop_user_agent, launch
from auditor.banners import best, find_banners, understood
from auditor.browser.interact import click, read_state, refuse
from auditor.browser.page import NetworkTracker, collect_page, settle, settle_script, utc_now
from auditor.config import Config
from auditor.evidence.screenshots import crop_with_outline
from auditor.language import detect as detect_language
from auditor.lexicon import load as load_lexicon
from auditor.models import (AuditRun, BannerReport, BrowserInfo, CheckResult, ChoiceFacts, Finding, PageError, PageResult,
                            PageSnapshot, RunSettings)
from auditor.trackers import site_of
from auditor.registry import CheckContext, CheckSpec, discover, judge

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class AuditOptions:
    settings: RunSettings = RunSettings()
    config: Config = Config()
    browser_path: str | None = None
    out_dir: Path | None = None  # where screenshots go; None: no evidence files
    concurrency: int = 3
    debug: bool = False
    checks: tuple[CheckSpec, ...] | None = None
    evidence: bool = True


PageHook = Callable[[object, PageResult], Awaitable[None]]


@dataclass
class _Shared:
    browser: object
    ctx: CheckContext
    specs: tuple[CheckSpec, ...]
    terms: asyncio.Future  # JSON of Lexicon.js_matcher(), being built
    user_agent: str
    options: AuditOptions
    semaphore: asyncio.Semaphore
    slugs: set = field(default_factory=set)
    executable: str = ""
    while_closing: list = field(default_factory=list)  # work to finish while the browser shuts down


@contextlib.asynccontextmanager
async def browser_session(options: AuditOptions) -> AsyncIterator[_Shared]:
    """One browser with the checks and the lexicon ready, for any number of pages or flows."""
    from playwright.async_api import async_playwright

    loop = asyncio.get_running_loop()
    # Python-side preparation (importing the checks, reading the lexicon) runs in threads while the Playwright
    # driver boots and the browser launches: that wait is what a plain Playwright script pays anyway.
    specs_job = loop.run_in_executor(None, _prepare_checks, options)
    lexicon_job = loop.run_in_executor(
        None, lambda: load_lexicon(options.config.languages or None, options.config.lexicon_dirs))
    async with async_playwright() as pw:
        try:
            browser, exe = await launch(pw, options.browser_path)
        except BaseException:
            await asyncio.gather(specs_job, lexicon_job, return_exceptions=True)
            raise
        shared = None
        try:
            lexicon = await lexicon_job
            # the term indexes are built in a thread while the first pages load (CPU work beside waiting)
            terms_job = loop.run_in_executor(
                None, lambda: (lexicon.warm(), json.dumps(lexicon.js_matcher(), ensure_ascii=False))[1])
            specs = await specs_job
            ctx = CheckContext(lexicon=lexicon, thresholds=options.config.thresholds,
                               tracker_files=options.config.tracker_files)
            shared = _Shared(browser, ctx, specs, terms_job, desktop_user_agent(browser.version), options,
                             asyncio.Semaphore(max(1, options.concurrency)), executable=exe)
            yield shared
        finally:
            await browser.close()
            if shared is not None and shared.while_closing:
                # the caller's last work (reports) ran in a thread while Chromium shut down
                await asyncio.gather(*shared.while_closing)


def browser_info(shared: _Shared, pages) -> BrowserInfo:
    """The browser and how the pages saw it (navigator.webdriver, HeadlessChrome)."""
    seen = [p.snapshot.presented for p in pages if p.snapshot and p.snapshot.presented]
    return BrowserInfo(version=shared.browser.version, user_agent=shared.user_agent, executable=shared.executable,
                       headless=True, webdriver_hidden=all(s.webdriver is False for s in seen),
                       headless_visible=any(s.headless_visible for s in seen))


async def audit(urls: list[str], options: AuditOptions = AuditOptions(),
                on_page: Callable[[PageResult], None] | None = None,
                inspect: PageHook | None = None,
                on_start: Callable[[str], None] | None = None,
                on_run: Callable[[AuditRun], None] | None = None) -> AuditRun:
    """Audit every URL; ``on_page`` is called as each page finishes (streaming), ``inspect`` (tests) gets the
    live page before its context closes, ``on_run`` (reports) runs in a thread while the browser shuts down."""
    started = utc_now()
    async with browser_session(options) as shared:
        async def run_one(i: int, url: str) -> PageResult:
            async with shared.semaphore:
                if on_start:
                    on_start(url)
                result = await audit_page(shared, i, url, inspect)
            if on_page:
                on_page(result)
            return result

        pages = await asyncio.gather(*(run_one(i, u) for i, u in enumerate(urls)))
        run = AuditRun(tool=TOOL_NAME, version=__version__, browser=browser_info(shared, pages),
                       settings=options.settings, started_at=started, finished_at=utc_now(), pages=tuple(pages))
        if on_run is not None:
            # the reports are written while Chromium and the driver shut down (about 0.2 s nobody needs)
            shared.while_closing.append(asyncio.get_running_loop().run_in_executor(None, on_run, run))
    return run


def _prepare_checks(options: AuditOptions):
    import PIL.Image  # noqa: F401  -- for the evidence crops later; 20 ms better spent here than after the load
    return options.checks if options.checks is not None else discover()


def _slug(i: int, url: str, taken: set) -> str:
    parts = urlsplit(url)
    base = re.sub(r"[^A-Za-z0-9]+", "-", f"{parts.hostname or 'page'}{parts.path}").strip("-")[:60] or "page"
    slug = f"{i + 1:03d}-{base}"
    taken.add(slug)
    return slug


async def audit_page(shared: _Shared, index: int, url: str, inspect: PageHook | None = None) -> PageResult:
    opts = shared.options
    st = opts.settings
    started = utc_now()
    timeout_ms = int(st.timeout * 1000)
    context = await shared.browser.new_context(
        viewport={"width": st.viewport[0], "height": st.viewport[1]}, locale=st.locale,
        user_agent=shared.user_agent, device_scale_factor=1, accept_downloads=False)
    context.set_default_timeout(timeout_ms)
    result = PageResult(url=url, started_at=started)
    try:
        await context.add_init_script(settle_script())
        page = await context.new_page()
        crashed = []
        page.on("crash", lambda _p: crashed.append(True))
        nav_responses = []
        page.on("response", lambda r: nav_responses.append(r) if r.request.is_navigation_request()
                and r.frame == page.main_frame else None)
        network = NetworkTracker(page)
        try:
            response = await page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms)
        except Exception as exc:  # Playwright raises plain Error subclasses
            return _failed(result, _classify_nav_error(exc, nav_responses, crashed, st.timeout))
        if response is not None:
            result = dataclasses.replace(result, status=response.status)
            if response.status >= 400:
                return _failed(result, PageError("http-error", f"HTTP {response.status} {response.status_text}".strip()))
            ctype = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
            if ctype and ctype not in HTML_TYPES:
                return _failed(result, PageError("not-html", f"not HTML (content-type {ctype})"))
        try:
            await page.wait_for_load_state("load", timeout=min(timeout_ms, 10_000))
        except Exception:
            if crashed:
                return _failed(result, PageError("crash", "the page crashed the renderer"))
            # a subresource that never finishes: audit what is there
        try:
            slug = _slug(index, url, shared.slugs) if opts.out_dir is not None and opts.evidence else None
            result = await audit_loaded(shared, page, network, url, result, slug, interact=st.interact)
        except Exception as exc:
            if crashed or "crash" in str(exc).lower():
                return _failed(result, PageError("crash", "the page crashed the renderer"))
            if "Timeout" in type(exc).__name__ or "timeout" in str(exc).lower():
                return _failed(result, PageError("timeout", f"timed out after {st.timeout:g}s while collecting"))
            raise
        if inspect is not None:
            await inspect(page, result)
        return result
    except Exception as exc:
        if opts.debug:
            raise
        return _failed(result, PageError("internal", f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"))
    finally:
        try:
            await context.close()
        except Exception:
            pass


async def audit_loaded(shared: _Shared, page, network: NetworkTracker, url: str, result: PageResult,
                       slug: str | None, interact: bool = False, mask: tuple = (),
                       phase: str = "before-choice", prices: bool = False, layer: int = 1,
                       known: set | None = None) -> PageResult:
    """Audit a page that has loaded: settle, collect, record state, screenshot (``slug`` names it; ``mask``:
    locators painted over), find the banner, (``interact``: open its settings, refuse in a fresh context),
    judge and attach the evidence. ``layer`` 2: the page shows a banner's settings layer (a flow opened it).

    ``known`` (flow steps): fingerprints already reported. The step's screenshot is then of the window, and a
    full-page one is taken only when the step has a finding not in ``known`` (its evidence crop needs the whole
    page): a full-page capture costs three to four times a window capture, on every step."""
    opts = shared.options
    st = opts.settings
    await settle(page, network, st.quiet_ms, st.settle_cap_ms)
    shot = None
    shooting = None
    if slug is not None and opts.out_dir is not None:
        # the screenshot is taken while the collector reads the page (it only reads): the browser composites
        # and encodes the image while the renderer runs the collector and Python judges
        shot = opts.out_dir / "screenshots" / f"{slug}.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        shooting = asyncio.ensure_future(page.screenshot(path=str(shot), full_page=known is None,
                                                         timeout=int(st.timeout * 1000), mask=list(mask)))
        await asyncio.sleep(0)
    try:
        # the collector and the cookie/storage read are independent round trips
        snapshot, before = await asyncio.gather(
            collect_page(page, url, await shared.terms, st.viewport, prices=prices),
            read_state(page, network, phase, network.started))
    except BaseException:
        if shooting is not None:
            shooting.cancel()
        raise
    snapshot = dataclasses.replace(snapshot, states=(before,), site=site_of(urlsplit(page.url).hostname or ""),
                                   layer=layer)
    report = find_banners(snapshot, shared.ctx, layer=layer)
    layer2_shot = None
    try:
        if interact and report.state == "found":
            if shooting is not None:
                await shooting  # the first layer as loaded, before anything is clicked
                shooting = None
            second, choice = await asyncio.gather(
                _second_layer(shared, page, network, snapshot, report, shot),
                _refusal(shared, url, shot))
            layer2, layer2_shot = second
            snapshot = dataclasses.replace(snapshot, second_layer=layer2, choice=choice)
        checks = judge(snapshot, shared.specs, shared.ctx, opts.debug)
        if snapshot.second_layer is not None:
            checks = _merge_layer(checks, judge(snapshot.second_layer, shared.specs, shared.ctx, opts.debug))
    finally:
        if shooting is not None:
            await shooting
    if shot is not None and known is not None and any(
            fingerprint(f, url, snapshot.frame_url(f.element)) not in known for c in checks for f in c.findings):
        try:
            await page.screenshot(path=str(shot), full_page=True, timeout=int(st.timeout * 1000), mask=list(mask))
        except Exception:
            pass  # the window capture stays; crops of elements outside it are skipped
    checks = _with_evidence(checks, snapshot, url, shot, opts.out_dir, layer2_shot)
    return dataclasses.replace(
        result, final_url=page.url, title=snapshot.title, checks=checks, snapshot=snapshot, banner=report,
        language=detect_language(snapshot, shared.ctx.lexicon),
        screenshot=str(shot.relative_to(opts.out_dir)) if shot else None, finished_at=utc_now())


def _failed(result: PageResult, error: PageError) -> PageResult:
    return dataclasses.replace(result, error=error, finished_at=utc_now())


_NET_ERRORS = {
    "ERR_CONNECTION_REFUSED": ("unreachable", "connection refused"),
    "ERR_NAME_NOT_RESOLVED": ("unreachable", "host name not found"),
    "ERR_ADDRESS_UNREACHABLE": ("unreachable", "address unreachable"),
    "ERR_CONNECTION_RESET": ("unreachable", "connection reset"),
    "ERR_CONNECTION_CLOSED": ("unreachable", "connection closed without a response"),
    "ERR_EMPTY_RESPONSE": ("unreachable", "empty response"),
    "ERR_CONNECTION_TIMED_OUT": ("timeout", "connection timed out"),
    "ERR_TIMED_OUT": ("timeout", "timed out"),
    "ERR_INTERNET_DISCONNECTED": ("unreachable", "no network"),
    "ERR_CERT_": ("unreachable", "TLS certificate error"),
    "ERR_SSL_": ("unreachable", "TLS error"),
    "ERR_FILE_NOT_FOUND": ("unreachable", "file not found"),
    "ERR_INVALID_URL": ("invalid-url", "invalid URL"),
    "ERR_UNSAFE_PORT": ("unreachable", "port blocked by the browser as unsafe"),
    "ERR_TOO_MANY_REDIRECTS": ("unreachable", "too many redirects"),
}


def _classify_nav_error(exc: Exception, nav_responses: list, crashed: list, timeout_s: float) -> PageError:
    msg = str(exc)
    if crashed or "crash" in msg.lower():
        return PageError("crash", "the page crashed the renderer")
    if "Download is starting" in msg or "ERR_ABORTED" in msg:
        for r in reversed(nav_responses):
            ctype = (r.headers.get("content-type") or "").split(";")[0].strip().lower()
            if ctype and ctype not in HTML_TYPES:
                return PageError("not-html", f"not HTML (content-type {ctype})")
        if "Download is starting" in msg:
            return PageError("not-html", "not HTML (the server sent a download)")
    if "Timeout" in type(exc).__name__ or "Timeout " in msg:
        return PageError("timeout", f"no response within {timeout_s:g}s")
    for code, (kind, text) in _NET_ERRORS.items():
        if code in msg:
            return PageError(kind, text)
    m = re.search(r"net::(ERR_[A-Z_]+)", msg)
    if m:
        return PageError("unreachable", m.group(1))
    return PageError("unreachable", msg.splitlines()[0][:200])


def fingerprint(finding: Finding, page_url: str, frame_url: str) -> str:
    """Stable across runs: check, page and frame (scheme, host, path), selector and normalised text."""
    def norm_url(u: str) -> str:
        p = urlsplit(u)
        return f"{p.scheme}://{p.netloc}{p.path}"
    el = finding.element
    parts = [finding.check, norm_url(page_url), norm_url(frame_url), el.selector if el else "",
             " ".join(finding.text.split()).lower()]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]


def _finish_findings(result: CheckResult, snapshot, url: str, shot, shot_path: Path | None,
                     out_dir: Path | None) -> CheckResult:
    """Frame URL, fingerprint and an outlined crop for each finding (``shot`` is the loaded page image)."""
    done = []
    for n, f in enumerate(result.findings):
        frame_url = snapshot.frame_url(f.element)
        f = dataclasses.replace(f, frame=frame_url, fingerprint=fingerprint(f, url, frame_url))
        if shot is not None and f.element is not None and f.element.box is not None and out_dir is not None:
            crop = shot_path.with_name(f"{shot_path.stem}--{f.check}-{n + 1}.png")
            if crop_with_outline(shot, f.element.box, crop):
                f = dataclasses.replace(f, screenshot=str(crop.relative_to(out_dir)))
        done.append(f)
    return dataclasses.replace(result, findings=tuple(done))


def _with_evidence(checks, snapshot, url: str, shot_path: Path | None, out_dir: Path | None,
                   layer2_shot: Path | None = None):
    """Findings of the settings layer are cropped from that layer's screenshot."""
    def on_layer2(f) -> bool:
        return dict(f.details).get("layer") == 2

    first = tuple(dataclasses.replace(c, findings=tuple(f for f in c.findings if not on_layer2(f))) for c in checks)
    second = tuple(dataclasses.replace(c, findings=tuple(f for f in c.findings if on_layer2(f))) for c in checks)
    done1 = _evidence_from(first, snapshot, url, shot_path, out_dir)
    done2 = _evidence_from(second, snapshot.second_layer or snapshot, url, layer2_shot, out_dir)
    return tuple(dataclasses.replace(a, findings=a.findings + b.findings) for a, b in zip(done1, done2))


def _evidence_from(checks, snapshot, url: str, shot_path: Path | None, out_dir: Path | None):
    if shot_path is None or not shot_path.exists() or not any(c.findings for c in checks):
        return tuple(_finish_findings(c, snapshot, url, None, shot_path, out_dir) for c in checks)
    from PIL import Image
    with Image.open(shot_path) as img:
        img.load()  # decode the full page once for all its crops
        return tuple(_finish_findings(c, snapshot, url, img, shot_path, out_dir) for c in checks)


def _merge_layer(first: tuple[CheckResult, ...], second: tuple[CheckResult, ...]) -> tuple[CheckResult, ...]:
    """Add what only the settings layer shows, marked as layer 2 (a finding already on the first layer is not
    repeated)."""
    out = []
    for a, b in zip(first, second):
        seen = {(f.element.selector if f.element else "", f.message) for f in a.findings}
        extra = tuple(dataclasses.replace(f, message=f"{f.message} (second layer)", details=f.details + (("layer", 2),))
                      for f in b.findings
                      if f.status == "fail" and (f.element.selector if f.element else "", f.message) not in seen)
        outcome = a.outcome
        if extra and outcome in ("pass", "not-applicable"):
            outcome = "fail"
        out.append(dataclasses.replace(a, outcome=outcome, findings=a.findings + extra))
    return tuple(out)


async def _second_layer(shared: _Shared, page, network, snapshot: PageSnapshot, report: BannerReport,
                        shot: Path | None):
    """Open the banner's settings in the audited page and collect what that layer shows (never consents)."""
    st = shared.options.settings
    banner = next((b for b in understood(report) if best(b, "settings")), None)
    if banner is None:
        return None, None
    if not await click(page, snapshot, best(banner, "settings")):
        return None, None
    await settle(page, network, st.quiet_ms, st.settle_cap_ms)
    layer2 = await collect_page(page, page.url, await shared.terms, st.viewport)
    layer2 = dataclasses.replace(layer2, layer=2, site=snapshot.site)
    layer2_shot = None
    if shot is not None:
        layer2_shot = shot.with_name(f"{shot.stem}-layer2.png")
        try:
            await page.screenshot(path=str(layer2_shot), full_page=True)
        except Exception:
            layer2_shot = None
    return layer2, layer2_shot


async def _refusal(shared: _Shared, url: str, shot: Path | None) -> ChoiceFacts | None:
    """Refuse consent in a fresh context (the audited page stays as it is) and record what follows."""
    st = shared.options.settings
    context = await shared.browser.new_context(
        viewport={"width": st.viewport[0], "height": st.viewport[1]}, locale=st.locale,
        user_agent=shared.user_agent, device_scale_factor=1, accept_downloads=False)
    context.set_default_timeout(int(st.timeout * 1000))
    try:
        await context.add_init_script(settle_script())
        page = await context.new_page()
        network = NetworkTracker(page)
        await page.goto(url, wait_until="load")

        async def quiet():
            await settle(page, network, st.quiet_ms, st.settle_cap_ms)

        async def collect(layer: int):
            snap = await collect_page(page, url, await shared.terms, st.viewport)
            return dataclasses.replace(snap, layer=layer)

        async def moment():
            if shot is None:
                return None
            path = shot.with_name(f"{shot.stem}-choice.png")
            try:
                await page.screenshot(path=str(path))
                return str(path.relative_to(shared.options.out_dir))
            except Exception:
                return None

        await quiet()
        snap = await collect(1)
        banners = understood(find_banners(snap, shared.ctx))
        if not banners:
            return ChoiceFacts(action="none", error="the banner did not show in a fresh browser context")
        return await refuse(page, network, snap, banners[0], quiet, collect,
                            lambda s: find_banners(s, shared.ctx), moment)
    except Exception as exc:
        return ChoiceFacts(action="none", error=f"refusing failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    finally:
        try:
            await context.close()
        except Exception:
            pass

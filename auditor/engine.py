"""The audit pipeline: load -> settle -> gather -> judge -> evidence -> PageResult, for many URLs at once.

Several URLs share one browser and run concurrently, each in its own context (no shared cookies). A page that
fails (unreachable, timeout, HTTP error, not HTML, renderer crash) becomes a PageResult with an error; the
others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit
from urllib.request import url2pathname

from auditor.browser.launch import desktop_user_agent, launch
from auditor.banners import best, find_banners, understood
from auditor.browser.interact import aim, click, read_state, refuse
from auditor.browser.page import (COLLECT_DEADLINE_S, NODE_BUDGET, CollectionFailed, NetworkTracker, collect_page,
                                  settle, settle_script, utc_now)
from auditor.browser.worlds import FrameGone, Unresponsive, Worlds
from auditor.config import Config
from auditor.evidence.screenshots import crop_with_outline, open_own_screenshot, shot_clip
from auditor.language import detect as detect_language
from auditor.identity import page_key, stamp
from auditor.lexicon import load as load_lexicon
from auditor.models import (Banner, BannerReport, BrowserInfo, CheckResult, ChoiceFacts, Finding, Note, PageError,
                            PageResult, PageSnapshot, RunSettings)
from auditor.sites import needs_public_suffix, site_of
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
    #: evidence packs: also record each visit's HAR (with bodies), an MHTML archive and the DOM, the console, the
    #: snapshot and the cookies and storage per phase, under out_dir/evidence/ (auditor/evidence/capture.py)
    record: bool = False
    #: replay: pages (by address) and flows (by ``flow:NAME``) served from a recorded HAR, with no network at all
    offline: tuple[tuple[str, str], ...] = ()
    #: crawls: a phone (touch, mobile user agent), a time zone, a logged-in state file, extra request headers
    mobile: bool = False
    timezone: str | None = None
    storage_state: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def recording(self) -> bool:
        return self.record and self.out_dir is not None

    def offline_har(self, key: str) -> str | None:
        return next((har for k, har in self.offline if k == key), None)


PageHook = Callable[[object, PageResult], Awaitable[None]]


@dataclass
class Session:
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
async def browser_session(options: AuditOptions, targets: tuple[str, ...] = (),
                          browser=None) -> AsyncIterator[Session]:
    """One browser with the checks and the lexicon ready, for any number of pages or flows (``targets``: the
    addresses the run starts from, to know what to prepare). ``browser``: a Playwright browser the caller
    launched and keeps (a test's own), used as it is and left open."""
    loop = asyncio.get_running_loop()
    # Python-side preparation (importing the checks, reading the lexicon) runs in threads while the Playwright
    # driver boots and the browser launches: that wait is what a plain Playwright script pays anyway.
    specs_job = loop.run_in_executor(None, _prepare_checks, options)
    lexicon_job = loop.run_in_executor(
        None, lambda: load_lexicon(options.config.languages or None, options.config.lexicon_dirs))
    # the Public Suffix List (about 80 ms to read) is loaded in a thread too, not on the loop at the first page,
    # when a target is named by a host (pages on an IP address or localhost never need it)
    sites_job = (loop.run_in_executor(None, site_of, "www.example.co.uk") if any(needs_public_suffix(t) for t in targets)
                 else asyncio.sleep(0))
    async with contextlib.AsyncExitStack() as stack:
        exe = ""
        if browser is None:
            from playwright.async_api import async_playwright
            pw = await stack.enter_async_context(async_playwright())
            try:
                browser, exe = await launch(pw, options.browser_path)
            except BaseException:
                await asyncio.gather(specs_job, lexicon_job, sites_job, return_exceptions=True)
                raise
            stack.push_async_callback(_close_browser, browser)
        shared = None
        try:
            lexicon = await lexicon_job
            await sites_job
            # the term indexes are built in a thread while the first pages load (CPU work beside waiting)
            terms_job = loop.run_in_executor(
                None, lambda: (lexicon.warm(), json.dumps(lexicon.js_matcher(), ensure_ascii=False))[1])
            specs = await specs_job
            ctx = CheckContext(lexicon=lexicon, thresholds=options.config.thresholds,
                               tracker_files=options.config.tracker_files)
            shared = Session(browser, ctx, specs, terms_job, desktop_user_agent(browser.version), options,
                             asyncio.Semaphore(max(1, options.concurrency)), executable=exe)
            yield shared
        finally:
            await stack.aclose()  # the browser (ours) closes first
            if shared is not None and shared.while_closing:
                # the caller's last work (reports) ran in a thread while Chromium shut down
                await asyncio.gather(*shared.while_closing)


async def _close_browser(browser) -> None:
    try:
        await asyncio.wait_for(browser.close(), 30)
    except BaseException:  # a browser that died or hangs: the reports are still written after this
        pass


def browser_info(shared: Session, pages) -> BrowserInfo:
    """The browser and how the pages saw it (navigator.webdriver, HeadlessChrome)."""
    seen = [p.snapshot.presented for p in pages if p.snapshot and p.snapshot.presented]
    return BrowserInfo(version=shared.browser.version, user_agent=shared.user_agent, executable=shared.executable,
                       headless=True, webdriver_hidden=all(s.webdriver is False for s in seen),
                       headless_visible=any(s.headless_visible for s in seen))


def interrupted_page(url: str) -> PageResult:
    """A page the run did not get to (or did not finish) before it was interrupted."""
    now = utc_now()
    return PageResult(url=url, started_at=now, finished_at=now,
                      error=PageError("interrupted", "the run was interrupted before this page was audited"))


def _prepare_checks(options: AuditOptions):
    import PIL.Image  # noqa: F401  -- for the evidence crops later; 20 ms better spent here than after the load
    return options.checks if options.checks is not None else discover()


def _slug(i: int, url: str, taken: set) -> str:
    parts = urlsplit(url)
    base = re.sub(r"[^A-Za-z0-9]+", "-", f"{parts.hostname or 'page'}{parts.path}").strip("-")[:60] or "page"
    slug = f"{i + 1:03d}-{base}"
    taken.add(slug)
    return slug


async def new_context(shared: Session, viewport: tuple[int, int] | None = None, locale: str | None = None,
                      target: str = "", har: Path | None = None, offline: str | None = None):
    """A fresh browser context as every audit uses it: the run's window, locale and user agent, the page-world
    init script (settle.js), service workers bypassed (what is audited is what the network served), and for a
    local file (``target``), no other local file outside its folder. ``har``: record the context's traffic there
    (bodies included). ``offline``: a HAR every request is answered from; what it lacks fails, nothing reaches
    the network (web sockets are closed). Returns (context, files blocked so far)."""
    st = shared.options.settings
    vp = viewport or st.viewport
    opts = shared.options
    extra: dict = {}
    if opts.mobile:
        from auditor.browser.launch import mobile_user_agent
        extra.update(is_mobile=True, has_touch=True, user_agent=mobile_user_agent(shared.browser.version))
    if opts.timezone:
        extra["timezone_id"] = opts.timezone
    if opts.storage_state:
        extra["storage_state"] = opts.storage_state
    if opts.headers:
        extra["extra_http_headers"] = dict(opts.headers)
    if har is not None:
        har.parent.mkdir(parents=True, exist_ok=True)
        extra.update(record_har_path=str(har), record_har_content="embed", record_har_mode="full")
    extra.setdefault("user_agent", shared.user_agent)
    context = await shared.browser.new_context(
        viewport={"width": vp[0], "height": vp[1]}, locale=locale or st.locale,
        device_scale_factor=1, accept_downloads=False, service_workers="block", **extra)
    context.set_default_timeout(int(st.timeout * 1000))
    blocked: list[str] = []
    try:
        await context.add_init_script(settle_script())
        if offline is not None:
            await context.route_from_har(offline, not_found="abort")
            await context.route_web_socket("**", lambda ws: ws.close())
        if target.startswith("file:"):
            await guard_local_files(context, target, blocked)
    except BaseException:
        await close_quietly(context)
        raise
    return context, blocked


async def guard_local_files(context, target: str, blocked: list) -> None:
    """A local file may load what sits in its own folder (and below), nothing else on the disk: a page that frames
    or fetches ``file:///etc/passwd`` gets an error page, and ``blocked`` names what was refused."""
    folder = os.path.realpath(os.path.dirname(url2pathname(urlsplit(target).path)))

    async def guard(route, request):
        path = os.path.realpath(url2pathname(urlsplit(request.url).path))
        if path == folder or path.startswith(folder.rstrip(os.sep) + os.sep):
            await route.fallback()
        else:
            blocked.append(request.url[:300])
            await route.abort("accessdenied")

    await context.route("file://**", guard)


def on_dialog(worlds, dialog) -> None:
    """Dialogs never wait for a person: alert, confirm and prompt are dismissed (a confirm's "Cancel" is the
    refusing answer), a "leave this page?" is accepted (a walked flow goes on); each is recorded."""
    worlds.dialogs.append((dialog.type, " ".join(str(dialog.message or "").split())[:200]))
    answer = dialog.accept() if dialog.type == "beforeunload" else dialog.dismiss()

    async def quietly():
        try:
            await answer
        except Exception:
            pass
    asyncio.ensure_future(quietly())


async def open_page(context):
    """A new page with the auditor's isolated world attached (before anything loads) and dialogs handled."""
    page = await context.new_page()
    worlds = await Worlds.attach(page)
    page.on("dialog", lambda d: on_dialog(worlds, d))
    return page


#: a live page is audited no sooner than this after its document started loading: consent banners are commonly
#: shown by a timer a moment after the load, which the settle rule cannot see on a page the auditor did not open
#: (its timer counter is installed before a page's own scripts, on pages the auditor loads itself)
LIVE_MIN_AGE_MS = 1500


async def audit_live(shared: Session, page, name: str) -> PageResult:
    """Audit a page someone else drives (a test's Playwright page) as it is now: the isolated world is attached
    late, nothing is clicked, reloaded or typed, and the cookies and requests are those seen from this call on.
    A page younger than ``LIVE_MIN_AGE_MS`` is given the rest of that time first. ``name`` names its
    screenshot. A page that cannot be read is an error result, as for a scan."""
    result = PageResult(url=page.url, started_at=utc_now())
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")[:80] or "live"
    if shared.options.out_dir is not None and shared.options.evidence:
        (shared.options.out_dir / "screenshots").mkdir(parents=True, exist_ok=True)
    network = None
    try:
        worlds = await Worlds.attach(page, immediately=True)
        worlds.frozen.clear()  # what an earlier audit of this page met is not held against this one
        worlds.dialogs.clear()
        network = NetworkTracker(page)
        try:
            frames = await worlds.frames()
            age = await worlds.call(frames[0], "() => performance.now()") if frames else None
        except (FrameGone, Unresponsive):  # navigating right now: its age is unknown, the settle waits anyway
            age = None
        if isinstance(age, (int, float)) and age < LIVE_MIN_AGE_MS:
            await asyncio.sleep((LIVE_MIN_AGE_MS - age) / 1000)
        url = page.url  # where the page is now (a redirect or a route change during the wait)
        result = dataclasses.replace(result, url=url)
        return await asyncio.wait_for(
            audit_loaded(shared, page, network, url, result,
                         slug if shared.options.out_dir is not None and shared.options.evidence else None),
            page_budget(shared.options.settings))
    except (CollectionFailed, Unresponsive, asyncio.TimeoutError) as exc:
        return _failed(result, PageError("unresponsive" if not isinstance(exc, CollectionFailed)
                                         else "collection-failed", str(exc) or "the page did not answer in time"))
    except Exception as exc:  # a page closed under the audit, a browser gone: an error result, never a crash
        if shared.options.debug:
            raise
        if page.is_closed() or _browser_gone(exc):
            return _failed(result, PageError("browser-closed", "the page or its browser was closed during the audit"))
        return _failed(result, PageError("internal", f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"))
    finally:
        if network is not None:
            network.detach()


async def close_quietly(context, seconds: float = 10.0) -> None:
    """Close a context; a renderer stuck in a page's busy loop cannot hold the run up."""
    try:
        await asyncio.wait_for(context.close(), seconds)
    except BaseException as exc:
        if isinstance(exc, asyncio.CancelledError):
            raise


def page_budget(st: RunSettings) -> float:
    """Seconds one page's audit may take in all: the load, the settle wait, the collection, the refusal in a
    second context, the screenshots; past it the page is reported unresponsive and the run goes on."""
    return 3 * st.timeout + 2 * st.settle_cap_ms / 1000 + COLLECT_DEADLINE_S + 30


async def audit_page(shared: Session, index: int, url: str, inspect: PageHook | None = None) -> PageResult:
    """Load and audit one page; every failure is a PageResult with an error, never an exception (``--debug``
    re-raises internal errors) and never a hang."""
    result = PageResult(url=url, started_at=utc_now())
    holder: dict = {}
    opts = shared.options
    budget = page_budget(opts.settings)
    if opts.out_dir is not None and opts.evidence:
        holder["slug"] = _slug(index, url, shared.slugs)
        if opts.recording:
            holder["record"] = opts.out_dir / "evidence" / holder["slug"]
    try:
        result = await asyncio.wait_for(_audit_page(shared, index, url, inspect, result, holder), budget)
    except asyncio.TimeoutError:
        result = _failed(holder.get("result", result), PageError(
            "unresponsive", f"the page did not let the audit finish within {budget:g} s"), holder)
    if "record" in holder:  # the context is closed: its HAR is written
        result = _recorded_visit(result, holder, opts.out_dir)
    return result


def _recorded_visit(result: PageResult, holder: dict, out_dir: Path) -> PageResult:
    """The visit's own files (HARs, console) added to a page's evidence once its contexts closed."""
    from auditor.models import Artefact
    folder: Path = holder["record"]
    arts = list(result.artefacts)
    now = utc_now()
    for name, note in (("visit.har", "the audited page's browser context"),
                       ("refusal.har", "the fresh context in which consent was refused")):
        if (folder / name).exists():
            arts.append(Artefact(path=str(folder / name), kind="har", started_at=result.started_at,
                                 finished_at=now, note=note))
    console = holder.get("console")
    if console is not None:
        arts.append(console.write(folder / "console.jsonl"))
    return dataclasses.replace(result, artefacts=relative_artefacts(arts, out_dir))


def relative_artefacts(arts, out_dir: Path) -> tuple:
    """Artefact paths relative to the output folder (what the reports and the pack cite)."""
    out = []
    for a in arts:
        try:
            a = dataclasses.replace(a, path=Path(a.path).relative_to(out_dir).as_posix())
        except ValueError:
            pass
        out.append(a)
    return tuple(out)


async def _audit_page(shared: Session, index: int, url: str, inspect: PageHook | None, result: PageResult,
                      holder: dict) -> PageResult:
    opts = shared.options
    st = opts.settings
    timeout_ms = int(st.timeout * 1000)
    record: Path | None = holder.get("record")
    context, blocked_files = await new_context(shared, target=url, har=record / "visit.har" if record else None,
                                               offline=opts.offline_har(url))
    holder.update(blocked=blocked_files)
    crashed: list = []
    try:
        page = await open_page(context)
        holder["worlds"] = await Worlds.of(page)
        if record is not None:
            from auditor.evidence.capture import ConsoleLog
            holder["console"] = ConsoleLog(page)
        page.on("crash", lambda _p: crashed.append(True))
        nav_responses = []
        page.on("response", lambda r: nav_responses.append(r) if r.request.is_navigation_request()
                and r.frame == page.main_frame else None)
        network = NetworkTracker(page)
        try:
            response = await page.goto(url, wait_until="commit", timeout=timeout_ms)
        except Exception as exc:  # Playwright raises plain Error subclasses
            error = classify_nav_error(exc, nav_responses, crashed, st.timeout)
            if error.kind == "http-error":
                result = dataclasses.replace(result, status=int(error.message.split()[1]))
            return _failed(result, error, holder)
        if response is not None:
            result = dataclasses.replace(result, status=response.status)
            if response.status >= 400:
                return _failed(result, http_error(response.status, response.status_text), holder)
            ctype = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
            if ctype and ctype not in HTML_TYPES:
                return _failed(result, PageError("not-html", f"not HTML (content-type {ctype})"), holder)
        holder["result"] = result
        partial = await wait_for_document(page, response, st.timeout)
        if crashed:
            return _failed(result, PageError("crash", "the page crashed the renderer"), holder)
        if partial:
            if await _empty_document(page):
                # the body broke before anything of it could be shown: nothing was read, so it is no audit
                return _failed(result, PageError("unreachable", f"the response could not be read: {partial}"),
                               holder)
            holder.setdefault("notes", []).append(Note("partial-load", partial))
        try:
            result = await audit_loaded(shared, page, network, url, result, holder.get("slug"),
                                        interact=st.interact, record=record)
        except Unresponsive as exc:
            return _failed(result, PageError("unresponsive", _unresponsive_message(exc, holder)), holder)
        except CollectionFailed as exc:
            return _failed(result, PageError("collection-failed", str(exc)), holder)
        except Exception as exc:
            if crashed or "crash" in str(exc).lower():
                return _failed(result, PageError("crash", "the page crashed the renderer"), holder)
            if _browser_gone(exc):
                return _failed(result, PageError("browser-closed", "the browser closed while the page was audited"),
                               holder)
            if "Timeout" in type(exc).__name__ or "timeout" in str(exc).lower():
                return _failed(result, PageError("timeout", f"timed out after {st.timeout:g}s while collecting"),
                               holder)
            raise
        if inspect is not None:
            await inspect(page, result)
        holder["stuck"] = False
        return _with_notes(result, holder)
    except Exception as exc:
        if opts.debug:
            raise
        if _browser_gone(exc):
            return _failed(result, PageError("browser-closed", "the browser closed while the page was audited"), holder)
        return _failed(result, PageError("internal", f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"),
                       holder)
    finally:
        worlds = holder.get("worlds")
        if worlds is not None and holder.get("stuck", True):
            # a page stuck in a busy loop (or an audit cut short): end the loop so the context closes at once
            await worlds.wake()
        await close_quietly(context)


async def wait_for_document(page, response, timeout_s: float) -> str:
    """Wait until the document is parsed (then, briefly, loaded). A document whose body has arrived but which
    never finishes parsing (``window.stop()``, a short or broken body) is audited as far as it got: the return
    value says so ("" when the document loaded normally)."""
    dcl = asyncio.ensure_future(page.wait_for_load_state("domcontentloaded", timeout=timeout_s * 1000))
    body = asyncio.ensure_future(response.finished()) if response is not None else None
    body_done_at = None
    try:
        while not dcl.done():
            await asyncio.wait([dcl] + ([body] if body is not None and not body.done() else []), timeout=0.25)
            if body is not None and body.done() and body_done_at is None:
                body_done_at = time.monotonic()
            if body_done_at is not None and not dcl.done() and time.monotonic() - body_done_at > 2.0:
                failure = None if body.exception() else body.result()
                why = f" ({failure})" if failure else ""
                return f"the document stopped before it finished parsing{why}: audited as far as it got"
        if dcl.exception() is not None:
            return f"the document did not finish parsing within {timeout_s:g} s: audited as far as it got"
    finally:
        for job in (dcl, body):
            if job is not None and not job.done():
                job.cancel()
        for job in (dcl, body):
            if job is not None and job.done() and not job.cancelled():
                job.exception()  # retrieved: no "exception was never retrieved" warning
    try:
        await page.wait_for_load_state("load", timeout=min(timeout_s * 1000, 10_000))
    except Exception:
        pass  # a subresource that never finishes: audit what is there
    return ""


async def _empty_document(page) -> bool:
    """Does the top document show nothing at all (no element in its body, no text)?"""
    try:
        worlds = await Worlds.of(page)
        frames = await worlds.frames()
        size = await worlds.call(frames[0], "() => { const b = document.body; return b ? b.getElementsByTagName('*')"
                                            ".length + (b.textContent || '').trim().length : 0; }")
        return not size
    except Exception:
        return False


def http_error(status: int, text: str = "") -> PageError:
    reason = text or _HTTP_REASONS.get(status, "")
    return PageError("http-error", f"HTTP {status} {reason}".strip())


_HTTP_REASONS = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 407: "Proxy Authentication Required",
                 410: "Gone", 429: "Too Many Requests", 451: "Unavailable For Legal Reasons",
                 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                 504: "Gateway Timeout"}


def _browser_gone(exc: BaseException) -> bool:
    text = str(exc)
    return any(s in text for s in ("Browser has been closed", "browser has been closed", "Target page, context or "
                                   "browser has been closed", "Connection closed"))


def _unresponsive_message(exc: BaseException, holder: dict) -> str:
    worlds = holder.get("worlds")
    dialogs = len(worlds.dialogs) if worlds is not None else 0
    if dialogs >= 5:
        return f"the page kept opening dialogs ({dialogs} dismissed) and never let the audit read it"
    return str(exc)


def _with_notes(result: PageResult, holder: dict) -> PageResult:
    """The notes gathered while the page was audited, added to its result."""
    notes = list(result.notes) + list(holder.get("notes", []))
    worlds = holder.get("worlds")
    if worlds is not None and worlds.dialogs:
        kinds = sorted({t for t, _ in worlds.dialogs})
        first = worlds.dialogs[0][1]
        notes.append(Note("dialog", f"{len(worlds.dialogs)} dialog(s) ({', '.join(kinds)}) dismissed"
                                    + (f"; the first said: {first}" if first else "")))
    blocked = holder.get("blocked") or []
    if blocked:
        shown = ", ".join(sorted(set(blocked))[:5])
        notes.append(Note("local-file-blocked", f"{len(blocked)} request(s) for local files outside the audited "
                                                f"file's folder refused: {shown}"))
    return dataclasses.replace(result, notes=tuple(notes))


async def audit_loaded(shared: Session, page, network: NetworkTracker, url: str, result: PageResult,
                       slug: str | None, interact: bool = False, mask: tuple = (),
                       phase: str = "before-choice", prices: bool = False, layer: int = 1,
                       known: set | None = None, record: Path | None = None, stem: str = "") -> PageResult:
    """Audit a page that has loaded: settle, collect, record state, screenshot (``slug`` names it; ``mask``:
    locators painted over), find the banner, (``interact``: open its settings, refuse in a fresh context),
    judge and attach the evidence. ``layer`` 2: the page shows a banner's settings layer (a flow opened it).

    ``known`` (flow steps): fingerprints already reported. The step's screenshot is then of the window, and a
    full-page one is taken only when the step has a finding not in ``known`` (its evidence crop needs the whole
    page): a full-page capture costs three to four times a window capture, on every step.

    ``record`` (evidence packs): the folder where the page as rendered (MHTML, DOM; before anything is clicked),
    its snapshot and its cookies and storage per phase are written, their names starting with ``stem``."""
    opts = shared.options
    st = opts.settings
    await settle(page, network, st.quiet_ms, st.settle_cap_ms)
    camera = Camera(page, opts.out_dir / "screenshots" / f"{slug}.png" if slug is not None and opts.out_dir
                    else None, st.timeout, mask)
    # the screenshot is taken while the collector reads the page (it only reads): the browser composites and
    # encodes the image while the renderer runs the collector and Python judges
    await camera.start(full_page=known is None)
    try:
        # the collector and the cookie/storage read are independent round trips
        snapshot, before = await asyncio.gather(
            collect_page(page, url, await shared.terms, st.viewport, prices=prices),
            read_state(page, network, phase, network.started))
    except BaseException:
        camera.cancel()
        raise
    snapshot = dataclasses.replace(snapshot, states=(before,), site=site_of(urlsplit(page.url).hostname or ""),
                                   layer=layer)
    report = find_banners(snapshot, shared.ctx, layer=layer)
    layer2_shot, layer2_times = None, ("", "")
    recorded: list = []
    record_notes: list = []
    refusing = None
    if interact and report.state == "found":
        # the refusal runs in a fresh context: it starts now, while the screenshot and the archive finish
        banners = understood(report)
        refusing = asyncio.ensure_future(_refusal(
            shared, url, camera.path, record / "refusal.har" if record is not None else None,
            (snapshot, banners[0]) if banners else None))
    try:
        if record is not None:  # the page as rendered, before anything is clicked
            from auditor.evidence.capture import archive
            await camera.done()
            recorded, problems = await archive(page, record, stem)
            if problems:
                record_notes.append(Note("evidence-incomplete", "; ".join(problems)[:500]))
        if refusing is not None:
            await camera.done()  # the first layer as loaded, before anything is clicked
            second, choice = await asyncio.gather(
                _second_layer(shared, page, network, snapshot, report, camera.path), refusing)
            layer2, layer2_shot, layer2_times = second
            snapshot = dataclasses.replace(snapshot, second_layer=layer2, choice=choice)
        checks = judge_snapshot(snapshot, shared.specs, shared.ctx, page_key(url), opts.debug)
    finally:
        if refusing is not None and not refusing.done():
            refusing.cancel()  # the audit failed before the refusal was waited for: its context closes
            with contextlib.suppress(BaseException):
                await asyncio.wait({refusing})  # closed (and its HAR written) before the page's result is
        await camera.done()
    if camera.path is not None and known is not None and any(
            f.fingerprint not in known for c in checks for f in c.findings):
        await camera.again_full_page()  # on failure the window capture stays; crops outside it are skipped
    shot = camera.path
    checks = _with_evidence(checks, snapshot, url, shot, opts.out_dir, layer2_shot)
    if record is not None:
        from auditor.evidence.capture import snapshot_files
        from auditor.models import Artefact
        if shot is not None:
            recorded.append(Artefact(path=str(shot), kind="screenshot", started_at=camera.started_at,
                                     finished_at=camera.finished_at, note="full page" if known is None or
                                     camera.full_page else "window"))
        if layer2_shot is not None and layer2_shot.exists():
            recorded.append(Artefact(path=str(layer2_shot), kind="screenshot", started_at=layer2_times[0],
                                     finished_at=layer2_times[1], note="the banner's settings layer"))
        choice_shot = opts.out_dir / snapshot.choice.screenshot if snapshot.choice and snapshot.choice.screenshot \
            else None
        if choice_shot is not None and choice_shot.exists():
            recorded.append(Artefact(path=str(choice_shot), kind="screenshot", started_at=snapshot.choice.at,
                                     finished_at=file_time(choice_shot), note="the banner at the moment of refusal"))
        recorded += snapshot_files(record, stem, snapshot)
    return dataclasses.replace(
        result, final_url=page.url, title=snapshot.title, checks=checks, snapshot=snapshot, banner=report,
        key=page_key(url),
        language=detect_language(snapshot, shared.ctx.lexicon),
        screenshot=str(shot.relative_to(opts.out_dir)) if shot else None, finished_at=utc_now(),
        notes=result.notes + tuple(camera.notes) + snapshot_notes(snapshot) + tuple(record_notes),
        artefacts=result.artefacts + (relative_artefacts(recorded, opts.out_dir) if recorded else ()))


PAGE_SIZE_JS = """() => { const d = document.documentElement, b = document.body;
  return [Math.max(d ? d.scrollWidth : 0, b ? b.scrollWidth : 0, innerWidth),
          Math.max(d ? d.scrollHeight : 0, b ? b.scrollHeight : 0, innerHeight)]; }"""


class Camera:
    """The page's screenshot: full page (capped for very tall or wide pages, with a note) or the window. A
    screenshot that fails costs the evidence, not the audit: the findings stay and a note says it is missing."""

    def __init__(self, page, path: Path | None, timeout_s: float, mask: tuple = ()):
        self.page, self.path, self.timeout_ms, self.mask = page, path, int(timeout_s * 1000), list(mask)
        self.job = None
        self.notes: list[Note] = []
        self.failure = ""
        self.started_at = self.finished_at = ""  # UTC, of the capture the file now holds
        self.full_page = False

    async def _options(self, full_page: bool) -> dict:
        opts = {"path": str(self.path), "full_page": full_page, "timeout": self.timeout_ms, "mask": self.mask}
        if full_page:
            worlds = await Worlds.of(self.page)
            frames = await worlds.frames()
            size = await worlds.call(frames[0], PAGE_SIZE_JS) if frames else None
            clip = shot_clip(*size) if isinstance(size, list) and len(size) == 2 else None
            if clip is not None:
                opts["clip"] = clip
                if not any(n.kind == "screenshot-capped" for n in self.notes):
                    self.notes.append(Note("screenshot-capped", (
                        f"the page is {int(size[0])}x{int(size[1])} px; the screenshot shows the top-left "
                        f"{clip['width']}x{clip['height']} px (findings further down have no crop)")))
        return opts

    async def _take(self, full_page: bool) -> bool:
        try:
            started = utc_now()
            await self.page.screenshot(**await self._options(full_page))
            self.started_at, self.finished_at, self.full_page = started, utc_now(), full_page
            return True
        except Unresponsive:
            raise
        except Exception as exc:
            if isinstance(exc, asyncio.CancelledError):
                raise
            self.failure = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return False

    async def _first(self, full_page: bool) -> None:
        if not await self._take(full_page):
            self.notes.append(Note("screenshot-missing", f"the screenshot could not be taken: {self.failure[:200]}"))
            try:
                self.path.unlink()
            except OSError:
                pass
            self.path = None

    async def start(self, full_page: bool) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.job = asyncio.ensure_future(self._first(full_page))
        await asyncio.sleep(0)

    async def done(self) -> None:
        job, self.job = self.job, None
        if job is not None:
            await job

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.job = None

    async def again_full_page(self) -> None:
        if self.path is not None:
            await self._take(True)  # on failure the window capture taken before stays


def snapshot_notes(snapshot: PageSnapshot) -> tuple[Note, ...]:
    """What the collection could not do, from the snapshot's frames."""
    notes = []
    skipped = sum(f.nodes_skipped for f in snapshot.frames)
    if skipped:
        notes.append(Note("nodes-skipped", f"{skipped} element(s) past the collector's budget of "
                                           f"{NODE_BUDGET} per frame were not read"))
    missed = [f for f in snapshot.frames if f.error and f.index != 0]
    if missed:
        notes.append(Note("frame-not-collected", "; ".join(f"{f.url[:120]}: {f.error}" for f in missed[:5])))
    workers = sum(f.service_workers for f in snapshot.frames)
    if workers:
        notes.append(Note("service-worker", f"the page asked for a service worker {workers} time(s); audits bypass "
                                            "service workers, so what was audited is what the network served"))
    return tuple(notes)


def _failed(result: PageResult, error: PageError, holder: dict | None = None) -> PageResult:
    failed = dataclasses.replace(result, error=error, finished_at=utc_now())
    return _with_notes(failed, holder) if holder else failed


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


#: network errors that stand for an HTTP status: Chromium turns an authentication challenge nobody answers into
#: an error before any response reaches the page
_STATUS_ERRORS = {"ERR_INVALID_AUTH_CREDENTIALS": 401, "ERR_UNEXPECTED_PROXY_AUTH": 407,
                  "ERR_PROXY_AUTH_UNSUPPORTED": 407, "ERR_PROXY_AUTH_REQUESTED": 407}


def classify_nav_error(exc: Exception, nav_responses: list, crashed: list, timeout_s: float) -> PageError:
    msg = str(exc)
    if crashed or "crash" in msg.lower():
        return PageError("crash", "the page crashed the renderer")
    for r in reversed(nav_responses):
        if r.status >= 400:
            return http_error(r.status, r.status_text)
    for code, status in _STATUS_ERRORS.items():
        if code in msg:
            return http_error(status, f"{_HTTP_REASONS[status]} (the server asks for a log-in the audit was not given)")
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


def _finish_findings(result: CheckResult, snapshot, url: str, shot, shot_path: Path | None,
                     out_dir: Path | None) -> CheckResult:
    """Frame URL, fingerprint and an outlined crop for each finding (``shot`` is the loaded page image)."""
    done = []
    for n, f in enumerate(result.findings):
        f = dataclasses.replace(f, frame=snapshot.frame_url(f.element))
        if shot is not None and f.element is not None and f.element.box is not None and out_dir is not None:
            crop = shot_path.with_name(f"{shot_path.stem}--{f.check}-{n + 1}.png")
            if crop_with_outline(shot, f.element.box, crop):
                f = dataclasses.replace(f, screenshot=str(crop.relative_to(out_dir)))
        done.append(f)
    return dataclasses.replace(result, findings=tuple(done))


def judge_snapshot(snapshot: PageSnapshot, specs, ctx: CheckContext, key: str, debug: bool = False):
    """The page checks' results on a collected page, its settings layer's findings added (marked layer 2), each
    finding fingerprinted for the page key ``key``. Pure: a scan and a replay of a saved snapshot judge alike."""
    checks = judge(snapshot, specs, ctx, debug)
    if snapshot.second_layer is not None:
        checks = _merge_layer(checks, judge(snapshot.second_layer, specs, ctx, debug))
    return stamp(checks, key, judged_on(snapshot))


def judged_on(snapshot: PageSnapshot):
    """For each finding, the snapshot it was judged on (the settings layer's for a layer-2 finding)."""
    def which(f: Finding) -> PageSnapshot:
        return snapshot.second_layer if dict(f.details).get("layer") == 2 and snapshot.second_layer else snapshot
    return which


def _with_evidence(checks, snapshot, url: str, shot_path: Path | None, out_dir: Path | None,
                   layer2_shot: Path | None = None):
    """Findings of the settings layer are cropped from that layer's screenshot."""
    def on_layer2(f) -> bool:
        return dict(f.details).get("layer") == 2

    first = tuple(dataclasses.replace(c, findings=tuple(f for f in c.findings if not on_layer2(f))) for c in checks)
    second = tuple(dataclasses.replace(c, findings=tuple(f for f in c.findings if on_layer2(f))) for c in checks)
    done1 = evidence_from(first, snapshot, url, shot_path, out_dir)
    done2 = evidence_from(second, snapshot.second_layer or snapshot, url, layer2_shot, out_dir)
    return tuple(dataclasses.replace(a, findings=a.findings + b.findings) for a, b in zip(done1, done2))


def evidence_from(checks, snapshot, url: str, shot_path: Path | None, out_dir: Path | None):
    if shot_path is None or not shot_path.exists() or not any(c.findings for c in checks):
        return tuple(_finish_findings(c, snapshot, url, None, shot_path, out_dir) for c in checks)
    try:
        img = open_own_screenshot(shot_path)  # decoded once for all the page's crops
    except Exception:
        return tuple(_finish_findings(c, snapshot, url, None, shot_path, out_dir) for c in checks)
    with img:
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


async def _second_layer(shared: Session, page, network, snapshot: PageSnapshot, report: BannerReport,
                        shot: Path | None):
    """Open the banner's settings in the audited page and collect what that layer shows (never consents)."""
    st = shared.options.settings
    banner = next((b for b in understood(report) if best(b, "settings")), None)
    if banner is None:
        return None, None, ("", "")
    if not await click(page, snapshot, best(banner, "settings")):
        return None, None, ("", "")
    await settle(page, network, st.quiet_ms, st.settle_cap_ms)
    layer2 = await collect_page(page, page.url, await shared.terms, st.viewport)
    layer2 = dataclasses.replace(layer2, layer=2, site=snapshot.site)
    layer2_shot, times = None, ("", "")
    if shot is not None:
        layer2_shot = shot.with_name(f"{shot.stem}-layer2.png")
        try:
            started = utc_now()
            await page.screenshot(path=str(layer2_shot), full_page=True)
            times = (started, utc_now())
        except Exception:
            layer2_shot = None
    return layer2, layer2_shot, times


def file_time(path: Path) -> str:
    """When a file was last written, as UTC ISO 8601 (the end of a capture the auditor did not time itself)."""
    from datetime import datetime, timezone
    try:
        stamp = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    except OSError:
        return ""
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def _refusal(shared: Session, url: str, shot: Path | None, har: Path | None = None,
                   first: tuple[PageSnapshot, Banner] | None = None) -> ChoiceFacts | None:
    """Refuse consent in a fresh context (the audited page stays as it is) and record what follows (``har``:
    the context's traffic, for an evidence pack).

    ``first``: the first load's snapshot and the banner to refuse. The click is then aimed with them as soon as
    the button shows (:func:`auditor.browser.interact.aim`), not after the fresh page settled and was read
    again. When that aimed refusal is not made (the button did nothing, could not be clicked, or led nowhere: a
    library that wires its buttons late), it is made again in another fresh context the slow way, and that
    one is reported."""
    if os.environ.get("AUDITOR_REFUSAL") == "read-again":  # `make bench` times both ways side by side
        first = None
    choice = await _refuse_once(shared, url, shot, har, first)
    if not (choice.aimed and choice.error and not choice.clicked):
        return choice
    again = har.with_name(f"{har.stem}-again.har") if har else None
    slow = await _refuse_once(shared, url, shot, again, None)
    if har is not None:  # the pack holds the traffic of the refusal reported, never the other attempt's
        if again.exists():
            again.replace(har)
        else:
            har.unlink(missing_ok=True)
    return slow


async def _refuse_once(shared: Session, url: str, shot: Path | None, har: Path | None,
                       first: tuple[PageSnapshot, Banner] | None) -> ChoiceFacts:
    st = shared.options.settings
    opts = shared.options
    context, _blocked = await new_context(shared, target=url, har=har,
                                          offline=opts.offline_har(f"refusal:{url}") or opts.offline_har(url))
    started, aimed = "", False
    try:
        page = await open_page(context)
        network = NetworkTracker(page)
        started = utc_now()
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

        def find(s):
            return find_banners(s, shared.ctx)

        how, element = await aim(page, first[0], first[1], quiet) if first is not None else ("none", None)
        if how == "aimed":
            aimed = True
            choice = await refuse(page, network, first[0], first[1], quiet, collect, find, moment, aimed=element)
        else:
            if how != "settled":
                await quiet()
            snap = await collect(1)
            banners = understood(find(snap))
            if not banners:
                choice = ChoiceFacts(action="none", error="the banner did not show in a fresh browser context")
            else:
                choice = await refuse(page, network, snap, banners[0], quiet, collect, find, moment)
    except Exception as exc:
        choice = ChoiceFacts(action="none",
                             error=f"refusing failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    finally:
        await close_quietly(context)
    return dataclasses.replace(choice, aimed=aimed, started=started)

"""The command line. Thin: parses options, calls the library, maps errors to exit codes (auditor.errors)."""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import signal
import sys
from pathlib import Path
from typing import List, Optional
from urllib.parse import urlsplit
from urllib.request import url2pathname

import typer
from auditor.report.console import SafeConsole

from auditor import __version__
from auditor.errors import AuditorError, ExitCode, UsageError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, help="Find consent dark patterns on web pages in a real Chromium.")
checks_app = typer.Typer(help="List the checks or explain one.", invoke_without_command=True)
app.add_typer(checks_app, name="checks")

err = SafeConsole(stderr=True, highlight=False, soft_wrap=True)
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}


def parse_viewport(value: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*", value or "")
    if not m:
        raise UsageError(f"--viewport: expected WIDTHxHEIGHT such as 1280x800, got {value!r}")
    w, h = int(m.group(1)), int(m.group(2))
    if not (200 <= w <= 7680 and 200 <= h <= 4320):
        raise UsageError(f"--viewport: {w}x{h} is out of range (200x200 to 7680x4320)")
    return w, h


#: what a local file must be called to be audited: the browser shows anything else as plain text, and a page that
#: is not HTML has no consent UI (``auditor scan /etc/passwd`` must not copy that file into a report)
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".xht", ".shtml")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


def normalise_target(raw: str) -> str:
    """An absolute http(s) or file URL for what the user typed. A local path becomes a file URL; a path that does
    not exist is "file not found", never a guess at a web address; other schemes are refused."""
    text = raw.strip()
    if not text:
        raise UsageError("empty URL")
    if any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f for c in text):
        raise UsageError(f"{raw!r}: control characters in a target")
    scheme = _SCHEME.match(text)
    host_port = re.match(r"^[A-Za-z0-9.\-]+:\d+(/|$)", text)  # localhost:8000/x is a host, not a scheme
    if scheme and len(scheme.group(1)) > 1 and not host_port:
        name = scheme.group(1).lower()
        if name not in ("http", "https", "file"):
            raise UsageError(f"{raw}: {name}: URLs cannot be audited (use http://, https:// or a local HTML file)")
        if name == "file":
            return _local_file(raw, Path(url2pathname(urlsplit(text).path)))
    else:
        path = Path(text).expanduser()
        if path.exists() or _looks_like_path(text):
            return _local_file(raw, path)
        if re.match(r"^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(/|$)", text):
            text = "http://" + text
        else:
            text = "https://" + text
    parts = urlsplit(text)
    try:
        parts.port
    except ValueError:
        raise UsageError(f"{raw}: malformed URL (bad port)") from None
    host = parts.hostname or ""
    if not host or not re.fullmatch(r"[A-Za-z0-9.\-:\[\]_]+", host) or ".." in host:
        raise UsageError(f"{raw}: malformed URL (no valid host)")
    return text


def _looks_like_path(text: str) -> bool:
    """A target with no scheme that names a file rather than a web site: a path with a separator, a relative or
    home path, or a name whose last part is no public suffix (``page.html``, ``does-not-exist.htm``)."""
    from auditor.sites import has_public_suffix
    if text.startswith((".", "~", "/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", text):
        return True
    head = re.split(r"[/?#]", text, maxsplit=1)[0]
    host = head.rsplit(":", 1)[0] if re.search(r":\d+$", head) else head
    if host == "localhost" or re.fullmatch(r"127\.\d+\.\d+\.\d+|\[::1\]", host):
        return False
    if "/" in text and not re.match(r"^[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+(:\d+)?$", head):
        return True
    return not has_public_suffix(host)


def _local_file(raw: str, path: Path) -> str:
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise UsageError(f"{raw}: file not found") from None
    if resolved.is_dir():
        raise UsageError(f"{raw}: is a folder (name an HTML file in it)")
    if resolved.suffix.lower() not in HTML_SUFFIXES:
        raise UsageError(f"{raw}: not an HTML file (a local file is audited when its name ends in "
                         f"{', '.join(HTML_SUFFIXES)})")
    return resolved.as_uri()


#: the accepted ranges of the numeric options: a value outside is a usage error (exit 2), never a run that
#: waits for ever or starts thousands of browser pages
LIMITS = {"--timeout": (0.5, 600.0), "--concurrency": (1, 16), "--quiet-ms": (0, 10_000),
          "--settle-cap-ms": (0, 120_000)}


def check_number(option: str, value: float) -> None:
    low, high = LIMITS[option]
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UsageError(f"{option}: expected a number from {low:g} to {high:g}, got {value!r}")
    if not (low <= value <= high):
        raise UsageError(f"{option}: {value:g} is out of range ({low:g} to {high:g})")


def _check_common(fail_on: str, timeout: float, concurrency: int = 1, quiet_ms: int = 0,
                  settle_cap_ms: int = 0) -> None:
    if fail_on not in SEVERITY_RANK:
        raise UsageError(f"--fail-on: expected high, medium or low, got {fail_on!r}")
    for option, value in (("--timeout", timeout), ("--concurrency", concurrency), ("--quiet-ms", quiet_ms),
                          ("--settle-cap-ms", settle_cap_ms)):
        check_number(option, value)


def _preload_reports() -> None:
    """Import the HTML report's template engine in a thread while the browser starts (about 50 ms that would
    otherwise come after the last page)."""
    import threading

    def load():
        try:
            from auditor.report import html_report
            html_report.ENV.get_template("report.html.j2")
        except Exception:
            pass  # the report is written later anyway, and says what went wrong then
    threading.Thread(target=load, daemon=True).start()


def _options(out, json_path, html_path, fail_on, timeout, viewport, locale, browser, config, quiet_ms,
             settle_cap_ms, concurrency, debug, evidence, interact):
    """The options scan and flow share: (AuditOptions, Config, JSON path, HTML path); creates OUT."""
    from auditor.config import load_config
    from auditor.engine import AuditOptions
    from auditor.models import RunSettings
    vp = parse_viewport(viewport)
    _preload_reports()
    cfg = load_config(config)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = RunSettings(viewport=vp, locale=locale, timeout=timeout, quiet_ms=quiet_ms,
                           settle_cap_ms=settle_cap_ms, fail_on=fail_on,
                           command=" ".join(["auditor"] + sys.argv[1:]), interact=interact)
    options = AuditOptions(settings=settings, config=cfg, browser_path=browser, out_dir=out_dir,
                           concurrency=concurrency, debug=debug, evidence=evidence)
    return (options, cfg, Path(json_path) if json_path else out_dir / "report.json",
            Path(html_path) if html_path else out_dir / "report.html")


def _page_stream(out_dir: Path, total: int):
    """What happens as each scanned page finishes: a line in pages.jsonl, its snapshot, a progress line."""
    from auditor.models import to_dict
    from auditor.report import json_report
    stream = out_dir / "pages.jsonl"
    stream.write_text("", encoding="utf-8")
    (out_dir / "snapshots").mkdir(exist_ok=True)
    done = [0]

    def on_page(result):
        done[0] += 1
        with open(stream, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(json_report.page_dict(result), ensure_ascii=False) + "\n")
        if result.snapshot is not None and result.screenshot:
            name = Path(result.screenshot).stem + ".json"
            (out_dir / "snapshots" / name).write_text(json.dumps(to_dict(result.snapshot), ensure_ascii=False),
                                                      encoding="utf-8")
        if result.error:
            err.print(f"error: {result.url}: {result.error.kind}: {result.error.message}", markup=False)
        else:
            n = sum(1 for f in result.findings if f.status == "fail")
            banner = f"; banner: {result.banner.state}" if result.banner else ""
            if result.language is not None and not result.language.covered:
                banner += f"; language: {result.language.describe()}"
            review = [b.reason for b in result.banner.banners if b.state == "needs-review"] if result.banner else []
            err.print(f"[{done[0]}/{total}] {result.url}: {n} finding(s){banner}"
                      + (f" ({review[0]})" if review else ""), markup=False, style="dim")
    return on_page


def _run_scan(urls, out, json_path, html_path, fail_on, timeout, viewport, locale, browser, config, quiet_ms,
              settle_cap_ms, concurrency, debug, evidence, interact=True) -> ExitCode:
    from auditor.engine import audit
    from auditor.registry import discover
    from auditor.report import console as console_report
    from auditor.report import json_report

    _check_common(fail_on, timeout, concurrency, quiet_ms, settle_cap_ms)
    targets = [normalise_target(u) for u in urls]
    # the checks are imported inside audit(), beside the browser start-up
    options, cfg, json_path, html_path = _options(out, json_path, html_path, fail_on, timeout, viewport, locale,
                                                  browser, config, quiet_ms, settle_cap_ms, concurrency, debug,
                                                  evidence, interact)
    out_dir = options.out_dir
    on_page = _page_stream(out_dir, len(targets))

    def on_run(run):
        from auditor.report import html_report
        json_report.write(run, json_path)
        html_report.write(run, html_path, out_dir, discover(), cfg.tracker_files)
        out_console = SafeConsole(highlight=False, soft_wrap=True)
        console_report.show(run, out_console)
        out_console.print(f"reports: {json_path}  {html_path}", markup=False, style="dim")

    run = run_cancellable(audit(targets, options, on_page=on_page, on_run=on_run))
    return exit_code_for(run, fail_on)


def exit_code_for(run, fail_on: str) -> ExitCode:
    """3 when a page could not be audited, a flow did not finish or discovery found no journey from a start
    page, else 1 when a finding is at or above
    --fail-on, else 0."""
    if any(p.error for p in run.pages) or any(not fl.complete for fl in run.flows):
        return ExitCode.TARGET_FAILED
    starts = {d.start for d in run.discoveries}
    if any(not any(d.found for d in run.discoveries if d.start == s) for s in starts):
        return ExitCode.TARGET_FAILED  # discovery found no journey at all from a start page
    floor = SEVERITY_RANK[fail_on]
    if any(f.status == "fail" and SEVERITY_RANK.get(f.severity, 0) >= floor for f in run.findings):
        return ExitCode.FINDINGS
    return ExitCode.OK


def _run_flows(files, base, out, json_path, html_path, fail_on, timeout, viewport, locale, browser, config,
               quiet_ms, settle_cap_ms, concurrency, debug, evidence, trace) -> ExitCode:
    from auditor.flows.spec import FlowError, load_flow

    _check_common(fail_on, timeout, concurrency, quiet_ms, settle_cap_ms)
    if base is not None and not re.match(r"^https?://[^/]+", base):
        raise UsageError(f"--base {base!r}: expected an http(s) origin such as http://127.0.0.1:8000")
    flows = []
    for f in files:  # every file is read and checked before a browser starts
        try:
            flows.append(load_flow(f, base))
        except FlowError as exc:
            raise UsageError(str(exc)) from None
    options, cfg, json_path, html_path = _options(out, json_path, html_path, fail_on, timeout, viewport, locale,
                                                  browser, config, quiet_ms, settle_cap_ms, concurrency, debug,
                                                  evidence, interact=False)
    return _walk_all(options, cfg, json_path, html_path, flows=flows, trace=trace)


def _run_discover(urls, only, walk, allow_submit, out, json_path, html_path, fail_on, timeout, viewport, locale,
                  browser, config, quiet_ms, settle_cap_ms, concurrency, debug, evidence, trace,
                  scan_pages=False, interact=False) -> ExitCode:
    from auditor.flows.discovery import JOURNEYS

    _check_common(fail_on, timeout, concurrency, quiet_ms, settle_cap_ms)
    if only not in JOURNEYS + ("all",):
        raise UsageError(f"--only: expected signup, checkout or all, got {only!r}")
    targets = [normalise_target(u) for u in urls]
    bad = [t for t in targets if not t.startswith(("http:", "https:"))]
    if bad:
        raise UsageError(f"{bad[0]}: discovery needs an http(s) site (a flow cannot be scoped to a file)")
    options, cfg, json_path, html_path = _options(out, json_path, html_path, fail_on, timeout, viewport, locale,
                                                  browser, config, quiet_ms, settle_cap_ms, concurrency, debug,
                                                  evidence, interact=interact)
    journeys = JOURNEYS if only == "all" else (only,)
    return _walk_all(options, cfg, json_path, html_path, discover=[(t, j) for t in targets for j in journeys],
                     pages=targets if scan_pages else [], walk_discovered=walk, allow_submit=allow_submit,
                     trace=trace)


def _walk_all(options, cfg, json_path, html_path, flows=(), discover=(), pages=(), walk_discovered=True,
              allow_submit=False, trace=False) -> ExitCode:
    """One browser for everything a command asked for: pages scanned, flows walked, journeys discovered (and
    then walked as the flow files discovery wrote). Reports are written once, from one AuditRun."""
    from auditor import TOOL_NAME
    from auditor.engine import audit_page, browser_info, browser_session, utc_now
    from auditor.flows.identity import make_identity
    from auditor.models import AuditRun
    from auditor.report import console as console_report
    from auditor.report import json_report

    out_dir, settings = options.out_dir, options.settings
    trace_dir = out_dir / "traces" if trace else None
    flows_dir = out_dir / "flows"
    secrets = {s for fl in flows for s in make_identity(fl.locale or settings.locale, fl.seed).secrets()}
    secrets |= set(make_identity(settings.locale, 1).secrets())
    on_page = _page_stream(out_dir, len(pages)) if pages else None
    numbers = iter(range(1, 10_000))
    interrupted: list = []

    async def main():
        from auditor.flows.discovery import discover_journey
        from auditor.flows.runner import walk
        started = utc_now()
        targets = tuple(fl.start for fl in flows) + tuple(u for u, _ in discover) + tuple(pages)
        async with browser_session(options, targets) as shared:
            async def walk_one(fl):
                number = next(numbers)
                async with shared.semaphore:
                    result = await walk(shared, fl, number, trace_dir)
                new = sum(1 for f in result.findings if f.status == "fail")
                state = "complete" if result.complete else f"incomplete: {result.error}"
                err.print(f"[flow {number}] {fl.name}: {len(result.steps) - 1} step(s), {new} finding(s); {state}",
                          markup=False, style="dim" if result.complete else "red")
                return result

            async def discover_one(url, journey):
                async with shared.semaphore:
                    found, flow = await discover_journey(shared, url, journey, flows_dir, _flow_slug(url),
                                                         allow_submit=allow_submit)
                if found.found:
                    err.print(f"[discover] {journey} from {url}: {found.steps} step(s) in {found.seconds:.1f} s, "
                              f"written to {found.file}; {found.stopped}", markup=False, style="dim")
                else:
                    err.print(f"[discover] {journey} from {url}: not found ({found.stopped})", markup=False,
                              style="red")
                result = await walk_one(flow) if flow is not None and walk_discovered else None
                return found, result

            async def page_one(i, url):
                async with shared.semaphore:
                    result = await audit_page(shared, i, url)
                on_page(result)
                return result

            jobs = ([walk_one(fl) for fl in flows] + [discover_one(u, j) for u, j in discover]
                    + [page_one(i, u) for i, u in enumerate(pages)])
            finished: dict[int, object] = {}

            async def keep(k, job):
                finished[k] = await job
                return finished[k]

            try:
                done = await asyncio.gather(*(keep(k, job) for k, job in enumerate(jobs)))
            except asyncio.CancelledError:  # Ctrl-C or SIGTERM: report what is done, the rest as interrupted
                interrupted.append(True)
                done = [finished.get(k) or _interrupted_job(k, flows, discover, pages) for k in range(len(jobs))]
            walked = list(done[:len(flows)])
            found = done[len(flows):len(flows) + len(discover)]
            scanned = tuple(done[len(flows) + len(discover):])
            walked += [r for _, r in found if r is not None]
            audited = list(scanned) + [st.page for r in walked for st in r.steps if st.page is not None]
            return AuditRun(tool=TOOL_NAME, version=__version__, browser=browser_info(shared, audited),
                            settings=settings, started_at=started, finished_at=utc_now(), pages=scanned,
                            flows=tuple(walked), discoveries=tuple(d for d, _ in found))

    run = run_cancellable(main())
    from auditor.registry import discover as discover_checks
    from auditor.report import html_report
    json_report.write(run, json_path)
    html_report.write(run, html_path, out_dir, discover_checks(), cfg.tracker_files)
    for path in (json_path, html_path):  # belt and braces: no secret of the test identity in any report
        _redact(path, secrets)
    out_console = SafeConsole(highlight=False, soft_wrap=True)
    console_report.show(run, out_console)
    out_console.print(f"reports: {json_path}  {html_path}", markup=False, style="dim")
    if interrupted:
        raise KeyboardInterrupt
    return exit_code_for(run, settings.fail_on)


def _interrupted_job(k: int, flows, discover, pages):
    """What an unfinished job of an interrupted run is reported as."""
    from auditor.engine import interrupted_page
    from auditor.models import Discovery, FlowResult
    if k < len(flows):
        fl = flows[k]
        return FlowResult(name=fl.name, path=str(fl.path), start=fl.start, complete=False,
                          error="interrupted: the run was stopped before this flow finished")
    k -= len(flows)
    if k < len(discover):
        url, journey = discover[k]
        return Discovery(start=url, journey=journey, stopped="interrupted: the run was stopped"), None
    return interrupted_page(pages[k - len(discover)])


def run_cancellable(coro):
    """``asyncio.run`` where SIGTERM stops the run as Ctrl-C does: the running task is cancelled, so that what is
    done is still reported; raises KeyboardInterrupt when the coroutine ended cancelled."""
    async def main():
        task = asyncio.current_task()
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread, or no signals here
        return await coro
    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None


def _flow_slug(url: str) -> str:
    """A file-name part for flows discovered from ``url``: host and path, e.g. shop-example-com-en-index."""
    parts = urlsplit(url)
    text = f"{parts.hostname or ''}{'-' + str(parts.port) if parts.port else ''}{parts.path}"
    text = re.sub(r"\.html?$", "", text)
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60] or "site"


def _redact(path: Path, secrets: set[str]) -> None:
    text = path.read_text(encoding="utf-8")
    clean = text
    for s in sorted(secrets, key=len, reverse=True):
        if len(s) >= 4:
            clean = clean.replace(s, "•" * 8)
    if clean != text:
        path.write_text(clean, encoding="utf-8")


# options shared by scan and flow
OUT = typer.Option("auditor-out", "--out", help="Folder for screenshots, snapshots, traces and reports.")
JSON_PATH = typer.Option(None, "--json", help="JSON report path (default OUT/report.json).")
HTML_PATH = typer.Option(None, "--html", help="HTML report path (default OUT/report.html).")
FAIL_ON = typer.Option("low", "--fail-on", help="Lowest severity that makes the exit code 1.")
TIMEOUT = typer.Option(30.0, "--timeout", help="Seconds a page may take to load.")
BROWSER = typer.Option(None, "--browser", help="Chromium executable (or AUDITOR_BROWSER).")
CONFIG = typer.Option(None, "--config", help="TOML file with [thresholds] and [lexicon].")
QUIET_MS = typer.Option(200, "--quiet-ms", help="A page is settled after this long without change.")
SETTLE_CAP_MS = typer.Option(6000, "--settle-cap-ms", help="Wait at most this long for a page to settle.")
EVIDENCE = typer.Option(True, "--evidence/--no-evidence", help="Write screenshots and crops.")
TRACE = typer.Option(False, "--trace", help="Save a Playwright trace per walked flow (playwright show-trace FILE).")
WALK_CONCURRENCY = typer.Option(2, "--concurrency", help="Flows (or journeys to discover) walked at the same time.")


@app.command()
def scan(
    urls: List[str] = typer.Argument(..., help="Pages to audit (http/https URLs or local HTML files)."),
    out: str = OUT, json_path: Optional[str] = JSON_PATH, html_path: Optional[str] = HTML_PATH,
    fail_on: str = FAIL_ON, timeout: float = TIMEOUT,
    viewport: str = typer.Option("1280x800", "--viewport", help="Window size WIDTHxHEIGHT."),
    locale: str = typer.Option("en-US", "--locale", help="Browser locale (Accept-Language, navigator.language)."),
    browser: Optional[str] = BROWSER, config: Optional[str] = CONFIG, quiet_ms: int = QUIET_MS,
    settle_cap_ms: int = SETTLE_CAP_MS,
    concurrency: int = typer.Option(3, "--concurrency", help="Pages audited at the same time."),
    evidence: bool = EVIDENCE,
    interact: bool = typer.Option(True, "--interact/--no-interact",
                                  help="Open a banner's settings and refuse consent in a fresh context (never accepts)."),
    discover: bool = typer.Option(False, "--discover",
                                  help="Also find each site's sign-up and checkout, write them as flow files "
                                       "(OUT/flows/) and walk them (as `auditor discover`)."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks; a failing check stops the run."),
) -> None:
    """Audit pages for pre-checked consent, hidden agreement text and missing opt-outs."""
    if discover:
        raise typer.Exit(_guard(debug, _run_discover, urls, "all", True, False, out, json_path, html_path, fail_on,
                                timeout, viewport, locale, browser, config, quiet_ms, settle_cap_ms, concurrency,
                                debug, evidence, False, True, interact))
    raise typer.Exit(_guard(debug, _run_scan, urls, out, json_path, html_path, fail_on, timeout, viewport, locale,
                            browser, config, quiet_ms, settle_cap_ms, concurrency, debug, evidence, interact))


@app.command()
def flow(
    files: List[str] = typer.Argument(..., help="Flow files (YAML; see fixtures/flows/README.md)."),
    base: Optional[str] = typer.Option(None, "--base", help="Origin for relative URLs in the flows, e.g. http://127.0.0.1:8000."),
    out: str = OUT, json_path: Optional[str] = JSON_PATH, html_path: Optional[str] = HTML_PATH,
    fail_on: str = FAIL_ON, timeout: float = TIMEOUT,
    viewport: str = typer.Option("1280x800", "--viewport", help="Window size WIDTHxHEIGHT (a flow's own wins)."),
    locale: str = typer.Option("en-US", "--locale", help="Browser locale (a flow's own wins)."),
    browser: Optional[str] = BROWSER, config: Optional[str] = CONFIG, quiet_ms: int = QUIET_MS,
    settle_cap_ms: int = SETTLE_CAP_MS,
    concurrency: int = WALK_CONCURRENCY, evidence: bool = EVIDENCE, trace: bool = TRACE,
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Walk signup and checkout flows step by step, auditing the page after every step."""
    raise typer.Exit(_guard(debug, _run_flows, files, base, out, json_path, html_path, fail_on, timeout, viewport,
                            locale, browser, config, quiet_ms, settle_cap_ms, concurrency, debug, evidence, trace))


@app.command("discover")
def discover_cmd(
    urls: List[str] = typer.Argument(..., help="Start pages (a shop's home page, a product page, ...)."),
    only: str = typer.Option("all", "--only", help="Which journey to find: signup, checkout or all."),
    walk: bool = typer.Option(True, "--walk/--no-walk",
                              help="Walk and audit the flows found (as `auditor flow`), or only write them."),
    allow_submit: bool = typer.Option(False, "--allow-submit",
                                      help="Let a discovered sign-up click its last button (create the account). "
                                           "A purchase is never completed by discovery."),
    out: str = OUT, json_path: Optional[str] = JSON_PATH, html_path: Optional[str] = HTML_PATH,
    fail_on: str = FAIL_ON, timeout: float = TIMEOUT,
    viewport: str = typer.Option("1280x800", "--viewport", help="Window size WIDTHxHEIGHT."),
    locale: str = typer.Option("en-US", "--locale", help="Browser locale; also the test identity's locale."),
    browser: Optional[str] = BROWSER, config: Optional[str] = CONFIG, quiet_ms: int = QUIET_MS,
    settle_cap_ms: int = SETTLE_CAP_MS,
    concurrency: int = WALK_CONCURRENCY, evidence: bool = EVIDENCE, trace: bool = TRACE,
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Find a site's sign-up and checkout from a start page, write them as flow files (OUT/flows/) and walk them."""
    raise typer.Exit(_guard(debug, _run_discover, urls, only, walk, allow_submit, out, json_path, html_path, fail_on,
                            timeout, viewport, locale, browser, config, quiet_ms, settle_cap_ms, concurrency, debug,
                            evidence, trace))


@checks_app.callback()
def checks_list(ctx: typer.Context) -> None:
    """List the checks."""
    if ctx.invoked_subcommand:
        return
    from auditor.registry import discover
    for s in discover():
        typer.echo(f"{s.id:24} {s.severity:7} {s.title}")


@checks_app.command("explain")
def checks_explain(check_id: str = typer.Argument(..., help="A check id, e.g. prechecked-consent.")) -> None:
    """Print a check's documentation."""
    from auditor.registry import discover
    specs = {s.id: s for s in discover()}
    if check_id not in specs:
        err.print(f"error: no check {check_id!r} (known: {', '.join(specs)})", markup=False)
        raise typer.Exit(ExitCode.USAGE)
    s = specs[check_id]
    typer.echo(f"{s.id}: {s.title}\nseverity: {s.severity}  tags: {', '.join(s.tags)}\n")
    typer.echo(s.doc.strip())


@app.command()
def replay(
    snapshots: List[str] = typer.Argument(..., help="Snapshot JSON files saved by a scan (OUT/snapshots/)."),
    debug: bool = typer.Option(False, "--debug"),
) -> None:
    """Judge saved snapshots again with the current checks (no browser)."""
    def run() -> ExitCode:
        from auditor.lexicon import load
        from auditor.models import PageSnapshot, from_dict
        from auditor.registry import CheckContext, discover, judge
        ctx = CheckContext(lexicon=load())
        found = False
        for path in snapshots:
            try:
                snap = from_dict(PageSnapshot, json.loads(Path(path).read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError, KeyError) as exc:
                raise UsageError(f"{path}: not a snapshot file ({exc})") from None
            for res in judge(snap, discover(), ctx, debug):
                for f in res.findings:
                    found = found or f.status == "fail"
                    typer.echo(f"{snap.url}\t{f.severity}\t{f.check}\t{f.message}")
        return ExitCode.FINDINGS if found else ExitCode.OK
    raise typer.Exit(_guard(debug, run))


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"consent-auditor {__version__}")


def _guard(debug: bool, fn, *args) -> int:
    """Run a command body; user errors become one line on stderr and their exit code."""
    try:
        return int(fn(*args))
    except AuditorError as exc:
        if debug:
            raise
        err.print(f"error: {exc}", markup=False)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted: the reports hold what was finished; the rest is marked interrupted", markup=False)
        return int(ExitCode.TARGET_FAILED)
    except Exception as exc:
        if debug:
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        err.print(f"error: internal error: {type(exc).__name__}: {first} (run with --debug for details)",
                  markup=False)
        return int(ExitCode.TARGET_FAILED)


def main() -> None:
    """The ``auditor`` command. A usage error found while parsing (an unknown option, a value of the wrong type
    such as ``--settle-cap-ms 1e12``, a missing argument) is one ``error:`` line and exit 2, like every other."""
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    try:
        code = app(prog_name="auditor", standalone_mode=False)
    except (typer.Abort, KeyboardInterrupt):
        err.print("interrupted", markup=False)
        sys.exit(int(ExitCode.TARGET_FAILED))
    except Exception as exc:
        # typer's own parsing errors (its bundled click's UsageError, BadParameter, NoSuchOption: exit code 2,
        # a format_message()); anything else is a bug and keeps its traceback
        if not hasattr(exc, "format_message") or getattr(exc, "exit_code", None) is None:
            raise
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":  # `auditor` alone: the help, as it is
            sys.stderr.write(exc.format_message().rstrip() + "\n")
            sys.exit(int(exc.exit_code))
        hint = f" (see: auditor {ctx.info_name} --help)" if ctx is not None and ctx.parent is not None else ""
        err.print(f"error: {exc.format_message()}{hint}", markup=False)
        sys.exit(int(exc.exit_code))
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()

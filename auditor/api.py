"""The public Python API. The command line, the pytest plugin and any script go through it::

    from auditor import Options, audit

    run = audit(["https://shop.example/signup"], options=Options(fail_on="medium", out_dir="auditor-out"))
    for finding in run.findings:
        print(finding.check, finding.message, finding.fingerprint)

``audit`` is synchronous; ``Auditor`` is the same over asyncio, keeping one browser open for several runs and
auditing live Playwright pages (``await auditor.inspect(page)``). Both return the :class:`AuditRun` the reports
are written from, with the project's policy applied: checks selected or ignored, severities overridden, per-URL
overrides, and the baseline (``Options.baseline``) compared.
"""

from __future__ import annotations

import asyncio
import dataclasses
import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from auditor import TOOL_NAME, __version__
from auditor.config import Config, Thresholds
from auditor.errors import ExitCode, UsageError
from auditor.models import (SEVERITY_RANK, AuditRun, CheckResult, Discovery, FlowResult, Origin, PageResult,
                            RunSettings)

#: what discovery looks for
JOURNEYS = ("signup", "checkout")


@dataclass(frozen=True)
class Override:
    """Settings for the pages whose address (or flows whose name) matches ``match``, a shell-style pattern
    (``*/checkout/*``) or, written ``re:...``, a regular expression; like Lighthouse CI's assertMatrix."""

    match: str
    select: tuple[str, ...] = ()  # only these checks count on matching pages
    ignore: tuple[str, ...] = ()  # these checks do not count on matching pages
    severity: tuple[tuple[str, str], ...] = ()  # (check id, low|medium|high)
    fail_on: str | None = None

    def matches(self, address: str) -> bool:
        if self.match.startswith("re:"):
            return re.search(self.match[3:], address) is not None
        return fnmatch.fnmatchcase(address, self.match)


@dataclass(frozen=True)
class Options:
    """Everything a run can be told. Every field has the command line's default."""

    out_dir: str | Path | None = None  # screenshots, snapshots and traces; None: no evidence files
    fail_on: str = "low"  # lowest severity that fails the run
    viewport: tuple[int, int] = (1280, 800)
    locale: str = "en-US"
    timeout: float = 30.0  # seconds a page may take to load
    quiet_ms: int = 200  # a page is settled after this long without change
    settle_cap_ms: int = 6000  # ... or after this long at most
    concurrency: int = 3  # pages (or flows) audited at the same time
    interact: bool = True  # open a banner's settings, refuse consent in a fresh context (never accepts)
    evidence: bool = True  # screenshots and crops (needs out_dir)
    trace: bool = False  # a Playwright trace per walked flow
    browser: str | None = None  # Chromium executable; None: found by itself
    debug: bool = False  # tracebacks; a failing check stops the run
    thresholds: Thresholds = Thresholds()
    lexicon_dirs: tuple[str, ...] = ()  # extra lexicon folders (word lists per language)
    languages: tuple[str, ...] = ()  # lexicon languages to load; () = all
    tracker_files: tuple[str, ...] = ()  # extra tracker lists
    select: tuple[str, ...] = ()  # only these checks run; () = all
    ignore: tuple[str, ...] = ()  # these checks do not run
    severity: tuple[tuple[str, str], ...] = ()  # (check id, severity) overrides
    overrides: tuple[Override, ...] = ()
    baseline: str | Path | None = None  # baseline file (TOML): known findings do not fail the run
    update_baseline: bool = False  # write the current findings into the baseline file
    prune_baseline: bool = True  # ... and drop the entries found fixed (False: only add; the pytest plugin, whose
    #                              audits each see one page at one moment, never decides a finding is gone)
    base: str | None = None  # origin for relative URLs in flow files
    journeys: tuple[str, ...] = JOURNEYS  # what discovery looks for
    walk_discovered: bool = True  # walk the flows discovery wrote
    allow_submit: bool = False  # let a discovered sign-up create the account (never a purchase)
    command: str = ""  # the command line, recorded in the report
    record: bool = False  # evidence packs: record HARs, MHTML, DOM, console, snapshots (needs out_dir)
    offline: tuple[tuple[str, str], ...] = ()  # replay: (address or "flow:NAME", HAR) served with no network
    mobile: bool = False  # a phone: touch, a mobile user agent (set the viewport too)
    timezone: str | None = None  # IANA time zone the browser reports; None: the machine's
    storage_state: str | None = None  # Playwright storage state (cookies, local storage) every context starts with
    headers: tuple[tuple[str, str], ...] = ()  # extra HTTP headers on every request

    def validate(self) -> "Options":
        """Raise :class:`UsageError` naming the option for a value out of range."""
        from auditor.registry import discover
        if self.fail_on not in SEVERITY_RANK:
            raise UsageError(f"fail-on: expected high, medium or low, got {self.fail_on!r}")
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value \
                    or value in (float("inf"), float("-inf")):
                raise UsageError(f"{name.replace('_', '-')}: expected a number from {low:g} to {high:g}, got {value!r}")
            if not (low <= value <= high):
                raise UsageError(f"{name.replace('_', '-')}: {value:g} is out of range ({low:g} to {high:g})")
        known = {s.id for s in discover()}
        for what, ids in (("select", self.select), ("ignore", self.ignore),
                          ("severity", tuple(k for k, _ in self.severity))):
            for cid in ids:
                if cid not in known:
                    raise UsageError(f"{what}: no check {cid!r} (known: {', '.join(sorted(known))})")
        for cid, sev in self.severity:
            if sev not in SEVERITY_RANK:
                raise UsageError(f"severity.{cid}: expected high, medium or low, got {sev!r}")
        for o in self.overrides:
            for cid in o.select + o.ignore + tuple(k for k, _ in o.severity):
                if cid not in known:
                    raise UsageError(f"overrides ({o.match}): no check {cid!r}")
            if o.fail_on is not None and o.fail_on not in SEVERITY_RANK:
                raise UsageError(f"overrides ({o.match}): fail-on: expected high, medium or low, got {o.fail_on!r}")
            if o.match.startswith("re:"):
                try:
                    re.compile(o.match[3:])
                except re.error as exc:
                    raise UsageError(f"overrides: match {o.match!r}: not a regular expression ({exc})") from None
        for j in self.journeys:
            if j not in JOURNEYS:
                raise UsageError(f"journeys: expected signup or checkout, got {j!r}")
        if self.baseline is not None and (not self.update_baseline or Path(self.baseline).exists()):
            from auditor import baseline
            baseline.load(Path(self.baseline))  # a bad baseline fails before any browser starts
        return self

    def engine(self):
        """The engine's options for this run."""
        from auditor.engine import AuditOptions
        from auditor.registry import discover
        settings = RunSettings(viewport=tuple(self.viewport), locale=self.locale, timeout=float(self.timeout),
                               quiet_ms=int(self.quiet_ms), settle_cap_ms=int(self.settle_cap_ms),
                               fail_on=self.fail_on, command=self.command, interact=self.interact)
        specs = None
        if self.select or self.ignore:
            specs = tuple(s for s in discover() if (not self.select or s.id in self.select) and s.id not in self.ignore)
        config = Config(self.thresholds, tuple(self.lexicon_dirs), tuple(self.languages), tuple(self.tracker_files))
        return AuditOptions(settings=settings, config=config, browser_path=self.browser,
                            out_dir=Path(self.out_dir) if self.out_dir is not None else None,
                            concurrency=int(self.concurrency), debug=self.debug, checks=specs,
                            evidence=self.evidence and self.out_dir is not None, record=self.record,
                            offline=tuple(self.offline), mobile=self.mobile, timezone=self.timezone,
                            storage_state=self.storage_state, headers=tuple(self.headers))


#: the accepted ranges of the numeric options (a value outside is a usage error, never a run that waits for ever
#: or starts thousands of pages)
LIMITS = {"timeout": (0.5, 600.0), "concurrency": (1, 16), "quiet_ms": (0, 10_000), "settle_cap_ms": (0, 120_000)}


@dataclass(frozen=True)
class Target:
    """A page or flow file to audit and where it was named (a config file's line), for reports that point there."""

    value: str  # an address or a flow file's path (or a Flow already read)
    origin: Origin | None = None


@dataclass
class Hooks:
    """What a front end hears as the run goes (all optional)."""

    on_start: Callable[[str], None] | None = None  # a page starts
    on_page: Callable[[PageResult], None] | None = None  # a scanned page finished
    on_flow: Callable[[int, FlowResult], None] | None = None  # a flow was walked (its number, the result)
    on_discovery: Callable[[Discovery], None] | None = None  # discovery finished for a start page and journey
    on_run: Callable[[AuditRun], None] | None = None  # the run is done; called in a thread while the browser closes
    inspect: Callable | None = None  # tests: async (live page, result) before a scanned page's context closes


def _targets(items: Iterable[str | Target | Path]) -> list[Target]:
    return [t if isinstance(t, Target) else Target(str(t)) for t in items]


class Auditor:
    """One browser for any number of runs::

        async with Auditor(Options(out_dir="out")) as auditor:
            run = await auditor.run(pages=["https://shop.example/"], flows=["flows/checkout.yaml"])
            result = await auditor.inspect(playwright_page)  # a page a test already drives

    ``browser``: a Playwright (async) browser the caller launched; it is used and left open.
    """

    def __init__(self, options: Options | None = None, *, browser=None):
        self.options = (options or Options()).validate()
        self._browser = browser
        self._session = None
        self._cm = None
        self._numbers = iter(range(1, 1_000_000))

    async def __aenter__(self) -> "Auditor":
        from auditor.engine import browser_session
        self._cm = browser_session(self.options.engine(), browser=self._browser)
        self._session = await self._cm.__aenter__()
        return self

    async def __aexit__(self, *exc) -> None:
        cm, self._cm, self._session = self._cm, None, None
        if cm is not None:
            await cm.__aexit__(*exc)

    @property
    def session(self):
        if self._session is None:
            raise RuntimeError("use the Auditor inside `async with Auditor(...) as auditor:`")
        return self._session

    async def run(self, pages: Sequence[str | Target] = (), flows: Sequence[str | Path | Target] = (),
                  discover: Sequence[str | Target] = (), hooks: Hooks | None = None) -> AuditRun:
        """Scan ``pages``, walk ``flows`` (flow files) and discover journeys from ``discover`` start pages in
        this browser; one AuditRun with the policy and the baseline applied. Cancelled (Ctrl-C, SIGTERM): the
        finished work is reported, the rest marked interrupted, ``hooks.on_run`` still called, then
        CancelledError goes on."""
        from auditor.engine import audit_page, browser_info, interrupted_page, utc_now
        hooks = hooks or Hooks()
        shared, opts = self.session, self.options
        page_targets, start_targets = _targets(pages), _targets(discover)
        loaded = [load_flow_target(t, opts.base) for t in _targets(flows)]
        eng = shared.options
        out_dir = eng.out_dir
        trace_dir = out_dir / "traces" if (opts.trace or eng.recording) and out_dir is not None else None
        flows_dir = (out_dir or Path.cwd() / "auditor-out") / "flows"
        started = utc_now()
        jobs_discover = [(t, j) for t in start_targets for j in opts.journeys]

        if loaded or jobs_discover:  # the flow runner and discovery are imported only for a run that walks
            from auditor.flows.discovery import discover_journey
            from auditor.flows.runner import walk

        async def walk_one(fl, origin):
            number = next(self._numbers)
            async with shared.semaphore:
                result = await walk(shared, fl, number, trace_dir)
            if hooks.on_flow:
                hooks.on_flow(number, result)
            return result

        async def discover_one(t: Target, journey: str):
            async with shared.semaphore:
                found, flow = await discover_journey(shared, t.value, journey, flows_dir, flow_slug(t.value),
                                                     allow_submit=opts.allow_submit)
            if hooks.on_discovery:
                hooks.on_discovery(found)
            result = await walk_one(flow, None) if flow is not None and opts.walk_discovered else None
            return found, result

        async def page_one(t: Target):
            number = next(self._numbers)  # a page's evidence files are numbered across the session's runs
            async with shared.semaphore:
                if hooks.on_start:
                    hooks.on_start(t.value)
                result = await audit_page(shared, number - 1, t.value, hooks.inspect)
            result = dataclasses.replace(result, origin=t.origin)
            if hooks.on_page:
                hooks.on_page(result)
            return result

        jobs = ([walk_one(fl, o) for fl, o in loaded] + [discover_one(t, j) for t, j in jobs_discover]
                + [page_one(t) for t in page_targets])
        finished: dict[int, object] = {}

        async def keep(k, job):
            finished[k] = await job
            return finished[k]

        interrupted = False
        try:
            done = await asyncio.gather(*(keep(k, job) for k, job in enumerate(jobs)))
        except asyncio.CancelledError:
            interrupted = True
            done = [finished.get(k) or _interrupted_job(k, loaded, jobs_discover, page_targets, interrupted_page)
                    for k in range(len(jobs))]
        walked = list(done[:len(loaded)])
        found = done[len(loaded):len(loaded) + len(jobs_discover)]
        scanned = tuple(done[len(loaded) + len(jobs_discover):])
        walked += [r for _, r in found if r is not None]
        audited = list(scanned) + [st.page for r in walked for st in r.steps if st.page is not None]
        run = AuditRun(tool=TOOL_NAME, version=__version__, browser=browser_info(shared, audited),
                       settings=eng.settings, started_at=started, finished_at=utc_now(), pages=scanned,
                       flows=tuple(walked), discoveries=tuple(d for d, _ in found))
        run = finish(run, opts)
        if hooks.on_run is not None:
            # the reports are written while Chromium and the driver shut down
            shared.while_closing.append(asyncio.get_running_loop().run_in_executor(None, hooks.on_run, run))
        if interrupted:
            raise asyncio.CancelledError()
        return run

    async def page(self, url: str | Target) -> PageResult:
        """Scan one page (policy applied; the baseline is not: see :meth:`run`)."""
        from auditor.engine import audit_page
        t = _targets([url])[0]
        async with self.session.semaphore:
            result = await audit_page(self.session, next(self._numbers), t.value)
        return apply_policy_page(dataclasses.replace(result, origin=t.origin), self.options)

    async def inspect(self, page, name: str | None = None) -> PageResult:
        """Audit a live Playwright (async) page as it is now: no reload, no click, nothing typed. Cookies and
        requests are those seen from this call on."""
        from auditor.engine import audit_live
        result = await audit_live(self.session, page, name or f"live-{next(self._numbers):03d}")
        return apply_policy_page(result, self.options)

    async def inspect_run(self, page, name: str | None = None) -> AuditRun:
        """:meth:`inspect` as a run of that one page, the policy and the baseline applied: what the reports,
        :func:`failing` and :func:`exit_code` take (the pytest plugin's audit)."""
        from auditor.engine import browser_info, utc_now
        result = await self.inspect(page, name)
        shared = self.session
        run = AuditRun(tool=TOOL_NAME, version=__version__, browser=browser_info(shared, [result]),
                       settings=shared.options.settings, started_at=result.started_at, finished_at=utc_now(),
                       pages=(result,))
        return finish(run, self.options)


def load_flow_target(t: Target, base: str | None):
    """A flow file read and checked (``UsageError`` naming the file and line for a bad one), with its origin."""
    from auditor.flows.spec import Flow, FlowError, load_flow
    if isinstance(t.value, Flow):
        return t.value, t.origin
    try:
        fl = load_flow(t.value, base)
    except FlowError as exc:
        raise UsageError(str(exc)) from None
    return fl, t.origin or Origin(str(t.value), 1)


def _interrupted_job(k: int, flows, discover, pages, interrupted_page):
    """What an unfinished job of an interrupted run is reported as."""
    if k < len(flows):
        fl, _ = flows[k]
        return FlowResult(name=fl.name, path=str(fl.path), start=fl.start, complete=False,
                          error="interrupted: the run was stopped before this flow finished")
    k -= len(flows)
    if k < len(discover):
        t, journey = discover[k]
        return Discovery(start=t.value, journey=journey, stopped="interrupted: the run was stopped"), None
    return interrupted_page(pages[k - len(discover)].value)


def flow_slug(url: str) -> str:
    """A file-name part for flows discovered from ``url``: host and path, e.g. shop-example-com-en-index."""
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    text = f"{parts.hostname or ''}{'-' + str(parts.port) if parts.port else ''}{parts.path}"
    text = re.sub(r"\.html?$", "", text)
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60] or "site"


async def audit_async(pages: Sequence[str | Target] = (), *, flows: Sequence[str | Path | Target] = (),
                      discover: Sequence[str | Target] = (), options: Options | None = None,
                      hooks: Hooks | None = None) -> AuditRun:
    """:func:`audit` for code already running an asyncio loop."""
    async with Auditor(options) as auditor:
        return await auditor.run(pages, flows, discover, hooks)


def audit(pages: Sequence[str | Target] = (), *, flows: Sequence[str | Path | Target] = (),
          discover: Sequence[str | Target] = (), options: Options | None = None, hooks: Hooks | None = None) -> AuditRun:
    """Audit pages, walk flow files and discover journeys in one browser; returns the run (see the module doc)."""
    return asyncio.run(audit_async(pages, flows=flows, discover=discover, options=options, hooks=hooks))


# --------------------------------------------------------------------------- policy, baseline, exit code


def _policy_for(address: str, options: Options, flow: str | None = None):
    """(ignored check ids, selected ids or None, severity overrides, fail-on) for a page, or a flow's step
    (``flow``: the flow's name; an override matches the step's address or the flow's name)."""
    ignore, select, severity, fail_on = set(), None, dict(options.severity), options.fail_on
    for o in options.overrides:
        if o.matches(address) or (flow is not None and o.matches(flow)):
            ignore |= set(o.ignore)
            if o.select:
                select = set(o.select) if select is None else select & set(o.select)
            severity.update(dict(o.severity))
            fail_on = o.fail_on or fail_on
    return ignore, select, severity, fail_on


def _apply_checks(checks: tuple[CheckResult, ...], policy) -> tuple[CheckResult, ...]:
    ignore, select, severity, _ = policy
    out = []
    for c in checks:
        if c.check in ignore or (select is not None and c.check not in select):
            continue
        if c.check in severity:
            c = dataclasses.replace(c, findings=tuple(dataclasses.replace(f, severity=severity[c.check])
                                                      for f in c.findings))
        out.append(c)
    return tuple(out)


def apply_policy_page(p: PageResult, options: Options, flow: str | None = None) -> PageResult:
    """One page with the per-check severities and the overrides that match it, and the fail-on that holds."""
    policy = _policy_for(p.url, options, flow)
    checks = _apply_checks(p.checks, policy) if (options.severity or options.overrides) else p.checks
    return dataclasses.replace(p, checks=checks, fail_on=policy[3])


def apply_policy(run: AuditRun, options: Options) -> AuditRun:
    """Per-check severities and the per-URL overrides (a flow's step matches by its address or the flow's name)."""
    pages = tuple(apply_policy_page(p, options) for p in run.pages)
    flows = tuple(dataclasses.replace(fl, steps=tuple(
        dataclasses.replace(st, page=apply_policy_page(st.page, options, fl.name)) if st.page is not None else st
        for st in fl.steps)) for fl in run.flows)
    return dataclasses.replace(run, pages=pages, flows=flows)


def finish(run: AuditRun, options: Options) -> AuditRun:
    """The policy, then the baseline: compared, and written when ``update_baseline``."""
    run = apply_policy(run, options)
    if options.baseline is not None:
        from auditor import baseline
        run = baseline.apply(run, Path(options.baseline), update=options.update_baseline,
                             prune=options.prune_baseline)
    return run


def fail_on_lookup(run: AuditRun, options: Options) -> Callable[[str], str]:
    """The fail-on of a page by its address, as the reports ask for it (the run's own for an unknown address)."""
    by_url = {p.url: p.fail_on for p in run.pages if p.fail_on}
    by_url.update({st.page.url: st.page.fail_on for fl in run.flows for st in fl.steps
                   if st.page is not None and st.page.fail_on and st.page.url not in by_url})
    return lambda address: by_url.get(address) or options.fail_on


def failing(run: AuditRun, options: Options) -> list:
    """The findings that fail the run: status fail, at or above the fail-on severity of their page (after the
    overrides), and not accepted by the baseline (new or expired)."""
    from auditor.report.sarif import fails  # the one rule, shared with every CI report
    pages = list(run.pages) + [st.page for fl in run.flows for st in fl.steps if st.page is not None]
    return [f for p in pages for f in p.findings if fails(f, p, options.fail_on)]


def exit_code(run: AuditRun, options: Options) -> ExitCode:
    """3 when a page could not be audited, a flow did not finish or discovery found no journey from a start
    page; else 1 when a finding fails the run (:func:`failing`); else 0."""
    if any(p.error for p in run.pages) or any(not fl.complete for fl in run.flows):
        return ExitCode.TARGET_FAILED
    starts = {d.start for d in run.discoveries}
    if any(not any(d.found for d in run.discoveries if d.start == s) for s in starts):
        return ExitCode.TARGET_FAILED
    return ExitCode.FINDINGS if failing(run, options) else ExitCode.OK


def secrets(flows: Iterable, options: Options) -> set[str]:
    """The test identity's secrets (password, card number) of these flows and of discovery: never in a report."""
    from auditor.flows.identity import make_identity
    out = set(make_identity(options.locale, 1).secrets())
    for fl in flows:
        out |= set(make_identity(getattr(fl, "locale", None) or options.locale, getattr(fl, "seed", 1)).secrets())
    return out

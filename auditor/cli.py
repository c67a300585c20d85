"""The command line. Thin: reads the project config and the flags, calls the public API (auditor.api), writes
the reports and maps errors to exit codes (auditor.errors)."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import signal
import sys
from pathlib import Path
from typing import List, Optional

import typer
from auditor.report.console import SafeConsole

from auditor import __version__
from auditor.errors import AuditorError, ExitCode, UsageError
from auditor.models import SEVERITY_RANK
from auditor.targets import normalise_target, parse_viewport

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, help="Find consent dark patterns on web pages in a real Chromium.")
checks_app = typer.Typer(help="List the checks or explain one.", invoke_without_command=True)
app.add_typer(checks_app, name="checks")
keys_app = typer.Typer(help="Signing keys for evidence packs (Ed25519).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

err = SafeConsole(stderr=True, highlight=False, soft_wrap=True)


def check_number(option: str, value: float) -> None:
    """A numeric flag in its range (auditor.api.LIMITS), else a usage error naming the flag."""
    from auditor.api import LIMITS
    low, high = LIMITS[option.lstrip("-").replace("-", "_")]
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UsageError(f"{option}: expected a number from {low:g} to {high:g}, got {value!r}")
    if not (low <= value <= high):
        raise UsageError(f"{option}: {value:g} is out of range ({low:g} to {high:g})")


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


def _split(values) -> list[str] | None:
    """Repeated or comma-separated option values (--ignore a,b --ignore c)."""
    if not values:
        return None
    return [v.strip() for item in values for v in str(item).split(",") if v.strip()]


class Invocation:
    """One command's configuration: the project config with the environment and the flags on top, as API
    options, plus the report paths."""

    def __init__(self, flags: dict, config: str | None, debug: bool, **extra):
        from auditor import project
        for option, key in (("--timeout", "timeout"), ("--concurrency", "concurrency"), ("--quiet-ms", "quiet-ms"),
                            ("--settle-cap-ms", "settle-cap-ms")):
            if flags.get(key) is not None:
                check_number(option, flags[key])
        if flags.get("fail-on") is not None and flags["fail-on"] not in SEVERITY_RANK:
            raise UsageError(f"--fail-on: expected high, medium or low, got {flags['fail-on']!r}")
        if flags.get("viewport") is not None:
            parse_viewport(flags["viewport"])
        self.project = project.load(config, flags)
        self.options = self.project.validated_options(debug=debug, command=" ".join(["auditor"] + sys.argv[1:]),
                                                      **extra)
        out = Path(self.project.get("out"))
        self.out_dir = out
        self.outputs = {
            "json": Path(self.project.get("json") or out / "report.json"),
            "html": Path(self.project.get("html") or out / "report.html"),
            **{k: Path(self.project.get(k)) for k in ("sarif", "junit", "markdown") if self.project.get(k)},
        }
        self.pack_dir: Path | None = None
        self.pack = None
        for kind, path in self.outputs.items():  # a report that cannot be written is known before the run
            if path.is_dir():
                raise UsageError(f"--{kind} {path}: is a folder, expected a file name")
            if path.parent.exists() and not path.parent.is_dir():
                raise UsageError(f"--{kind} {path}: {path.parent} is not a folder")

    def pages(self, urls) -> list:
        """The pages named on the command line, else the config's ``urls`` (with the line that names each)."""
        from auditor.api import Target
        if urls:
            return [Target(normalise_target(u)) for u in urls]
        return [Target(self._target(u, origin), origin) for u, origin in self.project.targets("urls")]

    def flows(self, files) -> list:
        from auditor.api import Target
        if files:
            return [Target(f) for f in files]
        return [Target(f, origin) for f, origin in self.project.targets("flows")]

    def starts(self, urls) -> list:
        from auditor.api import Target
        if urls:
            return [Target(normalise_target(u)) for u in urls]
        return [Target(self._target(u, origin), origin) for u, origin in self.project.targets("discover")]

    @staticmethod
    def _target(value: str, origin) -> str:
        try:
            return normalise_target(value)
        except UsageError as exc:
            raise UsageError(f"{origin.file}:{origin.line}: {exc}" if origin else str(exc)) from None


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


def _on_flow(number, result) -> None:
    new = sum(1 for f in result.findings if f.status == "fail")
    state = "complete" if result.complete else f"incomplete: {result.error}"
    err.print(f"[flow {number}] {result.name}: {max(0, len(result.steps) - 1)} step(s), {new} finding(s); {state}",
              markup=False, style="dim" if result.complete else "red")


def _on_discovery(found) -> None:
    if found.found:
        err.print(f"[discover] {found.journey} from {found.start}: {found.steps} step(s) in {found.seconds:.1f} s, "
                  f"written to {found.file}; {found.stopped}", markup=False, style="dim")
    else:
        err.print(f"[discover] {found.journey} from {found.start}: not found ({found.stopped})", markup=False,
                  style="red")


def repository_root() -> Path:
    """What code scanning and annotations resolve file paths against: $GITHUB_WORKSPACE on GitHub Actions, else
    the repository around the working directory (the folder with .git), else the working directory. A CI step
    run from a subfolder still points at the right file."""
    here = Path.cwd().resolve()
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace and (here == Path(workspace).resolve() or Path(workspace).resolve() in here.parents):
        return Path(workspace).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def write_reports(run, outputs: dict, out_dir: Path, options, secrets: set[str]) -> list[Path]:
    """Every report asked for, from the one AuditRun; no secret of the test identity in any of them."""
    from auditor import api
    from auditor.registry import discover as discover_checks
    from auditor.report import html_report, json_report
    specs = discover_checks()
    written = []

    fail_on = api.fail_on_lookup(run, options)  # per-URL overrides of --fail-on
    for kind, path in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "json":
            json_report.write(run, path)
        elif kind == "html":
            html_report.write(run, path, out_dir, specs, options.tracker_files)
        elif kind == "sarif":
            from auditor import baseline
            from auditor.report import sarif
            entries = {}
            if run.baseline is not None and Path(run.baseline.path).exists():
                entries = {e.fingerprint: e for e in baseline.load(Path(run.baseline.path))}
            sarif.write(run, path, specs, root=repository_root(), out_dir=out_dir, entries=entries)
        elif kind == "junit":
            from auditor.report import junit
            junit.write(run, path, specs, out_dir=out_dir, fail_on=fail_on)
        elif kind == "markdown":
            from auditor.report import markdown
            markdown.write(run, path, specs, fail_on=fail_on)
        redact_file(path, secrets)
        written.append(path)
    return written


def _pack_invocation(kw: dict, extra: dict) -> tuple:
    """The evidence-pack flags of a command: (pack folder, PackOptions) or (None, None); checked before any
    browser starts (a bad key, TSA address or redaction pattern, a folder that is not new)."""
    if not kw.get("pack"):
        for flag in ("key", "tsa", "operator", "case", "redact", "organisation", "contact", "description"):
            if kw.get(flag):
                raise UsageError(f"--{flag} belongs to an evidence pack: add --pack DIR")
        return None, None
    from auditor.evidence.pack import PackOptions, check_destination
    if kw.get("evidence") is False:
        raise UsageError("--pack needs the evidence (screenshots): drop --no-evidence")
    pack_dir = Path(kw["pack"])
    check_destination(pack_dir)
    opts = PackOptions(key=kw.get("key"), tsa=kw.get("tsa"), operator=kw.get("operator") or "",
                       case=kw.get("case") or "", organisation=kw.get("organisation") or "",
                       contact=kw.get("contact") or "", description=kw.get("description") or "",
                       redact=tuple(kw.get("redact") or ())).validate()
    extra["record"] = True
    return pack_dir, opts


def _seal(inv: Invocation, run, secrets: set[str]) -> int:
    """Write, seal and verify the evidence pack of a finished run; the exit code it adds (0 or 3)."""
    from auditor.evidence import pack, verify
    try:
        made = pack.build(run, inv.out_dir, inv.pack_dir, inv.pack, secrets=secrets, browser_path=inv.options.browser,
                          tracker_files=inv.options.tracker_files,
                          policy={"select": list(inv.options.select), "ignore": list(inv.options.ignore),
                                  "severity": [list(x) for x in inv.options.severity]})
    except AuditorError as exc:
        err.print(f"error: evidence pack: {exc}", markup=False)
        return int(ExitCode.TARGET_FAILED)
    verdict = verify.verify(made.path)
    seal = (f"signed by {made.signed_by}" if made.signed_by else "not signed") + \
        (f", timestamp {made.timestamp}" if made.timestamp else "")
    err.print(f"evidence pack: {made.path} ({made.files} files, {made.bytes / 1e6:.1f} MB, {seal}; "
              f"{made.seconds:.1f} s){'; verified' if verdict.intact else ''}", markup=False)
    for problem in made.problems:
        err.print(f"warning: evidence pack: {problem}", markup=False)
    if not verdict.intact:
        for line in verdict.lines():
            err.print(f"error: evidence pack: {line}", markup=False)
        return int(ExitCode.TARGET_FAILED)
    return int(ExitCode.TARGET_FAILED) if made.problems and inv.pack.tsa and not made.timestamp else 0


def _execute(inv: Invocation, pages=(), flows=(), starts=()) -> ExitCode:
    """Run the API over the targets in one browser; reports are written while the browser closes."""
    from auditor import api
    from auditor.report import console as console_report
    if not (pages or flows or starts):
        raise UsageError("nothing to audit: name the targets on the command line, or list them in the project "
                         "config (`urls` for scan, `flows` for flow, `discover` for discover; `auditor run` takes all)")
    # every flow file is read and checked before a browser starts, once
    flows = [api.Target(*api.load_flow_target(t, inv.options.base)) for t in flows]
    loaded = [t.value for t in flows]
    inv.out_dir.mkdir(parents=True, exist_ok=True)
    _preload_reports()
    # the test identity (Faker, 0.3 s to import) only exists where a flow is walked
    secrets = api.secrets(loaded, inv.options) if (flows or starts) else set()
    hooks = api.Hooks(on_page=_page_stream(inv.out_dir, len(pages)) if pages else None,
                      on_flow=_on_flow, on_discovery=_on_discovery)
    holder: dict = {}

    def on_run(run):
        holder["run"] = run
        holder["written"] = write_reports(run, inv.outputs, inv.out_dir, inv.options, secrets)
    hooks.on_run = on_run
    interrupted = False
    try:
        run = run_cancellable(api.audit_async(pages, flows=flows, discover=starts, options=inv.options, hooks=hooks))
    except KeyboardInterrupt:
        interrupted = True
        run = holder.get("run")
        if run is None:
            raise
    out_console = SafeConsole(highlight=False, soft_wrap=True)
    console_report.show(run, out_console)
    out_console.print("reports: " + "  ".join(str(p) for p in holder.get("written", [])), markup=False, style="dim")
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from auditor.report import annotations
        annotations.emit(run, sys.stdout, root=repository_root(), fail_on=api.fail_on_lookup(run, inv.options))
    sealed = _seal(inv, run, secrets) if inv.pack_dir is not None else 0
    if interrupted:
        raise KeyboardInterrupt
    return ExitCode(max(int(api.exit_code(run, inv.options)), sealed))


def run_cancellable(coro):
    """``asyncio.run`` where SIGTERM stops the run as Ctrl-C does: the running task is cancelled, so that what is
    done is still reported; raises KeyboardInterrupt when the coroutine ended cancelled."""
    import asyncio

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


def redact_file(path: Path, secrets: set[str]) -> None:
    """Belt and braces: no secret of the test identity in a written report."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    clean = text
    for s in sorted(secrets, key=len, reverse=True):
        if len(s) >= 4:
            clean = clean.replace(s, "•" * 8)
    if clean != text:
        path.write_text(clean, encoding="utf-8")


# options every auditing command shares; None means "not given" (the project config or the default decides)
OUT = typer.Option(None, "--out", help="Folder for screenshots, snapshots, traces and reports [default: auditor-out].")
JSON_PATH = typer.Option(None, "--json", help="JSON report path (default OUT/report.json).")
HTML_PATH = typer.Option(None, "--html", help="HTML report path (default OUT/report.html).")
SARIF_PATH = typer.Option(None, "--sarif", help="SARIF 2.1.0 report for code scanning (GitHub, GitLab).")
JUNIT_PATH = typer.Option(None, "--junit", help="JUnit XML report for CI test reports.")
MARKDOWN_PATH = typer.Option(None, "--markdown", help="Markdown summary ($GITHUB_STEP_SUMMARY, merge-request notes).")
FAIL_ON = typer.Option(None, "--fail-on", help="Lowest severity that makes the exit code 1 [default: low].")
TIMEOUT = typer.Option(None, "--timeout", help="Seconds a page may take to load [default: 30].")
BROWSER = typer.Option(None, "--browser", help="Chromium executable (or AUDITOR_BROWSER).")
CONFIG = typer.Option(None, "--config", help="Project config (TOML); default: consent-auditor.toml or "
                                             "[tool.consent-auditor] in pyproject.toml, found from here upwards.")
QUIET_MS = typer.Option(None, "--quiet-ms", help="A page is settled after this long without change [default: 200].")
SETTLE_CAP_MS = typer.Option(None, "--settle-cap-ms", help="Wait at most this long for a page to settle [default: 6000].")
EVIDENCE = typer.Option(None, "--evidence/--no-evidence", help="Write screenshots and crops [default: on].")
TRACE = typer.Option(None, "--trace", help="Save a Playwright trace per walked flow (playwright show-trace FILE).")
BASELINE = typer.Option(None, "--baseline", help="Baseline file (TOML): findings listed there do not fail the run.")
UPDATE_BASELINE = typer.Option(False, "--update-baseline",
                               help="Write the current findings into the baseline file (kept: reason, owner, "
                                    "expires; new ones marked not reviewed).")
SELECT = typer.Option(None, "--select", help="Only these checks (repeat or comma-separate).")
IGNORE = typer.Option(None, "--ignore", help="Leave these checks out (repeat or comma-separate).")
VIEWPORT = typer.Option(None, "--viewport", help="Window size WIDTHxHEIGHT [default: 1280x800].")
LOCALE = typer.Option(None, "--locale", help="Browser locale (Accept-Language, navigator.language) [default: en-US].")
WALK_CONCURRENCY = typer.Option(None, "--concurrency", help="Flows (or journeys to discover) walked at the same time [default: 2].")
DEBUG = typer.Option(False, "--debug", help="Show tracebacks; a failing check stops the run.")
PACK = typer.Option(None, "--pack", help="Also write a sealed evidence pack (BagIt) to this new folder.")
KEY = typer.Option(None, "--key", help="Sign the evidence pack with this Ed25519 private key (auditor keys generate).")
TSA = typer.Option(None, "--tsa", help="Get an RFC 3161 trusted timestamp for the pack from this authority (URL).")
OPERATOR = typer.Option(None, "--operator", help="Who makes the pack (recorded in it and in its custody log).")
CASE = typer.Option(None, "--case", help="Case or complaint reference (recorded in the pack).")
REDACT = typer.Option(None, "--redact", help="Redact from the pack before sealing: email, phone, card, token or a "
                                             "regular expression (repeat).")
ORGANISATION = typer.Option(None, "--organisation", help="Source organisation (the pack's bag-info.txt).")
CONTACT = typer.Option(None, "--contact", help="Contact name or e-mail (the pack's bag-info.txt).")
DESCRIPTION = typer.Option(None, "--description", help="What the pack is about (the pack's bag-info.txt).")


def _flags(**kw) -> dict:
    """The flags as project-config keys (None: not given)."""
    names = {"out": "out", "json_path": "json", "html_path": "html", "sarif": "sarif", "junit": "junit",
             "markdown": "markdown", "fail_on": "fail-on", "timeout": "timeout", "browser": "browser",
             "quiet_ms": "quiet-ms", "settle_cap_ms": "settle-cap-ms", "evidence": "evidence", "trace": "trace",
             "baseline": "baseline", "viewport": "viewport", "locale": "locale", "concurrency": "concurrency",
             "interact": "interact", "base": "base"}
    out = {names[k]: v for k, v in kw.items() if k in names}
    out["select"], out["ignore"] = _split(kw.get("select")), _split(kw.get("ignore"))
    return out


def walk_default_concurrency(inv: Invocation) -> None:
    """Flows and discovery walk two at a time unless told otherwise (each walk holds a page for long)."""
    if "concurrency" not in inv.project.values:
        inv.options = dataclasses.replace(inv.options, concurrency=2)


def _invocation(kw: dict, **extra) -> Invocation:
    """The command's configuration from its parameters (``kw``: the command function's locals)."""
    pack_dir, pack_opts = _pack_invocation(kw, extra)
    inv = Invocation(_flags(**kw), kw.get("config"), kw.get("debug", False),
                     update_baseline=bool(kw.get("update_baseline")), **extra)
    inv.pack_dir, inv.pack = pack_dir, pack_opts
    if inv.options.update_baseline and inv.options.baseline is None:
        raise UsageError("--update-baseline needs a baseline file: --baseline FILE or `baseline` in the project config")
    return inv


@app.command()
def scan(
    urls: Optional[List[str]] = typer.Argument(None, help="Pages to audit (http/https URLs or local HTML files); "
                                                         "default: the project config's urls."),
    out: Optional[str] = OUT, json_path: Optional[str] = JSON_PATH, html_path: Optional[str] = HTML_PATH,
    sarif: Optional[str] = SARIF_PATH, junit: Optional[str] = JUNIT_PATH, markdown: Optional[str] = MARKDOWN_PATH,
    fail_on: Optional[str] = FAIL_ON, timeout: Optional[float] = TIMEOUT, viewport: Optional[str] = VIEWPORT,
    locale: Optional[str] = LOCALE, browser: Optional[str] = BROWSER, config: Optional[str] = CONFIG,
    quiet_ms: Optional[int] = QUIET_MS, settle_cap_ms: Optional[int] = SETTLE_CAP_MS,
    concurrency: Optional[int] = typer.Option(None, "--concurrency", help="Pages audited at the same time [default: 3]."),
    evidence: Optional[bool] = EVIDENCE,
    interact: Optional[bool] = typer.Option(None, "--interact/--no-interact",
                                            help="Open a banner's settings and refuse consent in a fresh context "
                                                 "(never accepts) [default: on]."),
    discover: bool = typer.Option(False, "--discover",
                                  help="Also find each site's sign-up and checkout, write them as flow files "
                                       "(OUT/flows/) and walk them (as `auditor discover`)."),
    baseline: Optional[str] = BASELINE, update_baseline: bool = UPDATE_BASELINE,
    select: Optional[List[str]] = SELECT, ignore: Optional[List[str]] = IGNORE,
    pack: Optional[str] = PACK, key: Optional[str] = KEY, tsa: Optional[str] = TSA, operator: Optional[str] = OPERATOR,
    case: Optional[str] = CASE, redact: Optional[List[str]] = REDACT, organisation: Optional[str] = ORGANISATION,
    contact: Optional[str] = CONTACT, description: Optional[str] = DESCRIPTION,
    debug: bool = DEBUG,
) -> None:
    """Audit pages for pre-checked consent, hidden agreement text and missing opt-outs."""
    kw = dict(locals())

    def body():
        inv = _invocation(kw)
        pages = inv.pages(urls)
        bad = [t.value for t in pages if discover and not t.value.startswith(("http:", "https:"))]
        if bad:
            raise UsageError(f"{bad[0]}: discovery needs an http(s) site (a flow cannot be scoped to a file)")
        return _execute(inv, pages=pages, starts=pages if discover else ())
    raise typer.Exit(_guard(debug, body))


@app.command()
def flow(
    files: Optional[List[str]] = typer.Argument(None, help="Flow files (YAML; see fixtures/flows/README.md); "
                                                          "default: the project config's flows."),
    base: Optional[str] = typer.Option(None, "--base", help="Origin for relative URLs in the flows, e.g. http://127.0.0.1:8000."),
    out: Optional[str] = OUT, json_path: Optional[str] = JSON_PATH, html_path: Optional[str] = HTML_PATH,
    sarif: Optional[str] = SARIF_PATH, junit: Optional[str] = JUNIT_PATH, markdown: Optional[str] = MARKDOWN_PATH,
    fail_on: Optional[str] = FAIL_ON, timeout: Optional[float] = TIMEOUT,
    viewport: Optional[str] = typer.Option(None, "--viewport", help="Window size WIDTHxHEIGHT (a flow's own wins)."),
    locale: Optional[str] = typer.Option(None, "--locale", help="Browser locale (a flow's own wins)."),
    browser: Optional[str] = BROWSER, config: Optional[str] = CONFIG, quiet_ms: Optional[int] = QUIET_MS,
    settle_cap_ms: Optional[int] = SETTLE_CAP_MS,
    concurrency: Optional[int] = WALK_CONCURRENCY, evidence: Optional[bool] = EVIDENCE, trace: Optional[bool] = TRACE,
    baseline: Optional[str] = BASELINE, update_baseline: bool = UPDATE_BASELINE,
    select: Optional[List[str]] = SELECT, ignore: Optional[List[str]] = IGNORE,
    pack: Optional[str] = PACK, key: Optional[str] = KEY, tsa: Optional[str] = TSA, operator: Optional[str] = OPERATOR,
    case: Optional[str] = CASE, redact: Optional[List[str]] = REDACT, organisation: Optional[str] = ORGANISATION,
    contact: Optional[str] = CONTACT, description: Optional[str] = DESCRIPTION,
    debug: bool = DEBUG,
) -> None:
    """Walk signup and checkout flows step by step, auditing the page after every step."""
    kw = dict(locals())

    def body():
        if base is not None and not re.match(r"^https?://[^/]+", base):
            raise UsageError(f"--base {base!r}: expected an http(s) origin such as http://127.0.0.1:8000")
        inv = _invocation(kw, interact=False)
        walk_default_concurrency(inv)
        return _execute(inv, flows=inv.flows(files))
    raise typer.Exit(_guard(debug, body))


@app.command("discover")
def discover_cmd(
    urls: Optional[List[str]] = typer.Argument(None, help="Start pages (a shop's home page, a product page, ...); "
                                                         "default: the project config's discover list."),
    only: str = typer.Option("all", "--only", help="Which journey to find: signup, checkout or all."),
    walk: bool = typer.Option(True, "--walk/--no-walk",
                              help="Walk and audit the flows found (as `auditor flow`), or only write them."),
    allow_submit: bool = typer.Option(False, "--allow-submit",
                                      help="Let a discovered sign-up click its last button (create the account). "
                                           "A purchase is never completed by discovery."),
    out: Optional[str] = OUT, json_path: Optional[str] = JSON_PATH, html_path: Optional[str] = HTML_PATH,
    sarif: Optional[str] = SARIF_PATH, junit: Optional[str] = JUNIT_PATH, markdown: Optional[str] = MARKDOWN_PATH,
    fail_on: Optional[str] = FAIL_ON, timeout: Optional[float] = TIMEOUT,
    viewport: Optional[str] = VIEWPORT,
    locale: Optional[str] = typer.Option(None, "--locale", help="Browser locale; also the test identity's locale."),
    browser: Optional[str] = BROWSER, config: Optional[str] = CONFIG, quiet_ms: Optional[int] = QUIET_MS,
    settle_cap_ms: Optional[int] = SETTLE_CAP_MS,
    concurrency: Optional[int] = WALK_CONCURRENCY, evidence: Optional[bool] = EVIDENCE, trace: Optional[bool] = TRACE,
    baseline: Optional[str] = BASELINE, update_baseline: bool = UPDATE_BASELINE,
    select: Optional[List[str]] = SELECT, ignore: Optional[List[str]] = IGNORE,
    pack: Optional[str] = PACK, key: Optional[str] = KEY, tsa: Optional[str] = TSA, operator: Optional[str] = OPERATOR,
    case: Optional[str] = CASE, redact: Optional[List[str]] = REDACT, organisation: Optional[str] = ORGANISATION,
    contact: Optional[str] = CONTACT, description: Optional[str] = DESCRIPTION,
    debug: bool = DEBUG,
) -> None:
    """Find a site's sign-up and checkout from a start page, write them as flow files (OUT/flows/) and walk them."""
    kw = dict(locals())

    def body():
        from auditor.api import JOURNEYS
        if only not in JOURNEYS + ("all",):
            raise UsageError(f"--only: expected signup, checkout or all, got {only!r}")
        inv = _invocation(kw, interact=False, journeys=JOURNEYS if only == "all" else (only,),
                          walk_discovered=walk, allow_submit=allow_submit)
        walk_default_concurrency(inv)
        starts = inv.starts(urls)
        bad = [t.value for t in starts if not t.value.startswith(("http:", "https:"))]
        if bad:
            raise UsageError(f"{bad[0]}: discovery needs an http(s) site (a flow cannot be scoped to a file)")
        return _execute(inv, starts=starts)
    raise typer.Exit(_guard(debug, body))


@app.command("run")
def run_cmd(
    out: Optional[str] = OUT, json_path: Optional[str] = JSON_PATH, html_path: Optional[str] = HTML_PATH,
    sarif: Optional[str] = SARIF_PATH, junit: Optional[str] = JUNIT_PATH, markdown: Optional[str] = MARKDOWN_PATH,
    fail_on: Optional[str] = FAIL_ON, base: Optional[str] = typer.Option(None, "--base", help="Origin for relative URLs in the flows."),
    config: Optional[str] = CONFIG, browser: Optional[str] = BROWSER,
    baseline: Optional[str] = BASELINE, update_baseline: bool = UPDATE_BASELINE,
    select: Optional[List[str]] = SELECT, ignore: Optional[List[str]] = IGNORE,
    debug: bool = DEBUG,
) -> None:
    """Audit everything the project config lists (urls, flows, discover) in one run: the CI gate."""
    kw = dict(locals())

    def body():
        inv = _invocation(kw)
        return _execute(inv, pages=inv.pages(None), flows=inv.flows(None), starts=inv.starts(None))
    raise typer.Exit(_guard(debug, body))


@app.command("config")
def config_cmd(
    config: Optional[str] = CONFIG,
    as_json: bool = typer.Option(False, "--json", help="Print the effective configuration as JSON."),
) -> None:
    """Print the effective configuration and where each value came from (file, environment, default)."""
    def body():
        from auditor import project
        p = project.load(config)
        p.validated_options()
        if as_json:
            typer.echo(json.dumps({"file": str(p.file) if p.file else None,
                                   "settings": {k: {"value": v, "source": p.sources.get(k, "default")}
                                                for k, v in p.effective().items()}}, indent=2, ensure_ascii=False))
        else:
            typer.echo(p.describe())
        return ExitCode.OK
    raise typer.Exit(_guard(False, body))


@app.command("schema")
def schema_cmd(name: str = typer.Argument(..., help="config, flow or report.")) -> None:
    """Print the JSON Schema of the project config, a flow file or the JSON report."""
    def body():
        from auditor.schemas import load
        if name not in ("config", "flow", "report"):
            raise UsageError(f"schema: expected config, flow or report, got {name!r}")
        typer.echo(json.dumps(load(name), indent=2, ensure_ascii=False))
        return ExitCode.OK
    raise typer.Exit(_guard(False, body))


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


@keys_app.command("generate")
def keys_generate(
    private: str = typer.Option("consent-auditor-key.pem", "--private", help="Where the private key goes (mode 0600)."),
    public: Optional[str] = typer.Option(None, "--public", help="Where the public key goes (default: PRIVATE with .pub.pem)."),
    force: bool = typer.Option(False, "--force", help="Replace existing key files."),
) -> None:
    """Make an Ed25519 key pair to sign evidence packs; prints the public key's fingerprint."""
    def body():
        from auditor.evidence import signing
        fp = signing.generate(private, public, force=force)
        pub = public or str(Path(private).with_name(Path(private).name.removesuffix(".pem") + ".pub.pem"))
        typer.echo(f"private key: {private} (keep it secret)\npublic key:  {pub} (give it to whoever verifies)\n"
                   f"fingerprint: {fp}")
        return ExitCode.OK
    raise typer.Exit(_guard(False, body))


@checks_app.command("docs")
def checks_docs() -> None:
    """Print every check's documentation as one Markdown page (docs/checks.md; reports link its sections)."""
    from auditor.registry import discover
    typer.echo(checks_markdown(discover()), nl=False)


def checks_markdown(specs) -> str:
    """The checks' documentation as Markdown: a section per check, its heading the check id (the anchor the
    SARIF, Markdown and JUnit reports link to)."""
    out = ["# The checks\n", "Generated from the checks' own documentation by `auditor checks docs`; "
           "`auditor checks explain ID` prints one.\n"]
    for s in specs:
        out.append(f"\n## {s.id}\n\n**{s.title}** · severity {s.severity} · tags {', '.join(s.tags)}"
                   f"{' · judges a walked flow' if s.scope == 'journey' else ''}\n\n")
        out.append(s.doc.strip().replace("\n## ", "\n### ") + "\n")
    return "".join(out)


@app.command("pack")
def pack_cmd(
    pack: str = typer.Argument(..., help="The new folder the pack is written to."),
    targets: Optional[List[str]] = typer.Argument(None, help="Pages (URLs, local HTML files) and flow files "
                                                            "(.yaml); default: the project config's urls and flows."),
    base: Optional[str] = typer.Option(None, "--base", help="Origin for relative URLs in the flows."),
    out: Optional[str] = OUT, fail_on: Optional[str] = FAIL_ON, timeout: Optional[float] = TIMEOUT,
    viewport: Optional[str] = VIEWPORT, locale: Optional[str] = LOCALE, browser: Optional[str] = BROWSER,
    config: Optional[str] = CONFIG,
    key: Optional[str] = KEY, tsa: Optional[str] = TSA, operator: Optional[str] = OPERATOR,
    case: Optional[str] = CASE, redact: Optional[List[str]] = REDACT, organisation: Optional[str] = ORGANISATION,
    contact: Optional[str] = CONTACT, description: Optional[str] = DESCRIPTION,
    select: Optional[List[str]] = SELECT, ignore: Optional[List[str]] = IGNORE,
    debug: bool = DEBUG,
) -> None:
    """Audit pages and walk flows, and seal everything seen into an evidence pack (as scan/flow --pack)."""
    kw = dict(locals())

    def body():
        inv = _invocation(kw)
        named = list(targets or [])
        flow_files = [t for t in named if t.lower().endswith((".yaml", ".yml"))]
        urls = [t for t in named if t not in flow_files]
        pages = inv.pages(urls) if named else inv.pages(None)
        flows = inv.flows(flow_files) if named else inv.flows(None)
        if named and not urls:
            pages = []
        return _execute(inv, pages=pages, flows=flows)
    raise typer.Exit(_guard(debug, body))


@app.command("verify")
def verify_cmd(
    pack: str = typer.Argument(..., help="An evidence pack (folder)."),
    key: Optional[str] = typer.Option(None, "--key", help="The public key the pack must be signed with (PEM)."),
    tsa_ca: Optional[str] = typer.Option(None, "--tsa-ca", help="CA certificate(s) the timestamp's signer must chain to."),
    operator: Optional[str] = typer.Option(None, "--operator", help="Who verifies (recorded in the custody log)."),
    read_only: bool = typer.Option(False, "--read-only", help="Do not add a \"verified\" record to the custody log "
                                                              "(one is added only when --key was checked)."),
) -> None:
    """Check an evidence pack: every file as sealed, nothing missing or added, signature, timestamp, custody.
    Exit 0 intact, 1 changed (each file named), 2 not a readable pack."""
    def body():
        from auditor.evidence import verify
        verdict = verify.verify(pack, key=key, tsa_ca=tsa_ca)
        out = SafeConsole(highlight=False, soft_wrap=True)
        if verdict.intact:
            for fact in verdict.facts:
                out.print(f"ok: {fact}", markup=False)
            for warning in verdict.warnings:
                out.print(f"warning: {warning}", markup=False)
            recorded = not read_only and verify.record(Path(pack), verdict, operator or "")
            why = ("" if recorded or read_only else " (no custody record added: " + (
                "only a verification against --key is recorded)" if not verdict.key_checked else "read-only)"))
            out.print(f"intact: {pack}" + ("" if verdict.key_checked else ", as sealed by whoever holds the key it "
                                                                          "carries") + why, markup=False)
            return ExitCode.OK
        for line in verdict.lines():
            out.print(line, markup=False)
        out.print(f"NOT intact: {pack}: {len(verdict.lines())} problem(s)", markup=False)
        return ExitCode.FINDINGS
    raise typer.Exit(_guard(False, body))


@app.command("export")
def export_cmd(
    pack: str = typer.Argument(..., help="An evidence pack (folder)."),
    archive: str = typer.Argument(..., help="The archive to write (NAME.zip or NAME.tar.gz)."),
    operator: Optional[str] = typer.Option(None, "--operator", help="Who exports (recorded in the custody log)."),
) -> None:
    """Record the export in the pack's custody log and write the pack as one archive (verified first)."""
    def body():
        import shutil
        import tempfile
        from auditor.evidence import custody, verify
        source = Path(pack).resolve()
        verdict = verify.verify(source)
        if not verdict.intact:
            for line in verdict.lines():
                err.print(f"error: {line}", markup=False)
            return ExitCode.FINDINGS
        dest = Path(archive).resolve()
        name = dest.name
        fmt, stem = ("zip", name[:-4]) if name.endswith(".zip") else ("gztar", name[:-7]) if name.endswith(
            ".tar.gz") else (None, "")
        if fmt is None or not stem:
            raise UsageError(f"{archive}: expected a NAME.zip or NAME.tar.gz")
        if dest.exists():
            raise UsageError(f"{archive}: exists (an export never writes over a file)")
        if dest == source or source in dest.parents:
            raise UsageError(f"{archive}: inside the pack (it would change what it archives)")
        log = source / custody.NAME
        before = log.read_bytes()
        custody.append(source, "exported", operator or "", archive=name)
        try:
            with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
                made = shutil.make_archive(str(Path(tmp) / stem), fmt, root_dir=str(source.parent),
                                           base_dir=source.name)
                os.replace(made, dest)
        except BaseException:
            log.write_bytes(before)  # no archive, no export record
            raise
        typer.echo(f"exported: {dest}")
        return ExitCode.OK
    raise typer.Exit(_guard(False, body))


@app.command()
def replay(
    sources: List[str] = typer.Argument(..., help="An evidence pack (folder), or snapshot JSON files saved by a "
                                                  "scan (OUT/snapshots/)."),
    render: bool = typer.Option(False, "--render", help="Load the pages again in Chromium from the pack's HAR "
                                                         "files (no network) and audit them anew."),
    out: Optional[str] = typer.Option(None, "--out", help="Folder for the replay's reports [default: auditor-replay]."),
    json_path: Optional[str] = JSON_PATH, html_path: Optional[str] = HTML_PATH, sarif: Optional[str] = SARIF_PATH,
    junit: Optional[str] = JUNIT_PATH, markdown: Optional[str] = MARKDOWN_PATH, fail_on: Optional[str] = FAIL_ON,
    browser: Optional[str] = BROWSER,
    select: Optional[List[str]] = SELECT, ignore: Optional[List[str]] = IGNORE,
    debug: bool = typer.Option(False, "--debug"),
) -> None:
    """Judge an evidence pack again with today's checks, offline, and say what changed (new, gone, same); or
    judge saved snapshot files. Exit 1 when findings at or above --fail-on remain."""
    kw = dict(locals())

    def run() -> ExitCode:
        if len(sources) == 1 and Path(sources[0]).is_dir():
            return _replay_pack(Path(sources[0]), kw)
        if render:
            raise UsageError("--render needs an evidence pack (a folder), not snapshot files")
        from auditor.lexicon import load
        from auditor.models import PageSnapshot, from_dict
        from auditor.registry import CheckContext, discover, judge
        ctx = CheckContext(lexicon=load())
        found = False
        for path in sources:
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


def _replay_pack(pack: Path, kw: dict) -> ExitCode:
    """``auditor replay PACK [--render]``: today's checks over the pack, compared with its own findings."""
    from auditor import api
    from auditor.evidence import replay as replaying
    from auditor.lexicon import load
    from auditor.registry import CheckContext
    original, data = replaying.load(pack)
    was = replaying.policy(pack)  # the pack's own selection, unless told otherwise
    out_dir = Path(kw.get("out") or "auditor-replay")
    outputs = {"json": Path(kw.get("json_path") or out_dir / "report.json"),
               "html": Path(kw.get("html_path") or out_dir / "report.html"),
               **{k: Path(kw[k]) for k in ("sarif", "junit", "markdown") if kw.get(k)}}
    if kw.get("fail_on") is not None and kw["fail_on"] not in SEVERITY_RANK:
        raise UsageError(f"--fail-on: expected high, medium or low, got {kw['fail_on']!r}")
    st = original.settings
    given = kw.get("select") or kw.get("ignore")
    select = tuple(_split(kw.get("select")) or ()) if given else tuple(was.get("select") or ())
    ignore = tuple(_split(kw.get("ignore")) or ()) if given else tuple(was.get("ignore") or ())
    severity = tuple(tuple(x) for x in was.get("severity") or () if isinstance(x, list) and len(x) == 2)
    options = api.Options(fail_on=kw.get("fail_on") or "low", select=select, ignore=ignore, severity=severity,
                          browser=kw.get("browser"),
                          debug=bool(kw.get("debug")), viewport=tuple(st.viewport), locale=st.locale,
                          interact=st.interact, command=" ".join(["auditor"] + sys.argv[1:])).validate()
    out_dir.mkdir(parents=True, exist_ok=True)
    if kw.get("render"):
        pages, flows, offline = replaying.render_targets(original, data)
        options = dataclasses.replace(options, out_dir=out_dir, offline=offline)
        secrets = api.secrets(flows, options)
        now = run_cancellable(api.audit_async(pages, flows=[api.Target(f) for f in flows], options=options))
        base = out_dir
    else:
        eng = options.engine()
        from auditor.registry import discover
        specs = eng.checks if eng.checks is not None else discover()
        now = api.finish(replaying.rejudge(original, specs, CheckContext(lexicon=load()), options.debug), options)
        base, secrets = data, set()
    diff = replaying.compare(original, now)
    (out_dir / "replay.json").write_text(json.dumps(diff.as_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    written = write_reports(now, outputs, base, options, secrets)
    out = SafeConsole(highlight=False, soft_wrap=True)
    how = "rendered again from the pack's HAR, offline" if kw.get("render") else "snapshots re-judged, no browser"
    out.print(f"replay of {pack} ({how}): {len(diff.same)} same, {len(diff.new)} new, {len(diff.gone)} gone",
              markup=False)
    for label, rows in (("new", diff.new), ("gone", diff.gone)):
        for r in rows:
            where = f"{r['flow']} step {r['step']}" if r.get("flow") else r["url"]
            out.print(f"  {label}: {r['check']} ({r['severity']}) at {where}: {r['message']}", markup=False)
    out.print("reports: " + "  ".join(str(p) for p in written + [out_dir / "replay.json"]), markup=False,
              style="dim")
    return api.exit_code(now, options)


@app.command("crawl")
def crawl_cmd(
    plan: str = typer.Argument(..., help="A crawl plan: a TOML file with a [crawl] section (or a project config)."),
    db: Optional[str] = typer.Option(None, "--db", help="The run history (SQLite) [default: the plan's db, or "
                                                         "NAME.sqlite next to the plan]."),
    resume: bool = typer.Option(False, "--resume", help="Finish the last run that did not finish (killed, "
                                                        "interrupted): only its unfinished targets are audited."),
    shard: Optional[str] = typer.Option(None, "--shard", help="Audit only shard I of N (I/N) of the targets, "
                                                              "for CI matrices; merge the shards with auditor merge."),
    json_path: Optional[str] = typer.Option(None, "--json", help="Write the diff against the previous run here."),
    broker: Optional[str] = typer.Option(None, "--broker", help="Send the targets to Celery workers through this "
                                                                "Redis (redis://HOST:6379/0; see auditor worker)."),
    debug: bool = DEBUG,
) -> None:
    """Crawl every site of a plan, store the run in the history, and say what changed since the last run
    (exit 1 when something is new)."""
    def body():
        from auditor.crawl import diff as diffing, plan as plans, runner
        from auditor.crawl.store import Store
        p = plans.load(plan)
        cut = None
        if shard is not None:
            m = re.fullmatch(r"(\d+)/(\d+)", shard)
            if not m or not (1 <= int(m.group(1)) <= int(m.group(2)) <= 1000):
                raise UsageError(f"--shard {shard!r}: expected I/N with 1 <= I <= N, e.g. 2/5")
            cut = (int(m.group(1)), int(m.group(2)))
        store = Store(db or p.db)
        resume_id = None
        if resume:
            unfinished = [r for r in store.runs(p.name) if r.status != "finished"]
            if not unfinished:
                raise UsageError(f"--resume: {store.path} has no unfinished run of {p.name!r}")
            resume_id = unfinished[-1].id
        tty = sys.stderr.isatty()

        def progress(event):
            if not tty:
                sys.stderr.write(json.dumps(event, ensure_ascii=False) + "\n")
                sys.stderr.flush()
            elif event["event"] == "target":
                what = f"{event['error']}" if event["error"] else f"{event['findings']} finding(s)"
                err.print(f"[{event['done']}/{event['total']}] {event['site']} {event['variant']} {event['target']}: "
                          f"{what}{' (retried)' if event['retried'] else ''}; ETA {event['eta_s']:.0f} s",
                          markup=False, style="dim")
            elif event["event"] in ("start", "problem", "end"):
                err.print(" ".join(f"{k}={v}" for k, v in event.items()), markup=False, style="dim")
        if broker is not None:
            if not broker.startswith(("redis://", "rediss://")):
                raise UsageError(f"--broker {broker!r}: expected redis://HOST:PORT/DB")
            if cut is not None:
                raise UsageError("--shard and --broker: the workers share the targets already; use one or the other")
            from auditor.crawl import distributed
            run_id = distributed.crawl(p, store, broker, resume=resume_id, progress=progress)
        else:
            run_id = run_cancellable(runner.crawl(p, store, resume=resume_id, shard=cut, progress=progress))
        earlier = [r.id for r in store.runs(p.name) if r.id < run_id and r.status == "finished"]
        result = diffing.diff(store, earlier[-1] if earlier else None, run_id)
        from auditor.crawl.notify import notify
        for failure in notify(p.notify, result, p.name):
            err.print(f"warning: notification failed: {failure}", markup=False)
        return _show_diff(result, json_path, p, store)
    raise typer.Exit(_guard(debug, body))


@app.command("worker")
def worker_cmd(
    broker: str = typer.Option(..., "--broker", help="The Redis broker: redis://HOST:6379/0."),
    concurrency: int = typer.Option(1, "--concurrency", help="Worker processes (each keeps one browser)."),
    max_tasks: int = typer.Option(50, "--max-tasks", help="Recycle a worker process after this many tasks."),
) -> None:
    """A Celery worker that audits the targets `auditor crawl PLAN --broker ...` sends (plans and flow files
    must be readable at the same paths)."""
    def body():
        if not broker.startswith(("redis://", "rediss://")):
            raise UsageError(f"--broker {broker!r}: expected redis://HOST:PORT/DB")
        if not (1 <= concurrency <= 16) or max_tasks < 1:
            raise UsageError("--concurrency: 1 to 16; --max-tasks: at least 1")
        from auditor.crawl import distributed
        app = distributed.make_app(broker)
        app.worker_main(["worker", "--loglevel=WARNING", f"--concurrency={concurrency}", "--pool=prefork",
                         f"--max-tasks-per-child={max_tasks}", "--without-gossip", "--without-mingle",
                         f"--hostname=auditor-{os.getpid()}@%h"])
        return ExitCode.OK
    raise typer.Exit(_guard(False, body))


@app.command("diff")
def diff_cmd(
    run_a: Optional[int] = typer.Argument(None, help="The earlier run [default: the one before the last]."),
    run_b: Optional[int] = typer.Argument(None, help="The later run [default: the last]."),
    db: str = typer.Option(..., "--db", help="The run history (SQLite)."),
    json_path: Optional[str] = typer.Option(None, "--json", help="Write {new, fixed, persisting, ...} here."),
) -> None:
    """What changed between two runs: new, fixed and persisting findings, new page errors, targets not
    compared. Exit 1 when something is new."""
    def body():
        from auditor.crawl import diff as diffing
        from auditor.crawl.store import Store
        if not Path(db).is_file():
            raise UsageError(f"--db {db}: no such file")
        store = Store(db)
        if run_a is None and run_b is None:
            a, b = diffing.last_two(store)
        elif run_b is None:
            raise UsageError("name both runs, or neither (the last two)")
        else:
            a, b = run_a, run_b
        for rid in (a, b):
            if rid is not None and store.run(rid) is None:
                raise UsageError(f"--db {db}: no run {rid}")
        return _show_diff(diffing.diff(store, a, b), json_path, None, store)
    raise typer.Exit(_guard(False, body))


@app.command("dashboard")
def dashboard_cmd(
    plan: Optional[str] = typer.Argument(None, help="The crawl plan (its history and runs folder) [or give --db]."),
    db: Optional[str] = typer.Option(None, "--db", help="The run history (SQLite) [default: the plan's]."),
    out: Optional[str] = typer.Option(None, "--out", help="Where the site goes [default: RUNS/dashboard]."),
    serve: bool = typer.Option(False, "--serve", help="Serve it on 127.0.0.1 (the runs folder) until Ctrl-C."),
    port: int = typer.Option(8765, "--port", help="Port for --serve."),
) -> None:
    """Write the crawl's dashboard: sites x checks over time, trends, the latest diff, links to every run's
    reports (a static site: no CDN, opens from disk)."""
    def body():
        from auditor.crawl import dashboard
        from auditor.crawl.store import Store
        name = None
        if plan is not None:
            from auditor.crawl import plan as plans
            p = plans.load(plan)
            history, runs_dir, name = Path(db or p.db), p.out, p.name
        elif db is not None:
            history = Path(db)
            runs_dir = history.with_name(history.stem + "-runs")
        else:
            raise UsageError("name the crawl plan, or the history with --db")
        if not history.is_file():
            raise UsageError(f"{history}: no run history yet (run auditor crawl first)")
        dest = Path(out) if out else runs_dir / "dashboard"
        index = dashboard.build(Store(history), dest, name)
        typer.echo(f"dashboard: {index}")
        if serve:
            root = runs_dir if dest.resolve().is_relative_to(runs_dir.resolve()) else dest
            server = dashboard.serve(root, port)
            rel = index.resolve().relative_to(root.resolve()).as_posix()
            typer.echo(f"serving http://127.0.0.1:{server.server_address[1]}/{rel} (Ctrl-C to stop)")
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                pass
            finally:
                server.server_close()
        return ExitCode.OK
    raise typer.Exit(_guard(False, body))


@app.command("merge")
def merge_cmd(
    shards: List[str] = typer.Argument(..., help="The shards' histories (SQLite files from crawl --shard I/N --db)."),
    db: str = typer.Option(..., "--db", help="The history the merged run is added to (created if new)."),
    json_path: Optional[str] = typer.Option(None, "--json", help="Write the diff against the previous run here."),
) -> None:
    """Merge the latest run of each shard into one run of DB, then say what changed since its previous run."""
    def body():
        from auditor.crawl import diff as diffing
        from auditor.crawl.store import Store, merge
        sources = []
        for path in shards:
            if not Path(path).is_file():
                raise UsageError(f"{path}: no such history")
            sources.append(Store(path))
        if any(Path(db).resolve() == s.path.resolve() for s in sources):
            raise UsageError(f"--db {db}: is one of the shards; merge into another file")
        dest = Store(db)
        run_id = merge(dest, sources)
        name = dest.run(run_id).name
        earlier = [r.id for r in dest.runs(name) if r.id < run_id and r.status == "finished"]
        typer.echo(f"merged {len(sources)} shard(s) into run {run_id} of {db}")
        return _show_diff(diffing.diff(dest, earlier[-1] if earlier else None, run_id), json_path, None, dest)
    raise typer.Exit(_guard(False, body))


def _show_diff(result, json_path, plan, store) -> ExitCode:
    out = SafeConsole(highlight=False, soft_wrap=True)
    for line in result.text().splitlines():
        out.print(line, markup=False)
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(result.as_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    return ExitCode.FINDINGS if result.new else ExitCode.OK


#: the Playwright version the test suite last ran with (the dependency is a compatible range)
TESTED_PLAYWRIGHT = "1.65.2"


@app.command()
def version() -> None:
    """Print the version (and the Playwright installed, against the one tested)."""
    from importlib.metadata import PackageNotFoundError, version as installed
    try:
        pw = installed("playwright")
    except PackageNotFoundError:
        pw = "not installed"
    typer.echo(f"consent-auditor {__version__} (Playwright {pw}; tested with {TESTED_PLAYWRIGHT})")


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

"""pytest plugin: audit the pages your Playwright tests drive for consent dark patterns.

Installed with the package (``pytest11`` entry point ``consent_auditor``); it needs pytest-playwright for the
``page`` it audits by default. Three ways in, one audit (``auditor.api.Auditor.inspect``: the page as it is at
that moment, nothing clicked or reloaded):

* the ``consent_audit`` fixture, a callable returning an :class:`AuditResult`::

      def test_signup(page, consent_audit):
          page.goto("https://shop.example/signup")
          result = consent_audit()           # the test's `page`; or consent_audit(other_page)
          assert not result, result.message  # falsy when nothing fails

* :func:`assert_no_dark_patterns`, a plain function (no fixture needed)::

      from auditor.pytest_plugin import assert_no_dark_patterns
      assert_no_dark_patterns(page, fail_on="medium", baseline="consent-baseline.toml")

* the marker, which audits the test's ``page`` after the test body has passed (the page still open)::

      @pytest.mark.consent_audit(fail_on="medium")
      def test_checkout(page): ...

A failing audit (findings at or above fail-on that the baseline does not accept, or a page that could not be
audited) fails with one line per finding (severity, check id, message, fingerprint) and the absolute paths of
its evidence: ``report.html``, ``report.json`` and ``screenshots/``, in ``consent-audit/`` (then
``consent-audit-2/``, ...) of the test's artefact folder, the one pytest-playwright uses for its traces and
screenshots (``--output``, default ``test-results``, one folder per test). The paths are also recorded as user
properties (``consent_audit_report_html``, ``consent_audit_report_json``), which JUnit XML shows.

Options (command line, then ini; a function's or marker's own argument wins over both):
``--consent-audit-fail-on`` / ``consent_audit_fail_on`` (high | medium | low, default low),
``--consent-audit-baseline`` / ``consent_audit_baseline`` (TOML baseline; known findings do not fail),
``--consent-audit-update-baseline`` (write the findings into the baseline instead of failing on them),
``--consent-audit-out`` / ``consent_audit_out`` (artefact root instead of pytest-playwright's ``--output``),
``--consent-audit-evidence`` / ``consent_audit_evidence`` (retain-on-failure | on | off).

Nothing of Playwright or of the auditor's engine is imported until an audit runs.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from auditor.api import Options
    from auditor.models import AuditRun, Finding, PageError, PageResult

__all__ = ("AuditResult", "ConsentAudit", "DarkPatternsFound", "assert_no_dark_patterns", "audit_page")

SEVERITIES = ("high", "medium", "low")
EVIDENCE_MODES = ("retain-on-failure", "on", "off")
MARKER = "consent_audit"
MARKER_DOC = (f"{MARKER}(fail_on=None, baseline=None, page='page', name=None, options=None): audit the page "
              "for consent dark patterns after the test body passed; fail the test on findings")
DEFAULT_OUTPUT = "test-results"  # pytest-playwright's --output default
_PROPERTY_HTML = "consent_audit_report_html"
_PROPERTY_JSON = "consent_audit_report_json"

_audits_key = pytest.StashKey[int]()
_current_item: pytest.Item | None = None  # the test running now (for the fixture-free function)
_outside_count = 0  # audits made outside a pytest test


# --------------------------------------------------------------------------- the result


class DarkPatternsFound(AssertionError):
    """A consent audit failed; ``result`` is the :class:`AuditResult`."""

    def __init__(self, result: "AuditResult"):
        super().__init__(result.message)
        self.result = result


@dataclass(frozen=True)
class AuditResult:
    """One audit of one page. Falsy when the audit passes; truthy (and ``len`` > 0 when there are findings)
    when it fails: iterate it for the failing findings."""

    page: "PageResult"  # the audited page, its checks and every finding
    run: "AuditRun"  # a run of this one page (reports, baseline, ``api.failing`` work on it)
    options: "Options"  # as the audit ran (fail_on, baseline, out_dir, ...)
    findings: tuple["Finding", ...]  # the failing ones: status fail, >= fail_on, not accepted by the baseline
    folder: Path | None = None  # this audit's evidence folder (screenshots, reports), when kept
    report_html: Path | None = None
    report_json: Path | None = None

    @property
    def all_findings(self) -> tuple["Finding", ...]:
        """Every finding of the page: below fail-on, accepted by the baseline and "needs review" ones too."""
        return self.page.findings

    @property
    def error(self) -> "PageError | None":
        """Why the page could not be audited (then the audit fails), else None."""
        return self.page.error

    @property
    def failed(self) -> bool:
        return bool(self.findings) or self.error is not None

    def __bool__(self) -> bool:
        return self.failed

    def __len__(self) -> int:
        return len(self.findings)

    def __iter__(self) -> Iterator["Finding"]:
        return iter(self.findings)

    @property
    def evidence(self) -> tuple[Path, ...]:
        return tuple(p for p in (self.report_html, self.report_json) if p is not None)

    @property
    def message(self) -> str:
        """What a failure says: the page, one line per failing finding, the evidence."""
        return describe(self)

    def __str__(self) -> str:
        return self.message

    def raise_on_failure(self) -> "AuditResult":
        """Raise :class:`DarkPatternsFound` when the audit failed; else return self."""
        __tracebackhide__ = True
        if self.failed:
            raise DarkPatternsFound(self)
        return self


def describe(result: AuditResult) -> str:
    opts = result.options
    url = result.page.final_url or result.page.url
    policy = f"fail-on {opts.fail_on}" + (f", baseline {opts.baseline}" if opts.baseline is not None else "")
    if result.error is not None:
        lines = [f"consent audit of {url}: the page could not be audited "
                 f"({result.error.kind}: {result.error.message})"]
    elif result.findings:
        lines = [f"consent audit of {url}: {len(result.findings)} finding(s) fail ({policy}):"]
        width = max(len(f.check) for f in result.findings)
        for f in result.findings:
            text = " ".join(f.message.split())
            text = text if len(text) <= 220 else text[:219] + "…"
            mark = f" [baseline: {f.baseline}]" if f.baseline in ("expired",) else ""
            lines.append(f"  {f.severity.upper():<6} {f.check:<{width}}  {text}  {f.fingerprint}{mark}")
    else:
        return f"consent audit of {url}: no finding fails ({policy})"
    accepted = sum(1 for f in result.all_findings if f.status == "fail" and f.baseline in ("known", "not-reviewed"))
    if accepted:
        lines.append(f"  ({accepted} more accepted by the baseline)")
    if result.evidence:
        lines.append(f"evidence: {result.report_html}")
        lines += [f"          {p}" for p in result.evidence[1:]]
        if result.folder is not None and (result.folder / "screenshots").is_dir():
            lines.append(f"          {result.folder / 'screenshots'}{os.sep}")
    if result.findings:
        lines.append("to accept these findings for now: pytest --consent-audit-baseline FILE "
                     "--consent-audit-update-baseline (then review the file)")
    return "\n".join(lines)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class _Settings:
    fail_on: str | None = None
    baseline: Path | None = None
    update_baseline: bool = False
    out: Path | None = None  # artefact root (per-test folders below)
    evidence: str = "retain-on-failure"


def _settings(config: pytest.Config | None) -> _Settings:
    if config is None:
        return _Settings()

    def pick(name: str):
        value = config.getoption(f"consent_audit_{name}", default=None)
        if value not in (None, ""):
            return value, Path(config.invocation_params.dir)
        try:
            value = config.getini(f"consent_audit_{name}")
        except ValueError:  # the plugin's options are not registered in this config
            value = None
        base = Path(config.inipath).parent if config.inipath else Path(config.rootpath)
        return (value or None), base

    fail_on, _ = pick("fail_on")
    baseline, bbase = pick("baseline")
    out, obase = pick("out")
    evidence, _ = pick("evidence")
    if fail_on is not None and fail_on not in SEVERITIES:
        raise pytest.UsageError(f"consent_audit_fail_on: expected high, medium or low, got {fail_on!r}")
    if evidence is not None and evidence not in EVIDENCE_MODES:
        raise pytest.UsageError(f"consent_audit_evidence: expected {', '.join(EVIDENCE_MODES)}, got {evidence!r}")
    return _Settings(fail_on=fail_on, baseline=bbase / baseline if baseline else None,
                     update_baseline=bool(config.getoption("consent_audit_update_baseline", default=False)),
                     out=obase / out if out else None, evidence=evidence or "retain-on-failure")


def _slug(text: str) -> str:
    """The folder name pytest-playwright gives a test (python-slugify of the node id), or a close match."""
    try:
        from slugify import slugify  # pytest-playwright's dependency
        return slugify(text)
    except ImportError:
        return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _test_folder(item: pytest.Item | None, settings: _Settings) -> Path:
    """The test's artefact folder: as pytest-playwright's ``output_path`` fixture names it, under
    ``--consent-audit-out`` or pytest-playwright's ``--output``."""
    if item is None:
        return (settings.out or Path(DEFAULT_OUTPUT)).absolute()
    config = item.config
    root = settings.out
    if root is None:
        playwright = sys.modules.get("pytest_playwright.pytest_playwright")
        output = config.getoption("--output", default=None) \
            if playwright is not None and config.pluginmanager.is_registered(playwright) else None
        root = Path(output or DEFAULT_OUTPUT)
        if not root.is_absolute():
            root = Path(config.invocation_params.dir) / root
    name = _slug(item.nodeid)
    retry = getattr(item, "execution_count", 1) - 1  # pytest-rerunfailures, as pytest-playwright does
    if retry > 0:
        name += f"-retry{retry}"
    if len(name) >= 256:
        import hashlib
        name = f"{name[:100]}-{hashlib.sha256(name.encode()).hexdigest()[:7]}-{name[-100:]}"
    return root.absolute() / name


def _audit_folder(item: pytest.Item | None, settings: _Settings) -> Path:
    global _outside_count
    if item is not None:
        n = item.stash.get(_audits_key, 0) + 1
        item.stash[_audits_key] = n
    else:
        _outside_count += 1
        n = _outside_count
    return _test_folder(item, settings) / ("consent-audit" if n == 1 else f"consent-audit-{n}")


# --------------------------------------------------------------------------- the audit


def audit_page(page: Any, *, fail_on: str | None = None, baseline: str | Path | None = None,
               name: str | None = None, options: "Options | None" = None,
               item: pytest.Item | None = None) -> AuditResult:
    """Audit ``page`` (a pytest-playwright / sync API Playwright page) as it is now and return the result; it
    never raises for findings (see :func:`assert_no_dark_patterns`). ``options``: any further
    :class:`auditor.api.Options` (select, ignore, severity, thresholds, ...); ``fail_on`` and ``baseline``
    win over the command line and ini, which win over ``options``. ``item``: the test (found by itself when
    called during one)."""
    from auditor import api
    from auditor.browser.adopt import inspect_sync

    item = item if item is not None else _current_item
    settings = _settings(item.config if item is not None else None)
    base = options or api.Options()
    fail_on = fail_on or settings.fail_on or base.fail_on
    if baseline is not None:
        baseline_path: Path | None = Path(baseline)
    else:
        baseline_path = settings.baseline or (Path(base.baseline) if base.baseline is not None else None)
    keep = settings.evidence
    folder = _audit_folder(item, settings) if keep != "off" else None
    if folder is not None and folder.exists():
        shutil.rmtree(folder)  # ours, from an earlier session
    # --consent-audit-update-baseline writes the baseline each audit names (its own, or the ini's); an audit that
    # names none has nothing to update and is judged as it is
    update = (base.update_baseline or settings.update_baseline) and baseline_path is not None
    opts = dataclasses.replace(
        base, fail_on=fail_on, baseline=baseline_path, out_dir=folder, update_baseline=update,
        prune_baseline=False,  # one audit sees one page at one moment: it adds entries, it never removes one
        command=base.command or (f"pytest {item.nodeid}" if item is not None else "auditor.pytest_plugin"))
    from auditor.browser.adopt import AdoptError
    from auditor.errors import AuditorError
    try:
        run = inspect_sync(page, opts, name or (item.name if item is not None else None))
    except (AdoptError, AuditorError) as exc:  # a bad setting or a page the auditor cannot read: one line
        pytest.fail(f"consent audit: {exc}", pytrace=False)
    failing = tuple(api.failing(run, opts))
    page_result = run.pages[0]
    result = AuditResult(page=page_result, run=run, options=opts, findings=failing)
    if folder is None:
        return result
    if result.failed or keep == "on":
        result = _write_evidence(result, folder, item)
    else:
        shutil.rmtree(folder, ignore_errors=True)
        try:
            folder.parent.rmdir()  # the test's folder, when nothing else is in it
        except OSError:
            pass
    return result


def _write_evidence(result: AuditResult, folder: Path, item: pytest.Item | None) -> AuditResult:
    from auditor.registry import discover
    from auditor.report import html_report, json_report
    folder.mkdir(parents=True, exist_ok=True)
    report_json = json_report.write(result.run, folder / "report.json")
    report_html = html_report.write(result.run, folder / "report.html", folder, discover(),
                                    result.options.tracker_files)
    result = dataclasses.replace(result, folder=folder, report_html=report_html, report_json=report_json)
    if item is not None:
        start = Path(item.config.invocation_params.dir)
        for key, path in ((_PROPERTY_HTML, report_html), (_PROPERTY_JSON, report_json)):
            try:
                shown = str(path.relative_to(start))
            except ValueError:
                shown = str(path)
            item.user_properties.append((key, shown))
    return result


def assert_no_dark_patterns(page: Any, fail_on: str | None = None, baseline: str | Path | None = None, *,
                            name: str | None = None, options: "Options | None" = None) -> AuditResult:
    """Audit ``page`` now; raise :class:`DarkPatternsFound` (an AssertionError) listing the failing findings
    and the evidence files, else return the (passing) :class:`AuditResult`. ``fail_on``: lowest severity that
    fails (default: ``--consent-audit-fail-on``, else low); ``baseline``: a baseline file whose findings do
    not fail (default: ``--consent-audit-baseline``)."""
    __tracebackhide__ = True
    return audit_page(page, fail_on=fail_on, baseline=baseline, name=name, options=options).raise_on_failure()


class ConsentAudit:
    """What the ``consent_audit`` fixture gives: call it to audit a page now."""

    def __init__(self, request: pytest.FixtureRequest):
        self._request = request

    def __call__(self, page: Any = None, *, name: str | None = None, fail_on: str | None = None,
                 baseline: str | Path | None = None, options: "Options | None" = None) -> AuditResult:
        """Audit ``page`` (default: the test's pytest-playwright ``page``) and return the result, failing or
        not; evidence is written for a failing one."""
        __tracebackhide__ = True
        if page is None:
            page = _default_page(self._request)
        result = audit_page(page, fail_on=fail_on, baseline=baseline, name=name, options=options,
                            item=self._request.node)
        if result.failed:
            # the test may pass all the same: the report shows the findings (-rP), where the evidence is
            self._request.node.add_report_section("call", "consent audit", result.message)
        return result

    def assert_clean(self, page: Any = None, **kwargs) -> AuditResult:
        """Like :func:`assert_no_dark_patterns`, with the test's ``page`` by default."""
        __tracebackhide__ = True
        return self(page, **kwargs).raise_on_failure()


def _default_page(request: pytest.FixtureRequest, fixture: str = "page") -> Any:
    __tracebackhide__ = True
    try:
        return request.getfixturevalue(fixture)
    except pytest.FixtureLookupError:
        hint = ("install pytest-playwright (pip install pytest-playwright), which provides it, "
                if fixture == "page" else "")
        pytest.fail(f"consent_audit: there is no `{fixture}` fixture to audit; {hint}or pass the Playwright "
                    f"page to audit", pytrace=False)


# --------------------------------------------------------------------------- pytest hooks and fixture


@pytest.fixture
def consent_audit(request: pytest.FixtureRequest) -> ConsentAudit:
    """Audit a Playwright page for consent dark patterns: ``result = consent_audit()`` audits the test's
    ``page`` as it is now (or ``consent_audit(other_page)``); ``assert not result, result.message``."""
    return ConsentAudit(request)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("consent-auditor", "consent dark-pattern audits (consent-auditor)")
    group.addoption("--consent-audit-fail-on", dest="consent_audit_fail_on", choices=SEVERITIES, default=None,
                    help="lowest finding severity that fails an audit (default: low)")
    group.addoption("--consent-audit-baseline", dest="consent_audit_baseline", default=None, metavar="FILE",
                    help="baseline file (TOML): the findings it lists do not fail")
    group.addoption("--consent-audit-update-baseline", dest="consent_audit_update_baseline", action="store_true",
                    default=False, help="write the audits' findings into the baseline file (which then passes)")
    group.addoption("--consent-audit-out", dest="consent_audit_out", default=None, metavar="DIR",
                    help="folder for the audits' evidence, one subfolder per test (default: pytest-playwright's "
                         "--output, test-results)")
    group.addoption("--consent-audit-evidence", dest="consent_audit_evidence", choices=EVIDENCE_MODES,
                    default=None, help="keep an audit's report and screenshots: retain-on-failure (default), on, "
                                       "off")
    parser.addini("consent_audit_fail_on", "lowest severity that fails a consent audit (high, medium, low)")
    parser.addini("consent_audit_baseline", "consent audit baseline file (relative to the ini file)")
    parser.addini("consent_audit_out", "folder for the consent audits' evidence (relative to the ini file)")
    parser.addini("consent_audit_evidence", "retain-on-failure, on or off")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_DOC)
    _settings(config)  # a bad ini value is a usage error at start, not in the first audit


# old-style hook wrappers (``hookwrapper=True``): they work with every pluggy a pytest 7 or 8 brings, and this
# plugin is loaded into every pytest run of an environment where the package is installed
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    global _current_item
    _current_item = item
    try:
        yield
    finally:
        _current_item = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """The marker: after a test body that passed, with its fixtures (the page) still set up."""
    outcome = yield
    if outcome.excinfo is not None or item.get_closest_marker(MARKER) is None:
        return  # no marker; or the body failed, and its own failure is the one to read
    try:
        _marker_audit(item)
    except BaseException as exc:  # the test's failure (pytest.fail) or a usage error, as the call's outcome
        if hasattr(outcome, "force_exception"):
            outcome.force_exception(exc)
        else:  # pluggy before 1.1
            raise


def _marker_audit(item: pytest.Item) -> None:
    marker = item.get_closest_marker(MARKER)
    __tracebackhide__ = True
    if marker.args:
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{MARKER} takes keyword arguments only "
                                f"(fail_on=..., baseline=..., page=..., name=..., options=...)")
    kwargs = dict(marker.kwargs)
    fixture = kwargs.pop("page", "page")
    unknown = sorted(set(kwargs) - {"fail_on", "baseline", "name", "options"})
    if unknown:
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{MARKER}: unknown argument {unknown[0]!r}")
    funcargs = getattr(item, "funcargs", {})
    if fixture not in funcargs:
        pytest.fail(f"@pytest.mark.{MARKER} audits the test's `{fixture}` fixture, which this test does not use: "
                    f"request it (pytest-playwright's `page`), or name the fixture that holds the page "
                    f"(@pytest.mark.{MARKER}(page=\"my_page\"))", pytrace=False)
    audit = audit_page(funcargs[fixture], item=item, **kwargs)
    if audit.failed:
        pytest.fail(audit.message, pytrace=False)

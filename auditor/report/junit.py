"""JUnit XML for CI test views (GitLab, Jenkins, Azure Pipelines, CircleCI, dorny/test-reporter, ...).

Layout::

    <testsuites name="consent-auditor" tests failures errors skipped time>
      <testsuite name="https://shop.example/signup" ...>          one per scanned page
        <properties> url, final_url, title, origin </properties>
        <testcase classname="<suite name>" name="<check id>">      one per check the page ran
          <failure message type="<check id>">  the findings that fail the run, one a line
          <error>    the check raised             <skipped>  not applicable
          <system-out>  baselined / needs-review / below fail-on findings, and [[ATTACHMENT|/abs/crop.png]]
      <testsuite name="flow: Checkout">                          one per walked flow
        <testcase name="<check id>">  every step's findings of that check ("step 3: Click Pay")
        <testcase name="flow">        <error> when the flow did not finish or a step failed

A finding fails its test case when it fails the run: status ``fail``, baseline status ``""``, ``new`` or
``expired``, at or above ``fail_on``. A baselined (known / not reviewed), needs-review or below-``fail_on``
finding leaves the test case passing and is named in its ``<system-out>``. A page that could not be audited is
one test case ``page`` with an ``<error>``. A check whose page could not tell passes (its "needs review" findings
are in ``<system-out>``); one that raised is an ``<error>``; one with nothing to judge is ``<skipped>``. A flow
check that failed at one step and raised at another is a failure (the error is in ``<system-out>``).

``time``: a suite takes its page's (or flow's) measured duration, a check's test case 0 (checks are not timed
one by one), ``<testsuites>`` the sum of its suites. Screenshots are attached the way GitLab and Jenkins (JUnit
Attachments plugin) read them: ``[[ATTACHMENT|<absolute path>]]`` lines in the test case's ``<system-out>``.

Page text is hostile: every string is cleaned of control characters (:func:`auditor.report.console.clean`) and of
what XML 1.0 cannot hold (lone surrogates, U+FFFE, U+FFFF); ElementTree escapes the rest.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable, Iterable

from auditor.models import AuditRun, CheckResult, Finding, FlowResult, FlowStep, PageResult
from auditor.registry import CheckSpec
from auditor.report.console import clean
from auditor.report.sarif import TOOL_NAME, fail_floor, fails

_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
MAX_MESSAGE = 500


def xml_text(text: object) -> str:
    """One line of page text safe in XML 1.0 and in a terminal."""
    return _NOT_XML.sub("\ufffd", clean(text))


def _lines(*lines: object) -> str:
    return "\n".join(xml_text(line) for line in lines)


def _seconds(start: str, end: str) -> float:
    def parse(s: str) -> dt.datetime:
        return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    try:
        return max(0.0, (parse(end) - parse(start)).total_seconds())
    except (ValueError, TypeError, AttributeError):
        return 0.0


def _fmt(seconds: float) -> str:
    return f"{seconds:.3f}"


def _floor(fail_on: str | Callable[[str], str], where) -> str:
    own = getattr(where, "fail_on", "")
    return own or (fail_on(getattr(where, "url", where)) if callable(fail_on) else fail_on)


def _describe(f: Finding, step: FlowStep | None) -> str:
    sev = "review" if f.status == "review" else f.severity
    where = f" (step {step.index}: {step.label})" if step is not None else ""
    base = f" [baseline: {f.baseline}]" if f.baseline else ""
    sel = f" ({f.element.selector})" if f.element is not None and f.element.selector else ""
    return f"[{sev}] {f.message}{sel}{where}{base}"


def _attachment(f: Finding, out_dir: Path | None) -> str | None:
    if not f.screenshot:
        return None
    p = Path(f.screenshot)
    if not p.is_absolute():
        p = (out_dir if out_dir is not None else Path.cwd()) / p
    return f"[[ATTACHMENT|{p.resolve()}]]"


class _Suite:
    """A <testsuite> being built, with its counts."""

    def __init__(self, name: str, time: float, timestamp: str = ""):
        self.name = xml_text(name)
        self.el = ET.Element("testsuite", name=self.name)
        self.time = time
        self.timestamp = timestamp
        self.props = ET.SubElement(self.el, "properties")
        self.tests = self.failures = self.errors = self.skipped = 0

    def prop(self, name: str, value: object) -> None:
        if value not in (None, ""):
            ET.SubElement(self.props, "property", name=name, value=xml_text(value))

    def case(self, name: str, time: float = 0.0) -> ET.Element:
        self.tests += 1
        return ET.SubElement(self.el, "testcase", classname=self.name, name=xml_text(name), time=_fmt(time))

    def fail(self, case: ET.Element, message: str, kind: str, body: str) -> None:
        self.failures += 1
        el = ET.SubElement(case, "failure", message=xml_text(message)[:MAX_MESSAGE], type=xml_text(kind))
        el.text = body

    def error(self, case: ET.Element, message: str, kind: str, body: str = "") -> None:
        self.errors += 1
        el = ET.SubElement(case, "error", message=xml_text(message)[:MAX_MESSAGE], type=xml_text(kind))
        if body:
            el.text = body

    def skip(self, case: ET.Element, message: str) -> None:
        self.skipped += 1
        ET.SubElement(case, "skipped", message=xml_text(message))

    def finish(self) -> ET.Element:
        if not len(self.props):
            self.el.remove(self.props)
        self.el.set("tests", str(self.tests))
        self.el.set("failures", str(self.failures))
        self.el.set("errors", str(self.errors))
        self.el.set("skipped", str(self.skipped))
        self.el.set("time", _fmt(self.time))
        if self.timestamp:
            self.el.set("timestamp", self.timestamp)
        return self.el


def _check_case(suite: _Suite, check_id: str, results: list[tuple[CheckResult, FlowStep | None, str]],
                fail_on: str | Callable[[str], str], out_dir: Path | None) -> None:
    """One check's test case from its results (one per page, or one per flow step that ran it)."""
    case = suite.case(check_id)
    failing, out, shots = [], [], []
    errors = [(c.error or "the check raised", st) for c, st, _ in results if c.outcome == "error"]
    for c, st, address in results:
        for f in c.findings:
            if fails(f, address, fail_on):
                failing.append(_describe(f, st))
            elif f.status == "review":
                out.append("needs review (does not fail the run): " + _describe(f, st))
            elif f.baseline in ("known", "not-reviewed"):
                out.append(f"baselined ({f.baseline}, does not fail the run): " + _describe(f, st))
            else:
                out.append(f"below fail-on {_floor(fail_on, address)} (does not fail the run): " + _describe(f, st))
            shot = _attachment(f, out_dir)
            if shot and shot not in shots:
                shots.append(shot)
    if failing:
        first = clean(failing[0])
        suite.fail(case, f"{len(failing)} finding(s): {first}", check_id, _lines(*failing))
        out.extend(f"error{f' at step {st.index}' if st is not None else ''}: {e}" for e, st in errors)
    elif errors:
        e, st = errors[0]
        suite.error(case, (f"step {st.index}: " if st is not None else "") + e, "check-error",
                    _lines(*(f"{f'step {s.index}: ' if s is not None else ''}{m}" for m, s in errors)))
    elif results and all(c.outcome == "not-applicable" for c, _, _ in results):
        suite.skip(case, "not applicable: nothing on the page for this check to judge")
    if out or shots:
        ET.SubElement(case, "system-out").text = _lines(*out, *shots)


def _page_suite(p: PageResult, fail_on, out_dir: Path | None) -> ET.Element:
    suite = _Suite(p.url, _seconds(p.started_at, p.finished_at), p.started_at)
    suite.prop("url", p.url)
    if p.final_url and p.final_url != p.url:
        suite.prop("final_url", p.final_url)
    suite.prop("title", p.title)
    if p.origin is not None:
        suite.prop("origin", f"{p.origin.file}:{p.origin.line}")
    if p.error:
        case = suite.case("page", suite.time)
        suite.error(case, f"{p.error.kind}: {p.error.message}", p.error.kind,
                    _lines(f"{p.url} could not be audited: {p.error.kind}: {p.error.message}"))
    for c in p.checks:
        _check_case(suite, c.check, [(c, None, p)], fail_on, out_dir)
    return suite.finish()


def _flow_suite(fl: FlowResult, fail_on, out_dir: Path | None) -> ET.Element:
    suite = _Suite(f"flow: {fl.name}", _seconds(fl.started_at, fl.finished_at), fl.started_at)
    suite.prop("flow", fl.name)
    suite.prop("file", fl.path)
    suite.prop("start", fl.start)
    by_check: dict[str, list[tuple[CheckResult, FlowStep | None, str]]] = {}
    problems = []
    for st in fl.steps:
        if st.status != "ok":
            problems.append(f"step {st.index} ({st.label}): {st.status}: {st.error or 'no reason given'}")
        if st.page is None:
            continue
        if st.page.error:
            problems.append(f"step {st.index} ({st.label}): {st.page.url}: {st.page.error.kind}: "
                            f"{st.page.error.message}")
        for c in st.page.checks:
            by_check.setdefault(c.check, []).append((c, st, st.page))
    if fl.error or not fl.complete or problems:
        case = suite.case("flow")
        reason = fl.error or (problems[0] if problems else "the flow did not finish")
        suite.error(case, reason, "flow-incomplete" if not fl.complete else "step-failed",
                    _lines(*(problems or [reason])))
    for check_id, results in by_check.items():
        _check_case(suite, check_id, results, fail_on, out_dir)
    return suite.finish()


def junit_tree(run: AuditRun, specs: Iterable[CheckSpec] = (), *, out_dir: str | Path | None = None,
               fail_on: str | Callable[[str], str] | None = None) -> ET.Element:
    """The ``<testsuites>`` element (see the module doc). ``fail_on``: a severity, or a function of the page
    address giving one (``auditor.api.fail_on_lookup``); default: the run's ``--fail-on``."""
    floor = fail_floor(fail_on, run)
    base = Path(out_dir) if out_dir is not None else None
    root = ET.Element("testsuites", name=TOOL_NAME)
    suites = [_page_suite(p, floor, base) for p in run.pages] + [_flow_suite(fl, floor, base) for fl in run.flows]
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key)) for s in suites)))
    root.set("time", _fmt(sum(float(s.get("time")) for s in suites)))
    if run.started_at:
        root.set("timestamp", run.started_at)
    root.extend(suites)
    return root


def render(run: AuditRun, specs: tuple[CheckSpec, ...] = (), **kw) -> str:
    """JUnit XML text. Keywords: ``out_dir`` (the folder the findings' screenshot paths are under), ``fail_on``."""
    tree = junit_tree(run, specs, **kw)
    ET.indent(tree)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(tree, encoding="unicode") + "\n"


def write(run: AuditRun, path: str | Path, specs: tuple[CheckSpec, ...] = (), **kw) -> Path:
    from auditor.report.files import write_atomic
    return write_atomic(path, render(run, specs, **kw))

"""The run's policy: per-check severity, per-URL and per-flow overrides, and every report agreeing with the gate."""

from __future__ import annotations

import datetime as dt

from auditor import baseline
from auditor.api import Options, Override, apply_policy, exit_code, failing
from auditor.errors import ExitCode
from auditor.models import (AuditRun, BaselineEntry, BrowserInfo, CheckResult, Finding, FlowResult, FlowStep,
                            PageResult, RunSettings)
from auditor.report import annotations, junit, markdown, sarif


def page(url: str, *findings: Finding) -> PageResult:
    return PageResult(url=url, key=url, checks=(CheckResult("asymmetric-choice", "fail", findings),))


def medium(fp: str) -> Finding:
    return Finding("asymmetric-choice", "medium", "high", f"m {fp}", fingerprint=fp)


def two_flows_one_url() -> AuditRun:
    flows = tuple(FlowResult(name=name, path=f"{name}.yaml", start="https://s/", complete=True,
                             steps=(FlowStep(0, "start", "start", page=page("https://s/cart", medium(fp))),))
                  for name, fp in (("checkout", "fp2:" + "a" * 24), ("gift", "fp2:" + "b" * 24)))
    return AuditRun(tool="t", version="0", browser=BrowserInfo(), settings=RunSettings(), started_at="", flows=flows)


def test_flow_name_override_holds_for_gate_and_every_report():
    opts = Options(overrides=(Override(match="gift", fail_on="high"),))
    run = apply_policy(two_flows_one_url(), opts)
    gate = failing(run, opts)
    assert [f.fingerprint for f in gate] == ["fp2:" + "a" * 24] and exit_code(run, opts) == ExitCode.FINDINGS
    from auditor.api import fail_on_lookup
    lookup = fail_on_lookup(run, opts)
    xml = junit.render(run, (), fail_on=lookup)
    assert xml.count("<failure") == 1
    assert len(annotations.lines(run, fail_on=lookup)) == 1
    assert "1 finding(s) fail the run" in markdown.render(run, (), fail_on=lookup)
    assert sum(1 for f in run.findings if sarif.fails(f, next(p for fl in run.flows for st in fl.steps
                                                               for p in [st.page] if f in p.findings), lookup)) == 1


def test_url_override_ignores_and_reprices_checks():
    opts = Options(severity=(("asymmetric-choice", "high"),),
                   overrides=(Override(match="*/legal/*", ignore=("asymmetric-choice",)),))
    run = AuditRun(tool="t", version="0", browser=BrowserInfo(), settings=RunSettings(), started_at="",
                   pages=(page("https://s/legal/terms", medium("fp2:" + "c" * 24)),
                          page("https://s/signup", medium("fp2:" + "d" * 24))))
    run = apply_policy(run, opts)
    assert run.pages[0].checks == ()
    assert [f.severity for f in run.pages[1].findings] == ["high"]


def test_without_pruning_an_update_only_adds(tmp_path):
    path = tmp_path / "b.toml"
    baseline.write(path, [BaselineEntry("fp2:" + "e" * 24, "asymmetric-choice", "https://s/cart", "m", "seen before")])
    run = AuditRun(tool="t", version="0", browser=BrowserInfo(), settings=RunSettings(), started_at="",
                   pages=(page("https://s/cart", medium("fp2:" + "f" * 24)),))
    baseline.apply(run, path, update=True, prune=False, today=dt.date(2026, 12, 2))
    assert {e.fingerprint for e in baseline.load(path)} == {"fp2:" + "e" * 24, "fp2:" + "f" * 24}

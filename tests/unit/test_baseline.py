"""Baselines: known findings pass, new and expired ones fail, gone ones are fixed (or stale), the file is kept."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib

import pytest

from auditor import baseline
from auditor.api import Options, exit_code, failing
from auditor.errors import ConfigError, ExitCode
from auditor.models import AuditRun, BaselineEntry, BrowserInfo, CheckResult, Finding, PageResult, RunSettings

TODAY = dt.date(2026, 12, 2)


def finding(fp: str, check: str = "prechecked-consent", severity: str = "high", status: str = "fail") -> Finding:
    return Finding(check=check, severity=severity, confidence="high", message=f"finding {fp}", fingerprint=fp,
                   status=status)


def make_run(*pages: tuple[str, list[Finding]], error_pages: tuple[str, ...] = ()) -> AuditRun:
    results = [PageResult(url=u, key=u, checks=(CheckResult("prechecked-consent", "fail", tuple(fs)),) if fs else ())
               for u, fs in pages]
    from auditor.models import PageError
    results += [PageResult(url=u, error=PageError("timeout", "slow")) for u in error_pages]
    return AuditRun(tool="t", version="0", browser=BrowserInfo(), settings=RunSettings(), started_at="",
                    pages=tuple(results))


FP = ["fp2:" + c * 24 for c in "abcdef"]


def test_update_creates_the_file_marks_new_entries_not_reviewed_and_the_run_passes(tmp_path):
    path = tmp_path / "sub" / "baseline.toml"
    run = baseline.apply(make_run(("https://a/", [finding(FP[0]), finding(FP[1])])), path, update=True, today=TODAY)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert [e["fingerprint"] for e in data["finding"]] == FP[:2]
    assert all(e["reason"] == "not reviewed" and e["owner"] == "" and e["expires"] == "" for e in data["finding"])
    assert {e["check"] for e in data["finding"]} == {"prechecked-consent"} and data["finding"][0]["page"] == "https://a/"
    assert [f.baseline for f in run.findings] == ["not-reviewed", "not-reviewed"]
    assert run.baseline.updated and run.baseline.not_reviewed == 2
    assert exit_code(run, Options()) == ExitCode.OK


def test_known_new_expired_fixed_and_stale(tmp_path):
    path = tmp_path / "b.toml"
    baseline.write(path, [
        BaselineEntry(FP[0], "prechecked-consent", "https://a/", "m", "legal sign-off", "growth", "2027-01-31"),
        BaselineEntry(FP[1], "prechecked-consent", "https://a/", "m", "temporary", "growth", "2026-12-01"),
        BaselineEntry(FP[2], "prechecked-consent", "https://a/", "m", "was there"),
        BaselineEntry(FP[3], "prechecked-consent", "https://b/", "m", "page not audited today"),
        BaselineEntry("0123456789abcdef0123", "prechecked-consent", "https://a/", "m", "written by v1"),
    ])
    run = baseline.apply(make_run(("https://a/", [finding(FP[0]), finding(FP[1]), finding(FP[4])]),
                                  error_pages=("https://b/",)), path, today=TODAY)
    status = {f.fingerprint: f.baseline for f in run.findings}
    assert status == {FP[0]: "known", FP[1]: "expired", FP[4]: "new"}
    b = run.baseline
    assert (b.known, b.expired, b.new) == (1, 1, 1)
    assert [e.fingerprint for e in b.fixed] == [FP[2]]
    assert sorted(e.fingerprint for e in b.stale) == sorted([FP[3], "0123456789abcdef0123"])
    assert b.other_versions == 1
    assert {f.fingerprint for f in failing(run, Options())} == {FP[1], FP[4]}  # expired and new fail
    assert exit_code(run, Options()) == ExitCode.TARGET_FAILED  # a page could not be audited: that wins


def test_expiry_day_itself_still_counts_as_known(tmp_path):
    path = tmp_path / "b.toml"
    baseline.write(path, [BaselineEntry(FP[0], "prechecked-consent", "https://a/", "m", "ok", "", "2026-12-02")])
    run = baseline.apply(make_run(("https://a/", [finding(FP[0])])), path, today=TODAY)
    assert run.findings[0].baseline == "known"
    run = baseline.apply(make_run(("https://a/", [finding(FP[0])])), path, today=TODAY + dt.timedelta(days=1))
    assert run.findings[0].baseline == "expired"


def test_update_keeps_reason_owner_expires_drops_fixed_keeps_stale(tmp_path):
    path = tmp_path / "b.toml"
    baseline.write(path, [
        BaselineEntry(FP[0], "prechecked-consent", "https://a/", "old message", "legal", "ana", "2027-03-31"),
        BaselineEntry(FP[2], "prechecked-consent", "https://a/", "m", "gone now"),
        BaselineEntry(FP[3], "prechecked-consent", "https://b/", "m", "other page"),
    ])
    baseline.apply(make_run(("https://a/", [finding(FP[0]), finding(FP[5])])), path, update=True, today=TODAY)
    entries = {e.fingerprint: e for e in baseline.load(path)}
    assert set(entries) == {FP[0], FP[5], FP[3]}
    assert (entries[FP[0]].reason, entries[FP[0]].owner, entries[FP[0]].expires) == ("legal", "ana", "2027-03-31")
    assert entries[FP[0]].message == f"finding {FP[0]}"
    assert entries[FP[5]].reason == "not reviewed"
    assert "expires = 2027-03-31" in path.read_text(encoding="utf-8")  # a TOML date a person edits


def test_review_findings_are_never_baselined(tmp_path):
    path = tmp_path / "b.toml"
    run = baseline.apply(make_run(("https://a/", [finding(FP[0], status="review")])), path, update=True, today=TODAY)
    assert baseline.load(path) == () and run.findings[0].baseline == ""


@pytest.mark.parametrize("text,needle", [
    ('version = 1\n[[finding]]\nfingerprint = "fp2:x"\ncheck = "c"\nwhy = "typo"\n', "finding 1: unknown key 'why'"),
    ('version = 1\n[[finding]]\nfingerprint = "fp2:x"\ncheck = "c"\n', "finding 1: fingerprint: 'fp2:x' is not a fingerprint"),
    (f'version = 1\n[[finding]]\nfingerprint = "{FP[0]}"\ncheck = "No Such"\n', "finding 1: check: 'No Such' is not a check id"),
    (f'version = 1\n[[finding]]\nfingerprint = "{FP[0]}"\ncheck = "c"\n[[finding]]\nfingerprint = "{FP[0]}"\ncheck = "c"\n',
     "finding 2: the same fingerprint as finding 1"),
    ('version = 1\n[[finding]]\ncheck = "c"\n', "finding 1: fingerprint: expected text"),
    (f'version = 1\n[[finding]]\nfingerprint = "{FP[0]}"\ncheck = "c"\nexpires = "next week"\n', "finding 1: expires: expected a date"),
    ('version = 2\n', "version: expected 1"),
    ('findings = []\n', "unknown key 'findings'"),
    ('[[finding]\n', "invalid TOML"),
])
def test_bad_baseline_is_a_config_error_naming_file_and_key(tmp_path, text, needle):
    path = tmp_path / "b.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        baseline.load(path)
    assert str(path) in str(info.value) and needle in str(info.value)


def test_missing_baseline_without_update_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="baseline file not found"):
        baseline.apply(make_run(("https://a/", [])), tmp_path / "nope.toml")


def test_an_entry_of_a_check_that_did_not_run_or_broke_is_stale_and_kept(tmp_path):
    path = tmp_path / "b.toml"
    baseline.write(path, [
        BaselineEntry(FP[0], "asymmetric-choice", "https://a/", "m", "check not selected this run"),
        BaselineEntry(FP[1], "missing-opt-out", "https://a/", "m", "check errored this run"),
        BaselineEntry(FP[2], "prechecked-consent", "https://a/", "m", "really gone"),
    ])
    run = make_run(("https://a/", [finding(FP[3])]))
    broken = CheckResult("missing-opt-out", "error", error="boom")
    run = dataclasses.replace(run, pages=(dataclasses.replace(run.pages[0], checks=run.pages[0].checks + (broken,)),))
    out = baseline.apply(run, path, update=True, today=TODAY)
    assert [e.fingerprint for e in out.baseline.fixed] == [FP[2]]
    assert {e.fingerprint for e in baseline.load(path)} == {FP[0], FP[1], FP[3]}


def test_a_finding_now_in_review_is_neither_fixed_nor_dropped(tmp_path):
    path = tmp_path / "b.toml"
    baseline.write(path, [BaselineEntry(FP[0], "prechecked-consent", "https://a/", "m", "legal", "ana")])
    out = baseline.apply(make_run(("https://a/", [finding(FP[0], status="review")])), path, update=True, today=TODAY)
    assert out.baseline.fixed == ()
    assert [(e.fingerprint, e.reason) for e in baseline.load(path)] == [(FP[0], "legal")]

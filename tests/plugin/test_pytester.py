"""The pytest plugin as its users meet it: test files run by a pytest of their own (pytester, in a subprocess),
with pytest-playwright's ``page`` in the system Chromium, on the demo shop's sign-up pages (dark: pre-ticked
boxes and more, all high severity; clean: nothing) and on fixtures/plugin/faded-decline.html (one medium
finding)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]  # in this module: a conftest below the root may not name plugins

ROOT = Path(__file__).resolve().parents[2]
DARK = (ROOT / "fixtures/site/dark/signup.html").as_uri()
CLEAN = (ROOT / "fixtures/site/clean/signup.html").as_uri()
FADED = (ROOT / "fixtures/plugin/faded-decline.html").as_uri()

pytestmark = pytest.mark.browser

INNER_CONFTEST = """
import pytest
from auditor.browser.launch import IGNORE_DEFAULT_ARGS, LAUNCH_ARGS, find_browser

DARK, CLEAN, FADED = {dark!r}, {clean!r}, {faded!r}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, playwright):
    # Playwright cannot download its browsers here: the Chromium the auditor would pick (AUDITOR_BROWSER first)
    args = dict(browser_type_launch_args, args=list(LAUNCH_ARGS), ignore_default_args=list(IGNORE_DEFAULT_ARGS))
    path = find_browser(None, playwright)
    if path:
        args["executable_path"] = path
    return args


@pytest.fixture
def shop(page):
    def open_(url):
        page.goto(url)
        page.wait_for_selector("#nw-cookie-consent")  # the shop's banner comes 0.5 s after the load
        return page
    return open_
""".format(dark=DARK, clean=CLEAN, faded=FADED)


def plugin_args() -> list[str]:
    """``-p auditor.pytest_plugin`` until the package's entry point is installed; with it, naming the module
    again would register it twice."""
    installed = any(ep.value == "auditor.pytest_plugin" for ep in importlib.metadata.entry_points(group="pytest11"))
    return [] if installed else ["-p", "auditor.pytest_plugin"]


@pytest.fixture
def inner(pytester, browser_path, monkeypatch):
    """A pytester folder with the inner conftest; ``run(*args)`` runs its tests in a subprocess pytest."""
    if browser_path:
        monkeypatch.setenv("AUDITOR_BROWSER", browser_path)
    pytester.makeconftest(INNER_CONFTEST)

    def run(*args: str, plugin: bool = True):
        return pytester.runpytest_subprocess(*(plugin_args() if plugin else []), "-p", "no:cacheprovider", *args,
                                             timeout=120)
    return run


def cases(junit: Path) -> dict[str, ET.Element]:
    return {tc.get("name"): tc for tc in ET.parse(junit).getroot().iter("testcase")}


def failure_text(case: ET.Element) -> str:
    failure = case.find("failure")
    assert failure is not None, f"{case.get('name')} did not fail"
    return (failure.get("message") or "") + "\n" + (failure.text or "")


def properties(case: ET.Element) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in case.iter("property"):
        out.setdefault(p.get("name"), []).append(p.get("value"))
    return out


def evidence_paths(text: str) -> list[Path]:
    return [Path(word) for word in text.split() if word.endswith(("report.html", "report.json"))]


MAIN_TESTS = """
import pytest
from pathlib import Path
from auditor.pytest_plugin import DarkPatternsFound, assert_no_dark_patterns
from conftest import CLEAN, DARK, FADED


def test_helper_dark(shop):
    assert_no_dark_patterns(shop(DARK))


def test_helper_clean(shop):
    result = assert_no_dark_patterns(shop(CLEAN))
    assert not result and len(result) == 0 and result.report_html is None and result.error is None


def test_fixture_returns_findings(shop, consent_audit, output_path):
    result = consent_audit(shop(DARK))
    assert result and "prechecked-consent" in {f.check for f in result}
    assert all(f.fingerprint.startswith("fp2:") and f.status == "fail" for f in result)
    assert len(result.all_findings) >= len(result) >= 2
    assert result.run.pages == (result.page,) and result.page.url == DARK
    # evidence where pytest-playwright puts this test's artefacts
    assert result.folder == Path(output_path) / "consent-audit"
    assert result.report_html.is_file() and result.report_json.is_file()
    assert list((result.folder / "screenshots").glob("*.png"))
    again = consent_audit()  # the test's own page by default; a second audit gets its own folder
    assert again.folder == Path(output_path) / "consent-audit-2"
    with pytest.raises(DarkPatternsFound) as info:
        again.raise_on_failure()
    assert info.value.result is again


def test_fail_on_high_passes_a_medium_finding(page):
    page.goto(FADED)
    result = assert_no_dark_patterns(page, fail_on="high")
    assert [(f.check, f.severity) for f in result.all_findings] == [("asymmetric-choice", "medium")]


def test_fail_on_low_fails_a_medium_finding(page):
    page.goto(FADED)
    assert_no_dark_patterns(page, fail_on="low")


def test_fail_on_medium_from_the_command_line(page):
    page.goto(FADED)
    assert_no_dark_patterns(page)


@pytest.mark.consent_audit
def test_marker_dark(shop):
    shop(DARK)


@pytest.mark.consent_audit(fail_on="medium")
def test_marker_clean(shop):
    shop(CLEAN)


@pytest.mark.consent_audit(fail_on="high")
def test_marker_fail_on_high(page):
    page.goto(FADED)


@pytest.mark.consent_audit
def test_marker_body_fails_first(page):
    page.goto(DARK)
    assert False, "the body's own failure"
"""


def test_helpers_fixture_and_marker(inner, pytester):
    pytester.makepyfile(test_main=MAIN_TESTS)
    result = inner("--junitxml=junit.xml", "--consent-audit-fail-on=medium")
    junit = cases(pytester.path / "junit.xml")
    failed = {n for n, c in junit.items() if c.find("failure") is not None}
    assert failed == {"test_helper_dark[chromium]", "test_fail_on_medium_from_the_command_line[chromium]",
                      "test_fail_on_low_fails_a_medium_finding[chromium]", "test_marker_dark[chromium]",
                      "test_marker_body_fails_first[chromium]"}, result.stdout.str()
    result.assert_outcomes(passed=5, failed=5)

    # the helper: one line per finding (severity, check id, message, fingerprint), then the evidence
    text = failure_text(junit["test_helper_dark[chromium]"])
    assert "DarkPatternsFound" in text
    assert f"consent audit of {DARK}" in text
    lines = {line.split("E ", 1)[-1].strip() for line in text.splitlines() if "prechecked-consent" in line}
    assert len(lines) == 2 and all(re.fullmatch(r"HIGH +prechecked-consent +\S.* fp2:[0-9a-f]+", line)
                                   for line in lines), text
    assert 'Pre-selected checkbox consents to marketing: "Send me news and offers by email"' in text
    paths = evidence_paths(text)
    assert {p.name for p in paths} == {"report.html", "report.json"}
    for p in paths:
        assert p.is_absolute() and p.is_file(), p
        # pytest-playwright's folder for the test: <--output>/<slug of the node id>
        assert p.parent.parent == pytester.path / "test-results" / "test-main-py-test-helper-dark-chromium"
    report = json.loads(next(p for p in paths if p.suffix == ".json").read_text())
    assert {f["check"] for pg in report["pages"] for f in pg["findings"]} >= {"prechecked-consent"}
    # and JUnit carries the paths as properties
    props = properties(junit["test_helper_dark[chromium]"])
    assert [Path(v).name for v in props["consent_audit_report_html"]] == ["report.html"]
    assert (pytester.path / props["consent_audit_report_html"][0]).is_file()

    # fail-on: the medium finding fails at medium (command line) and low (argument), passes at high (argument)
    text = failure_text(junit["test_fail_on_medium_from_the_command_line[chromium]"])
    assert "MEDIUM asymmetric-choice" in text and "(fail-on medium)" in text
    text = failure_text(junit["test_fail_on_low_fails_a_medium_finding[chromium]"])
    assert re.search(r"MEDIUM asymmetric-choice +Declining is made harder to see than accepting.* fp2:", text)
    assert "(fail-on low)" in text
    assert "test_fail_on_high_passes_a_medium_finding[chromium]" not in failed

    # the marker fails the test after its body, with the same message; not when the body failed first
    text = failure_text(junit["test_marker_dark[chromium]"])
    assert "prechecked-consent" in text and "HIGH" in text
    assert all(p.is_file() for p in evidence_paths(text)) and evidence_paths(text)
    assert "Failed: consent audit of" in text or text.lstrip().startswith("consent audit of")
    text = failure_text(junit["test_marker_body_fails_first[chromium]"])
    assert "the body's own failure" in text and "consent audit" not in text

    # nothing kept for the audits that passed
    assert not (pytester.path / "test-results" / "test-main-py-test-helper-clean-chromium").exists()
    assert not (pytester.path / "test-results" / "test-main-py-test-marker-clean-chromium" / "consent-audit").exists()


BASELINE_TESTS = """
import pytest
from auditor.pytest_plugin import assert_no_dark_patterns
from conftest import DARK, FADED


def test_dark_helper(shop):
    assert_no_dark_patterns(shop(DARK))


@pytest.mark.consent_audit
def test_dark_marker(shop):
    shop(DARK)


def test_new_finding_still_fails(page):
    page.goto(FADED)
    assert_no_dark_patterns(page, baseline="consent-baseline.toml")
"""


def test_baseline(inner, pytester):
    pytester.makepyfile(test_baseline=BASELINE_TESTS)
    baseline = pytester.path / "consent-baseline.toml"
    # (without a baseline the dark page fails: test_helpers_fixture_and_marker)
    # --consent-audit-update-baseline writes the findings (then passes)
    # (and --consent-audit-evidence=on keeps the evidence of passing audits, under --consent-audit-out)
    inner("-k", "dark", f"--consent-audit-baseline={baseline}", "--consent-audit-update-baseline",
          "--consent-audit-evidence=on", "--consent-audit-out=audits").assert_outcomes(passed=2)
    written = baseline.read_text()
    assert written.count("[[finding]]") >= 3 and 'check = "prechecked-consent"' in written
    kept = sorted(p.relative_to(pytester.path).as_posix() for p in pytester.path.glob("audits/*/*/report.*"))
    assert kept == [f"audits/test-baseline-py-test-dark-{kind}-chromium/consent-audit/report.{ext}"
                    for kind in ("helper", "marker") for ext in ("html", "json")]
    assert not (pytester.path / "test-results").exists()
    # the ini names the baseline (relative to the ini file): the dark page's known findings pass, helper and
    # marker alike; a finding the baseline does not list still fails
    pytester.makeini("[pytest]\nconsent_audit_baseline = consent-baseline.toml\n")
    result = inner()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*(fail-on low, baseline consent-baseline.toml):", "*MEDIUM asymmetric-choice*"])


NO_PLAYWRIGHT_TESTS = """
import sys
import pytest


def test_startup_imports_neither_playwright_nor_the_engine():
    assert "auditor.pytest_plugin" in sys.modules
    assert not [m for m in sys.modules if m.startswith(("playwright", "auditor.api", "auditor.engine"))]


def test_fixture_without_pytest_playwright(consent_audit):
    consent_audit()


@pytest.mark.consent_audit
def test_marker_without_a_page():
    pass
"""


def test_without_pytest_playwright(inner, pytester):
    pytester.makeconftest("")  # no browser fixtures: pytest-playwright is off
    pytester.makepyfile(test_plain=NO_PLAYWRIGHT_TESTS)
    result = inner("-p", "no:playwright")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "*consent_audit: there is no `page` fixture to audit; install pytest-playwright*",
        "*@pytest.mark.consent_audit audits the test's `page` fixture, which this test does not use*"])
    assert "Traceback" not in result.stdout.str()


def test_options_and_marker_are_declared(inner, pytester):
    result = inner("--help")
    result.stdout.fnmatch_lines(["*--consent-audit-fail-on*", "*--consent-audit-baseline*",
                                 "*--consent-audit-out*", "*consent_audit_fail_on*"])
    result = inner("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.consent_audit(fail_on=None, baseline=None, page='page'*"])
    pytester.makeini("[pytest]\nconsent_audit_fail_on = severe\n")
    result = inner("--co")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*consent_audit_fail_on: expected high, medium or low, got 'severe'*"])


def test_entry_point_loads_the_plugin(inner, pytester, monkeypatch):
    """Through a ``pytest11`` entry point alone (a stand-in distribution until the package declares it)."""
    info = pytester.mkdir("site") / "consent_auditor_stub-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: consent-auditor-stub\nVersion: 0\n")
    (info / "entry_points.txt").write_text("[pytest11]\nconsent_auditor = auditor.pytest_plugin\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(info.parent), os.environ.get("PYTHONPATH", "")]))
    pytester.makepyfile(test_ep="def test_fixture_is_there(consent_audit):\n    assert callable(consent_audit)\n")
    inner(plugin=False).assert_outcomes(passed=1)

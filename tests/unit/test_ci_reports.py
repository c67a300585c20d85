"""The CI report formats (SARIF, JUnit, Markdown, GitHub annotations) on one shared run, without a browser."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
from junitparser import Error, Failure, JUnitXml, Skipped
from markdown_it import MarkdownIt

from auditor.models import BaselineEntry, BaselineResult, Origin, PageError
from auditor.report import annotations, junit, markdown, sarif
from specs import sarif_schema
from builders import SPECS, audit_run, check_result, finding, flow_result, flow_step, page_result

SPEC_LIST = tuple(SPECS.values())

HOSTILE = ('Pre-checked: "<script>alert(1)</script> | ]]> \x1b[31mred\x1b[0m \u202eevil [click](javascript:alert(1)) '
           '![x](https://evil.example/p.png) `code` <img src=x onerror=alert(1)> @everyone https://evil.example/ '
           'www.evil.example a@b.example #12 [^1] $x$ :smile: line\nbreak\r|x|"')
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# ----------------------------------------------------------------------------------------------- the shared run

F_NEW = finding("prechecked-consent", 'Pre-checked: "Send me partner offers" (checkbox #mkt)', "high", baseline="new",
                screenshot="evidence/page01-prechecked.png", frame="https://shop.example/signup")
F_KNOWN = finding("prechecked-consent", 'Pre-checked: "Newsletter" (checkbox #news)', "high", baseline="known")
F_MEDIUM = finding("asymmetric-choice", "Accept is 3.1x more prominent than Reject", "medium", baseline="new")
F_HOSTILE = finding("hidden-agreement-text", HOSTILE, "medium", baseline="expired")
F_REVIEW = finding("missing-opt-out", "Could not classify the banner's buttons", "low", status="review")
F_START = finding("consent-before-choice", "3 tracking cookies set before any choice", "high", baseline="not-reviewed")
F_STEP = finding("sneak-into-basket", 'Added without asking: "Gift wrap £4.00"', "high", baseline="new",
                 screenshot="evidence/flow01-step02.png")
FIXED = BaselineEntry(fingerprint="fp2:0123456789abcdef01234567", check="drip-pricing",
                      page="https://shop.example/cart", message="Fee revealed at the last step | <b>x</b>")
ENTRIES = {F_KNOWN.fingerprint: BaselineEntry(F_KNOWN.fingerprint, "prechecked-consent", "https://shop.example/signup",
                                              reason="Legal sign-off until the new form ships (JIRA-123)",
                                              owner="growth", expires="2027-03-31")}

SIGNUP = page_result("https://shop.example/signup?session=abc",
                     check_result("prechecked-consent", F_NEW, F_KNOWN),
                     check_result("asymmetric-choice", F_MEDIUM),
                     check_result("drip-pricing", outcome="not-applicable"),
                     check_result("choice-ignored", outcome="error", error="KeyError: 'states'"),
                     check_result("consent-before-choice"),
                     origin=Origin("targets.txt", 3), title="Sign up", seconds=2.5)
LOCAL = page_result("http://127.0.0.1:8123/checkout/", check_result("hidden-agreement-text", F_HOSTILE),
                    check_result("missing-opt-out", F_REVIEW), seconds=1.25)
DOWN = page_result("https://down.example/", error=PageError("unreachable", "net::ERR_NAME_NOT_RESOLVED"), seconds=0.5)
FLOW = flow_result(
    "Checkout", "flows/checkout.yml",
    flow_step(0, "https://shop.example/", page_result("https://shop.example/", check_result("consent-before-choice",
                                                                                            F_START))),
    flow_step(1, "Add to cart", page_result("https://shop.example/p/1", check_result("sneak-into-basket")), line=9),
    flow_step(2, "Go to basket", page_result("https://shop.example/basket",
                                             check_result("sneak-into-basket", F_STEP)), line=14),
    flow_step(3, "Pay", None, line=17, status="failed", error="no element matches 'text=Pay'"),
    complete=False, error="step 3 (Pay) failed: no element matches 'text=Pay'")
BASELINE = BaselineResult(path="consent-baseline.toml", entries=4, new=3, known=1, not_reviewed=1, expired=1,
                          fixed=(FIXED,))


def make_run(**kw):
    kw.setdefault("baseline", BASELINE)
    return audit_run([SIGNUP, LOCAL, DOWN], [FLOW], **kw)


RUN = make_run()


def unbaselined(page):
    """The page as a run without a baseline sees it (every finding's baseline status "")."""
    return dataclasses.replace(page, checks=tuple(dataclasses.replace(c, findings=tuple(
        dataclasses.replace(f, baseline="") for f in c.findings)) for c in page.checks))
ROOT = Path.cwd()


# ----------------------------------------------------------------------------------------------- SARIF


def _format_checker() -> jsonschema.FormatChecker:
    """Format checks with the standard library (jsonschema checks uri and date-time only with extra packages)."""
    fc = jsonschema.FormatChecker(formats=())
    bad = re.compile(r"[\s\x00-\x1f\x7f<>\"{}|\\^`]")

    @fc.checks("uri")
    def _uri(value) -> bool:
        return not isinstance(value, str) or (bool(urlsplit(value).scheme) and not bad.search(value))

    @fc.checks("uri-reference")
    def _uri_reference(value) -> bool:
        return not isinstance(value, str) or not bad.search(value)

    @fc.checks("date-time", raises=ValueError)
    def _date_time(value) -> bool:
        if isinstance(value, str):
            if "T" not in value:
                raise ValueError(f"no time in {value!r}")
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    return fc


@pytest.fixture(scope="module")
def schema():
    return sarif_schema()


def _validate(doc, schema):
    cls = jsonschema.validators.validator_for(schema)
    assert cls is jsonschema.Draft4Validator  # the schema says draft-04
    for validator in (cls, jsonschema.Draft7Validator):  # and specs/README.md says Draft 7: both must pass
        errors = sorted(validator(schema, format_checker=_format_checker()).iter_errors(doc), key=str)
        assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def _sarif(run=RUN, **kw):
    kw.setdefault("root", ROOT)
    return json.loads(sarif.render(run, SPEC_LIST, **kw))


def _results(doc):
    return doc["runs"][0]["results"]


def _by_fp(doc):
    return {r["partialFingerprints"]["consentAuditor/v2"]: r for r in _results(doc)}


def _walk(node, key):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from _walk(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v, key)


def test_sarif_validates_against_the_oasis_schema(schema, tmp_path):
    _validate(_sarif(out_dir=tmp_path, entries=ENTRIES), schema)
    _validate(_sarif(absent=True), schema)
    _validate(_sarif(audit_run([SIGNUP])), schema)  # no baseline
    _validate(_sarif(audit_run(version="0.1.0.dev3+gabc")), schema)  # no results; a version that is not semver


def test_the_format_checker_catches_bad_values(schema):
    doc = _sarif()
    doc["runs"][0]["invocations"][0]["startTimeUtc"] = "yesterday"
    doc["runs"][0]["tool"]["driver"]["informationUri"] = "not a uri"
    errors = list(jsonschema.Draft4Validator(schema, format_checker=_format_checker()).iter_errors(doc))
    assert {e.validator for e in errors} == {"format"} and len(errors) == 2


def test_sarif_never_points_an_artifact_at_a_web_address():
    doc = _sarif(out_dir=Path("/tmp/out"), absent=True)
    uris = [loc["uri"] for loc in _walk(doc, "artifactLocation")]
    assert len(uris) >= len(_results(doc))
    assert not [u for u in uris if u.lower().startswith(("http:", "https:"))]


def test_every_result_has_fingerprints_and_a_line():
    doc = _sarif()
    results = _results(doc)
    assert len(results) == 7  # 7 findings: fail and review, known and new; fixed entries are no results
    for r in results:
        fp = r["partialFingerprints"]
        assert fp["consentAuditor/v2"].startswith("fp2:")
        assert fp["primaryLocationLineHash"] == fp["consentAuditor/v2"]  # GitHub reads only this key
        phys = r["locations"][0]["physicalLocation"]
        assert phys["region"]["startLine"] >= 1 and phys["artifactLocation"]["uri"]
        assert doc["runs"][0]["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
    assert len({r["partialFingerprints"]["primaryLocationLineHash"] for r in results}) == len(results)
    no_hash = _sarif(line_hash=False)
    assert not any("primaryLocationLineHash" in r["partialFingerprints"] for r in _results(no_hash))


def test_severity_levels():
    assert sarif.LEVELS == {"high": "error", "medium": "warning", "low": "note"}


def test_rules_describe_every_check():
    driver = _sarif()["runs"][0]["tool"]["driver"]
    assert driver["name"] == "consent-auditor" and driver["semanticVersion"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    ids = [r["id"] for r in driver["rules"]]
    assert ids == [s.id for s in SPEC_LIST]
    for r, spec in zip(driver["rules"], SPEC_LIST):
        assert r["shortDescription"]["text"] == spec.title
        full = r["fullDescription"]["text"]
        assert full and len(full) <= 1024 and "\n" not in full and "##" not in full
        assert full.split()[:3] == spec.sections()["What it finds"].split()[:3]
        assert r["help"]["text"].startswith(f"{spec.id}: {spec.title}") and "## How to fix" in r["help"]["text"]
        assert "## What it finds" in r["help"]["markdown"]
        assert r["helpUri"].startswith("https://") and r["helpUri"].endswith("#" + spec.id)
        assert r["defaultConfiguration"]["level"] == sarif.LEVELS[spec.severity]
        assert r["properties"]["tags"] == list(spec.tags) and "security" not in r["properties"]["tags"]
        assert r["name"] == "".join(w.capitalize() for w in spec.id.split("-"))


def test_a_finding_of_an_unknown_check_gets_a_rule():
    odd = finding("retired-check", "old finding")
    doc = _sarif(audit_run([page_result("https://a.example/", check_result("retired-check", odd))]))
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    r = _results(doc)[0]
    assert rules[r["ruleIndex"]]["id"] == "retired-check" and rules[r["ruleIndex"]]["help"]["text"]


def test_locations_name_the_file_and_line_that_named_the_page():
    res = _by_fp(_sarif())

    def where(f):
        phys = res[f.fingerprint]["locations"][0]["physicalLocation"]
        return phys["artifactLocation"].get("uriBaseId"), phys["artifactLocation"]["uri"], phys["region"]["startLine"]

    assert where(F_NEW) == ("%SRCROOT%", "targets.txt", 3)  # the targets file line
    assert where(F_STEP) == ("%SRCROOT%", "flows/checkout.yml", 14)  # the step's line in the flow file
    assert where(F_START) == ("%SRCROOT%", "flows/checkout.yml", 1)  # the start page: line 0 -> 1
    assert where(F_HOSTILE) == ("PAGES", "pages/127.0.0.1/checkout", 1)  # command line: no port, no query
    r = res[F_STEP.fingerprint]
    assert r["properties"]["url"] == "https://shop.example/basket"
    assert r["properties"]["flow"] == "Checkout" and r["properties"]["step"] == 2
    assert r["locations"][0]["logicalLocations"][0] == {"kind": "resource", "name": "https://shop.example/basket",
                                                        "fullyQualifiedName": "https://shop.example/basket"}
    new = res[F_NEW.fingerprint]["properties"]
    assert new["frame"] == "https://shop.example/signup" and new["selector"] == F_NEW.element.selector


def test_paths_are_relative_to_the_root(tmp_path):
    (tmp_path / "flows").mkdir()
    flow = flow_result("F", str(tmp_path / "flows" / "a b.yml"),
                       flow_step(0, "https://a.example/", page_result("https://a.example/",
                                                                      check_result("prechecked-consent", F_NEW))))
    doc = _sarif(audit_run(flows=[flow]), root=tmp_path)
    art = _results(doc)[0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert art == {"uri": "flows/a%20b.yml", "uriBaseId": "%SRCROOT%"}
    assert doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    outside = _sarif(audit_run(flows=[flow]), root=tmp_path / "flows" / "elsewhere")
    art = _results(outside)[0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert art["uri"].startswith("file:///") and "uriBaseId" not in art


def test_baseline_states_and_suppressions():
    res = _by_fp(_sarif(entries=ENTRIES))
    assert res[F_NEW.fingerprint]["baselineState"] == "new" and res[F_NEW.fingerprint]["suppressions"] == []
    known = res[F_KNOWN.fingerprint]
    assert known["baselineState"] == "unchanged"
    assert known["suppressions"] == [{"kind": "external", "status": "accepted",
                                      "justification": "Legal sign-off until the new form ships (JIRA-123)",
                                      "properties": {"owner": "growth", "expires": "2027-03-31"}}]
    nr = res[F_START.fingerprint]
    assert nr["baselineState"] == "unchanged" and nr["suppressions"][0]["status"] == "underReview"
    expired = res[F_HOSTILE.fingerprint]
    assert expired["baselineState"] == "new" and expired["suppressions"] == []
    assert expired["properties"]["baseline"] == "expired"
    plain = _sarif(audit_run([unbaselined(SIGNUP)]))  # no baseline: no baselineState at all
    assert not any("baselineState" in r for r in _results(plain))
    without = _sarif(baselined=False)
    assert {F_KNOWN.fingerprint, F_START.fingerprint}.isdisjoint(_by_fp(without))
    assert F_NEW.fingerprint in _by_fp(without)


def test_fixed_entries_are_properties_not_results_unless_asked():
    doc = _sarif()
    assert not any(r.get("baselineState") == "absent" for r in _results(doc))
    fixed = doc["runs"][0]["properties"]["baseline"]["fixed"]
    assert fixed == [{"fingerprint": FIXED.fingerprint, "check": "drip-pricing", "page": FIXED.page,
                      "message": FIXED.message}]
    absent = [r for r in _results(_sarif(absent=True)) if r.get("baselineState") == "absent"]
    assert len(absent) == 1 and absent[0]["ruleId"] == "drip-pricing"
    assert absent[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pages/shop.example/cart"


def test_review_findings_are_notes_or_left_out():
    r = _by_fp(_sarif())[F_REVIEW.fingerprint]
    assert r["level"] == "note" and r["properties"]["review"] is True and "kind" not in r
    assert F_REVIEW.fingerprint not in _by_fp(_sarif(review=False))
    levels = {fp: r["level"] for fp, r in _by_fp(_sarif()).items()}
    assert levels[F_NEW.fingerprint] == "error" and levels[F_MEDIUM.fingerprint] == "warning"


def test_hostile_text_is_inert_in_sarif():
    r = _by_fp(_sarif())[F_HOSTILE.fingerprint]
    text = r["message"]["text"]
    assert not CONTROL.search(text) and "\n" not in text
    assert "\\[click\\](javascript" in text and not re.search(r"(?<!\\)[\[\]]", text)  # no embedded SARIF link
    assert "<script>" in text  # JSON carries it as data; viewers escape it
    raw = sarif.render(RUN, SPEC_LIST, root=ROOT)
    assert "\x1b" not in raw and "\u202e" not in raw


def test_attachments_invocation_and_category(tmp_path):
    doc = _sarif(out_dir=tmp_path)
    run = doc["runs"][0]
    assert run["originalUriBaseIds"]["OUTDIR"]["uri"] == tmp_path.resolve().as_uri() + "/"
    att = _by_fp(doc)[F_NEW.fingerprint]["attachments"][0]
    assert att["artifactLocation"] == {"uri": "evidence/page01-prechecked.png", "uriBaseId": "OUTDIR"}
    assert "uri" not in _sarif()["runs"][0]["originalUriBaseIds"]["OUTDIR"]
    inv = run["invocations"][0]
    assert inv["executionSuccessful"] is False and inv["commandLine"] == "auditor scan https://shop.example/"
    assert inv["startTimeUtc"] == "2026-01-01T10:00:00.000Z" and inv["endTimeUtc"] == "2026-01-01T10:00:30.000Z"
    notes = [n["message"]["text"] for n in inv["toolExecutionNotifications"]]
    assert "https://down.example/: unreachable: net::ERR_NAME_NOT_RESOLVED" in notes
    assert any(n.startswith("Checkout: step 3 (Pay): failed") for n in notes)
    assert all(n["level"] == "error" for n in inv["toolExecutionNotifications"])
    assert run["automationDetails"]["id"] == "consent-auditor/"
    assert _sarif(category="consent-auditor/shop")["runs"][0]["automationDetails"]["id"] == "consent-auditor/shop/"
    assert "automationDetails" not in _sarif(category=None)["runs"][0]
    clean_run = _sarif(audit_run([SIGNUP]))["runs"][0]["invocations"][0]
    assert clean_run["executionSuccessful"] is True and "toolExecutionNotifications" not in clean_run


def test_sarif_write(tmp_path):
    path = sarif.write(RUN, tmp_path / "out" / "audit.sarif", SPEC_LIST, root=ROOT)
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == "2.1.0"


# ----------------------------------------------------------------------------------------------- JUnit


def _junit(run=RUN, **kw):
    text = junit.render(run, SPEC_LIST, **kw)
    ET.fromstring(text.encode("utf-8"))  # well-formed XML 1.0
    return text, JUnitXml.fromstring(text.encode("utf-8"))


def _cases(suite):
    return {c.name: c for c in suite}


def _outcome(case):
    kinds = {type(r) for r in case.result}
    return "failure" if Failure in kinds else "error" if Error in kinds else "skipped" if Skipped in kinds else "pass"


def test_junit_suites_cases_and_counts(tmp_path):
    _, xml = _junit(out_dir=tmp_path)
    suites = {s.name: s for s in xml}
    assert list(suites) == ["https://shop.example/signup?session=abc", "http://127.0.0.1:8123/checkout/",
                            "https://down.example/", "flow: Checkout"]
    signup = _cases(suites["https://shop.example/signup?session=abc"])
    assert {n: _outcome(c) for n, c in signup.items()} == {
        "prechecked-consent": "failure", "asymmetric-choice": "failure", "drip-pricing": "skipped",
        "choice-ignored": "error", "consent-before-choice": "pass"}
    assert all(c.classname == "https://shop.example/signup?session=abc" for c in signup.values())
    s = suites["https://shop.example/signup?session=abc"]
    assert (s.tests, s.failures, s.errors, s.skipped) == (5, 2, 1, 1) and s.time == pytest.approx(2.5)
    down = _cases(suites["https://down.example/"])
    assert list(down) == ["page"] and _outcome(down["page"]) == "error"
    assert down["page"].result[0].message == "unreachable: net::ERR_NAME_NOT_RESOLVED"
    for suite in xml:  # every suite's counts match its cases
        cases = list(suite)
        assert suite.tests == len(cases)
        assert suite.failures == sum(_outcome(c) == "failure" for c in cases)
        assert suite.errors == sum(_outcome(c) == "error" for c in cases)
        assert suite.skipped == sum(_outcome(c) == "skipped" for c in cases)
    assert xml.tests == sum(s.tests for s in xml) == 11
    assert (xml.failures, xml.errors, xml.skipped) == (4, 3, 1)
    assert xml.time == pytest.approx(sum(s.time for s in xml)) and xml.time == pytest.approx(2.5 + 1.25 + 0.5 + 12.5)


def test_junit_failures_list_failing_findings_and_baselined_ones_pass(tmp_path):
    _, xml = _junit(out_dir=tmp_path)
    case = _cases(next(iter(xml)))["prechecked-consent"]
    failure = case.result[0]
    assert failure.type == "prechecked-consent"
    assert failure.message.startswith("1 finding(s): [high] Pre-checked: \"Send me partner offers\"")
    assert "Send me partner offers" in failure.text and "Newsletter" not in failure.text
    assert "[baseline: new]" in failure.text
    out = case.system_out
    assert "baselined (known, does not fail the run)" in out and "Newsletter" in out
    shot = (tmp_path / "evidence/page01-prechecked.png").resolve()
    assert f"[[ATTACHMENT|{shot}]]" in out.splitlines()
    error = _cases(next(iter(xml)))["choice-ignored"].result[0]
    assert error.message == "KeyError: 'states'"


def test_junit_flow_suite():
    _, xml = _junit()
    flow = {s.name: s for s in xml}["flow: Checkout"]
    cases = _cases(flow)
    assert {n: _outcome(c) for n, c in cases.items()} == {
        "flow": "error", "consent-before-choice": "pass", "sneak-into-basket": "failure"}
    assert "step 3 (Pay) failed" in cases["flow"].result[0].message
    failure = cases["sneak-into-basket"].result[0]
    assert "(step 2: Go to basket)" in failure.text
    assert "baselined (not-reviewed" in cases["consent-before-choice"].system_out
    assert flow.time == pytest.approx(12.5)
    assert "[[ATTACHMENT|" in cases["sneak-into-basket"].system_out


def test_junit_fail_on_and_review():
    _, xml = _junit(fail_on="high")
    local, signup = {s.name: s for s in xml}["http://127.0.0.1:8123/checkout/"], next(iter(xml))
    hidden = _cases(local)["hidden-agreement-text"]
    assert _outcome(hidden) == "pass" and "below fail-on high" in hidden.system_out
    assert _outcome(_cases(signup)["asymmetric-choice"]) == "pass"
    assert _outcome(_cases(signup)["prechecked-consent"]) == "failure"
    review = _cases(local)["missing-opt-out"]
    assert _outcome(review) == "pass" and "needs review" in review.system_out
    _, per_page = _junit(fail_on=lambda address: "high" if "127.0.0.1" in address else "low")
    assert _outcome(_cases({s.name: s for s in per_page}["http://127.0.0.1:8123/checkout/"])["hidden-agreement-text"]) \
        == "pass"
    assert _outcome(_cases(next(iter(per_page)))["asymmetric-choice"]) == "failure"
    with pytest.raises(ValueError):
        junit.render(RUN, SPEC_LIST, fail_on="severe")
    with pytest.raises(ValueError):
        markdown.render(RUN, SPEC_LIST, fail_on="severe")


def test_junit_survives_hostile_text():
    text, xml = _junit()
    assert "\x1b" not in text and "\u202e" not in text
    assert "<script>" not in text and "&lt;script&gt;" in text
    case = _cases({s.name: s for s in xml}["http://127.0.0.1:8123/checkout/"])["hidden-agreement-text"]
    assert "]]>" in case.result[0].text and "<img src=x" in case.result[0].text  # kept as text, escaped
    nasty = finding("prechecked-consent", "nul\x00 \x0b vt \ud800 surrogate \uffff end", "high")
    text, xml = _junit(audit_run([page_result("https://a.example/\x00", check_result("prechecked-consent", nasty))]))
    assert "\x00" not in text and "\ud800" not in text and "\uffff" not in text
    assert "surrogate" in next(iter(next(iter(xml)))).result[0].text


def test_junit_write(tmp_path):
    path = junit.write(RUN, tmp_path / "junit.xml", SPEC_LIST)
    assert JUnitXml.fromfile(str(path)).tests == 11


# ----------------------------------------------------------------------------------------------- Markdown


def _html(md: str) -> str:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md)


def test_markdown_counts_and_sections():
    md = markdown.render(RUN, SPEC_LIST)
    rows = dict(re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|$", md, re.M))
    assert rows["Pages audited"] == "2 of 3" and rows["Flows walked"] == "1 (1 incomplete)"
    assert rows["Findings"] == "6" and rows["· high"] == "4" and rows["· medium"] == "2" and rows["· low"] == "0"
    assert rows["Needs review"] == "1"
    baseline = [rows[k] for k in ("New", "Known", "Not reviewed", "Expired", "Fixed")]
    assert baseline == ["3", "1", "1", "1", "1"]
    assert "**❌ 4 finding(s) fail the run** (fail-on: low)" in md
    heads = re.findall(r"^### (.+)$", md, re.M)
    assert heads == ["New (3)", "Expired (1)", "Fixed (1)", "Not audited (2)"]
    assert "<summary>Known and not reviewed (2)</summary>" in md and "<summary>Needs review (1)</summary>" in md
    new = md.split("### New")[1].split("###")[0]
    assert "Send me partner offers" in new and "Gift wrap" in new and "Newsletter" not in new
    assert "Checkout › step 2\\: Go to basket" in new
    assert "[prechecked-consent](https://github.com/consent-auditor/consent-auditor/blob/main/docs/checks.md" \
           "#prechecked-consent)" in new
    custom = markdown.render(RUN, SPEC_LIST, doc_url=lambda c: f"https://docs.example/checks/{c} (v1)")
    assert "(https://docs.example/checks/prechecked-consent%20%28v1%29)" in custom


def test_markdown_without_a_baseline_lists_every_failing_finding_as_new():
    md = markdown.render(audit_run([unbaselined(SIGNUP)]), SPEC_LIST)
    assert "### New (3)" in md and "Newsletter" in md and "Expired" not in md and "Fixed" not in md
    assert "| Known |" not in md
    ok = markdown.render(audit_run([page_result("https://a.example/", check_result("prechecked-consent"))]))
    assert "✅ no finding fails the run" in ok and "### New (0)" in ok


def test_markdown_escapes_hostile_text():
    md = markdown.render(RUN, SPEC_LIST)
    assert not CONTROL.search(md)
    html = _html(md)
    assert "<script" not in html and "<img" not in html
    doc_links = re.findall(r'<a href="([^"]*)"', html)
    assert doc_links and all(u.startswith(sarif.DOCS_URL + "#") for u in doc_links)  # the only links: our docs
    # the hostile row alone: one table row of exactly four cells, whatever it quotes
    row = next(line for line in md.splitlines() if "evil" in line)
    table = _html("| Severity | Check | Page | Message |\n|---|---|---|---|\n" + row + "\n")
    assert table.count("<tr>") == 2 and table.count("<td>") == 4 and table.count("<a ") == 1
    for tag in ("<code>", "<em>", "<strong>", "<del>", "<img", "<script", "<br"):
        assert tag not in table, tag
    message = re.findall(r"<td>(.*?)</td>", table, re.S)[3]
    shown = message.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    assert "<script>alert(1)</script>" in shown and "[click](javascript:alert(1))" in shown  # shown, not obeyed
    assert "line break |x|" in shown  # the line break and the pipes stay inside the cell
    # nothing left that GitHub's or GitLab's renderer would turn into a link or a mention
    assert not re.search(r"(?:https?|javascript):(?!\u200b)//|www\.|@(?!\u200b)|#\d", shown)
    assert "https:\u200b//evil.example/" in shown


def test_markdown_cell():
    assert markdown.cell("a|b") == "a\\|b"
    assert markdown.cell("line\nbreak\r\nx") == "line break x"
    assert markdown.cell("<b>&") == "&lt;b&gt;&amp;"
    assert markdown.cell("[x](y) `c` *e* _u_ ~s~ $m$ :smile:") == \
        "\\[x\\](y) \\`c\\` \\*e\\* \\_u\\_ \\~s\\~ \\$m\\$ \\:smile\\:"
    assert markdown.cell("see https://a.example") == "see https\\:\u200b//a.example"
    assert markdown.cell("@team #12 www.a.example") == "@\u200bteam #\u200b12 www\u200b.a.example"
    assert markdown.cell("x" * 500).endswith("…") and len(markdown.cell("x" * 500)) == markdown.MAX_CELL


def test_markdown_write_appends(tmp_path):
    path = tmp_path / "summary.md"
    path.write_text("earlier step\n", encoding="utf-8")
    markdown.write(RUN, path, SPEC_LIST, append=True)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## Consent audit")


# ----------------------------------------------------------------------------------------------- annotations


def test_annotations_for_new_and_expired_findings_only():
    cmds = annotations.lines(RUN, root=ROOT, specs=SPEC_LIST)
    assert len(cmds) == 4  # F_NEW, F_MEDIUM, F_HOSTILE (expired), F_STEP; not known, not-reviewed, review
    assert cmds[0] == ("::error file=targets.txt,line=3,title=prechecked-consent%3A Optional consent is pre-selected"
                       "::Pre-checked: \"Send me partner offers\" (checkbox #mkt)%0Apage https://shop.example/"
                       "signup?session=abc")
    assert cmds[1].startswith("::warning file=targets.txt,line=3,title=asymmetric-choice")
    assert cmds[2].startswith("::warning title=hidden-agreement-text")  # named on the command line: no file
    assert "acceptance has expired" in cmds[2]
    assert cmds[3].startswith("::error file=flows/checkout.yml,line=14,title=sneak-into-basket")
    assert "flow Checkout › step 2: Go to basket (https://shop.example/basket)" in cmds[3]
    assert annotations.lines(RUN, root=ROOT, specs=SPEC_LIST, fail_on="high") == [cmds[0], cmds[3]]
    low = finding("prechecked-consent", "low one", "low")
    assert annotations.lines(audit_run([page_result("https://a.example/", check_result("x", low))]))[0] \
        .startswith("::notice ")


def test_annotation_escaping():
    assert annotations.escape_data("100% a\r\nb") == "100%25 a%0D%0Ab"
    assert annotations.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    cmd = annotations.lines(RUN, root=ROOT)[2]
    head, _, data = cmd[2:].partition("::")
    assert "\n" not in cmd and "\r" not in cmd and not CONTROL.search(cmd)
    assert "::" not in head  # the properties end where the runner expects
    assert "%0A" in data and "|x|" in data
    sneaky = finding("prechecked-consent", "x\n::add-mask::secret\r\n::stop-commands::t 50%", "high")
    flow = flow_result("F,1:2", "dir,x/f:1.yml",
                       flow_step(0, "https://a.example/", page_result("https://a.example/",
                                                                      check_result("prechecked-consent", sneaky))))
    out = io.StringIO()
    assert annotations.emit(audit_run(flows=[flow]), out, ROOT) == 1
    text = out.getvalue()
    assert text.count("\n") == 1 and text.startswith("::error file=dir%2Cx/f%3A1.yml,line=1,")
    assert "::add-mask::" in text and not re.search(r"^::add-mask", text, re.M) and "50%25" in text


def test_annotations_render_and_write(tmp_path):
    assert annotations.render(RUN, SPEC_LIST, root=ROOT).splitlines() == annotations.lines(RUN, ROOT, specs=SPEC_LIST)
    path = annotations.write(RUN, tmp_path / "a.txt", SPEC_LIST, root=ROOT)
    assert len(path.read_text(encoding="utf-8").splitlines()) == 4

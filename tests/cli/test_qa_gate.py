"""The QA gate end to end on the demo shop, through the real command line: a baseline written on the dark shop;
an unchanged re-run passes; a cosmetically changed page (elements inserted above, new class hashes, another query
string) passes with every fingerprint kept; one more pre-ticked box fails and is the only new finding; an
expired entry fails; a fixed finding is listed as fixed. The CI reports of these runs are checked as written."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from devserver import serve
from specs import sarif_schema

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "fixtures" / "site"
VARIANTS = ROOT / "fixtures" / "fingerprint" / "dark-shop"


def auditor(*args, cwd: Path, env: dict | None = None):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("CONSENT_AUDITOR_", "GITHUB_"))}
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "auditor", *args], cwd=cwd, env=e, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A copy of the demo shop served on 127.0.0.1, whose pages a test may swap."""
    root = tmp_path_factory.mktemp("qa-shop")
    shutil.copytree(SITE, root / "site")
    (root / ".git").mkdir()  # the project-config search stops here
    with serve(root) as (origin, _):
        yield root, f"{origin}/site/dark"


def use(root: Path, page: str, source: Path) -> None:
    shutil.copyfile(source, root / "site" / "dark" / page)


def fingerprints(report: dict) -> dict[str, dict]:
    return {f["fingerprint"]: dict(f, page=p["url"]) for p in report["pages"] for f in p["findings"]
            if f["status"] == "fail"}


def scan(root: Path, urls: list[str], out: str, *extra: str, env: dict | None = None):
    proc = auditor("scan", *urls, "--baseline", "baseline.toml", "--out", out, *extra, cwd=root, env=env)
    report_path = root / out / "report.json"
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else None
    return proc, report


@pytest.mark.browser
def test_the_gate_end_to_end(shop):
    root, base = shop
    urls = [f"{base}/signup.html", f"{base}/checkout.html"]
    for page in ("signup.html", "checkout.html"):
        use(root, page, SITE / "dark" / page)

    # 1. the baseline is written on the dark shop; the run that writes it passes (all "not reviewed")
    proc, first = scan(root, urls, "run1", "--update-baseline")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    known = fingerprints(first)
    assert len(known) >= 8 and all(fp.startswith("fp2:") for fp in known)
    entries = tomllib.loads((root / "baseline.toml").read_text(encoding="utf-8"))["finding"]
    assert {e["fingerprint"] for e in entries} == set(known)
    assert all(e["reason"] == "not reviewed" for e in entries)
    assert {f["baseline"] for f in known.values()} == {"not-reviewed"}

    # 2. unchanged re-run: exit 0, the same fingerprints
    proc, again = scan(root, urls, "run2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert set(fingerprints(again)) == set(known)

    # 3. cosmetic change: elements inserted above, class names and ids re-hashed, text case and spacing, another
    #    query string; every fingerprint kept, exit 0
    use(root, "signup.html", VARIANTS / "signup.cosmetic.html")
    use(root, "checkout.html", VARIANTS / "checkout.cosmetic.html")
    cosmetic = [f"{base}/signup.html?utm_source=newsletter&sid=8812af", f"{base}/checkout.html?step=2"]
    proc, changed = scan(root, cosmetic, "run3")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert set(fingerprints(changed)) == set(known)
    selectors = {f["selector"] for f in fingerprints(first).values()}
    assert selectors != {f["selector"] for f in fingerprints(changed).values()}  # the DOM really moved

    # 4. one more pre-ticked box: exit 1, exactly that one is new; the CI reports say so
    use(root, "checkout.html", SITE / "dark" / "checkout.html")
    use(root, "signup.html", VARIANTS / "signup.one-more.html")
    proc, more = scan(root, urls, "run4", "--sarif", "run4/consent.sarif", "--junit", "run4/junit.xml",
                      "--markdown", "run4/summary.md", env={"GITHUB_ACTIONS": "true"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    new = [f for f in fingerprints(more).values() if f["baseline"] == "new"]
    assert len(new) == 1 and new[0]["check"] == "prechecked-consent" and new[0]["page"].endswith("/signup.html")
    assert set(fingerprints(more)) - {new[0]["fingerprint"]} == set(known)
    check_ci_reports(root / "run4", new[0])
    annotations = [line for line in proc.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 1 and annotations[0].startswith("::error ") and "prechecked-consent" in annotations[0]

    # 5. an entry past its expiry date fails again
    use(root, "signup.html", SITE / "dark" / "signup.html")
    text = (root / "baseline.toml").read_text(encoding="utf-8")
    victim = sorted(known)[0]
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    block_start = text.index(f'fingerprint = "{victim}"')
    block_end = text.index('expires = ""', block_start)
    text = (text[:block_end] + f"expires = {yesterday}" + text[block_end + len('expires = ""'):])
    text = text.replace('reason = "not reviewed"', 'reason = "accepted by legal until the redesign"')
    (root / "baseline.toml").write_text(text, encoding="utf-8")
    proc, late = scan(root, urls, "run5")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    marks = {fp: f["baseline"] for fp, f in fingerprints(late).items()}
    assert marks[victim] == "expired"
    assert {m for fp, m in marks.items() if fp != victim} == {"known"}
    assert late["baseline"]["expired"] == 1

    # 6. a fixed finding: the clean sign-up page in place of the dark one; the signup's entries are fixed
    use(root, "signup.html", SITE / "clean" / "signup.html")
    text = text.replace(f"expires = {yesterday}", 'expires = ""')
    (root / "baseline.toml").write_text(text, encoding="utf-8")
    proc, fixed = scan(root, urls, "run6")
    fixed_fps = {e["fingerprint"] for e in fixed["baseline"]["fixed"]}
    signup_fps = {fp for fp, f in known.items() if f["page"].endswith("/signup.html")}
    gone = signup_fps - set(fingerprints(fixed))  # the form's patterns (the shared banner script stays)
    assert len(gone) >= 3 and fixed_fps == gone
    assert not [f for f in fingerprints(fixed).values() if f["baseline"] == "new"]
    assert "fixed:" in proc.stdout


def check_ci_reports(out: Path, new: dict) -> None:
    """The run with one new finding, as SARIF, JUnit and Markdown."""
    import jsonschema
    from junitparser import JUnitXml
    sarif = json.loads((out / "consent.sarif").read_text(encoding="utf-8"))
    jsonschema.validate(sarif, sarif_schema())
    results = sarif["runs"][0]["results"]
    by_fp = {r["partialFingerprints"]["consentAuditor/v2"]: r for r in results}
    assert new["fingerprint"] in by_fp
    assert by_fp[new["fingerprint"]].get("baselineState") == "new"
    assert not by_fp[new["fingerprint"]].get("suppressions")
    for r in results:
        for loc in r["locations"]:
            assert not loc["physicalLocation"]["artifactLocation"]["uri"].startswith(("http:", "https:"))
    xml = JUnitXml.fromfile(str(out / "junit.xml"))
    failed = [(suite.name, case.name) for suite in xml for case in suite
              if any(type(r).__name__ == "Failure" for r in case.result)]
    assert failed == [(new["page"], "prechecked-consent")]
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "prechecked-consent" in summary and "New" in summary

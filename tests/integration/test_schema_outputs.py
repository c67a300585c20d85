"""Real outputs against the published schemas: the JSON report (and pages.jsonl) of a real `auditor scan` and a
real `auditor flow` walk, in real Chromium, validate against auditor/schemas/report.schema.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from auditor import schemas

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"


def auditor(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "auditor", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture(scope="module")
def report_schema():
    return schemas.load("report")


def problems(schema: dict, instance) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}" for e in
            sorted(Draft202012Validator(schema).iter_errors(instance), key=lambda e: list(map(str, e.path)))]


@pytest.fixture(scope="module")
def scanned(fixture_server, tmp_path_factory):
    """A served page with a banner, trackers and a refusal; a local file; a page that is not there (HTTP 404)."""
    origin, _ = fixture_server
    out = tmp_path_factory.mktemp("schema-scan")
    proc = auditor("scan", f"{origin}/site/dark/index.html",
                   str(FIXTURES / "checks" / "hidden-agreement-text" / "checkout.html"),
                   f"{origin}/site/dark/not-there.html", "--out", str(out), "--no-evidence")
    assert proc.returncode == 3, proc.stderr  # findings, and a page that could not be audited
    return out


def test_a_real_scan_report_validates(scanned, report_schema):
    report = json.loads((scanned / "report.json").read_text(encoding="utf-8"))
    assert [p["error"]["kind"] if p["error"] else None for p in report["pages"]] == [None, None, "http-error"]
    assert report["pages"][0]["findings"] and report["pages"][0]["consent_evidence"]["choice"]
    assert problems(report_schema, report) == []


def test_every_line_of_pages_jsonl_is_a_valid_page(scanned, report_schema):
    lines = (scanned / "pages.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    page = {**report_schema, "$ref": "#/$defs/scanned_page"}
    for k in ("type", "properties", "required", "additionalProperties", "dependentSchemas"):
        page.pop(k)
    for line in lines:
        assert problems(page, json.loads(line)) == []


@pytest.fixture(scope="module")
def walked(fixture_server, tmp_path_factory):
    """The demo shop's dark sign-up, and a flow whose second step fails (a page with error kind flow-step)."""
    origin, _ = fixture_server
    out = tmp_path_factory.mktemp("schema-flow")
    broken = out / "broken.yaml"
    broken.write_text("name: stops at step 2\nstart: /site/clean/index.html\nsteps:\n  - audit: home\n"
                      "  - wait_for: {target: '#never-there', timeout: 1}\n", encoding="utf-8")
    proc = auditor("flow", str(FIXTURES / "flows" / "dark-signup.yaml"), str(broken), "--base", origin,
                   "--out", str(out / "run"), "--no-evidence")
    assert proc.returncode == 3, proc.stderr  # the broken flow is incomplete
    return out / "run"


def test_a_real_flow_report_validates(walked, report_schema):
    report = json.loads((walked / "report.json").read_text(encoding="utf-8"))
    signup, broken = report["flows"]
    assert signup["complete"] and len(signup["steps"]) > 10
    assert any(f["status"] == "fail" for st in signup["steps"] for f in (st["page"] or {}).get("findings", []))
    assert not broken["complete"] and broken["steps"][-1]["status"] == "failed"
    assert broken["steps"][-1]["page"]["error"]  # the page where the step failed
    assert problems(report_schema, report) == []

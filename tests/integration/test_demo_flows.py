"""The demo shop's signup and checkout, walked by `auditor flow`: each dark pattern at the step where it
appears, nothing on the clean twin, the identity's secrets nowhere in the reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.flows.identity import make_identity

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "fixtures" / "flows"


@pytest.fixture(scope="module")
def walked(fixture_server, tmp_path_factory):
    origin, _ = fixture_server
    out = tmp_path_factory.mktemp("demo-flows")
    files = sorted(FLOWS.glob("*.yaml"))
    proc = subprocess.run([sys.executable, "-m", "auditor", "flow", *map(str, files), "--base", origin,
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return proc, report, out


def _flow(report, name_part):
    return next(fl for fl in report["flows"] if name_part in Path(fl["file"]).name)


def _where(flow) -> dict[str, list[tuple[int, str]]]:
    """check -> [(step index, step label)] of its findings."""
    out: dict = {}
    for st in flow["steps"]:
        for f in (st["page"] or {}).get("findings", []):
            if f["status"] == "fail":
                out.setdefault(f["check"], []).append((st["index"], st["label"], f["message"]))
    return out


@pytest.mark.browser
def test_every_demo_flow_walks_to_its_end(walked):
    proc, report, _ = walked
    assert proc.returncode == 1, proc.stderr  # findings (dark), no incomplete flow
    assert len(report["flows"]) == 4
    assert all(fl["complete"] for fl in report["flows"]), [(fl["file"], fl["error"]) for fl in report["flows"]]


@pytest.mark.browser
def test_dark_checkout_shows_each_pattern_at_its_step(walked):
    where = _where(_flow(walked[1], "dark-checkout"))
    sneak = where.get("sneak-into-basket", [])
    assert len(sneak) == 1 and "extras" in sneak[0][1].lower() and "Protection Plan" in sneak[0][2]
    drip = where.get("drip-pricing", [])
    assert any("Service fee" in m and "payment" in label.lower() for _, label, m in drip), drip
    assert any("Protection Plan" in m and "extras" in label.lower() for _, label, m in where.get("prechecked-consent", []))


@pytest.mark.browser
def test_dark_signup_shows_prechecked_marketing_on_the_preferences_step(walked):
    flow = _flow(walked[1], "dark-signup")
    where = _where(flow)
    steps = {st["index"]: st for st in flow["steps"]}
    pre = where.get("prechecked-consent", [])
    assert any("preferences" in (steps[i]["page"] or {}).get("url", "") for i, _, _ in pre), pre


@pytest.mark.browser
@pytest.mark.parametrize("name", ["clean-checkout", "clean-signup"])
def test_clean_flows_report_nothing(walked, name):
    assert _where(_flow(walked[1], name)) == {}


@pytest.mark.browser
def test_no_secret_of_the_identities_in_any_report(walked):
    proc, report, out = walked
    texts = [(out / "report.json").read_text(encoding="utf-8"), (out / "report.html").read_text(encoding="utf-8"),
             proc.stdout, proc.stderr]
    for fl in report["flows"]:
        ident = make_identity(fl["identity"]["locale"].replace("_", "-"), int(fl["identity"]["seed"]))
        for secret in ident.secrets():
            assert all(secret not in t for t in texts), (fl["file"], "secret found")

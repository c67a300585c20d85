"""`auditor discover` on the demo shop, as a user runs it: no flow file given, both journeys of both variants
found from the home page, written as flow files, walked, and each dark pattern reported at its step."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.flows.identity import make_identity
from auditor.flows.spec import load_flow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def discovered(fixture_server, tmp_path_factory):
    origin, _ = fixture_server
    out = tmp_path_factory.mktemp("discover")
    starts = [f"{origin}/site/dark/index.html", f"{origin}/site/clean/index.html"]
    proc = subprocess.run([sys.executable, "-m", "auditor", "discover", *starts, "--out", str(out),
                           "--locale", "en-GB", "--no-evidence"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return proc, report, out


def _discovery(report, variant, journey):
    return next(d for d in report["discoveries"] if f"/{variant}/" in d["start"] and d["journey"] == journey)


def _flow(report, variant, journey):
    d = _discovery(report, variant, journey)
    return next(fl for fl in report["flows"] if fl["file"] == d["file"])


def _findings(flow):
    """[(check, step index, step url, message)] of a walked flow."""
    return [(f["check"], st["index"], (st["page"] or {}).get("url", ""), f["message"])
            for st in flow["steps"] for f in (st["page"] or {}).get("findings", []) if f["status"] == "fail"]


@pytest.mark.browser
def test_both_journeys_of_both_variants_are_found_and_walked_to_the_end(discovered):
    proc, report, _ = discovered
    assert proc.returncode == 1, proc.stderr  # findings on the dark shop; every journey found and walked
    assert len(report["discoveries"]) == 4 and all(d["found"] for d in report["discoveries"]), report["discoveries"]
    assert len(report["flows"]) == 4 and all(fl["complete"] for fl in report["flows"]), \
        [(fl["file"], fl["error"]) for fl in report["flows"]]
    for variant in ("dark", "clean"):
        assert 'stopped before "Create account"' in _discovery(report, variant, "signup")["stopped"]
        assert "reached the payment step" in _discovery(report, variant, "checkout")["stopped"]
        assert "checkout-payment.html" in _flow(report, variant, "checkout")["steps"][-1]["page"]["url"]
        assert "signup-preferences.html" in _flow(report, variant, "signup")["steps"][-1]["page"]["url"]


@pytest.mark.browser
def test_the_dark_shop_shows_each_pattern_at_its_step(discovered):
    _, report, _ = discovered
    signup = _findings(_flow(report, "dark", "signup"))
    assert any(c == "prechecked-consent" and "signup-preferences" in url for c, _, url, _ in signup), signup
    checkout = _findings(_flow(report, "dark", "checkout"))
    sneak = [(url, m) for c, _, url, m in checkout if c == "sneak-into-basket"]
    assert len(sneak) == 1 and "checkout-extras" in sneak[0][0] and "Protection Plan" in sneak[0][1], sneak
    drip = [(url, m) for c, _, url, m in checkout if c == "drip-pricing"]
    assert any("Service fee" in m and "checkout-payment" in url for url, m in drip), drip
    # standard delivery at £4.95 is announced on the product page the walk opens: disclosed, not dripped
    assert len(drip) == 1 and not any("Delivery" in m for _, m in drip), drip


@pytest.mark.browser
@pytest.mark.parametrize("journey", ["signup", "checkout"])
def test_the_clean_shop_reports_nothing(discovered, journey):
    assert _findings(_flow(discovered[1], "clean", journey)) == []


@pytest.mark.browser
def test_the_written_flows_can_be_read_edited_and_hold_no_secret(discovered):
    _, report, out = discovered
    ident = make_identity("en-GB", 1)
    for d in report["discoveries"]:
        path = Path(d["file"])
        assert path.parent == out / "flows"
        text = path.read_text(encoding="utf-8")
        flow = load_flow(path)
        assert flow.start == d["start"] and flow.allow_submit is False and len(flow.steps) == d["steps"]
        assert all(s not in text for s in ident.secrets()) and ident.email not in text
        targets = " ".join(str(s.arg("target")) for s in flow.steps)
        assert "Place order" not in targets and "Create account" not in targets
        if d["journey"] == "signup":
            assert "{{ identity.password }}" in text and "{{ identity.email }}" in text
        # nothing the page ticked or added was changed: no uncheck step, no click on an extra
        assert not any(s.kind == "uncheck" for s in flow.steps)


@pytest.mark.browser
def test_no_secret_of_the_identity_in_any_report(discovered):
    proc, report, out = discovered
    ident = make_identity("en-GB", 1)
    texts = [(out / "report.json").read_text(encoding="utf-8"), (out / "report.html").read_text(encoding="utf-8"),
             proc.stdout, proc.stderr]
    for secret in ident.secrets():
        assert all(secret not in t for t in texts)

"""`auditor flow` as a user runs it: real processes, real Chromium, the guards that keep a flow safe."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from devserver import serve
from auditor.flows.identity import make_identity

from test_cli import auditor

PAGES = Path(__file__).resolve().parents[1] / "integration" / "pages"
MASK = (255, 0, 255)  # Playwright's mask colour


@pytest.fixture(scope="module")
def site():
    with serve(PAGES) as (origin, _):
        yield origin


def flow_file(tmp_path, steps: str, extra: str = "", name: str = "flow.yaml") -> Path:
    p = tmp_path / name
    p.write_text(f"name: test flow\nstart: /flow/start.html\nlocale: en-GB\nidentity: {{seed: 5}}\n{extra}"
                 f"steps:\n{steps}", encoding="utf-8")
    return p


def run_flow(site, tmp_path, path, *more):
    out = tmp_path / "out"
    proc = auditor("flow", str(path), "--base", site, "--out", str(out), *more)
    report = json.loads((out / "report.json").read_text(encoding="utf-8")) if (out / "report.json").exists() else None
    return proc, report, out


ALL_KINDS = """\
  - fill: {target: "#email", value: "{{ identity.email }}"}
  - fill: {target: "#password", value: "{{ identity.password }}"}
  - select: {target: "#country", value: "United Kingdom"}
  - check: "#terms"
  - uncheck: "#news"
  - scroll: bottom
  - wait_for: "#bottom"
  - expect: {text: "Create your account"}
  - audit: account form filled
  - click: "#continue"
  - expect: {target: "#cc-number"}
  - fill: {target: "#cc-number", value: "{{ identity.card_number }}"}
  - press: {target: "#cc-exp", key: "Tab"}
  - goto: /flow/second.html
"""


def test_every_step_kind_walks_and_findings_are_reported_once_at_their_step(site, tmp_path):
    proc, report, out = run_flow(site, tmp_path, flow_file(tmp_path, ALL_KINDS))
    assert proc.returncode == 1, proc.stderr  # findings, flow complete
    (flow,) = report["flows"]
    assert flow["complete"] and [s["status"] for s in flow["steps"]] == ["ok"] * 15
    firsts = {}
    for s in flow["steps"]:
        for f in s["page"]["findings"]:
            firsts.setdefault((f["check"], f["fingerprint"]), []).append(s["index"])
    # the pre-ticked news box on the start page is found at step 0; unticking it leaves nothing to repeat;
    # the pre-ticked marketing box on the payment page first shows after the click (step 10), not again at 14
    assert all(len(v) == 1 for v in firsts.values()), firsts
    steps_by_check = {}
    for (check, _), idx in firsts.items():
        steps_by_check.setdefault(check, []).extend(idx)
    assert sorted(steps_by_check["prechecked-consent"]) == [0, 10]
    assert all((out / s["page"]["screenshot"]).is_file() for s in flow["steps"])
    assert flow["identity"]["password"] == "••••••••" and flow["identity"]["email"].endswith("@example.com")


def test_password_and_card_are_masked_in_screenshots_and_reports(site, tmp_path):
    ident = make_identity("en-GB", 5)
    proc, report, out = run_flow(site, tmp_path, flow_file(tmp_path, ALL_KINDS))
    texts = [(out / "report.json").read_text(encoding="utf-8"), (out / "report.html").read_text(encoding="utf-8"),
             proc.stdout, proc.stderr]
    for secret in ident.secrets():
        assert all(secret not in t for t in texts), secret
    # the step after the password was typed: the password field is painted over in the screenshot
    step = next(s for s in report["flows"][0]["steps"] if s["index"] == 2)
    shot = Image.open(out / step["page"]["screenshot"]).convert("RGB")
    w, h = shot.size
    masked = sum(1 for x in range(0, w, 4) for y in range(0, min(h, 600), 4) if shot.getpixel((x, y)) == MASK)
    assert masked > 100, "no masked area in the screenshot after the password was typed"


def test_place_order_is_refused_without_allow_submit(site, tmp_path):
    steps = '  - click: "#continue"\n  - fill: {target: "#cc-number", value: "{{ identity.card_number }}"}\n' \
            '  - click: "#place"\n'
    proc, report, _ = run_flow(site, tmp_path, flow_file(tmp_path, steps))
    assert proc.returncode == 3, proc.stderr
    flow = report["flows"][0]
    assert not flow["complete"] and flow["steps"][-1]["status"] == "refused"
    assert "Place order" in flow["steps"][-1]["error"] and "allow_submit" in flow["steps"][-1]["error"]
    assert all("done.html" not in (s["page"].get("final_url") or "") for s in flow["steps"] if s["page"])


def test_enter_in_a_card_form_and_a_card_submit_are_refused(site, tmp_path):
    steps = '  - click: "#continue"\n  - fill: {target: "#cc-number", value: "{{ identity.card_number }}"}\n' \
            '  - press: {target: "#cc-number", key: Enter}\n'
    proc, report, _ = run_flow(site, tmp_path, flow_file(tmp_path, steps))
    assert proc.returncode == 3 and report["flows"][0]["steps"][-1]["status"] == "refused"
    steps2 = '  - click: "#continue"\n  - fill: {target: "#cc-number", value: "{{ identity.card_number }}"}\n' \
             '  - click: "#review"\n'
    proc, report, _ = run_flow(site, tmp_path, flow_file(tmp_path, steps2, name="f2.yaml"))
    assert proc.returncode == 3 and report["flows"][0]["steps"][-1]["status"] == "refused"


def test_allow_submit_lets_the_flow_place_the_order(site, tmp_path):
    """The control for the guard: with allow_submit the same click goes through."""
    steps = '  - click: "#continue"\n  - click: "#place"\n  - expect: {text: "Thank you for your order"}\n'
    proc, report, _ = run_flow(site, tmp_path, flow_file(tmp_path, steps, extra="allow_submit: true\n"))
    assert report["flows"][0]["complete"], report["flows"][0]["error"]


def test_navigation_out_of_scope_is_blocked_and_reported(site, tmp_path):
    steps = '  - click: "#away"\n'
    proc, report, _ = run_flow(site, tmp_path, flow_file(tmp_path, steps))
    assert proc.returncode == 3
    flow = report["flows"][0]
    assert flow["blocked_navigations"] and "localhost" in flow["blocked_navigations"][0]
    assert flow["steps"][-1]["status"] == "blocked"


def test_a_step_that_times_out_stops_the_flow_and_keeps_earlier_findings(site, tmp_path):
    steps = '  - check: "#terms"\n  - wait_for: {target: "#never-there", timeout: 1}\n  - click: "#continue"\n'
    proc, report, out = run_flow(site, tmp_path, flow_file(tmp_path, steps))
    assert proc.returncode == 3
    flow = report["flows"][0]
    assert [s["status"] for s in flow["steps"]] == ["ok", "ok", "failed"]
    assert "timed out" in flow["steps"][-1]["error"] and "#never-there" in flow["steps"][-1]["error"]
    assert (out / flow["steps"][-1]["page"]["screenshot"]).is_file()
    assert any(f["check"] == "prechecked-consent" for f in flow["steps"][0]["page"]["findings"])
    assert "step 2" in proc.stderr


@pytest.mark.parametrize("text, where", [
    ("name: x\nstart: /a\nsteps:\n  - click: a\n  - hover: b\n", ":5 (step 2): unknown step kind 'hover'"),
    ("name: x\nstart: /a\nsteps:\n  - click: [a\n", ":4: YAML syntax error"),
])
def test_broken_flow_files_exit_2_before_any_browser_starts(site, tmp_path, text, where):
    good = flow_file(tmp_path, '  - click: "#continue"\n', name="good.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    proc = auditor("flow", str(good), str(bad), "--base", site, "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert f"{bad}{where}" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    # "before any browser starts": the good flow was not walked either (no report, exit 2)
    assert not (tmp_path / "o" / "report.json").exists()


def test_trace_is_saved(site, tmp_path):
    proc, report, out = run_flow(site, tmp_path, flow_file(tmp_path, '  - check: "#terms"\n'), "--trace")
    trace = report["flows"][0]["trace"]
    assert trace and Path(trace).is_file() and Path(trace).stat().st_size > 1000


def test_a_click_on_a_missing_target_fails_the_step_clearly(site, tmp_path):
    steps = '  - click: {target: "#no-such-button", timeout: 1}\n'
    proc, report, _ = run_flow(site, tmp_path, flow_file(tmp_path, steps))
    assert proc.returncode == 3
    last = report["flows"][0]["steps"][-1]
    assert last["status"] == "failed" and "timed out" in last["error"] and "#no-such-button" in last["error"]


def test_a_step_that_changes_nothing_reuses_the_last_audit_and_one_that_does_is_audited(site, tmp_path):
    steps = """\
  - fill: {target: "#name", value: "{{ identity.name }}"}
  - fill: {target: "#email", value: "{{ identity.email }}"}
  - fill: {target: "#phone", value: "{{ identity.phone }}"}
  - audit: details typed
"""
    path = tmp_path / "reacts.yaml"
    path.write_text(f"name: reacts\nstart: /flow/reacts.html\nlocale: en-GB\nsteps:\n{steps}", encoding="utf-8")
    proc, report, _ = run_flow(site, tmp_path, path)
    assert proc.returncode == 1, proc.stderr
    (flow,) = report["flows"]
    reused = [s["page"]["reused_audit_of_step"] for s in flow["steps"]]
    # typing the name changes nothing a check reads; typing the e-mail makes the page add a ticked box (a DOM
    # change): audited afresh, the finding at that step; the phone changes nothing again; the last step is
    # always audited
    assert reused == [None, 0, None, 2, None], reused
    found = {(s["index"], f["check"]) for s in flow["steps"] for f in s["page"]["findings"]}
    assert found == {(2, "prechecked-consent")}, found


def test_steps_act_inside_a_cross_origin_frame_and_the_guard_refuses_paying_there(site, tmp_path):
    steps = """\
  - fill: {target: "#email", value: "{{ identity.email }}"}
  - click: {target: "#commander", final: false, name: "commander (the flow vouches it only moves on)"}
  - fill: {target: "#cardnumber", frame: "#card-frame", value: "{{ identity.card_number }}"}
  - check: {target: "#save", frame: "iframe[title='Secure card payment']"}
  - click: {target: "#pay-now", frame: "#card-frame"}
"""
    path = tmp_path / "frame.yaml"
    path.write_text(f"name: frame\nstart: /flow/frame.html\nlocale: en-GB\nsteps:\n{steps}", encoding="utf-8")
    proc, report, _ = run_flow(site, tmp_path, path)
    assert proc.returncode == 3, proc.stderr  # incomplete: the last click was refused
    (flow,) = report["flows"]
    status = [(s["index"], s["status"]) for s in flow["steps"]]
    assert status == [(0, "ok"), (1, "ok"), (2, "ok"), (3, "ok"), (4, "ok"), (5, "refused")], status
    # "Commander" sends a form with the buyer's e-mail in it: the guard would have refused it, the flow vouched
    assert flow["steps"][2]["note"].startswith("not a final action: the flow vouches"), flow["steps"][2]
    assert "would send card details" in flow["steps"][5]["error"], flow["steps"][5]
    assert TEST_CARD_DIGITS not in json.dumps(report) and "4111 1111 1111 1111" not in json.dumps(report)


TEST_CARD_DIGITS = "4111111111111111"

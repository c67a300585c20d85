"""Walked flows on pages that try to forge what the auditor reads (issue 12): the person's choices and the submit
guard's facts are read in the auditor's isolated world, so a page cannot launder its own pre-ticked box as the
person's choice, nor dress a card form up as a harmless one to get it submitted. Real Chromium, real server,
real `auditor flow` processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devserver import serve

ROOT = Path(__file__).resolve().parents[2]

LAUNDER = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Create your account</title></head>
<body><h1>Create your account</h1>
<form id="f" action="/signup" method="post">
  <p><label>Email <input id="email" type="email" name="email"></label></p>
  <button type="button" id="next">Continue</button>
  <section id="more" hidden>
    <p><label><input type="checkbox" id="news" name="news"> Send me marketing emails and offers</label></p>
    <button type="submit">Create account</button>
  </section>
</form>
<script>
// On the person's (trusted) click the page shows its pre-ticked box and tries every way to pass it off as ticked
// by the person: the auditor's old in-page state, synthetic input events on the box, and its own "click" on the
// label while the person's click is still being handled.
document.getElementById('next').addEventListener('click', () => {
  const box = document.getElementById('news');
  box.checked = true;
  document.getElementById('more').hidden = false;
  try {
    for (const k of Object.getOwnPropertySymbols(window)) {
      const v = window[k];
      if (v && typeof v === 'object') { v.touched = { has: () => true, add() {} }; }
    }
  } catch (e) {}
  for (const type of ['pointerdown', 'click', 'input', 'change', 'keydown']) {
    box.dispatchEvent(new Event(type, { bubbles: true, composed: true }));
  }
  box.checked = true;  // a synthetic click toggles a box: keep it ticked
});
</script></body></html>"""

DISGUISED_CARD_FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Payment</title>
<script>
// the page hides its card form from any script of the page's world: no input has a card-like name or
// autocomplete, forms and the document hold no inputs, closest() finds nothing, the button has no form
(() => {
  const P = HTMLInputElement.prototype;
  Object.defineProperty(P, 'name', { get() { return 'note'; }, configurable: true });
  const ga = Element.prototype.getAttribute;
  Element.prototype.getAttribute = function (n) { return /autocomplete|name|id/i.test(n) ? '' : ga.call(this, n); };
  const qsa = Element.prototype.querySelectorAll;
  Element.prototype.querySelectorAll = function (s) { return this.localName === 'form' ? [] : qsa.call(this, s); };
  const dqsa = Document.prototype.querySelectorAll;
  Document.prototype.querySelectorAll = function (s) { return /input|iframe/.test(s) ? [] : dqsa.call(this, s); };
  Element.prototype.closest = function () { return null; };
  Object.defineProperty(HTMLButtonElement.prototype, 'form', { get() { return null; }, configurable: true });
})();
</script></head>
<body><h1>Payment</h1>
<form action="/pay" method="post">
  <p><label>Card number <input name="cardnumber" id="cc-number" autocomplete="cc-number" value="4000 0000 0000 0002"></label></p>
  <p><label>Expiry <input name="cc-exp" id="cc-exp" autocomplete="cc-exp" value="12/30"></label></p>
  <p><label>CVC <input name="cvc" id="cvc" autocomplete="cc-csc" value="123"></label></p>
  <button type="submit" id="pay">Continue</button>
</form></body></html>"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("forged")
    (root / "launder.html").write_text(LAUNDER, encoding="utf-8")
    (root / "pay.html").write_text(DISGUISED_CARD_FORM, encoding="utf-8")
    record: list = []
    with serve(root, record=record) as (origin, _):
        yield origin, record


def walk(site_origin: str, tmp_path: Path, name: str, start: str, steps: str):
    flow = tmp_path / f"{name}.yaml"
    flow.write_text(f"name: {name}\nstart: {start}\nsteps:\n{steps}", encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "auditor", "flow", str(flow), "--base", site_origin, "--out",
                           str(out), "--no-evidence"], capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return proc, report["flows"][0]


def test_a_page_cannot_pass_its_pre_ticked_box_off_as_the_persons_choice(site, tmp_path):
    origin, _ = site
    proc, flow = walk(origin, tmp_path, "launder", "/launder.html",
                      '  - fill: {target: "#email", value: "{{ identity.email }}"}\n'
                      '  - click: "#next"\n'
                      '  - audit: the second part of the form\n')
    found = [(s["index"], f) for s in flow["steps"] for f in ((s.get("page") or {}).get("findings") or [])
             if f["check"] == "prechecked-consent"]
    assert found, f"the laundered box was not reported: {json.dumps(flow['steps'], indent=1)[:2000]}"
    assert all(dict(f["details"]).get("state_source") != "person" for _, f in found), found


def test_the_person_ticking_a_box_is_still_the_persons_choice(site, tmp_path):
    """The control: a box the flow itself ticks (a trusted click) is the person's, never a finding."""
    origin, _ = site
    proc, flow = walk(origin, tmp_path, "person", "/launder.html",
                      '  - fill: {target: "#email", value: "{{ identity.email }}"}\n'
                      '  - click: "#next"\n'
                      '  - uncheck: "#news"\n'
                      '  - check: "#news"\n'
                      '  - audit: ticked by the person\n')
    steps = flow["steps"]
    ticked = [f for s in steps if s["index"] >= 3 for f in ((s.get("page") or {}).get("findings") or [])
              if f["check"] == "prechecked-consent"]
    assert not ticked, ticked


def test_a_disguised_card_form_is_still_refused(site, tmp_path):
    origin, record = site
    before = len(record)
    proc, flow = walk(origin, tmp_path, "pay", "/pay.html", '  - click: "#pay"\n')
    last = flow["steps"][-1]
    assert last["status"] == "refused", (last["status"], last["error"])
    assert not flow["complete"]
    assert not [r for r in record[before:] if r[0] == "POST"], record[before:]

"""The collector, run in real Chromium through pytest-playwright's ``page``, reports the facts the checks need.

One page (tests/integration/pages/collector-facts.html) holds one known case per fact; each test names it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.browser.page import COLLECT_JS
from devserver import serve
from auditor.lexicon import load

PAGES = Path(__file__).parent / "pages"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def pages_server():
    with serve(PAGES) as origins:
        yield origins


@pytest.fixture()
def raw(page, pages_server):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{pages_server[0]}/collector-facts.html")
    opts = {"terms": json.dumps(load().js_matcher(), ensure_ascii=False), "maxText": 400, "htmlLimit": 500,
            "isTop": True}
    return json.loads(page.evaluate(COLLECT_JS, opts))


def control(raw, selector_end: str) -> dict:
    found = [c for c in raw["controls"] if c["ref"]["selector"].endswith(selector_end)]
    assert found, f"no control {selector_end}: {[c['ref']['selector'] for c in raw['controls']]}"
    return found[0]


def text(raw, start: str) -> dict:
    found = [t for t in raw["texts"] if t["text"].startswith(start)]
    assert found, f"no text block starting {start!r}"
    return found[0]


def test_state_as_loaded_and_where_it_came_from(raw):
    assert control(raw, "#markup-box")["checked"] and control(raw, "#markup-box")["state_source"] == "markup"
    assert control(raw, "#script-box")["checked"] and control(raw, "#script-box")["state_source"] == "script"


def test_aria_switch_on_a_button_and_pressed_toggle(raw):
    sw = control(raw, "#sw")
    assert (sw["kind"], sw["checked"], sw["label"]) == ("switch", True, "Personalised ads")
    tg = control(raw, "#tg")
    assert (tg["kind"], tg["checked"]) == ("toggle-button", True)


def test_labels_from_every_source(raw):
    assert control(raw, "#markup-box")["label"] == "Email me offers"  # wrapping label
    assert control(raw, "#script-box")["label"] == "Share with partners"  # label[for]
    assert control(raw, "#aria-lab")["label"] == "Text me deals"  # aria-label
    assert control(raw, "#adjacent")["label"] == "Adjacent words here"  # adjacent text
    assert control(raw, "#parts")["label"] == "First part Second part"  # blocks are separated


def test_styled_toggle_is_shown_through_its_label(raw):
    c = control(raw, "#styled")
    assert c["checked"] and not c["visible"] and c["label_visible"]


def test_required_and_select_options(raw):
    assert control(raw, "#req")["required"]
    sel = control(raw, "#sel")
    assert sel["kind"] == "select"
    assert [(o["text"], o["selected"], o["default_selected"]) for o in sel["options"]] == [
        ("No cover", False, False), ("Add insurance", True, True)]


def test_open_shadow_root_control_has_a_piercing_selector(raw):
    c = control(raw, "#shadow-box")
    assert " >> " in c["ref"]["selector"] and c["checked"]
    assert c["label"] == "Newsletter in a shadow root"


def test_text_size_colour_and_background(raw):
    t = text(raw, "By continuing you agree to the tiny terms")
    assert t["font_size"] == 8 and t["color"][:3] == [204, 204, 204] and t["background"][:3] == [255, 255, 255]
    dark = text(raw, "By continuing you agree to the dark terms")
    assert dark["background"][:3] == [16, 32, 48] and not dark["background_uncertain"]
    assert text(raw, "By continuing you agree to the photo terms")["background_uncertain"]


def test_opacity_clipping_offscreen_details_and_collapsed(raw):
    assert text(raw, "By continuing you agree to the faded terms")["opacity"] == pytest.approx(0.2, abs=1e-6)
    assert text(raw, "By continuing you agree to the clipped terms")["visible_fraction"] == 0
    assert text(raw, "By continuing you agree to the off-screen terms")["offscreen"]
    assert text(raw, "By continuing you agree to the folded terms")["in_closed_details"]
    collapsed = text(raw, "By continuing you agree to the collapsed terms")
    assert collapsed["collapsed"] and not collapsed["rendered"]


def test_text_knows_the_action_it_governs(raw):
    t = text(raw, "By continuing you agree to the tiny terms")
    assert t["actions"] and any(a["ref"]["selector"].endswith("#go") and a["same_form"] for a in t["actions"])


def test_overlay_buttons_with_their_looks(raw):
    ov = next(o for o in raw["overlays"] if o and o["ref"]["selector"].endswith("#banner"))
    assert ov["kind"] == "fixed" and ov["visible"]
    by = {c["text"]: c for c in ov["clickables"]}
    accept, reject = by["Accept all"], by["Reject"]
    assert accept["font_size"] == 18 and accept["font_weight"] == 700 and reject["font_size"] == 11
    assert reject["underline"] and not accept["underline"]
    assert accept["ref"]["box"]["width"] > reject["ref"]["box"]["width"]


def test_snippets_are_short_and_carry_no_annotations(raw):
    for item in raw["controls"] + raw["texts"]:
        assert len(item["ref"]["html"]) <= 500
        assert "data-expect" not in item["ref"]["html"]

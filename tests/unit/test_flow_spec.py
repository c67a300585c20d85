"""Flow files are read and checked before any browser starts: errors name the file, the line and the step."""

from __future__ import annotations

import pytest

from auditor.flows.identity import TEST_CARD, make_identity, render
from auditor.flows.spec import STEP_KINDS, FlowError, load_flow

BASE = "http://127.0.0.1:9999"

GOOD = """\
name: Demo checkout
start: /site/dark/product.html
viewport: 1024x700
locale: de-DE
identity: {seed: 7}
steps:
  - click: "text=In den Warenkorb"
  - goto: /site/dark/cart.html
  - fill: {target: "#email", value: "{{ identity.email }}"}
  - select: {target: "#country", value: DE, name: country}
  - check: "#gift"
  - uncheck: {target: "#newsletter", timeout: 5}
  - press: {target: "#postcode", key: Enter}
  - wait_for: "h1"
  - scroll: bottom
  - expect: {text: "Bestellübersicht"}
  - audit: extras
"""


def write(tmp_path, text: str, name: str = "flow.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_a_good_flow_is_read_with_every_step_kind(tmp_path):
    flow = load_flow(write(tmp_path, GOOD), BASE)
    assert flow.name == "Demo checkout" and flow.start == BASE + "/site/dark/product.html"
    assert flow.viewport == (1024, 700) and flow.locale == "de-DE" and flow.seed == 7
    assert flow.scope == ("127.0.0.1",) and flow.allow_submit is False
    kinds = [s.kind for s in flow.steps]
    assert set(kinds) == set(STEP_KINDS)
    assert flow.steps[1].arg("url") == BASE + "/site/dark/cart.html"
    assert flow.steps[3].name == "country" and flow.steps[5].timeout == 5
    assert flow.steps[0].line == 7 and flow.steps[0].index == 1


@pytest.mark.parametrize("text, line, step, words", [
    ("name: x\nstart: /a\nsteps:\n  - click: [unclosed\n", 4, None, "YAML syntax error"),
    ("name: x\nstart: /a\nsteps:\n  - click: a\n  - hover: b\n", 5, 2, "unknown step kind 'hover'"),
    ("name: x\nstart: /a\nsteps:\n  - fill: {target: '#e'}\n", 4, 1, "needs 'value'"),
    ("name: x\nstart: /a\nsteps:\n  - fill: {target: '#e', value: '{{ identity.shoe_size }}'}\n", 4, 1,
     "unknown value"),
    ("name: x\nstart: /a\nsteps:\n  - click: {target: a, force: true}\n", 4, 1, "does not take 'force'"),
    ("name: x\nstart: /a\nsteps:\n  - click: a\n    check: b\n", 4, 1, "exactly one kind"),
    ("name: x\nstart: /a\nsteps:\n  - goto: ftp://example.com/\n", 4, 1, "only http and https"),
    ("name: x\nstart: /a\nsteps: []\n", 1, None, "missing 'steps'"),
    ("name: x\nstart: /a\nwhatever: 1\nsteps:\n  - click: a\n", 3, None, "unknown key 'whatever'"),
    ("name: x\nstart: /a\nviewport: big\nsteps:\n  - click: a\n", 3, None, "viewport"),
    ("- just\n- a list\n", 1, None, "a flow file is a mapping"),
])
def test_broken_flows_say_file_line_and_step(tmp_path, text, line, step, words):
    path = write(tmp_path, text)
    with pytest.raises(FlowError) as info:
        load_flow(path, BASE)
    err = info.value
    assert words in str(err)
    assert err.line == line and err.step == step
    assert str(err).startswith(f"{path}:{line}")


def test_a_kind_that_needs_no_argument_may_stand_alone(tmp_path):
    flow = load_flow(write(tmp_path, "name: x\nstart: /a\nsteps:\n  - audit\n  - scroll\n"), BASE)
    assert [s.kind for s in flow.steps] == ["audit", "scroll"]
    with pytest.raises(FlowError, match="a step is a mapping"):
        load_flow(write(tmp_path, "name: x\nstart: /a\nsteps:\n  - click\n", "f2.yaml"), BASE)


def test_a_relative_url_without_base_is_an_error(tmp_path):
    with pytest.raises(FlowError, match="needs --base"):
        load_flow(write(tmp_path, "name: x\nstart: /a\nsteps:\n  - click: a\n"))


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(FlowError, match="cannot read"):
        load_flow(tmp_path / "nope.yaml", BASE)


def test_identities_are_reproducible_local_and_fake():
    a, b = make_identity("de-DE", 7), make_identity("de-DE", 7)
    assert a == b and make_identity("de-DE", 8) != a
    assert a.email.endswith("@example.com") and a.card_number == TEST_CARD
    assert a.locale == "de_DE" and a.country_code == "DE"
    assert make_identity("ja-JP", 7).locale == "ja_JP"
    # the test card passes the Luhn check (forms accept it) and is a published test number, not a real card
    digits = [int(d) for d in TEST_CARD.replace(" ", "")][::-1]
    assert sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits)) % 10 == 0


def test_secrets_are_masked_and_templates_render():
    ident = make_identity("en-GB", 3)
    masked = ident.masked()
    assert ident.password not in str(masked) and ident.card_number not in str(masked)
    assert masked["email"] == ident.email
    assert render("{{ identity.email }} / {{identity.city}}", ident) == f"{ident.email} / {ident.city}"


def test_final_marks_and_frames_are_read_and_checked(tmp_path):
    flow = load_flow(write(tmp_path, """name: x
start: http://127.0.0.1:1/
steps:
  - click: {target: "text=Commander", final: false}
  - click: {target: "text=Pay", final: true, name: pay}
  - fill: {target: "#cc", frame: "iframe[title='Card'] >> iframe", value: "{{ identity.card_number }}"}
  - click: "#go"
"""))
    assert [s.final for s in flow.steps] == [False, True, None, None]
    assert flow.steps[2].arg("frame") == "iframe[title='Card'] >> iframe"
    for bad, words in (("  - click: {target: '#a', final: 'no'}", "'final' is true or false"),
                       ("  - fill: {target: '#a', value: x, final: false}", "'final' is true or false"),
                       ("  - goto: {url: /x, frame: '#f'}", "does not take 'frame'")):
        with pytest.raises(FlowError) as e:
            load_flow(write(tmp_path, f"name: x\nstart: http://127.0.0.1:1/\nsteps:\n{bad}\n"))
        assert words in str(e.value) and ":4 (step 1)" in str(e.value), str(e.value)

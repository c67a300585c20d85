"""Fingerprint v2: anchored on meaning (check, page key, element role and name), not on DOM position."""

from __future__ import annotations

import dataclasses

import pytest
from builders import control, page, ref, run, text

from auditor.identity import anchor, fingerprint, norm_text, page_key, stamp, step_key
from auditor.models import Finding


@pytest.mark.parametrize("a,b", [
    ("https://Shop.Example/signup?utm_source=x", "https://shop.example/signup"),
    ("https://shop.example/signup/", "https://shop.example/signup"),
    ("https://shop.example/signup#form", "https://shop.example/signup?session=abc"),
    ("https://shop.example:443/signup", "https://shop.example/signup"),
    ("http://127.0.0.1:8123/site/dark/signup.html", "http://127.0.0.1:40111/site/dark/signup.html"),
    ("http://localhost:3000/a", "http://localhost:5173/a"),
    ("https://shop.example/s/3fa85f64-5717-4562-b3fc-2c963f66afa6/checkout",
     "https://shop.example/s/9c1d2e33-0000-4562-b3fc-2c963f66afa7/checkout"),
    ("https://shop.example/cart;jsessionid=A1B2C3D4E5F6", "https://shop.example/cart;jsessionid=FFEEDDCCBBAA"),
    ("https://shop.example/order/0f3c9a7b2d1e4f5a6b7c/pay", "https://shop.example/order/aa3c9a7b2d1e4f5a6b7c/pay"),
    ("https://shop.example/order/123456/checkout", "https://shop.example/order/654321/checkout"),
    ("https://shop.example/t/dGhpcyBpcyBhIHRva2VuMTIzNDU/pay", "https://shop.example/t/b3RoZXIgdG9rZW4gOTg3NjU0MzI/pay"),
    ("http://[::1]:8000/a", "http://[::1]:9000/a"),
])
def test_page_key_ignores_what_changes_between_visits(a, b):
    assert page_key(a) == page_key(b)


@pytest.mark.parametrize("a,b", [
    ("https://shop.example/signup", "https://shop.example/checkout"),
    ("https://shop.example/product/12", "https://shop.example/product/13"),
    ("https://shop.example/signup", "https://other.example/signup"),
    ("https://shop.example:8443/signup", "https://shop.example/signup"),  # a public port is part of the site
    ("http://shop.example/signup", "https://shop.example/signup"),
    ("https://shop.example/p/summer-sale-2024-collection-a", "https://shop.example/p/winter-sale-2024-collection-b"),
    ("https://shop.example/checkout/step/2", "https://shop.example/checkout/step/3"),
    ("data:text/html,<p>a</p>", "data:text/html,<p>b</p>"),
])
def test_page_key_keeps_what_names_another_page(a, b):
    assert page_key(a) != page_key(b)


def test_norm_text_folds_case_space_and_numbers():
    assert norm_text("  Send me\n  MARKETING   e-mails ") == "send me marketing e-mails"
    assert norm_text("We and our 847 partners") == norm_text("We and our 851 partners")


def test_step_key_names_flow_and_step():
    assert step_key("Checkout", "click  Continue") == step_key("checkout", "Click continue")
    assert step_key("Checkout", "click Continue") != step_key("Checkout", "click Pay")
    assert step_key("Checkout", "click Continue", 2) != step_key("Checkout", "click Continue")


def _stamped(controls):
    snap = page(controls=controls)
    result = run("prechecked-consent", snap)
    return [f.fingerprint for c in stamp((result,), page_key(snap.url), lambda f: snap) for f in c.findings]


def test_fingerprint_survives_new_selectors_and_inserted_elements():
    # the builders give every element a new selector (#elN): the same boxes, differently placed
    first = _stamped([control("Send me marketing e-mails"), control("Share my data with partners")])
    again = _stamped([control("I have read the FAQ", checked=False), control("SEND ME  marketing e-mails"),
                      control("Share my data with partners")])
    assert first and set(first) == set(again)
    assert all(fp.startswith("fp2:") and len(fp) == 4 + 24 for fp in first)


def test_one_more_box_adds_exactly_one_fingerprint():
    first = _stamped([control("Send me marketing e-mails")])
    more = _stamped([control("Send me marketing e-mails"), control("Share my data with advertising partners")])
    assert set(first) < set(more) and len(set(more) - set(first)) == 1


def test_another_purpose_changes_the_fingerprint():
    assert set(_stamped([control("Send me marketing e-mails")])) \
        .isdisjoint(_stamped([control("Share my data with advertising partners")]))


def test_identical_boxes_get_ordinals_not_one_fingerprint():
    fps = _stamped([control("Send me marketing e-mails"), control("Send me marketing e-mails")])
    assert len(fps) == 2 and len(set(fps)) == 2


def test_subject_wins_over_element_and_cookie_order_does_not_matter():
    a = Finding("consent-before-choice", "high", "high", "x", element=ref("banner"), subject="cookies: _fbp, _ga")
    b = dataclasses.replace(a, element=ref("another banner text"), message="y")
    assert anchor(a, None) == anchor(b, None)
    assert fingerprint(a.check, "k", anchor(a, None)) == fingerprint(b.check, "k", anchor(b, None))


def test_text_finding_anchored_on_text_not_selector():
    snap = page(texts=[text("By signing up you agree to share your data", font_size=7.0)])
    f = Finding("hidden-agreement-text", "high", "high", "m", element=snap.texts[0].ref)
    assert anchor(f, snap) == "text:by signing up you agree to share your data"


def test_local_file_key_is_its_path_from_the_project_root_wherever_the_run_starts(tmp_path, monkeypatch):
    (tmp_path / "proj" / ".git").mkdir(parents=True)
    page = tmp_path / "proj" / "site" / "a" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text("<p>x</p>", encoding="utf-8")
    other = tmp_path / "proj" / "site" / "b" / "index.html"
    keys = set()
    for cwd in (tmp_path, tmp_path / "proj", page.parent):
        monkeypatch.chdir(cwd)
        keys.add(page_key(page.as_uri()))
    assert keys == {"file:site/a/index.html"}
    assert page_key(other.as_uri()) != page_key(page.as_uri())

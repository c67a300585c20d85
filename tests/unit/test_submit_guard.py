"""The submit guard's judgement (auditor/flows/guard.py): a final action is refused, a step forward is not, in
every lexicon language; plus the real wordings that stopped hand-written flows on unseen shops."""

from __future__ import annotations

import json

import pytest

from auditor.flows.guard import SubmitFacts, judge
from auditor.lexicon import data_dir, load

LEX = load()
FILES = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(data_dir().glob("*.json"))}
LANGS = sorted(FILES)


def terms(lang: str, category: str) -> list[str]:
    return [t.strip("*") for t in FILES[lang]["categories"].get(category, [])]


def button(label: str, **kw) -> SubmitFacts:
    """A button that sends the checkout form, the buyer's details filled in (the review or payment step)."""
    return SubmitFacts(label=label, **{"submits": True, "details": True, **kw})


def final(facts: SubmitFacts, **kw) -> bool:
    return judge(facts, LEX, **kw).final


# ------------------------------------------------------------------------------- every language, every term


@pytest.mark.parametrize("lang", LANGS)
def test_every_final_wording_is_refused_once_the_buyer_is_known(lang):
    wrong = [t for t in terms(lang, "final_submit") if not final(button(t))]
    assert not wrong, wrong
    # Enter in, or a button of, a form with card fields sends card details whatever it says
    assert final(SubmitFacts(label="", card_form=True), enter=True)
    wrong = [t for t in terms(lang, "next_step") if not final(button(t, card_form=True))]
    assert not wrong, wrong


@pytest.mark.parametrize("lang", LANGS)
def test_every_sign_up_wording_is_refused_on_a_filled_form(lang):
    wrong = [t for t in terms(lang, "signup") if not final(button(t))]
    assert not wrong, wrong


@pytest.mark.parametrize("lang", LANGS)
def test_final_wording_on_a_link_to_another_page_moves_on(lang):
    # a cart's "Commander" / "去结算" / "Order now" is a link to the checkout: loading a page sends no order
    wrong = [t for t in terms(lang, "final_submit") + terms(lang, "signup")
             if final(SubmitFacts(label=t, link=True, details=True))]
    assert not wrong, wrong


@pytest.mark.parametrize("lang", LANGS)
def test_final_wording_before_anything_is_known_of_the_buyer_moves_on(lang):
    # a product page's "Buy it now", a basket's "주문하기": nobody to make an order or an account for yet
    wrong = [t for t in terms(lang, "final_submit") + terms(lang, "signup")
             if final(SubmitFacts(label=t, submits=False))]
    assert not wrong, wrong
    # ... but the moment the buyer has typed their details in this walk, it is final
    wrong = [t for t in terms(lang, "final_submit") if not final(SubmitFacts(label=t), walked_details=True)]
    assert not wrong, wrong


@pytest.mark.parametrize("lang", LANGS)
def test_every_step_forward_wording_moves_on(lang):
    forward = terms(lang, "next_step") + terms(lang, "checkout") + terms(lang, "cart") + terms(lang, "guest_checkout")
    wrong = [t for t in forward if not LEX.has("final_submit", t) and not LEX.has("signup", t)
             and final(button(t))]
    assert not wrong, wrong


@pytest.mark.parametrize("lang", LANGS)
def test_on_a_page_asking_for_card_details_final_wording_is_final_even_as_a_link(lang):
    wrong = [t for t in terms(lang, "final_submit") if not final(SubmitFacts(label=t, link=True, card_page=True))]
    assert not wrong, wrong


# ------------------------------------------------------------------------------- the wordings from the issue


@pytest.mark.parametrize("label, facts, expected", [
    # PrestaShop's cart: "Commander" is a link to the checkout; the same word on the order button is final
    ("Commander", dict(link=True), False),
    ("Commander", dict(submits=True, details=True), True),
    # Taobao: "next step: go to payment" leads with its next-step words
    ("下一步：去付款", dict(submits=True, details=True), False),
    ("去结算", dict(submits=False), False),
    ("提交订单", dict(submits=True, details=True), True),
    # Japanese guest checkout: "buy without registering"
    ("会員登録せずに購入する", dict(link=True), False),
    ("会員登録せずに購入する", dict(submits=True, details=True), False),
    ("注文を確定する", dict(submits=True, details=True), True),
    # Korean basket: "order all items" before any detail is given; the order form's "pay" after
    ("전체상품주문", dict(submits=False), False),
    ("결제하기", dict(submits=True, details=True), True),
    ("Zahlungspflichtig bestellen", dict(submits=True, details=True), True),
    ("Weiter zur Zahlung", dict(submits=True, details=True), False),
    ("Zur Kasse", dict(submits=True, details=True), False),
    ("Continue as guest", dict(submits=True, details=True), False),
    # final wording as a whole, and an account made before moving on
    ("Continue to PayPal", dict(submits=True, details=True), True),
    ("Create account and continue", dict(submits=True, details=True), True),
    # a form that posts to the order address, whatever its button says
    ("Submit", dict(submits=True, details=True, action="/checkout/placeOrder"), True),
    ("Submit", dict(submits=True, details=True, action="/newsletter"), False),
    ("Submit", dict(submits=True, details=False, action="/order"), False),
    ("Continue", dict(submits=True, details=True, action="/register/step-2"), False),
])
def test_real_wordings(label, facts, expected):
    assert final(SubmitFacts(label=label, **facts)) is expected, judge(SubmitFacts(label=label, **facts), LEX)


def test_a_flow_may_vouch_for_a_click_and_the_verdict_says_why():
    facts = button("Place order")
    assert judge(facts, LEX).final
    v = judge(facts, LEX, vouched=True)
    assert not v.final and "final: false" in v.reason
    assert judge(SubmitFacts(label="Commander", link=True), LEX).reason == "a link to another page"


def test_a_form_with_a_password_sent_with_details_makes_an_account_whatever_its_button_says():
    # Shopify's registration: "Create", POST /account
    assert final(SubmitFacts(label="Create", submits=True, details=True, password_form=True, action="/account"))
    # the first step of a longer sign-up moves on; nothing typed yet, nothing made
    assert not final(SubmitFacts(label="Continue", submits=True, details=True, password_form=True))
    assert not final(SubmitFacts(label="Create", submits=True, details=False, password_form=True))

"""The submit guard: is a click (or Enter) the final action of a purchase or a sign-up, or a step forward?

A walk must never place an order, pay or create an account unless the flow says ``allow_submit: true``. It
must also walk through everything before that: a cart's "Commander" (French for "order", a link to the
checkout), "下一步：去付款" ("next step: go to payment"), "주문하기" in a Korean basket, "会員登録せずに購入する"
("buy without registering"). The judgement is pure (``judge``); the facts come from the page
(``runner.TARGET_JS`` for a flow step, ``discover.js`` for discovery), so both walkers decide alike.

Final, in this order (the first rule that applies decides):

1. the control sends a form with payment card fields (a submit button of it, or Enter in it);
2. a plain link to another page of the site is a step forward (a link loads a page; it sends no order), unless
   the page itself asks for card details and the link is named like a final action;
3. the lexicon's final wording (``final_submit``: place order, pay now, zahlungspflichtig bestellen, 提交订单),
   or sign-up wording (create account, registrieren, 회원가입) on a control that is not a plain link:
   - a step forward when the label leads with words that say it moves on (``next_step``, ``checkout``,
     ``cart``, ``guest_checkout`` wording, outside the final words and before them: "下一步：去付款",
     "Weiter zur Zahlung", "Continue as guest"; not "Create account and continue"), unless the page asks
     for card details;
   - a step forward when nothing about the buyer has been given yet: no personal detail typed in this walk,
     none filled in on the page, no card fields (an order or an account cannot be made for nobody: a basket's
     "Order now" or a product's "Buy it now" leads to the checkout form);
   - else final;
4. a form that posts to an order, payment or registration address (``FINAL_ACTION``), or any form with a
   password field, sent once buyer details are given, when the label does not say it moves on;
5. anything else is a step forward.

A flow step may say ``final: false``: the person who wrote the flow vouches that the click is not final. It is
carried out and shown as vouched in the report; the card-data guard on the network still applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: a form that posts here places an order, takes a payment or creates an account (path words of its action)
FINAL_ACTION = re.compile(r"(^|[/_.\-])(place-?order|placeorder|submit-?order|create-?order|purchase|pay|payment|"
                          r"charge|confirm|register|registration|signup|sign-up|create-?account|account/create|"
                          r"order)($|[/_.\-?])", re.I)
#: categories whose words say a control moves on without finishing anything
FORWARD = ("next_step", "checkout", "cart", "guest_checkout")


@dataclass(frozen=True)
class SubmitFacts:
    """What the page says about one control a walk is about to use."""

    label: str = ""
    link: bool = False  # a link that loads another page of the site (not "#", not javascript:, not this page)
    submits: bool = False  # it sends a form: a submit button of it, or Enter in one of its fields
    card_form: bool = False  # its form has payment card fields
    card_page: bool = False  # the page shows payment card fields or a payment frame
    details: bool = False  # its form (or the page) holds filled-in buyer details: e-mail, phone, address, password
    action: str = ""  # the path of the address its form posts to, when it sends one with POST
    password_form: bool = False  # its form has a password field (an account is made or opened with it)


@dataclass(frozen=True)
class Verdict:
    final: bool
    reason: str


def judge(facts: SubmitFacts, lexicon, enter: bool = False, walked_details: bool = False,
          vouched: bool = False) -> Verdict:
    """Would this control (or Enter, when ``enter``) place an order, pay or create an account?"""
    label = facts.label or ""
    if vouched:
        return Verdict(False, "the flow vouches it is not a final action (final: false)")
    if facts.card_form and (facts.submits or enter):
        return Verdict(True, "it would send card details")
    final_spans = lexicon.spans("final_submit", label) if label else ()
    signup = bool(label) and lexicon.has("signup", label)
    if facts.link and not (facts.card_page and final_spans):
        return Verdict(False, "a link to another page")
    forward = _forward_words(lexicon, label, final_spans + (lexicon.spans("signup", label) if signup else ()))
    given = walked_details or facts.details or facts.card_page
    if final_spans or signup:
        what = "place an order or pay" if final_spans else "create the account"
        if forward and not facts.card_page:
            return Verdict(False, f"it says it moves on ({forward})")
        if not given:
            return Verdict(False, "nothing about the buyer has been given yet: no order or account can be made")
        return Verdict(True, f"it would {what}")
    if facts.submits and facts.action and FINAL_ACTION.search(facts.action) and given and not forward:
        return Verdict(True, f"its form posts to {facts.action}")
    if facts.submits and facts.password_form and given and not forward:
        # Shopify's "Create" posts the registration form to /account: a form with a password, sent once the
        # person's details are in it, makes (or opens) an account whatever its button says
        return Verdict(True, "it would send a form with a password (an account is made or opened)")
    return Verdict(False, "a step forward")


def _forward_words(lexicon, label: str, final_spans) -> str:
    """The moving-on words that lead the label, outside its final words: "下一步" in "下一步：去付款", "Weiter" in
    "Weiter zur Zahlung", "Continue as guest"; not "continue" in "Continue to PayPal" (final wording as a
    whole) nor in "Create account and continue" (the account is made first)."""
    if not label:
        return ""
    first_final = min((a for a, _, _ in final_spans), default=None)
    for cat in FORWARD:
        for start, end, text in lexicon.spans(cat, label):
            inside = any(a <= start and end <= b for a, b, _ in final_spans)
            if not inside and (first_final is None or start <= first_final):
                return text
    return ""

"""What a page offers a walker, read from its facts with the lexicon: which field asks for what, which form is
the one to fill, which link or button leads on (and which never), where the products, the basket, the
checkout and the sign-up are. Pure functions of ``PageFacts``; no browser.

Every word list is in the lexicon (categories ``url_*`` for addresses, ``field_*`` for form fields,
``signup``, ``add_to_cart``, ``cart``, ``checkout``, ``next_step``, ``guest_checkout``, ``keep_shopping``,
``final_submit``...), so a language gains discovery by adding its file.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from auditor.flows.discovery.facts import Control, Field, PageFacts, page_address

#: autocomplete tokens (the HTML standard's, the same in every language) and the identity field they ask for
AUTOCOMPLETE = {"given-name": "first_name", "family-name": "last_name", "name": "name", "email": "email",
                "new-password": "password", "current-password": "password", "tel": "phone",
                "tel-national": "phone", "street-address": "street", "address-line1": "street",
                "address-level2": "city", "postal-code": "postcode", "country": "country",
                "country-name": "country", "bday": "birth_date", "username": "username",
                "one-time-code": "one_time_code"}
SKIP_AUTOCOMPLETE = ("address-line2", "address-line3", "address-level1", "organization")
#: (lexicon category, identity field), the first that matches wins: a one-time code before a phone ("SMS code"),
#: e-mail before address, the second address line before the street
FIELD_RULES = (
    ("field_one_time_code", "one_time_code"), ("field_card", "card"), ("field_email", "email"),
    ("field_address_extra", None), ("field_password", "password"), ("field_username", "username"),
    ("field_birth_date", "birth_date"), ("field_phone", "phone"), ("field_postcode", "postcode"),
    ("field_city", "city"), ("field_full_name", "name"), ("field_first_name", "first_name"),
    ("field_last_name", "last_name"), ("field_street", "street"), ("field_country", "country"),
)
#: filled even when optional: what a customer types anyway
CORE_FIELDS = ("email", "password", "first_name", "last_name", "name", "phone", "street", "city", "postcode")
TEXT_TYPES = ("text", "email", "tel", "password", "number", "textarea", "date", "")
EDGE = ("header", "footer", "nav")


class Offers:
    """The lexicon's reading of page facts (one per walk; ``visited`` are the pages walked so far)."""

    def __init__(self, lexicon, scope: tuple[str, ...], visited: set | None = None):
        self.lexicon = lexicon
        self.scope = scope
        self.visited = visited if visited is not None else set()

    def has(self, category: str, text: str) -> bool:
        return bool(text) and self.lexicon.has(category, text)

    def url_is(self, category: str, url: str) -> bool:
        """Does the address say so ("/warenkorb", "/checkouts/cn/x?step=shipping", "#/pago")?"""
        return self.has(category, url_words(url))

    # ------------------------------------------------------------------------------------------------ fields

    def field_kind(self, f: Field) -> str | None:
        """The identity field a form field asks for ("card" for payment card fields), or None."""
        if f.cardish:
            return "card"
        tokens = f.autocomplete.split()
        token = tokens[-1] if tokens else ""
        if token.startswith("cc-"):
            return "card"
        if token in SKIP_AUTOCOMPLETE:
            return None
        if token in AUTOCOMPLETE:
            return AUTOCOMPLETE[token]
        if f.type == "email":
            return "email"
        parts = [p.strip() for p in (f.label, f.placeholder, _words(f.name), _words(f.id)) if p and p.strip()]
        for category, kind in FIELD_RULES:
            if any(self.has(category, p) for p in parts):
                if kind == "card" and any(self.has("not_payment_card", p) for p in parts):
                    continue  # a gift card's code pays nothing
                return kind
        if f.type == "password":
            return "password"
        if f.type == "tel":
            return "phone"
        return None

    # ------------------------------------------------------------------------------------------------ forms

    def main_form(self, facts: PageFacts, exclude: tuple[int, ...] = ()) -> int | None:
        """The form a person would fill on this page: the one with most fields, not a search or a newsletter
        box (a lone e-mail field), not in the header or footer; fields outside any form count as form -1."""
        counts: dict[int, int] = {}
        for f in facts.fields:
            if f.disabled or not (f.visible or f.label_visible) or f.region in EDGE or f.form in exclude:
                continue
            if f.form >= 0 and (facts.forms[f.form].search or facts.forms[f.form].region in EDGE):
                continue
            counts[f.form] = counts.get(f.form, 0) + 1
        best = max(counts, key=lambda k: counts[k], default=None)
        if best is None or counts[best] < 2:
            return None
        return best

    def form_controls(self, facts: PageFacts, form: int) -> list[Control]:
        return [c for c in facts.controls if c.form == form and not c.disabled]

    def fields_of(self, facts: PageFacts, form: int) -> list[Field]:
        return [f for f in facts.fields if f.form == form]

    def is_login_form(self, facts: PageFacts, form: int) -> bool:
        """A sign-in form: it asks for the current password, or its buttons say "Log in" and never "Sign up"."""
        fields = self.fields_of(facts, form)
        if any("current-password" in f.autocomplete for f in fields):
            return True
        buttons = [c for c in self.form_controls(facts, form) if c.submit or (form < 0 and c.tag == "button")]
        return bool(buttons) and all(self.has("signin", c.text) and not self.has("signup", c.text) for c in buttons)

    def signup_form(self, facts: PageFacts) -> int | None:
        """The registration form of the page, when it has one: not a sign-in form beside it (WooCommerce's "My
        account" shows both), an e-mail with a password, or a phone, or a sign-up button on a form of three
        fields or more."""
        candidates = []
        for form in {f.form for f in facts.fields}:
            if form >= 0 and (facts.forms[form].search or facts.forms[form].region in EDGE):
                continue
            if self.is_login_form(facts, form):
                continue
            fields = [f for f in self.fields_of(facts, form) if f.visible and not f.disabled and f.region not in EDGE]
            kinds = {self.field_kind(f) for f in fields}
            says = any(self.has("signup", c.text) for c in self.form_controls(facts, form))
            if ("password" in kinds and ("email" in kinds or "username" in kinds or "phone" in kinds)) or (
                    says and len(fields) >= 2 and kinds & {"email", "phone", "username"}):
                candidates.append((says, len(fields), -form if form >= 0 else -999, form))
        return max(candidates)[3] if candidates else None

    def submit_button(self, facts: PageFacts, form: int) -> Control | None:
        """The button that sends the form on: its submit button (the largest), else a "Continue/Next" in the
        main part of the page."""
        submits = [c for c in self.form_controls(facts, form) if c.submit or (form < 0 and c.tag == "button")]
        submits = [c for c in submits if c.text and not self.has("close", c.text)
                   and not (self.has("signin", c.text) and not self.has("signup", c.text))]
        if submits:
            return max(submits, key=lambda c: c.area)
        return self.pick(facts, ("next_step",))

    # ------------------------------------------------------------------------------------------------ the shop

    def add_to_cart(self, facts: PageFacts) -> Control | None:
        """The product's own "Add to cart" (the largest in the main part; not a cross-sell's in a dialog)."""
        cands = [c for c in facts.controls if not c.disabled and self.has("add_to_cart", c.text) and c.region not in EDGE]
        main = [c for c in cands if c.region != "dialog"]
        return max(main or cands, key=lambda c: c.area, default=None)

    def buy_now(self, facts: PageFacts) -> Control | None:
        """A product page's "Buy now / Buy it now / 바로 구매하기": straight to the order form."""
        cands = [c for c in facts.controls if not c.disabled and c.region not in EDGE and not c.href
                 and self.has("final_submit", c.text) and not self.has("signup", c.text)]
        return max(cands, key=lambda c: c.area, default=None) if facts.card == 0 else None

    def product_link(self, facts: PageFacts) -> Control | None:
        """A link to a product: next to a price (a product card), or its address says so; never the menu, nor
        the basket, checkout or account."""
        def score(c: Control) -> int:
            if c.tag != "a" or not c.href or not self.in_scope(c) or c.region in EDGE:
                return 0
            if page_address(c.href) == facts.page or page_address(c.href) in self.visited:
                return 0  # a link to a part of this page, or back
            s = 0
            if c.near_price:
                s += 3
            if self.url_is("url_product", c.href):
                s += 2
            if c.text and len(c.text) > 3:
                s += 1
            if self.url_is("url_cart", c.href) or self.url_is("url_checkout", c.href) or \
                    self.url_is("url_signin", c.href) or self.url_is("url_signup", c.href) or \
                    self.url_is("url_account", c.href):
                s -= 4
            return s
        best = max(facts.controls, key=lambda c: (score(c), -c.y), default=None)
        return best if best is not None and score(best) >= 3 else None

    def payment_step(self, facts: PageFacts) -> str:
        """Does the page ask how to pay: card fields shown (in the page or a payment frame), or a choice of
        payment methods ("Credit Card", "BLIK", "신용카드") offered? Says which, or ''."""
        if facts.card:
            return "card fields"
        for f in facts.fields:
            if f.type == "radio" and (f.visible or f.label_visible) and f.region not in EDGE \
                    and self.has("payment_method", f.label) and not self.has("not_payment_card", f.label):
                return f'a choice of payment method ("{f.label[:40]}")'
        for c in facts.controls:
            if c.role in ("radio", "tab", "option") and c.region not in EDGE and self.has("payment_method", c.text) \
                    and not self.has("not_payment_card", c.text):
                return f'a choice of payment method ("{c.text[:40]}")'
        return ""

    def looks_like_checkout(self, facts: PageFacts) -> bool:
        """A basket or checkout page: its address says so, it asks for card details, or it offers the way to
        the checkout."""
        return self.url_is("url_cart", facts.url) or self.url_is("url_checkout", facts.url) or facts.card > 0 \
            or self.pick(facts, ("checkout",)) is not None

    def signup_entry(self, facts: PageFacts) -> Control | None:
        def score(c: Control) -> int:
            if c.disabled or not self.in_scope(c) or self.has("signin", c.text) and not self.has("signup", c.text):
                return 0
            s = 0
            if self.has("signup", c.text):
                s += 3
            if c.href and self.url_is("url_signup", c.href):
                s += 2
            if c.form >= 0 and not c.href:
                s -= 2  # a submit button of some other form (a newsletter's "Sign up")
            return s
        best = max(facts.controls, key=score, default=None)
        return best if best is not None and score(best) >= 2 else None

    def account_link(self, facts: PageFacts) -> Control | None:
        """The way to the sign-in or account page (it often links to the registration)."""
        for c in facts.controls:
            if not c.disabled and self.in_scope(c) and (
                    (c.href and (self.url_is("url_signin", c.href) or self.url_is("url_account", c.href)))
                    or self.has("signin", c.text)):
                return c
        return None

    # ------------------------------------------------------------------------------------------------ moving on

    def forward(self, facts: PageFacts, c: Control) -> bool:
        """Not a link back to a page already walked, nor to a part of this page (a hash route is a page)."""
        if not c.href or _scripted(c):
            return True
        target = page_address(c.href)
        return target != facts.page and target not in self.visited

    def pick(self, facts: PageFacts, categories: tuple[str, ...], url_category: str | None = None) -> Control | None:
        """The most prominent control named in one of ``categories`` (or, for links, whose address is of
        ``url_category``), never a final purchase, preferring the main part of the page over the header and
        footer."""
        def ok(c: Control) -> bool:
            if c.disabled or (c.href and not self.in_scope(c)) or not self.forward(facts, c):
                return False
            if "final_submit" not in categories and self.has("final_submit", c.text) and not any(
                    self.has(cat, c.text) for cat in ("guest_checkout", "next_step") if cat in categories):
                return False
            if self.has("keep_shopping", c.text) or self.has("signin", c.text) and not self.has("signup", c.text) \
                    and not self.has("guest_checkout", c.text):
                return False  # "Continue shopping" leads back to the shop; "Sign in to check out" to a login
            if "add_to_cart" not in categories and self.has("add_to_cart", c.text):
                return False  # "장바구니 담기" (put in the cart) names the cart but adds another item
            return any(self.has(cat, c.text) for cat in categories)

        named = main_first([c for c in facts.controls if ok(c)])
        if named is not None or url_category is None:
            return named
        # a link whose address says where it goes (an icon without a name), never from a page of the same kind
        if self.url_is(url_category, facts.url):
            return None
        return main_first([c for c in facts.controls if c.href and self.forward(facts, c) and self.in_scope(c)
                           and self.url_is(url_category, c.href) and not self.has("final_submit", c.text)])

    def in_scope(self, c: Control) -> bool:
        href = c.href or ""
        if not href:
            return True
        if not href.startswith(("http:", "https:")):
            return False
        host = host_of(href)
        return any(host == h or host.endswith("." + h) for h in self.scope)


def main_first(cands: list[Control]) -> Control | None:
    main = [c for c in cands if c.region not in EDGE]
    return max(main or cands, key=lambda c: c.area, default=None)


def url_words(url: str) -> str:
    """An address as words: path, query and hash route, every separator a space ("/checkouts/cn/x?step=
    contact_information" -> "checkouts cn x step contact information")."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    route = parts.fragment if parts.fragment.startswith(("/", "!")) else ""
    return " ".join(re.split(r"[^0-9A-Za-z\u00c0-\uffff]+", f"{parts.path} {parts.query} {route}")).strip().lower()


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # "https://[CLICK_URL]/x": no host a flow could be scoped to
        return ""


def _scripted(c: Control) -> bool:
    """A link that is a button in disguise: "#", "#none", "javascript:", or role=button (its script acts)."""
    raw = (c.raw_href or "").strip().lower()
    return c.role == "button" or raw in ("", "#", "#none", "#0", "#!", "#void", "#;") or raw.startswith("javascript:")


def _words(name: str) -> str:
    """A field's name or id as words: "billing_first_name" -> "billing first name", "firstName" -> "first name"."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name or "")
    return " ".join(re.split(r"[\W_]+", spaced)).strip().lower()

"""The walk: one discovery journey from a start page, step by step, like a customer who reads the big print.

- **sign-up**: follow the link or button named like a registration (or the address says so), or find the
  registration form beside a log-in form; fill it with the test identity; move on with "Continue / Next";
  for a phone sign-up, ask for the code and stop where the SMS code is typed; stop before the click that
  would create the account (unless ``allow_submit``);
- **checkout**: open a product, choose what it needs (a size), add it to the basket ("Add to cart", or "Buy
  now" straight to the order form); follow the notice, drawer, mini-cart or modal to the basket and the
  checkout (never a cross-sell's button); as a guest when offered; fill the delivery details; move on
  through pages, query-string steps, hash routes and one-page accordions until the page asks for card
  details (in the page or a payment frame);
- **booking** (travel, tickets, hotels: no basket and no product link, a search form): search with the
  form's own defaults, pick the first offer, then as a checkout (passengers, extras left as set, payment).

The submit guard (``auditor/flows/guard.py``) decides what is final, for discovery as for flow files: a step
forward worded like an order ("Commander" in a cart, "Buy now" on a product page) is taken, a real "Place
order" never is. Every step carries the reason it was chosen, written into the flow file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from auditor.browser.page import NetworkTracker, settle
from auditor.browser.worlds import Worlds
from auditor.flows.discovery.choices import choose_required, fill, fill_beside
from auditor.flows.discovery.facts import Control, PageFacts, gather
from auditor.flows.discovery.flowfile import short
from auditor.flows.discovery.offers import EDGE, Offers
from auditor.flows.guard import SubmitFacts, judge
from auditor.flows.identity import Identity
from auditor.flows.runner import WalkState, after_action, do_step
from auditor.flows.spec import Flow, Step

#: at most this many pages of one form journey (a sign-up or checkout longer than this is stopped and noted)
MAX_FORM_PAGES = 10
CREATE_HINT = "the click that would create the account (allow_submit: true would click it)"


@dataclass
class Walk:
    """The state of one discovery walk: the page, the steps so far, why each was taken, what it noted."""

    shared: object
    flow: Flow
    page: object
    network: NetworkTracker
    identity: Identity
    steps: list = field(default_factory=list)
    reached: bool = False  # the journey got to its point: a sign-up form filled in, a product in the basket
    notes: list = field(default_factory=list)
    state: WalkState = field(default_factory=WalkState)
    visited: set = field(default_factory=set)  # page addresses walked (a hash route counts as a page)
    why: dict = field(default_factory=dict)  # step index -> why it was taken
    offers: Offers = None

    def __post_init__(self):
        if self.offers is None:
            self.offers = Offers(self.shared.ctx.lexicon, self.flow.scope, self.visited)

    @property
    def lexicon(self):
        return self.shared.ctx.lexicon

    def has(self, category: str, text: str) -> bool:
        return self.offers.has(category, text)

    async def settle(self) -> None:
        st = self.shared.options.settings
        await settle(self.page, self.network, st.quiet_ms, st.settle_cap_ms)

    async def facts(self) -> PageFacts:
        await self.settle()
        facts = await gather(self.page, self.lexicon)
        self.visited.add(facts.page)
        return facts

    async def act(self, kind: str, args: dict, name: str = "", why: str = "", frame: str = "",
                  final: bool | None = None) -> None:
        """Carry out one step with the flow runner's own code (and its guards) and remember it."""
        if frame:
            args = {**args, "frame": frame}
        step = Step(index=len(self.steps) + 1, kind=kind, args=tuple(args.items()), name=name, final=final)
        await do_step(self.page, step, self.flow, self.identity, self.state, self.shared.options.settings.timeout,
                      self.lexicon)
        await after_action(self.page)
        self.steps.append(step)
        if why:
            self.why[step.index] = why

    async def click(self, c: Control, name: str, why: str = "") -> None:
        await self.act("click", {"target": await self.target(c)}, f"{name} ({short(c.text or c.href)})", why,
                       frame=c.frame)

    async def target(self, element) -> str:
        """A readable selector for a gathered element, checked to point at that element only: its id, its
        role and name, else the collector's CSS selector."""
        css = element.selector
        candidates = []
        if re.fullmatch(r"#[A-Za-z][\w-]*", css):
            candidates.append(css)
        if isinstance(element, Control):
            name = element.name or element.text
            if element.role == "link" and element.raw_href and not re.search(r"[^\W\d_]{2}", name):
                # an icon link named by a count ("1") or nothing: its address says more than its name
                candidates.append(f"a[href={json.dumps(element.raw_href)}]")
            if name and len(name) <= 60 and element.role in ("button", "link"):
                candidates.append(f"role={element.role}[name={json.dumps(name, ensure_ascii=False)}]")
        if not candidates or candidates[-1] != css:
            candidates.append(css)
        return await checked_selector(self.page, element.frame, candidates, css,
                                      "(el, i) => { const a = window[Symbol.for('consent-auditor.discover')];"
                                      " return !a || a[i] === el; }", element.i)

    def final(self, c: Control, facts: PageFacts) -> bool:
        """Would the submit guard refuse this control (as a flow file's click)?"""
        form = facts.forms[c.form] if 0 <= c.form < len(facts.forms) else None
        same_page = not c.href or c.href.partition("#")[0] == facts.url.partition("#")[0] and \
            not c.href.partition("#")[2].startswith(("/", "!"))
        return judge(SubmitFacts(label=c.text, link=bool(c.href) and not same_page, submits=c.submit,
                                 card_form=c.form >= 0 and any(f.form == c.form and self.offers.field_kind(f) == "card"
                                                               for f in facts.fields),
                                 card_page=facts.card > 0,
                                 details=any(f.value and f.type in ("email", "tel", "password") for f in facts.fields),
                                 action=form.action if form else "",
                                 password_form=c.form >= 0 and any(f.form == c.form and f.type == "password"
                                                                   for f in facts.fields)),
                     self.lexicon, walked_details=self.state.details).final


async def checked_selector(page, frame: str, candidates: list, fallback: str, same_js: str, arg) -> str:
    """The first candidate that finds exactly one element (in ``frame``), the element ``same_js(el, arg)``
    recognises, else ``fallback``. Candidates holding "{{" are skipped: page text that looks like a template
    must not be expanded by the flow runner."""
    scope = page
    for part in [p.strip() for p in frame.split(">>") if p.strip()]:
        scope = scope.frame_locator(part)
    for sel in candidates:
        if "{{" in sel:
            continue
        try:
            loc = scope.locator(sel)
            if await loc.count() == 1 and await (await Worlds.of(page)).on_element(loc, same_js, arg, timeout_ms=3000):
                return sel
        except Exception:
            continue
    return fallback


# --------------------------------------------------------------------------------------------- sign-up


async def signup(w: Walk) -> str:
    o = w.offers
    facts = await w.facts()
    if o.signup_form(facts) is None:
        entry = o.signup_entry(facts)
        if entry is None:
            account = o.account_link(facts)
            if account is None:
                return "no sign-up link or button was found on the start page (looked for sign-up wording and " \
                       "addresses, a sign-in or account link)"
            await w.click(account, "open the account page", "no sign-up link on the start page: the sign-in or "
                                                             "account page usually links to the registration")
            facts = await w.facts()
            if o.signup_form(facts) is None:
                entry = o.signup_entry(facts)
                if entry is None:
                    return ("no sign-up link or button was found on the start page or the account page "
                            f"({facts.url}), and no registration form there")
        if entry is not None:
            await w.click(entry, "open the sign-up", "named like a registration, or its address says so")
            facts = await w.facts()
    seen = set()
    retried = False
    for _ in range(MAX_FORM_PAGES):
        form = o.signup_form(facts)
        if form is None:
            form = o.main_form(facts)
            if form is None or o.is_login_form(facts, form):
                return (f"only a sign-in form on {facts.url}" if form is not None
                        else f"no sign-up form on {facts.url}")
        if facts.card:
            return f"the sign-up asks for card details on {facts.url}: stopped there"
        code = _code_field(w, facts, form)
        if code is not None:
            w.reached = True
            w.notes.append("the sign-up asks for a code sent by SMS or e-mail: a person would type the code they "
                           "received; discovery stops there")
            return f"reached the code step ({facts.url}): stopped where the SMS or e-mail code is typed"
        await fill(w, facts, form, eager=retried)
        w.reached = True
        send = _send_code_button(w, facts, form)
        if send is not None:
            await w.click(send, "ask for the code", "a phone sign-up: the code is sent before the account is made")
            facts = await w.facts()
            continue
        button = o.submit_button(facts, form)
        if button is None:
            return f"no button to continue the sign-up form on {facts.url}"
        label = button.text
        if w.final(button, facts) and not w.flow.allow_submit:
            return f'stopped before "{short(label)}", {CREATE_HINT}'
        signature = facts.signature()
        if signature in seen and retried:
            return f"the form on {facts.url} did not move on"
        final = w.final(button, facts)
        await w.click(button, "create the account" if final else "continue",
                      "allow_submit: the account is created" if final else "moves the form on, creates nothing")
        after = await w.facts()
        if final:
            return f'clicked "{short(label)}" (allow_submit: true)'
        if after.signature() == signature:
            if retried:
                return f'"{short(label)}" did not move the form on (a field discovery could not fill?)'
            retried = True  # a form checked in script: fill the choices it demands and try once more
            facts = after
            continue
        seen.add(signature)
        retried = False
        facts = after
    return f"stopped after {MAX_FORM_PAGES} form pages"


def _code_field(w: Walk, facts: PageFacts, form: int):
    return next((f for f in facts.fields if f.visible and not f.disabled and w.offers.field_kind(f) == "one_time_code"
                 and (f.form == form or form < 0 or f.form < 0)), None)


def _send_code_button(w: Walk, facts: PageFacts, form: int) -> Control | None:
    """"Send code / 인증번호 받기 / 获取验证码": a button of the form that names the code (not its submit)."""
    if not any(w.offers.field_kind(f) == "phone" for f in facts.fields if f.form == form and f.visible):
        return None
    return next((c for c in facts.controls if c.form == form and not c.disabled and not c.href
                 and w.has("field_one_time_code", c.text) and not w.has("signup", c.text)), None)


# --------------------------------------------------------------------------------------------- checkout


async def checkout(w: Walk) -> str:
    o = w.offers
    facts = await w.facts()
    add = o.add_to_cart(facts)
    booked = False
    if add is None and o.buy_now(facts) is None:
        product = o.product_link(facts)
        if product is not None:
            for _ in range(2):  # a category page first, sometimes, then the product
                await w.click(product, "open a product", "a product link: it sits by a price, or its address says so")
                facts = await w.facts()
                add = o.add_to_cart(facts)
                product = o.product_link(facts) if add is None and o.buy_now(facts) is None else None
                if product is None:
                    break
        elif _search_form(w, facts) is not None:
            stopped = await _book(w, facts)
            if stopped:
                return stopped
            booked = True
            facts = await w.facts()
        else:
            return ("no add-to-cart button, no product link and no search form were found on the start page "
                    f"({facts.url})")
    if not booked:
        buy = o.buy_now(facts) if add is None else None
        if add is None and buy is None:
            return f"no add-to-cart or buy-now button on the product page {facts.url}"
        chosen = add or buy
        await choose_required(w, facts, chosen)
        await w.click(chosen, "add to the basket" if add else "buy now",
                      "the product's own button (not a cross-sell's)" if add else
                      "no add-to-cart: buy now leads to the order form (nothing is ordered before details are given)")
        facts = await w.facts()
        for _ in range(4):  # a notice, a drawer, a mini-cart or a modal, the basket, then the checkout
            if o.payment_step(facts) or _has_address_form(w, facts) or o.pick(facts, ("guest_checkout",)) is not None:
                break
            go = o.pick(facts, ("checkout",)) or o.pick(facts, ("cart",), "url_cart")
            if go is None:
                if o.looks_like_checkout(facts):
                    break
                return ("after adding to the basket, no link to the basket or the checkout was found (looked for "
                        "checkout and basket wording, basket addresses, a notice, drawer or mini-cart)")
            what = "go to the checkout" if w.has("checkout", go.text) else "go to the basket"
            await w.click(go, what, "named like the checkout" if what == "go to the checkout"
                          else "named like the basket, or its address says so")
            facts = await w.facts()
        if not o.looks_like_checkout(facts) and not _has_address_form(w, facts) and \
                o.pick(facts, ("guest_checkout",)) is None:
            return f"after adding to the basket, {facts.url} shows no basket or checkout"
    w.reached = True
    return await _through_checkout(w, facts)


async def _through_checkout(w: Walk, facts: PageFacts) -> str:
    o = w.offers
    seen = set()
    retried = False
    for _ in range(MAX_FORM_PAGES):
        paying = o.payment_step(facts)
        if paying:
            return (f"reached the payment step ({facts.url}, {paying}): stopped before any payment detail is "
                    "typed")
        signature = facts.signature()
        for _ in range(2):  # typing can make the page offer more (delivery methods once the address is in)
            form = o.main_form(facts)
            if form is not None and o.is_login_form(facts, form):
                form = o.main_form(facts, exclude=(form,))
            typed = (await fill(w, facts, form, eager=retried)) if form is not None else 0
            typed += await fill_beside(w, facts, form, eager=retried)
            if not typed:
                break
            again = await w.facts()
            if again.signature() == facts.signature():
                facts = again
                break
            facts = again
        nxt = _next(w, facts, form)
        if nxt is None:
            final = o.pick(facts, ("final_submit",))
            if final is not None:
                return f'stopped before "{short(final.text)}": it would place an order'
            return f"no way on from {facts.url} (looked for checkout, continue and guest wording, the form's button)"
        await w.click(nxt, "continue", _why_next(w, nxt))
        after = await w.facts()
        if after.signature() == signature:
            if retried:
                return f'"{short(nxt.text)}" did not move the checkout on from {facts.url}'
            retried = True
            facts = after
            continue
        if signature in seen and after.signature() in seen:
            return f"the checkout did not move on from {facts.url}"
        seen.add(signature)
        retried = False
        facts = after
    return f"stopped after {MAX_FORM_PAGES} checkout pages"


def _next(w: Walk, facts: PageFacts, form: int | None) -> Control | None:
    """The way on: checkout wording, the form's own button when it moves on, "Continue / Next", else a
    control worded like an order that the submit guard judges a step forward (nobody to order for yet)."""
    o = w.offers
    nxt = o.pick(facts, ("guest_checkout",)) or o.pick(facts, ("checkout",), "url_checkout")
    if nxt is None and form is not None:
        b = o.submit_button(facts, form)
        if b is not None and not w.final(b, facts) and not w.has("keep_shopping", b.text):
            nxt = b
    if nxt is None:
        nxt = o.pick(facts, ("next_step",))
    if nxt is None:
        cands = [c for c in facts.controls if not c.disabled and c.region not in EDGE and o.forward(facts, c)
                 and o.in_scope(c) and w.has("final_submit", c.text) and not w.final(c, facts)]
        nxt = max(cands, key=lambda c: c.area, default=None)
    return nxt


def _why_next(w: Walk, c: Control) -> str:
    if w.has("guest_checkout", c.text):
        return "buying needs no account: the guest checkout is taken"
    if w.has("checkout", c.text):
        return "named like the checkout"
    if w.has("next_step", c.text):
        return "moves the checkout on"
    if w.has("final_submit", c.text):
        return "worded like an order, but nothing is known of the buyer yet: the submit guard lets it through"
    return "the form's own button"


def _has_address_form(w: Walk, facts: PageFacts) -> bool:
    form = w.offers.main_form(facts)
    if form is None:
        return False
    kinds = {w.offers.field_kind(f) for f in facts.fields if f.form == form and f.visible}
    return len(kinds & {"email", "street", "postcode", "city", "first_name", "last_name", "name", "phone"}) >= 2


# --------------------------------------------------------------------------------------------- booking


def _search_form(w: Walk, facts: PageFacts) -> int | None:
    """A booking search: a form of the main page with two fields or more (places, dates, travellers) and a
    button, not the header's search box."""
    counts: dict[int, int] = {}
    for f in facts.fields:
        if f.form >= 0 and f.region not in EDGE and f.visible and not f.disabled and f.type not in ("checkbox",) \
                and facts.forms[f.form].region not in EDGE:
            counts[f.form] = counts.get(f.form, 0) + 1
    forms = [k for k, n in counts.items() if n >= 2 and w.offers.submit_button(facts, k) is not None]
    return max(forms, key=lambda k: counts[k], default=None)


async def _book(w: Walk, facts: PageFacts) -> str:
    """Search with the form's defaults, then pick the first offer; '' when an offer was picked."""
    form = _search_form(w, facts)
    await fill(w, facts, form)
    button = w.offers.submit_button(facts, form)
    await w.click(button, "search", "a booking: the search form, sent with the defaults the page set")
    facts = await w.facts()
    offer = _first_offer(w, facts)
    if offer is None:
        return f"after searching, no offer to pick on {facts.url} (looked for a button or link by a price)"
    await w.click(offer, "pick the first offer", "the first offer the page lists (a button by a price)")
    return ""


def _first_offer(w: Walk, facts: PageFacts) -> Control | None:
    o = w.offers
    cands = [c for c in facts.controls if c.near_price and not c.disabled and c.region not in EDGE and o.in_scope(c)
             and o.forward(facts, c) and not any(w.has(k, c.text) for k in ("keep_shopping", "signin", "close"))
             and len(c.text) <= 40]
    return min(cands, key=lambda c: c.y, default=None)

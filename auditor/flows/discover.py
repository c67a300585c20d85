"""Automatic discovery: find a site's sign-up and checkout from a start page and write them as flow files.

Discovery walks like a customer who reads the big print only, in a fresh browser context per journey:

- the cookie banner is refused (reject, or settings then reject or save); it is never accepted;
- **sign-up**: follow the link or button named like a registration ("Sign up", "Registrieren", "注册", or a URL
  such as /signup, /register), fill the form with the test identity, move on with "Continue / Next" buttons,
  and stop before the click that would create the account (unless ``allow_submit``);
- **checkout**: open a product (a link to a product URL or one next to a price), add it to the cart, go to the
  cart and the checkout, fill the delivery details, and move on until the page asks for card details (the
  payment step). A final "Place order / Pay" is never clicked: the runner's submit guard refuses it anyway.

Nothing the page ticked or chose is changed: a pre-ticked box stays ticked, a pre-added extra stays in the
basket, so the audit of the walked flow sees what such a customer gets. Required boxes (terms) are ticked and
an empty required choice gets its first option, because the journey cannot go on otherwise.

Every action is a flow step carried out by the same code that walks flow files (``runner._do``), with the
same scope and submit guards, and written to a YAML flow file with readable selectors (an id, a role and
name, a field name) checked to point at the element it acted on. The file is read back with the flow loader,
so what discovery wrote is what ``auditor flow`` walks.

Gathering is one ``evaluate`` per page (``auditor/browser/discover.js``); the choices are made here, with the
lexicon (categories ``signup``, ``add_to_cart``, ``cart``, ``checkout``, ``next_step``, ``keep_shopping``,
``final_submit``) and the
URL patterns below. Only the top document and its open shadow roots are searched, not iframes.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from auditor.browser.page import NetworkTracker, settle, utc_now
from auditor.engine import _Shared
from auditor.flows.identity import Identity, make_identity
from auditor.flows.runner import (NOT_PAYMENT_CARD, StepFailed, WalkState, _after_action, _do, _in_scope, _one_line,
                                  open_context)
from auditor.flows.spec import Flow, FlowError, Step, load_flow
from auditor.models import Discovery

DISCOVER_JS = (resources.files("auditor.browser") / "discover.js").read_text(encoding="utf-8")
JOURNEYS = ("signup", "checkout")
#: at most this many pages of one form journey (a sign-up or checkout longer than this is stopped and noted)
MAX_FORM_PAGES = 8
#: elements gathered per page at most
ELEMENT_LIMIT = 4000

SIGNUP_URL = re.compile(r"(sign-?up|register|registration|registrieren|registrierung|inscription|inscri|"
                        r"registro|registrati|registreren|cadastr|create-?account|new-?account|account/create|"
                        r"join(?!t)|/zhuce|/touroku)", re.I)
SIGNIN_URL = re.compile(r"(sign-?in|log-?in|anmelden|connexion|acceder|accedi|inloggen|entrar)", re.I)
PRODUCT_URL = re.compile(r"(/products?/|/p/|/item/|/items/|/dp/|/artikel/|/produit|/producto|/prodotto|"
                         r"/produto|product[^/]*\.html?$|-p-\d|/shop/[^/?#]+/?$)", re.I)
CART_URL = re.compile(r"(/cart|/basket|/bag\b|/warenkorb|/panier|/carrito|/carrello|/winkelwagen|/carrinho|"
                      r"cart\.html?|basket\.html?)", re.I)
CHECKOUT_URL = re.compile(r"(/checkout|/kasse|/caisse|/pago|/cassa|/afrekenen)", re.I)

# form fields: the identity field an input asks for, from its autocomplete token (strongest) or its name, id,
# label and placeholder in the lexicon languages (first rule that matches wins; e-mail before address)
AUTOCOMPLETE = {"given-name": "first_name", "family-name": "last_name", "name": "name", "email": "email",
                "new-password": "password", "current-password": "password", "tel": "phone",
                "tel-national": "phone", "street-address": "street", "address-line1": "street",
                "address-level2": "city", "postal-code": "postcode", "country": "country",
                "country-name": "country", "bday": "birth_date"}
SKIP_AUTOCOMPLETE = ("address-line2", "address-line3", "address-level1", "organization", "one-time-code",
                     "username")
FIELD_RULES = (
    ("email", r"e-?mail|correo|courriel|邮箱|电子邮件|メール"),
    ("password", r"passw|kennwort|mot de passe|contrase|senha|wachtwoord|密码|パスワード"),
    ("birth_date", r"birth|\bdob\b|geburt|naissance|nacimiento|nascita|geboorte|生日|生年月日"),
    ("phone", r"phone|mobile|telefon|t[eé]l[eé]phone|tel[eé]fono|telefone|\bhandy\b|手机|电话|電話|携帯"),
    ("postcode", r"post.?code|\bzip\b|postal|\bplz\b|postleitzahl|code postal|c[oó]digo postal|\bcap\b|\bcep\b|"
                 r"邮编|郵便番号"),
    ("city", r"\bcity\b|\btown\b|\bstadt\b|\bort\b|\bville\b|ciudad|citt[aà]|cidade|woonplaats|\bplaats\b|城市|"
             r"市区町村"),
    ("name", r"^name$|full.?name|your name|vollst[aä]ndiger name|nom complet|nombre completo|nome completo|"
             r"^naam$|姓名|氏名|お名前"),
    ("first_name", r"first.?name|given.?name|\bfname\b|forename|vorname|pr[eé]nom|^nombre$|^nome$|voornaam|^名$"),
    ("last_name", r"last.?name|surname|family.?name|\blname\b|nachname|nom de famille|^nom$|apellido|cognome|"
                  r"sobrenome|achternaam|^姓$"),
    ("street", r"address|street|stra(ss|ß)e|adresse|direcci|indirizzo|endere|\badres\b|地址|住所"),
)
SECOND_LINE = re.compile(r"line.?2|address.?2|addr2|apartment|\bapt\b|\bflat\b|suite|zusatz|complement", re.I)
#: filled even when optional: what a customer types anyway
CORE_FIELDS = ("email", "password", "first_name", "last_name", "name", "phone", "street", "city", "postcode")
TEXT_TYPES = ("text", "email", "tel", "password", "number", "textarea", "date", "")


@dataclass
class _Walk:
    """The state of one discovery walk: the page, the steps so far (as Step values), what it noted."""

    shared: _Shared
    flow: Flow
    page: object
    network: NetworkTracker
    identity: Identity
    steps: list = field(default_factory=list)
    reached: bool = False  # the journey got to its point: a sign-up form filled in, a product in the basket
    notes: list = field(default_factory=list)
    state: WalkState = field(default_factory=WalkState)
    visited: set = field(default_factory=set)  # page addresses walked (without #fragment)

    @property
    def lexicon(self):
        return self.shared.ctx.lexicon

    def has(self, category: str, text: str) -> bool:
        return bool(text) and self.lexicon.has(category, text)

    async def settle(self) -> None:
        st = self.shared.options.settings
        await settle(self.page, self.network, st.quiet_ms, st.settle_cap_ms)

    async def facts(self) -> dict:
        await self.settle()
        facts = await self.page.evaluate(DISCOVER_JS, {"limit": ELEMENT_LIMIT, "notCard": NOT_PAYMENT_CARD})
        self.visited.add(facts["url"].split("#")[0])
        return facts

    async def act(self, kind: str, args: dict, name: str = "") -> None:
        """Carry out one step with the flow runner's own code (and its guards) and remember it."""
        step = Step(index=len(self.steps) + 1, kind=kind, args=tuple(args.items()), name=name)
        await _do(self.page, step, self.flow, self.identity, self.state, self.shared.options.settings.timeout,
                  self.lexicon)
        await _after_action(self.page)
        self.steps.append(step)

    async def target(self, element: dict) -> str:
        """A readable selector for a gathered element, checked to point at that element only: its id, its
        role and name, else the collector's CSS selector."""
        css = element["selector"]
        candidates = []
        if re.fullmatch(r"#[A-Za-z][\w-]*", css):
            candidates.append(css)
        name = element.get("name") or element.get("text", "")
        role = element.get("role", "")
        raw_href = element.get("rawHref", "")
        if role == "link" and raw_href and not re.search(r"[^\W\d_]{2}", name):
            # an icon link named by a count ("1") or nothing: its address says more than its name
            candidates.append(f"a[href={json.dumps(raw_href)}]")
        if name and len(name) <= 60 and role in ("button", "link"):
            candidates.append(f"role={role}[name={json.dumps(name, ensure_ascii=False)}]")
        return await _checked_selector(self.page, candidates, css, "(el, i) => { const a = window[Symbol.for("
                                       "'consent-auditor.discover')]; return !a || a[i] === el; }", element["i"])


# --------------------------------------------------------------------------------------------- entry point


async def discover_journey(shared: _Shared, start: str, journey: str, out_dir: Path, name_hint: str,
                           allow_submit: bool = False, seed: int = 1) -> tuple[Discovery, Flow | None]:
    """Discover one journey from ``start`` and write it to ``out_dir``; never raises for a site's problem."""
    t0 = time.monotonic()
    st = shared.options.settings
    host = (urlsplit(start).hostname or "").lower()
    title = {"signup": "Sign-up", "checkout": "Checkout"}[journey]
    # a purchase is never allowed: only a sign-up may be completed, and only when asked
    flow = Flow(name=f"{title} on {host} (discovered)", start=start, scope=(host,),
                allow_submit=allow_submit and journey == "signup",
                seed=seed, viewport=st.viewport, locale=st.locale)
    identity = make_identity(st.locale, seed)
    guarded = await open_context(shared, flow, identity)
    stopped = ""
    w = None
    try:
        page = await guarded.context.new_page()
        w = _Walk(shared, flow, page, NetworkTracker(page), identity)
        try:
            response = await page.goto(start, wait_until="load", timeout=int(st.timeout * 1000))
            if response is not None and response.status >= 400:
                raise StepFailed(f"HTTP {response.status}")
        except StepFailed as exc:
            stopped = f"the start page could not be loaded: {exc}"
        except Exception as exc:
            stopped = f"the start page could not be loaded: {_one_line(exc)}"
        if not stopped:
            try:
                await _refuse_banner(w)
                stopped = await (_signup(w) if journey == "signup" else _checkout(w))
            except StepFailed as exc:
                stopped = f"stopped at step {len(w.steps) + 1}: {exc}"
            except Exception as exc:
                if shared.options.debug:
                    raise
                stopped = f"stopped at step {len(w.steps) + 1}: {_one_line(exc)}"
        if guarded.blocked:
            w.notes.append(f"a navigation out of scope was blocked: {guarded.blocked[0]}")
    finally:
        try:
            await guarded.context.close()
        except Exception:
            pass
    steps = w.steps if w is not None else []
    notes = tuple(dict.fromkeys(w.notes)) if w is not None else ()
    if w is None or not w.reached:
        # clicks that led nowhere (an account page without a sign-up, a link next to a price on a blog) are no
        # journey: nothing is written
        return Discovery(start=start, journey=journey, found=False, stopped=stopped, notes=notes,
                         seconds=round(time.monotonic() - t0, 2)), None
    if not steps:
        return Discovery(start=start, journey=journey, found=False, stopped=stopped or "no step was taken",
                         notes=notes, seconds=round(time.monotonic() - t0, 2)), None
    path = out_dir / f"{name_hint}-{journey}.yaml"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(flow_yaml(flow, steps, journey, stopped, notes), encoding="utf-8")
        written = load_flow(path)  # what was written is what `auditor flow` will read
    except (OSError, FlowError) as exc:
        if shared.options.debug:
            raise
        return Discovery(start=start, journey=journey, found=False, file=str(path),
                         stopped=f"the flow file could not be written or read back: {exc}", notes=notes,
                         seconds=round(time.monotonic() - t0, 2)), None
    return Discovery(start=start, journey=journey, found=True, file=str(path), steps=len(steps), stopped=stopped,
                     notes=notes, seconds=round(time.monotonic() - t0, 2)), written


def flow_yaml(flow: Flow, steps: list, journey: str, stopped: str, notes) -> str:
    """The flow file for the steps discovery took, with comments saying how it was made and where it stopped."""
    from auditor import __version__

    def q(v) -> str:
        return _yaml_string(str(v))

    lines = [f"# Discovered by consent-auditor {__version__} on {utc_now()} from {flow.start}",
             "# (auditor discover). Walked like a customer who reads the big print only: the cookie banner",
             "# refused, the form filled in with the test identity, nothing the page ticked or added changed.",
             f"# Where it stopped: {_one(stopped) or 'at the end'}"]
    lines += [f"# Note: {_one(n)}" for n in notes]
    lines += ["# Edit it as you like and walk it again with: auditor flow THIS_FILE", "",
              f"name: {q(flow.name)}", f"start: {q(flow.start)}"]
    if flow.viewport:
        lines.append(f"viewport: {flow.viewport[0]}x{flow.viewport[1]}")
    if flow.locale:
        lines.append(f"locale: {q(flow.locale)}")
    lines += [f"scope: [{', '.join(q(h) for h in flow.scope)}]", f"allow_submit: {str(flow.allow_submit).lower()}",
              f"identity: {{seed: {flow.seed}}}", "steps:"]
    for s in steps:
        args = dict(s.args)
        if s.name:
            args["name"] = _one(s.name)  # names quote page text: never a template for the flow runner
        body = ", ".join(f"{k}: {q(v)}" for k, v in args.items())
        lines.append(f"  - {s.kind}: {{{body}}}")
    return "\n".join(lines) + "\n"


def _one(text: str) -> str:
    """One line of page-derived text, safe in a YAML comment or name: no control characters, no templates."""
    t = re.sub(r"\s+", " ", text or "").strip()
    t = "".join(ch if ch.isprintable() else " " for ch in t)
    return t.replace("{{", "{ {").replace("}}", "} }")


def _yaml_string(v: str) -> str:
    """A double-quoted YAML scalar: JSON escapes, and every character YAML would not read escaped too."""
    out = json.dumps(v, ensure_ascii=False)
    return "".join(ch if ch.isprintable() or ch == " " else
                   (f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}") for ch in out)


# --------------------------------------------------------------------------------------------- the banner


async def _refuse_banner(w: _Walk) -> None:
    """Refuse a consent banner the way a flow file would: click reject, or settings then reject or save."""
    from auditor.banners import best, find_banners, understood
    from auditor.browser.page import collect_page

    await w.settle()
    terms = await w.shared.terms
    vp = w.flow.viewport or w.shared.options.settings.viewport
    snap = await collect_page(w.page, w.page.url, terms, vp)
    banners = understood(find_banners(snap, w.shared.ctx))
    if not banners:
        return
    banner = banners[0]
    first = best(banner, "reject") or best(banner, "settings")
    if first is None:
        w.notes.append("the cookie banner offers no refusal on its first layer or through settings; left open")
        return
    if first.ref is None or first.ref.frame != 0:
        w.notes.append("the cookie banner is in an iframe, which flow files cannot reach; left open")
        return
    sel = await _banner_target(w, snap, first)
    what = "reject" if first.kind == "reject" else "open the settings"
    await w.act("click", {"target": sel}, f"cookie banner: {what} ({_short(first.text)})")
    if first.kind == "reject":
        return
    await w.settle()
    layer2 = await collect_page(w.page, w.page.url, terms, vp)
    panel = next((b for b in understood(find_banners(layer2, w.shared.ctx, layer=2))
                  if best(b, "reject") or best(b, "save")), None)
    if panel is None:
        w.notes.append("the cookie settings offer no reject or save button; left open")
        return
    second = best(panel, "reject") or best(panel, "save")
    if second.ref is None or second.ref.frame != 0:
        w.notes.append("the cookie settings are in an iframe, which flow files cannot reach; left open")
        return
    if second.kind == "save":
        w.notes.append(f'the cookie settings have no reject button: "{_short(second.text)}" saves them as shown '
                       "(a toggle the page switched on stays on)")
    sel = await _banner_target(w, layer2, second)
    await w.act("click", {"target": sel},
                f"cookie banner: {'reject' if second.kind == 'reject' else 'save the settings'} ({_short(second.text)})")


async def _banner_target(w: _Walk, snap, button) -> str:
    """A readable selector for a banner button (by role and name when that finds exactly it)."""
    from auditor.browser.interact import element_handle
    handle = await element_handle(w.page, snap, button.ref)
    css = button.ref.selector
    if handle is None:
        return css
    role = "link" if (button.ref.html or "").lower().startswith("<a") else "button"
    return await _checked_selector(w.page, [f"role={role}[name={json.dumps(button.text, ensure_ascii=False)}]"],
                                   css, "(el, h) => el === h", handle)


async def _checked_selector(page, candidates: list, fallback: str, same_js: str, arg) -> str:
    """The first candidate that finds exactly one element, the element ``same_js(el, arg)`` recognises, else
    ``fallback``. Candidates holding "{{" are skipped: page text that looks like a template must not be
    expanded by the flow runner."""
    for sel in candidates:
        if "{{" in sel:
            continue
        try:
            loc = page.locator(sel)
            if await loc.count() == 1 and await loc.evaluate(same_js, arg):
                return sel
        except Exception:
            continue
    return fallback


# --------------------------------------------------------------------------------------------- sign-up


async def _signup(w: _Walk) -> str:
    facts = await w.facts()
    if not _has_signup_form(w, facts):
        entry = _signup_entry(w, facts)
        if entry is None:
            # a sign-in page often links to the registration
            account = _best(facts["controls"], lambda c: _in_scope_href(w, c) and (
                SIGNIN_URL.search(c["href"]) or w.has("signin", c["text"]) or re.search(r"/account|/konto|/compte|/mypage", c["href"], re.I)))
            if account is not None:
                await w.act("click", {"target": await w.target(account)}, f"open the account page ({_short(account['text'] or account['href'])})")
                facts = await w.facts()
                entry = None if _has_signup_form(w, facts) else _signup_entry(w, facts)
                if entry is None and not _has_signup_form(w, facts):
                    return "no sign-up link or button was found on the start page or the account page"
            else:
                return "no sign-up link or button was found on the start page"
        if entry is not None:
            await w.act("click", {"target": await w.target(entry)}, f"open the sign-up ({_short(entry['text'] or entry['href'])})")
            facts = await w.facts()
    seen = set()
    for _ in range(MAX_FORM_PAGES):
        form = _main_form(w, facts)
        if form is None:
            return f"no sign-up form on {facts['url']}"
        if facts["card"]:
            return f"the sign-up asks for card details on {facts['url']}: stopped there"
        if _is_login_form(w, facts, form):
            return f"only a sign-in form on {facts['url']}"
        await _fill(w, facts, form)
        w.reached = True
        button = _form_button(w, facts, form)
        if button is None:
            return f"no button to continue the sign-up form on {facts['url']}"
        label = button["text"]
        if w.has("final_submit", label):
            return f'stopped before "{_short(label)}": it would place an order'
        intermediate = w.has("next_step", label) and not w.has("signup", label)
        if not intermediate and not w.flow.allow_submit:
            return (f'stopped before "{_short(label)}", the click that would create the account '
                    f"(allow_submit: true would click it)")
        signature = _signature(facts)
        if signature in seen:
            return f"the form on {facts['url']} did not move on"
        seen.add(signature)
        await w.act("click", {"target": await w.target(button)},
                    f"{'continue' if intermediate else 'create the account'} ({_short(label)})")
        facts = await w.facts()
        if not intermediate:
            return f'clicked "{_short(label)}" (allow_submit: true)'
        if _signature(facts) == signature:
            return f'"{_short(label)}" did not move the form on (a field discovery could not fill?)'
    return f"stopped after {MAX_FORM_PAGES} form pages"


def _is_login_form(w: _Walk, facts: dict, form: int) -> bool:
    """A sign-in form: it asks for the current password, or its button says "Log in / Se connecter"."""
    fields = [f for f in facts["fields"] if f["form"] == form]
    if any("current-password" in f["autocomplete"] for f in fields):
        return True
    buttons = [c for c in _form_controls(facts, form) if c["submit"] or (form < 0 and c["tag"] == "button")]
    return bool(buttons) and all(w.has("signin", c["text"]) and not w.has("signup", c["text"]) for c in buttons)


def _has_signup_form(w: _Walk, facts: dict) -> bool:
    form = _main_form(w, facts)
    if form is None or _is_login_form(w, facts, form):
        return False
    fields = [f for f in facts["fields"] if f["form"] == form]
    kinds = {_field_kind(f) for f in fields}
    return ("password" in kinds and "email" in kinds) or (
        "email" in kinds and len(fields) >= 3 and any(w.has("signup", c["text"]) for c in _form_controls(facts, form)))


def _signup_entry(w: _Walk, facts: dict) -> dict | None:
    def score(c):
        if c["disabled"] or not _in_scope_href(w, c) or w.has("signin", c["text"]) and not w.has("signup", c["text"]):
            return 0
        s = 0
        if w.has("signup", c["text"]):
            s += 3
        if c["href"] and SIGNUP_URL.search(_path(c["href"])):
            s += 2
        if c["form"] >= 0 and not c["href"]:
            s -= 2  # a submit button of some other form (a newsletter's "Sign up")
        return s
    best = max(facts["controls"], key=score, default=None)
    return best if best is not None and score(best) >= 2 else None


# --------------------------------------------------------------------------------------------- checkout


async def _checkout(w: _Walk) -> str:
    facts = await w.facts()
    add = _add_to_cart(w, facts)
    if add is None:
        product = _product_link(w, facts)
        if product is None:
            return "no add-to-cart button and no product link were found on the start page"
        await w.act("click", {"target": await w.target(product)}, f"open a product ({_short(product['text'] or product['href'])})")
        facts = await w.facts()
        add = _add_to_cart(w, facts)
        if add is None:
            return f"no add-to-cart button on the product page {facts['url']}"
    await _choose_required(w, facts, add["form"])
    before = _signature(facts)
    await w.act("click", {"target": await w.target(add)}, f"add to the basket ({_short(add['text'])})")
    facts = await w.facts()
    if _signature(facts) == before or not _looks_like_checkout(w, facts):
        go = _pick(w, facts, ("checkout",)) or _pick(w, facts, ("cart",), hrefs=CART_URL)
        if go is None:
            return "after adding to the basket, no link to the basket or the checkout was found"
        await w.act("click", {"target": await w.target(go)}, f"go to the basket ({_short(go['text'] or go['href'])})")
        facts = await w.facts()
    if not _looks_like_checkout(w, facts):
        return f"after adding to the basket, {facts['url']} shows no basket or checkout"
    w.reached = True  # a basket or checkout page with the product in it
    seen = set()
    for _ in range(MAX_FORM_PAGES):
        if facts["card"]:
            return f"reached the payment step ({facts['url']}): stopped before any card detail is typed"
        signature = _signature(facts)
        if signature in seen:
            return f"the checkout did not move on from {facts['url']}"
        seen.add(signature)
        form = _main_form(w, facts)
        if form is not None:
            await _fill(w, facts, form)
        nxt = _pick(w, facts, ("checkout",), hrefs=CHECKOUT_URL)
        if nxt is None and form is not None:
            b = _form_button(w, facts, form)
            nxt = b if b is not None and w.has("next_step", b["text"]) else None
        if nxt is None:
            nxt = _pick(w, facts, ("next_step",))
        if nxt is None:
            final = _pick(w, facts, ("final_submit",))
            if final is not None:
                return f'stopped before "{_short(final["text"])}": it would place an order'
            return f"no way on from {facts['url']} (no checkout or continue button)"
        await w.act("click", {"target": await w.target(nxt)}, f"continue ({_short(nxt['text'] or nxt['href'])})")
        facts = await w.facts()
    return f"stopped after {MAX_FORM_PAGES} checkout pages"


def _looks_like_checkout(w: _Walk, facts: dict) -> bool:
    """A basket or checkout page: its URL says so, or it offers the way to the checkout."""
    path = _path(facts["url"])
    return bool(CART_URL.search(path) or CHECKOUT_URL.search(path)) or facts["card"] > 0 or \
        _pick(w, facts, ("checkout",)) is not None


def _add_to_cart(w: _Walk, facts: dict) -> dict | None:
    cands = [c for c in facts["controls"] if not c["disabled"] and w.has("add_to_cart", c["text"])
             and c["region"] not in ("header", "footer", "nav")]
    return max(cands, key=lambda c: c["area"], default=None)


def _product_link(w: _Walk, facts: dict) -> dict | None:
    def score(c):
        if c["tag"] != "a" or not c["href"] or not _in_scope_href(w, c) or c["region"] in ("header", "footer", "nav"):
            return 0
        path = _path(c["href"])
        if path == _path(facts["url"]):
            return 0  # a link to a part of this page
        s = 0
        if PRODUCT_URL.search(path):
            s += 3
        if c["nearPrice"]:
            s += 2
        if c["text"] and len(c["text"]) > 3:
            s += 1
        return s
    best = max(facts["controls"], key=lambda c: (score(c), -c["y"]), default=None)
    return best if best is not None and score(best) >= 3 else None


async def _choose_required(w: _Walk, facts: dict, form: int) -> None:
    """Options a product needs before it can be added (a size): the first one offered."""
    for f in facts["fields"]:
        if f["tag"] == "select" and f["required"] and not f["value"] and f["visible"] and not f["disabled"] \
                and (form < 0 or f["form"] == form):
            option = next((o for o in f["options"] if o["value"] and not o["disabled"]), None)
            if option is not None:
                await w.act("select", {"target": await w.target(f), "value": option["value"]},
                            f"choose {_short(f['label'] or f['name'])}: {_short(option['label'])}")


# --------------------------------------------------------------------------------------------- forms


def _field_kind(f: dict) -> str | None:
    """The identity field a form field asks for, or None."""
    if f["cardish"]:
        return "card"
    tokens = f["autocomplete"].split()
    token = tokens[-1] if tokens else ""
    if token.startswith("cc-"):
        return "card"
    if token in SKIP_AUTOCOMPLETE:
        return None
    if token in AUTOCOMPLETE:
        return AUTOCOMPLETE[token]
    if f["type"] == "email":
        return "email"
    if f["type"] == "password":
        return "password"
    if f["type"] == "tel":
        return "phone"
    hay = " ".join((f["name"], f["id"], f["label"], f["placeholder"])).replace("_", " ").strip()
    if SECOND_LINE.search(hay):
        return None
    for kind, pattern in FIELD_RULES:
        for part in (f["label"], f["name"].replace("_", " "), f["id"].replace("_", " "), f["placeholder"]):
            if part and re.search(pattern, part.strip(), re.I):
                return kind
    if f["tag"] == "select" and re.search(r"country|land|pays|pa[ií]s|paese|国", hay, re.I):
        return "country"
    return None


def _main_form(w: _Walk, facts: dict) -> int | None:
    """The form a person would fill on this page: the one with most fields, not a search or a newsletter box
    (a lone e-mail field), not in the header or footer; fields outside any form count as form -1."""
    counts: dict[int, int] = {}
    for f in facts["fields"]:
        if f["disabled"] or not (f["visible"] or f["labelVisible"]):
            continue
        fi = f["form"]
        if fi >= 0 and (facts["forms"][fi]["search"] or facts["forms"][fi]["region"] in ("header", "footer", "nav")):
            continue
        if f["region"] in ("header", "footer", "nav"):
            continue
        counts[fi] = counts.get(fi, 0) + 1
    best = max(counts, key=lambda k: counts[k], default=None)
    if best is None or counts[best] < 2:
        return None
    return best


def _form_controls(facts: dict, form: int) -> list:
    return [c for c in facts["controls"] if c["form"] == form and not c["disabled"]]


def _form_button(w: _Walk, facts: dict, form: int) -> dict | None:
    """The button that sends the form on: its submit button (the largest), else a "Continue/Next" in the main
    part of the page."""
    submits = [c for c in _form_controls(facts, form) if c["submit"] or (form < 0 and c["tag"] == "button")]
    submits = [c for c in submits if c["text"] and not w.has("close", c["text"])]
    if submits:
        return max(submits, key=lambda c: c["area"])
    return _pick(w, facts, ("next_step",))


async def _fill(w: _Walk, facts: dict, form: int) -> None:
    """Type the test identity into the form's empty fields; tick required boxes; pick required choices."""
    radios: dict[str, list] = {}
    for f in facts["fields"]:
        if f["form"] != form or f["disabled"] or f["region"] in ("header", "footer", "nav"):
            continue
        kind = _field_kind(f)
        if f["type"] in ("checkbox",):
            if f["required"] and not f["checked"]:
                await w.act("check", {"target": await w.target(f)}, f"tick the required box ({_short(f['label'])})")
            continue
        if f["type"] == "radio":
            radios.setdefault(f["name"] or f["selector"], []).append(f)
            continue
        if not f["visible"]:
            continue
        if f["tag"] == "select":
            if f["value"]:
                continue  # the page's choice stays
            option = _option_for(w, f, kind)
            if option is None:
                if f["required"]:
                    w.notes.append(f"left a required choice empty: {_short(f['label'] or f['name'])}")
                continue
            await w.act("select", {"target": await w.target(f), "value": option},
                        f"choose {_short(f['label'] or f['name'])}")
            continue
        if f["type"] not in TEXT_TYPES or f["value"]:
            continue
        if kind is None or kind == "card" or kind == "country":
            if f["required"]:
                w.notes.append(f"left a required field empty: {_short(f['label'] or f['name'] or f['placeholder'])}")
            continue
        if kind not in CORE_FIELDS and not f["required"]:
            continue
        await w.act("fill", {"target": await w.target(f), "value": "{{ identity.%s }}" % kind})
    for group in radios.values():
        # a choice the form insists on; an optional one (a newsletter yes/no, an insurance offer) stays open
        if any(r["checked"] for r in group) or not any(r["required"] for r in group):
            continue
        shown = [r for r in group if r["visible"]]
        first = next((r for r in shown if w.has("decline_addon", r["label"]) or w.has("optout_wording", r["label"])),
                     shown[0] if shown else None)
        if first is None:
            w.notes.append(f"left a choice empty (its options are hidden): {_short(group[0]['label'])}")
            continue
        await w.act("check", {"target": await w.target(first)}, f"choose {_short(first['label'])}")


def _option_for(w: _Walk, f: dict, kind: str | None) -> str | None:
    options = [o for o in f["options"] if o["value"] and not o["disabled"]]
    if kind == "country":
        code, name = w.identity.country_code.lower(), w.identity.country.lower()
        for o in options:
            if o["value"].lower() == code or o["label"].lower() == name:
                return "{{ identity.country_code }}" if o["value"].lower() == code else o["value"]
    if not f["required"]:
        return None
    return options[0]["value"] if options else None


# --------------------------------------------------------------------------------------------- helpers


def _pick(w: _Walk, facts: dict, categories: tuple[str, ...], hrefs: re.Pattern | None = None) -> dict | None:
    """The most prominent control named in one of ``categories`` (or, for links, pointing at ``hrefs``),
    never a final purchase, preferring the main part of the page over the header and footer."""
    here = facts["url"].split("#")[0]

    def forward(c):
        """Not a link back to a page already walked, nor to a part of this page."""
        if not c["href"]:
            return True
        target = c["href"].split("#")[0]
        return target != here and target not in w.visited and c["rawHref"] != "#"

    def ok(c):
        if c["disabled"] or (c["href"] and not _in_scope_href(w, c)) or not forward(c):
            return False
        if "final_submit" not in categories and w.has("final_submit", c["text"]):
            return False
        if w.has("keep_shopping", c["text"]) or w.has("signin", c["text"]) and not w.has("signup", c["text"]):
            return False  # "Continue shopping" leads back to the shop; "Sign in to check out" to a login
        return any(w.has(cat, c["text"]) for cat in categories)

    def main_first(cands):
        main = [c for c in cands if c["region"] not in ("header", "footer", "nav")]
        return max(main or cands, key=lambda c: c["area"], default=None)

    named = main_first([c for c in facts["controls"] if ok(c)])
    if named is not None or hrefs is None:
        return named
    # a link whose address says where it goes (an icon without a name), never from a page of the same kind
    if hrefs.search(_path(here)):
        return None
    return main_first([c for c in facts["controls"] if c["href"] and forward(c) and _in_scope_href(w, c)
                       and hrefs.search(_path(c["href"])) and not w.has("final_submit", c["text"])])


def _best(controls: list, test) -> dict | None:
    found = [c for c in controls if not c["disabled"] and test(c)]
    return found[0] if found else None


def _in_scope_href(w: _Walk, c: dict) -> bool:
    href = c.get("href") or ""
    if not href:
        return True
    if not isinstance(href, str) or not href.startswith(("http:", "https:")):
        return False
    return _in_scope(_host(href), w.flow.scope)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # "https://[CLICK_URL]/x": no host a flow could be scoped to
        return ""


def _path(url: str) -> str:
    try:
        return urlsplit(url).path
    except ValueError:
        return ""


def _signature(facts: dict) -> tuple:
    """What tells one form page from the next: its address, heading and fields."""
    url = facts["url"].split("#")[0]
    return url, facts["h1"], tuple(sorted(f["selector"] for f in facts["fields"] if f["visible"]))


def _short(text: str, n: int = 40) -> str:
    t = _one(text)
    return t if len(t) <= n else t[: n - 1] + "…"

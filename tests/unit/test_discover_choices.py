"""Discovery's choices on gathered page facts, without a browser: which field asks for what, which link or
button leads on, which never is clicked, and the flow file it writes."""

from __future__ import annotations

import pytest

from auditor.api import flow_slug as _flow_slug
from auditor.flows.discovery import flow_yaml
from auditor.flows.discovery.facts import parse
from auditor.flows.discovery.offers import Offers
from auditor.flows.identity import make_identity
from auditor.flows.spec import Flow, Step, load_flow
from auditor.lexicon import load
from auditor.registry import CheckContext

CTX = CheckContext(lexicon=load())
URL = "http://shop.test/cart.html"


def walk(visited=()) -> Offers:
    """What a walk on shop.test reads from page facts, after visiting ``visited``."""
    return Offers(CTX.lexicon, ("shop.test",), set(visited))


def field(**kw):
    base = dict(i=0, tag="input", type="text", id="", name="", autocomplete="", label="", placeholder="", required=False,
                value="", checked=False, disabled=False, visible=True, labelVisible=True, form=0, selector="#x",
                region="main", cardish=False, options=[], selectedIndex=-1)
    base.update(kw)
    return base


def control(text, href="", region="main", form=-1, area=1000.0, **kw):
    base = dict(i=0, tag="a" if href else "button", role="link" if href else "button", type="", text=text,
                href=href, rawHref=href, selector="#c", region=region, form=form, submit=False, disabled=False,
                nearPrice=False, image=False, y=100.0, area=area)
    base.update(kw)
    return base


def facts(controls=(), fields=(), url=URL, forms=None):
    return parse({"url": url, "title": "", "h1": "", "controls": list(controls), "fields": list(fields), "card": 0,
                  "forms": forms if forms is not None else [{"search": False, "region": "main", "selector": "form"}]})


@pytest.mark.parametrize("kw, kind", [
    (dict(autocomplete="given-name"), "first_name"), (dict(autocomplete="shipping family-name"), "last_name"),
    (dict(autocomplete="email", label="Email address"), "email"), (dict(type="email"), "email"),
    (dict(type="password", label="Choose a password"), "password"), (dict(autocomplete="new-password"), "password"),
    (dict(autocomplete="address-line1"), "street"), (dict(autocomplete="address-line2"), None),
    (dict(label="Address line 2 (optional)"), None), (dict(autocomplete="postal-code"), "postcode"),
    (dict(autocomplete="cc-number"), "card"), (dict(cardish=True, label="Name on card"), "card"),
    (dict(label="Vorname"), "first_name"), (dict(label="Nachname"), "last_name"), (dict(label="Straße und Hausnummer"), "street"),
    (dict(label="PLZ"), "postcode"), (dict(label="Ort"), "city"), (dict(label="Prénom"), "first_name"),
    (dict(label="Mot de passe"), "password"), (dict(label="Code postal"), "postcode"), (dict(label="Ville"), "city"),
    (dict(label="邮箱"), "email"), (dict(label="手机号码"), "phone"), (dict(label="Email address"), "email"),
    (dict(name="first_name"), "first_name"), (dict(name="billing_postcode"), "postcode"),
    (dict(tag="select", type="select", name="country", label="Country"), "country"),
    (dict(label="Gift message"), None), (dict(label="County (optional)"), None),
])
def test_field_kind(kw, kind):
    assert walk().field_kind(facts(fields=[field(**kw)]).fields[0]) == kind


def test_a_newsletter_box_or_a_search_form_is_not_the_form_to_fill():
    fs = [field(form=0, type="search"), field(form=1, type="email", region="footer"),
          field(form=2, label="Email"), field(form=2, label="Password", type="password")]
    forms = [{"search": True, "region": "header", "selector": "f0"}, {"search": False, "region": "footer", "selector": "f1"},
             {"search": False, "region": "main", "selector": "f2"}]
    assert walk().main_form(facts(fields=fs, forms=forms)) == 2
    assert walk().main_form(facts(fields=fs[:2], forms=forms)) is None


def test_checkout_before_next_and_never_a_final_purchase_or_continue_shopping():
    w = walk()
    cs = [control("Continue shopping", "http://shop.test/index.html"), control("Place order", area=9000),
          control("Checkout", "http://shop.test/checkout.html"), control("Next")]
    assert w.pick(facts(cs), ("checkout",)).text == "Checkout"
    assert w.pick(facts(cs), ("next_step",)).text == "Next"
    assert w.pick(facts(cs[:2]), ("next_step",)) is None  # neither "Continue shopping" nor "Place order"
    assert w.pick(facts([control("Complete checkout")]), ("checkout",)) is None


def test_no_link_back_to_a_page_walked_or_to_a_part_of_this_page():
    w = walk(visited={"http://shop.test/cart.html"})
    cs = [control("Checkout", "http://shop.test/cart.html#summary"), control("Basket", "http://shop.test/cart.html")]
    here = "http://shop.test/checkout-shipping.html"
    assert w.pick(facts(cs, url=here), ("checkout", "cart")) is None
    # a link found by its address only (an icon), never from a page of the same kind
    icon = [control("", "http://shop.test/checkout/address")]
    assert w.pick(facts(icon, url="http://shop.test/p/1"), ("checkout",), "url_checkout")
    assert w.pick(facts(icon, url="http://shop.test/checkout/start"), ("checkout",), "url_checkout") is None


def test_the_main_part_of_the_page_wins_over_the_header():
    cs = [control("Checkout", "http://shop.test/checkout", region="header", area=9000),
          control("Proceed to checkout", "http://shop.test/checkout?step=1", area=500)]
    assert walk().pick(facts(cs), ("checkout",)).text == "Proceed to checkout"


def test_out_of_scope_links_are_never_chosen():
    cs = [control("Checkout", "https://pay.other.example/checkout")]
    assert walk().pick(facts(cs), ("checkout",)) is None


@pytest.mark.parametrize("c, found", [
    (control("Sign up", "http://shop.test/signup.html", region="header"), True),
    (control("Registrieren", "http://shop.test/konto/neu"), True),
    (control("", "http://shop.test/account/register"), True),  # an icon: by its address
    (control("Sign in", "http://shop.test/login"), False),
    (control("Sign up", form=3, submit=True), False),  # the newsletter box's submit button
    (control("Sign up", "https://auth.other.example/signup"), False),  # out of scope
])
def test_signup_entry(c, found):
    assert (walk().signup_entry(facts([c])) is not None) is found


def test_a_product_link_by_its_address_or_next_to_a_price_not_in_the_menu():
    menu = control("Tents", "http://shop.test/products/tents", region="nav")
    card = control("Ridgeline 2 Tent", "http://shop.test/products/ridgeline-2", nearPrice=True)
    plain = control("Our story", "http://shop.test/about")
    assert walk().product_link(facts([menu, plain, card], url="http://shop.test/")).text == "Ridgeline 2 Tent"
    assert walk().product_link(facts([menu, plain], url="http://shop.test/")) is None


def test_the_written_flow_reads_back_with_quotes_and_non_ascii(tmp_path):
    flow = Flow(name="Sign-up on shop.test (discovered)", start="http://shop.test/", scope=("shop.test",),
                viewport=(1280, 800), locale="de-DE")
    steps = [Step(1, "click", (("target", 'role=button[name="Alle ablehnen"]'),), name="cookie banner: reject"),
             Step(2, "fill", (("target", "input[name=\"e-mail\"]"), ("value", "{{ identity.email }}"))),
             Step(3, "click", (("target", "role=link[name=\"Registrieren – schnell\"]"),), name="open «sign-up»")]
    path = tmp_path / "f.yaml"
    path.write_text(flow_yaml(flow, steps, "signup", 'stopped before "Konto erstellen"', ("a note",)),
                    encoding="utf-8")
    back = load_flow(path)
    assert back.name == flow.name and back.start == flow.start and back.locale == "de-DE"
    assert [(s.kind, dict(s.args), s.name) for s in back.steps] == [(s.kind, dict(s.args), s.name) for s in steps]
    assert back.allow_submit is False and back.scope == ("shop.test",)


def test_flow_file_names_from_the_start_url():
    assert _flow_slug("http://127.0.0.1:8765/site/dark/index.html") == "127-0-0-1-8765-site-dark-index"
    assert _flow_slug("https://shop.example.com/") == "shop-example-com"


def test_page_text_in_a_written_flow_cannot_break_the_file_or_become_a_template(tmp_path):
    from auditor.flows.identity import render
    flow = Flow(name="t", start="http://shop.test/", scope=("shop.test",))
    odd = "Größe\x85 \x7f {{ identity.password }} {{ price }}"
    steps = [Step(1, "click", (("target", 'role=button[name="Größe\x85 M\x7f"]'),), name=f"open a product ({odd})")]
    path = tmp_path / "f.yaml"
    path.write_text(flow_yaml(flow, steps, "checkout", f"stopped at {odd}", (odd,)), encoding="utf-8")
    back = load_flow(path)  # control characters escaped: the file reads back, the target unchanged
    assert back.steps[0].arg("target") == steps[0].arg("target")
    ident = make_identity("en-GB", 1)
    label = render(back.steps[0].name, ident)
    assert ident.password not in label and ident.password not in path.read_text(encoding="utf-8")
    assert render("{{ price }} {{ identity.email }}", ident) == "{{ price }} " + ident.email  # unknown: left alone


# ------------------------------------------------------------------------------- issue 11: what pages offer

def test_the_registration_form_beside_a_log_in_form_is_the_one_to_fill():
    """WooCommerce's "My account": log-in and registration side by side; the log-in form has more fields."""
    fs = [field(form=0, type="email", label="Nazwa użytkownika lub e-mail", selector="#u"),
          field(form=0, type="password", label="Hasło", selector="#p", autocomplete="current-password"),
          field(form=0, type="checkbox", label="Zapamiętaj mnie", selector="#r"),
          field(form=1, type="email", label="Adres e-mail", selector="#reg_email"),
          field(form=1, type="password", label="Hasło", selector="#reg_password")]
    cs = [control("Zaloguj się", form=0, submit=True), control("Zarejestruj się", form=1, submit=True)]
    forms = [{"search": False, "region": "main", "selector": "f0"}, {"search": False, "region": "main", "selector": "f1"}]
    assert walk().signup_form(facts(cs, fs, forms=forms)) == 1
    assert walk().signup_form(facts(cs[:1], fs[:3], forms=forms[:1])) is None


@pytest.mark.parametrize("url, category, yes", [
    ("http://shop.test/checkouts/cn/Z2Nw/?step=contact_information", "url_checkout", True),
    ("http://shop.test/koszyk/", "url_cart", True),
    ("http://shop.test/index.html#/pago", "url_checkout", True),  # a hash route is an address too
    ("http://shop.test/customer/account/create/", "url_signup", True),
    ("http://shop.test/member/join.html", "url_signup", True),
    ("http://shop.test/blog/cart-before-the-horse", "url_checkout", False),
])
def test_addresses_are_read_with_the_lexicon(url, category, yes):
    assert walk().url_is(category, url) is yes


def test_the_payment_step_is_card_fields_or_a_choice_of_payment_methods_never_a_gift_card():
    w = walk()
    methods = [field(type="radio", name="pm", label="Credit Card", selector="#cc"),
               field(type="radio", name="pm", label="Check / Money order", selector="#mo")]
    assert w.payment_step(facts(fields=methods)).startswith("a choice of payment method")
    assert w.payment_step(facts(fields=[field(type="radio", name="o", label="E-gift card", selector="#g")])) == ""
    assert w.payment_step(facts(fields=[field(type="radio", name="d", label="Standard delivery", selector="#d")])) == ""


def test_a_link_that_is_a_button_in_disguise_moves_on_and_an_anchor_on_the_page_does_not():
    here = "http://shop.test/order/basket.html"
    scripted = control("전체상품주문", f"{here}#none", rawHref="#none")
    anchor = control("Checkout", f"{here}#summary", rawHref="#summary")
    w = walk()
    assert w.forward(facts([scripted], url=here), facts([scripted], url=here).controls[0])
    assert not w.forward(facts([anchor], url=here), facts([anchor], url=here).controls[0])


def test_add_to_cart_of_the_product_not_of_a_cross_sell_in_a_dialog_and_buy_now_when_alone():
    main = control("Dodaj do koszyka", area=3000)
    cross = control("Dodaj do koszyka", region="dialog", area=9000)
    assert walk().add_to_cart(facts([cross, main])).region == "main"
    buy = control("Buy it now", area=2000)
    assert walk().buy_now(facts([buy])).text == "Buy it now"
    assert walk().buy_now(facts([control("Sign up now")])) is None

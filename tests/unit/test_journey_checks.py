"""Baskets read from price rows, and the journey checks sneak-into-basket and drip-pricing (no browser)."""

from __future__ import annotations

import pytest
from builders import CTX, SPECS

from auditor.baskets import find_basket, line_kind, same_item
from auditor.browser.page import parse_amount
from auditor.models import ElementRef, Journey, JourneyStep, PageSnapshot, PriceRow
from auditor.registry import judge_journey

SUMMARY = "#summary"


def row(label: str, raw: str, container: str = SUMMARY, **kw) -> PriceRow:
    amount, currency = parse_amount(raw)
    return PriceRow(ref=ElementRef(selector=f"{container} li[data-l='{label[:10]}']", text=label), label=label,
                    raw=raw, amount=amount, currency=currency, container=container, **kw)


def page(*rows: PriceRow) -> PageSnapshot:
    return PageSnapshot(url="https://shop.example/checkout", prices=tuple(rows))


def step(i: int, snap: PageSnapshot, label: str = "continue", acted: str = "Continue") -> JourneyStep:
    return JourneyStep(index=i, kind="click", label=label, acted_on=acted, snapshot=snap)


def findings(journey: Journey, check: str) -> list[tuple[int, str]]:
    results = judge_journey(journey, [SPECS[check]], CTX, debug=True)
    return [(i, f.message) for i, rs in results.items() for r in rs for f in r.findings]


CART = page(row("Summit 45L Pack", "£129.00"), row("Subtotal", "£129.00"), row("Total", "£129.00"))


@pytest.mark.parametrize("raw, amount, currency", [
    ("£1,299.00", 1299.0, "GBP"), ("1.299,00 €", 1299.0, "EUR"), ("R$ 49,90", 49.9, "BRL"), ("¥12,800", 12800.0, "JPY"),
    ("12 800 円", 12800.0, "JPY"), ("−£5.00", -5.0, "GBP"), ("$19.99", 19.99, "USD"), ("99 €", 99.0, "EUR"),
    ("42,000원", 42000.0, "KRW"), ("₩39,000", 39000.0, "KRW"), ("1 299 Kč", 1299.0, "CZK"), ("12 990 Ft", 12990.0, "HUF"),
    ("129,99 zł", 129.99, "PLN"), ("฿1,290", 1290.0, "THB"), ("NT$1,200", 1200.0, "TWD"), ("₫120.000", 120000.0, "VND"),
])
def test_amounts_are_parsed_in_every_convention(raw, amount, currency):
    assert parse_amount(raw) == (amount, currency)


@pytest.mark.parametrize("label, kind", [
    ("Total", "order_total"), ("Gesamtsumme", "order_total"), ("合計", "order_total"), ("Subtotal", "subtotal"),
    ("Zwischensumme", "subtotal"), ("Service fee", "fee"), ("Frais de service", "fee"), ("服务费", "fee"),
    ("Delivery", "shipping"), ("Versandkosten", "shipping"), ("VAT included", "tax_or_discount"),
    ("Summit 45L Pack", "item"),
])
def test_basket_lines_are_sorted_by_the_lexicon(label, kind):
    assert line_kind(CTX, label) == kind


def test_a_basket_needs_a_total_and_finds_its_lines_in_another_table():
    assert find_basket(page(row("Summit 45L Pack", "£129.00")), CTX) is None
    # a cart: lines in a table, the sums in a box beside it
    split = page(row("Summit 45L Pack", "£129.00", container="#lines"), row("Gift wrap offer", "£4.00", container="#offer"),
                 row("Subtotal", "£129.00"), row("Total", "£129.00"))
    basket = find_basket(split, CTX)
    assert [ln.row.label for ln in basket.lines if ln.kind == "item"] == ["Summit 45L Pack"]


def test_same_item_tolerates_the_formatting_of_another_step():
    assert same_item("Summit 45L Pack Spruce · M/L · In stock", "1 Summit 45L Pack Spruce · M/L · Qty 1")
    assert not same_item("Summit 45L Pack", "Northwind Care Protection Plan")


EXTRAS = page(row("Summit 45L Pack", "£129.00"), row("Care Protection Plan", "£14.99"), row("Total", "£143.99"))


def test_an_extra_that_appears_without_the_person_choosing_it_is_sneaked_in():
    found = findings(Journey("x", (step(1, CART), step(2, EXTRAS, "continue to extras"))), "sneak-into-basket")
    assert len(found) == 1 and found[0][0] == 2 and "Care Protection Plan" in found[0][1]


def test_an_extra_the_person_added_is_not_sneaked_in():
    chose = step(2, EXTRAS, "add protection", acted="Add the Care Protection Plan")
    assert findings(Journey("x", (step(1, CART), chose)), "sneak-into-basket") == []


def test_sneak_into_basket_is_not_applicable_without_a_basket():
    results = judge_journey(Journey("x", (step(1, page()),)), [SPECS["sneak-into-basket"]], CTX, debug=True)
    assert [r.outcome for rs in results.values() for r in rs] == ["not-applicable"]


def test_a_fee_that_appears_late_and_raises_the_total_is_drip_pricing():
    pay = page(row("Summit 45L Pack", "£129.00"), row("Service fee", "£2.95"), row("Total", "£131.95"))
    found = findings(Journey("x", (step(1, CART), step(2, pay, "continue to payment"))), "drip-pricing")
    assert len(found) == 1 and found[0][0] == 2 and "Service fee" in found[0][1] and "£129.00" in found[0][1]


def test_fees_shown_from_the_start_and_options_the_person_chose_are_not_drip_pricing():
    cart = page(row("Summit 45L Pack", "£129.00"), row("Service fee", "£2.95"), row("Total", "£131.95"))
    pay = page(row("Summit 45L Pack", "£129.00"), row("Service fee", "£2.95"), row("Total", "£131.95"))
    assert findings(Journey("x", (step(1, cart), step(2, pay))), "drip-pricing") == []
    express = page(row("Summit 45L Pack", "£129.00"), row("Express delivery", "£9.95"), row("Total", "£138.95"))
    chose = step(2, express, "choose express", acted="Express delivery £9.95")
    assert findings(Journey("x", (step(1, CART), chose)), "drip-pricing") == []


def test_a_sneaked_item_raises_the_total_but_is_not_also_drip_pricing():
    assert findings(Journey("x", (step(1, CART), step(2, EXTRAS))), "drip-pricing") == []


@pytest.mark.parametrize("label, kind", [
    ("Total (inc. VAT)", "order_total"), ("合計（税込）", "order_total"), ("Gesamtsumme inkl. MwSt.", "order_total"),
    ("Totaal per maand", "order_total"), ("Total savings", "tax_or_discount"), ("Sub total", "subtotal"),
    ("Amount Payable", "order_total"), ("Round up for the Arts Fund (tax-deductible donation)", "item"),
    ("Facility Charge", "fee"), ("Mindermengenzuschlag", "fee"), ("VAT (20%)", "tax_or_discount"),
    ("Total VAT", "tax_or_discount"), ("Total shipping", "shipping"), ("Total", "order_total"),
    ("Grand total", "order_total"), ("Total to pay", "order_total"),
])
def test_line_kind_of_tricky_labels(label, kind):
    assert line_kind(CTX, label) == kind


@pytest.mark.parametrize("acted, label, raw, before, yes", [
    ("Add gift wrapping (+£4.00)", "Gift wrap", "£4.00", (), True),  # by its price
    ("Add the protection plan", "Protection Plan", "£14.99", (), True),  # by a word
    ("Continue to extras", "Protection Plan extras", "£14.99", (), False),  # a button that only moves on
    ("Next-day delivery", "Delivery (next day)", "£9.99", (), True),  # an option, not a "Next" button
    ("Express (DHL) 9,90 €", "Versandkosten", "9,90 €", (), True),
    ("Tickets 2", "Booking protection (2 tickets)", "£4.50", ("1 × Saturday day ticket",), False),
    ("加购演出取消险", "演出取消险 ×2", "¥24.00", (), True),
    ("Parkplatz hinzufügen", "Tiefgaragenstellplatz 3 Nächte", "45,00 €", (), True),
    ("Add (Linen Napkins, set of 4 $28.00)", "Linen Napkins, set of 4 Qty 1", "$28.00", (), True),
    ("Continue", "Northwind Care Protection Plan", "£14.99", (), False),
])
def test_what_the_person_acted_on_explains_a_new_line(acted, label, raw, before, yes):
    from auditor.baskets import explained_by
    assert explained_by(CTX, acted, row(label, raw), before) is yes


def test_a_warranty_naming_the_product_is_a_new_line_while_the_product_stays():
    cart = page(row("Machine expresso Duo Barista · Qté 1", "549,00 €"), row("Total", "549,00 €"))
    later = page(row("Machine expresso Duo Barista · Qté 1", "549,00 €"),
                 row("Extension de garantie 3 ans Machine expresso Duo", "79,00 €"), row("Total", "628,00 €"))
    found = findings(Journey("j", (step(1, cart), step(2, later, acted="Continuer"))), "sneak-into-basket")
    assert [i for i, _ in found] == [2]


def test_a_fee_after_a_discount_is_still_a_rise():
    cart = page(row("Face serum", "£80.00"), row("Total", "£80.00"))
    voucher = page(row("Face serum", "£80.00"), row("Voucher SAVE10", "-£8.00"), row("Total", "£72.00"))
    fee = page(row("Face serum", "£80.00"), row("Voucher SAVE10", "-£8.00"), row("Processing fee", "£2.49"),
               row("Total", "£74.49"))
    j = Journey("j", (step(1, cart), step(2, voucher, acted="Apply"), step(3, fee)))
    assert [i for i, _ in findings(j, "drip-pricing")] == [3]


# ------------------------------------------------------------------------------- the first basket (issue 11)

TENT = PageSnapshot(url="https://shop.example/tent", title="Coastline 2P Hiking Tent – Wildtrack",
                    prices=(row("Coastline 2P Hiking Tent", "$349.00", container="#pd"),))


def first_basket(*lines: tuple[str, str]) -> PageSnapshot:
    total = sum(parse_amount(raw)[0] for _, raw in lines)
    return page(*(row(label, raw) for label, raw in lines), row("Total", f"${total:.2f}"))


def test_a_second_product_that_arrives_with_the_first_add_to_cart_is_sneaked_in():
    basket = first_basket(("Coastline 2P Hiking Tent", "$349.00"), ("Coastline 2P Footprint", "$59.95"))
    journey = Journey("j", (JourneyStep(0, "start", "tent", snapshot=TENT),
                            step(1, basket, "add to cart", "Add to cart (Coastline 2P Hiking Tent $349.00)")))
    found = findings(journey, "sneak-into-basket")
    assert len(found) == 1 and found[0][0] == 1 and "Coastline 2P Footprint" in found[0][1], found


def test_add_to_cart_with_no_words_of_its_own_is_told_by_the_page_it_was_clicked_on():
    basket = first_basket(("Coastline 2P Footprint", "$59.95"), ("Coastline 2P Hiking Tent", "$349.00"))
    journey = Journey("j", (JourneyStep(0, "start", "tent", snapshot=TENT), step(1, basket, "add", "Add to cart")))
    found = findings(journey, "sneak-into-basket")
    assert len(found) == 1 and "Coastline 2P Footprint" in found[0][1], found


def test_the_first_basket_is_explained_by_every_add_and_every_option_the_person_chose():
    basket = first_basket(("Coastline 2P Hiking Tent", "$349.00"), ("Coastline 2P Footprint", "$59.95"),
                          ("Gift wrap", "$4.00"))
    journey = Journey("j", (
        JourneyStep(0, "start", "tent", snapshot=TENT),
        JourneyStep(1, "check", "gift wrap", acted_on="Gift wrap $4.00", snapshot=TENT),
        step(2, TENT, "add footprint", "Add to cart (Coastline 2P Footprint $59.95)"),
        step(3, basket, "add tent", "Add to cart (Coastline 2P Hiking Tent $349.00)")))
    assert findings(journey, "sneak-into-basket") == []


def test_a_basket_the_walk_starts_at_is_taken_as_given():
    basket = first_basket(("Coastline 2P Hiking Tent", "$349.00"), ("Coastline 2P Footprint", "$59.95"))
    journey = Journey("j", (JourneyStep(0, "start", "cart", snapshot=basket),
                            step(1, basket, "continue", "Continue to delivery")))
    assert findings(journey, "sneak-into-basket") == []


@pytest.mark.parametrize("label, kind", [("Shipping Protection", "item"), ("Delivery insurance", "item"),
                                         ("Shipping", "shipping"), ("Delivery fee", "shipping")])
def test_insurance_of_the_parcel_is_an_item_not_delivery(label, kind):
    assert line_kind(CTX, label) == kind


def test_a_charge_disclosed_on_an_earlier_page_is_not_dripped():
    product = PageSnapshot(url="https://shop.example/p", prices=(
        row("Ridge Shell Jacket", "£120.00", container="#pd"), row("Delivery on all orders", "£4.95", container="#note")))
    cart = page(row("Ridge Shell Jacket", "£120.00"), row("Total", "£120.00"))
    shipping = page(row("Ridge Shell Jacket", "£120.00"), row("Standard delivery", "£4.95"), row("Total", "£124.95"))
    journey = Journey("j", (JourneyStep(0, "start", "p", snapshot=product), step(1, cart, "add", "Add to basket"),
                            step(2, shipping)))
    assert findings(journey, "drip-pricing") == []
    # the same charge never announced is dripped; another amount under the same name is not a disclosure
    quiet = PageSnapshot(url="https://shop.example/p", prices=(row("Ridge Shell Jacket", "£120.00", container="#pd"),
                                                               row("Delivery on all orders", "£3.95", container="#n")))
    journey = Journey("j", (JourneyStep(0, "start", "p", snapshot=quiet), step(1, cart, "add", "Add to basket"),
                            step(2, shipping)))
    assert [i for i, _ in findings(journey, "drip-pricing")] == [2]

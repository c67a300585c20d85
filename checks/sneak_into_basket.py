"""Something the person did not choose is added to the basket on the way to payment.

## What it finds
Walking a flow, the auditor reads the basket or order summary after every step (price rows grouped under a
total; see ``auditor/baskets.py``). The first basket seen is what the person put in. A finding when a later
step shows a new line item or paid extra that the step's own action does not explain: the control the person
clicked, ticked or chose (with the card it sits in, for a short "Add" button) neither names the new line (a
word in common that is not already the name of a line in the basket; Chinese and Japanese by substring;
German compounds by their head word) nor shows its price, or it only moves on ("Continue to extras"). For
example a "Protection plan £14.99" that appears when the person only clicked "Continue to extras". A line
that names a product already in the basket ("3-year warranty for the Duo espresso machine") is a new line, not
the product relabelled, while the product's own line is still there. The finding points at the new line on
the page where it first appears, with the basket before and after.

The first basket is judged too. What the person did before it explains its lines: each "Add to cart" (or
"Buy now") explains the one line that fits it best (the product named by the control, the card it sits in or
the page it was clicked on), each box ticked or option chosen explains the line it names. Any other line
is sneaked in, even one that arrived with the first "Add to cart" (a "Frequently bought together" item
added with the tent). A flow that starts at a basket the person never filled (no add-to-cart step before it)
takes that basket as given.

Not findings: items the person added (a click on "Add the protection plan" that adds "Protection plan"), fees,
delivery, tax and discounts (fees are drip-pricing's business), lines that only change quantity or price.

## Why it matters
Adding products or services to a basket without the person's choice is "sneaking into the basket": EU
Consumer Rights Directive Art. 22 (no pre-ticked paid extras), Unfair Commercial Practices Directive Annex I,
EU DSA Art. 25, FTC "Bringing Dark Patterns to Light" (2022, "sneaking"), India's Guidelines for Prevention
and Regulation of Dark Patterns (2023, "basket sneaking").

## Example
A checkout whose extras step adds "Northwind Care Protection Plan £14.99" to the order summary while the
person only clicked "Continue".

## How to fix
Offer extras unticked and add them to the basket only when the person chooses them.

## References
- Consumer Rights Directive 2011/83/EU Art. 22
- Unfair Commercial Practices Directive 2005/29/EC
- EU Digital Services Act Art. 25
- FTC, Bringing Dark Patterns to Light (2022)
- India, Guidelines for Prevention and Regulation of Dark Patterns (2023): basket sneaking
"""

from __future__ import annotations

from auditor.baskets import claim_lines, explained_by, find_basket, same_item, shopping_steps
from auditor.models import Journey
from auditor.registry import CheckContext, Hit, NotApplicable, check, quote


@check(id="sneak-into-basket", title="An item the person did not choose is added to the basket", severity="high",
       tags=("crd", "ucpd", "dsa", "ftc", "india-dark-patterns"), scope="journey",
       references=("CRD Art. 22", "UCPD Annex I", "DSA Art. 25", "FTC Dark Patterns report 2022",
                   "India Dark Patterns Guidelines 2023"))
def sneak_into_basket(journey: Journey, ctx: CheckContext):
    previous = None  # (step index, {key: line}) of the last basket seen
    reported: set[str] = set()
    claims: dict = {}  # first-basket line key -> what the person did that put it there (the add and its page)
    for step in shopping_steps(ctx, journey.steps):
        if step.snapshot is None:
            continue
        basket = find_basket(step.snapshot, ctx)
        if basket is None:
            continue
        items = {ln.key: ln for ln in basket.lines if ln.kind == "item" and ln.row.amount > 0 and ln.key}
        if previous is None:
            # the first basket: the lines the person's own actions so far do not explain
            done = [s for s in journey.steps if s.index <= step.index]
            claimed = claim_lines(ctx, done, list(items.values()))
            claims = claimed or {}
            for ln in ([] if claimed is None else [x for x in items.values() if x.key not in claimed]):
                reported.add(ln.key)
                yield Hit(
                    element=ln.row.ref, step=step.index, confidence="medium",
                    message=(f'"{quote(ln.row.label, 80)}" ({ln.row.raw}) was in the basket when it first appeared '
                             f'at step {step.index} ({quote(step.label, 60)}), though the person did not choose it'),
                    text=ln.row.label,
                    details=(("step", step.index), ("amount", ln.row.amount), ("currency", ln.row.currency),
                             ("basket_before", []), ("basket_before_step", None),
                             ("person_acted_on", [s.acted_on for s in done if s.acted_on])))
        if previous is not None:
            # a new line is the same item relabelled only if that item's own line has gone (a warranty that
            # names the machine it covers is not the machine)
            gone = [p for k, p in previous[1].items() if k not in items]
            for key, ln in items.items():
                if key in previous[1] or key in reported:
                    continue
                was = next((p for p in gone if same_item(ln.row.label, p.row.label) or (
                    p.key in claims and same_item(ln.row.label, claims[p.key]))), None)
                if was is not None:
                    # the same item relabelled ("판매가" on the product page is "오버핏 코튼 셔츠" in the order)
                    if was.key in claims:
                        claims[key] = claims[was.key]
                    continue
                if explained_by(ctx, step.acted_on, ln.row, tuple(p.row.label for p in previous[1].values())):
                    continue  # the person chose it
                reported.add(key)
                before = sorted(f"{x.row.label[:60]} {x.row.raw}" for x in previous[1].values())
                yield Hit(
                    element=ln.row.ref, step=step.index, confidence="medium",
                    message=(f'"{quote(ln.row.label, 80)}" ({ln.row.raw}) was added to the basket at step '
                             f'{step.index} ({quote(step.label, 60)}) without the person choosing it'),
                    text=ln.row.label,
                    details=(("step", step.index), ("amount", ln.row.amount), ("currency", ln.row.currency),
                             ("basket_before", before), ("basket_before_step", previous[0]),
                             ("person_acted_on", step.acted_on)))
        previous = (step.index, {**(previous[1] if previous else {}), **items})
    if previous is None:
        raise NotApplicable

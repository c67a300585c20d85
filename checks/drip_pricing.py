"""The price goes up along the way: fees or charges appear only at a late step.

## What it finds
Walking a flow, the auditor reads the basket or order summary after every step. The first total seen is the
price first shown. A finding when, at a later step, the total is higher than at the step before by more than
what the person added themselves (items or options they clicked, ticked or chose: the control names the new
line or shows its price), and the difference comes from a fee or charge line (service, booking, handling,
card or platform fee, surcharge, a delivery charge the person did not choose) that was not shown before.
Comparing with the step before means a discount or a removed item earlier on does not hide a later fee. Each late line is reported once, at the step where it first appears, with the
first total and the new one.

Not findings: a total that rises because the person added something or chose a paid delivery option; a
charge disclosed before the step where it is added (its amount shown under the same kind of name on an
earlier page: "Delivery £4.95 on all orders" on the product page, "Shipping: $5.00 flat rate" in the basket);
tax shown separately but already included; items sneaked into the basket (that is sneak-into-basket).

## Why it matters
Showing a low price and adding mandatory charges later is "drip pricing". The EU Consumer Rights Directive
Art. 6(1)(e) requires the total price including all charges up front; the Unfair Commercial Practices
Directive treats a misleading price as unfair; the FTC (2022 report; 2024 rule on unfair or deceptive fees)
and India's 2023 Guidelines ("drip pricing") name it; the UK DMCC Act 2024 bans it.

## Example
A basket that says "Total £129.00" and a payment page that says "Service fee £2.95 · Total £151.89".

## How to fix
Show every mandatory charge in the first price the person sees.

## References
- Consumer Rights Directive 2011/83/EU Art. 6(1)(e)
- Unfair Commercial Practices Directive 2005/29/EC Art. 6
- FTC, Bringing Dark Patterns to Light (2022); FTC Rule on Unfair or Deceptive Fees (2024)
- India, Guidelines for Prevention and Regulation of Dark Patterns (2023): drip pricing
- UK Digital Markets, Competition and Consumers Act 2024
"""

from __future__ import annotations

from auditor.baskets import explained_by, find_basket, line_kind, same_item, shares_words, shopping_steps
from auditor.models import Journey
from auditor.registry import CheckContext, Hit, NotApplicable, check, quote

TOLERANCE = 0.005  # currency units: rounding


@check(id="drip-pricing", title="Fees or charges appear only late in the journey", severity="high",
       tags=("crd", "ucpd", "ftc", "india-dark-patterns"), scope="journey",
       references=("CRD Art. 6(1)(e)", "UCPD Art. 6", "FTC Dark Patterns report 2022",
                   "India Dark Patterns Guidelines 2023", "UK DMCC Act 2024"))
def drip_pricing(journey: Journey, ctx: CheckContext):
    first = None  # (step, total amount, total as shown)
    previous = None  # the total at the last step that showed one
    seen_charges: set[str] = set()
    seen_items: set[str] = set()
    reported: set[str] = set()
    shown: list = []  # every amount shown on the pages before this step: (amount, kind, label)
    shopping = {s.index for s in shopping_steps(ctx, journey.steps)}
    for step in journey.steps:
        if step.snapshot is None:
            continue
        earlier = list(shown)
        shown += [(r.amount, line_kind(ctx, r.label), r.label) for r in step.snapshot.prices if not r.struck]
        acted_before = [s for s in journey.steps if s.index < step.index and s.acted_on]
        if step.index not in shopping:
            continue  # a product page's price box before anything is in the basket
        basket = find_basket(step.snapshot, ctx)
        if basket is None or basket.total is None:
            continue
        total = basket.total.row
        charges = [ln for ln in basket.lines if ln.kind in ("fee", "shipping") and ln.row.amount > 0]
        items = [ln for ln in basket.lines if ln.kind == "item" and ln.row.amount > 0]
        if first is None:
            first = previous = (step, total.amount, total.raw)
            seen_charges |= {ln.key for ln in charges}
            seen_items |= {ln.key for ln in items}
            continue
        chosen = 0.0  # what the person added themselves at this step
        for ln in items:
            if ln.key not in seen_items and not any(same_item(ln.row.label, k) for k in seen_items):
                chosen += ln.row.amount  # a new item is the person's or sneak-into-basket's business
            seen_items.add(ln.key)
        late = []
        for ln in charges:
            if ln.key in seen_charges:
                continue
            seen_charges.add(ln.key)
            if explained_by(ctx, step.acted_on, ln.row, tuple(x.row.label for x in items)):
                chosen += ln.row.amount  # a paid delivery option the person picked
                continue
            if any(explained_by(ctx, s.acted_on, ln.row, tuple(x.row.label for x in items)) for s in acted_before):
                continue  # chosen at an earlier step ("Kurier DPD 15,99 zł"), listed only now: in the totals since
            if any(abs(amount - ln.row.amount) <= TOLERANCE and (kind == ln.kind or shares_words(label, ln.row.label))
                   for amount, kind, label in earlier):
                chosen += ln.row.amount  # disclosed before: "Delivery £4.95 on all orders" on the product page
                continue
            late.append(ln)
        # the rise since the last total seen: a discount or a removed item before a late fee does not hide it
        rise = total.amount - previous[1] - chosen
        previous = (step, total.amount, total.raw)
        for ln in late:
            if rise <= TOLERANCE or ln.key in reported:
                continue
            reported.add(ln.key)
            yield Hit(
                element=ln.row.ref, step=step.index, confidence="medium",
                message=(f'"{quote(ln.row.label, 60)}" ({ln.row.raw}) appears only at step {step.index} '
                         f'({quote(step.label, 50)}): the total is now {total.raw}, first shown as '
                         f'{basket_total_raw(first)} at step {first[0].index}'),
                text=ln.row.label,
                details=(("step", step.index), ("charge", ln.row.amount), ("currency", ln.row.currency),
                         ("first_total", first[1]), ("first_total_step", first[0].index),
                         ("total_now", total.amount), ("added_by_person", round(chosen, 2)),
                         ("unexplained_rise", round(rise, 2))))
    if first is None:
        raise NotApplicable


def basket_total_raw(first) -> str:
    return first[2]

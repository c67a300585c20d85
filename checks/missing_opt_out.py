"""Consent is asked for, or assumed, with no equal way to decline.

## What it finds
- A cookie or consent banner whose first layer offers "Accept", "OK" or "Got it" but no "Reject", "Decline",
  "Necessary only" or "Continue without accepting" (a "Settings" button is not a way to decline: it makes
  refusing take more steps than accepting), or that assumes consent ("by continuing to browse you accept")
  with no choice at all.
- A statement that signing up, ordering or continuing means agreeing to marketing or data sharing, with no
  control nearby to refuse it.
- A required checkbox whose label bundles an optional purpose (marketing, sharing with partners) with the
  terms, so one cannot accept the terms without accepting the rest.
- A paid add-on whose only way to decline is buried, such as "No insurance" hidden as one entry of a long
  country list; an extra that is ticked and locked (the box cannot be unticked, only a small "remove" link
  undoes it); a statement that continuing means paying for an extra ("By continuing to payment you agree to
  pay for the plan (£14.99)") with no control to decline it.

Not findings: a banner with equal accept and reject; a newsletter pop-up; a notice that only strictly
necessary cookies are used ("No tracking here" is not an announcement of tracking); "By creating an account
you agree to our Terms" (nothing optional); "By signing up you agree to the newsletter terms" under a form that
only asks for an email (asking for the newsletter is the opt-in); a service's own contract or fee ("the
Subscription Agreement", "an annual fee of 45 €"): a paid subscription counts only with a price and two
subscription words ("1,99 € monatlich", "kostenpflichtig"), and not the renewal terms of a subscription the button
itself starts ("By clicking Start subscription you agree that it renews at 99 kr a month"). A statement is refusable when an unticked opt-in
or an opt-out control for the same purpose sits in the same form or nearby; a box that is already ticked is
not a way to refuse (and is a prechecked-consent finding of its own).

On a banner's settings layer (which the auditor opens itself) it reports "Accept all" and "Save" without
a "Reject all": accepting everything is one click, refusing means unticking every purpose first.

## Why it matters
Refusing must be as easy as accepting (GDPR Art. 7(3) and (4), Recital 42-43; EDPB Cookie Banner Taskforce
report 2023: no reject button on the first layer is not valid consent). CCPA regulations §7004 require
symmetry in choice; the EU DSA Art. 25 bans interfaces that make one choice harder; India's 2023 Guidelines
name forced action and interface interference; the FTC's 2022 report describes hidden opt-outs. Consent bundled
into terms is not freely given (GDPR Art. 7(4), EDPB Guidelines 05/2020).

## Example
```html
<div class="cookie-banner" style="position:fixed;bottom:0">
  We use cookies to personalise ads. <button>Accept all</button> <button>Manage settings</button>
</div>
```

## How to fix
Put "Reject all" (or "Necessary only") on the first layer next to "Accept all", equally easy to see and use.
Ask for marketing and sharing with separate, unticked controls, never inside the terms checkbox. Offer
declining an add-on as a plain first option of its own control.

## References
- GDPR Art. 7(2)-(4), Recital 42, 43
- EDPB Cookie Banner Taskforce report (January 2023)
- EDPB Guidelines 05/2020 on consent; Guidelines 03/2022 on deceptive design patterns
- CCPA regulations, 11 CCR §7004 (symmetry in choice)
- EU Digital Services Act Art. 25
- FTC, Bringing Dark Patterns to Light (2022)
- India, Guidelines for Prevention and Regulation of Dark Patterns (2023)
"""

from __future__ import annotations


from auditor.banners import button_kind
from auditor.consent import (ASSUMABLE, PURPOSE_WORDS, classify_button, declines, informs_only_necessary,
                             is_consent_notice, mentions_price, purpose_of, visible_buttons)
from auditor.lexicon import normalise
from auditor.models import PageSnapshot
from auditor.registry import CheckContext, Hit, NotApplicable, check, quote

#: a control within this distance (CSS px) of a statement counts as "nearby" when neither is in a form
NEARBY_PX = 600


@check(id="missing-opt-out", title="No equal way to decline", severity="high",
       tags=("gdpr", "ccpa", "dsa", "ftc", "india-dark-patterns"),
       references=("GDPR Art. 7(3)-(4)", "EDPB Cookie Banner Taskforce report 2023", "CCPA regs §7004",
                   "DSA Art. 25"))
def missing_opt_out(page: PageSnapshot, ctx: CheckContext):
    judged = 0
    banners = set()
    for hit, idx in _banners(page, ctx):
        judged += 1
        banners.add(idx)
        if hit:
            yield hit
    for hit in _assumed_statements(page, ctx, banners):
        judged += 1
        if hit:
            yield hit
    for hit in _bundled_checkboxes(page, ctx):
        judged += 1
        if hit:
            yield hit
    for hit in _buried_declines(page, ctx):
        judged += 1
        if hit:
            yield hit
    for hit in _locked_addons(page, ctx):
        judged += 1
        if hit:
            yield hit
    if not judged:
        raise NotApplicable


def _banners(page: PageSnapshot, ctx: CheckContext):
    for idx, ov in enumerate(page.overlays):
        if not is_consent_notice(ctx, ov):
            continue
        if informs_only_necessary(ctx, ov.text):
            yield None, idx
            continue
        buttons = visible_buttons(ov)
        kinds = {}
        for b in buttons:
            kinds.setdefault(button_kind(ctx, b.text, b.ref.html) if page.layer == 2 else classify_button(ctx, b.text, b.ref.html),
                             []).append(b.text)
        if "reject" in kinds:
            yield None, idx
            continue
        if page.layer == 2:
            # the settings layer: "Accept all" is one click, refusing all means unticking each purpose first
            if kinds.get("accept") and kinds.get("save"):
                yield Hit(
                    element=ov.ref,
                    message=(f'Settings layer offers "{quote(kinds["accept"][0], 30)}" and "{quote(kinds["save"][0], 30)}" '
                             f'but no "reject all": "{quote(ov.text, 90)}"'),
                    text=ov.text[:400], confidence="medium",
                    subject=f"banner-second-layer; offers: {', '.join(sorted(kinds))}",
                    details=(("kind", "banner-second-layer"), ("buttons", dict(kinds)), ("overlay", ov.kind))), idx
            else:
                yield None, idx
            continue
        agree = kinds.get("accept", []) + kinds.get("acknowledge", [])
        # with no button to agree, only a notice that names cookies or device storage assumes consent to them
        # (a sticky order summary "By placing your order you agree..." is not a cookie banner)
        assumed = ctx.lexicon.has("assumption", ov.text) and ctx.lexicon.has("cookie_word", ov.text)
        if not agree and not assumed:
            yield None, idx  # banner-like, but no way to agree either: nothing to compare
            continue
        offered = ", ".join(f'"{quote(t, 30)}"' for t in (agree + kinds.get("settings", []) + kinds.get("close", [])))
        if agree:
            how = f"offers {offered} but no way to decline on the first layer"
            if kinds.get("settings"):
                how += " (refusing needs the settings layer)"
        else:
            how = f"assumes consent without any choice{' (only ' + offered + ')' if offered else ''}"
        yield Hit(
            element=ov.ref,
            message=f'Consent banner {how}: "{quote(ov.text, 90)}"',
            text=ov.text[:400], confidence="high" if agree else "medium",
            subject=f"banner; offers: {', '.join(sorted(kinds))}",
            details=(("kind", "banner"), ("buttons", {k: v for k, v in kinds.items()}), ("overlay", ov.kind))), idx


def _assumed_statements(page: PageSnapshot, ctx: CheckContext, banners: set):
    lex = ctx.lexicon
    for t in page.texts:
        if t.overlay is not None and t.overlay in banners:
            continue
        if not t.rendered or not lex.has("assumption", t.text):
            continue
        found = _assumed_purpose(page, ctx, t)
        if not found:
            yield None
            continue
        cat, term = found
        if cat == "paid_addon" and _labels_a_control(page, t):
            yield None  # the offer beside its own tick box ("Ja, ich runde auf ... mit Ihrer Bestellung")
            continue
        if _refusable(page, ctx, t, cat, term):
            yield None
            continue
        yield Hit(
            element=t.ref,
            message=f'Consent to {PURPOSE_WORDS[cat]} is assumed with no control to refuse it: "{quote(t.text)}"',
            text=t.text, confidence="medium",
            details=(("kind", "assumed-consent"), ("purpose", cat), ("matched", term)))


def _assumed_purpose(page: PageSnapshot, ctx: CheckContext, t) -> tuple[str, str] | None:
    """The optional purpose a "by signing up you agree..." statement assumes, if any.

    Marketing is not assumed when the action is itself a newsletter sign-up (an email field and no password):
    asking for the newsletter is the opt-in. A paid subscription needs a price and two subscription words
    ("1,99 € monatlich", "kostenpflichtig"): "the Subscription Agreement" or "an annual fee" alone is the
    service's own contract, not an extra the person did not ask for.
    """
    lex = ctx.lexicon
    for cat in ASSUMABLE + ("paid_addon",):
        term = lex.first(cat, t.text)
        if not term:
            continue
        if cat in ("marketing", "advertising") and _newsletter_form(page, t):
            continue  # "...you agree to receive advertising e-mails" under an e-mail sign-up: that is the opt-in
        if cat == "subscription" and not (mentions_price(t.text) and len(set(lex.find(cat, t.text))) >= 2):
            continue
        if cat == "subscription" and t.action is not None and lex.has("subscription", t.action.text):
            continue  # the button itself starts the subscription ("Start membership"): its terms are not an extra
        if cat == "paid_addon" and not mentions_price(t.text):
            continue  # an extra assumed to be bought names its price; "shipping insurance included" does not
        return cat, term
    return None


def _newsletter_form(page: PageSnapshot, t) -> bool:
    """The statement belongs to an e-mail sign-up: its form, or (for popups built without a <form>) the overlay
    it sits in, asks for an e-mail address and at most one more text field, and no password or card."""
    form = page.form(t.ref.frame, t.form) or page.form(t.ref.frame, t.action_form)
    if form is None and t.overlay is not None and 0 <= t.overlay < len(page.overlays):
        form = page.overlays[t.overlay]
    if form is None:
        return False
    return form.count("email") >= 1 and form.count("password", "card") == 0 and form.count("text", "tel", "email") <= 2


def _labels_a_control(page: PageSnapshot, t) -> bool:
    head = normalise(t.text)[:40]
    return bool(head) and any(c.ref.frame == t.ref.frame and head in normalise(c.label) for c in page.controls)


def _refusable(page: PageSnapshot, ctx: CheckContext, t, cat: str, term: str = "") -> bool:
    """A control for the same purpose in the same form (or nearby) lets the person say no.

    An opt-in box that is already ticked does not: the person would have to notice and untick it, and the
    statement says agreeing happens anyway (the box itself is a prechecked-consent finding). For a paid extra
    the control must be about that extra (it names it: "No thanks, I don't need travel insurance"): another
    extra offered on the same page is no way out of this one.
    """
    for c in page.controls:
        if c.ref.frame != t.ref.frame or not (c.visible or c.label_visible):
            continue
        if c.checked and c.kind != "select" and not declines(ctx, c.label):
            continue
        same_place = (t.form is not None and c.form == t.form)
        if not same_place and t.ref.box and c.ref.box:
            same_place = t.ref.box.distance_to(c.ref.box) <= NEARBY_PX
        if not same_place:
            continue
        if cat == "paid_addon":
            if term and term in normalise(c.label or c.group):
                return True
            continue
        if purpose_of(ctx, c.label or c.group, (cat,)) or (cat != "marketing" and purpose_of(ctx, c.label, ASSUMABLE)):
            return True
    return False


def _bundled_checkboxes(page: PageSnapshot, ctx: CheckContext):
    lex = ctx.lexicon
    for c in page.controls:
        if c.kind not in ("checkbox", "aria-checkbox", "switch") or not c.required:
            continue
        if not lex.has("agreement", c.label) and not lex.has("binding", c.label):
            continue
        found = purpose_of(ctx, c.label, ASSUMABLE)
        if not found:
            yield None
            continue
        cat, term = found
        element = c.ref if c.visible or c.label_ref is None else c.label_ref
        yield Hit(
            element=element,
            message=f'Required checkbox bundles {PURPOSE_WORDS[cat]} with the terms: "{quote(c.label)}"',
            text=c.label, confidence="high",
            details=(("kind", "bundled-consent"), ("purpose", cat), ("matched", term), ("required", True)))


def _buried_declines(page: PageSnapshot, ctx: CheckContext):
    lex = ctx.lexicon
    th = ctx.thresholds
    for c in page.controls:
        if c.kind != "select" or len(c.options) < 2:
            continue
        declining = [o for o in c.options if lex.has("decline_addon", o.text)]
        if not declining:
            continue
        related = [o for o in c.options if lex.has("decline_addon", o.text) or lex.has("paid_addon", o.text)]
        buried = (len(c.options) >= th.buried_option_min_options and len(related) / len(c.options) < 0.2
                  and all(o.index > 0 for o in declining))
        if not buried:
            yield None
            continue
        o = declining[0]
        yield Hit(
            element=c.ref,
            message=(f'The way to decline an add-on, "{quote(o.text, 60)}", is buried as option {o.index + 1} of '
                     f'{len(c.options)} in "{quote(c.label or c.group or c.name, 50)}"'),
            text=o.text, confidence="high",
            details=(("kind", "buried-opt-out"), ("option_index", o.index), ("options", len(c.options)),
                     ("select_label", c.label)))


def _locked_addons(page: PageSnapshot, ctx: CheckContext):
    """A paid extra ticked and disabled: the person cannot untick it; at best a small link removes it."""
    for c in page.controls:
        if c.kind not in ("checkbox", "aria-checkbox", "switch") or not c.checked or not c.disabled:
            continue
        if not (c.visible or c.label_visible):
            continue
        found = purpose_of(ctx, c.label, ("paid_addon", "subscription"))
        if not found or ctx.lexicon.has("necessary", c.label) or ctx.lexicon.has("free_of_charge", c.label):
            yield None  # a charge that is part of the price, or a free perk ("Free gift wrap", "included")
            continue
        cat, term = found
        element = c.ref if c.visible or c.label_ref is None else c.label_ref
        yield Hit(
            element=element,
            message=f'{PURPOSE_WORDS[cat].capitalize()} is ticked and locked, it cannot be unticked: "{quote(c.label)}"',
            text=c.label, confidence="high",
            details=(("kind", "locked-add-on"), ("purpose", cat), ("matched", term)))

"""Optional consent is already given when the page loads.

## What it finds
A checkbox, radio button, switch (`role="switch"`, `role="checkbox"`, `aria-pressed`), styled toggle or
`<select>` that is already selected when the page loads and that, by its label, consents to something
optional: an agreement or consent itself ("I agree to the service agreement", "I consent to..."); marketing by email, SMS or phone; newsletters; sharing data with partners or third parties;
personalised advertising; analytics or tracking; joining a paid subscription or membership; a paid add-on
(insurance, protection plan, warranty, donation). Benign pre-selections are left alone: "remember me", "keep
me signed in", "billing address same as shipping", "save my address", a locked strictly-necessary category,
and boxes worded as an opt-out ("Do not send me offers").

A switch drawn only in CSS (a pill-shaped track and a knob, with no input, no role and no `aria-checked`) is read
the way a person reads it: the knob at the end of the track (the left end on a right-to-left page) or a
coloured track among grey ones is "on" (`auditor/switches.py`). Such findings say the state was read from the
rendering and carry `state_source: visual`.

It also judges a banner's settings layer: the auditor opens "Settings" / "Manage options" and reports purposes
or vendors switched on there by default, including toggles on "on the ground of legitimate interest"; such
findings say "(second layer)" and carry ``layer: 2`` in their details.

## Why it matters
Consent must be an unambiguous, active choice. GDPR Art. 4(11) and Art. 7 with Recital 32 say silence,
pre-ticked boxes or inactivity are not consent, and the CJEU confirmed it in C-673/17 *Planet49* (2019). The
EDPB's Guidelines 03/2022 on deceptive design patterns list pre-selected options; India's 2023 Dark Patterns
Guidelines ("basket sneaking"), the FTC's 2022 report *Bringing Dark Patterns to Light* and China's 2019
CAC/MIIT method (consent ticked by default) say the same. In 2018 Alipay shipped a pre-ticked "I agree to the
Sesame Credit service agreement" on its annual statement page and had to apologise.

## Example
```html
<label><input type="checkbox" name="partners" checked> Share my details with selected partners</label>
<div role="switch" aria-checked="true">Personalised ads</div>
```

## How to fix
Leave every optional purpose unselected until the person selects it. Pre-select only what the person
explicitly chose before, or what the service cannot work without (and then say so, and lock it).

## References
- GDPR Art. 4(11), Art. 7, Recital 32
- CJEU C-673/17 Planet49 (1 October 2019)
- EDPB Guidelines 03/2022 on deceptive design patterns in social media platform interfaces
- FTC, Bringing Dark Patterns to Light (2022)
- India, Guidelines for Prevention and Regulation of Dark Patterns (2023): basket sneaking
- China PIPL Art. 14; CAC/MIIT method for identifying unlawful collection of personal information by apps (2019)
"""

from __future__ import annotations

from auditor.consent import PURPOSE_WORDS, affirms, declines, purpose_of
from auditor.models import Control, PageSnapshot
from auditor.registry import CheckContext, Hit, NotApplicable, check, quote

def _shown(c: Control) -> bool:
    return c.visible or c.label_visible


@check(id="prechecked-consent", title="Optional consent is pre-selected", severity="high",
       tags=("gdpr", "ccpa", "dsa", "pipl", "ftc", "india-dark-patterns"),
       references=("GDPR Art. 4(11), 7, Recital 32", "CJEU C-673/17 Planet49", "EDPB Guidelines 03/2022"))
def prechecked_consent(page: PageSnapshot, ctx: CheckContext):
    lex = ctx.lexicon
    judged = 0
    for c in page.controls:
        if c.kind == "select":
            hit = _select(c, ctx)
            if hit is not None:
                judged += 1
                if hit is not True:
                    yield hit
            continue
        own = purpose_of(ctx, c.label) or _agreement(ctx, c, c.label) or _legitimate_interest(ctx, c.label)
        near = None if own else (purpose_of(ctx, c.context) or _agreement(ctx, c, c.context)
                                 or _legitimate_interest(ctx, c.context))
        found = own or near or (purpose_of(ctx, c.group) if c.group else None)
        if not found:
            continue
        judged += 1
        if not c.checked or not _shown(c) or c.state_source == "person":
            continue  # unticked, hidden, or ticked by the person (a flow step), not by the page
        if lex.has("benign", c.label):
            continue
        if c.disabled and lex.has("necessary", c.label):
            continue  # a locked strictly-necessary category
        if declines(ctx, c.label):
            continue  # the selected option is the opt-out
        if c.kind == "radio" and not own and not affirms(ctx, c.label):
            continue  # "No" / "Later" in a group about offers: not an opt-in
        cat, term = found
        element = c.ref if c.visible or c.label_ref is None else c.label_ref
        what = {"checkbox": "checkbox", "radio": "radio button", "switch": "switch", "aria-checkbox": "checkbox",
                "toggle-button": "toggle"}.get(c.kind, c.kind)
        if c.state_source == "visual":
            what = "switch (no input or aria state: \"on\" read from its rendering, knob and fill)"
        shown_text = c.label if own else c.context if near else f"{c.group}: {c.label}"
        if own and cat == "agreement" and c.label in c.context:
            shown_text = c.context  # "I agree" + the agreement it names
        yield Hit(
            element=element,
            message=f'Pre-selected {what} consents to {PURPOSE_WORDS[cat]}: "{quote(shown_text)}" ({c.ref.selector})',
            text=shown_text,
            confidence="high" if own and cat != "agreement" and c.state_source != "visual" else "medium",
            details=(("control", c.kind), ("state_source", c.state_source), ("purpose", cat), ("matched", term),
                     ("visible", c.visible), ("disabled", c.disabled)))
    if not judged:
        raise NotApplicable


def _legitimate_interest(ctx: CheckContext, text: str) -> tuple[str, str] | None:
    """A purpose switched on "on the ground of legitimate interest" (a settings-layer classic): the person
    has to find and object to it, which is opting out, not in."""
    term = ctx.lexicon.first("legitimate_interest", text) if text else None
    return ("legitimate_interest", term) if term else None


def _agreement(ctx: CheckContext, c: Control, text: str) -> tuple[str, str] | None:
    """A box that, ticked, says the person agrees or consents ("I agree to the ... service agreement").

    Only boxes and switches: a pre-selected "I agree" radio is judged by its group."""
    if c.kind in ("radio", "select") or not text:
        return None
    term = ctx.lexicon.first("agreement", text)
    return ("agreement", term) if term else None


def _select(c: Control, ctx: CheckContext):
    """A select whose pre-selected option adds a paid extra or an optional purpose.

    Returns a Hit, True (judged, fine) or None (nothing to judge).
    """
    selected = next((o for o in c.options if o.selected), None)
    relevant = [o for o in c.options if purpose_of(ctx, o.text)]
    if not relevant:
        return None
    if selected is None or not c.visible or declines(ctx, selected.text) or c.state_source == "person":
        return True
    found = purpose_of(ctx, selected.text)
    if not found or len(c.options) < 2:
        return True
    cat, term = found
    return Hit(
        element=c.ref,
        message=f'Pre-selected option adds {PURPOSE_WORDS[cat]}: "{quote(selected.text)}" ({c.ref.selector})',
        text=selected.text, confidence="high",
        details=(("control", "select"), ("state_source", c.state_source), ("purpose", cat), ("matched", term),
                 ("options", len(c.options))))

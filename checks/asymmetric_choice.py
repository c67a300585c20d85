"""A banner offers both accept and reject, but declining is made much harder to see or use.

## What it finds
A consent banner whose first layer has both an accept and a reject (decline, necessary only) control where
the reject control is styled to be overlooked:
- reject is plain text or a link while accept is a filled or outlined button;
- accept is much larger (area ratio at or above ``area_ratio``, default 3) or its text much bigger (font size
  ratio at or above ``font_ratio``, default 1.4);
- reject's text is faded (contrast below ``weak_contrast``, default 3.0) while accept's is clear;
- reject is covered by something else where one would click it;
- overall, accept's prominence score is at least ``prominence_ratio`` (default 2.5) times reject's.

The prominence score (see ``auditor.banners.prominence``) multiplies the square root of the area, a font
factor (size, weight), an emphasis factor (fill contrast against what is behind the button, border), text
legibility (WCAG contrast) and whether ``elementFromPoint`` reaches the button. Every measured value is in the
finding's details.

The same is judged on consent pop-ups that are not cookie banners: an overlay with no field to type into that
asks, in one click, for an optional purpose (marketing offers, personalised ads, sharing, tracking) with a "yes"
and a "no thanks".

Buttons are named by their words in the page's language (the lexicon); where the words are unknown, by the
identifiers consent libraries put in their markup (`cc-deny`, `onetrust-reject-all-handler`).

Not findings: equal-looking buttons; accept filled and reject outlined at the same size (both are buttons);
a banner without a reject button (that is a missing-opt-out finding); a newsletter form whose faint "no thanks"
sits under an e-mail field (typing one's address is the opt-in).

## Why it matters
Consent is only free when refusing is as easy as accepting. The EDPB Cookie Banner Taskforce (2023) names
"deceptive button colours" and "deceptive button contrast" (a reject link in running text, a reject button
barely visible against the background) as practices that invalidate consent; EDPB Guidelines 03/2022 call
this "hindering" and "stirring" by visual weight. CCPA regulations §7004(a)(2) require symmetry in choice
("a more prominent 'Accept' than 'Decline' is not symmetrical"); EU DSA Art. 25 bans interfaces that give
one choice more visual prominence; India's 2023 Guidelines name "interface interference".

## Example
```html
<div class="banner" style="position:fixed;bottom:0;background:#fff">
  We and our partners use cookies for ads.
  <button style="background:#0a7d32;color:#fff;padding:14px 40px;font-size:18px">Accept all</button>
  <a href="#" style="color:#ccc;font-size:11px">reject</a>
</div>
```

## How to fix
Give "Reject all" the same kind of control as "Accept all": same size, same font, equally visible colours, in
the same place. Outlined next to filled is acceptable when both read clearly as buttons.

## References
- EDPB Cookie Banner Taskforce report (January 2023), "deceptive button colours / contrast"
- EDPB Guidelines 03/2022 on deceptive design patterns (hindering, stirring)
- CCPA regulations, 11 CCR §7004(a)(2) (symmetry in choice)
- EU Digital Services Act Art. 25
- India, Guidelines for Prevention and Regulation of Dark Patterns (2023): interface interference
- FTC, Bringing Dark Patterns to Light (2022)
"""

from __future__ import annotations

from auditor.banners import best, consent_popups, find_banners, understood
from auditor.models import PageSnapshot
from auditor.registry import CheckContext, Hit, NotApplicable, check, quote


@check(id="asymmetric-choice", title="Declining is made harder to see than accepting", severity="medium",
       tags=("gdpr", "ccpa", "dsa", "india-dark-patterns"),
       references=("EDPB Cookie Banner Taskforce report 2023", "EDPB Guidelines 03/2022", "CCPA regs §7004",
                   "DSA Art. 25"))
def asymmetric_choice(page: PageSnapshot, ctx: CheckContext):
    th = ctx.thresholds
    judged = 0
    report = find_banners(page, ctx)
    for banner in understood(report) + consent_popups(page, ctx, report):
        accept, reject = best(banner, "accept"), best(banner, "reject")
        if accept is None or reject is None:
            continue
        judged += 1
        a, r = dict(accept.facts), dict(reject.facts)
        reasons = []
        if r["link_like"] and not a["link_like"]:
            reasons.append("reject is plain text or a link while accept is a button")
        if r["area"] > 0 and a["area"] / r["area"] >= th.area_ratio:
            reasons.append(f"accept is {a['area'] / r['area']:.1f}x the size of reject")
        if r["font_size"] and a["font_size"] / r["font_size"] >= th.font_ratio:
            reasons.append(f"accept's text is {a['font_size']:g}px, reject's {r['font_size']:g}px")
        if r["text_contrast"] < th.weak_contrast <= th.min_contrast_good <= a["text_contrast"]:
            reasons.append(f"reject's text is faded (contrast {r['text_contrast']:.2f} vs {a['text_contrast']:.2f})")
        if a["hit"] and not r["hit"]:
            reasons.append("reject is covered by another element")
        ratio = accept.prominence / reject.prominence if reject.prominence > 0 else float("inf")
        if ratio >= th.prominence_ratio:
            reasons.append(f"accept's prominence score is {ratio:.1f}x reject's")
        if not reasons:
            continue
        yield Hit(
            element=reject.ref,
            message=(f'Declining is made harder to see than accepting: "{quote(reject.text, 40)}" vs '
                     f'"{quote(accept.text, 40)}" ({"; ".join(reasons)})'),
            text=reject.text, confidence="high" if len(reasons) >= 2 else "medium",
            details=(("reasons", reasons), ("accept", {"text": accept.text, **a}),
                     ("reject", {"text": reject.text, **r}),
                     ("prominence_ratio", round(ratio, 2) if ratio != float("inf") else None),
                     ("banner", banner.ref.selector if banner.ref else "")))
    if not judged:
        raise NotApplicable

"""The person refused, and the page tracks anyway or asks again.

## What it finds
The auditor refuses consent the way a person would, in a fresh browser: it clicks the banner's reject
button (or, when rejecting is only in the settings layer, opens it, switches every optional toggle off and
saves), waits until the page settles, reloads it, and records cookies and requests. A finding when, after
the refusal:
- a cookie the tracker list names as analytics, advertising or marketing is present, or
- a request goes to a known tracker host or tracking script or beacon path, or
- the banner comes back on reload (the refusal was not remembered: nagging).

The evidence is the list of cookies and requests after the refusal with their times, the button that was
clicked and a screenshot of the banner at the moment of the choice.

Not findings: strictly necessary cookies and the consent record that stores the refusal; a page where the
refusal could not be made (that is reported in the evidence, never guessed).

## Why it matters
A refusal must be respected (GDPR Art. 7(3), 21; ePrivacy Art. 5(3)). Regulators have fined sites whose
"reject" did not stop tracking (CNIL decisions on Google and Facebook, 2021-2022). Asking again after a
refusal is "nagging" in EDPB Guidelines 03/2022 and "nagging" in India's 2023 Guidelines; the DSA Art. 25(3)
bans repeatedly requesting a choice already made.

## Example
A banner whose "Reject all" only hides the banner while ``gtag.js`` keeps loading on every page.

## How to fix
Store the refusal and load no optional tag while it stands; do not show the banner again before its
validity ends (the EDPB suggests not asking again for a reasonable time, CNIL six months).

## References
- GDPR Art. 7(3); ePrivacy Directive Art. 5(3)
- EDPB Guidelines 03/2022 on deceptive design patterns (nagging)
- EU Digital Services Act Art. 25(3)(b)
- India, Guidelines for Prevention and Regulation of Dark Patterns (2023): nagging
"""

from __future__ import annotations

from auditor.consent_evidence import non_essential_cookies, tracker_requests
from auditor.models import PageSnapshot
from auditor.registry import CheckContext, Hit, NotApplicable, check


@check(id="choice-ignored", title="A refusal is ignored", severity="high",
       tags=("gdpr", "eprivacy", "dsa", "india-dark-patterns"),
       references=("GDPR Art. 7(3)", "ePrivacy Directive Art. 5(3)", "EDPB Guidelines 03/2022", "DSA Art. 25(3)"))
def choice_ignored(page: PageSnapshot, ctx: CheckContext):
    choice = page.choice
    if choice is None or not choice.clicked:
        raise NotApplicable
    cookies, requests = {}, []
    for state in choice.states:
        for c in non_essential_cookies(ctx, state.cookies):
            cookies.setdefault((c["name"], c["domain"]), dict(c, phase=state.phase))
        requests += [dict(r, phase=state.phase) for r in tracker_requests(ctx, state.requests)]
    what = []
    if cookies:
        what.append(f"{len(cookies)} non-essential cookie(s) remain ({', '.join(sorted({k[0] for k in cookies})[:6])})")
    if requests:
        what.append(f"{len(requests)} request(s) to trackers ({', '.join(sorted({r['vendor'] for r in requests})[:5])})")
    if choice.banner_returned:
        what.append("the banner asks again after a reload")
    if not what:
        return
    yield Hit(
        element=choice.banner,
        message=f'After "{choice.button}" was clicked to refuse: {"; ".join(what)}',
        text=choice.button, confidence="high" if (cookies or requests) else "medium",
        subject=f"{choice.action}; cookies: {', '.join(sorted({k[0] for k in cookies}))}; trackers: "
                f"{', '.join(sorted({r['vendor'] for r in requests}))}; asks again: {choice.banner_returned}",
        details=(("action", choice.action), ("button", choice.button), ("clicked_at", choice.at),
                 ("unticked", choice.unticked), ("banner_returned", choice.banner_returned),
                 ("cookies", list(cookies.values())), ("requests", requests), ("choice_screenshot", choice.screenshot)))

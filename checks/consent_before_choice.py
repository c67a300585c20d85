"""Non-essential cookies are set, or trackers contacted, before the person made any choice.

## What it finds
Before any click, as the page loads and settles, the page:
- sets a cookie that the tracker list (``auditor/trackers/data/trackers.json``) names as analytics,
  advertising or marketing (``_ga``, ``_fbp``, ``_gcl_au``, ``IDE``, ``_hjSession…``), or
- sends a request to a known tracker host (Google Analytics, Meta Pixel, DoubleClick, …) or loads a known
  tracking script or beacon path, also when self-hosted (``/gtag/js``, ``/fbevents.js``, ``/g/collect``).

The evidence is the list of those cookies and requests with their times and initiating frames, and the
screenshot of the page (with its banner) as loaded. With a consent banner on the page the finding points at
the banner; without one it points at the page: tracking with no consent asked at all.

Not findings: strictly necessary first-party cookies (session, CSRF, load balancer, cart, language, and the
consent record of the banner itself); cookies the list does not know (they are listed in the evidence as
unclassified, never reported as a finding).

## Why it matters
Non-essential cookies and trackers need prior consent (ePrivacy Directive Art. 5(3); GDPR Art. 6(1)(a) and 7;
CJEU C-673/17 *Planet49*). The EDPB Cookie Banner Taskforce (2023) and national regulators (CNIL, ICO) treat
tracking before the banner is answered as unlawful whatever the banner says. China's PIPL Art. 13-14 and the
2019 CAC/MIIT method list collecting before consent as unlawful collection.

## Example
```html
<script async src="https://www.googletagmanager.com/gtag/js?id=G-XXXX"></script>
<div class="cookie-banner">We use cookies. <button>Accept</button> <button>Reject</button></div>
```

## How to fix
Load analytics and advertising tags only after the person accepted their category (for example
``type="text/plain" data-category="analytics"`` with your consent library, or Google Consent Mode with
``analytics_storage`` and ``ad_storage`` denied by default).

## References
- ePrivacy Directive 2002/58/EC Art. 5(3)
- GDPR Art. 6(1)(a), 7; CJEU C-673/17 Planet49 (2019)
- EDPB Cookie Banner Taskforce report (January 2023)
- China PIPL Art. 13-14; CAC/MIIT method for identifying unlawful app data collection (2019)
"""

from __future__ import annotations

from auditor.consent_evidence import banner_ref, non_essential_cookies, tracker_requests, unclassified_cookies
from auditor.models import PageSnapshot
from auditor.registry import CheckContext, Hit, NotApplicable, check


@check(id="consent-before-choice", title="Tracking starts before any choice", severity="high",
       tags=("gdpr", "eprivacy", "pipl"),
       references=("ePrivacy Directive Art. 5(3)", "GDPR Art. 6(1)(a), 7", "CJEU C-673/17 Planet49",
                   "EDPB Cookie Banner Taskforce report 2023"))
def consent_before_choice(page: PageSnapshot, ctx: CheckContext):
    before = next((s for s in page.states if s.phase == "before-choice"), None)
    if before is None:
        raise NotApplicable
    cookies = non_essential_cookies(ctx, before.cookies)
    requests = tracker_requests(ctx, before.requests)
    if not cookies and not requests:
        return
    ref = banner_ref(page, ctx)
    what = []
    if cookies:
        what.append(f"{len(cookies)} non-essential cookie(s) ({', '.join(sorted({c['name'] for c in cookies})[:6])})")
    if requests:
        vendors = sorted({r["vendor"] for r in requests})
        what.append(f"{len(requests)} request(s) to trackers ({', '.join(vendors[:5])})")
    where = "before any choice on the consent banner" if ref else "with no consent banner shown"
    yield Hit(
        element=ref,
        message=f"Tracking starts {where}: {' and '.join(what)}",
        text=", ".join(c["name"] for c in cookies[:10]), confidence="high",
        subject="cookies: " + ", ".join(sorted({c["name"] for c in cookies}))
                + "; trackers: " + ", ".join(sorted({r["vendor"] for r in requests})),
        details=(("phase", "before-choice"), ("read_at", before.at), ("cookies", cookies), ("requests", requests),
                 ("unclassified_cookies", unclassified_cookies(ctx, before.cookies))))

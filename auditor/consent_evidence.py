"""Reading cookies and requests against the tracker list (shared by the network checks)."""

from __future__ import annotations

from auditor.banners import find_banners, understood
from auditor.models import CookieFact, ElementRef, PageSnapshot, RequestFact
from auditor.registry import CheckContext
from auditor.trackers import NON_ESSENTIAL, load


def non_essential_cookies(ctx: CheckContext, cookies: tuple[CookieFact, ...]) -> list[dict]:
    trackers = load(ctx.tracker_files)
    out = []
    for c in cookies:
        m = trackers.cookie(c.name, c.domain)
        if m.category in NON_ESSENTIAL:
            out.append({"name": c.name, "domain": c.domain, "vendor": m.vendor, "category": m.category,
                        "http_only": c.http_only, "expires": c.expires})
    return out


def unclassified_cookies(ctx: CheckContext, cookies: tuple[CookieFact, ...]) -> list[dict]:
    """Cookies the tracker list does not know: listed for a human to judge, never a finding on their own."""
    trackers = load(ctx.tracker_files)
    return [{"name": c.name, "domain": c.domain, "http_only": c.http_only, "expires": c.expires}
            for c in cookies if trackers.cookie(c.name, c.domain).category == "unknown"]


def tracker_requests(ctx: CheckContext, requests: tuple[RequestFact, ...]) -> list[dict]:
    trackers = load(ctx.tracker_files)
    out = []
    for r in requests:
        m = trackers.request(r.url)
        if m is not None:
            out.append({"url": r.url[:300], "vendor": m.vendor, "category": m.category, "matched": m.rule,
                        "type": r.resource_type, "frame": r.frame_url[:300], "at": r.at, "t_ms": r.t_ms})
    return out


def banner_ref(page: PageSnapshot, ctx: CheckContext) -> ElementRef | None:
    found = understood(find_banners(page, ctx))
    return found[0].ref if found else None

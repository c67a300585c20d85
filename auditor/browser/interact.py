"""Acting on a consent banner the way a person would, and reading what the page stored and sent.

Only ever refuses or opens settings: the auditor never clicks accept. Facts only; the checks judge them.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from urllib.parse import urlsplit

from auditor.banners import best
from auditor.browser.page import utc_now
from auditor.browser.worlds import Unresponsive, Worlds
from auditor.sites import site_of, third_party
from auditor.models import Banner, BannerButton, ChoiceFacts, CookieFact, PageSnapshot, StateFacts, StorageItem

STORAGE_JS = r"""() => {
  const out = [];
  for (const [area, name] of [['local', 'localStorage'], ['session', 'sessionStorage']]) {
    try {
      const s = window[name];
      for (let i = 0; i < s.length && out.length < 500; i++) {
        const k = s.key(i);
        out.push([area, String(k).slice(0, 200), String(s.getItem(k) || '').length]);
      }
    } catch (e) { /* opaque origin or storage disabled */ }
  }
  return out;
}"""

#: what a settings layer's toggles are, for switching optional ones off before saving
UNTICK_JS = r"""(root) => {
  let n = 0;
  const visit = (scope) => {
    scope.querySelectorAll('input[type=checkbox], [role=switch], [role=checkbox]').forEach((el) => {
      const on = el.localName === 'input' ? el.checked : el.getAttribute('aria-checked') === 'true';
      const locked = el.disabled || el.getAttribute('aria-disabled') === 'true' || el.getAttribute('aria-readonly') === 'true';
      if (on && !locked) { el.click(); n++; }
    });
    scope.querySelectorAll('*').forEach((e) => { if (e.shadowRoot) visit(e.shadowRoot); });
  };
  visit(root || document);
  return n;
}"""


async def read_state(page, network, phase: str, since: float) -> StateFacts:
    """Cookies of the whole context (httpOnly included), storage of every frame, requests sent since ``since``;
    cookies and requests of another site than the page's are marked third party."""
    page_host = urlsplit(page.url).hostname or ""
    page_site = site_of(page_host) if page_host else ""
    cookies = []
    try:
        for c in await page.context.cookies():
            cookies.append(CookieFact(
                name=c.get("name", ""), domain=c.get("domain", ""), path=c.get("path", "/"),
                value_length=len(c.get("value", "")), http_only=bool(c.get("httpOnly")), secure=bool(c.get("secure")),
                same_site=str(c.get("sameSite", "")), expires=float(c.get("expires", -1)),
                third_party=third_party(str(c.get("domain", "")).lstrip("."), page_site)))
    except Exception:
        pass
    storage = []

    # read in the auditor's own world: a page's Storage.prototype.key or getItem cannot hide or forge an item
    worlds = await Worlds.of(page)

    async def frame_storage(f):
        try:
            return f.url, list(await worlds.call(f, STORAGE_JS) or [])
        except Unresponsive:
            raise
        except Exception:
            return f.url, []

    frames = [f for f in await worlds.frames() if f.id not in worlds.frozen]
    for url, items in await asyncio.gather(*(frame_storage(f) for f in frames)):
        storage += [StorageItem(frame_url=url, area=a, key=k, value_length=int(n)) for a, k, n in items]
    requests = tuple(dataclasses.replace(r, third_party=third_party(urlsplit(r.url).hostname or "", page_site))
                     if r.url.startswith(("http:", "https:")) else r for r in network.since(since))
    return StateFacts(phase=phase, at=utc_now(), cookies=tuple(cookies), storage=tuple(storage), requests=requests)


async def locate(page, snapshot: PageSnapshot, ref):
    """A locator for the element behind a snapshot reference: through the iframe path, then the selector
    (whose ``>>`` parts step into open shadow roots, which Playwright's CSS engine pierces); None when the
    frame path leads nowhere."""
    if ref is None or not ref.selector or not (0 <= ref.frame < len(snapshot.frames)):
        return None
    frame = page.main_frame
    for sel in snapshot.frames[ref.frame].path:
        el = await frame.query_selector(sel)
        frame = await el.content_frame() if el else None
        if frame is None:
            return None
    loc = None
    for part in ref.selector.split(" >> "):
        loc = frame.locator(part) if loc is None else loc.locator(part)
    return loc.first


async def element_handle(page, snapshot: PageSnapshot, ref):
    """The live element behind a snapshot reference (:func:`locate`), or None."""
    loc = await locate(page, snapshot, ref)
    if loc is None:
        return None
    try:
        # normally attached at once; the margin is for a heavily loaded machine (a missed click loses the case)
        return await loc.element_handle(timeout=8000)
    except Exception:
        return None


async def click(page, snapshot: PageSnapshot, button: BannerButton) -> bool:
    el = await element_handle(page, snapshot, button.ref)
    if el is None:
        return await _click_at(page, button.ref)
    try:
        await el.click(timeout=5000)
        return True
    except Exception:
        try:  # covered by a transparent layer: a person's click lands the same way a DOM click does
            await el.evaluate("(e) => e.click()")
            return True
        except Exception:
            return False


async def _click_at(page, ref) -> bool:
    """A click where a person would click: the centre of the element's box. For elements no selector reaches
    (inside a closed shadow root), whose box the collector measured from the inside."""
    box = ref.box if ref is not None else None
    if box is None or box.width <= 0 or box.height <= 0:
        return False
    try:
        sx, sy = await page.evaluate("() => [window.scrollX, window.scrollY]")
        await page.mouse.click(box.x + box.width / 2 - sx, box.y + box.height / 2 - sy)
        return True
    except Exception:
        return False


def _same_words(a: str, b: str) -> bool:
    a, b = " ".join((a or "").split()).casefold(), " ".join((b or "").split()).casefold()
    return bool(a) and bool(b) and (a == b or a.startswith(b) or b.startswith(a))


async def showing(page, snapshot: PageSnapshot, button: BannerButton) -> bool:
    """Is the button a snapshot of another load of this page names shown here now, with the same words? Never
    waits: the frame path and selector are resolved once, and a selector that finds another element (another
    build of the page) does not count, since its words differ."""
    ref = button.ref
    try:
        loc = await locate(page, snapshot, ref)
        if loc is None or not await loc.is_visible():
            return False
        # Playwright's own utility world reads the words: a page script cannot forge them
        words = await loc.inner_text(timeout=1000)
        if not words.strip():
            words = (await loc.get_attribute("value", timeout=1000) or
                     await loc.get_attribute("aria-label", timeout=1000) or "")
    except Exception:
        return False
    return _same_words(words, button.text) or _same_words(words, ref.text)


async def aim(page, snapshot: PageSnapshot, banner: Banner, settle) -> str:
    """Aim the refusal with what the first load of the page showed: wait until the banner's refusing button
    (reject, else the settings button) shows in this fresh load, without waiting for the page to settle and
    without reading the whole page again. Returns "aimed" when it shows, "settled" when the page settled (or
    the settle cap passed) first, and "none" when the banner offers neither button.

    A person clicks as soon as the button is there; so does the auditor. The page's own settle runs beside the
    wait and decides when to give up (the button's selector or words differ in this load: the caller then
    reads the page as before)."""
    target = best(banner, "reject") or best(banner, "settings")
    if target is None:
        return "none"
    settled = asyncio.ensure_future(settle())
    try:
        while True:
            if await showing(page, snapshot, target):
                el = await element_handle(page, snapshot, target.ref)
                if el is not None:
                    try:  # an entry animation ends first, so the screenshot of the moment shows the banner
                        await el.wait_for_element_state("stable", timeout=2000)
                    except Exception:
                        pass
                return "aimed"
            if settled.done():
                return "aimed" if await showing(page, snapshot, target) else "settled"
            await asyncio.wait({settled}, timeout=0.1)
    finally:
        if not settled.done():
            settled.cancel()
        with contextlib.suppress(BaseException):
            await settled


#: button kinds that make a banner ask for a choice (after a reload: the banner came back)
ASKS = ("accept", "reject", "acknowledge")


async def refuse(page, network, snapshot: PageSnapshot, banner: Banner, settle, collect, find, shoot) -> ChoiceFacts:
    """Refuse consent on ``banner`` in a freshly loaded page: click reject, or open settings, switch every
    optional toggle off and save. Then record what the page does after the refusal and after a reload.

    ``settle()`` waits for quiet, ``collect()`` returns a new snapshot, ``find(snapshot)`` its BannerReport,
    ``shoot()`` takes the screenshot of the moment of choice and returns its path.
    """
    reject = best(banner, "reject")
    settings = best(banner, "settings")
    shot = await shoot()
    if reject is not None:
        t_choice = time.monotonic()
        at = utc_now()
        if not await click(page, snapshot, reject):
            return ChoiceFacts(action="reject", button=reject.text, banner=banner.ref, error="the reject button could not be clicked",
                               screenshot=shot)
        action, text, unticked = "reject", reject.text, 0
    elif settings is not None:
        if not await click(page, snapshot, settings):
            return ChoiceFacts(action="save-all-off", button=settings.text, banner=banner.ref,
                               error="the settings button could not be clicked", screenshot=shot)
        await settle()
        layer2 = await collect(2)
        report = find(layer2)
        panel = next((b for b in report.banners if b.state == "understood" and (best(b, "reject") or best(b, "save"))), None)
        if panel is None:
            return ChoiceFacts(action="none", banner=banner.ref, error="the settings layer offers no reject or save",
                               screenshot=shot)
        unticked = 0
        if best(panel, "reject") is None:
            holder = await element_handle(page, layer2, panel.ref)
            if holder is not None:
                try:
                    unticked = int(await holder.evaluate(UNTICK_JS))
                except Exception:
                    unticked = 0
        target = best(panel, "reject") or best(panel, "save")
        t_choice = time.monotonic()
        at = utc_now()
        if not await click(page, layer2, target):
            return ChoiceFacts(action="save-all-off", button=target.text, banner=banner.ref,
                               error="the save button could not be clicked", screenshot=shot)
        action, text = ("reject" if target.kind == "reject" else "save-all-off"), target.text
    else:
        return ChoiceFacts(action="none", banner=banner.ref, error="the banner offers no way to refuse", screenshot=shot)
    await settle()
    after = await read_state(page, network, "after-refusal", t_choice)
    try:
        still = any(b.state == "understood" and b.ref and banner.ref and b.ref.selector == banner.ref.selector
                    for b in find(await collect(1)).banners)
    except Exception:
        still = False
    if still:
        # the click changed nothing a person could see: we cannot tell a refusal from a missed click
        return ChoiceFacts(action=action, button=text, banner=banner.ref, at=at, unticked=unticked, states=(after,),
                           error="the banner stayed after the click; the refusal could not be confirmed", screenshot=shot)
    t_reload = time.monotonic()
    try:
        await page.reload(wait_until="load")
    except Exception as exc:
        return ChoiceFacts(action=action, button=text, banner=banner.ref, clicked=True, at=at, unticked=unticked,
                           states=(after,), error=f"reload failed: {str(exc).splitlines()[0]}", screenshot=shot)
    await settle()
    again = await read_state(page, network, "after-reload", t_reload)
    returned = False
    try:
        # asking again means offering the choice again; a small "manage consent" tab that only reopens the
        # settings is the easy withdrawal GDPR Art. 7(3) asks for, not nagging
        returned = any(b.state == "understood" and any(x.kind in ASKS for x in b.buttons)
                       for b in find(await collect(1)).banners)
    except Exception:
        pass
    return ChoiceFacts(action=action, button=text, banner=banner.ref, clicked=True, at=at, unticked=unticked,
                       banner_returned=returned, states=(after, again), screenshot=shot)


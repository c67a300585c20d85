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


async def element_handle(page, snapshot: PageSnapshot, ref, timeout_ms: int = 8000):
    """The live element behind a snapshot reference (:func:`locate`), or None."""
    try:
        loc = await locate(page, snapshot, ref)
        # normally attached at once; the margin is for a heavily loaded machine (a missed click loses the case)
        return await loc.element_handle(timeout=timeout_ms) if loc is not None else None
    except Exception:
        return None


async def click(page, snapshot: PageSnapshot, button: BannerButton) -> bool:
    el = await element_handle(page, snapshot, button.ref)
    if el is None:
        return await _click_at(page, button.ref)
    return await _press(el)


async def _press(el) -> bool:
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
    """The same label, whitespace and case aside. Exactly the same: "Accept" is not "Accept only necessary"."""
    a, b = " ".join((a or "").split()).casefold(), " ".join((b or "").split()).casefold()
    return bool(a) and a == b


async def _words(target) -> str:
    """What a button says (a locator or an element handle), read by Playwright's own utility world, which a
    page script cannot forge: its text, else its value or accessible label."""
    wait = {"timeout": 1000} if hasattr(target, "first") else {}  # a locator waits; a handle has no timeout
    words = await target.inner_text(**wait)
    if not words.strip():
        words = (await target.get_attribute("value", **wait) or await target.get_attribute("aria-label", **wait)
                 or "")
    return words


def _says(words: str, button: BannerButton) -> bool:
    return _same_words(words, button.text) or _same_words(words, button.ref.text if button.ref else "")


async def showing(page, snapshot: PageSnapshot, button: BannerButton) -> bool:
    """Is the button a snapshot of another load of this page names shown here now, with the same words? Never
    waits: the frame path and selector are resolved once, and a selector that finds another element (another
    build of the page) does not count, since its words differ."""
    try:
        loc = await locate(page, snapshot, button.ref)
        return loc is not None and await loc.is_visible() and _says(await _words(loc), button)
    except Exception:
        return False


async def _checked(handle, button: BannerButton) -> bool:
    """The element is shown and still says what ``button`` said."""
    try:
        return await handle.is_visible() and _says(await _words(handle), button)
    except Exception:
        return False


async def aim(page, snapshot: PageSnapshot, banner: Banner, settle):
    """Aim the refusal with what the first load of the page showed: wait until the banner's refusing button
    (reject, else the settings button) shows in this fresh load, without waiting for the page to settle and
    without reading the whole page again. Returns ("aimed", the element), ("settled", None) when the page
    settled (or the settle cap passed) first, or ("none", None) when the banner offers neither button or the
    page could not be watched (the caller then settles and reads the page as before).

    A person clicks as soon as the button is there; so does the auditor. The page's own settle runs beside the
    wait and decides when to give up (the button's selector or words differ in this load). The element is
    checked again after its entry animation, and :func:`refuse` checks it once more just before the click."""
    target = best(banner, "reject") or best(banner, "settings")
    if target is None:
        return "none", None
    settled = asyncio.ensure_future(settle())
    try:
        while True:
            last = settled.done()
            if await showing(page, snapshot, target):
                el = await element_handle(page, snapshot, target.ref, timeout_ms=1000)
                if el is not None:
                    try:  # an entry animation ends first, so the screenshot of the moment shows the banner
                        await el.wait_for_element_state("stable", timeout=2000)
                    except Exception:
                        pass
                    if await _checked(el, target):
                        return "aimed", el
            if last:
                failed = settled.exception() is not None
                return ("none" if failed else "settled"), None
            await asyncio.wait({settled}, timeout=0.1)
    finally:
        if not settled.done():
            settled.cancel()
        with contextlib.suppress(BaseException):
            await settled


async def _click_checked(handle, button: BannerButton) -> bool:
    """Click an aimed element, only if it still says what the first load's button said; never at a position
    measured in another load."""
    return await _checked(handle, button) and await _press(handle)


#: button kinds that make a banner ask for a choice (after a reload: the banner came back)
ASKS = ("accept", "reject", "acknowledge")


async def refuse(page, network, snapshot: PageSnapshot, banner: Banner, settle, collect, find, shoot,
                 aimed=None) -> ChoiceFacts:
    """Refuse consent on ``banner`` in a freshly loaded page: click reject, or open settings, switch every
    optional toggle off and save. Then record what the page does after the refusal and after a reload.

    ``settle()`` waits for quiet, ``collect()`` returns a new snapshot, ``find(snapshot)`` its BannerReport,
    ``shoot()`` takes the screenshot of the moment of choice and returns its path. ``aimed``: the element
    :func:`aim` found for the first button (``snapshot`` and ``banner`` are then another load's): it is clicked
    only if it still says the same, and the refusal is confirmed only if that button is gone afterwards.
    """
    reject = best(banner, "reject")
    settings = best(banner, "settings")
    shot = await shoot()

    async def first_click(button: BannerButton) -> bool:
        return await (_click_checked(aimed, button) if aimed is not None else click(page, snapshot, button))

    if reject is not None:
        t_choice = time.monotonic()
        at = utc_now()
        if not await first_click(reject):
            return ChoiceFacts(action="reject", button=reject.text, banner=banner.ref, error="the reject button could not be clicked",
                               screenshot=shot)
        action, text, unticked = "reject", reject.text, 0
    elif settings is not None:
        if not await first_click(settings):
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
    if not still and aimed is not None and action == "reject":
        # the banner's own selector may differ in this load: the button clicked is the surer sign
        still = await _checked(aimed, reject)
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


"""Load one page, wait until it settles, collect a PageSnapshot from every frame."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import time
from datetime import datetime, timezone
from importlib import resources

from auditor.models import (Box, Clickable, Control, DrawnSwitch, ElementRef, FormInfo, FrameSnapshot, Overlay,
                            PageSnapshot, Presentation, PriceRow, RequestFact, SelectOption, TextBlock)
from auditor.switches import infer as infer_drawn
from auditor.browser.worlds import READER_KEY, FrameGone, Unresponsive, Worlds, WorldFrame

_COLLECTOR_SRC = (resources.files("auditor.browser") / "collector.js").read_text(encoding="utf-8")
_SETTLE_SRC = (resources.files("auditor.browser") / "settle.js").read_text(encoding="utf-8")

# Everything below runs in the auditor's isolated world of each frame (auditor/browser/worlds.py), where the
# page's globals and prototypes are not. The facts come back as one JSON string: one JSON.stringify and
# json.loads cost a few milliseconds, a value-by-value serialisation of a large object tens.
# ``roots``: the frame's closed shadow roots (the page keeps them closed; the protocol's DOM view pierces them).
COLLECT_JS = "(opts, ...roots) => {\n" + _COLLECTOR_SRC + "\nreturn JSON.stringify(collect(opts));\n}"
FRAME_INFO_JS = "function () {\nconst roots = [];\n" + _COLLECTOR_SRC + "\nreturn frameInfo(this);\n}"
# [ms since the DOM last changed, ms until the last finite CSS animation or transition ends] -- a banner that
# slides in is measured and photographed where it stops, not halfway. Pending timers are counted in the page's
# own world (settle.js) and read beside this.
SETTLE_STATE_JS = """(horizon) => { const s = window.__auditor;
  let left = 0;
  try {
    for (const a of document.getAnimations()) {
      if (a.playState !== 'running') continue;
      const t = a.effect && a.effect.getComputedTiming();
      if (!t || !isFinite(t.endTime)) continue;  // spinners and other endless loops are not waited for
      const rest = (t.endTime - (t.localTime || 0)) / (a.playbackRate || 1);
      if (rest > 0 && rest <= horizon) left = Math.max(left, rest);
    }
  } catch (e) { /* no Web Animations API */ }
  return s ? [performance.now() - s.lastMutation, left] : [1e9, left]; }"""

def utc_now() -> str:
    """UTC now as ISO 8601 with milliseconds and a Z (every timestamp in snapshots and reports)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


#: timers set for longer than this are not waited for (ms)
TIMER_HORIZON_MS = 3500
#: a timer set by the page's load code itself (not from another timer) is waited for up to this long (ms): a
#: consent dialog or pop-up scheduled a few seconds after load is part of the page a visitor sees
LOAD_TIMER_HORIZON_MS = 6000
#: elements the collector reads per frame at most (a page of 100,000 elements is read whole; the budget keeps
#: a page of millions from costing minutes), and seconds one frame's collection may take
NODE_BUDGET = 250_000
COLLECT_DEADLINE_S = 60.0


#: what a step could have changed, per frame (auditor/flows/runner.py compares it with the last collection): the
#: address, the DOM mutation count (world.js), every box, radio and select state (a change of ``checked`` is no
#: DOM mutation), the storage. Text typed into a field changes none of these unless the page reacts to it.
PROBE_JS = """() => { const s = window.__auditor;
  let choices = '';
  const walk = (root, depth) => {
    for (const el of root.querySelectorAll('input[type=checkbox], input[type=radio], select, [aria-checked], [aria-pressed], *')) {
      if (el.shadowRoot && depth < 4) walk(el.shadowRoot, depth + 1);
      const t = el.localName;
      if (t === 'input') choices += el.checked ? '1' : '0';
      else if (t === 'select') choices += el.selectedIndex + ',';
      else if (el.hasAttribute('aria-checked') || el.hasAttribute('aria-pressed')) choices += (el.getAttribute('aria-checked') || el.getAttribute('aria-pressed'))[0];
    }
  };
  try { walk(document, 0); } catch (e) { return null; }
  let storage = '';
  try { for (const st of [localStorage, sessionStorage]) { storage += st.length + ':';
    for (let i = 0; i < st.length; i++) { const k = st.key(i); storage += k + '=' + (st.getItem(k) || '').length + ';'; } } }
  catch (e) { storage = 'unreadable'; }
  return s ? [location.href, s.mutations, choices, storage] : null; }"""


async def probe(page) -> tuple | None:
    """A cheap fingerprint of what a step could change (every frame, and the cookies); None when a frame could
    not say (then the page is collected again)."""
    try:
        worlds = await Worlds.of(page)
        frames = await worlds.frames()
        states = await asyncio.gather(*(worlds.call(f, PROBE_JS) for f in frames))
        if any(s is None for s in states):
            return None
        cookies = await page.context.cookies()
    except Exception:
        return None
    return (tuple(tuple(s) for s in states),
            tuple(sorted((c.get("name", ""), c.get("domain", ""), c.get("value", "")) for c in cookies)))


def settle_script(horizon_ms: int = TIMER_HORIZON_MS, load_horizon_ms: int = LOAD_TIMER_HORIZON_MS) -> str:
    """The page-world init script (settle.js) with this run's reader key."""
    return (_SETTLE_SRC.replace("__HORIZON__", str(int(horizon_ms)))
            .replace("__LOAD_HORIZON__", str(int(max(load_horizon_ms, horizon_ms))))
            .replace("__READER_KEY__", READER_KEY))


class NetworkTracker:
    """Counts requests in flight; long-lived ones (streams, long polls) stop counting after ``stale_s``."""

    def __init__(self, page, stale_s: float = 2.0):
        self.inflight: dict[object, float] = {}
        self.started = self.last_activity = time.monotonic()
        self.stale_s = stale_s
        self.log: list[tuple[float, RequestFact]] = []  # every request, with its monotonic send time
        self.page = page
        page.on("request", self._start)
        page.on("requestfinished", self._end)
        page.on("requestfailed", self._end)

    def detach(self) -> None:
        """Stop listening (a page someone else drives is audited many times: no listener may pile up)."""
        for event, fn in (("request", self._start), ("requestfinished", self._end), ("requestfailed", self._end)):
            try:
                self.page.remove_listener(event, fn)
            except Exception:
                pass

    def _start(self, request):
        now = time.monotonic()
        try:
            frame_url = request.frame.url
        except Exception:  # service worker requests have no frame
            frame_url = ""
        self.log.append((now, RequestFact(
            url=request.url[:2000], method=request.method, resource_type=request.resource_type, frame_url=frame_url,
            at=utc_now(),
            t_ms=round((now - self.started) * 1000, 1))))
        if request.resource_type in ("websocket", "eventsource"):
            return
        self.inflight[request] = now
        self.last_activity = now

    def since(self, t: float) -> tuple[RequestFact, ...]:
        return tuple(r for when, r in self.log if when >= t)

    def _end(self, request):
        self.inflight.pop(request, None)
        self.last_activity = time.monotonic()

    def busy(self) -> bool:
        now = time.monotonic()
        return any(now - t < self.stale_s for t in self.inflight.values())

    def idle_for(self) -> float:
        return 0.0 if self.busy() else time.monotonic() - self.last_activity


async def settle(page, network: NetworkTracker, quiet_ms: int, cap_ms: int) -> bool:
    """Wait until no request, DOM mutation or short timer for ``quiet_ms``, at most ``cap_ms``.

    Returns True when the page went quiet, False when the cap was reached. Raises ``Unresponsive`` when the top
    frame's main thread does not answer (a frozen child frame is left out).
    """
    quiet = quiet_ms / 1000
    deadline = time.monotonic() + cap_ms / 1000
    worlds = await Worlds.of(page)
    while True:
        frames = [f for f in await worlds.frames() if f.id not in worlds.frozen]
        states = await asyncio.gather(*(_frame_state(worlds, f) for f in frames), return_exceptions=True)
        for f, s in zip(frames, states):
            if isinstance(s, Unresponsive):
                if f.parent is None:
                    raise s
                worlds.frozen.add(f.id)
        states = [s for s in states if isinstance(s, list)]
        dom_quiet = min((s[0] for s in states), default=1e9) / 1000
        pending = sum(s[2] for s in states)
        moving = max((s[1] for s in states), default=0) / 1000
        net_quiet = network.idle_for()
        if pending == 0 and moving <= 0 and dom_quiet >= quiet and net_quiet >= quiet:
            return True
        now = time.monotonic()
        if now >= deadline:
            return False
        wait = max(quiet - min(dom_quiet, net_quiet), moving) if pending == 0 else 0.05
        await asyncio.sleep(max(0.02, min(wait, deadline - now, 0.25)))


async def _frame_state(worlds: Worlds, frame: WorldFrame) -> list:
    state, counts = await asyncio.gather(worlds.call(frame, SETTLE_STATE_JS, TIMER_HORIZON_MS),
                                         worlds.page_counts(frame))
    if not isinstance(state, list) or len(state) != 2:
        raise FrameGone("no settle state")
    return [float(state[0]), float(state[1]), counts[0]]


def _box(d, dx: float, dy: float) -> Box | None:
    if not d:
        return None
    return Box(float(d["x"]) + dx, float(d["y"]) + dy, float(d["width"]), float(d["height"]))


def _ref(d, frame: int, dx: float, dy: float) -> ElementRef | None:
    if not d:
        return None
    return ElementRef(selector=d.get("selector", ""), frame=frame, html=d.get("html", ""),
                      box=_box(d.get("box"), dx, dy), text=d.get("text", ""))


def _rgba(c) -> tuple[float, float, float, float]:
    c = list(c or (0, 0, 0, 1)) + [1.0] * 4
    return (float(c[0]), float(c[1]), float(c[2]), float(c[3]))


class CollectionFailed(Exception):
    """The top frame could not be read: the page is an error, never "0 findings"."""


async def collect_page(page, url: str, terms: str, viewport: tuple[int, int], prices: bool = False,
                       deadline: float = COLLECT_DEADLINE_S) -> PageSnapshot:
    """Run the collector once in every frame (in the auditor's isolated world) and merge the results into one
    snapshot (``prices``: also the price rows of baskets and order summaries, for the journey checks).

    Raises ``Unresponsive`` when the top frame's main thread does not answer and ``CollectionFailed`` when the
    top frame could not be read; a child frame that fails is recorded with its error."""
    worlds = await Worlds.of(page)
    frames = [f for f in await worlds.frames() if f.id not in worlds.frozen]
    by_id = {f.id: f for f in frames}
    index = {f.id: i for i, f in enumerate(frames)}
    counts = await asyncio.gather(*(worlds.page_counts(f) for f in frames), return_exceptions=True)
    with_closed = [f for f, c in zip(frames, counts) if isinstance(c, tuple) and c[1] > 0]
    workers = {f.id: c[2] for f, c in zip(frames, counts) if isinstance(c, tuple)}
    roots = await worlds.closed_roots(with_closed) if with_closed else {}
    offsets: dict = {}

    async def frame_geometry(f: WorldFrame):
        parent = by_id.get(f.parent) if f.parent else None
        if parent is None:
            return (0.0, 0.0), ()
        owner = await worlds.owner(f, parent)
        if owner is None:
            raise FrameGone("its iframe element is gone")
        info = await worlds.call(parent, FRAME_INFO_JS, this=owner)
        (px, py), ppath = await geometry(parent)
        return (px + float(info["x"]), py + float(info["y"])), ppath + (str(info["selector"]),)

    async def geometry(f: WorldFrame):
        if f.id not in offsets:
            offsets[f.id] = asyncio.ensure_future(frame_geometry(f))
        return await offsets[f.id]

    async def one(f: WorldFrame):
        try:
            (dx, dy), path = await geometry(f)
        except Unresponsive:
            raise
        except Exception as exc:
            return f, None, (0.0, 0.0), (), f"frame geometry: {_first_line(exc)}"
        if f.url.startswith("chrome-error:"):
            return f, None, (dx, dy), path, "not loaded (the browser showed its error page)"
        try:
            opts = {"terms": terms, "maxText": 400, "htmlLimit": 500, "isTop": f.parent is None,
                    "prices": prices, "maxNodes": NODE_BUDGET}
            raw = await worlds.call(f, COLLECT_JS, opts, objects=tuple(roots.get(f.id, ())), deadline=deadline)
            raw = json.loads(raw)
            if not isinstance(raw, dict):
                raise ValueError("the collector returned no facts")
            return f, raw, (dx, dy), path, ""
        except Unresponsive:
            raise
        except Exception as exc:
            return f, None, (dx, dy), path, f"collector failed: {_first_line(exc)}"

    async def guarded(f: WorldFrame):
        try:
            return await one(f)
        except Unresponsive as exc:
            if f.parent is None:
                raise
            worlds.frozen.add(f.id)
            return f, None, (0.0, 0.0), (), f"unresponsive: {exc}"

    results = await asyncio.gather(*(guarded(f) for f in frames))
    # custom elements that look empty may hold a closed root attached with a native the init script never saw
    # (taken from a fresh iframe): read the DOM view and collect those frames again
    again = [k for k, r in enumerate(results) if r[1] is not None and int(r[1].get("closed_shadow_roots", 0)) > 0
             and r[0].id not in roots]
    if again:
        more = await worlds.closed_roots([results[k][0] for k in again])
        if more:
            roots.update(more)
            redo = await asyncio.gather(*(guarded(results[k][0]) for k in again if results[k][0].id in more))
            for r in redo:
                results[index[r[0].id]] = r
    if not results or results[0][1] is None:
        why = results[0][4] if results else "no frame to read"
        raise CollectionFailed(f"the page could not be read ({why})")

    frame_snaps, controls, texts, overlays, forms, prices = [], [], [], [], [], []
    frame_overlay: dict[int, int] = {}  # frame index -> overlay index of its iframe element
    for f, raw, (dx, dy), path, error in results:
        i = index[f.id]
        parent = index.get(f.parent) if f.parent else None
        if raw is None:
            frame_snaps.append(FrameSnapshot(index=i, url=f.url, path=path, parent=parent, offset=(dx, dy), error=error))
            continue
        frame_snaps.append(FrameSnapshot(
            index=i, url=raw.get("url") or f.url, path=path, parent=parent, title=raw.get("title", ""),
            lang=raw.get("lang", ""), offset=(dx, dy), element_count=int(raw.get("element_count", 0)),
            closed_shadow_roots=int(raw.get("closed_shadow_roots", 0)), collector_ms=float(raw.get("collector_ms", 0.0)),
            nodes_skipped=int(raw.get("nodes_skipped", 0)), service_workers=workers.get(f.id, 0)))
        local_to_global = {}
        for k, o in enumerate(raw.get("overlays", [])):
            if not o:
                continue
            local_to_global[k] = len(overlays)
            overlays.append(Overlay(
                ref=_ref(o["ref"], i, dx, dy), text=o.get("text", ""), kind=o.get("kind", "fixed"),
                z_index=int(o.get("z_index", 0)), visible=bool(o.get("visible")), inputs=int(o.get("inputs", 0)),
                clickables=tuple(_clickable(c, i, dx, dy) for c in o.get("clickables", [])),
                background=_rgba(o.get("background") or (255, 255, 255, 1)), aria_hidden=bool(o.get("aria_hidden")),
                fields=tuple(sorted((str(k), int(v)) for k, v in (o.get("fields") or {}).items()))))
        g = lambda k: local_to_global.get(k) if k is not None and k >= 0 else None  # noqa: E731
        for fr in raw.get("iframes", []):
            if fr.get("overlay", -1) >= 0:
                frame_overlay[(i, fr["selector"])] = g(fr["overlay"])
        for c in raw.get("controls", []):
            controls.append(Control(
                ref=_ref(c["ref"], i, dx, dy), kind=c["kind"], checked=bool(c.get("checked")),
                state_source=c.get("state_source", "markup"), label=c.get("label", ""), context=c.get("context", ""),
                label_ref=_ref(c.get("label_ref"), i, dx, dy), group=c.get("group", ""), name=c.get("name", ""),
                value=c.get("value", ""), required=bool(c.get("required")), disabled=bool(c.get("disabled")),
                visible=bool(c.get("visible")), label_visible=bool(c.get("label_visible")), form=c.get("form"),
                overlay=g(c.get("overlay")),
                options=tuple(SelectOption(o["text"], o["value"], int(o["index"]), bool(o["selected"]),
                                           bool(o["default_selected"])) for o in c.get("options", [])),
                drawn=_drawn(c.get("drawn"))))
        for t in raw.get("texts", []):
            acts = t.get("actions") or []
            best = _pick_action(acts)
            texts.append(TextBlock(
                ref=_ref(t["ref"], i, dx, dy), text=t.get("text", ""), font_size=float(t.get("font_size", 0)),
                font_weight=int(t.get("font_weight", 400)), color=_rgba(t.get("color")),
                background=_rgba(t.get("background")), background_uncertain=bool(t.get("background_uncertain")),
                opacity=float(t.get("opacity", 1)), rendered=bool(t.get("rendered")),
                visible_fraction=float(t.get("visible_fraction", 0)), offscreen=bool(t.get("offscreen")),
                in_closed_details=bool(t.get("in_closed_details")), collapsed=bool(t.get("collapsed")),
                content_hidden=bool(t.get("content_hidden")), generated=str(t.get("generated", "")),
                action=_ref(best["ref"], i, dx, dy) if best else None,
                action_distance=(float(best["distance"]) if best and best.get("distance") is not None else None),
                form=t.get("form"), action_form=best.get("form") if best else None, overlay=g(t.get("overlay"))))
        for pr in raw.get("prices", []) or []:
            amount, currency = parse_amount(pr.get("raw", ""))
            if amount is None or not pr.get("ref"):
                continue
            prices.append(PriceRow(ref=_ref(pr["ref"], i, dx, dy), label=pr.get("label", ""), raw=pr.get("raw", ""),
                                   amount=amount, currency=currency, container=pr.get("container") or "",
                                   struck=bool(pr.get("struck"))))
        for fm in raw.get("forms", []):
            forms.append(FormInfo(frame=i, selector=fm["selector"], fields=tuple(sorted(fm.get("fields", {}).items()))))

    # content of a frame whose iframe element is an overlay belongs to that overlay (banners in iframes)
    by_path = {s.path: s.index for s in frame_snaps}
    absorbed: dict[int, int] = {}  # child frame -> the overlay (its iframe) that absorbed it
    for (parent_idx, selector), ov in frame_overlay.items():
        if ov is None:
            continue
        parent_path = frame_snaps[parent_idx].path
        child = by_path.get(parent_path + (selector,))
        if child is None:
            continue
        overlays[ov] = _absorb_frame(overlays[ov], child, results[child])
        absorbed[child] = ov
        controls = [c if c.ref.frame != child or c.overlay is not None else dataclasses.replace(c, overlay=ov) for c in controls]
        texts = [t if t.ref.frame != child or t.overlay is not None else dataclasses.replace(t, overlay=ov) for t in texts]

    if absorbed:  # the overlays inside an absorbed frame are now part of its iframe's overlay
        keep = [k for k, o in enumerate(overlays) if o.ref is None or o.ref.frame not in absorbed]
        new_index = {old: new for new, old in enumerate(keep)}
        for k in range(len(overlays)):
            target, hops = k, 0
            while target not in new_index and hops < 10:  # an iframe banner inside an iframe banner
                target, hops = absorbed[overlays[target].ref.frame], hops + 1
            new_index[k] = new_index.get(target, 0)
        overlays = [overlays[k] for k in keep]
        controls = [c if c.overlay is None else dataclasses.replace(c, overlay=new_index[c.overlay]) for c in controls]
        texts = [t if t.overlay is None else dataclasses.replace(t, overlay=new_index[t.overlay]) for t in texts]
    controls = infer_drawn(controls)
    top = frame_snaps[0]
    agent = next((raw.get("agent") for f, raw, *_ in results if raw and raw.get("agent")), None)
    presented = None
    if agent:
        ua, brands = str(agent.get("ua", "")), tuple(str(b) for b in agent.get("brands") or ())
        presented = Presentation(webdriver=agent.get("webdriver"), user_agent=ua, brands=brands,
                                 headless_visible="headless" in (ua + " " + " ".join(brands)).lower())
    return PageSnapshot(
        url=url, final_url=page.url, title=top.title, lang=top.lang, viewport=viewport, frames=tuple(frame_snaps),
        controls=tuple(controls), texts=tuple(texts), overlays=tuple(overlays), forms=tuple(forms),
        collected_at=utc_now(), presented=presented, prices=tuple(prices))


_CURRENCIES = (("US$", "USD"), ("R$", "BRL"), ("NT$", "TWD"), ("HK$", "HKD"), ("A$", "AUD"), ("C$", "CAD"),
               ("£", "GBP"), ("€", "EUR"), ("$", "USD"), ("¥", "JPY"), ("￥", "CNY"), ("₹", "INR"), ("円", "JPY"),
               ("元", "CNY"), ("zł", "PLN"), ("원", "KRW"), ("₩", "KRW"), ("₫", "VND"), ("đ", "VND"), ("฿", "THB"),
               ("บาท", "THB"), ("₽", "RUB"), ("руб", "RUB"), ("₴", "UAH"), ("грн", "UAH"), ("₺", "TRY"),
               ("₪", "ILS"), ("Kč", "CZK"), ("Ft", "HUF"), ("lei", "RON"), ("лв", "BGN"), ("TL", "TRY"),
               ("Rp", "IDR"), ("RM", "MYR"), ("kr", "SEK"), ("CHF", "CHF"), ("USD", "USD"), ("EUR", "EUR"),
               ("GBP", "GBP"), ("JPY", "JPY"), ("CNY", "CNY"), ("RMB", "CNY"), ("KRW", "KRW"))


def parse_amount(raw: str) -> tuple[float | None, str]:
    """"£1,299.00" -> (1299.0, "GBP"); "1.299,00 €" -> (1299.0, "EUR"); "−£5.00" -> (-5.0, "GBP")."""
    currency = next((code for sym, code in _CURRENCIES if sym in raw), "")
    digits = re.sub(r"[^\d.,]", "", raw)
    if not digits or not re.search(r"\d", digits):
        return None, currency
    if "," in digits and "." in digits:
        dec = "," if digits.rfind(",") > digits.rfind(".") else "."
    elif "," in digits:
        dec = "," if re.search(r",\d{1,2}$", digits) else None
    elif "." in digits:
        dec = "." if re.search(r"\.\d{1,2}$", digits) else None
    else:
        dec = None
    try:
        if dec:
            whole, frac = digits.rsplit(dec, 1)
            value = float(f"{re.sub(r'[.,]', '', whole) or '0'}.{frac}")
        else:
            value = float(re.sub(r"[.,]", "", digits))
    except ValueError:
        return None, currency
    return (-value if re.search(r"[-−]", raw) else value), currency


def _pick_action(actions: list[dict]) -> dict | None:
    """The action a text governs: the submit of its own form if it has one, else the nearest."""
    same = [a for a in actions if a.get("same_form")]
    if same:
        return same[0]
    return actions[0] if actions else None


def _drawn(d: dict | None) -> DrawnSwitch | None:
    if not d:
        return None
    return DrawnSwitch(offset=float(d.get("offset", 0.5)), track=_rgba(d.get("track")), knob=_rgba(d.get("knob")),
                       rtl=bool(d.get("rtl")), backdrop=_rgba(d.get("backdrop") or (255, 255, 255, 1)))


def _clickable(c: dict, frame: int, dx: float, dy: float) -> Clickable:
    return Clickable(
        ref=_ref(c["ref"], frame, dx, dy), text=c.get("text", ""), tag=c.get("tag", ""), role=c.get("role", ""),
        font_size=float(c.get("font_size", 0)), font_weight=int(c.get("font_weight", 400)),
        color=_rgba(c.get("color")), background=_rgba(c.get("background")),
        effective_background=_rgba(c.get("effective_background")), border_width=float(c.get("border_width", 0)),
        underline=bool(c.get("underline")), visible=bool(c.get("visible")), hit=bool(c.get("hit", True)),
        backdrop=_rgba(c.get("backdrop") or (255, 255, 255, 1)), opacity=float(c.get("opacity", 1.0)))


def _absorb_frame(overlay: Overlay, child: int, result) -> Overlay:
    """An iframe overlay takes the text and buttons of the document inside it (``result``: the child frame's
    collection)."""
    raw = result[1]
    if raw is None:
        return overlay
    dx, dy = result[2]
    clickables = list(overlay.clickables)
    text_parts = [overlay.text]
    for o in raw.get("overlays", []):
        if o:
            clickables += [_clickable(c, child, dx, dy) for c in o.get("clickables", [])]
    body_clicks = raw.get("document_clickables", [])
    clickables += [_clickable(c, child, dx, dy) for c in body_clicks]
    seen, unique = set(), []
    for c in clickables:  # a button inside an overlay of the framed page is also among its document's
        key = (c.ref.frame, c.ref.selector)
        if key not in seen:
            seen.add(key)
            unique.append(c)
    clickables = unique
    text_parts.append(raw.get("document_text", ""))
    return dataclasses.replace(overlay, kind="frame", text=" ".join(p for p in text_parts if p).strip(),
                               clickables=tuple(clickables))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]

"""The auditor's own JavaScript world in every frame of a page, out of the page's reach.

Chromium gives each frame's document one main world (where the page's scripts run) and any number of isolated
worlds (Chrome extensions run in them). An isolated world shares the DOM and the layout with the page but not its
globals, its prototypes or its getters: a page that replaces ``Array.prototype.map``, ``JSON.stringify`` or the
``checked`` getter, or that rewrites whatever it finds on ``window``, changes nothing the auditor runs or keeps.
Playwright's ``evaluate`` runs in the main world, so this module speaks the DevTools protocol itself:

- ``Page.addScriptToEvaluateOnNewDocument`` with a world name installs ``world.js`` (DOM mutation clock, the
  elements a person acted on) in every new document of the page's process before any page script runs;
- a cross-site frame lives in another renderer process (a target of its own): it gets a session of its own, and
  the world is created in it when it is first seen;
- ``Runtime.callFunctionOn`` runs the collector and the settle probe in that world and returns its result as a
  value serialised by V8 (no page code runs on the way out);
- every call has a deadline: a page whose main thread is frozen (a busy loop, a dialog loop) does not answer,
  and the caller is told so (``Unresponsive``) instead of waiting for ever.

The page's main world is read for one thing only, through a function the init script (settle.js) fixed on
``window`` before any page script ran: how many short timers are pending, how many closed shadow roots were
attached, whether a service worker was asked for. Those counts can only make the auditor wait longer (up to its
cap) or look harder; nothing the page writes there reaches a finding.
"""

from __future__ import annotations

import asyncio
import secrets
import weakref
from dataclasses import dataclass, field
from importlib import resources

WORLD_NAME = "consent-auditor"
_WORLD_SRC = (resources.files("auditor.browser") / "world.js").read_text(encoding="utf-8")
#: the key of the main-world reader and the event type that hands an element to the auditor's world: new for
#: every run, so a page cannot prepare for them by name
READER_KEY = "__ca_" + secrets.token_hex(6)
PICK_EVENT = "ca-pick-" + secrets.token_hex(6)

#: seconds a page may keep its main thread busy before it counts as unresponsive (one in-page call)
LIVENESS_S = 10.0


class Unresponsive(Exception):
    """The page's main thread did not answer an in-page call within its deadline."""


class FrameGone(Exception):
    """The frame navigated or was removed while it was being read."""


@dataclass
class WorldFrame:
    """One frame as the DevTools protocol knows it, with the auditor's world in it."""

    id: str
    parent: str | None
    url: str
    name: str
    session: "_Session"
    depth: int = 0


@dataclass
class _Session:
    cdp: object
    iso: dict = field(default_factory=dict)  # frame id -> execution context id of the auditor's world
    main: dict = field(default_factory=dict)  # frame id -> execution context id of the page's main world
    root: str | None = None  # an out-of-process frame's own id

    def on_created(self, event) -> None:
        ctx = event.get("context") or {}
        aux = ctx.get("auxData") or {}
        fid = aux.get("frameId")
        if not fid:
            return
        if ctx.get("name") == WORLD_NAME:
            self.iso[fid] = ctx.get("id")
        elif aux.get("isDefault"):
            self.main[fid] = ctx.get("id")

    def on_destroyed(self, event) -> None:
        gone = event.get("executionContextId")
        for table in (self.iso, self.main):
            for fid in [f for f, c in table.items() if c == gone]:
                del table[fid]

    def on_cleared(self, _event=None) -> None:
        self.iso.clear()
        self.main.clear()


_ATTACHED: "weakref.WeakKeyDictionary[object, Worlds]" = weakref.WeakKeyDictionary()


class Worlds:
    """The auditor's world in every frame of one page. ``await Worlds.attach(page)`` before the page loads (so
    the world script runs before the page's scripts); ``await Worlds.of(page)`` anywhere later."""

    def __init__(self, page, main: _Session):
        self.page = page
        self.main = main
        self._oopif: dict = {}  # Playwright frame -> (url it had when tried, _Session or None)
        self._lock = asyncio.Lock()
        self.frozen: set[str] = set()  # child frames whose main thread stopped answering (left out from then on)
        self.top_id = ""  # the top frame's id (it keeps it across navigations)
        self._changes = 0  # frame attached, detached or navigated, in any session (the tree must be read again)
        self._tree: tuple | None = None  # (sessions, _changes when read, frames)
        self.watch(main)
        self.dialogs: list[tuple[str, str]] = []  # (type, message) of every dialog the page opened

    def watch(self, session: "_Session") -> None:
        def changed(_event=None):
            self._changes += 1
        for event in ("Page.frameAttached", "Page.frameDetached", "Page.frameNavigated",
                      "Page.navigatedWithinDocument", "Runtime.executionContextsCleared"):
            session.cdp.on(event, changed)

    @classmethod
    async def attach(cls, page, immediately: bool = False) -> "Worlds":
        """``immediately``: also create the world in the documents already loaded (a late attach)."""
        if page in _ATTACHED:
            return _ATTACHED[page]
        session = await _open(await page.context.new_cdp_session(page), immediately=immediately)
        worlds = cls(page, session)
        tree = await _call(session.cdp.send("Page.getFrameTree"), LIVENESS_S, "the frame tree")
        worlds.top_id = tree["frameTree"]["frame"]["id"]
        _ATTACHED[page] = worlds
        return worlds

    @classmethod
    async def of(cls, page) -> "Worlds":
        """The page's worlds, attached now if nobody did before it loaded (the world then starts late: its
        mutation clock has not seen the page load, which only makes the settle wait a little longer)."""
        worlds = _ATTACHED.get(page)
        return worlds if worlds is not None else await cls.attach(page, immediately=True)

    async def frames(self, deadline: float = LIVENESS_S) -> list[WorldFrame]:
        """Every frame of the page, the top frame first, each after its parent (depth first, document order of
        the frame tree), cross-site frames included. The tree is read again only after a frame was attached,
        detached or navigated (the sessions' Page events say so)."""
        async with self._lock:
            await self._find_oopifs(deadline)
            key = tuple(id(s) for _, s in self._oopif.values() if s is not None)
            playwright_frames = [f for f in self.page.frames if not f.is_detached()]
            if self.top_id and len(playwright_frames) == 1 and not key:
                # one document, no frames (most pages): the top frame keeps its id across navigations
                return [WorldFrame(self.top_id, None, self.page.url, "", self.main)]
            if self._tree is not None and self._tree[0] == key and self._tree[1] == self._changes:
                return list(self._tree[2])
            seen_changes = self._changes
            out = await self._read_tree(deadline)
            self._tree = (key, seen_changes, out)
            return list(out)

    async def _read_tree(self, deadline: float) -> list[WorldFrame]:
        sessions = [self.main] + [s for _, s in self._oopif.values() if s is not None]
        trees = await asyncio.gather(*(_call(s.cdp.send("Page.getFrameTree"), deadline, "the frame tree")
                                       for s in sessions), return_exceptions=True)
        nodes: dict[str, WorldFrame] = {}
        children: dict[str | None, list[str]] = {}
        for s, tree in zip(sessions, trees):
            if isinstance(tree, BaseException):
                if s is self.main:
                    raise tree
                continue  # a cross-site frame that went away meanwhile

            def visit(t, s=s):
                fr = t["frame"]
                fid = fr["id"]
                known = nodes.get(fid)
                # a frame listed by two sessions belongs to the one it is the root of (its own process)
                if known is None or (s.root == fid and known.session.root != fid):
                    if known is None:
                        children.setdefault(fr.get("parentId"), []).append(fid)
                    nodes[fid] = WorldFrame(fid, fr.get("parentId"), fr.get("url", "") + fr.get("urlFragment", ""),
                                            fr.get("name", ""), s)
                for c in t.get("childFrames") or ():
                    visit(c)
            visit(tree["frameTree"])
        top = next((f for f in nodes.values() if f.parent is None), None)
        if top is None:
            return []
        out: list[WorldFrame] = []
        stack = [(top.id, 0)]
        seen = set()
        while stack:
            fid, depth = stack.pop()
            if fid in seen or fid not in nodes:
                continue
            seen.add(fid)
            f = nodes[fid]
            f.depth = depth
            out.append(f)
            stack.extend((c, depth + 1) for c in reversed(children.get(fid, [])))
        return out

    async def _find_oopifs(self, deadline: float) -> None:
        context = self.page.context
        for f in self.page.frames:
            if f.parent_frame is None or f.is_detached():
                continue
            tried = self._oopif.get(f)
            if tried is not None and tried[0] == f.url:
                continue
            session = None
            try:
                cdp = await _call(context.new_cdp_session(f), deadline, "a frame's session")
            except Unresponsive:
                raise
            except Exception:
                cdp = None  # a frame in its parent's process: the parent's session reaches it
            if cdp is not None:
                try:
                    session = await _open(cdp, immediately=True)
                    self.watch(session)
                    tree = await _call(cdp.send("Page.getFrameTree"), deadline, "the frame tree")
                    session.root = tree["frameTree"]["frame"]["id"]
                except Unresponsive:
                    raise
                except Exception:
                    session = None
            old = tried[1] if tried else None
            if old is not None and old is not session:
                try:
                    await old.cdp.detach()
                except Exception:
                    pass
            self._oopif[f] = (f.url, session)

    async def context_id(self, frame: WorldFrame, deadline: float = LIVENESS_S) -> int:
        """The auditor's world in ``frame``, created if the frame's document has none yet."""
        ctx = frame.session.iso.get(frame.id)
        if ctx is not None:
            return ctx
        try:
            made = await _call(frame.session.cdp.send("Page.createIsolatedWorld", {
                "frameId": frame.id, "worldName": WORLD_NAME, "grantUniveralAccess": False}), deadline, "a frame")
        except Unresponsive:
            raise
        except Exception as exc:
            raise FrameGone(str(exc).splitlines()[0] if str(exc) else "frame gone") from None
        ctx = made["executionContextId"]
        await _call(frame.session.cdp.send("Runtime.evaluate", {"expression": _world_script(), "contextId": ctx}),
                    deadline, "a frame")
        frame.session.iso.setdefault(frame.id, ctx)
        return frame.session.iso[frame.id]

    async def call(self, frame: WorldFrame, function: str, *args, deadline: float = LIVENESS_S,
                   objects: tuple = (), this: str | None = None):
        """``function(...args, ...objects)`` in the auditor's world of ``frame``; its value (JSON-like, serialised
        by V8). ``objects`` are remote object ids from that world (elements); ``this`` one to bind."""
        params = {"functionDeclaration": function, "returnByValue": True, "awaitPromise": True,
                  "arguments": [{"value": a} for a in args] + [{"objectId": o} for o in objects]}
        if this is not None:
            params["objectId"] = this
        else:
            params["executionContextId"] = await self.context_id(frame, deadline)
        return await self._run(frame, "Runtime.callFunctionOn", params, deadline)

    async def _run(self, frame: WorldFrame, method: str, params: dict, deadline: float):
        try:
            res = await _call(frame.session.cdp.send(method, params), deadline, "a frame")
        except Unresponsive:
            raise
        except Exception as exc:
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if any(s in text for s in ("Cannot find context", "context was destroyed", "No frame", "Target closed",
                                        "Session closed", "detached", "Execution context was destroyed")):
                frame.session.iso.pop(frame.id, None)
                raise FrameGone(text) from None
            raise
        if "exceptionDetails" in res:
            d = res["exceptionDetails"]
            text = ((d.get("exception") or {}).get("description") or d.get("text") or "error").splitlines()[0]
            raise RuntimeError(f"in-page error: {text[:200]}")
        return (res.get("result") or {}).get("value")

    async def on_element(self, locator, function: str, *args, timeout_ms: float = 10_000,
                         deadline: float = LIVENESS_S):
        """``function(el, ...args)`` in the auditor's world, on the element ``locator`` finds (in whatever frame):
        the page's prototypes and getters cannot change what it reads. Raises like the locator when the element
        is not there."""
        await locator.dispatch_event(PICK_EVENT, timeout=timeout_ms)
        taker = ("(...args) => { const s = window.__auditor; const el = s && s.picked; if (!el) return {none: 1};"
                 f" s.picked = null; const r = ({function})(el, ...args); return {{value: r === undefined ? null : r}}; }}")
        for f in await self.frames(deadline):
            if f.id in self.frozen:
                continue
            try:
                got = await self.call(f, taker, *args, deadline=deadline)
            except FrameGone:
                continue
            if isinstance(got, dict) and "value" in got:
                return got["value"]
        raise FrameGone("the element went away before the auditor could read it")

    async def page_counts(self, frame: WorldFrame, deadline: float = LIVENESS_S) -> tuple[int, int, int]:
        """(short timers pending, closed shadow roots attached, service-worker registrations asked for) as the
        init script counted them in the page's main world; (0, 0, 0) when it cannot say."""
        ctx = frame.session.main.get(frame.id)
        if ctx is None:
            return (0, 0, 0)
        # the reader is a non-configurable, non-writable property the init script fixed on window before any
        # page script ran; it returns a string (no prototype the page could have replaced is involved)
        expr = f"(typeof window['{READER_KEY}'] === 'function') ? window['{READER_KEY}']() : ''"
        try:
            res = await _call(frame.session.cdp.send("Runtime.evaluate", {
                "expression": expr, "contextId": ctx, "returnByValue": True}), deadline, "a frame")
        except Unresponsive:
            raise
        except Exception:
            return (0, 0, 0)
        value = (res.get("result") or {}).get("value")
        try:
            parts = [int(p) for p in str(value).split(",")[:3]]
            pending, closed, workers = (parts + [0, 0, 0])[:3]
        except ValueError:
            return (0, 0, 0)
        clamp = lambda n: max(0, min(int(n), 1_000_000))  # noqa: E731
        return clamp(pending), clamp(closed), clamp(workers)

    async def closed_roots(self, frames: list[WorldFrame], deadline: float = LIVENESS_S) -> dict[str, list[str]]:
        """Closed shadow roots by frame id, as remote objects in the auditor's world of that frame. The page
        keeps its closed roots closed to its own scripts; the protocol's DOM view pierces them."""
        out: dict[str, list[str]] = {}
        by_session: dict[int, tuple[_Session, set]] = {}
        for f in frames:
            by_session.setdefault(id(f.session), (f.session, set()))[1].add(f.id)
        for session, fids in by_session.values():
            try:
                doc = await _call(session.cdp.send("DOM.getDocument", {"depth": -1, "pierce": True}), deadline,
                                  "a frame")
            except Unresponsive:
                raise
            except Exception:
                continue
            found: list[tuple[str, int]] = []
            root_frame = session.root or next((f.id for f in frames if f.session is session and f.parent is None),
                                              None)
            stack = [(doc["root"], root_frame)]
            while stack:
                node, fid = stack.pop()
                for sr in node.get("shadowRoots") or ():
                    if sr.get("shadowRootType") == "closed" and fid in fids:
                        found.append((fid, sr["backendNodeId"]))
                    stack.append((sr, fid))
                for c in node.get("children") or ():
                    stack.append((c, fid))
                if node.get("contentDocument") is not None:
                    stack.append((node["contentDocument"], node.get("frameId") or fid))
            for fid, backend in found:
                frame = next(f for f in frames if f.id == fid and f.session is session)
                try:
                    ctx = await self.context_id(frame, deadline)
                    obj = await _call(session.cdp.send("DOM.resolveNode", {
                        "backendNodeId": backend, "executionContextId": ctx}), deadline, "a frame")
                    out.setdefault(fid, []).append(obj["object"]["objectId"])
                except Unresponsive:
                    raise
                except Exception:
                    continue
            try:
                await session.cdp.send("DOM.disable")
            except Exception:
                pass
        return out

    async def owner(self, frame: WorldFrame, parent: WorldFrame, deadline: float = LIVENESS_S) -> str | None:
        """The iframe element that holds ``frame``, as a remote object in the auditor's world of ``parent``."""
        try:
            owner = await _call(parent.session.cdp.send("DOM.getFrameOwner", {"frameId": frame.id}), deadline,
                                "a frame")
            ctx = await self.context_id(parent, deadline)
            obj = await _call(parent.session.cdp.send("DOM.resolveNode", {
                "backendNodeId": owner["backendNodeId"], "executionContextId": ctx}), deadline, "a frame")
            return obj["object"]["objectId"]
        except Unresponsive:
            raise
        except Exception:
            return None

    async def wake(self) -> None:
        """Ask every renderer of the page to end the script it is running (a page's busy loop), so that closing
        the page is not held up by it."""
        sessions = [self.main] + [s for _, s in self._oopif.values() if s is not None]
        for s in sessions:
            try:
                await asyncio.wait_for(s.cdp.send("Runtime.terminateExecution"), 2)
            except BaseException as exc:
                if isinstance(exc, asyncio.CancelledError):
                    raise


def _world_script() -> str:
    return _WORLD_SRC.replace("__PICK_EVENT__", PICK_EVENT)


async def _open(cdp, immediately: bool) -> _Session:
    session = _Session(cdp)
    cdp.on("Runtime.executionContextCreated", session.on_created)
    cdp.on("Runtime.executionContextDestroyed", session.on_destroyed)
    cdp.on("Runtime.executionContextsCleared", session.on_cleared)
    await _call(cdp.send("Page.enable"), LIVENESS_S, "a page")
    await _call(cdp.send("Page.addScriptToEvaluateOnNewDocument", {
        "source": _world_script(), "worldName": WORLD_NAME, "runImmediately": immediately}), LIVENESS_S, "a page")
    await _call(cdp.send("Runtime.enable"), LIVENESS_S, "a page")
    return session


async def _call(awaitable, deadline: float, what: str):
    try:
        return await asyncio.wait_for(awaitable, deadline)
    except asyncio.TimeoutError:
        raise Unresponsive(f"the page stopped answering: {what} gave no answer within {deadline:g} s (its main "
                           "thread is busy in a loop or frozen)") from None

"""Run the (asyncio) auditor on a page of Playwright's *sync* API, as pytest-playwright's ``page`` fixture is.

Playwright has one implementation object per browser object, wrapped either by the sync API (greenlets) or by
the async API. A sync wrapper runs any coroutine on Playwright's own event loop with ``sync_obj._sync(coro)``
(its dispatcher greenlet drives the loop until the coroutine is done), and the same implementation object can be
given an *async* wrapper, whose calls are coroutines on that same loop. So a sync page is audited by::

    async_page = async_twin(sync_page)           # the async API's Page over the same implementation
    result = run_on_loop(sync_page, coroutine)   # the coroutine uses async_page; runs on Playwright's loop

Nothing here starts a thread, a loop or a browser: the audit talks to the test's own browser, over the test's
own Playwright connection.

Why it touches Playwright internals (none of this is public API):

* ``_impl_obj`` (the implementation object behind a wrapper) and ``SyncBase._sync`` (run a coroutine on the
  loop from the sync side);
* ``playwright._impl._async_base.mapping`` (implementation object -> async wrapper);
* both APIs cache the wrapper on the implementation object under one attribute
  (``_impl_to_api_mapping.API_ATTR``): asked for the async wrapper of an object the sync API wrapped first,
  the async mapping hands back the *sync* wrapper, and an object the audit wraps first (a frame, the hidden
  context of ``browser.new_page()``) would later be handed to the test as an *async* wrapper.
  :func:`_separate_async_cache` gives the async mapping its own cache attribute for every object of a sync
  API connection (its ``_dispatcher_fiber`` is set); objects of async API programs keep the shared attribute,
  so their wrappers and identities do not change.

The change to the async mapping is made once, when a sync page is first adopted, and stays for the process.

Limits: Chromium only (the auditor reads pages through CDP sessions); called from the thread that drives the
sync API (as any sync call); the page is audited as it is at the call, nothing clicked, and the cookies and
requests it reports are those seen from the call on (``Auditor.inspect``). A page of a persistent context
without a Browser object gets a stand-in that knows the browser's version, all a live audit asks of it.

Checked with Playwright 1.65.2 (greenlet-based sync API) and pytest-playwright 0.10.0. When the internals are
missing or changed, :class:`AdoptError` says so; nothing is patched then.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import threading
from typing import Any, Awaitable, TypeVar

T = TypeVar("T")

#: where the async mapping keeps its wrapper of an object the sync API wrapped first
ASYNC_API_ATTR = "_consent_auditor_async_api_"
CHECKED_WITH = "Playwright 1.65.2"

_lock = threading.Lock()


class AdoptError(RuntimeError):
    """The Playwright object cannot be audited this way (not a sync API object, or Playwright's internals
    changed)."""


def _internals():
    """(async mapping, API_ATTR) or AdoptError naming what is missing."""
    try:
        importlib.import_module("playwright.async_api")  # registers the async API classes with the mapping
        from playwright._impl import _async_base
        from playwright._impl._impl_to_api_mapping import API_ATTR, ImplToApiMapping
    except ImportError as exc:
        raise AdoptError(f"cannot audit a sync Playwright page: Playwright's internals moved ({exc}); "
                         f"this adapter was checked with {CHECKED_WITH}") from None
    mapping = getattr(_async_base, "mapping", None)
    if not isinstance(mapping, ImplToApiMapping) or not isinstance(getattr(mapping, "_mapping", None), dict):
        raise AdoptError("cannot audit a sync Playwright page: playwright._impl._async_base.mapping is not the "
                         f"mapping this adapter knows ({CHECKED_WITH})")
    return mapping, API_ATTR


def _separate_async_cache(mapping, api_attr: str) -> None:
    """Patch (once, on this mapping instance only) ``from_maybe_impl`` so that every object of a sync API
    connection (and any other whose cached wrapper is not of the async class) gets its own async wrapper,
    cached under :data:`ASYNC_API_ATTR`; ``API_ATTR`` is left to the sync API. Everything else (dicts, lists,
    unknown objects, the objects of async API programs) goes through the original method, as before."""
    with _lock:
        if getattr(mapping, "_consent_auditor_patched", False):
            return
        original = type(mapping).from_maybe_impl

        def from_maybe_impl(obj: Any, visited: Any = None) -> Any:
            api_class = mapping._mapping.get(getattr(obj, "_api_impl_class", type(obj))) if obj else None
            if api_class is None or isinstance(obj, (dict, list)):
                return original(mapping, obj, visited)
            if not getattr(obj, "_dispatcher_fiber", None):
                cached = getattr(obj, api_attr, None)
                if cached is None or isinstance(cached, api_class):
                    return original(mapping, obj, visited)  # an async API program's object: as before
            # an object of a sync API connection: its API_ATTR belongs to the sync wrapper, now or later
            twin = getattr(obj, ASYNC_API_ATTR, None)
            if twin is None:
                twin = api_class(obj)
                setattr(obj, ASYNC_API_ATTR, twin)
            return twin

        # an instance attribute: ImplToApiMapping's own methods (from_impl, wrap_handler, the recursion into
        # dicts and lists) call self.from_maybe_impl, so they all go through it
        mapping.from_maybe_impl = from_maybe_impl
        mapping._consent_auditor_patched = True


def _check_sync(obj: Any, what: str = "page") -> Any:
    impl = getattr(obj, "_impl_obj", None)
    if impl is not None and type(obj).__module__.startswith("playwright.async_api"):
        raise AdoptError("this is a page of Playwright's async API: audit it with "
                         "`await auditor.api.Auditor(...).inspect(page)` (inside `async with`)")
    if impl is None or not callable(getattr(obj, "_sync", None)):
        raise AdoptError(f"expected a Playwright sync API {what} (pytest-playwright's `page`), got "
                         f"{type(obj).__module__}.{type(obj).__name__}")
    return impl


def is_sync_api(obj: Any) -> bool:
    """Is ``obj`` an object of Playwright's sync API (as opposed to its async API)?"""
    return type(obj).__module__.startswith("playwright.sync_api") and hasattr(obj, "_impl_obj")


def async_twin(sync_obj: Any) -> Any:
    """The async API wrapper of the implementation behind ``sync_obj`` (a sync Page, BrowserContext, ...).
    Use it only inside :func:`run_on_loop`: its calls are coroutines on Playwright's loop."""
    impl = _check_sync(sync_obj)
    mapping, api_attr = _internals()
    if mapping._mapping.get(getattr(impl, "_api_impl_class", type(impl))) is None:
        raise AdoptError(f"Playwright's async API has no class for {type(impl).__name__} ({CHECKED_WITH})")
    _separate_async_cache(mapping, api_attr)
    twin = mapping.from_impl(impl)
    if is_sync_api(twin) or not type(twin).__module__.startswith("playwright.async_api"):
        raise AdoptError(f"Playwright handed back {type(twin).__module__}.{type(twin).__name__} for the async API "
                         f"({CHECKED_WITH} was checked)")
    return twin


def run_on_loop(sync_obj: Any, coro: Awaitable[T]) -> T:
    """Run ``coro`` to its end on the event loop of ``sync_obj``'s Playwright (from the test's thread, as a
    sync API call would) and return its result or raise its exception."""
    try:
        _check_sync(sync_obj)
    except AdoptError:
        if asyncio.iscoroutine(coro):
            coro.close()
        raise
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    # between sync calls the dispatcher greenlet is suspended inside Playwright's loop, so that loop reads as
    # running here; any other loop means a coroutine of the caller's own is running
    if running is not None and running is not getattr(sync_obj, "_loop", None):
        if asyncio.iscoroutine(coro):
            coro.close()
        raise AdoptError("a sync Playwright page is audited from plain (non-async) code; in an asyncio test, "
                         "use an async page and `await Auditor.inspect(page)`")
    return sync_obj._sync(coro)


async def browser_of(async_page: Any) -> Any:
    """The async Browser the page belongs to, for ``Auditor(browser=...)``. A page of a persistent context
    has none: a stand-in then reports the browser's version (all the auditor asks of a browser it does not
    own when it audits a live page) and refuses anything else."""
    browser = async_page.context.browser
    if browser is not None:
        return browser
    version = ""
    try:
        cdp = await async_page.context.new_cdp_session(async_page)
        try:
            product = (await cdp.send("Browser.getVersion")).get("product", "")
        finally:
            await cdp.detach()
        version = product.split("/", 1)[1] if "/" in product else ""
    except Exception:
        pass
    return _ContextOnlyBrowser(version)


class _ContextOnlyBrowser:
    """The browser of a persistent context (Playwright gives none): its version, nothing else."""

    def __init__(self, version: str) -> None:
        self.version = version

    def __getattr__(self, name: str):
        raise AdoptError(f"the page belongs to a persistent context (no Browser object); auditing a live page "
                         f"needs none, but this needs Browser.{name}")


def inspect_sync(page: Any, options: Any = None, name: str | None = None) -> Any:
    """Audit a sync API Playwright page as it is now (``Auditor.inspect``: no reload, no click) with the public
    API, in the page's own browser; returns an :class:`~auditor.models.AuditRun` of this one page with the
    policy and the baseline of ``options`` applied (``api.finish``), ready for ``api.failing`` and the
    reports. Each call prepares its own short-lived ``Auditor`` session: the checks and the lexicon it loads
    are cached by the process, so only the first call of a process pays for them."""
    from auditor import api

    options = options or api.Options()
    browser = page.context.browser
    kind = browser.browser_type.name if browser is not None else "chromium"
    if kind != "chromium":
        raise AdoptError(f"the auditor reads pages through Chromium's DevTools protocol; this page is in {kind} "
                         f"(pytest-playwright: --browser chromium, or skip the audit for other browsers)")
    twin = async_twin(page)
    size = page.viewport_size  # the report records the window the page has (pytest-playwright: 1280x720)
    if size:
        options = dataclasses.replace(options, viewport=(int(size["width"]), int(size["height"])))

    async def audit():
        async with api.Auditor(options, browser=await browser_of(twin)) as auditor:
            return await auditor.inspect_run(twin, name)

    return run_on_loop(page, audit())

"""Automatic discovery: find a site's sign-up and checkout (or booking) from a start page and write each as a
flow file that ``auditor flow`` walks.

The package splits by job:

- ``facts``: what the page is, gathered by ``auditor/browser/discover.js`` in every frame, as typed facts;
- ``offers``: what the page offers, read with the lexicon (which field asks for what, the way on);
- ``choices``: the choices a customer who reads the big print makes (refuse the banner, fill the form);
- ``walk``: the journeys, step by step, each step with the reason it was taken;
- ``flowfile``: the flow file written, with those reasons and where the walk stopped.

Nothing the page ticked or chose is changed: a pre-ticked box stays ticked, a pre-added extra stays in the
basket, so the audit of the walked flow sees what such a customer gets. Every action is a flow step carried
out by the same code that walks flow files (``runner.do_step``), with the same scope and submit guards. The
file is read back with the flow loader, so what discovery wrote is what ``auditor flow`` walks.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

from auditor.browser.page import NetworkTracker
from auditor.engine import open_page
from auditor.flows.discovery.choices import refuse_banner
from auditor.flows.discovery.flowfile import flow_yaml
from auditor.flows.discovery.walk import Walk, checkout, signup
from auditor.flows.identity import make_identity
from auditor.flows.runner import StepFailed, guard_redirects, one_line, open_context
from auditor.flows.spec import Flow, FlowError, load_flow
from auditor.models import Discovery
from auditor.api import JOURNEYS  # what discovery looks for, named once

__all__ = ("JOURNEYS", "discover_journey", "flow_yaml")


async def discover_journey(shared, start: str, journey: str, out_dir: Path, name_hint: str,
                           allow_submit: bool = False, seed: int = 1) -> tuple[Discovery, Flow | None]:
    """Discover one journey from ``start`` and write it to ``out_dir``; never raises for a site's problem."""
    t0 = time.monotonic()
    st = shared.options.settings
    host = (urlsplit(start).hostname or "").lower()
    title = {"signup": "Sign-up", "checkout": "Checkout"}[journey]
    # a purchase is never allowed: only a sign-up may be completed, and only when asked
    flow = Flow(name=f"{title} on {host} (discovered)", start=start, scope=(host,),
                allow_submit=allow_submit and journey == "signup",
                seed=seed, viewport=st.viewport, locale=st.locale)
    identity = make_identity(st.locale, seed)
    guarded = await open_context(shared, flow, identity)
    stopped = ""
    w = None
    try:
        page = await open_page(guarded.context)
        await guard_redirects(page, flow.scope, guarded.blocked)
        w = Walk(shared, flow, page, NetworkTracker(page), identity)
        try:
            response = await page.goto(start, wait_until="load", timeout=int(st.timeout * 1000))
            if response is not None and response.status >= 400:
                raise StepFailed(f"HTTP {response.status}")
        except StepFailed as exc:
            stopped = f"the start page could not be loaded: {exc}"
        except Exception as exc:
            stopped = f"the start page could not be loaded: {one_line(exc)}"
        if not stopped:
            try:
                await refuse_banner(w)
                stopped = await (signup(w) if journey == "signup" else checkout(w))
            except StepFailed as exc:
                stopped = f"stopped at step {len(w.steps) + 1}: {exc}"
            except Exception as exc:
                if shared.options.debug:
                    raise
                stopped = f"stopped at step {len(w.steps) + 1}: {one_line(exc)}"
        if guarded.blocked:
            w.notes.append(f"a navigation out of scope was blocked: {guarded.blocked[0]}")
    finally:
        try:
            await guarded.context.close()
        except Exception:
            pass
    steps = w.steps if w is not None else []
    notes = tuple(dict.fromkeys(w.notes)) if w is not None else ()
    seconds = round(time.monotonic() - t0, 2)
    if w is None or not w.reached:
        # clicks that led nowhere (an account page without a sign-up, a link next to a price on a blog) are no
        # journey: nothing is written
        return Discovery(start=start, journey=journey, found=False, stopped=stopped, notes=notes,
                         seconds=seconds), None
    if not steps:
        return Discovery(start=start, journey=journey, found=False, stopped=stopped or "no step was taken",
                         notes=notes, seconds=seconds), None
    path = out_dir / f"{name_hint}-{journey}.yaml"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(flow_yaml(flow, steps, journey, stopped, notes, w.why), encoding="utf-8")
        written = load_flow(path)  # what was written is what `auditor flow` will read
    except (OSError, FlowError) as exc:
        if shared.options.debug:
            raise
        return Discovery(start=start, journey=journey, found=False, file=str(path),
                         stopped=f"the flow file could not be written or read back: {exc}", notes=notes,
                         seconds=seconds), None
    return Discovery(start=start, journey=journey, found=True, file=str(path), steps=len(steps), stopped=stopped,
                     notes=notes, seconds=seconds), written

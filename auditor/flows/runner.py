"""Walk a flow like a customer: one browser context per flow, an audit of the page after every step.

Safety first: the flow never leaves its scope (main-frame navigations to other hosts are aborted and
reported), never clicks a final "Place order / Pay / Buy now" control or presses Enter in a form with card
fields unless the flow says ``allow_submit: true``, and no request carrying the test card number leaves the
browser. Passwords and card fields are masked in every screenshot.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from auditor.browser.page import NetworkTracker, probe, settle, utc_now
from auditor.browser.worlds import Worlds
from auditor.engine import Session, classify_nav_error, audit_loaded, new_context, open_page, page_budget
from auditor.flows.identity import Identity, make_identity, render
from auditor.flows.spec import Flow, Step
from auditor.models import FlowResult, FlowStep, PageError, PageResult

#: always masked in screenshots: password fields and anything the browser would autofill as a card
SECRET_SELECTORS = ("input[type=password]", "input[autocomplete^='cc-']", "input[name*='card' i]",
                    "input[name*='cvc' i]", "input[name*='cvv' i]", "input[id*='card' i]", "input[id*='cvc' i]",
                    "input[id*='cvv' i]")

# One round trip per step target: what the person sees of it (its label, for the journey checks)
# and the facts the submit guard judges (auditor/flows/guard.py): is it a link to another page, does it send
# a form, with card fields, are buyer details filled in, does the page ask for card details.
# (The element the person acts on is recorded by the auditor's isolated world from the trusted input events the
# action causes, world.js, so that the collector reports a box the flow ticked as the person's choice,
# state_source "person", and not as pre-checked by the page; the page cannot forge a trusted event.)
TARGET_JS = r"""(el, [notCard, cardRe, identity]) => {
  const t = (x) => (x ? (x.getAttribute('aria-label') || x.innerText || x.value || x.getAttribute('title') || '') : '')
    .replace(/\s+/g, ' ').trim();
  let label = t(el);
  if (el.labels && el.labels.length) label = t(el.labels[0]) || label;
  // a short control ("Add", "Select") acts on the card it sits in: the card's text says what it adds
  let context = '';
  if (label.split(' ').length <= 4) {
    for (let cur = el.parentElement, k = 0; cur && k < 4 && cur !== document.body; cur = cur.parentElement, k++) {
      const text = t(cur);
      if (text.length > 160) break;
      if (text.length > label.length + 2) { context = text; break; }
    }
  }
  // a click on the icon or text inside a submit button or link is a click on that button or link
  const btn = el.closest('button, input[type=submit], input[type=image], [role=button], a[href]') || el;
  if (btn !== el && !label) label = t(btn);
  if (btn.localName === 'input' && btn.type === 'image' && !label) label = (btn.getAttribute('alt') || '').trim();
  const card = new RegExp(cardRe, 'i'), free = new RegExp(notCard, 'i');
  const shown = (x) => { const r = x.getBoundingClientRect(); return r.width > 1 && r.height > 1; };
  const isCard = (i) => {
    const ids = (i.name || '') + ' ' + (i.id || '');
    return ((i.getAttribute('autocomplete') || '').startsWith('cc-') || card.test(ids)) && !free.test(ids);
  };
  const form = btn.form || btn.closest('form');
  const cardForm = !!form && [...form.querySelectorAll('input')].some(isCard);
  const cardPage = [...document.querySelectorAll('input')].some((i) => isCard(i) && shown(i))
    || [...document.querySelectorAll('iframe')].some((f) => shown(f) && card.test(
      [f.name, f.id, f.title, f.getAttribute('src') || ''].join(' ')));
  const submits = !!form && (btn.type === 'submit' || btn.type === 'image' || (btn.localName === 'button' && !btn.getAttribute('type')));
  // a link that loads another page: a real address, not "#", "javascript:" or this page again
  let link = false;
  if (btn.localName === 'a' && btn.href) {
    try {
      const u = new URL(btn.href, location.href);
      const here = new URL(location.href);
      link = /^https?:$/.test(u.protocol) && !(u.pathname === here.pathname && u.search === here.search);
    } catch (e) { link = false; }
  }
  // buyer details: an e-mail, phone or password field, a field the browser would fill with a person's
  // details, or one holding a value of the test identity, filled in (in the control's form, else the page)
  const PERSONAL = /^(name|given-name|family-name|email|tel|tel-national|street-address|address-line1|postal-code|address-level2|new-password|current-password|username)$/;
  const holds = (i) => {
    if (!i.value || i.type === 'hidden' || i.type === 'checkbox' || i.type === 'radio') return false;
    const ac = (i.getAttribute('autocomplete') || '').split(/\s+/).pop();
    return ['email', 'tel', 'password'].includes(i.type) || PERSONAL.test(ac) || identity.includes(i.value.trim());
  };
  const details = [...(form || document).querySelectorAll('input, textarea')].some(holds);
  let action = '';
  if (form && submits && (form.getAttribute('method') || '').toLowerCase() === 'post') {
    try { action = new URL(form.getAttribute('action') || '', location.href).pathname; } catch (e) { action = ''; }
  }
  const passwordForm = !!form && !!form.querySelector('input[type=password]');
  return { label: label.slice(0, 200), context: context.slice(0, 200), submits, cardForm, cardPage, link, details,
           action, passwordForm };
}"""
#: steps whose target is read (and, but for press, marked as acted on) before the action
TARGET_KINDS = ("click", "check", "uncheck", "select", "fill", "press")
#: steps that usually change nothing a check reads (text typed into a field, a checkpoint, a wait): after a short
#: quiet moment, if the page's address, DOM mutation count, box and select states, storage and cookies are what
#: they were at the last audit, that audit is reused (the last step of a flow is always audited afresh)
REUSABLE_KINDS = ("fill", "audit", "expect", "wait_for", "scroll", "press")
#: the quiet moment a reusable step waits for before it is compared (ms), and at most how long (ms)
REUSE_QUIET_MS, REUSE_CAP_MS = 60, 800


class StepFailed(Exception):
    def __init__(self, message: str, status: str = "failed"):
        super().__init__(message)
        self.status = status


async def walk(shared: Session, flow: Flow, number: int, trace_dir: Path | None = None) -> FlowResult:
    """Walk one flow; never raises for a problem of the site or the flow (it is in the result)."""
    opts = shared.options
    st = opts.settings
    identity = make_identity(flow.locale or st.locale, flow.seed)
    started = utc_now()
    timeout_ms = int(st.timeout * 1000)
    slug = f"flow{number:02d}-" + (re.sub(r"[^A-Za-z0-9]+", "-", flow.name).strip("-")[:40] or "flow")
    record = opts.out_dir / "evidence" / slug if opts.recording and opts.evidence else None
    guarded = await open_context(shared, flow, identity, har=record / "visit.har" if record else None)
    context, blocked, refused = guarded.context, guarded.blocked, guarded.refused
    steps: list[FlowStep] = []
    seen: set[str] = set()
    state = WalkState()
    masked_targets = state.masked
    console = None
    trace = None
    error = ""
    complete = False

    try:
        if trace_dir is not None:
            await context.tracing.start(screenshots=True, snapshots=True, sources=False, title=flow.name)
        page = await open_page(context)
        await guard_redirects(page, flow.scope, blocked)
        network = NetworkTracker(page)
        if record is not None:
            from auditor.evidence.capture import ConsoleLog
            console = ConsoleLog(page)

        def mask():
            return tuple(page.locator(s) for s in SECRET_SELECTORS + tuple(masked_targets))

        async def audit_here(step: Step | None, layer: int = 1) -> PageResult:
            index = step.index if step else 0
            result = PageResult(url=page.url, started_at=utc_now())
            # cookies and requests count as "before any choice" on the start page only: later steps follow
            # whatever the flow did with the banner (consent-before-choice judges the first load)
            result = await audit_loaded(shared, page, network, page.url, result,
                                        f"{slug}-step{index:02d}" if opts.out_dir is not None and opts.evidence else None,
                                        interact=False, mask=mask(), phase="before-choice" if index == 0 else "in-flow",
                                        prices=True, layer=layer, known=seen, record=record,
                                        stem=f"step{index:02d}-")
            fresh = []
            for c in result.checks:
                new = tuple(f for f in c.findings if f.fingerprint not in seen)
                seen.update(f.fingerprint for f in new)
                fresh.append(dataclasses.replace(c, findings=new))
            return dataclasses.replace(result, checks=tuple(fresh))

        acted: dict[int, str] = {}  # step -> the text of what the person acted on
        budget = page_budget(st)

        try:
            response = await page.goto(flow.start, wait_until="load", timeout=timeout_ms)
            if blocked:
                raise StepFailed(f"start page {flow.start}: navigation out of scope blocked: {blocked[-1]}")
            if response is not None and response.status >= 400:
                raise StepFailed(f"start page {flow.start}: HTTP {response.status}")
        except StepFailed as exc:
            error = str(exc)
        except Exception as exc:
            if blocked:
                error = f"start page {flow.start}: out of scope ({', '.join(flow.scope)})"
            else:
                e = classify_nav_error(exc, [], [], st.timeout)
                error = f"start page {flow.start}: {e.kind}: {e.message}"
        if error:
            steps.append(FlowStep(index=0, kind="start", label=flow.start, status="failed", error=error,
                                  at=utc_now()))
        else:
            steps.append(FlowStep(index=0, kind="start", label=flow.start, page=await audit_here(None), at=utc_now()))
            last = (await probe(page), 0, steps[-1].page)  # what the last audit saw: (probe, step, result)
            for step in flow.steps:
                at = utc_now()
                n_blocked, n_refused = len(blocked), len(refused)
                try:
                    # a step has the budget of a page's audit: a page that freezes in the middle of a step
                    # fails that step (unresponsive), it does not hold the run
                    acted[step.index] = await asyncio.wait_for(
                        do_step(page, step, flow, identity, state, st.timeout, shared.ctx.lexicon), budget)
                    await after_action(page)
                    if len(blocked) > n_blocked:
                        raise StepFailed(f"navigation out of scope blocked: {blocked[-1]}", "blocked")
                    if len(refused) > n_refused:
                        raise StepFailed(f"refused: {refused[-1]}", "refused")
                    layer = 2 if _opened_settings(step, acted[step.index], steps) else 1
                    result = await _unchanged(page, network, step, flow, last)
                    if result is None:
                        result = await asyncio.wait_for(audit_here(step, layer), budget)
                        last = (await probe(page), step.index, result)
                    done = FlowStep(index=step.index, kind=step.kind, label=_label(step, identity),
                                    page=result, at=at, note=state.notes.get(step.index, ""),
                                    acted_on=acted.get(step.index, ""))
                    if _journey_finds_here(shared, flow, steps + [done], acted):
                        await _full_page_shot(page, done.page, opts, mask())
                    steps.append(done)
                except Exception as exc:
                    status = exc.status if isinstance(exc, StepFailed) else "failed"
                    msg = str(exc) if isinstance(exc, StepFailed) else one_line(exc)
                    if len(blocked) > n_blocked and status == "failed":
                        # the navigation failed because it left the scope (a redirect to a host that is out of
                        # scope, and maybe unreachable): that is what the step did
                        status, msg = "blocked", f"navigation out of scope blocked: {blocked[-1]}"
                    error = f"step {step.index} ({_label(step, identity)}): {msg}"
                    shot = await _failure_shot(page, opts, slug, step.index, mask())
                    steps.append(FlowStep(index=step.index, kind=step.kind, label=_label(step, identity),
                                          status=status, error=msg, at=at,
                                          page=PageResult(url=page.url, screenshot=shot, started_at=at,
                                                          error=PageError("flow-step", msg))))
                    break
            else:
                complete = True
        steps = _stamp_steps(flow, _judge_journey(shared, flow, steps, acted))
        if trace_dir is not None:
            trace_dir.mkdir(parents=True, exist_ok=True)
            path = trace_dir / f"{slug}.zip"
            await context.tracing.stop(path=str(path))
            trace = str(path)
    except Exception as exc:
        if opts.debug:
            raise
        error = error or f"internal error: {one_line(exc)}"
        complete = False
    finally:
        try:
            await context.close()
        except Exception:
            pass
    artefacts = _walk_files(record, flow, started, console, trace, opts.out_dir) if record is not None else ()
    return FlowResult(name=flow.name, path=flow.path, start=flow.start, complete=complete, error=error,
                      steps=tuple(steps), identity=tuple((k, str(v)) for k, v in identity.masked().items()),
                      blocked=tuple(blocked), refused=tuple(refused), trace=trace, started_at=started,
                      finished_at=utc_now(), artefacts=artefacts)


def _walk_files(record: Path, flow: Flow, started: str, console, trace: str | None, out_dir: Path) -> tuple:
    """A walk's own evidence once its context closed: the HAR, the console, the trace, the flow file as walked."""
    from auditor.engine import relative_artefacts
    from auditor.models import Artefact
    arts = []
    now = utc_now()
    if (record / "visit.har").exists():
        arts.append(Artefact(path=str(record / "visit.har"), kind="har", started_at=started, finished_at=now,
                             note="the flow's browser context, every step"))
    if console is not None:
        arts.append(console.write(record / "console.jsonl"))
    if trace:
        arts.append(Artefact(path=trace, kind="trace", started_at=started, finished_at=now,
                             note="Playwright trace: playwright show-trace FILE"))
    try:
        source = Path(flow.path)
        if source.is_file():
            copy = record / ("flow" + (source.suffix or ".yaml"))
            copy.write_bytes(source.read_bytes())
            arts.append(Artefact(path=str(copy), kind="flow-file", started_at=now, finished_at=utc_now(),
                                 note=f"the flow file as walked ({source.name})"))
    except OSError:
        pass
    return relative_artefacts(arts, out_dir)


@dataclasses.dataclass
class GuardedContext:
    context: object
    blocked: list  # main-frame navigations out of scope, aborted
    refused: list  # requests carrying the test card data, aborted


async def open_context(shared: Session, flow: Flow, identity: Identity, har: Path | None = None) -> GuardedContext:
    """A fresh browser context for one flow, with the settle script and the scope and card guards (``har``:
    record its traffic there; a replay serves the flow from the HAR recorded for its name)."""
    context, _ = await new_context(shared, flow.viewport, flow.locale, har=har,
                                   offline=shared.options.offline_har(f"flow:{flow.name}"))
    out = GuardedContext(context, [], [])
    secrets = identity.secrets()

    async def guard(route, request):
        url = request.url
        if not flow.allow_submit and _carries(request, secrets):
            out.refused.append(f"{request.method} {_short(url)}: carries the test card data")
            await route.abort("blockedbyclient")
            return
        if request.is_navigation_request() and request.frame.parent_frame is None:
            host = (urlsplit(url).hostname or "").lower()
            if url.startswith(("http:", "https:")) and not in_scope(host, flow.scope):
                out.blocked.append(_short(url))
                await route.abort("blockedbyclient")
                return
        await route.fallback()  # to the network, or to the recorded HAR of a replay

    def redirected(request):
        # a redirect is not offered to the route above (the browser follows it by itself): an in-scope address
        # that answers with a redirect out of the scope is caught here, and the step fails as blocked
        try:
            if request.redirected_from is None or not request.is_navigation_request() \
                    or request.frame.parent_frame is not None:
                return
        except Exception:
            return
        host = (urlsplit(request.url).hostname or "").lower()
        if request.url.startswith(("http:", "https:")) and not in_scope(host, flow.scope):
            chain, hop = [request.url], request.redirected_from
            while hop is not None and len(chain) < 20:
                chain.append(hop.url)
                hop = hop.redirected_from
            out.blocked.append(" → ".join(_short(u) for u in reversed(chain)) + " (redirect out of scope)")

    context.on("request", redirected)
    try:
        await context.route("**/*", guard)
    except BaseException:
        await context.close()
        raise
    return out


async def guard_redirects(page, scope: tuple[str, ...], blocked: list) -> None:
    """Refuse a redirect of the top document out of ``scope`` before the browser follows it. The route of
    ``open_context`` never sees a redirect (the browser follows it by itself), so the page's own DevTools session
    intercepts documents at the response stage: a 3xx whose Location is out of scope fails there, and nothing is
    sent to the other host. (Fetching the document in the route and fulfilling it instead would make the page a
    "public" document to Chromium's local-network checks, which then block its frames on a local server.)"""
    worlds = await Worlds.of(page)
    cdp = worlds.main.cdp
    # the top frame keeps its id across navigations (asking for it while a navigation is held up would wait)
    top = [(await cdp.send("Page.getFrameTree"))["frameTree"]["frame"]["id"]]

    async def paused(event):
        rid = event.get("requestId")
        try:
            status = event.get("responseStatusCode")
            if status and 300 <= status < 400:
                headers = {h.get("name", "").lower(): h.get("value", "") for h in event.get("responseHeaders") or ()}
                url = (event.get("request") or {}).get("url", "")
                target = urljoin(url, headers.get("location", "")) if headers.get("location") else ""
                if event.get("frameId") == top[0] and target.startswith(("http:", "https:")) and not in_scope(
                        (urlsplit(target).hostname or "").lower(), scope):
                    blocked.append(f"{_short(url)} → {_short(target)} (redirect out of scope)")
                    await cdp.send("Fetch.failRequest", {"requestId": rid, "errorReason": "BlockedByClient"})
                    return
            await cdp.send("Fetch.continueRequest", {"requestId": rid})
        except Exception:
            try:
                await cdp.send("Fetch.continueRequest", {"requestId": rid})
            except Exception:
                pass

    cdp.on("Fetch.requestPaused", lambda e: asyncio.ensure_future(paused(e)))
    await cdp.send("Fetch.enable", {"patterns": [{"resourceType": "Document", "requestStage": "Response"}]})


@dataclasses.dataclass
class WalkState:
    """What a walk carries from step to step: the fields to mask in screenshots, whether buyer details were
    typed (the submit guard then treats final wording as final), the guard's notes by step."""

    masked: list = dataclasses.field(default_factory=list)
    details: bool = False
    notes: dict = dataclasses.field(default_factory=dict)  # step index -> why a click was let through


async def do_step(page, step: Step, flow: Flow, identity: Identity, state: WalkState, default_timeout: float,
              lexicon) -> str:
    """Carry out one step; returns the visible text of what a click, check or select acted on."""
    timeout = int((step.timeout or min(default_timeout, 15.0)) * 1000)
    kind = step.kind
    target = render(step.arg("target", ""), identity) if step.arg("target") else ""
    loc = _locate(page, step, target) if target else None
    masked_targets = state.masked
    worlds = await Worlds.of(page)
    facts: dict = {}
    if kind in TARGET_KINDS and loc is not None:
        # not caught: the submit guard must never pass a click it could not inspect (a missing target fails
        # here as it would in the action)
        # payment card fields and the cards that pay nothing (a gift card) are told by the lexicon's words, as
        # they appear in field names, ids and frame titles
        # read in the auditor's own world: a page cannot dress a card form up as a harmless one for the guard
        facts = await worlds.on_element(loc, TARGET_JS, [lexicon.markup_pattern("not_payment_card"),
                                                         lexicon.markup_pattern("field_card"), identity.values()],
                                        timeout_ms=timeout)
    if kind == "goto":
        await page.goto(step.arg("url"), wait_until="load", timeout=timeout)
    elif kind == "click":
        await loc.wait_for(state="visible", timeout=timeout)
        _submit_guard(facts, flow, step, state, "click", lexicon)
        await loc.click(timeout=timeout)
    elif kind == "fill":
        value = render(step.arg("value"), identity)
        if _secret_value(step, identity):
            masked_targets.append(target)
        await loc.fill(value, timeout=timeout)
        if "identity." in step.arg("value") or value.strip() in identity.values():
            state.details = True  # the person has said who they are: final wording is now final
    elif kind in ("check", "uncheck"):
        try:
            await (loc.check if kind == "check" else loc.uncheck)(timeout=min(timeout, 3000))
        except Exception:
            # a styled box whose label lies over the input (Bootstrap's custom-control): the person clicks the
            # label, which toggles the box; the state is checked afterwards
            want = kind == "check"
            done = await worlds.on_element(loc, "(el) => el.checked", timeout_ms=timeout) == want
            if not done:
                label = (await loc.evaluate_handle("(el) => (el.labels && el.labels[0]) || null")).as_element()
                if label is not None:
                    await label.click(timeout=timeout)  # a real click: the person's choice is recorded
                    done = await worlds.on_element(loc, "(el) => el.checked", timeout_ms=timeout) == want
            if not done:
                raise StepFailed(f"could not {kind} {target}") from None
    elif kind == "select":
        value = render(step.arg("value"), identity)
        # Playwright sets a select from script (its events are not trusted): the auditor's world takes the
        # select's change event as the person's while the step runs
        await arm(page, True)
        try:
            try:
                await loc.select_option(value=value, timeout=timeout)
            except Exception:
                await loc.select_option(label=value, timeout=timeout)
        finally:
            await arm(page, False)
        try:  # what the person chose, as shown ("Express (DHL) 9,90 €"), not the option's value
            chosen = await worlds.on_element(loc, "(el) => el.selectedOptions && el.selectedOptions.length ? "
                                             "el.selectedOptions[0].text : ''", timeout_ms=timeout)
            facts["label"] = f"{facts.get('label', '')} {' '.join(str(chosen).split())}".strip()
        except Exception:
            pass
    elif kind == "press":
        key = step.arg("key")
        if loc is not None:
            if key.lower() == "enter":
                _submit_guard(facts, flow, step, state, "press Enter in", lexicon)
            await loc.press(key, timeout=timeout)
        else:
            await page.keyboard.press(key)
    elif kind == "wait_for":
        await loc.wait_for(state="visible", timeout=timeout)
    elif kind == "scroll":
        to = (step.arg("to") or "").lower()
        if step.arg("target") or to not in ("", "top", "bottom"):
            await page.locator(target or step.arg("to")).first.scroll_into_view_if_needed(timeout=timeout)
        else:
            await asyncio.wait_for(page.evaluate(
                "(b) => window.scrollTo(0, b ? document.documentElement.scrollHeight : 0)", to != "top"),
                timeout / 1000)
    elif kind == "expect":
        if step.arg("target"):
            await loc.wait_for(state="visible", timeout=timeout)
        if step.arg("text"):
            text = render(step.arg("text"), identity)
            try:
                await page.get_by_text(text).filter(visible=True).first.wait_for(state="visible", timeout=timeout)
            except Exception:
                raise StepFailed(f"expected text not found: {text!r}") from None
    elif kind == "audit":
        pass  # every step is audited; a checkpoint only names the moment
    if kind in ("click", "check", "select"):
        label = facts.get("label", "").strip()
        context = facts.get("context", "")
        short = len(label.split()) <= 2 or lexicon.has("add_to_cart", label)
        if context and short and kind == "click" and not (lexicon.has("next_step", label) or lexicon.has(
                "checkout", label) or lexicon.has("final_submit", label)):
            label = f"{label} ({context})"  # "Add" in the card of "Linen napkins, set of 4 $28.00"
        return label
    return ""


async def _unchanged(page, network, step: Step, flow: Flow, last) -> PageResult | None:
    """The last audit, reused for a step that changed nothing it could see (see REUSABLE_KINDS), else None."""
    probe_then, index, result = last
    if probe_then is None or result is None or result.snapshot is None or step.kind not in REUSABLE_KINDS \
            or step is flow.steps[-1] or (step.kind == "press" and (step.arg("key") or "").lower() == "enter"):
        return None
    await settle(page, network, REUSE_QUIET_MS, REUSE_CAP_MS)
    if await probe(page) != probe_then:
        return None
    now = utc_now()
    return dataclasses.replace(result, started_at=now, finished_at=now, reused=index,
                               checks=tuple(dataclasses.replace(c, findings=()) for c in result.checks))


def _journey_results(shared: Session, flow: Flow, steps: list, acted: dict) -> dict:
    from auditor.models import Journey, JourneyStep
    from auditor.registry import judge_journey
    journey = Journey(flow.name, tuple(
        JourneyStep(index=s.index, kind=s.kind, label=s.label, acted_on=acted.get(s.index, ""),
                    snapshot=s.page.snapshot if s.page is not None else None)
        for s in steps if s.status == "ok"))
    return judge_journey(journey, shared.specs, shared.ctx, shared.options.debug)


def _stamp_steps(flow: Flow, steps: list) -> list:
    """The findings' fingerprints keyed on the flow's name and the step's name (the label written in the flow
    file, before the test identity is filled in), and each step's line in the file."""
    from auditor.engine import judged_on
    from auditor.identity import page_key, stamp, step_key
    by_index = {st.index: st for st in flow.steps}
    count: dict[str, int] = {}
    out = []
    for s in steps:
        spec = by_index.get(s.index)
        if spec is None:
            label = "start"
        elif spec.kind == "goto" and not spec.name:  # the address without the query string or a local port
            label = f"goto {page_key(spec.arg('url') or '')}"
        else:
            label = spec.label
        count[label] = count.get(label, 0) + 1
        if s.page is not None and s.page.snapshot is not None:
            key = step_key(flow.name, label, count[label])
            s = dataclasses.replace(s, page=dataclasses.replace(
                s.page, checks=stamp(s.page.checks, key, judged_on(s.page.snapshot)), key=key))
        out.append(dataclasses.replace(s, line=spec.line if spec is not None else flow.start_line))
    return out


def _judge_journey(shared: Session, flow: Flow, steps: list, acted: dict) -> list:
    """Run the journey checks over the walked steps and put each finding on the step where it belongs."""
    from auditor.engine import evidence_from
    if not any(s.status == "ok" for s in steps):
        return steps
    results = _journey_results(shared, flow, steps, acted)
    out = []
    opts = shared.options
    for s in steps:
        extra = results.get(s.index) if s.status == "ok" else None
        if extra and s.page is not None:
            shot = opts.out_dir / s.page.screenshot if opts.out_dir is not None and s.page.screenshot else None
            done = evidence_from(extra, s.page.snapshot, s.page.url, shot, opts.out_dir)
            s = dataclasses.replace(s, page=dataclasses.replace(s.page, checks=s.page.checks + done))
        out.append(s)
    return out


def _journey_finds_here(shared: Session, flow: Flow, steps: list, acted: dict) -> bool:
    """Will a journey check report a finding at the last step (its evidence then needs a full-page screenshot,
    which a step without a new page finding does not take)? Judged on the steps so far: a journey finding at
    a step depends only on that step and the ones before it."""
    last = steps[-1].page
    if last is None or last.snapshot is None or not last.snapshot.prices or not last.screenshot \
            or last.findings:  # no price on the page; or the full page was captured for a page finding
        return False
    if not any(s.scope == "journey" for s in shared.specs):
        return False
    results = _journey_results(shared, flow, steps, acted)
    return any(c.findings for c in results.get(steps[-1].index, ()))


async def _full_page_shot(page, result: PageResult, opts, mask) -> None:
    try:
        await page.screenshot(path=str(opts.out_dir / result.screenshot), full_page=True,
                              timeout=int(opts.settings.timeout * 1000), mask=list(mask))
    except Exception:
        pass


def _opened_settings(step: Step, acted: str, steps: list) -> bool:
    """Did this click open a consent banner's settings layer (the last page's banner had a settings button of
    that name)? Then the page after it is judged as the settings layer, as a scan judges the layer it opens."""
    if step.kind != "click" or not acted:
        return False
    last = next((s.page for s in reversed(steps) if s.status == "ok" and s.page is not None), None)
    if last is None or last.banner is None:
        return False
    def named(text: str) -> bool:
        t = text.strip()
        return bool(t) and (acted == t or acted.startswith(t + " ("))  # "Manage settings (…the banner…)"
    return any(b.state == "understood" and b.layer == 1 and any(x.kind == "settings" and named(x.text)
                                                                  for x in b.buttons) for b in last.banner.banners)


def _submit_guard(facts: dict, flow: Flow, step: Step, state: WalkState, verb: str, lexicon) -> None:
    """Refuse the final click of a purchase or a sign-up unless the flow allows it (``facts`` from TARGET_JS;
    the judgement is auditor/flows/guard.py's)."""
    from auditor.flows.guard import SubmitFacts, judge
    if flow.allow_submit:
        return
    label = facts.get("label") or ""
    what = f"{label!r}" if label else "the form"
    if step.final is True:
        raise StepFailed(f"refused to {verb} {what}: the flow marks it final (final: true; allow_submit: true "
                         f"would let it through)", "refused")
    verdict = judge(SubmitFacts(label=label, link=bool(facts.get("link")), submits=bool(facts.get("submits")),
                                card_form=bool(facts.get("cardForm")), card_page=bool(facts.get("cardPage")),
                                details=bool(facts.get("details")), action=facts.get("action") or "",
                                password_form=bool(facts.get("passwordForm"))),
                    lexicon, enter=verb != "click", walked_details=state.details, vouched=step.final is False)
    if verdict.final:
        raise StepFailed(f"refused to {verb} {what}: {verdict.reason} (the flow needs allow_submit: true, or "
                         f"final: false on this step if it only moves on)", "refused")
    if step.final is False or lexicon.has("final_submit", label) or lexicon.has("signup", label):
        state.notes[step.index] = f"not a final action: {verdict.reason}"


def _locate(page, step: Step, target: str):
    """The element a step acts on: in the page, or in the frame the step names (``frame: SELECTOR``, an
    iframe's selector; ``>>`` chains frames inside frames)."""
    frame = step.arg("frame")
    if not frame:
        return page.locator(target).first
    scope = page
    for part in [p.strip() for p in frame.split(">>") if p.strip()]:
        scope = scope.frame_locator(part)
    return scope.locator(target).first


async def after_action(page) -> None:
    """Let a navigation the action started begin and finish (the audit then waits for quiet)."""
    await asyncio.sleep(0.05)
    try:
        await page.wait_for_load_state("load", timeout=15_000)
    except Exception:
        pass


async def _failure_shot(page, opts, slug: str, index: int, mask) -> str | None:
    if opts.out_dir is None or not opts.evidence:
        return None
    path = opts.out_dir / "screenshots" / f"{slug}-step{index:02d}-failed.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        await page.screenshot(path=str(path), full_page=True, timeout=10_000, mask=list(mask))
        return str(path.relative_to(opts.out_dir))
    except Exception:
        return None


def _carries(request, secrets: tuple[str, ...]) -> bool:
    digits = [s for s in secrets if s.replace(" ", "").isdigit() and len(s.replace(" ", "")) >= 12]
    if not digits:
        return False
    body = ""
    try:
        body = request.post_data or ""
    except Exception:
        body = ""
    hay = re.sub(r"%20|[\s+\-]", "", request.url + " " + body)
    return any(d.replace(" ", "") in hay for d in digits)


async def arm(page, on: bool) -> None:
    """Tell the auditor's world in every frame that a select step is (or is no longer) running."""
    worlds = await Worlds.of(page)
    for f in await worlds.frames():
        try:
            await worlds.call(f, "(on) => { if (window.__auditor) window.__auditor.armed = on; }", on)
        except Exception:
            continue


def in_scope(host: str, scope: tuple[str, ...]) -> bool:
    return any(host == h or host.endswith("." + h) for h in scope)


def _label(step: Step, identity: Identity) -> str:
    label = render(step.label, identity)
    for s in identity.secrets():
        label = label.replace(s, "•" * 8)
    if step.kind == "fill" and not step.name:
        value = render(step.arg("value"), identity)
        shown = "•" * 8 if _secret_value(step, identity) else value
        label = f"fill {render(step.arg('target'), identity)} = {shown}"
    return label


def _secret_value(step: Step, identity: Identity) -> bool:
    """A fill that types a password or card detail (by the identity field it names, or the value itself)."""
    from auditor.flows.identity import SECRET_FIELDS
    raw = step.arg("value") or ""
    if any(f"identity.{f}" in raw.replace(" ", "") for f in SECRET_FIELDS):
        return True
    value = render(raw, identity)
    return any(s in value for s in identity.secrets())


def _short(url: str) -> str:
    return url if len(url) <= 160 else url[:157] + "…"


def one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    msg = text[0] if text else type(exc).__name__
    if "Timeout" in type(exc).__name__ or "Timeout " in msg:
        m = re.search(r"waiting for (.+)", str(exc))
        return f"timed out{': waiting for ' + m.group(1)[:160] if m else ''}"
    return msg[:240]

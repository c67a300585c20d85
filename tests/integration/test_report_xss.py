"""XSS regression for the reports: a run with hostile text in every string field, opened in real Chromium.

The run is built reflectively from the dataclasses in ``auditor/models.py``: every ``str`` (in tuples, in
optional values, as a key or value of the ``Any`` measured values) gets a value made of every payload below,
tagged with an id of its own, so a field added to the models later gets payloads without touching this file;
a field of a type the builder does not know fails the suite (``test_every_model_field_type_is_handled``).

Each payload, if it ran, calls ``window.__pwned(id)``, opens a dialog, navigates, loads something or changes
the document (``<base>``, title, style). The HTML report is opened from disk in the Chromium the product uses,
with every request routed (only the report file itself may load; its pictures are data: URIs), every element
hovered, focused and clicked, and every ``<details>`` opened. Nothing may run, open, navigate or load, and
every field the report shows must be there as visible text, payloads and all (escaped, never dropped). Run
once with the report's Content-Security-Policy and once without it: the CSP is defence in depth, the escaping
must hold on its own.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from auditor import models
from auditor.models import AuditRun
from auditor.report import html_report, json_report

# ``ID`` is replaced by the field's id. None of them may run, load, navigate or restyle anything.
PAYLOADS = (
    "<script>window.__pwned('ID')</script>",
    "<img src=x onerror=\"window.__pwned('ID')\">",
    "<svg onload=\"window.__pwned('ID')\"><circle r=9></circle></svg>",
    "\"><iframe srcdoc=\"<script>parent.__pwned('ID')</script>\"></iframe>",
    "javascript:window.__pwned('ID')//",
    "</style><script>window.__pwned('ID')</script><style>",
    "</textarea><script>window.__pwned('ID')</script><textarea>",
    "</title><script>window.__pwned('ID')</script><title>",
    "--><script>window.__pwned('ID')</script><!--",
    "{{7*7}}{% if true %}ssti-ID{% endif %}{# c #}${7*7}",
    "' onmouseover='window.__pwned(\"ID\")' autofocus onfocus='window.__pwned(\"ID\")' x='",
    "\" onmouseover=\"window.__pwned('ID')\" autofocus onfocus=\"window.__pwned('ID')\" x=\"",
    "<a href=\"javascript:window.__pwned('ID')\">click ID</a>",
    "<meta http-equiv=\"refresh\" content=\"0;url=http://127.0.0.1:9/refresh/ID\">",
    "<base href=\"http://127.0.0.1:9/base/ID/\">",
    "</style><style>*{background:url(http://127.0.0.1:9/css/ID)!important;visibility:hidden!important}</style>",
    "\" style=\"background:url(http://127.0.0.1:9/style-attribute/ID)\" x=\"",
    "red;}*{background:url(http://127.0.0.1:9/css-value/ID)}@import url(http://127.0.0.1:9/import/ID);",
    "<details open ontoggle=\"window.__pwned('ID')\"><summary>ID</summary></details>",
    "<noscript><p title=\"</noscript><img src=x onerror=window.__pwned('ID')>\"></noscript>",
    "<input autofocus onfocus=\"window.__pwned('ID')\"><textarea autofocus onfocus=\"window.__pwned('ID')\">",
)
# every value starts as a URL that must never become live (a field that ends up in an href or src someday is
# tested as such); the two runs give each field the other one
LEADS = ("javascript:window.__pwned('ID')//", "data:text/html,<script>parent.__pwned('ID')</script>")
TEMPLATE_INJECTION = "{{7*7}}"
TITLE = "consent-auditor report"

# fields whose value decides what the report shows (a flow step's page only when the step is "ok"): one of the
# two runs keeps them sane so the branch they guard is rendered; the other has payloads there too
CONTROL = {"FlowStep.status": "ok", "Finding.status": "fail"}

# fields a reader of the HTML report must see (a report that silently dropped them would fail here)
HTML_SHOWS = {
    "AuditRun.tool", "AuditRun.version", "AuditRun.started_at", "AuditRun.finished_at", "BrowserInfo.version",
    "BrowserInfo.user_agent", "RunSettings.locale", "PageResult.url", "PageResult.final_url", "PageResult.title",
    "PageResult.started_at", "PageError.kind", "PageError.message", "PageLanguage.code", "CheckResult.check",
    "CheckResult.outcome", "CheckResult.error", "Finding.check", "Finding.severity", "Finding.confidence",
    "Finding.message", "Finding.frame", "Finding.fingerprint", "Finding.details", "ElementRef.selector",
    "ElementRef.html", "BannerReport.state", "Banner.kind", "Banner.state", "Banner.reason", "BannerButton.text",
    "BannerButton.kind", "ChoiceFacts.action", "ChoiceFacts.button", "ChoiceFacts.at", "ChoiceFacts.error",
    "StateFacts.phase", "StateFacts.at", "CookieFact.name", "CookieFact.domain", "RequestFact.url",
    "RequestFact.resource_type", "RequestFact.frame_url", "RequestFact.at", "Presentation.user_agent",
    "Presentation.brands", "FlowResult.name", "FlowResult.path", "FlowResult.start", "FlowResult.error",
    "FlowResult.identity", "FlowResult.blocked", "FlowResult.refused", "FlowStep.label", "FlowStep.status",
    "FlowStep.at", "FlowStep.error", "FlowStep.note", "Discovery.start", "Discovery.journey", "Discovery.file",
    "Discovery.stopped", "Discovery.notes", "Note.kind", "Note.message",
}
# and the JSON report (it carries more: texts, button facts, storage keys, frame paths, the run settings; not
# the page language)
JSON_SHOWS = (HTML_SHOWS - {"PageLanguage.code"}) | {
    "Finding.text", "Banner.text", "BannerButton.facts", "StorageItem.key", "StorageItem.frame_url",
    "StorageItem.area", "CookieFact.path", "CookieFact.same_site", "RequestFact.method", "FrameSnapshot.path",
    "PageSnapshot.site", "RunSettings.command", "RunSettings.fail_on", "BrowserInfo.executable",
    "FlowResult.trace", "FlowResult.started_at", "FlowStep.kind", "PageResult.screenshot", "Finding.screenshot",
    "ChoiceFacts.screenshot", "PageResult.finished_at",
}

# what the report may contain at all: anything else (a <script>, an <iframe>, an on* attribute, a style
# attribute, a <base>, a second <meta http-equiv>) got there from a page. A template that gains an element or
# attribute of its own adds it here (never an on* or style attribute: the CSP would refuse them anyway)
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "header", "main", "section", "div", "span", "p",
                "h1", "h2", "h3", "b", "code", "pre", "details", "summary", "ul", "li", "table", "tbody", "tr", "th",
                "td", "img", "br", "a"}
ALLOWED_ATTRIBUTES = {"lang", "charset", "http-equiv", "content", "name", "class", "alt", "src", "colspan", "open",
                      "href", "rel"}


# --------------------------------------------------------------------------- the hostile run, built reflectively


@dataclasses.dataclass
class Payload:
    id: str
    owner: str  # Class.field the string sits in
    path: str  # where in the run
    value: str


class HostileRun:
    """An ``AuditRun`` with a payload in every string field. ``sane``: booleans true, the fields in CONTROL kept
    to values that make the report show what they guard; otherwise booleans false and payloads everywhere."""

    def __init__(self, sane: bool):
        self.sane = sane
        self.payloads: list[Payload] = []

    def build(self) -> AuditRun:
        return self.value(AuditRun, "run", "AuditRun", frozenset())

    def text(self, owner: str, path: str) -> str:
        pid = f"F{len(self.payloads):04d}Z"
        # every payload, starting at a different one in each field: a table cell shows its first 300 characters
        start = len(self.payloads) % len(PAYLOADS)
        order = PAYLOADS[start:] + PAYLOADS[:start]
        lead = LEADS[(len(self.payloads) + (0 if self.sane else 1)) % len(LEADS)]
        value = " ".join(p.replace("ID", pid) for p in (lead, "ID") + order)
        self.payloads.append(Payload(pid, owner, path, value))
        return value

    def any_value(self, owner: str, path: str):
        """A measured value: a string, or (the other run) a list of records, which the report shows as a table."""
        if self.sane:
            return self.text(owner, path)
        return [{self.text(owner, f"{path}[0].key"): self.text(owner, f"{path}[0].value"),
                 self.text(owner, f"{path}[0].number"): 1.5}]

    def value(self, tp, path: str, owner: str, stack: frozenset):
        origin = typing.get_origin(tp)
        if tp is str:
            return self.text(owner, path)
        if tp is bool:
            return self.sane
        if tp is int:  # 0 indexes the one frame of the snapshot (a finding's frame path); 2 is a settings layer
            return 0 if self.sane else 2
        if tp is float:
            return 1.5
        if tp is Any:
            return self.any_value(owner, path)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                raise TypeError(f"{path}: no payload for a union of {args!r}")
            if args[0] in stack:  # PageSnapshot.second_layer: a PageSnapshot inside itself, once is enough
                return None
            return self.value(args[0], path, owner, stack)
        if origin is tuple:
            args = typing.get_args(tp)
            if len(args) == 2 and args[1] is Ellipsis:
                return (self.value(args[0], f"{path}[0]", owner, stack),)
            return tuple(self.value(a, f"{path}[{i}]", owner, stack) for i, a in enumerate(args))
        if dataclasses.is_dataclass(tp):
            hints = typing.get_type_hints(tp, vars(models))
            kwargs = {}
            for f in dataclasses.fields(tp):
                name = f"{tp.__name__}.{f.name}"
                if self.sane and name in CONTROL:
                    kwargs[f.name] = CONTROL[name]
                else:
                    kwargs[f.name] = self.value(hints[f.name], f"{path}.{f.name}", name, stack | {tp})
            return tp(**kwargs)
        raise TypeError(f"{path} ({owner}): the XSS suite has no payload for field type {tp!r}; teach "
                        f"HostileRun.value about it")


def _hostile(sane: bool) -> tuple[AuditRun, list[Payload]]:
    h = HostileRun(sane)
    return h.build(), h.payloads


def _shown_forms(p: Payload) -> tuple[str, ...]:
    """How the report may show a field's value: whole, its first 300 characters (a table cell), or as the
    Python literal of it (the button the refusal clicked: "clicked 'Reject all'")."""
    return p.value, p.value[:300], repr(p.value)


# --------------------------------------------------------------------------- no browser needed


def test_every_model_field_type_is_handled():
    """Every dataclass of the model can be built with payloads: a new field of a new kind fails here first."""
    for name, cls in vars(models).items():
        if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == models.__name__:
            for sane in (True, False):
                HostileRun(sane).value(cls, name, name, frozenset())


def test_the_hostile_run_has_a_payload_in_every_string_field():
    run, payloads = _hostile(sane=False)
    owners = {p.owner for p in payloads}

    def strings(value, where):
        if isinstance(value, str):
            yield where, value
        elif dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                yield from strings(getattr(value, f.name), f"{where}.{f.name}")
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                yield from strings(v, f"{where}[{i}]")
        elif isinstance(value, dict):
            for k, v in value.items():
                yield from strings(k, f"{where}.key")
                yield from strings(v, f"{where}[{k!r}]")

    values = {p.value for p in payloads}
    found = list(strings(run, "run"))
    assert found and all(v in values for _, v in found), [w for w, v in found if v not in values][:5]
    assert HTML_SHOWS <= owners and JSON_SHOWS <= owners


@pytest.mark.parametrize("sane", [True, False], ids=["sane-branches", "payload-branches"])
def test_json_report_parses_and_keeps_every_payload_verbatim(tmp_path, sane):
    run, payloads = _hostile(sane)
    path = json_report.write(run, tmp_path / "report.json")
    raw = path.read_text(encoding="utf-8")
    data = json.loads(raw)
    strings = set()

    def walk(v):
        if isinstance(v, str):
            strings.add(v)
        elif isinstance(v, dict):
            for k, x in v.items():
                strings.add(k)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(data)
    present = [p for p in payloads if p.id in raw]
    assert present
    assert [p.path for p in present if p.value not in strings] == []


def test_json_report_keeps_every_field_a_reader_needs():
    shown = set()
    for sane in (True, False):
        run, payloads = _hostile(sane)
        raw = json.dumps(json_report.report_dict(run), ensure_ascii=False)
        shown |= {p.owner for p in payloads if p.id in raw}
    assert not JSON_SHOWS - shown, f"the JSON report dropped {sorted(JSON_SHOWS - shown)}"


def test_html_report_shows_every_field_a_reader_needs():
    shown = set()
    for sane in (True, False):
        run, payloads = _hostile(sane)
        html = html_report.render(run, None)
        shown |= {p.owner for p in payloads if p.id in html}
    assert not HTML_SHOWS - shown, f"the HTML report dropped {sorted(HTML_SHOWS - shown)}"


# --------------------------------------------------------------------------- in Chromium

INIT_SCRIPT = """
(() => {
  // a payload that got as far as being blocked by the CSP is an escaping failure all the same
  document.addEventListener('securitypolicyviolation',
    e => window.__pwned('csp ' + e.violatedDirective + ' ' + e.blockedURI), true);
})();
"""

INTERACT = """
() => {
  const events = ['pointerover', 'pointerenter', 'mouseover', 'mouseenter', 'mousemove', 'mousedown', 'mouseup',
                  'focus', 'focusin', 'animationstart', 'transitionend', 'toggle', 'load', 'error'];
  const all = [...document.querySelectorAll('*')];
  for (const el of all) {
    for (const type of events) el.dispatchEvent(new Event(type, {bubbles: true}));
    if (typeof el.focus === 'function') el.focus();
    if (typeof el.click === 'function') el.click();
  }
  for (const d of document.querySelectorAll('details')) d.open = true;
  return all.length;
}
"""

SNAPSHOT = """
() => {
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (el && el.checkVisibility({visibilityProperty: true, opacityProperty: true, contentVisibilityAuto: true}))
      parts.push(n.data);
  }
  return {
    text: parts.join('\\u0001'),
    elements: [...document.querySelectorAll('*')].map(e => [e.tagName.toLowerCase(),
                                                              [...e.attributes].map(a => [a.name, a.value])]),
    title: document.title,
    baseURI: document.baseURI,
    href: location.href,
    frames: window.frames.length,
  };
}
"""


def _strip_csp(html: str) -> str:
    stripped, n = re.subn(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">', "", html)
    assert n == 1, "the report has no Content-Security-Policy <meta>"
    return stripped


@pytest.mark.browser
@pytest.mark.parametrize("csp", [True, False], ids=["with-csp", "escaping-alone"])
@pytest.mark.parametrize("sane", [True, False], ids=["sane-branches", "payload-branches"])
def test_hostile_report_is_inert_and_shows_the_payloads_as_text(page, tmp_path, sane, csp):
    run, payloads = _hostile(sane)
    out = tmp_path / "out"
    path = html_report.write(run, out / "report.html", out)
    if not csp:
        path.write_text(_strip_csp(path.read_text(encoding="utf-8")), encoding="utf-8")
    url = path.resolve().as_uri()

    pwned, dialogs, requests, blocked, navigations, popups, errors = [], [], [], [], [], [], []
    page.expose_binding("__pwned", lambda source, what: pwned.append(str(what)))
    page.add_init_script(INIT_SCRIPT)
    page.on("dialog", lambda d: (dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url) if r.url != url and not r.url.startswith("data:") else None)
    page.on("framenavigated", lambda f: navigations.append(f.url))
    page.on("popup", lambda p: popups.append(p.url))
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        if r.request.url == url:
            r.continue_()
        else:  # nothing but the report itself may load: abort, so nothing ever leaves this machine
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(url, wait_until="load")
    snap, trouble = None, []
    try:  # a payload that navigated away breaks what follows: the lists above tell what happened, asserted first
        assert page.evaluate(INTERACT) > 50
        for summary in page.locator("summary").all():  # real pointer events too
            summary.hover(timeout=2000)
        page.evaluate("() => { for (const d of document.querySelectorAll('details')) d.open = true; }")
        page.keyboard.press("Tab")
        page.wait_for_timeout(500)  # a meta refresh or a late onload would have fired by now
        snap = page.evaluate(SNAPSHOT)
    except PlaywrightError as exc:
        trouble.append(str(exc).splitlines()[0])

    assert pwned == [], f"payloads ran: {sorted(set(pwned))[:10]}"
    assert dialogs == [], f"dialogs opened: {dialogs[:10]}"
    assert popups == [], f"windows opened: {popups[:10]}"
    assert errors == [], f"script errors (so a script ran): {errors[:10]}"
    assert requests == [] and blocked == [], f"requests left the report: {(requests + blocked)[:10]}"
    assert navigations == [url], f"navigations: {navigations[:10]}"
    assert trouble == [] and snap is not None
    assert snap["href"] == url and snap["baseURI"] == url, f"the document moved: {snap['href']} {snap['baseURI']}"
    assert snap["title"] == TITLE and snap["frames"] == 0

    # nothing in the DOM that a page could have put there
    tags = {t for t, _ in snap["elements"]}
    assert tags <= ALLOWED_TAGS, f"unexpected elements: {tags - ALLOWED_TAGS}"
    for tag, attrs in snap["elements"]:
        for name, value in attrs:
            assert name in ALLOWED_ATTRIBUTES, f"<{tag} {name}={value[:80]!r}>"
            if name == "href":
                assert html_report.safe_url(value) == value, f"<{tag} href={value[:80]!r}>"
            if name == "src":
                assert html_report.safe_url(value, image=True) == value, f"<{tag} src={value[:80]!r}>"
    assert sum(1 for t, _ in snap["elements"] if t == "style") == 1
    metas = [dict(a) for t, a in snap["elements"] if t == "meta"]
    assert [m["http-equiv"] for m in metas if "http-equiv" in m] == (["Content-Security-Policy"] if csp else [])

    # every field the report shows is there as visible text, payloads and all: escaped, not dropped
    source = path.read_text(encoding="utf-8")
    text = snap["text"]
    shown = [p for p in payloads if p.id in source]
    assert shown
    hidden = [p.path for p in shown if not any(form in text for form in _shown_forms(p))]
    assert hidden == [], f"{len(hidden)} field(s) not visible as text, e.g. {hidden[:5]}"
    for payload in PAYLOADS:  # each payload whole, as text, somewhere
        assert any(payload.replace("ID", p.id) in text for p in shown), payload
    # template syntax from a page is text, never evaluated
    assert TEMPLATE_INJECTION in text and "49" not in re.sub(r"F\d{4}Z", "", text)  # ids aside (F0049Z)

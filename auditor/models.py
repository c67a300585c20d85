"""The one result model: snapshots the browser gathers, findings the checks make, the run the reports read.

Every value is a frozen dataclass. Stages return new values (``dataclasses.replace``); nothing is edited in
place. ``to_dict`` / ``from_dict`` turn any of them into JSON-ready data and back, so a saved snapshot can be
judged again later by newer checks (``auditor replay``).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("high", "medium", "low")
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}  # a finding fails a run when at or above its --fail-on
CONFIDENCES = ("high", "medium", "low")

RGBA = tuple[float, float, float, float]


@dataclass(frozen=True)
class Box:
    """A rectangle in CSS pixels of the top document (what a full-page screenshot shows)."""

    x: float
    y: float
    width: float
    height: float

    @property
    def area(self) -> float:
        return max(self.width, 0.0) * max(self.height, 0.0)

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def right(self) -> float:
        return self.x + self.width

    def translate(self, dx: float, dy: float) -> Box:
        return Box(self.x + dx, self.y + dy, self.width, self.height)

    def distance_to(self, other: Box) -> float:
        """Shortest gap between the two rectangles (0 when they touch or overlap)."""
        dx = max(other.x - self.right, self.x - other.right, 0.0)
        dy = max(other.y - self.bottom, self.y - other.bottom, 0.0)
        return math.hypot(dx, dy)


@dataclass(frozen=True)
class ElementRef:
    """Where an element is: its frame, a selector inside that frame, what it looks like."""

    selector: str  # Playwright selector inside the frame; " >> " steps into open shadow roots
    frame: int = 0  # index into PageSnapshot.frames
    html: str = ""  # opening markup, at most 500 characters
    box: Box | None = None  # top-document coordinates; None when the element has no layout box
    text: str = ""  # visible text, normalised and capped


@dataclass(frozen=True)
class SelectOption:
    text: str
    value: str
    index: int
    selected: bool  # selected as loaded
    default_selected: bool  # has the ``selected`` attribute in markup


@dataclass(frozen=True)
class DrawnSwitch:
    """What the page draws for a switch that has no input, role or aria state (its state lives in CSS only)."""

    offset: float  # where the knob sits along the track: 0 at the start (left), 1 at the end (right)
    track: RGBA  # the track's fill
    knob: RGBA = (255.0, 255.0, 255.0, 1.0)
    rtl: bool = False  # right-to-left: "on" is the knob on the left
    backdrop: RGBA = (255.0, 255.0, 255.0, 1.0)  # what is behind the track


@dataclass(frozen=True)
class Control:
    """A checkbox, radio, switch, pressed-toggle or select, with its state as loaded."""

    ref: ElementRef
    kind: str  # checkbox | radio | switch | aria-checkbox | toggle-button | select
    checked: bool
    state_source: str  # markup | script | aria | visual (inferred from the rendering) | person (set by a flow step)
    label: str
    label_ref: ElementRef | None = None
    context: str = ""  # text around it (smallest ancestor holding no other control) and aria-describedby
    group: str = ""  # fieldset legend, radiogroup or select label
    name: str = ""
    value: str = ""
    required: bool = False
    disabled: bool = False
    visible: bool = True
    label_visible: bool = True
    form: str | None = None
    overlay: int | None = None  # index into PageSnapshot.overlays
    options: tuple[SelectOption, ...] = ()
    drawn: DrawnSwitch | None = None  # a switch drawn in CSS only; ``checked`` is inferred (state_source "visual")


@dataclass(frozen=True)
class TextBlock:
    """A block of text that may bind the user, with the computed facts a judge needs."""

    ref: ElementRef
    text: str
    font_size: float
    font_weight: int = 400
    color: RGBA = (0.0, 0.0, 0.0, 1.0)
    background: RGBA = (255.0, 255.0, 255.0, 1.0)  # effective background behind the text
    background_uncertain: bool = False  # an image, gradient or video behind it
    opacity: float = 1.0  # product of opacities through ancestors
    rendered: bool = True  # has a layout box and visibility:visible
    visible_fraction: float = 1.0  # share of its box left after clipping by overflow ancestors
    offscreen: bool = False
    in_closed_details: bool = False
    collapsed: bool = False  # hidden inside a region a collapsed control would reveal
    content_hidden: bool = False  # laid out but never painted (inside a content-visibility: hidden ancestor)
    generated: str = ""  # words drawn by the block's ::before/::after (shown instead of a font-size 0 text)
    action: ElementRef | None = None  # the submit/primary action it most likely governs
    action_distance: float | None = None
    form: str | None = None
    action_form: str | None = None  # the form of the action it governs
    overlay: int | None = None


@dataclass(frozen=True)
class Clickable:
    """A button or link inside an overlay, with what makes it prominent."""

    ref: ElementRef
    text: str
    tag: str
    role: str = ""
    font_size: float = 0.0
    font_weight: int = 400
    color: RGBA = (0.0, 0.0, 0.0, 1.0)
    background: RGBA = (0.0, 0.0, 0.0, 0.0)  # its own background colour
    effective_background: RGBA = (255.0, 255.0, 255.0, 1.0)
    border_width: float = 0.0
    underline: bool = False
    visible: bool = True
    hit: bool = True  # elementFromPoint at its centre lands on it
    backdrop: RGBA = (255.0, 255.0, 255.0, 1.0)  # the effective background behind it (its parent's)
    opacity: float = 1.0  # CSS opacity relative to the overlay it sits in


@dataclass(frozen=True)
class Overlay:
    """A fixed/sticky element, dialog or modal: where banners live."""

    ref: ElementRef
    text: str
    kind: str  # fixed | sticky | dialog | role-dialog | modal | frame
    z_index: int = 0
    visible: bool = True
    clickables: tuple[Clickable, ...] = ()
    inputs: int = 0  # text/email inputs inside (a sign-up or newsletter form)
    background: RGBA = (255.0, 255.0, 255.0, 1.0)  # its effective background colour
    aria_hidden: bool = False
    fields: tuple[tuple[str, int], ...] = ()  # the fields inside by type, as FormInfo.fields (popups without a <form>)

    def count(self, *types: str) -> int:
        return sum(n for t, n in self.fields if t in types)


@dataclass(frozen=True)
class BannerButton:
    """A banner's button as the auditor understood it."""

    ref: ElementRef
    text: str
    kind: str  # accept | reject | settings | save | acknowledge | close | other
    prominence: float = 0.0
    facts: tuple[tuple[str, Any], ...] = ()  # measured values behind the prominence score


@dataclass(frozen=True)
class Banner:
    """A consent banner (or something banner-like the auditor could not understand)."""

    index: int  # overlay index in the snapshot it came from
    ref: ElementRef | None
    kind: str
    layer: int = 1  # 1: as the page loads; 2: the settings layer opened from it
    state: str = "understood"  # understood | needs-review
    reason: str = ""
    buttons: tuple[BannerButton, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class BannerReport:
    state: str = "none"  # none | found | needs-review (per page, never conflated)
    banners: tuple[Banner, ...] = ()


@dataclass(frozen=True)
class FrameSnapshot:
    index: int
    url: str
    path: tuple[str, ...] = ()  # selectors of the iframe elements from the top document down
    parent: int | None = None
    title: str = ""
    lang: str = ""
    offset: tuple[float, float] = (0.0, 0.0)
    element_count: int = 0
    closed_shadow_roots: int = 0
    collector_ms: float = 0.0
    error: str = ""
    nodes_skipped: int = 0  # elements left unread when the collector's node budget ran out
    service_workers: int = 0  # service-worker registrations the frame's scripts asked for (bypassed)


@dataclass(frozen=True)
class FormInfo:
    """A form and the kinds of field it asks for (type -> count; ``card`` for payment-card fields)."""

    frame: int
    selector: str
    fields: tuple[tuple[str, int], ...] = ()

    def count(self, *types: str) -> int:
        return sum(n for t, n in self.fields if t in types)


@dataclass(frozen=True)
class CookieFact:
    name: str
    domain: str
    path: str = "/"
    value_length: int = 0
    http_only: bool = False
    secure: bool = False
    same_site: str = ""
    expires: float = -1.0  # unix time; -1 for a session cookie
    third_party: bool | None = None  # set for another site than the page's (Public Suffix List; auditor/sites.py)


@dataclass(frozen=True)
class StorageItem:
    frame_url: str
    area: str  # local | session
    key: str
    value_length: int = 0


@dataclass(frozen=True)
class RequestFact:
    url: str
    method: str = "GET"
    resource_type: str = ""
    frame_url: str = ""  # the frame that made the request (its initiator)
    at: str = ""  # UTC time it was sent
    t_ms: float = 0.0  # milliseconds since the page load started
    third_party: bool | None = None  # sent to another site than the page's (Public Suffix List; auditor/sites.py)


@dataclass(frozen=True)
class StateFacts:
    """Cookies, storage and requests at one moment of a consent journey."""

    phase: str  # before-choice | after-refusal | after-reload | in-flow (a later step of a walked flow)
    at: str = ""  # UTC time the state was read
    cookies: tuple[CookieFact, ...] = ()
    storage: tuple[StorageItem, ...] = ()
    requests: tuple[RequestFact, ...] = ()  # requests sent during this phase


@dataclass(frozen=True)
class ChoiceFacts:
    """What happened when the auditor refused consent on the banner, in a fresh browser context."""

    action: str  # reject | save-all-off | none
    button: str = ""  # the text of what was clicked
    banner: ElementRef | None = None  # an aimed refusal's is the first load's (its box and markup from there)
    clicked: bool = False
    at: str = ""  # UTC time of the click
    error: str = ""  # why refusing could not be tried or finished
    unticked: int = 0  # second-layer toggles switched off before saving
    banner_returned: bool = False  # the banner showed again after the refusal and a reload
    states: tuple[StateFacts, ...] = ()  # after-refusal, after-reload
    screenshot: str | None = None  # the banner at the moment of the choice (filled by the engine)
    #: the click was aimed with the first load's banner facts, as soon as the button showed (no second read)
    aimed: bool = False
    started: str = ""  # UTC time the fresh context's navigation started (``at`` minus this: time to the click)


@dataclass(frozen=True)
class PriceRow:
    """A label with one amount on the page (a basket line, a fee, a total), and the container grouping it."""

    ref: ElementRef
    label: str
    raw: str  # the amount as shown, e.g. "£129.00"
    amount: float
    currency: str = ""
    container: str = ""  # selector of the element holding this row and at least one other
    struck: bool = False  # shown struck through (an old price)


@dataclass(frozen=True)
class Presentation:
    """How the auditor presented itself to the page, as the page's own scripts saw it (top frame): some consent
    libraries hide their banner from automated browsers, some platforms serve bots another page."""

    webdriver: bool | None = None  # navigator.webdriver
    user_agent: str = ""  # navigator.userAgent
    brands: tuple[str, ...] = ()  # navigator.userAgentData.brands (client hints)
    headless_visible: bool = False  # "HeadlessChrome" anywhere the page can read it


@dataclass(frozen=True)
class PageSnapshot:
    """Plain facts about one loaded page, across all its frames and open shadow roots."""

    url: str
    final_url: str = ""
    title: str = ""
    lang: str = ""
    viewport: tuple[int, int] = (1280, 800)
    frames: tuple[FrameSnapshot, ...] = ()
    controls: tuple[Control, ...] = ()
    texts: tuple[TextBlock, ...] = ()
    overlays: tuple[Overlay, ...] = ()
    forms: tuple[FormInfo, ...] = ()
    collected_at: str = ""
    layer: int = 1  # 2: collected after opening a banner's settings layer
    site: str = ""  # registrable domain of the page (first party)
    states: tuple[StateFacts, ...] = ()  # before-choice cookies, storage and requests
    choice: ChoiceFacts | None = None
    second_layer: PageSnapshot | None = None
    presented: Presentation | None = None
    prices: tuple[PriceRow, ...] = ()

    def form(self, frame: int, selector: str | None) -> FormInfo | None:
        return next((f for f in self.forms if f.frame == frame and f.selector == selector), None) if selector else None

    def frame_url(self, ref: ElementRef | None) -> str:
        if ref is None or not (0 <= ref.frame < len(self.frames)):
            return self.final_url or self.url
        return self.frames[ref.frame].url


@dataclass(frozen=True)
class Finding:
    check: str
    severity: str
    confidence: str
    message: str
    element: ElementRef | None = None
    text: str = ""  # what the user saw, quoted in the message
    details: tuple[tuple[str, Any], ...] = ()  # measured values, in order
    status: str = "fail"  # fail | review (the check could not tell; never fails the gate)
    frame: str = ""  # URL of the frame the element is in (filled by the engine)
    screenshot: str | None = None  # crop with the element outlined (filled by the evidence stage)
    fingerprint: str = ""  # "fp2:..." stable id for baselines (auditor/identity.py; filled by the engine)
    subject: str = ""  # what makes the finding itself when no element says it (sorted cookie names, a button kind)
    baseline: str = ""  # new | known | not-reviewed | expired; "" when the run has no baseline (auditor/baseline.py)

    @property
    def detail_map(self) -> dict[str, Any]:
        return dict(self.details)


OUTCOMES = ("fail", "review", "pass", "not-applicable", "error")


@dataclass(frozen=True)
class CheckResult:
    check: str
    outcome: str  # one of OUTCOMES
    findings: tuple[Finding, ...] = ()
    error: str = ""
    steps: tuple[int | None, ...] = ()  # journey checks: the flow step of each finding, in order


@dataclass(frozen=True)
class PageError:
    """Why a page could not be audited (kinds documented in README.md, "Error kinds")."""

    kind: str  # unreachable | timeout | http-error | not-html | crash | invalid-url | unresponsive |
    #            collection-failed | browser-closed | interrupted | internal
    message: str


@dataclass(frozen=True)
class Artefact:
    """A file of evidence recorded for a page, a flow step or a flow (evidence packs): what it is, when it was
    captured (UTC), and what it was derived from (a crop: its screenshot). ``path`` is relative to the output
    folder. Kinds: screenshot, crop, mhtml, dom, har, console, snapshot, state, text-map, trace, flow-file."""

    path: str
    kind: str
    started_at: str = ""
    finished_at: str = ""
    source: str = ""  # the artefact this one was derived from (relative path), "" for an original
    note: str = ""  # e.g. the frame a DOM file is of, the context a HAR recorded


@dataclass(frozen=True)
class Note:
    """Something the report must say about how a page was audited, though it was audited (kinds documented in
    README.md, "Notes"): dialog, partial-load, screenshot-missing, screenshot-capped, service-worker,
    local-file-blocked, nodes-skipped, frame-not-collected."""

    kind: str
    message: str


@dataclass(frozen=True)
class PageLanguage:
    """The language a page is in and whether the lexicon covers it (``auditor/language.py``)."""

    code: str  # a lexicon language code, the page's own primary language tag, or "und"
    source: str  # lang-attribute | script | words | none
    covered: bool  # the lexicon has a file for it; if not, checks that read words could not judge them

    def describe(self) -> str:
        return f"{self.code}{'' if self.covered else ', not covered'}"


@dataclass(frozen=True)
class Origin:
    """Where a page or flow was named: a flow file, the project config or a targets file, and the line (1-based).
    SARIF points its physical location here (code scanning rejects web addresses as artefact locations)."""

    file: str
    line: int = 1


@dataclass(frozen=True)
class PageResult:
    url: str
    final_url: str = ""
    title: str = ""
    status: int | None = None
    error: PageError | None = None
    screenshot: str | None = None
    checks: tuple[CheckResult, ...] = ()
    snapshot: PageSnapshot | None = None
    started_at: str = ""
    finished_at: str = ""
    banner: BannerReport | None = None
    language: PageLanguage | None = None
    reused: int | None = None  # a flow step that changed nothing: the step whose audit this one reuses
    notes: tuple[Note, ...] = ()
    origin: Origin | None = None  # where the target was named (config or targets file line); None: the command line
    key: str = ""  # the page key its fingerprints are anchored on (auditor/identity.py): address or flow step
    fail_on: str = ""  # the --fail-on that holds for this page after the per-URL overrides ("" : the run's)
    artefacts: tuple[Artefact, ...] = ()  # evidence files recorded for an evidence pack (AuditOptions.record)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for c in self.checks for f in c.findings)


@dataclass(frozen=True)
class BrowserInfo:
    version: str = ""
    user_agent: str = ""
    executable: str = ""
    headless: bool = True
    webdriver_hidden: bool = True  # every audited page read navigator.webdriver as false
    headless_visible: bool = False  # some page could read "HeadlessChrome" (user agent or client hints)


@dataclass(frozen=True)
class RunSettings:
    viewport: tuple[int, int] = (1280, 800)
    locale: str = "en-US"
    timeout: float = 30.0
    quiet_ms: int = 200
    settle_cap_ms: int = 6000
    fail_on: str = "low"
    command: str = ""
    interact: bool = True  # open banner settings and refuse consent to see what the page does


@dataclass(frozen=True)
class AuditRun:
    tool: str
    version: str
    browser: BrowserInfo
    settings: RunSettings
    started_at: str
    finished_at: str = ""
    pages: tuple[PageResult, ...] = field(default_factory=tuple)
    flows: tuple[FlowResult, ...] = field(default_factory=tuple)
    discoveries: tuple[Discovery, ...] = field(default_factory=tuple)
    baseline: BaselineResult | None = None  # set when the run was compared with a baseline file

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Findings of the scanned pages and of every flow step (a flow finding once, at its first step)."""
        return tuple(f for p in self.pages for f in p.findings) + tuple(f for fl in self.flows for f in fl.findings)


@dataclass(frozen=True)
class JourneyStep:
    """What the journey checks see of one flow step: the page after it and what the person acted on."""

    index: int
    kind: str
    label: str
    acted_on: str = ""  # the visible text of what the step clicked, ticked or chose (the person's intent)
    snapshot: PageSnapshot | None = None


@dataclass(frozen=True)
class Journey:
    name: str
    steps: tuple[JourneyStep, ...] = ()


@dataclass(frozen=True)
class FlowStep:
    """One step of a walked flow and the audit of the page after it (only findings new at this step)."""

    index: int  # 1-based; 0 is the start page
    kind: str  # goto | click | fill | ... | start
    label: str
    status: str = "ok"  # ok | failed | refused | blocked
    error: str = ""
    page: PageResult | None = None
    at: str = ""
    note: str = ""  # why the submit guard let a click with final-sounding words through ("a link to another page")
    line: int = 0  # the step's line in the flow file (0: the start page, named on the file's ``start`` line)
    acted_on: str = ""  # the visible text of what the step clicked, ticked or chose (journey checks; replay)


@dataclass(frozen=True)
class FlowResult:
    name: str
    path: str
    start: str
    complete: bool = False
    error: str = ""  # why the flow stopped early
    steps: tuple[FlowStep, ...] = ()
    identity: tuple[tuple[str, str], ...] = ()  # the fake customer, secrets masked
    blocked: tuple[str, ...] = ()  # navigations out of scope, not made
    refused: tuple[str, ...] = ()  # submissions or requests carrying card data, not made
    trace: str | None = None  # Playwright trace (playwright show-trace FILE)
    started_at: str = ""
    finished_at: str = ""
    artefacts: tuple[Artefact, ...] = ()  # the walk's own evidence files (HAR, trace, console, the flow file)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for s in self.steps if s.page is not None for f in s.page.findings)


@dataclass(frozen=True)
class Discovery:
    """One journey automatic discovery looked for from a start page, and the flow file it wrote."""

    start: str
    journey: str  # signup | checkout
    found: bool = False  # a flow of at least one step was written
    file: str = ""  # the flow file (YAML) it wrote, to edit and re-run with `auditor flow`
    steps: int = 0
    stopped: str = ""  # where and why it stopped (reached the payment step, before "Create account", ...)
    notes: tuple[str, ...] = ()  # what it left alone or could not do (a field it could not fill, ...)
    seconds: float = 0.0  # time the discovery took, without the audited walk


@dataclass(frozen=True)
class BaselineEntry:
    """One accepted finding in a baseline file (TOML, reviewed in pull requests)."""

    fingerprint: str
    check: str
    page: str  # the page key or flow step the finding was on
    message: str = ""
    reason: str = ""  # why it is accepted for now; "not reviewed" for an entry --update-baseline added
    owner: str = ""
    expires: str = ""  # ISO date (YYYY-MM-DD); from the day after, the finding fails the run again

    @property
    def reviewed(self) -> bool:
        return bool(self.reason.strip()) and self.reason.strip().lower() != "not reviewed"


@dataclass(frozen=True)
class BaselineResult:
    """How a run compared with its baseline: counts by status, and the entries no longer found (fixed)."""

    path: str
    entries: int = 0
    new: int = 0
    known: int = 0
    not_reviewed: int = 0
    expired: int = 0
    fixed: tuple[BaselineEntry, ...] = ()  # on a page this run audited, and no longer found there
    stale: tuple[BaselineEntry, ...] = ()  # on a page this run did not audit (or of another fingerprint version)
    updated: bool = False  # --update-baseline wrote the current findings into the file
    other_versions: int = 0  # entries written by another fingerprint algorithm (never match; re-baseline)


# --------------------------------------------------------------------------- serialisation


def to_dict(value: Any) -> Any:
    """JSON-ready data for any model value (tuples become lists)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_dict(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_dict(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_dict(v) for k, v in value.items()}
    return value


def from_dict(cls: type, data: Any) -> Any:
    """The inverse of :func:`to_dict` for a model class."""
    return _build(cls, data)


def _build(tp: Any, data: Any) -> Any:
    if data is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(args[0], data) if len(args) == 1 else data
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], d) for d in data)
        if args:
            return tuple(_build(a, d) for a, d in zip(args, data))
        return tuple(data)
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in data:
                kwargs[f.name] = _build(hints[f.name], data[f.name])
        return tp(**kwargs)
    if tp is Any:
        return tuple(tuple(x) for x in data) if isinstance(data, list) and data and isinstance(data[0], list) else data
    return data

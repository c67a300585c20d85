"""Small builders for snapshot values, so unit tests read like the page they describe."""

from __future__ import annotations

from auditor.lexicon import load
from auditor.models import Box, Clickable, Control, ElementRef, Overlay, PageSnapshot, SelectOption, TextBlock
from auditor.registry import CheckContext, discover, run_check

_n = [0]


def ref(text: str = "", box: Box | None = Box(10, 10, 200, 20), frame: int = 0) -> ElementRef:
    _n[0] += 1
    return ElementRef(selector=f"#el{_n[0]}", frame=frame, html=f"<div id=el{_n[0]}>", box=box, text=text)


def control(label: str, checked: bool = True, kind: str = "checkbox", **kw) -> Control:
    kw.setdefault("state_source", "markup" if kind in ("checkbox", "radio") else "aria")
    return Control(ref=kw.pop("ref", None) or ref(), kind=kind, checked=checked, label=label,
                   label_ref=kw.pop("label_ref", None) or ref(label), **kw)


def select(label: str, options: list[str], selected: int = 0, **kw) -> Control:
    opts = tuple(SelectOption(t, f"v{i}", i, i == selected, i == selected) for i, t in enumerate(options))
    return Control(ref=ref(options[selected]), kind="select", checked=True, state_source="markup", label=label,
                   options=opts, **kw)


def text(t: str, **kw) -> TextBlock:
    kw.setdefault("font_size", 14.0)
    kw.setdefault("color", (51.0, 51.0, 51.0, 1.0))
    return TextBlock(ref=kw.pop("ref", None) or ref(t), text=t, **kw)


def button(t: str, **kw) -> Clickable:
    kw.setdefault("tag", "button")
    return Clickable(ref=ref(t), text=t, **kw)


def overlay(t: str, buttons: list[str], **kw) -> Overlay:
    kw.setdefault("kind", "fixed")
    return Overlay(ref=ref(t, Box(0, 700, 1280, 100)), text=t, clickables=tuple(button(b) for b in buttons), **kw)


def page(controls=(), texts=(), overlays=()) -> PageSnapshot:
    return PageSnapshot(url="http://127.0.0.1/test", controls=tuple(controls), texts=tuple(texts),
                        overlays=tuple(overlays))


CTX = CheckContext(lexicon=load())
SPECS = {s.id: s for s in discover()}


def run(check_id: str, snap: PageSnapshot, ctx: CheckContext = CTX):
    return run_check(SPECS[check_id], snap, ctx, debug=True)


# --------------------------------------------------------------------------- banners and consent journeys

from auditor.models import ChoiceFacts, CookieFact, RequestFact, StateFacts  # noqa: E402

WHITE = (255.0, 255.0, 255.0, 1.0)
TRANSPARENT = (0.0, 0.0, 0.0, 0.0)


def styled_button(t: str, width: float = 200.0, height: float = 40.0, *, fill=None, color=(0.0, 0.0, 0.0, 1.0),
                  border: float = 0.0, backdrop=WHITE, **kw) -> Clickable:
    """A banner clickable of a measured size: ``fill`` is its own background colour (None: none, like a link)."""
    kw.setdefault("tag", "button" if fill is not None or border else "a")
    kw.setdefault("font_size", 14.0)
    kw.setdefault("effective_background", fill if fill is not None else backdrop)
    return Clickable(ref=ref(t, Box(0, 0, width, height)), text=t, color=color,
                     background=fill if fill is not None else TRANSPARENT, border_width=border, backdrop=backdrop, **kw)


def styled_overlay(t: str, clickables, **kw) -> Overlay:
    """Like :func:`overlay`, with clickables built by the caller (see :func:`styled_button`)."""
    kw.setdefault("kind", "fixed")
    return Overlay(ref=ref(t, Box(0, 700, 1280, 100)), text=t, clickables=tuple(clickables), **kw)


def cookie(name: str, domain: str = ".shop.example", **kw) -> CookieFact:
    return CookieFact(name=name, domain=domain, **kw)


def request(url: str, **kw) -> RequestFact:
    kw.setdefault("resource_type", "script")
    kw.setdefault("frame_url", "https://shop.example/")
    return RequestFact(url=url, **kw)


def phase_state(phase: str, cookies=(), requests=(), at: str = "2026-01-01T10:00:05Z") -> StateFacts:
    """Cookies and requests at one moment of a consent journey (before-choice | after-refusal | after-reload)."""
    return StateFacts(phase=phase, at=at, cookies=tuple(cookies), requests=tuple(requests))


def refusal(states=(), clicked: bool = True, button: str = "Reject all", **kw) -> ChoiceFacts:
    """What happened after the auditor refused consent (a ChoiceFacts)."""
    kw.setdefault("action", "reject")
    kw.setdefault("at", "2026-01-01T10:00:06Z")
    kw.setdefault("banner", ref("We use cookies", Box(0, 700, 1280, 100)) if clicked else None)
    return ChoiceFacts(button=button, clicked=clicked, states=tuple(states), **kw)


def journey(overlays=(), states=(), choice=None, **kw) -> PageSnapshot:
    """A page with its consent journey: overlays, before-choice states and the refusal."""
    return PageSnapshot(url="https://shop.example/", site="shop.example", overlays=tuple(overlays),
                        states=tuple(states), choice=choice, **kw)


# --------------------------------------------------------------------------- audit runs (for the report formats)

from auditor.models import (AuditRun, BaselineResult, BrowserInfo, CheckResult, Finding,  # noqa: E402
                            FlowResult, FlowStep, Origin, PageError, PageResult, RunSettings)

RUN_START = "2026-01-01T10:00:00.000Z"


def finding(check: str, message: str, severity: str = "high", *, baseline: str = "", status: str = "fail",
            fingerprint: str | None = None, **kw) -> Finding:
    """A judged finding with a fingerprint (``fp2:`` and 24 hex digits derived from the message unless given)."""
    import hashlib
    fp = fingerprint or "fp2:" + hashlib.sha256(f"{check}|{message}".encode("utf-8", "surrogatepass")).hexdigest()[:24]
    kw.setdefault("confidence", "high")
    kw.setdefault("element", ref(message[:40]))
    return Finding(check=check, severity=severity, message=message, baseline=baseline, status=status,
                   fingerprint=fp, **kw)


def check_result(check: str, *found: Finding, outcome: str | None = None, error: str = "") -> CheckResult:
    """A check's result: ``fail`` / ``review`` from its findings, else ``pass`` (or the ``outcome`` given)."""
    if outcome is None:
        outcome = ("fail" if any(f.status == "fail" for f in found) else "review") if found else "pass"
    return CheckResult(check=check, outcome=outcome, findings=tuple(found), error=error)


def page_result(url: str, *checks: CheckResult, origin: Origin | None = None, error: PageError | None = None,
                seconds: float = 2.5, **kw) -> PageResult:
    kw.setdefault("started_at", "2026-01-01T10:00:01.000Z")
    kw.setdefault("finished_at", f"2026-01-01T10:00:{1 + seconds:06.3f}Z")
    return PageResult(url=url, checks=tuple(checks), origin=origin, error=error, **kw)


def flow_step(index: int, label: str, page: PageResult | None = None, *, line: int = 0, kind: str = "click",
              **kw) -> FlowStep:
    return FlowStep(index=index, kind="start" if index == 0 else kind, label=label, page=page, line=line, **kw)


def flow_result(name: str, path: str, *steps: FlowStep, complete: bool = True, **kw) -> FlowResult:
    kw.setdefault("start", steps[0].label if steps else "https://shop.example/")
    kw.setdefault("started_at", "2026-01-01T10:00:10.000Z")
    kw.setdefault("finished_at", "2026-01-01T10:00:22.500Z")
    return FlowResult(name=name, path=path, steps=tuple(steps), complete=complete, **kw)


def audit_run(pages=(), flows=(), *, baseline: BaselineResult | None = None, fail_on: str = "low",
              command: str = "auditor scan https://shop.example/", version: str = "0.1.0") -> AuditRun:
    return AuditRun(tool="consent-auditor", version=version, browser=BrowserInfo(version="Chromium 130"),
                    settings=RunSettings(fail_on=fail_on, command=command), started_at=RUN_START,
                    finished_at="2026-01-01T10:00:30.000Z", pages=tuple(pages), flows=tuple(flows), baseline=baseline)

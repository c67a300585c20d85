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

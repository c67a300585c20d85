"""How a check is declared, found and run.

A check is a module in the top-level ``checks`` package whose file name is its id in snake_case. It declares
one function with :func:`check`; the function reads a :class:`PageSnapshot` and yields :class:`Hit` values.
It never touches the browser. Its documentation is the module docstring with the sections in ``DOC_SECTIONS``.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from auditor.config import Thresholds
from auditor.lexicon import Lexicon
from auditor.models import CONFIDENCES, SEVERITIES, CheckResult, ElementRef, Finding, PageSnapshot

DOC_SECTIONS = ("What it finds", "Why it matters", "Example", "How to fix", "References")
ID_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class NotApplicable(Exception):
    """Raised by a check when the page has nothing it could judge."""


@dataclass(frozen=True)
class Hit:
    """What a check yields; the runner turns it into a :class:`Finding` with the check's id and severity."""

    element: ElementRef | None
    message: str
    text: str = ""
    confidence: str = "high"
    details: tuple[tuple[str, Any], ...] = ()
    status: str = "fail"
    severity: str | None = None  # overrides the check's severity for this hit
    step: int | None = None  # journey checks: the flow step the finding belongs to (where it first shows)
    #: what makes this finding itself, for its fingerprint, when the element alone does not say it: the sorted
    #: cookie names set before a choice, the banner button kind, the purpose of a bundled consent. Never a
    #: measured value (a contrast ratio, a count) that moves without the pattern changing.
    subject: str = ""


@dataclass(frozen=True)
class CheckContext:
    lexicon: Lexicon
    thresholds: Thresholds = Thresholds()
    tracker_files: tuple[str, ...] = ()  # extra tracker lists (config [trackers] files)


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    severity: str
    tags: tuple[str, ...]
    references: tuple[str, ...]
    func: Callable[[PageSnapshot, CheckContext], Iterable[Hit]]
    module: str
    doc: str
    scope: str = "page"  # page: judges one PageSnapshot; journey: judges a walked flow (a Journey)

    def sections(self) -> dict[str, str]:
        return parse_sections(self.doc)


def check(*, id: str, title: str, severity: str, tags: Iterable[str] = (), references: Iterable[str] = (),
          scope: str = "page"):
    """Declare a check function: ``(PageSnapshot, CheckContext)``, or with ``scope="journey"``
    ``(Journey, CheckContext)`` yielding hits that name their ``step``."""
    if severity not in SEVERITIES:
        raise ValueError(f"check {id}: severity must be one of {SEVERITIES}")
    if scope not in ("page", "journey"):
        raise ValueError(f"check {id}: scope must be page or journey")

    def mark(func):
        func.__check__ = dict(id=id, title=title, severity=severity, tags=tuple(tags), references=tuple(references),
                              scope=scope)
        return func

    return mark


def parse_sections(doc: str) -> dict[str, str]:
    sections: dict[str, str] = {}
    current = None
    for line in (doc or "").splitlines():
        m = re.match(r"^##\s+(.+?)\s*$", line)
        if m:
            current = m.group(1)
            sections[current] = ""
        elif current:
            sections[current] += line + "\n"
    return {k: v.strip() for k, v in sections.items()}


def discover(package: str = "auditor.checks") -> tuple[CheckSpec, ...]:
    """Import every module of the checks package and return their checks, sorted by id."""
    pkg = importlib.import_module(package)
    specs: dict[str, CheckSpec] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{package}.{info.name}")
        for obj in vars(mod).values():
            meta = getattr(obj, "__check__", None)
            if meta is None or getattr(obj, "__module__", None) != mod.__name__:
                continue
            if meta["id"] in specs:
                raise ValueError(f"duplicate check id {meta['id']!r} in {mod.__name__} and {specs[meta['id']].module}")
            specs[meta["id"]] = CheckSpec(func=obj, module=mod.__name__, doc=mod.__doc__ or "", **meta)
    return tuple(specs[k] for k in sorted(specs))


def run_check(spec: CheckSpec, page: PageSnapshot, ctx: CheckContext, debug: bool = False) -> CheckResult:
    """Run one check; an exception becomes an error result (re-raised with ``debug``)."""
    try:
        hits = list(spec.func(page, ctx))
    except NotApplicable:
        return CheckResult(spec.id, "not-applicable")
    except Exception as exc:  # a broken check must not stop the run
        if debug:
            raise
        return CheckResult(spec.id, "error", error=f"{type(exc).__name__}: {exc}")
    findings = []
    for h in hits:
        if h.confidence not in CONFIDENCES:
            raise ValueError(f"{spec.id}: bad confidence {h.confidence!r}")
        findings.append(Finding(check=spec.id, severity=h.severity or spec.severity, confidence=h.confidence,
                                message=h.message, element=h.element, text=h.text, details=tuple(h.details),
                                status=h.status, subject=h.subject))
    if not findings:
        return CheckResult(spec.id, "pass")
    outcome = "fail" if any(f.status == "fail" for f in findings) else "review"
    return CheckResult(spec.id, outcome, tuple(findings), steps=tuple(h.step for h in hits))


def judge(page: PageSnapshot, specs: Iterable[CheckSpec], ctx: CheckContext, debug: bool = False) -> tuple[CheckResult, ...]:
    """Run the page checks on one snapshot (journey checks need a walked flow: :func:`judge_journey`)."""
    return tuple(run_check(s, page, ctx, debug) for s in specs if s.scope == "page")


def judge_journey(journey, specs: Iterable[CheckSpec], ctx: CheckContext,
                  debug: bool = False) -> dict[int, tuple[CheckResult, ...]]:
    """Run the journey checks on a walked flow; returns, per step index, a result for every journey check
    (findings at the step they belong to; a check that found nothing passes at the last step)."""
    steps = [s.index for s in journey.steps] or [0]
    out: dict[int, list[CheckResult]] = {i: [] for i in steps}
    for spec in (s for s in specs if s.scope == "journey"):
        result = run_check(spec, journey, ctx, debug)
        by_step: dict[int, list[Finding]] = {}
        for f, step in zip(result.findings, result.steps):
            by_step.setdefault(step if step in out else steps[-1], []).append(f)
        for i in steps:
            found = tuple(by_step.get(i, ()))
            if found:
                outcome = "fail" if any(f.status == "fail" for f in found) else "review"
                out[i].append(CheckResult(spec.id, outcome, found))
            elif i == steps[-1] and not by_step:
                out[i].append(dataclasses.replace(result, findings=(), steps=()))
    return {i: tuple(v) for i, v in out.items()}


def quote(text: str, limit: int = 120) -> str:
    """Text as the user saw it, shortened for a message."""
    t = " ".join((text or "").split())
    return t if len(t) <= limit else t[: limit - 1].rstrip() + "…"


def with_fields(finding: Finding, **changes) -> Finding:
    return dataclasses.replace(finding, **changes)

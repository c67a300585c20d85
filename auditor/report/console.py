"""The console view: a table of findings per page, then a one-line summary."""

from __future__ import annotations

import re

from rich.console import Console
from rich.table import Table
from rich.text import Text

from auditor.models import AuditRun

SEV_STYLE = {"high": "bold red", "medium": "yellow", "low": "dim", "review": "cyan"}

# what a page could use to take over a terminal: C0 and C1 controls (ESC starts colour, cursor, clear-screen and
# window-title sequences; U+009B is a one-character CSI), DEL, line breaks that would forge report lines, and the
# bidirectional overrides and isolates that reorder what is shown
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: object) -> str:
    """Page-controlled text made safe for a terminal: every control character becomes U+FFFD (tabs and line
    breaks a space), so what the page wrote stays visible as text and nothing it wrote is obeyed."""
    return _CONTROL.sub(lambda m: " " if m.group() in "\t\n\r" else "\ufffd", str(text))


class SafeConsole(Console):
    """A console whose plain-string messages are cleaned (``clean``) before rich sees them: the CLI's progress
    and error lines carry URLs, titles and error texts that a page or a file controls."""

    def print(self, *objects, **kwargs) -> None:  # noqa: A003 -- rich's name
        super().print(*(clean(o) if isinstance(o, str) else o for o in objects), **kwargs)


def _t(text: object, style: str = "") -> Text:
    return Text(clean(text), style=style)


def show(run: AuditRun, console: Console) -> None:
    for p in run.pages:
        head = _t(p.url, style="bold")
        if p.title:
            head.append(clean(f"  {p.title}"), style="dim")
        console.print(head)
        for n in p.notes:
            console.print(_t(f"  note: {n.kind}: {n.message}", style="yellow"))
        if p.error:
            console.print(_t(f"  not audited: {p.error.kind}: {p.error.message}", style="red"))
            continue
        if p.language is not None:
            console.print(_t(f"  language: {p.language.describe()}",
                               style="dim" if p.language.covered else "yellow"))
        if p.banner is not None:
            console.print(_t("  " + banner_line(p), style="dim"))
        if not p.findings:
            console.print(Text("  no findings", style="green"))
            continue
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, expand=False)
        table.add_column("severity", no_wrap=True)
        table.add_column("check", no_wrap=True)
        table.add_column("finding", overflow="fold")
        for f in p.findings:
            sev = "review" if f.status == "review" else f.severity
            table.add_row(_t(sev, style=SEV_STYLE.get(sev, "")), _t(f.check),
                          _t(f.message + (f" [{f.baseline}]" if f.baseline else "")))
        console.print(table)
    for d in run.discoveries:
        show_discovery(d, console)
    for fl in run.flows:
        show_flow(fl, console)
    fails = [f for f in run.findings if f.status == "fail"]
    bad = sum(1 for p in run.pages if p.error) + sum(1 for fl in run.flows if not fl.complete)
    by_sev = ", ".join(f"{n} {s}" for s in ("high", "medium", "low") if (n := sum(f.severity == s for f in fails)))
    what = f"{len(run.flows)} flow(s)" if run.flows and not run.pages else f"{len(run.pages)} page(s)"
    console.print(_t(f"{what}, {len(fails)} finding(s)" + (f" ({by_sev})" if by_sev else "")
                       + (f", {bad} {'flow(s) incomplete' if run.flows and not run.pages else 'page(s) not audited'}"
                          if bad else ""), style="bold"))
    if run.baseline is not None:
        show_baseline(run.baseline, console)


def show_baseline(b, console: Console) -> None:
    """How the run compared with its baseline, and the entries whose finding is gone."""
    console.print(_t(f"baseline {b.path}{' (updated)' if b.updated else ''}: {b.new} new, {b.known} known, "
                     f"{b.not_reviewed} not reviewed, {b.expired} expired, {len(b.fixed)} fixed, "
                     f"{len(b.stale)} stale", style="bold" if (b.new or b.expired) else "dim"))
    for e in b.fixed:
        console.print(_t(f"  fixed: {e.check} on {e.page}: {e.message}", style="green"))
    for e in b.stale[:20]:
        console.print(_t(f"  stale: {e.check} on {e.page} (not audited in this run"
                         f"{', or another fingerprint version' if not e.fingerprint.startswith('fp2:') else ''})",
                         style="dim"))


def show_discovery(d, console: Console) -> None:
    """One discovered journey: the flow file it wrote and where it stopped, or why nothing was found."""
    head = _t(f"discovered {d.journey}: ", style="bold")
    if d.found:
        head.append(clean(f"{d.file} ({d.steps} step(s), {d.seconds:.1f} s)"))
    else:
        head.append("not found", style="red")
    head.append(clean(f"  from {d.start}"), style="dim")
    console.print(head)
    if d.stopped:
        console.print(_t(f"  {'stopped: ' if d.found else ''}{d.stopped}", style="dim" if d.found else "red"))
    for n in d.notes:
        console.print(_t(f"  note: {n}", style="yellow"))


def show_flow(fl, console: Console) -> None:
    """A journey step by step: each step's new findings under it."""
    head = _t(f"flow: {fl.name}", style="bold")
    head.append(clean(f"  {fl.path}"), style="dim")
    console.print(head)
    for st in fl.steps:
        mark = {"ok": "✓", "failed": "✗", "refused": "⛔", "blocked": "⛔"}.get(st.status, "?")
        new = [f for f in (st.page.findings if st.page is not None else ())]
        line = _t(f"  {mark} step {st.index}: {st.label}", style="red" if st.status != "ok" else "")
        if st.page is not None and st.page.url and st.status == "ok":
            line.append(clean(f"  {st.page.url}"), style="dim")
        console.print(line)
        if st.error:
            console.print(_t(f"      {st.error}", style="red"))
        if st.note:
            console.print(_t(f"      submit guard: {st.note}", style="dim"))
        for f in new:
            sev = "review" if f.status == "review" else f.severity
            row = Text("      ")
            row.append(clean(f"{sev:7}"), style=SEV_STYLE.get(sev, ""))
            row.append(clean(f" {f.check}: {f.message}"))
            console.print(row)
    for b in fl.blocked:
        console.print(_t(f"  blocked (out of scope): {b}", style="yellow"))
    for r in fl.refused:
        console.print(_t(f"  refused: {r}", style="yellow"))
    if fl.trace:
        console.print(_t(f"  trace: {fl.trace} (playwright show-trace)", style="dim"))


def banner_line(p) -> str:
    """"banner: found (first layer: Accept all=accept, Reject all=reject); refused: clicked 'Reject all'"."""
    report = p.banner
    parts = []
    for b in report.banners:
        where = "settings layer" if b.layer == 2 else "first layer"
        if b.state != "understood":
            parts.append(clean(f"{where}: needs review ({b.reason})"))
            continue
        named = ", ".join(f"{x.text[:30]}={x.kind}" for x in b.buttons if x.kind != "other")
        parts.append(clean(f"{where}: {named or 'no buttons named'}"))
    line = f"banner: {report.state}" + (f" ({'; '.join(parts)})" if parts else "")
    choice = p.snapshot.choice if p.snapshot is not None else None
    if choice is not None:
        line += f"; refusal: clicked {choice.button!r}" if choice.clicked else f"; refusal not made: {choice.error}"
    return line

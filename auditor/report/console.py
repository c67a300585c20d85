"""The console view: a table of findings per page, then a one-line summary."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from auditor.models import AuditRun

SEV_STYLE = {"high": "bold red", "medium": "yellow", "low": "dim", "review": "cyan"}


def show(run: AuditRun, console: Console) -> None:
    for p in run.pages:
        head = Text(p.url, style="bold")
        if p.title:
            head.append(f"  {p.title}", style="dim")
        console.print(head)
        if p.error:
            console.print(Text(f"  not audited: {p.error.kind}: {p.error.message}", style="red"))
            continue
        if p.language is not None:
            console.print(Text(f"  language: {p.language.describe()}",
                               style="dim" if p.language.covered else "yellow"))
        if p.banner is not None:
            console.print(Text("  " + banner_line(p), style="dim"))
        if not p.findings:
            console.print(Text("  no findings", style="green"))
            continue
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, expand=False)
        table.add_column("severity", no_wrap=True)
        table.add_column("check", no_wrap=True)
        table.add_column("finding", overflow="fold")
        for f in p.findings:
            sev = "review" if f.status == "review" else f.severity
            table.add_row(Text(sev, style=SEV_STYLE.get(sev, "")), Text(f.check), Text(f.message))
        console.print(table)
    for d in run.discoveries:
        show_discovery(d, console)
    for fl in run.flows:
        show_flow(fl, console)
    fails = [f for f in run.findings if f.status == "fail"]
    bad = sum(1 for p in run.pages if p.error) + sum(1 for fl in run.flows if not fl.complete)
    by_sev = ", ".join(f"{n} {s}" for s in ("high", "medium", "low") if (n := sum(f.severity == s for f in fails)))
    what = f"{len(run.flows)} flow(s)" if run.flows and not run.pages else f"{len(run.pages)} page(s)"
    console.print(Text(f"{what}, {len(fails)} finding(s)" + (f" ({by_sev})" if by_sev else "")
                       + (f", {bad} {'flow(s) incomplete' if run.flows and not run.pages else 'page(s) not audited'}"
                          if bad else ""), style="bold"))


def show_discovery(d, console: Console) -> None:
    """One discovered journey: the flow file it wrote and where it stopped, or why nothing was found."""
    head = Text(f"discovered {d.journey}: ", style="bold")
    if d.found:
        head.append(f"{d.file} ({d.steps} step(s), {d.seconds:.1f} s)")
    else:
        head.append("not found", style="red")
    head.append(f"  from {d.start}", style="dim")
    console.print(head)
    if d.stopped:
        console.print(Text(f"  {'stopped: ' if d.found else ''}{d.stopped}", style="dim" if d.found else "red"))
    for n in d.notes:
        console.print(Text(f"  note: {n}", style="yellow"))


def show_flow(fl, console: Console) -> None:
    """A journey step by step: each step's new findings under it."""
    head = Text(f"flow: {fl.name}", style="bold")
    head.append(f"  {fl.path}", style="dim")
    console.print(head)
    for st in fl.steps:
        mark = {"ok": "✓", "failed": "✗", "refused": "⛔", "blocked": "⛔"}.get(st.status, "?")
        new = [f for f in (st.page.findings if st.page is not None else ())]
        line = Text(f"  {mark} step {st.index}: {st.label}", style="red" if st.status != "ok" else "")
        if st.page is not None and st.page.url and st.status == "ok":
            line.append(f"  {st.page.url}", style="dim")
        console.print(line)
        if st.error:
            console.print(Text(f"      {st.error}", style="red"))
        if st.note:
            console.print(Text(f"      submit guard: {st.note}", style="dim"))
        for f in new:
            sev = "review" if f.status == "review" else f.severity
            row = Text("      ")
            row.append(f"{sev:7}", style=SEV_STYLE.get(sev, ""))
            row.append(f" {f.check}: {f.message}")
            console.print(row)
    for b in fl.blocked:
        console.print(Text(f"  blocked (out of scope): {b}", style="yellow"))
    for r in fl.refused:
        console.print(Text(f"  refused: {r}", style="yellow"))
    if fl.trace:
        console.print(Text(f"  trace: {fl.trace} (playwright show-trace)", style="dim"))


def banner_line(p) -> str:
    """"banner: found (first layer: Accept all=accept, Reject all=reject); refused: clicked 'Reject all'"."""
    report = p.banner
    parts = []
    for b in report.banners:
        where = "settings layer" if b.layer == 2 else "first layer"
        if b.state != "understood":
            parts.append(f"{where}: needs review ({b.reason})")
            continue
        named = ", ".join(f"{x.text[:30]}={x.kind}" for x in b.buttons if x.kind != "other")
        parts.append(f"{where}: {named or 'no buttons named'}")
    line = f"banner: {report.state}" + (f" ({'; '.join(parts)})" if parts else "")
    choice = p.snapshot.choice if p.snapshot is not None else None
    if choice is not None:
        line += f"; refusal: clicked {choice.button!r}" if choice.clicked else f"; refusal not made: {choice.error}"
    return line

"""GitHub-flavoured Markdown for ``$GITHUB_STEP_SUMMARY`` and merge-request / pull-request comments.

A heading with the verdict, a table of counts (pages, flows, findings by severity, and with a baseline: new,
known, not reviewed, expired, fixed), then the sections *New*, *Expired* and *Fixed*, with *Known* (known and
not reviewed) and *Needs review* folded in ``<details>``. Without a baseline, *New* lists every failing finding.
Each section is a table: severity, check (linked to its documentation), page (its address, or
"flow › step N: label"), message; at most ``max_rows`` rows a section (GitHub caps a comment at 65,536
characters and a step summary at 1 MiB).

Page text is hostile. Every cell is plain text made inert (:func:`cell`): control characters and line breaks
go (no table break), ``|`` is escaped (no cell break), Markdown punctuation is backslash-escaped and ``<`` ``>``
``&`` become entities (no HTML, no link, no image, no emphasis, no code span), and a zero-width space is put
into ``://``, ``www.``, ``@`` and ``#<digit>`` so neither GitHub's nor GitLab's renderer turns a quoted address
into a link, an e-mail address into a mailto link, or ``@team`` into a mention.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from auditor.models import AuditRun, BaselineEntry
from auditor.registry import ID_RE, CheckSpec
from auditor.report.console import clean
from auditor.report.sarif import TOOL_NAME, Placed, doc_url, fail_floor, fails, placed

MAX_CELL = 300
ZWSP = "\u200b"
#: characters that could start markup inside a table cell: code spans, emphasis, links and images, cell breaks,
#: strikethrough, math (``$``) and emoji shortcodes (``:x:``); ``<`` ``>`` ``&`` become entities instead
_MARKUP = re.compile(r"([\\`*_\[\]|~$:])")
_DEFANG = (
    (re.compile(r":(?=//)"), ":" + ZWSP),  # scheme://host
    (re.compile(r"(?i)\b(www)(?=\.)"), r"\1" + ZWSP),  # www.host
    (re.compile(r"@"), "@" + ZWSP),  # e-mail autolinks and @mentions
    (re.compile(r"#(?=\d)"), "#" + ZWSP),  # #123 issue references
)


def cell(text: object, limit: int = MAX_CELL) -> str:
    """Page text as the content of one Markdown table cell that renders as exactly that text."""
    t = " ".join(clean(text).split())
    if len(t) > limit:
        t = t[: limit - 1].rstrip() + "…"
    for pattern, repl in _DEFANG:
        t = pattern.sub(repl, t)
    t = t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKUP.sub(r"\\\1", t)


def _link(url: str) -> str:
    """A link target that cannot end the Markdown link early."""
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")


def _check(check_id: str, link: Callable[[str], str]) -> str:
    if not ID_RE.match(check_id or ""):
        return cell(check_id)
    url = link(check_id)
    return f"[{check_id}]({_link(url)})" if url else check_id


def _row(sev: str, check: str, page: str, message: str) -> str:
    return f"| {sev} | {check} | {page} | {message} |"


_HEAD = "| Severity | Check | Page | Message |\n|---|---|---|---|"


def _table(items: list[Placed], link: Callable[[str], str], max_rows: int) -> list[str]:
    out = [_HEAD]
    for it in items[:max_rows]:
        f = it.finding
        sev = "review" if f.status == "review" else f.severity
        status = f" ({f.baseline})" if f.baseline == "not-reviewed" else ""
        out.append(_row(sev + status, _check(f.check, link), cell(it.where()), cell(f.message)))
    if len(items) > max_rows:
        out.append(f"\n… and {len(items) - max_rows} more (see the full report).")
    return out


def _fixed_table(entries: tuple[BaselineEntry, ...], link: Callable[[str], str], max_rows: int) -> list[str]:
    out = ["| Check | Page | Message |\n|---|---|---|"]
    for e in entries[:max_rows]:
        out.append(f"| {_check(e.check, link)} | {cell(e.page)} | {cell(e.message)} |")
    if len(entries) > max_rows:
        out.append(f"\n… and {len(entries) - max_rows} more.")
    return out


def _section(title: str, body: list[str], folded: bool = False) -> list[str]:
    if folded:
        return ["<details>", f"<summary>{title}</summary>", "", *body, "", "</details>", ""]
    return [f"### {title}", "", *body, ""]


def render(run: AuditRun, specs: tuple[CheckSpec, ...] = (), *, doc_url: Callable[[str], str] = doc_url,
           fail_on: str | Callable[[str], str] | None = None, title: str = "Consent audit",
           max_rows: int = 50) -> str:
    """The summary as Markdown text. ``doc_url(check_id)``: the link of a check (default: the README section);
    ``fail_on``: a severity or a function of the page address (default: the run's); ``title``: the heading."""
    link = doc_url
    floor = fail_floor(fail_on, run)
    items = placed(run)
    fail_items = [it for it in items if it.finding.status == "fail"]
    review = [it for it in items if it.finding.status == "review"]
    gating = [it for it in fail_items if fails(it.finding, it.page, floor)]
    b = run.baseline

    not_audited = sum(1 for p in run.pages if p.error)
    incomplete = sum(1 for fl in run.flows if not fl.complete)
    if gating:
        verdict = f"❌ {len(gating)} finding(s) fail the run"
    elif not_audited or incomplete:
        verdict = "⚠️ no finding fails the run, but not every target could be audited"
    else:
        verdict = "✅ no finding fails the run"
    floor_text = "per page" if callable(floor) else f"fail-on: {floor}"
    lines = [f"## {cell(title, 120)}", "", f"**{verdict}** ({floor_text})", ""]

    sev = Counter(it.finding.severity for it in fail_items)
    rows = [("Pages audited", f"{len(run.pages) - not_audited} of {len(run.pages)}" if not_audited else
             str(len(run.pages)))]
    if run.flows:
        rows.append(("Flows walked", f"{len(run.flows)}" + (f" ({incomplete} incomplete)" if incomplete else "")))
    rows.append(("Findings", str(len(fail_items))))
    rows.extend((f"· {s}", str(sev.get(s, 0))) for s in ("high", "medium", "low"))
    if review:
        rows.append(("Needs review", str(len(review))))
    if b is not None:
        status = Counter(it.finding.baseline for it in fail_items)
        rows.extend([("New", str(status.get("new", 0))), ("Known", str(status.get("known", 0))),
                     ("Not reviewed", str(status.get("not-reviewed", 0))), ("Expired", str(status.get("expired", 0))),
                     ("Fixed", str(len(b.fixed)))])
    lines += ["| | |", "|---|---:|", *(f"| {k} | {v} |" for k, v in rows), ""]
    if b is not None:
        lines += [f"Baseline: {cell(b.path, 200)} ({b.entries} entries)", ""]

    new = [it for it in fail_items if it.finding.baseline in ("", "new")]
    expired = [it for it in fail_items if it.finding.baseline == "expired"]
    known = [it for it in fail_items if it.finding.baseline in ("known", "not-reviewed")]
    lines += _section(f"New ({len(new)})", _table(new, link, max_rows) if new else ["None."])
    if b is not None:
        if expired:
            lines += _section(f"Expired ({len(expired)})", ["Accepted once; the acceptance has run out, so these "
                                                           "fail the run again.", "", *_table(expired, link, max_rows)])
        if b.fixed:
            lines += _section(f"Fixed ({len(b.fixed)})", ["In the baseline, no longer found: remove them from the "
                                                         "baseline file.", "", *_fixed_table(b.fixed, link, max_rows)])
        if known:
            name = "Known and not reviewed" if any(it.finding.baseline == "not-reviewed" for it in known) else "Known"
            lines += _section(f"{name} ({len(known)})", _table(known, link, max_rows), folded=True)
    if review:
        lines += _section(f"Needs review ({len(review)})", ["The auditor could not tell; these never fail the run.",
                                                           "", *_table(review, link, max_rows)], folded=True)
    errors = [f"{p.url}: {p.error.kind}: {p.error.message}" for p in run.pages if p.error]
    errors += [f"flow {fl.name}: {fl.error or 'did not finish'}" for fl in run.flows if not fl.complete or fl.error]
    if errors:
        lines += _section(f"Not audited ({len(errors)})", [f"- {cell(e)}" for e in errors[:max_rows]])
    lines.append(f"<sub>{TOOL_NAME} {cell(run.version, 40)}</sub>")
    return "\n".join(lines) + "\n"


def write(run: AuditRun, path: str | Path, specs: tuple[CheckSpec, ...] = (), *, append: bool = False, **kw) -> Path:
    """Write (or, with ``append``, add to: ``$GITHUB_STEP_SUMMARY`` collects every step's summary) the file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a" if append else "w", encoding="utf-8") as fh:
        fh.write(render(run, specs, **kw))
    return path

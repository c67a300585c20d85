"""SARIF 2.1.0 for GitHub code scanning (and any other SARIF viewer): one run, one rule per check, one result per
finding.

What GitHub needs and what this module does about it (docs.github.com, "SARIF support for code scanning"):

* **Locations are files of the repository, never web addresses.** A result's physical location is where the page
  was *named*: the line of the targets file or project config that lists it (``PageResult.origin``), or the step's
  line in the flow file (``FlowStep.line``; the start page, line 0, is reported at line 1). Paths are made
  relative to ``root`` (the repository root; default: the working directory) with POSIX separators, under the
  base id ``%SRCROOT%``. A page named only on the command line has no file: it gets a stable made-up path,
  ``pages/<host>/<path>`` (from :func:`auditor.identity.page_key`: no query string, no local port), under the
  base id ``PAGES``; a ``file:`` page inside ``root`` points at the HTML file itself. The address itself is a
  ``logicalLocation`` (kind ``resource``) and ``result.properties.url``.
* **Identity.** ``partialFingerprints`` carries the finding's fingerprint twice: as ``consentAuditor/v2`` (ours)
  and as ``primaryLocationLineHash``, the only key GitHub reads. Without the latter, the upload action hashes
  the *line* the location names, so two findings of one check on one page (same targets-file line) would merge
  into one alert and a finding would become a new alert whenever the line moved. The upload action logs a
  warning ("inconsistent fingerprint") for each such result whose file exists; pass ``line_hash=False`` to let
  it hash lines instead.
* **Limits.** short and full descriptions are capped at 1024 characters, rule names at 255, tags at 20.
* **Category.** ``automationDetails.id`` is ``category`` (default ``consent-auditor/``; a trailing ``/`` is
  added, so the whole string is the category), so uploads of several audits for one commit do not replace
  each other. The upload action's own ``category`` input applies only to a run without one: pass
  ``category=None`` to leave it to the workflow.

Decisions on baselines (``Finding.baseline``; SARIF ``baselineState`` says how a result compares with the
baseline, ``suppressions`` whether it is accepted):

==============  ==============  ==========================================================================
``baseline``    baselineState   suppressions
==============  ==============  ==========================================================================
``""``          (omitted)       ``[]`` (not suppressed; the run had no baseline)
new             new             ``[]``
known           unchanged       ``external``, status ``accepted``, justification: the entry's reason
not-reviewed    unchanged       ``external``, status ``underReview`` (written by --update-baseline, no
                                reason yet)
expired         new             ``[]``: the acceptance ran out, the finding fails the run again. The
                                baseline that counts is the set of *unexpired* entries, and the finding is
                                not in it; ``updated`` would claim the finding itself changed, ``unchanged``
                                would hide it from viewers that show new results only (CI views).
                                ``properties.baseline`` keeps the exact status ("expired").
==============  ==============  ==========================================================================

Every result carries ``suppressions`` (an empty list when nothing accepts it): SARIF reads an absent list as
"unknown", and a run should not mix the two. Whether GitHub turns an accepted suppression into a dismissed
alert depends on the repository's code-scanning settings and on how the alert was first seen (several projects
report suppressed results arriving as open alerts); ``baselined=False`` leaves known and not-reviewed findings
out of the file altogether, which GitHub always shows as closed.

*Needs review* findings (``status == "review"``: the check could not tell; they never fail the gate) are results
of level ``note`` with ``properties.review = true``, so a person sees them beside the code-scanning alerts;
``review=False`` leaves them out. (``kind: "review"`` would say it in SARIF's own terms, but SARIF then requires
level ``none``, which GitHub does not show.)

*Fixed* baseline entries (``run.baseline.fixed``) are listed in ``run.properties.baseline.fixed``, and are not
results by default: GitHub ignores ``baselineState`` and would open an alert for an ``absent`` result; it closes
an alert by itself when its result is no longer uploaded. ``absent=True`` adds them as results with
``baselineState: "absent"`` for viewers that read baselines (never upload that file to GitHub).

Page text is hostile: every string that came from a page (messages, addresses, selectors, titles, errors) is
cleaned of control and bidirectional-override characters (:func:`auditor.report.console.clean`), and square
brackets in message text are escaped, so a page cannot write SARIF's embedded links ``[text](1)``.

The helpers this module defines for "where was this named" (:class:`Placed`, :func:`placed`,
:func:`named_at`, :func:`relative`, :func:`doc_url`, :func:`fail_floor`, :func:`fails`) are shared by the other CI
reports.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import quote, unquote, urlsplit
from urllib.request import url2pathname

from auditor.identity import page_key
from auditor.models import SEVERITY_RANK, AuditRun, BaselineEntry, Finding, FlowResult, FlowStep, PageResult
from auditor.registry import CheckSpec
from auditor.report.console import clean

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL_NAME = "consent-auditor"
#: where the tool lives (a placeholder until the project has its public home)
INFORMATION_URI = "https://github.com/consent-auditor/consent-auditor"
#: the checks' documentation; a check's section is ``DOCS_URL + "#" + id``
DOCS_URL = INFORMATION_URI + "/blob/main/docs/checks.md"
FINGERPRINT_KEY = "consentAuditor/v2"
CATEGORY = "consent-auditor/"
SRCROOT, PAGES, OUTDIR = "%SRCROOT%", "PAGES", "OUTDIR"
LEVELS = {"high": "error", "medium": "warning", "low": "note"}
#: baseline statuses that fail the run (a finding of a run without a baseline has status "")
FAILING = ("", "new", "expired")
BASELINE_STATE = {"new": "new", "known": "unchanged", "not-reviewed": "unchanged", "expired": "new"}
MAX_DESCRIPTION, MAX_NAME, MAX_TAGS = 1024, 255, 20
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


# --------------------------------------------------------------------------- shared helpers


def doc_url(check_id: str) -> str:
    """The documentation of a check (the default link of every CI report)."""
    return f"{DOCS_URL}#{check_id}"


@dataclass(frozen=True)
class Placed:
    """A finding with the page it was found on and, for a walked flow, the flow and the step."""

    finding: Finding
    page: PageResult
    flow: FlowResult | None = None
    step: FlowStep | None = None

    @property
    def url(self) -> str:
        return self.page.url

    def where(self) -> str:
        """The page as a person names it: its address, or "flow › step N: label" (cleaned)."""
        if self.flow is None or self.step is None:
            return clean(self.page.url)
        return clean(f"{self.flow.name} › step {self.step.index}: {self.step.label}")


def placed(run: AuditRun) -> list[Placed]:
    """Every finding of the run with its page (scanned pages first, then flow steps, in order)."""
    out = [Placed(f, p) for p in run.pages for f in p.findings]
    for fl in run.flows:
        for st in fl.steps:
            if st.page is not None:
                out.extend(Placed(f, st.page, fl, st) for f in st.page.findings)
    return out


def fail_floor(fail_on: str | Callable[[str], str] | None, run: AuditRun) -> str | Callable[[str], str]:
    """``fail_on`` (a severity, or a function of the page address giving one), or the run's ``--fail-on``; a
    ``ValueError`` for anything else than high, medium or low."""
    floor = fail_on or run.settings.fail_on or "low"
    if not callable(floor) and floor not in SEVERITY_RANK:
        raise ValueError(f"fail_on: expected high, medium or low, got {floor!r}")
    return floor


def fails(finding: Finding, where: "str | PageResult", fail_on: str | Callable | None = "low") -> bool:
    """Does the finding fail the run: status fail, not accepted by the baseline, at or above ``fail_on`` (a
    severity, or a function of the page giving one, like ``auditor.api.fail_on_lookup``; ``where``: the page,
    or its address). A page whose per-URL overrides set its own fail-on (``PageResult.fail_on``) keeps it."""
    own = getattr(where, "fail_on", "")
    address = getattr(where, "url", where)
    floor = own or (fail_on(address) if callable(fail_on) else (fail_on or "low"))
    return (finding.status == "fail" and finding.baseline in FAILING
            and SEVERITY_RANK.get(finding.severity, 0) >= SEVERITY_RANK.get(floor, 1))


def relative(path: str | Path, root: str | Path | None = None) -> str:
    """``path`` relative to ``root`` (default: the working directory) with POSIX separators; the absolute path
    (POSIX separators) when it is outside ``root``. A relative ``path`` is read from the working directory."""
    base = Path(root) if root is not None else Path.cwd()
    p = Path(path)
    full = p if p.is_absolute() else Path.cwd() / p
    try:
        return full.resolve().relative_to(base.resolve()).as_posix()
    except (ValueError, OSError):
        return full.resolve().as_posix()


def named_at(item: Placed, root: str | Path | None = None) -> tuple[str, int] | None:
    """(file, line) where the finding's page was named: the flow file and the step's line, the targets file or
    config line of a scanned page, or the local HTML file of a ``file:`` page; None for an address given on the
    command line. The file is :func:`relative` to ``root``; the line is at least 1."""
    if item.flow is not None:
        line = item.step.line if item.step is not None else 0
        return relative(item.flow.path, root), max(1, int(line or 0))
    origin = item.page.origin
    if origin is not None and origin.file:
        return relative(origin.file, root), max(1, int(origin.line or 0))
    p = urlsplit(item.page.url or "")
    if p.scheme.lower() == "file" and p.path:
        return relative(url2pathname(p.path), root), 1
    return None


def page_uri(url: str) -> str:
    """A stable relative path standing for a page no file names: ``pages/<host>/<path>``, from the page key (no
    query string, no session token, no port of a local server)."""
    key = page_key(url)
    if key.startswith("file:"):
        host, path = "file", key[len("file:"):]
    else:
        rest = key.split("://", 1)[-1]
        host, _, path = rest.partition("/")
    host = host.replace(":", "_") or "page"
    segments = [quote(s, safe="") for s in unquote(path).split("/") if s not in ("", ".", "..")]
    return "/".join(["pages", quote(host, safe="")] + segments)


def message_text(text: object) -> str:
    """Page text for a SARIF message: cleaned, and with ``[`` ``]`` escaped (SARIF reads ``[text](1)`` in a plain
    text message as a link; a backslash before a bracket is escaped too)."""
    t = re.sub(r"\\(?=[\[\]])", r"\\\\", clean(text))
    return t.replace("[", "\\[").replace("]", "\\]")


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------- rules


def camel(check_id: str) -> str:
    """``prechecked-consent`` -> ``PrecheckedConsent``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", check_id) if part)


def help_text(spec: CheckSpec) -> str:
    """What ``auditor checks explain ID`` prints."""
    return f"{spec.id}: {spec.title}\nseverity: {spec.severity}  tags: {', '.join(spec.tags)}\n\n{spec.doc.strip()}"


def _first_paragraph(text: str) -> str:
    para = re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0] if text.strip() else ""
    return " ".join(para.split())


def rule(spec: CheckSpec, doc_link: Callable[[str], str] = doc_url) -> dict[str, Any]:
    sections = spec.sections()
    full = _first_paragraph(sections.get("What it finds", "")) or _first_paragraph(spec.doc) or spec.title
    return {
        "id": spec.id,
        "name": _cap(camel(spec.id), MAX_NAME),
        "shortDescription": {"text": _cap(spec.title, MAX_DESCRIPTION)},
        "fullDescription": {"text": _cap(full, MAX_DESCRIPTION)},
        "help": {"text": help_text(spec), "markdown": f"# {spec.title}\n\n{spec.doc.strip()}"},
        "helpUri": doc_link(spec.id),
        "defaultConfiguration": {"level": LEVELS.get(spec.severity, "warning")},
        "properties": {"tags": list(dict.fromkeys(spec.tags))[:MAX_TAGS]},
    }


def _unknown_rule(check_id: str, doc_link: Callable[[str], str]) -> dict[str, Any]:
    """A rule for a finding of a check the specs do not know (a replayed run of an older version)."""
    cid = clean(check_id)
    return {"id": cid, "name": _cap(camel(cid) or "Check", MAX_NAME), "shortDescription": {"text": cid},
            "fullDescription": {"text": cid}, "help": {"text": cid}, "helpUri": doc_link(cid)}


# --------------------------------------------------------------------------- results


def _artifact(item: Placed, root: str | Path | None) -> tuple[dict[str, Any], int]:
    where = named_at(item, root)
    if where is None:
        return {"uri": page_uri(item.url), "uriBaseId": PAGES}, 1
    path, line = where
    if Path(path).is_absolute():
        return {"uri": Path(path).as_uri()}, line
    return {"uri": quote(path), "uriBaseId": SRCROOT}, line


def _properties(item: Placed) -> dict[str, Any]:
    f, el = item.finding, item.finding.element
    props: dict[str, Any] = {"url": clean(item.url)}
    if item.page.final_url and item.page.final_url != item.page.url:
        props["finalUrl"] = clean(item.page.final_url)
    if f.frame:
        props["frame"] = clean(f.frame)
    if el is not None and el.selector:
        props["selector"] = clean(el.selector)
    if item.flow is not None:
        props["flow"] = clean(item.flow.name)
    if item.step is not None:
        props["step"] = item.step.index
        props["stepLabel"] = clean(item.step.label)
    props["severity"] = f.severity
    props["confidence"] = f.confidence
    if f.baseline:
        props["baseline"] = f.baseline
    if f.status == "review":
        props["review"] = True
    return props


def _suppressions(f: Finding, entries: dict[str, BaselineEntry], baseline_file: str) -> list[dict[str, Any]]:
    if f.baseline not in ("known", "not-reviewed"):
        return []
    entry = entries.get(f.fingerprint)
    s: dict[str, Any] = {"kind": "external", "status": "accepted" if f.baseline == "known" else "underReview"}
    reason = entry.reason.strip() if entry is not None else ""
    if f.baseline == "known":
        s["justification"] = clean(reason) if reason else f"accepted in the baseline {clean(baseline_file)}".strip()
    else:
        s["justification"] = "added to the baseline by --update-baseline; not reviewed yet"
    if entry is not None and (entry.owner or entry.expires):
        s["properties"] = {k: clean(v) for k, v in (("owner", entry.owner), ("expires", entry.expires)) if v}
    return [s]


def result(item: Placed, rule_index: int, *, root: str | Path | None = None,
           entries: dict[str, BaselineEntry] | None = None, baseline_file: str = "",
           line_hash: bool = True) -> dict[str, Any]:
    f = item.finding
    artifact, line = _artifact(item, root)
    where = "page " + clean(item.url) if item.flow is None else f"flow step: {item.where()} ({clean(item.url)})"
    res: dict[str, Any] = {
        "ruleId": clean(f.check),
        "ruleIndex": rule_index,
        "level": "note" if f.status == "review" else LEVELS.get(f.severity, "warning"),
        "message": {"text": message_text(f.message) or f.check},
        "locations": [{
            "physicalLocation": {"artifactLocation": artifact, "region": {"startLine": line}},
            "logicalLocations": [{"kind": "resource", "name": clean(item.url), "fullyQualifiedName": clean(item.url)}],
            "message": {"text": message_text(where)},
        }],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint or "unknown"},
        "suppressions": _suppressions(f, entries or {}, baseline_file),
        "properties": _properties(item),
    }
    if line_hash:
        res["partialFingerprints"]["primaryLocationLineHash"] = f.fingerprint or "unknown"
    if f.baseline in BASELINE_STATE:
        res["baselineState"] = BASELINE_STATE[f.baseline]
    if f.screenshot:
        shot = Path(f.screenshot)
        loc = ({"uri": shot.as_uri()} if shot.is_absolute()
               else {"uri": quote(shot.as_posix()), "uriBaseId": OUTDIR})
        res["attachments"] = [{"description": {"text": f"the element {f.check} found, outlined"},
                               "artifactLocation": loc}]
    return res


def _absent(entry: BaselineEntry, rule_index: int | None) -> dict[str, Any]:
    """A fixed baseline entry as an ``absent`` result (only with ``absent=True``)."""
    page = entry.page or ""
    uri = page_uri(page) if "://" in page or page.startswith("file:") else \
        "/".join(["pages", "flows"] + [quote(s, safe="") for s in page.split("/") if s not in ("", ".", "..")])
    res: dict[str, Any] = {
        "ruleId": clean(entry.check),
        "message": {"text": message_text(entry.message) or clean(entry.check)},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": PAGES},
                                            "region": {"startLine": 1}},
                       "logicalLocations": [{"kind": "resource", "name": clean(page),
                                             "fullyQualifiedName": clean(page)}]}],
        "partialFingerprints": {FINGERPRINT_KEY: entry.fingerprint, "primaryLocationLineHash": entry.fingerprint},
        "baselineState": "absent",
        "suppressions": [],
        "properties": {"baseline": "fixed", "page": clean(page)},
    }
    if rule_index is not None:
        res["ruleIndex"] = rule_index
    return res


# --------------------------------------------------------------------------- the run


def _notifications(run: AuditRun) -> list[dict[str, Any]]:
    out = []
    for p in run.pages:
        if p.error:
            out.append({"level": "error", "message": {"text": clean(f"{p.url}: {p.error.kind}: {p.error.message}")}})
    for fl in run.flows:
        before = len(out)
        for st in fl.steps:
            if st.status != "ok" and st.error:
                text = f"{fl.name}: step {st.index} ({st.label}): {st.status}: {st.error}"
                out.append({"level": "error", "message": {"text": clean(text)}})
            elif st.page is not None and st.page.error:
                out.append({"level": "error", "message": {"text": clean(
                    f"{fl.name}: step {st.index}: {st.page.url}: {st.page.error.kind}: {st.page.error.message}")}})
        if len(out) > before:
            continue  # the failed step says why the flow stopped
        if fl.error:
            out.append({"level": "error", "message": {"text": clean(f"{fl.name}: {fl.error}")}})
        elif not fl.complete:
            out.append({"level": "error", "message": {"text": clean(f"{fl.name}: the flow did not finish")}})
    return out


def _dir_uri(path: str | Path) -> str:
    uri = Path(path).resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def sarif_dict(run: AuditRun, specs: Iterable[CheckSpec] = (), *, root: str | Path | None = None,
               out_dir: str | Path | None = None, entries: dict[str, BaselineEntry] | None = None,
               category: str | None = CATEGORY, doc_url: Callable[[str], str] = doc_url, review: bool = True,
               baselined: bool = True, absent: bool = False, line_hash: bool = True) -> dict[str, Any]:
    """The SARIF log as a dict (see the module doc for every keyword)."""
    link = doc_url
    rules = [rule(s, link) for s in specs]
    index = {r["id"]: i for i, r in enumerate(rules)}
    baseline_file = run.baseline.path if run.baseline is not None else ""
    results = []
    for item in placed(run):
        f = item.finding
        if (f.status == "review" and not review) or (f.baseline in ("known", "not-reviewed") and not baselined):
            continue
        if f.status not in ("fail", "review"):
            continue
        if f.check not in index:
            index[f.check] = len(rules)
            rules.append(_unknown_rule(f.check, link))
        results.append(result(item, index[f.check], root=root, entries=entries,
                              baseline_file=baseline_file, line_hash=line_hash))
    if absent and run.baseline is not None:
        results.extend(_absent(e, index.get(e.check)) for e in run.baseline.fixed)

    driver: dict[str, Any] = {"name": TOOL_NAME, "version": run.version or "0", "informationUri": INFORMATION_URI,
                              "rules": rules}
    if _SEMVER.match(run.version or ""):
        driver["semanticVersion"] = run.version
    root_dir = Path(root) if root is not None else Path.cwd()
    bases: dict[str, Any] = {
        SRCROOT: {"uri": _dir_uri(root_dir), "description": {"text": "The repository root: files that name pages."}},
        PAGES: {"description": {"text": "Web pages named on the command line, by host and path (not files)."}},
        OUTDIR: ({"uri": _dir_uri(out_dir)} if out_dir is not None else {})
        | {"description": {"text": "The audit's output folder: screenshots and evidence."}},
    }
    notifications = _notifications(run)
    invocation: dict[str, Any] = {
        "executionSuccessful": not notifications,
        "workingDirectory": {"uri": _dir_uri(root_dir)},
    }
    if run.settings.command:
        invocation["commandLine"] = clean(run.settings.command)
    if run.started_at:
        invocation["startTimeUtc"] = run.started_at
    if run.finished_at:
        invocation["endTimeUtc"] = run.finished_at
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    props: dict[str, Any] = {"browser": clean(run.browser.version), "failOn": run.settings.fail_on}
    if run.baseline is not None:
        b = run.baseline
        props["baseline"] = {
            "file": clean(b.path), "entries": b.entries, "new": b.new, "known": b.known,
            "notReviewed": b.not_reviewed, "expired": b.expired, "updated": b.updated,
            "fixed": [{"fingerprint": e.fingerprint, "check": clean(e.check), "page": clean(e.page),
                       "message": clean(e.message)} for e in b.fixed],
        }
    run_dict: dict[str, Any] = {"tool": {"driver": driver}}
    if category:
        run_dict["automationDetails"] = {"id": category if category.endswith("/") else category + "/"}
    run_dict.update({"originalUriBaseIds": bases, "invocations": [invocation], "columnKind": "utf16CodeUnits",
                     "results": results, "properties": props})
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [run_dict],
    }


def render(run: AuditRun, specs: tuple[CheckSpec, ...] = (), **kw) -> str:
    """The SARIF log as JSON text. Keywords: ``root``, ``out_dir``, ``entries`` (fingerprint -> BaselineEntry,
    for suppression justifications), ``category``, ``doc_url``, ``review``, ``baselined``, ``absent``,
    ``line_hash`` (see the module doc)."""
    return json.dumps(sarif_dict(run, specs, **kw), indent=2, ensure_ascii=False) + "\n"


def write(run: AuditRun, path: str | Path, specs: tuple[CheckSpec, ...] = (), **kw) -> Path:
    from auditor.report.files import write_atomic
    return write_atomic(path, render(run, specs, **kw))

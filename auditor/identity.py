"""Finding identity (fingerprint v2): the same finding keeps its fingerprint across runs; a different one does not.

A fingerprint is anchored on what the finding *means*, never on where the element sits in the DOM:

* the check id;
* the page key: a normalised address (:func:`page_key`) for a scanned page, or the flow's name and the step's
  name for a walked flow (:func:`step_key`);
* the anchor (:func:`anchor`): the frame the element is in (its normalised address, for a frame other than the
  top document), then what the check says makes the finding itself (``Finding.subject``: the sorted cookie
  names set before a choice, the kind of a missing opt-out and its purpose), or else the element's role and
  accessible name (a checkbox and its label, a button and its words, a text block and its text), and an
  ordinal when the same anchor occurs more than once on the page (two identical "I agree" boxes).

Text is compared case-folded, with whitespace collapsed and every run of digits read as one ``#`` ("We and our
847 partners" is the same banner tomorrow with 851). Selectors, element ids, class names, the query string,
session ids in the path and the port of a local server play no part. The value is ``fp2:`` and 24 hex digits
of a SHA-256, so a baseline can tell which algorithm wrote an entry.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from auditor.models import CheckResult, ElementRef, Finding, PageSnapshot

VERSION = "fp2"
PREFIX = VERSION + ":"
SEP = "\x1f"

#: path segments that name a session, a random token or a record rather than a page: UUIDs, long hex runs, long
#: letter-and-digit runs with no word separator (base64-like tokens), and numbers of five digits or more (order
#: and basket ids). Words joined by hyphens (``summer-sale-2024-collection``) and short numbers (``/step/2``,
#: ``/2024/``) name pages and are kept.
_TOKEN = re.compile(r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}|\d{5,}"
                    r"|(?=[A-Za-z0-9_]*\d)(?=[A-Za-z0-9_]*[A-Za-z])[A-Za-z0-9_]{24,})$", re.I)
#: files that mark a project's root: a local page is keyed by its path from there, wherever the run starts
_ROOT_MARKERS = (".git", "pyproject.toml", "consent-auditor.toml")
_SESSION_PARAM = re.compile(r";[^/]*$")  # ;jsessionid=..., ;sid=... (matrix parameters)
_LOOPBACK = re.compile(r"^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def norm_text(text: str, limit: int = 160) -> str:
    """Case-folded, whitespace collapsed, digit runs as ``#``, capped."""
    t = " ".join((text or "").split()).casefold()
    t = re.sub(r"\d+", "#", t)
    return t[:limit].strip()


def page_key(url: str) -> str:
    """A page's address without what changes between visits of the same page: the query string, the fragment,
    session ids, tokens and record numbers in the path, the letter case of the host, a trailing slash, a default
    port, and the port of a local server (which takes any free port). A local file is named by its path from its
    project's root."""
    p = urlsplit(url or "")
    scheme = p.scheme.lower()
    if scheme == "file":
        return "file:" + _local_key(Path(url2pathname(p.path)))
    if scheme in ("data", "blob", "about", "javascript"):
        return f"{scheme}:" + hashlib.sha256((url or "").encode("utf-8")).hexdigest()[:16]
    host = (p.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address keeps its brackets
    try:
        port = p.port
    except ValueError:
        port = None
    netloc = host
    if port is not None and port != _DEFAULT_PORTS.get(scheme) and not _LOOPBACK.match(host):
        netloc = f"{host}:{port}"
    segments = []
    for seg in unquote(p.path).split("/"):
        seg = _SESSION_PARAM.sub("", seg)
        segments.append("*" if _TOKEN.match(seg) else seg)
    path = "/".join(segments).rstrip("/") or "/"
    return f"{scheme}://{netloc}{path}"


def _local_key(path: Path) -> str:
    """A local file's path from its project's root (the nearest folder up with .git, pyproject.toml or
    consent-auditor.toml), so that the key is the same whichever folder the run starts in; with no project
    around it, its folder's name and its own."""
    try:
        path = path.resolve()
    except OSError:
        pass
    for folder in path.parents:
        if any((folder / m).exists() for m in _ROOT_MARKERS):
            return path.relative_to(folder).as_posix()
    return "/".join(path.parts[-2:])


def step_key(flow_name: str, step_label: str, occurrence: int = 1) -> str:
    """The page key of a walked flow's step: the flow's name and the step's name (its label in the flow file),
    with an occurrence number when the flow has two steps of the same name."""
    key = f"flow:{norm_text(flow_name, 120)}/step:{norm_text(step_label, 200)}"
    return key if occurrence <= 1 else f"{key}#{occurrence}"


def element_meaning(ref: ElementRef | None, snapshot: PageSnapshot | None) -> str:
    """The element's role and accessible name, read from what the collector recorded about it."""
    if ref is None:
        return ""
    if snapshot is not None:
        same = (lambda r: r is not None and r.frame == ref.frame and r.selector == ref.selector)
        for c in snapshot.controls:
            if same(c.ref) or same(c.label_ref):
                name = c.label or c.context or c.name
                return f"{c.kind}:{norm_text(name)}"
        for ov in snapshot.overlays:
            for cl in ov.clickables:
                if same(cl.ref):
                    return f"{cl.role or cl.tag or 'button'}:{norm_text(cl.text)}"
        for row in snapshot.prices:
            if same(row.ref):
                return f"price:{norm_text(row.label)}"
        for t in snapshot.texts:
            if same(t.ref):
                return f"text:{norm_text(t.text)}"
        for ov in snapshot.overlays:
            if same(ov.ref):
                return f"{ov.kind}:{norm_text(ov.text, 80)}"
    return f"element:{norm_text(ref.text)}" if ref.text else ""


def frame_key(finding: Finding, snapshot: PageSnapshot | None) -> str:
    """The frame the element is in, for a frame other than the top document."""
    ref = finding.element
    if ref is None or ref.frame == 0 or snapshot is None or not (0 <= ref.frame < len(snapshot.frames)):
        return ""
    return page_key(snapshot.frames[ref.frame].url)


def anchor(finding: Finding, snapshot: PageSnapshot | None) -> str:
    """What the finding is about, without the page: frame, then the check's subject or the element's meaning,
    then the quoted text as the last resort; ``layer`` 2 findings are marked as such."""
    what = finding.subject and f"subject:{norm_text(finding.subject, 400)}"
    what = what or element_meaning(finding.element, snapshot) or f"text:{norm_text(finding.text)}"
    layer = "layer2|" if dict(finding.details).get("layer") == 2 else ""
    frame = frame_key(finding, snapshot)
    return f"{layer}{'frame:' + frame + '|' if frame else ''}{what}"


def fingerprint(check: str, key: str, anchor_text: str) -> str:
    digest = hashlib.sha256(SEP.join((VERSION, check, key, anchor_text)).encode("utf-8")).hexdigest()
    return PREFIX + digest[:24]


def anchors(results: tuple[CheckResult, ...], snapshots) -> list[list[str]]:
    """The anchor of every finding, in order, with ``#n`` added to the n-th finding of one check that has the
    same anchor as an earlier one on the page (its order there is the page's reading order, which inserting
    other elements does not change). ``snapshots(finding)`` gives the snapshot the finding was judged on."""
    seen: dict[tuple[str, str], int] = {}
    out = []
    for c in results:
        row = []
        for f in c.findings:
            a = anchor(f, snapshots(f))
            n = seen.get((f.check, a), 0) + 1
            seen[(f.check, a)] = n
            row.append(a if n == 1 else f"{a}#{n}")
        out.append(row)
    return out


def stamp(results: tuple[CheckResult, ...], key: str, snapshots) -> tuple[CheckResult, ...]:
    """Every finding with its fingerprint for the page key ``key``."""
    out = []
    for c, row in zip(results, anchors(results, snapshots)):
        out.append(dataclasses.replace(c, findings=tuple(
            dataclasses.replace(f, fingerprint=fingerprint(f.check, key, a)) for f, a in zip(c.findings, row))))
    return tuple(out)


def is_current(fp: str) -> bool:
    return fp.startswith(PREFIX)

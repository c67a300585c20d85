"""The JSON report (schema ``consent-auditor/report/v1``, documented in README.md)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from auditor.models import AuditRun, Finding, PageResult, to_dict

SCHEMA = "consent-auditor/report/v1"


def finding_dict(f: Finding, page: PageResult) -> dict[str, Any]:
    el = f.element
    frame_path = []
    if el is not None and page.snapshot is not None and 0 <= el.frame < len(page.snapshot.frames):
        frame_path = list(page.snapshot.frames[el.frame].path)
    return {
        "check": f.check,
        "severity": f.severity,
        "confidence": f.confidence,
        "status": f.status,
        "message": f.message,
        "selector": el.selector if el else None,
        "frame": f.frame or None,
        "frame_path": frame_path,
        "text": f.text,
        "html": el.html if el else None,
        "box": to_dict(el.box) if el and el.box else None,
        "screenshot": f.screenshot,
        "fingerprint": f.fingerprint,
        "subject": f.subject,
        "baseline": f.baseline,
        "details": {k: to_dict(v) for k, v in f.details},
    }


def page_dict(p: PageResult) -> dict[str, Any]:
    return {
        "url": p.url,
        "final_url": p.final_url or None,
        "title": p.title,
        "status": p.status,
        "error": {"kind": p.error.kind, "message": p.error.message} if p.error else None,
        "screenshot": p.screenshot,
        "started_at": p.started_at,
        "finished_at": p.finished_at,
        "checks": [{"check": c.check, "outcome": c.outcome, "error": c.error or None} for c in p.checks],
        "findings": [finding_dict(f, p) for f in p.findings],
        "banner": banner_dict(p),
        "consent_evidence": evidence_dict(p),
        "presented_as": to_dict(p.snapshot.presented) if p.snapshot and p.snapshot.presented else None,
        "reused_audit_of_step": p.reused,
        "notes": [{"kind": n.kind, "message": n.message} for n in p.notes],
        "origin": {"file": p.origin.file, "line": p.origin.line} if p.origin else None,
        "key": p.key,
        "artefacts": [to_dict(a) for a in p.artefacts],
    }


def banner_dict(p: PageResult) -> dict[str, Any] | None:
    """none | found | needs-review, with each banner's buttons as classified."""
    if p.banner is None:
        return None
    return {"state": p.banner.state, "banners": [{
        "state": b.state, "reason": b.reason or None, "layer": b.layer, "kind": b.kind,
        "selector": b.ref.selector if b.ref else None, "text": b.text,
        "buttons": [{"text": x.text, "kind": x.kind, "prominence": x.prominence, "selector": x.ref.selector,
                     "facts": dict(x.facts)} for x in b.buttons]} for b in p.banner.banners]}


def evidence_dict(p: PageResult) -> dict[str, Any] | None:
    """Cookies, storage and requests before any choice, and what followed the auditor's refusal."""
    snap = p.snapshot
    if snap is None:
        return None
    return {"site": snap.site, "states": [to_dict(s) for s in snap.states],
            "choice": to_dict(snap.choice) if snap.choice else None}


def summary(run: AuditRun) -> dict[str, Any]:
    every = run.findings
    findings = [f for f in every if f.status == "fail"]
    out = {
        "pages": len(run.pages),
        "pages_failed": sum(1 for p in run.pages if p.error),
        "findings": len(findings),
        "review": sum(1 for f in every if f.status == "review"),
        "by_severity": dict(Counter(f.severity for f in findings)),
        "by_check": dict(Counter(f.check for f in findings)),
    }
    if run.flows:
        out["flows"] = len(run.flows)
        out["flows_incomplete"] = sum(1 for fl in run.flows if not fl.complete)
    if run.discoveries:
        out["journeys_discovered"] = sum(1 for d in run.discoveries if d.found)
        out["journeys_not_found"] = sum(1 for d in run.discoveries if not d.found)
    return out


def flow_dict(fl) -> dict[str, Any]:
    return {
        "name": fl.name, "file": fl.path, "start": fl.start, "complete": fl.complete, "error": fl.error or None,
        "identity": dict(fl.identity), "blocked_navigations": list(fl.blocked), "refused": list(fl.refused),
        "trace": fl.trace, "started_at": fl.started_at, "finished_at": fl.finished_at,
        "artefacts": [to_dict(a) for a in fl.artefacts],
        "steps": [{"index": st.index, "kind": st.kind, "label": st.label, "status": st.status,
                   "error": st.error or None, "at": st.at, "note": st.note or None, "line": st.line,
                   "acted_on": st.acted_on or None,
                   "page": page_dict(st.page) if st.page is not None else None} for st in fl.steps],
    }


def report_dict(run: AuditRun) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "tool": {"name": run.tool, "version": run.version},
        "browser": to_dict(run.browser),
        "settings": to_dict(run.settings),
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "summary": summary(run),
        "pages": [page_dict(p) for p in run.pages],
        **({"flows": [flow_dict(fl) for fl in run.flows]} if run.flows else {}),
        **({"discoveries": [to_dict(d) for d in run.discoveries]} if run.discoveries else {}),
        "baseline": baseline_dict(run.baseline),
    }


def baseline_dict(b) -> dict[str, Any] | None:
    """How the run compared with its baseline (None when it had none)."""
    if b is None:
        return None
    return {"path": b.path, "entries": b.entries, "new": b.new, "known": b.known, "not_reviewed": b.not_reviewed,
            "expired": b.expired, "other_versions": b.other_versions, "updated": b.updated,
            "fixed": [to_dict(e) for e in b.fixed], "stale": [to_dict(e) for e in b.stale]}


def write(run: AuditRun, path: Path) -> Path:
    from auditor.report.files import write_atomic
    return write_atomic(path, json.dumps(report_dict(run), indent=2, ensure_ascii=False))

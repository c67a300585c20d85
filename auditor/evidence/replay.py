"""Re-judge an evidence pack offline (``auditor replay PACK``).

Without a browser: the snapshots the pack holds (every scanned page, every flow step) are judged again with
today's checks, journey checks included (the steps' snapshots and what each step acted on are in the pack), and
the findings compared with the pack's own by fingerprint: new, gone, same.

With ``--render``: the pages and flows are loaded again in Chromium from the pack's HAR files, with no network
at all (every request is answered from the recording or fails), and audited as a scan or a walk would: a newer
check then runs against what the site served that day, not only against what the old collector read.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from auditor.evidence.verify import PackUnreadable
from auditor.models import AuditRun, Finding, FlowResult, PageResult, PageSnapshot, from_dict


@dataclass
class Comparison:
    new: list[dict] = field(default_factory=list)
    gone: list[dict] = field(default_factory=list)
    same: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"new": self.new, "gone": self.gone, "same": self.same}


def policy(pack: str | Path) -> dict:
    """The checks the pack's run selected and ignored, and its severity overrides (replay applies the same unless
    told otherwise)."""
    try:
        doc = json.loads((Path(pack) / "data" / "run.json").read_text(encoding="utf-8"))
        got = doc.get("policy") if isinstance(doc, dict) else None
    except (OSError, ValueError):
        return {}
    return got if isinstance(got, dict) else {}


def _in_payload(data: Path, rel: str) -> Path:
    """A file the run names, which must be inside the payload (a pack is hostile input too)."""
    path = (data / rel).resolve()
    if not rel or "\x00" in rel or not path.is_relative_to(data.resolve()):
        raise PackUnreadable(f"{data.parent}: data/run.json names a file outside the pack: {rel!r}")
    return path


def load(pack: str | Path) -> tuple[AuditRun, Path]:
    """The pack's run (``data/run.json``) with every page's snapshot read back; and the payload folder."""
    data = Path(pack) / "data"
    try:
        doc = json.loads((data / "run.json").read_text(encoding="utf-8"))
        run = from_dict(AuditRun, doc["run"])
    except FileNotFoundError:
        raise PackUnreadable(f"{pack}: not an evidence pack (no data/run.json)") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PackUnreadable(f"{pack}: data/run.json cannot be read ({type(exc).__name__}: {exc})") from None
    cache: dict[str, PageSnapshot] = {}

    def with_snapshot(p: PageResult | None) -> PageResult | None:
        if p is None:
            return None
        rel = next((a.path for a in p.artefacts if a.kind == "snapshot"), None)
        if rel is None:
            return p
        if rel not in cache:
            try:
                cache[rel] = from_dict(PageSnapshot, json.loads(_in_payload(data, rel).read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise PackUnreadable(f"{pack}: data/{rel} cannot be read ({type(exc).__name__})") from None
        return dataclasses.replace(p, snapshot=cache[rel])
    run = dataclasses.replace(
        run, pages=tuple(with_snapshot(p) for p in run.pages),
        flows=tuple(dataclasses.replace(fl, steps=tuple(dataclasses.replace(st, page=with_snapshot(st.page))
                                                         for st in fl.steps)) for fl in run.flows))
    return run, data


def rejudge(run: AuditRun, specs, ctx, debug: bool = False) -> AuditRun:
    """The same pages and steps judged again by ``specs`` (page checks and journey checks)."""
    from auditor.engine import judge_snapshot, utc_now
    from auditor.identity import page_key

    def page(p: PageResult) -> PageResult:
        if p.snapshot is None or p.error is not None:
            return p
        return dataclasses.replace(p, checks=judge_snapshot(p.snapshot, specs, ctx, p.key or page_key(p.url), debug))
    pages = tuple(page(p) for p in run.pages)
    flows = tuple(_rejudge_flow(fl, specs, ctx, debug) for fl in run.flows)
    return dataclasses.replace(run, pages=pages, flows=flows, finished_at=utc_now(), baseline=None)


def _rejudge_flow(fl: FlowResult, specs, ctx, debug: bool) -> FlowResult:
    """As the walk judged it: each step's page findings only where they first show (by the page's address), the
    journey checks over the walked steps, then every finding keyed on the flow's step."""
    from auditor.engine import judge_snapshot, judged_on
    from auditor.identity import page_key, stamp
    from auditor.models import Journey, JourneyStep
    from auditor.registry import judge_journey
    seen: set[str] = set()
    steps = []
    for st in fl.steps:
        p = st.page
        if st.status != "ok" or p is None or p.snapshot is None:
            steps.append(st)
            continue
        if p.reused is not None:  # a step that changed nothing: nothing new to judge
            checks = tuple(dataclasses.replace(c, findings=()) for c in p.checks)
        else:
            fresh = []
            for c in judge_snapshot(p.snapshot, specs, ctx, page_key(p.url), debug):
                new = tuple(f for f in c.findings if f.fingerprint not in seen)
                seen.update(f.fingerprint for f in new)
                fresh.append(dataclasses.replace(c, findings=new))
            checks = tuple(fresh)
        steps.append(dataclasses.replace(st, page=dataclasses.replace(p, checks=checks)))
    journey = Journey(fl.name, tuple(JourneyStep(index=s.index, kind=s.kind, label=s.label, acted_on=s.acted_on,
                                                 snapshot=s.page.snapshot if s.page is not None else None)
                                     for s in steps if s.status == "ok"))
    results = judge_journey(journey, specs, ctx, debug) if journey.steps else {}
    out = []
    for s in steps:
        p = s.page
        if p is not None and p.snapshot is not None and s.status == "ok":
            checks = p.checks + tuple(results.get(s.index, ()))
            out.append(dataclasses.replace(s, page=dataclasses.replace(
                p, checks=stamp(checks, p.key, judged_on(p.snapshot)))))
        else:
            out.append(s)
    return dataclasses.replace(fl, steps=tuple(out))


def _rows(run: AuditRun) -> dict[str, dict]:
    out = {}
    for p in run.pages:
        for f in p.findings:
            out.setdefault(f.fingerprint, _row(f, p.url))
    for fl in run.flows:
        for st in fl.steps:
            if st.page is not None:
                for f in st.page.findings:
                    out.setdefault(f.fingerprint, _row(f, st.page.url, fl.name, st.index))
    return out


def _row(f: Finding, url: str, flow: str = "", step: int | None = None) -> dict:
    row = {"check": f.check, "severity": f.severity, "status": f.status, "url": url, "fingerprint": f.fingerprint,
           "message": f.message}
    if flow:
        row.update(flow=flow, step=step)
    return row


def compare(original: AuditRun, now: AuditRun) -> Comparison:
    """Findings by fingerprint: new (only now), gone (only in the pack), same (both)."""
    before, after = _rows(original), _rows(now)
    return Comparison(new=[after[k] for k in after if k not in before],
                      gone=[before[k] for k in before if k not in after],
                      same=[after[k] for k in after if k in before])


def render_targets(run: AuditRun, data: Path):
    """What ``--render`` loads again: (page addresses, flows as read from the pack's copies, the offline map
    address or ``flow:NAME`` -> HAR). Raises PackUnreadable when the pack holds no HAR to render from."""
    from auditor.flows.spec import FlowError, load_flow
    offline, pages, flows = [], [], []
    for p in run.pages:
        har = next((a.path for a in p.artefacts if a.kind == "har" and a.path.endswith("visit.har")), None)
        if har and _in_payload(data, har).is_file():
            pages.append(p.url)
            offline.append((p.url, str(_in_payload(data, har))))
            refusal = next((a.path for a in p.artefacts if a.kind == "har" and a.path.endswith("refusal.har")), None)
            if refusal and _in_payload(data, refusal).is_file():
                offline.append((f"refusal:{p.url}", str(_in_payload(data, refusal))))
    for fl in run.flows:
        har = next((a.path for a in fl.artefacts if a.kind == "har"), None)
        source = next((a.path for a in fl.artefacts if a.kind == "flow-file"), None)
        if not (har and source and _in_payload(data, har).is_file() and _in_payload(data, source).is_file()):
            continue
        start = urlsplit(fl.start)
        base = f"{start.scheme}://{start.netloc}" if start.scheme in ("http", "https") else None
        try:
            flow = load_flow(str(data / source), base)
        except FlowError as exc:
            raise PackUnreadable(f"data/{source}: {exc}") from None
        flows.append(flow)
        offline.append((f"flow:{flow.name}", str(data / har)))
    if not pages and not flows:
        raise PackUnreadable(f"{data.parent}: the pack holds no HAR to render from")
    return pages, flows, tuple(offline)

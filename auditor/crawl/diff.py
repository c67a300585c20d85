"""What changed between two runs of a crawl: new, fixed and persisting findings per site and check, new page
errors, and the targets that could not be compared.

A finding is the same in both runs when its site, matrix variant and fingerprint (v2, auditor/identity.py) are
the same. A target is compared only when both runs audited it without an error: a page that failed tonight
did not "fix" last night's findings, it is listed as not compared.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from auditor.crawl.store import Store


@dataclass
class Diff:
    before: int | None
    after: int
    new: list[dict] = field(default_factory=list)
    fixed: list[dict] = field(default_factory=list)
    persisting: list[dict] = field(default_factory=list)
    new_errors: list[dict] = field(default_factory=list)
    not_compared: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"before": self.before, "after": self.after, "new": self.new, "fixed": self.fixed,
                "persisting": self.persisting, "new_errors": self.new_errors, "not_compared": self.not_compared,
                "by_site_and_check": self.by_site_and_check()}

    def by_site_and_check(self) -> list[dict]:
        rows: dict[tuple[str, str], Counter] = {}
        for kind in ("new", "fixed", "persisting"):
            for f in getattr(self, kind):
                rows.setdefault((f["site"], f["check"]), Counter())[kind] += 1
        return [{"site": s, "check": c, "new": n["new"], "fixed": n["fixed"], "persisting": n["persisting"]}
                for (s, c), n in sorted(rows.items())]

    def summary(self) -> str:
        return (f"{len(self.new)} new, {len(self.fixed)} fixed, {len(self.persisting)} persisting"
                + (f", {len(self.new_errors)} new page error(s)" if self.new_errors else "")
                + (f", {len(self.not_compared)} target(s) not compared" if self.not_compared else ""))

    def text(self, limit: int = 50) -> str:
        """For people (and a Slack message): the summary, then what is new and what was fixed."""
        lines = [f"consent-auditor: run {self.after} against run {self.before}: {self.summary()}"]
        for label, rows in (("NEW", self.new), ("FIXED", self.fixed)):
            for f in rows[:limit]:
                lines.append(f"{label} [{f['site']}] {f['check']} ({f['severity']}) {f['url']}: {f['message']}")
        for e in self.new_errors[:limit]:
            lines.append(f"ERROR [{e['site']}] {e['target']}: {e['error_kind']}: {e['error_message']}")
        return "\n".join(lines)


def _finding(row) -> dict:
    return {"site": row["site"], "variant": row["variant"], "check": row["check_id"], "severity": row["severity"],
            "status": row["status"], "url": row["url"], "fingerprint": row["fingerprint"], "message": row["message"],
            "target": row["target"], "evidence": row["evidence"]}


def diff(store: Store, before: int | None, after: int) -> Diff:
    """``before`` None: the first run, everything is new."""
    out = Diff(before, after)
    targets_after = {t["key"]: t for t in store.targets(after)}
    targets_before = {t["key"]: t for t in store.targets(before)} if before is not None else {}
    comparable = {k for k, t in targets_after.items() if t["status"] == "done"
                  and (before is None or (k in targets_before and targets_before[k]["status"] == "done"))}
    for k, t in targets_after.items():
        if k in comparable:
            continue
        why = ("not audited in this run" if t["status"] in ("pending", "running") else
               "failed in this run" if t["status"] == "error" else
               "not in the earlier run" if k not in targets_before else "failed in the earlier run")
        out.not_compared.append({"site": t["site"], "variant": t["variant"], "target": t["target"], "why": why})
        if t["status"] == "error" and (k not in targets_before or targets_before[k]["status"] != "error"):
            out.new_errors.append({"site": t["site"], "variant": t["variant"], "target": t["target"],
                                   "error_kind": t["error_kind"], "error_message": t["error_message"]})
    for k, t in targets_before.items():
        if k not in targets_after:
            out.not_compared.append({"site": t["site"], "variant": t["variant"], "target": t["target"],
                                     "why": "not in this run"})

    def keyed(run_id):
        return {(r["site"], r["variant"], r["fingerprint"]): r for r in store.findings(run_id)
                if r["target_key"] in comparable}
    now = keyed(after)
    then = keyed(before) if before is not None else {}
    out.new = [_finding(r) for k, r in now.items() if k not in then]
    out.persisting = [_finding(r) for k, r in now.items() if k in then]
    out.fixed = [_finding(r) for k, r in then.items() if k not in now]
    return out


def last_two(store: Store, name: str | None = None) -> tuple[int | None, int]:
    """The two most recent runs (finished or not) of a crawl: (earlier or None, latest)."""
    runs = store.runs(name)
    if not runs:
        from auditor.errors import UsageError
        raise UsageError(f"{store.path}: no run recorded yet")
    return (runs[-2].id if len(runs) > 1 else None), runs[-1].id

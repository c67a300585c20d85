"""Baselines: findings a team has accepted for now, with a reason, an owner and an expiry date.

The file is TOML that a person reviews and edits in a pull request, one ``[[finding]]`` per accepted finding::

    # consent-auditor baseline ...
    version = 1

    [[finding]]
    fingerprint = "fp2:3f9a..."
    check = "prechecked-consent"
    page = "https://shop.example/signup"
    message = "Consent box is pre-checked: ..."
    reason = "Legal sign-off until the new form ships (JIRA-123)"
    owner = "growth-team"
    expires = 2027-03-31

A finding whose fingerprint is in the file is *known* (or *not reviewed* while its reason is still the one
``--update-baseline`` wrote) and does not fail the run; from the day after ``expires`` it is *expired* and fails
again; any other is *new*. An entry whose finding is gone from a page this run audited is *fixed*; one on a page
the run did not audit is *stale* and kept. ``--update-baseline`` writes the current findings, keeping the
reason, owner and expiry of the entries still present and removing the fixed ones.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import tomllib
from pathlib import Path

from auditor.errors import ConfigError
from auditor.identity import is_current
from auditor.registry import ID_RE
from auditor.models import AuditRun, BaselineEntry, BaselineResult, Finding, PageResult

VERSION = 1
#: this version's fingerprints (fp2:...) and those of older ones, which never match (reported as stale)
FINGERPRINT_RE = re.compile(r"^(fp\d+:)?[0-9a-f]{16,64}$")
NOT_REVIEWED = "not reviewed"
KEYS = ("fingerprint", "check", "page", "message", "reason", "owner", "expires")
HEADER = """\
# consent-auditor baseline: findings accepted for now. A finding listed here does not fail the run
# until the day after its `expires` date; any other finding does. Review each entry in the pull request:
# give it a `reason` (entries written by --update-baseline say "not reviewed"), an `owner`, and an
# `expires` date (YYYY-MM-DD, written without quotes). Remove an entry to make its finding fail again.
# Written by `auditor ... --baseline FILE --update-baseline`; fingerprints are fingerprint v2 ("fp2:").
"""


def load(path: Path) -> tuple[BaselineEntry, ...]:
    """The entries of a baseline file; an unreadable file, unknown key or wrong type is a ``ConfigError``
    naming the file, the entry and the key."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: baseline file not found (write it with --update-baseline)") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: baseline is a folder, expected a TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    extra = sorted(set(data) - {"version", "finding"})
    if extra:
        raise ConfigError(f"{path}: unknown key {extra[0]!r} (a baseline has `version` and [[finding]] entries)")
    version = data.get("version", VERSION)
    if version != VERSION:
        raise ConfigError(f"{path}: version: expected {VERSION}, got {version!r}")
    raw = data.get("finding", [])
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: finding: expected [[finding]] tables")
    entries: list[BaselineEntry] = []
    seen: dict[str, int] = {}
    for n, item in enumerate(raw, 1):
        where = f"{path}: finding {n}"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: expected a table")
        unknown = sorted(set(item) - set(KEYS))
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")
        for key in ("fingerprint", "check"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise ConfigError(f"{where}: {key}: expected text, got {item.get(key)!r}")
        if not FINGERPRINT_RE.match(item["fingerprint"].strip()):
            raise ConfigError(f"{where}: fingerprint: {item['fingerprint']!r} is not a fingerprint (fp2: and 24 hex digits)")
        if not ID_RE.match(item["check"]):
            raise ConfigError(f"{where}: check: {item['check']!r} is not a check id")
        for key in ("page", "message", "reason", "owner"):
            if not isinstance(item.get(key, ""), str):
                raise ConfigError(f"{where}: {key}: expected text, got {item[key]!r}")
        entries.append(BaselineEntry(fingerprint=item["fingerprint"].strip(), check=item["check"],
                                     page=item.get("page", ""), message=item.get("message", ""),
                                     reason=item.get("reason", ""), owner=item.get("owner", ""),
                                     expires=_date(item.get("expires", ""), f"{where}: expires")))
        first = seen.setdefault(entries[-1].fingerprint, n)
        if first != n:
            raise ConfigError(f"{where}: the same fingerprint as finding {first} ({entries[-1].fingerprint}); "
                              "keep one entry per finding")
    return tuple(entries)


def _date(value, where: str) -> str:
    if value in ("", None):
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise ConfigError(f"{where}: expected a date YYYY-MM-DD, got {value!r}")


def expired(entry: BaselineEntry, today: dt.date) -> bool:
    return bool(entry.expires) and dt.date.fromisoformat(entry.expires) < today


def status(entry: BaselineEntry | None, today: dt.date) -> str:
    if entry is None:
        return "new"
    if expired(entry, today):
        return "expired"
    return "known" if entry.reviewed else "not-reviewed"


def _gated(f: Finding) -> bool:
    """A finding the baseline speaks for: one that could fail the run (review findings never do)."""
    return f.status == "fail"


def _judged(pages: list[PageResult]) -> set[tuple[str, str]]:
    """(page key, check) pairs this run judged: the check ran on the page and did not fail with an error. Only
    there can an accepted finding be called fixed; elsewhere (a check not selected, left out by an override,
    broken this time) its entry is stale and kept."""
    return {(p.key, c.check) for p in pages for c in p.checks if c.outcome != "error"}


def _audited_pages(run: AuditRun) -> list[PageResult]:
    pages = [p for p in run.pages if p.error is None and p.key]
    pages += [st.page for fl in run.flows for st in fl.steps
              if st.page is not None and st.page.error is None and st.page.key]
    return pages


def apply(run: AuditRun, path: Path, update: bool = False, today: dt.date | None = None,
          prune: bool = True) -> AuditRun:
    """Each finding marked new / known / not-reviewed / expired, the fixed and stale entries listed; with
    ``update``, the file written first (created when missing) and the run judged against what it now says."""
    today = today or dt.date.today()
    old = load(path) if (path.exists() or not update) else ()
    pages = _audited_pages(run)
    found = {f.fingerprint: (f, p) for p in pages for f in p.findings if _gated(f) and f.fingerprint}
    present = {f.fingerprint for p in pages for f in p.findings}  # a finding now in review is not fixed
    judged = _judged(pages)
    by_fp = {e.fingerprint: e for e in old}
    gone = [e for e in old if e.fingerprint not in present]
    fixed = tuple(e for e in gone if is_current(e.fingerprint) and (e.page, e.check) in judged)
    stale = tuple(e for e in gone if e not in fixed)
    entries = by_fp
    if update:
        # stale entries stay, and so do entries whose finding is only in review this time
        kept = {e.fingerprint: e for e in old if (e not in fixed or not prune) and e.fingerprint not in found}
        for fp, (f, p) in found.items():
            e = by_fp.get(fp)
            kept[fp] = BaselineEntry(fingerprint=fp, check=f.check, page=p.key, message=" ".join(f.message.split()),
                                     reason=e.reason if e else NOT_REVIEWED, owner=e.owner if e else "",
                                     expires=e.expires if e else "")
        write(path, kept.values())
        entries = kept

    def mark(p: PageResult) -> PageResult:
        checks = tuple(dataclasses.replace(c, findings=tuple(
            dataclasses.replace(f, baseline=status(entries.get(f.fingerprint), today) if _gated(f) else "")
            for f in c.findings)) for c in p.checks)
        return dataclasses.replace(p, checks=checks)

    run = dataclasses.replace(
        run, pages=tuple(mark(p) for p in run.pages),
        flows=tuple(dataclasses.replace(fl, steps=tuple(
            dataclasses.replace(st, page=mark(st.page)) if st.page is not None else st for st in fl.steps))
            for fl in run.flows))
    marks = [f.baseline for f in run.findings if f.baseline]
    return dataclasses.replace(run, baseline=BaselineResult(
        path=str(path), entries=len(entries), new=marks.count("new"), known=marks.count("known"),
        not_reviewed=marks.count("not-reviewed"), expired=marks.count("expired"),
        fixed=fixed, stale=stale, updated=update,
        other_versions=sum(1 for e in old if not is_current(e.fingerprint))))


def write(path: Path, entries) -> None:
    """Write the entries, sorted by page, check and fingerprint (a stable diff), atomically."""
    import tomli_w
    rows = sorted(entries, key=lambda e: (e.page, e.check, e.fingerprint))
    body = []
    for e in rows:
        item = {"fingerprint": e.fingerprint, "check": e.check, "page": e.page, "message": e.message,
                "reason": e.reason, "owner": e.owner,
                "expires": dt.date.fromisoformat(e.expires) if e.expires else ""}
        body.append(item)
    text = HEADER + "\n" + tomli_w.dumps({"version": VERSION}) + "\n"
    text += "\n".join(tomli_w.dumps({"finding": [item]}) for item in body)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # parallel writers never share a temporary file
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)

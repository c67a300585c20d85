"""The crawl history (auditor/crawl/store.py) and the diff between runs (auditor/crawl/diff.py), on real SQLite
files: migrations from every older schema version, idempotent writes, new / fixed / persisting, page errors."""

from __future__ import annotations

import sqlite3

import pytest

from auditor.crawl import store as store_mod
from auditor.crawl.diff import diff, last_two
from auditor.crawl.store import MIGRATIONS, VERSION, Store
from auditor.errors import ConfigError


def _at_version(path, version: int) -> None:
    """A database as an older tool left it: the first ``version`` migrations only, with a run in it."""
    db = sqlite3.connect(str(path), isolation_level=None)
    for n in range(version):
        for statement in (s.strip() for s in MIGRATIONS[n].split(";")):
            if statement:
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {n + 1}")
    if version >= 1:
        db.execute("INSERT INTO runs (plan, name, started_at, status) VALUES ('p.toml', 'nightly', '2026-12-01T00:00:00Z', 'finished')")
        db.execute("INSERT INTO targets (run_id, key, site, variant, kind, target, status) VALUES (1, 'k', 'shop', 'desktop/en-US', 'page', 'https://shop.example/', 'done')")
        db.execute("INSERT INTO findings (run_id, target_id, check_id, severity, status, fingerprint, url, message) VALUES (1, 1, 'prechecked-consent', 'high', 'fail', 'fp2:aaa', 'https://shop.example/', 'Pre-checked')")
    db.close()


@pytest.mark.parametrize("version", range(VERSION))
def test_every_older_schema_upgrades_and_keeps_its_runs(tmp_path, version):
    path = tmp_path / "h.sqlite"
    _at_version(path, version)
    s = Store(path)
    assert s.version == VERSION
    if version >= 1:
        assert [r.name for r in s.runs()] == ["nightly"]
        assert [f["fingerprint"] for f in s.findings(1)] == ["fp2:aaa"]
        row = s.targets(1)[0]
        assert row["retried"] == 0 and row["seconds"] is None  # the columns of version 2 are there
    s.close()
    assert Store(path).version == VERSION  # opening again migrates nothing


def test_a_newer_or_foreign_database_is_a_clear_error(tmp_path):
    path = tmp_path / "new.sqlite"
    db = sqlite3.connect(str(path))
    db.execute(f"PRAGMA user_version = {VERSION + 1}")
    db.close()
    with pytest.raises(ConfigError, match="newer consent-auditor"):
        Store(path)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(ConfigError, match="not a run history"):
        Store(junk)


def _finding(check, fp, url="https://shop.example/"):
    return {"check": check, "severity": "high", "status": "fail", "fingerprint": fp, "url": url, "message": check}


def _run(s: Store, results: dict) -> int:
    """results: key -> list of findings, or ("error", kind) for a page that failed."""
    rid = s.start_run("p.toml", "nightly", "2026-12-01T00:00:00Z", "0", "out")
    s.add_targets(rid, [(k, "shop", "desktop/en-US", "page", k) for k in results])
    for k, r in results.items():
        s.begin_target(rid, k, "t")
        if isinstance(r, tuple):
            s.finish_target(rid, k, at="t", seconds=1.0, findings=[], error=(r[1], "it failed"))
        else:
            s.finish_target(rid, k, at="t", seconds=1.0, findings=r)
    s.finish_run(rid, "t")
    return rid


def test_diff_new_fixed_persisting_and_errors(tmp_path):
    s = Store(tmp_path / "h.sqlite")
    a = _run(s, {"home": [_finding("prechecked-consent", "fp2:1"), _finding("missing-opt-out", "fp2:2")],
                 "signup": [_finding("hidden-agreement-text", "fp2:3")], "cart": [], "gone": []})
    b = _run(s, {"home": [_finding("prechecked-consent", "fp2:1"), _finding("drip-pricing", "fp2:4")],
                 "signup": ("error", "timeout"), "cart": [_finding("sneak-into-basket", "fp2:5")], "fresh": []})
    assert last_two(s) == (a, b)
    d = diff(s, a, b)
    assert {f["fingerprint"] for f in d.new} == {"fp2:4", "fp2:5"}
    assert {f["fingerprint"] for f in d.fixed} == {"fp2:2"}  # signup failed: its finding is not "fixed"
    assert {f["fingerprint"] for f in d.persisting} == {"fp2:1"}
    assert [e["target"] for e in d.new_errors] == ["signup"]
    assert {(n["target"], n["why"]) for n in d.not_compared} == {
        ("signup", "failed in this run"), ("fresh", "not in the earlier run"), ("gone", "not in this run")}
    data = d.as_dict()
    assert all({"check", "url", "fingerprint"} <= set(f) for f in data["new"] + data["fixed"] + data["persisting"])
    assert {"site": "shop", "check": "drip-pricing", "new": 1, "fixed": 0, "persisting": 0} in data["by_site_and_check"]
    assert "2 new, 1 fixed, 1 persisting" in d.text()


def test_writing_a_target_twice_replaces_its_findings(tmp_path):
    s = Store(tmp_path / "h.sqlite")
    rid = s.start_run("p.toml", "n", "t", "0", "out")
    s.add_targets(rid, [("k", "shop", "v", "page", "u")])
    s.add_targets(rid, [("k", "shop", "v", "page", "u")])  # a resumed crawl adds the same targets again
    for _ in range(2):
        s.finish_target(rid, "k", at="t", seconds=1.0, findings=[_finding("a", "fp2:1"), _finding("a", "fp2:1")])
    assert len(s.targets(rid)) == 1 and len(s.findings(rid)) == 1


def test_the_first_run_is_all_new_and_an_empty_history_is_a_usage_error(tmp_path):
    s = Store(tmp_path / "h.sqlite")
    from auditor.errors import UsageError
    with pytest.raises(UsageError):
        last_two(s)
    a = _run(s, {"home": [_finding("prechecked-consent", "fp2:1")]})
    assert last_two(s) == (None, a)
    assert [f["fingerprint"] for f in diff(s, None, a).new] == ["fp2:1"]


def test_migrations_are_numbered_and_transactional():
    assert store_mod.VERSION == len(MIGRATIONS) >= 2


def test_shards_merge_into_one_run_and_overlap_is_refused(tmp_path):
    from auditor.crawl.store import merge
    a, b = Store(tmp_path / "s1.sqlite"), Store(tmp_path / "s2.sqlite")
    _run(a, {"home": [_finding("prechecked-consent", "fp2:1")], "cart": []})
    _run(b, {"signup": [_finding("missing-opt-out", "fp2:2")], "account": ("error", "timeout")})
    dest = Store(tmp_path / "all.sqlite")
    rid = merge(dest, [a, b])
    assert sorted(t["key"] for t in dest.targets(rid)) == ["account", "cart", "home", "signup"]
    assert sorted(f["fingerprint"] for f in dest.findings(rid)) == ["fp2:1", "fp2:2"]
    assert dest.run(rid).status == "finished"
    assert [e["target"] for e in diff(dest, None, rid).new_errors] == ["account"]
    c = Store(tmp_path / "s3.sqlite")
    _run(c, {"home": []})
    with pytest.raises(ConfigError, match="shards overlap"):
        merge(Store(tmp_path / "other.sqlite"), [a, c])
    assert Store(tmp_path / "other.sqlite").runs() == []  # the refused merge left nothing behind

"""The run history: SQLite (a file next to the plan, nothing to install), its schema created and migrated by the
tool's own numbered migrations (``PRAGMA user_version``; each migration runs in a transaction, and every older
version is tested to upgrade to the newest).

Everything is written as it happens, one short transaction per target: a crawl killed with ``kill -9`` leaves
every finished target stored, and the targets that were in flight marked ``running`` (``--resume`` audits them
again). Results are written idempotently: a target's findings are replaced, never added twice.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from auditor.errors import ConfigError

#: the migrations, in order: MIGRATIONS[n] brings a database from version n to n + 1
MIGRATIONS: tuple[str, ...] = (
    # 1: runs, their targets (one per site, matrix variant, page or flow), findings by fingerprint v2
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        plan TEXT NOT NULL,
        name TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL DEFAULT 'running',   -- running | finished | interrupted
        tool_version TEXT NOT NULL DEFAULT '',
        out TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE targets (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key TEXT NOT NULL,                         -- site | variant | kind | address or flow file
        site TEXT NOT NULL,
        variant TEXT NOT NULL,
        kind TEXT NOT NULL,                        -- page | flow
        target TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',    -- pending | running | done | error
        attempts INTEGER NOT NULL DEFAULT 0,
        started_at TEXT,
        finished_at TEXT,
        error_kind TEXT,
        error_message TEXT,
        report TEXT,                               -- the report or screenshot that shows it (relative to out)
        UNIQUE (run_id, key)
    );
    CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        target_id INTEGER NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
        check_id TEXT NOT NULL,
        severity TEXT NOT NULL,
        status TEXT NOT NULL,                      -- fail | review
        fingerprint TEXT NOT NULL,
        url TEXT NOT NULL,
        message TEXT NOT NULL,
        evidence TEXT,
        UNIQUE (target_id, fingerprint)
    );
    CREATE INDEX findings_run ON findings(run_id, fingerprint);
    CREATE INDEX targets_run ON targets(run_id, status);
    """,
    # 2: timings and retries (how long each audit took, how many tries a transient failure needed), and the shard
    # that audited it (sharded crawls are merged into one run)
    """
    ALTER TABLE targets ADD COLUMN seconds REAL;
    ALTER TABLE targets ADD COLUMN retried INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE targets ADD COLUMN shard TEXT;
    ALTER TABLE runs ADD COLUMN shard TEXT;
    """,
)
VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class Run:
    id: int
    plan: str
    name: str
    started_at: str
    finished_at: str | None
    status: str


class Store:
    """One SQLite history file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.migrate()
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"{self.path}: not a run history this tool can read ({exc})") from None

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @property
    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> int:
        """Bring the database to the newest schema; returns the version it had. A newer one is an error."""
        had = self.version
        if had > VERSION:
            raise ConfigError(f"{self.path}: written by a newer consent-auditor (schema {had}, this one knows "
                              f"{VERSION})")
        for n in range(had, VERSION):
            with self.tx() as db:
                for statement in (s.strip() for s in MIGRATIONS[n].split(";")):
                    if statement and not statement.startswith("--"):
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {n + 1}")
        return had

    # ------------------------------------------------------------------ runs

    def start_run(self, plan: str, name: str, started_at: str, version: str, out: str, shard: str | None = None) -> int:
        with self.tx() as db:
            cur = db.execute("INSERT INTO runs (plan, name, started_at, tool_version, out, shard) VALUES (?,?,?,?,?,?)",
                             (plan, name, started_at, version, out, shard))
            return int(cur.lastrowid)

    def finish_run(self, run_id: int, finished_at: str, status: str = "finished") -> None:
        with self.tx() as db:
            db.execute("UPDATE runs SET finished_at = ?, status = ? WHERE id = ?", (finished_at, status, run_id))

    def runs(self, name: str | None = None) -> list[Run]:
        rows = self.db.execute("SELECT id, plan, name, started_at, finished_at, status FROM runs "
                               + ("WHERE name = ? " if name else "") + "ORDER BY id", (name,) if name else ())
        return [Run(**dict(r)) for r in rows]

    def run(self, run_id: int) -> Run | None:
        row = self.db.execute("SELECT id, plan, name, started_at, finished_at, status FROM runs WHERE id = ?",
                              (run_id,)).fetchone()
        return Run(**dict(row)) if row else None

    def run_out(self, run_id: int) -> str:
        row = self.db.execute("SELECT out FROM runs WHERE id = ?", (run_id,)).fetchone()
        return row[0] if row else ""

    # ------------------------------------------------------------------ targets

    def add_targets(self, run_id: int, rows: list[tuple[str, str, str, str, str]], shard: str | None = None) -> None:
        """(key, site, variant, kind, target) rows, pending; a key already there is left as it is."""
        with self.tx() as db:
            db.executemany("INSERT OR IGNORE INTO targets (run_id, key, site, variant, kind, target, shard) "
                           "VALUES (?,?,?,?,?,?,?)", [(run_id, *r, shard) for r in rows])

    def todo(self, run_id: int) -> list[sqlite3.Row]:
        """Targets not finished: pending, and those that were running when the crawl stopped."""
        return list(self.db.execute("SELECT * FROM targets WHERE run_id = ? AND status IN ('pending', 'running') "
                                    "ORDER BY id", (run_id,)))

    def targets(self, run_id: int) -> list[sqlite3.Row]:
        return list(self.db.execute("SELECT * FROM targets WHERE run_id = ? ORDER BY id", (run_id,)))

    def begin_target(self, run_id: int, key: str, at: str) -> None:
        with self.tx() as db:
            db.execute("UPDATE targets SET status = 'running', started_at = ?, attempts = attempts + 1 "
                       "WHERE run_id = ? AND key = ?", (at, run_id, key))

    def finish_target(self, run_id: int, key: str, *, at: str, seconds: float, findings: list[dict],
                      error: tuple[str, str] | None = None, report: str | None = None, retried: int = 0) -> None:
        """A target's outcome and findings in one transaction (written again, they replace what was there)."""
        with self.tx() as db:
            row = db.execute("SELECT id FROM targets WHERE run_id = ? AND key = ?", (run_id, key)).fetchone()
            if row is None:
                raise KeyError(key)
            tid = row[0]
            db.execute("DELETE FROM findings WHERE target_id = ?", (tid,))
            db.executemany(
                "INSERT OR IGNORE INTO findings (run_id, target_id, check_id, severity, status, fingerprint, url, "
                "message, evidence) VALUES (?,?,?,?,?,?,?,?,?)",
                [(run_id, tid, f["check"], f["severity"], f["status"], f["fingerprint"], f["url"], f["message"],
                  f.get("evidence")) for f in findings])
            db.execute("UPDATE targets SET status = ?, finished_at = ?, seconds = ?, error_kind = ?, "
                       "error_message = ?, report = ?, retried = ? WHERE id = ?",
                       ("error" if error else "done", at, seconds, error[0] if error else None,
                        error[1] if error else None, report, retried, tid))

    def findings(self, run_id: int) -> list[sqlite3.Row]:
        return list(self.db.execute(
            "SELECT f.*, t.site, t.variant, t.kind, t.target, t.key AS target_key FROM findings f "
            "JOIN targets t ON t.id = f.target_id WHERE f.run_id = ? ORDER BY f.id", (run_id,)))


def merge(dest: Store, sources: list[Store], name: str | None = None) -> int:
    """One run in ``dest`` made of the latest run of each shard's history (``sources``): every target and its
    findings, each shard's label kept on its targets. A key audited by two shards is an error (the shards of one
    crawl never overlap); returns the new run's id."""
    picked = []
    for src in sources:
        runs = src.runs(name)
        if not runs:
            raise ConfigError(f"{src.path}: no run to merge")
        picked.append((src, runs[-1]))
    first = min(r.started_at for _, r in picked)
    last = max((r.finished_at or r.started_at) for _, r in picked)
    status = "finished" if all(r.status == "finished" for _, r in picked) else "interrupted"
    plan_name = picked[0][1].name
    seen: dict[str, str] = {}
    with dest.tx() as db:  # all or nothing: a refused merge leaves no half run behind
        run_id = int(db.execute("INSERT INTO runs (plan, name, started_at, tool_version, out, shard) "
                                "VALUES (?,?,?,?,?,?)", (picked[0][1].plan, plan_name, first, "", "", "merged")).lastrowid)
        for src, r in picked:
            shard_out = src.run_out(r.id)
            for t in src.targets(r.id):
                if t["key"] in seen:
                    raise ConfigError(f"{src.path}: target {t['key']!r} is also in {seen[t['key']]} (shards overlap)")
                seen[t["key"]] = str(src.path)
                report = str(Path(shard_out) / t["report"]) if t["report"] and shard_out else t["report"]
                cur = db.execute(
                    "INSERT INTO targets (run_id, key, site, variant, kind, target, status, attempts, started_at, "
                    "finished_at, error_kind, error_message, report, seconds, retried, shard) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (run_id, t["key"], t["site"], t["variant"], t["kind"], t["target"], t["status"], t["attempts"],
                     t["started_at"], t["finished_at"], t["error_kind"], t["error_message"], report, t["seconds"],
                     t["retried"], t["shard"] or str(src.path.name)))
                new_tid = cur.lastrowid
                db.executemany(
                    "INSERT INTO findings (run_id, target_id, check_id, severity, status, fingerprint, url, message, "
                    "evidence) VALUES (?,?,?,?,?,?,?,?,?)",
                    [(run_id, new_tid, f["check_id"], f["severity"], f["status"], f["fingerprint"], f["url"],
                      f["message"], f["evidence"]) for f in src.findings(r.id) if f["target_id"] == t["id"]])
        db.execute("UPDATE runs SET finished_at = ?, status = ? WHERE id = ?", (last, status, run_id))
    return run_id

"""Nightly crawls end to end (issue 15) on the demo shop, served on one fixed port both nights: night two has one
pattern fixed and one added, and the diff says exactly that; a crawl killed with kill -9 and resumed loses
nothing and doubles nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from crawl_nights import nights, plan_text  # noqa: E402
from devserver import serve  # noqa: E402

PAGES = ("index.html", "signup.html", "account.html", "cart.html")


def auditor(*args, timeout=900):
    return subprocess.run([sys.executable, "-m", "auditor", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def plan(tmp: Path, port: int, pages=PAGES, viewports=("desktop",)) -> Path:
    path = tmp / "plan.toml"
    path.write_text(plan_text(port, pages, viewports), encoding="utf-8")
    return path


@pytest.mark.browser
def test_two_nights_the_diff_names_what_was_fixed_and_what_is_new(tmp_path, browser):
    one, two = nights(tmp_path)
    port = free_port()
    p = plan(tmp_path, port)
    with serve(one, port=port):
        first = auditor("crawl", p, "--json", tmp_path / "night1.json")
    assert first.returncode == 1, first.stderr[-2000:]  # the first night: everything is new
    with serve(two, port=port):
        second = auditor("crawl", p, "--json", tmp_path / "night2.json")
    assert second.returncode == 1, second.stderr[-2000:]
    diff = json.loads((tmp_path / "night2.json").read_text())
    assert [(f["check"], f["url"].rsplit("/", 1)[1]) for f in diff["new"]] == [("prechecked-consent", "account.html")]
    assert "text message" in diff["new"][0]["message"]
    assert [(f["check"], f["url"].rsplit("/", 1)[1]) for f in diff["fixed"]] == [("prechecked-consent", "signup.html")]
    assert "partners" in diff["fixed"][0]["message"]
    night1 = json.loads((tmp_path / "night1.json").read_text())
    assert len(diff["persisting"]) == len(night1["new"]) - 1
    assert not diff["new_errors"] and not diff["not_compared"]
    for f in diff["new"] + diff["fixed"] + diff["persisting"]:
        assert {"check", "url", "fingerprint"} <= set(f)
    # the same, asked afterwards of the history
    again = auditor("diff", "--db", tmp_path / "nightly.sqlite", "--json", tmp_path / "again.json")
    assert again.returncode == 1 and json.loads((tmp_path / "again.json").read_text())["new"] == diff["new"]
    # and from a night to itself nothing is new
    same = auditor("diff", "2", "2", "--db", tmp_path / "nightly.sqlite")
    assert same.returncode == 0 and "0 new, 0 fixed" in same.stdout
    with sqlite3.connect(tmp_path / "nightly.sqlite") as db:
        assert db.execute("SELECT count(*) FROM runs WHERE status = 'finished'").fetchone()[0] == 2
        assert db.execute("SELECT count(*) FROM targets WHERE seconds > 0").fetchone()[0] == 2 * len(PAGES)
    # the dashboard, opened from disk in a real browser: the numbers it shows are the history's
    made = auditor("dashboard", p)
    assert made.returncode == 0, made.stderr
    index = tmp_path / "nightly-runs" / "dashboard" / "index.html"
    blocked = []
    context = browser.new_context(offline=True)
    page = context.new_page()
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(index.as_uri())
    shown = {k: page.inner_text(f"#count-{k}") for k in ("new", "fixed", "persisting", "errors")}
    header = page.locator("#matrix thead th").all_inner_texts()
    cells = {tuple(r[:2]): r[2:] for r in (row.locator("td").all_inner_texts()
                                          for row in page.locator("#matrix tbody tr").all()) if len(r) > 2}
    trend = page.locator("#trend text[data-site='demo']").all_text_contents()
    links = page.locator("#runs a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    for href in links[:2]:
        assert (index.parent / href).resolve().is_file(), href
    context.close()
    assert shown == {"new": "1", "fixed": "1", "persisting": str(len(diff["persisting"])), "errors": "0"}
    assert header[2:] == ["#1", "#2"]
    night1_count = sum(1 for f in night1["new"] if f["status"] == "fail")
    prechecked_1 = sum(1 for f in night1["new"] if f["check"] == "prechecked-consent" and f["status"] == "fail")
    assert cells[("demo", "prechecked-consent")] == [str(prechecked_1), str(prechecked_1)]  # one fixed, one new
    assert trend == [str(night1_count), str(night1_count)]
    assert links and not blocked


@pytest.mark.browser
def test_kill_9_then_resume_loses_nothing_and_doubles_nothing(tmp_path):
    port = free_port()
    pages = ("index.html", "cart.html", "signup.html", "account.html")
    p = plan(tmp_path, port, pages, viewports=("desktop", "mobile"))
    db_path = tmp_path / "nightly.sqlite"
    with serve(ROOT / "fixtures", port=port):
        proc = subprocess.Popen([sys.executable, "-m", "auditor", "crawl", str(p)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 300
            done = 0
            while time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.5)
                if db_path.exists():
                    try:
                        with sqlite3.connect(db_path, timeout=5) as db:
                            done = db.execute("SELECT count(*) FROM targets WHERE status = 'done'").fetchone()[0]
                    except sqlite3.OperationalError:
                        continue
                if done >= 3:
                    break
            assert proc.poll() is None, "the crawl finished before it could be killed"
            os.killpg(proc.pid, signal.SIGKILL)  # the crawl and its browser, no chance to clean up
            proc.wait(30)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        with sqlite3.connect(db_path) as db:
            before = {k: (s, a) for k, s, a in db.execute("SELECT key, status, attempts FROM targets")}
            run_status = db.execute("SELECT status FROM runs").fetchone()[0]
        assert run_status == "running" and sum(1 for s, _ in before.values() if s == "done") >= 3
        assert any(s != "done" for s, _ in before.values())
        resumed = auditor("crawl", p, "--resume")
    assert resumed.returncode in (0, 1), resumed.stderr[-2000:]
    with sqlite3.connect(db_path) as db:
        rows = {k: (s, a) for k, s, a in db.execute("SELECT key, status, attempts FROM targets")}
        runs = db.execute("SELECT count(*), min(status) FROM runs").fetchone()
        doubled = db.execute("SELECT count(*) FROM (SELECT target_id, fingerprint, count(*) n FROM findings "
                             "GROUP BY target_id, fingerprint HAVING n > 1)").fetchone()[0]
        per_target = dict(db.execute("SELECT t.key, count(f.id) FROM targets t LEFT JOIN findings f "
                                     "ON f.target_id = t.id GROUP BY t.key"))
    assert runs == (1, "finished")  # the same run, finished
    assert set(rows) == set(before) and len(rows) == len(pages) * 2
    assert all(s == "done" for s, _ in rows.values()), rows
    for key, (status, attempts) in before.items():
        if status == "done":  # finished before the kill: not audited again
            assert rows[key][1] == attempts == 1
    assert doubled == 0
    assert all(n > 0 for n in per_target.values()), per_target

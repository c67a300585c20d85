"""The distributed crawl: a real redis-server (the Debian package, installed if missing and run as root) and two
real `auditor worker` processes; the worker process auditing a target is killed in the middle of it, and every
target is still audited exactly once in the stored run."""

from __future__ import annotations

import os
import shutil
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

from crawl_nights import plan_text  # noqa: E402
from devserver import serve  # noqa: E402

PAGES = ("index.html", "cart.html", "signup.html", "account.html")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_binary() -> str | None:
    found = shutil.which("redis-server")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "redis-server"], capture_output=True, timeout=600)
        found = shutil.which("redis-server")
    return found


@pytest.fixture
def redis_url(tmp_path):
    binary = redis_binary()
    if binary is None:
        pytest.skip("redis-server is not installed and cannot be (apt-get install redis-server, as root)")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


def _worker(redis_url: str, trace: Path):
    env = dict(os.environ, AUDITOR_WORKER_TRACE=str(trace))
    return subprocess.Popen([sys.executable, "-m", "auditor", "worker", "--broker", redis_url, "--max-tasks", "20"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


@pytest.mark.browser
def test_a_killed_worker_loses_nothing_and_doubles_nothing(tmp_path, redis_url):
    trace = tmp_path / "trace"
    trace.mkdir()
    port = free_port()
    plan = tmp_path / "plan.toml"
    plan.write_text(plan_text(port, PAGES), encoding="utf-8")
    workers = [_worker(redis_url, trace), _worker(redis_url, trace)]
    try:
        with serve(ROOT / "fixtures", port=port):
            crawl = subprocess.Popen([sys.executable, "-m", "auditor", "crawl", str(plan), "--broker", redis_url,
                                      "--json", str(tmp_path / "diff.json")], cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
            killed = None
            deadline = time.monotonic() + 240
            while killed is None and time.monotonic() < deadline and crawl.poll() is None:
                time.sleep(0.2)
                for log in trace.glob("*.log"):
                    lines = log.read_text().splitlines()
                    if lines:  # a pool process that has started a target: kill it in the middle of it
                        killed = (int(log.stem), lines[-1].split("\t")[1])
                        os.kill(killed[0], signal.SIGKILL)
                        break
            assert killed is not None, "no worker ever started a target"
            out, err = crawl.communicate(timeout=600)
    finally:
        for w in workers:
            try:
                os.killpg(w.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for w in workers:
            try:
                w.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(w.pid, signal.SIGKILL)
    assert crawl.returncode == 1, err[-2000:]  # the first run: everything is new
    with sqlite3.connect(tmp_path / "nightly.sqlite") as db:
        rows = db.execute("SELECT key, status FROM targets").fetchall()
        doubled = db.execute("SELECT count(*) FROM (SELECT target_id, fingerprint, count(*) n FROM findings "
                             "GROUP BY target_id, fingerprint HAVING n > 1)").fetchone()[0]
        empty = db.execute("SELECT count(*) FROM targets t WHERE NOT EXISTS (SELECT 1 FROM findings f "
                           "WHERE f.target_id = t.id)").fetchone()[0]
        status = db.execute("SELECT status FROM runs").fetchone()[0]
    assert status == "finished" and len(rows) == len(PAGES)
    assert all(s == "done" for _, s in rows), rows
    assert doubled == 0 and empty == 0  # every dark page has findings, each stored once
    starts = [line.split("\t")[1] for log in trace.glob("*.log") for line in log.read_text().splitlines()]
    assert starts.count(killed[1]) >= 2, "the killed worker's target was delivered again"
    assert len({int(p.stem) for p in trace.glob("*.log")}) >= 2, "more than one worker process took targets"

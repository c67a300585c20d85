"""A run that is stopped (SIGTERM, Ctrl-C) or whose browser dies still writes its reports from what was done:
real processes, real Chromium, a real server that keeps one page waiting."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = (b"<!doctype html><html lang='en'><title>Sign up</title><form action='/signup'><p><label><input type=checkbox "
        b"name=news checked> Send me marketing emails</label></p><button type=submit>Create account</button></form>")


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/slow"):
            self.server.release.wait(60)  # answers only when the test lets it (or never, in practice)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        try:
            self.wfile.write(GOOD)
        except OSError:
            pass


@pytest.fixture()
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    srv.release = threading.Event()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.release.set()
    srv.shutdown()


def _start(server: str, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "auditor", "scan", f"{server}/good", f"{server}/slow-1", f"{server}/slow-2",
         "--out", str(out), "--no-interact", "--concurrency", "3", "--timeout", "120"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # a shell's background job inherits SIGINT ignored (so Ctrl-C in the terminal spares it); the scan must
        # get the default disposition, as from a terminal, whatever started this test run
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for_first_page(out: Path, proc: subprocess.Popen, seconds: float = 90) -> None:
    stream = out / "pages.jsonl"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if stream.exists() and stream.read_text(encoding="utf-8").strip():
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    pytest.fail("the good page was not audited in time")


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                children.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    out, stack = [], [pid]
    while stack:
        for c in children.get(stack.pop(), ()):
            out.append(c)
            stack.append(c)
    return out


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def _pages(out: Path) -> dict[str, dict]:
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {p["url"].rsplit("/", 1)[1]: p for p in report["pages"]}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_run_writes_its_reports_and_leaves_no_browser(server, tmp_path, sig):
    out = tmp_path / "out"
    proc = _start(server, out)
    _wait_for_first_page(out, proc)
    family = _descendants(proc.pid)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert "Traceback" not in stderr, stderr
    assert proc.returncode == 3, (proc.returncode, stderr)
    assert "interrupted" in stderr
    pages = _pages(out)
    assert pages["good"]["error"] is None
    assert any(f["check"] == "prechecked-consent" for f in pages["good"]["findings"])
    for slow in ("slow-1", "slow-2"):
        assert pages[slow]["error"]["kind"] == "interrupted", pages[slow]
    assert (out / "report.html").exists()
    time.sleep(1)
    left = [p for p in family if Path(f"/proc/{p}").exists() and "chromium" in _cmdline(p)]
    assert not left, f"browser processes left behind: {left}"


def test_a_browser_that_dies_mid_run_still_gives_reports(server, tmp_path):
    out = tmp_path / "out"
    proc = _start(server, out)
    _wait_for_first_page(out, proc)
    browsers = [p for p in _descendants(proc.pid) if "--remote-debugging-pipe" in _cmdline(p)]
    assert browsers, "no browser process found under the scan"
    for pid in browsers:
        os.kill(pid, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=90)
    assert "Traceback" not in stderr, stderr
    assert proc.returncode == 3, (proc.returncode, stderr)
    pages = _pages(out)
    assert any(f["check"] == "prechecked-consent" for f in pages["good"]["findings"])
    for slow in ("slow-1", "slow-2"):
        assert pages[slow]["error"] is not None, pages[slow]
        assert pages[slow]["error"]["kind"] in ("browser-closed", "unreachable", "crash"), pages[slow]
    assert (out / "report.html").exists()

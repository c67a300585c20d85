"""The command line as a user runs it: real processes, real Chromium, documented exit codes, no tracebacks."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from devserver import serve

ROOT = Path(__file__).resolve().parents[2]
MINIMAL_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
               b"endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def auditor(*args, timeout=120, env=None):
    import os
    e = dict(os.environ)
    e.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "auditor", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=e)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    (root / "clean.html").write_text("<!doctype html><title>Clean</title><h1>Hello</h1>"
                                     "<label><input type=checkbox name=n> Send me offers</label>", encoding="utf-8")
    (root / "dark.html").write_text("<!doctype html><title>Dark</title>"
                                    "<label><input type=checkbox checked name=n> Send me offers by email</label>",
                                    encoding="utf-8")
    (root / "doc.pdf").write_bytes(MINIMAL_PDF)
    with serve(root) as (origin, _):
        yield origin


@pytest.fixture()
def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture()
def hanging_server():
    """Accepts connections and never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    conns = []
    stop = threading.Event()

    def loop():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append(srv.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}/"
    stop.set()
    t.join()
    for c in conns:
        c.close()
    srv.close()


def test_clean_page_exits_0_and_dark_page_exits_1(site, tmp_path):
    ok = auditor("scan", f"{site}/clean.html", "--out", str(tmp_path / "a"))
    assert ok.returncode == 0, ok.stderr
    bad = auditor("scan", f"{site}/dark.html", "--out", str(tmp_path / "b"))
    assert bad.returncode == 1, bad.stderr
    assert "prechecked-consent" in bad.stdout


def test_json_report_schema(site, tmp_path):
    out = tmp_path / "o"
    auditor("scan", f"{site}/dark.html", "--out", str(out), "--json", str(tmp_path / "r.json"))
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["schema"] == "consent-auditor/report/v1"
    assert rep["tool"]["name"] == "consent-auditor" and rep["tool"]["version"]
    assert rep["browser"]["version"] and "HeadlessChrome" not in rep["browser"]["user_agent"]
    assert rep["started_at"].endswith("Z") and rep["finished_at"].endswith("Z")
    (page,) = rep["pages"]
    assert {"url", "final_url", "title", "status", "error", "screenshot", "findings"} <= set(page)
    assert page["status"] == 200 and page["error"] is None
    assert (out / page["screenshot"]).is_file()
    (f,) = page["findings"]
    assert {"check", "severity", "confidence", "message", "selector", "frame", "text", "box", "screenshot",
            "fingerprint"} <= set(f)
    assert f["check"] == "prechecked-consent"
    assert set(f["box"]) == {"x", "y", "width", "height"}
    assert (out / f["screenshot"]).is_file()
    assert (out / "report.html").is_file() and (out / "pages.jsonl").read_text().count("\n") == 1


def test_malformed_url_is_a_usage_error(tmp_path):
    p = auditor("scan", "htp:/nonsense", "--out", str(tmp_path))
    assert p.returncode == 2
    assert "htp:/nonsense" in p.stderr and p.stderr.strip().count("\n") == 0


def test_refused_connection_is_reported_and_other_pages_still_audited(site, closed_port, tmp_path):
    p = auditor("scan", f"http://127.0.0.1:{closed_port}/", f"{site}/dark.html", "--out", str(tmp_path))
    assert p.returncode == 3
    assert f"127.0.0.1:{closed_port}" in p.stderr and "connection refused" in p.stderr
    rep = json.loads((tmp_path / "report.json").read_text())
    bad, good = rep["pages"]
    assert bad["error"]["kind"] == "unreachable"
    assert good["error"] is None and good["findings"]


def test_http_404(site, tmp_path):
    p = auditor("scan", f"{site}/missing.html", "--out", str(tmp_path))
    assert p.returncode == 3 and "HTTP 404" in p.stderr


def test_page_that_never_loads_times_out(hanging_server, tmp_path):
    p = auditor("scan", hanging_server, "--timeout", "3", "--out", str(tmp_path))
    assert p.returncode == 3 and "timeout" in p.stderr


def test_pdf_is_not_html(site, tmp_path):
    p = auditor("scan", f"{site}/doc.pdf", "--out", str(tmp_path))
    assert p.returncode == 3 and "not HTML" in p.stderr


def test_bad_options_are_usage_errors(site, tmp_path):
    assert auditor("scan", f"{site}/clean.html", "--viewport", "huge", "--out", str(tmp_path)).returncode == 2
    assert auditor("scan", f"{site}/clean.html", "--fail-on", "critical", "--out", str(tmp_path)).returncode == 2
    cfg = tmp_path / "c.toml"
    cfg.write_text("[thresholds]\nno_such_threshold = 3\n")
    p = auditor("scan", f"{site}/clean.html", "--config", str(cfg), "--out", str(tmp_path))
    assert p.returncode == 2 and "no_such_threshold" in p.stderr


def test_missing_browser_names_both_ways_to_install(site, tmp_path):
    p = auditor("scan", f"{site}/clean.html", "--out", str(tmp_path), env={"AUDITOR_BROWSER": "/nonexistent/chrome"})
    assert p.returncode == 2 and "/nonexistent/chrome" in p.stderr


def test_checks_list_and_explain():
    p = auditor("checks")
    assert p.returncode == 0
    for cid in ("prechecked-consent", "hidden-agreement-text", "missing-opt-out"):
        assert cid in p.stdout
    e = auditor("checks", "explain", "prechecked-consent")
    assert e.returncode == 0 and "## How to fix" in e.stdout and "Planet49" in e.stdout
    assert auditor("checks", "explain", "no-such-check").returncode == 2

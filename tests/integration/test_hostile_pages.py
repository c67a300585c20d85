"""Hostile and broken pages (fixtures/hostile/), through the real command line.

Every case in fixtures/hostile/EXPECT.json is audited by `python -m auditor scan` (or `flow`) in a subprocess with a
hard timeout, against servers started here on 127.0.0.1: tests/devserver.py for the static pages, and a raw HTTP server
for responses no well-behaved server sends (lying Content-Length, broken gzip, held-open bodies, 401/407 challenges,
redirects out of a flow's scope). Pages that belong together are audited in one run (`--concurrency 3`), each with a
good page last, and every page's entry is checked on its own, so a failure names its case. If a run is killed at its
timeout, the pages it finished are still judged from OUT/pages.jsonl and the run's own test fails.

The browser's environment points http_proxy/https_proxy/all_proxy at a local sink that records and drops every
connection, so nothing leaves 127.0.0.1, even if a target were mistaken for a host name.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from devserver import serve

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "fixtures" / "hostile"
SPEC = json.loads((HOSTILE / "EXPECT.json").read_text(encoding="utf-8"))
CASES = {c["id"]: c for c in SPEC["cases"]}
RUNS = SPEC["runs"]
GOOD_TEXT = "marketing emails"
CONTROL_BYTES = {"ESC": b"\x1b", "BEL": b"\x07", "CSI (U+009B)": "\x9b".encode(), "raw 0x9b": b"\x9b",
                 "BS": b"\x08", "CR": b"\r", "RLO (U+202E)": "\u202e".encode()}


# --------------------------------------------------------------------------------------------------------------------
# running the command line


@dataclass
class Run:
    args: list
    out: Path
    returncode: int | None
    stdout: bytes
    stderr: bytes
    seconds: float
    timed_out: bool
    timeout: float

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", "replace")

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    def report(self) -> dict | None:
        p = self.out / "report.json"
        if not p.is_file():
            return None
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except ValueError:
            return None

    def pages(self) -> list[dict]:
        rep = self.report()
        if rep is not None:
            return list(rep.get("pages") or [])
        # killed before the report: the pages that finished are in pages.jsonl
        p = self.out / "pages.jsonl"
        pages = []
        if p.is_file():
            for line in p.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    pages.append(json.loads(line))
                except ValueError:
                    pass
        return pages

    def page(self, url: str) -> dict | None:
        for pg in self.pages():
            u = pg.get("url") or ""
            if u == url or u.rstrip("/") == url.rstrip("/"):
                return pg
        return None

    def describe(self) -> str:
        state = f"killed after {self.timeout:.0f} s" if self.timed_out else f"exit {self.returncode}"
        return (f"auditor {' '.join(map(str, self.args))}\n  ({state}, {self.seconds:.1f} s)\n"
                f"--- stderr (tail) ---\n{self.err[-2500:]}\n--- stdout (tail) ---\n{self.text[-1500:]}")


def cli_env(sink_port: int) -> dict:
    env = dict(os.environ)
    proxy = f"http://127.0.0.1:{sink_port}"
    for k in ("http_proxy", "https_proxy", "all_proxy", "ftp_proxy"):
        env[k] = proxy
        env[k.upper()] = proxy
    env["no_proxy"] = env["NO_PROXY"] = "127.0.0.1,localhost"
    return env


def run_cli(args: list, out: Path, timeout: float, env: dict, cwd: Path = ROOT) -> Run:
    """Run `python -m auditor ARGS`; on timeout kill its whole process group (the browser with it)."""
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "auditor", *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    timed_out = False
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc.pid)
        stdout, stderr = proc.communicate()
    finally:
        _kill_group(proc.pid)  # whatever it left behind (a browser, a frozen renderer)
    return Run(list(args), out, None if timed_out else proc.returncode, stdout, stderr,
               time.monotonic() - started, timed_out, timeout)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------------------------------------------------
# servers


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass


class Sink:
    """A do-nothing proxy: records the first line of every connection (a CONNECT or a GET) and closes it."""

    def __init__(self):
        self.lines: list[str] = []
        sink = self

        class H(socketserver.BaseRequestHandler):
            def handle(self):
                self.request.settimeout(2)
                try:
                    data = self.request.recv(4096)
                except OSError:
                    data = b""
                sink.lines.append(data.split(b"\r\n", 1)[0].decode("latin-1"))

        self.server = _TCPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


STATUS = {
    401: ("Unauthorized", [("WWW-Authenticate", 'Basic realm="x"')]),
    403: ("Forbidden", []),
    407: ("Proxy Authentication Required", [("Proxy-Authenticate", 'Basic realm="x"')]),
    451: ("Unavailable For Legal Reasons", []),
    500: ("Internal Server Error", []),
    503: ("Service Unavailable", [("Retry-After", "120")]),
}


class RawServer:
    """Answers with hand-written bytes. Records (method, Host, target) of every request."""

    def __init__(self):
        self.requests: list[tuple[str, str, str]] = []
        self.release = threading.Event()  # held-open bodies are finished (or dropped) when this is set
        raw = self

        class H(socketserver.BaseRequestHandler):
            def handle(self):
                sock = self.request
                sock.settimeout(30)
                try:
                    f = sock.makefile("rb")
                    line = f.readline(65537).decode("latin-1").strip()
                    headers = {}
                    while True:
                        h = f.readline(65537)
                        if h in (b"\r\n", b"\n", b""):
                            break
                        k, _, v = h.decode("latin-1").partition(":")
                        headers[k.strip().lower()] = v.strip()
                    parts = line.split()
                    if len(parts) < 2:
                        return
                    raw.requests.append((parts[0], headers.get("host", ""), parts[1]))
                    raw.respond(sock, parts[1])
                except OSError:
                    pass
                finally:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        self.server = _TCPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.outside = self.origin                        # out of a flow's scope
        self.inside = f"http://localhost:{self.port}"     # a flow's start host
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def head(status: str, headers: list[tuple[str, str]]) -> bytes:
        lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def html(self, sock, body: bytes, status="200 OK", extra=()):
        sock.sendall(self.head(status, [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"),
                                        ("Content-Length", str(len(body))), ("Connection", "close"), *extra]) + body)

    def respond(self, sock, target: str):
        path = target.split("?", 1)[0]
        if path == "/good.html":
            return self.html(sock, (HOSTILE / "good.html").read_bytes())
        m = re.fullmatch(r"/status/(\d+)", path)
        if m and int(m.group(1)) in STATUS:
            n = int(m.group(1))
            reason, extra = STATUS[n]
            body = (f"<!doctype html><html lang=en><title>{n} {reason}</title><h1>{n} {reason}</h1>"
                    f"<p>Sorry, this page is not available.</p></html>").encode()
            return self.html(sock, body, status=f"{n} {reason}", extra=extra)
        if path in ("/partial/window-stop.html", "/partial/stall.html"):
            name = "window-stop.html" if "stop" in path else "stall.html"
            first, rest = (HOSTILE / "raw" / name).read_bytes().split(b"<!--SPLIT-->", 1)
            sock.sendall(self.head("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                              ("Cache-Control", "no-store"), ("Connection", "close")]))
            sock.sendall(first + b"<!--" + b" padding " * 200 + b"-->\n")  # past any sniffing/parser buffer
            self.release.wait(60)
            sock.sendall(rest)
            return
        if path == "/partial/short-body.html":
            body = (HOSTILE / "raw" / "short-body.html").read_bytes()
            sock.sendall(self.head("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                              ("Content-Length", str(len(body) + 100_000)),
                                              ("Cache-Control", "no-store")]) + body)
            # closed with 100,000 bytes missing, a moment after the body (so the browser has the box to parse
            # before it learns of the failure: closed at once, Chromium sometimes drops the unparsed bytes)
            self.release.wait(1.0)
            return
        if path in ("/partial/gzip-truncated.html", "/partial/gzip-garbage.html"):
            if "truncated" in path:
                packed = gzip.compress((HOSTILE / "raw" / "gzip.html").read_bytes())
                body = packed[: len(packed) // 2]
            else:
                body = b"\x1f\x8b\x08\x00 this is not gzip at all <p>Send me marketing emails</p>" * 20
            sock.sendall(self.head("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                              ("Content-Encoding", "gzip"), ("Content-Length", str(len(body))),
                                              ("Cache-Control", "no-store"), ("Connection", "close")]) + body)
            return
        if path == "/flow/redirect":
            sock.sendall(self.head("302 Found", [("Location", f"{self.outside}/flow/outside.html?via=302"),
                                                 ("Content-Length", "0"), ("Connection", "close")]))
            return
        m = re.fullmatch(r"/flow/([a-z-]+\.html)", path)
        if m and (HOSTILE / "flows" / m.group(1)).is_file():
            body = (HOSTILE / "flows" / m.group(1)).read_bytes().replace(b"__OUTSIDE__", self.outside.encode())
            return self.html(sock, body)
        return self.html(sock, b"<!doctype html><title>Not found</title><h1>Not found</h1>", status="404 Not Found")


# --------------------------------------------------------------------------------------------------------------------
# fixtures: servers and runs


@pytest.fixture(scope="module")
def sink():
    s = Sink()
    yield s
    s.close()


@pytest.fixture(scope="module")
def env(sink):
    return cli_env(sink.port)


@pytest.fixture(scope="module")
def static_origin():
    with serve(HOSTILE) as (origin, _):
        yield origin


@pytest.fixture(scope="module")
def raw_server():
    srv = RawServer()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def big_origin(tmp_path_factory):
    import importlib.util
    spec = importlib.util.spec_from_file_location("hostile_generate_big", HOSTILE / "generate_big.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    folder = tmp_path_factory.mktemp("hostile-big")
    mod.write_big_pages(folder)
    with serve(folder) as (origin, _):
        yield origin


def case_url(case: dict, origins: dict) -> str:
    if "page" in case:
        return f"{origins['static']}/{case['page']}"
    if "raw" in case:
        return f"{origins['raw']}{case['raw']}"
    return f"{origins['big']}/{case['big']}"


@dataclass
class ScanRun:
    name: str
    run: Run
    urls: dict = field(default_factory=dict)   # case id -> url
    good_url: str | None = None


_runs: dict[str, ScanRun] = {}


def _origins(request, server: str) -> dict:
    if server == "static":
        return {"static": request.getfixturevalue("static_origin")}
    if server == "raw":
        return {"raw": request.getfixturevalue("raw_server").origin}
    return {"big": request.getfixturevalue("big_origin")}


def scan_run(name: str, request) -> ScanRun:
    """The one `auditor scan` of a run of EXPECT.json, done once per module."""
    if name in _runs:
        return _runs[name]
    cfg = RUNS[name]
    origins = _origins(request, cfg["server"])
    env = request.getfixturevalue("env")
    tmp = request.getfixturevalue("tmp_path_factory").mktemp(f"hostile-{name}")
    urls = {c["id"]: case_url(c, origins) for c in SPEC["cases"] if c["run"] == name}
    good = None
    if cfg.get("good"):
        base = origins.get("static") or origins.get("raw")
        good = f"{base}/{cfg['good'].lstrip('/')}"
    targets = list(urls.values()) + ([good] if good else [])
    args = ["scan", *targets, "--out", tmp / "out", "--concurrency", "3", *cfg.get("args", [])]
    if not cfg.get("interact"):
        args.append("--no-interact")
    sr = ScanRun(name, run_cli(args, tmp / "out", cfg["timeout"], env), urls, good)
    _runs[name] = sr
    return sr


# --------------------------------------------------------------------------------------------------------------------
# judging one page entry


def _findings(page: dict) -> list[dict]:
    return list(page.get("findings") or [])


def _notes(page: dict) -> list[dict]:
    return list(page.get("notes") or [])


def judge(page: dict | None, expect: dict, sr: ScanRun, url: str) -> list[str]:
    if page is None:
        where = "the run was killed before it finished this page" if sr.run.timed_out else "no entry in the report"
        return [f"{url}: {where}"]
    problems = []
    err = page.get("error")
    kind = err.get("kind") if isinstance(err, dict) else None
    outcome = expect["outcome"]
    audited = err is None
    if outcome == "audited" and not audited:
        problems.append(f"expected audited, got error {err!r}")
    if outcome == "error" and audited:
        problems.append(f"expected an error ({expect.get('errors') or 'any kind but ' + str(expect.get('not_errors'))}), "
                        f"but the page was audited "
                        f"(findings: {[f.get('check') for f in _findings(page)]})")
    if not audited:
        if not isinstance(err, dict) or not err.get("kind") or "message" not in err:
            problems.append(f"error is not {{kind, message}}: {err!r}")
        if outcome == "audited-or-error" or (outcome == "error" and "errors" in expect):
            if kind not in expect.get("errors", []):
                problems.append(f"error kind {kind!r} not in {expect.get('errors')}: {err!r}")
        if kind in expect.get("not_errors", []):
            problems.append(f"error kind {kind!r} is not acceptable here: {err!r}")
    if "status" in expect and page.get("status") != expect["status"]:
        problems.append(f"status {page.get('status')!r}, expected {expect['status']}")
    if "message_prefix" in expect:
        msg = (err or {}).get("message") if isinstance(err, dict) else None
        if not (msg or "").startswith(expect["message_prefix"]):
            problems.append(f"error message {msg!r} does not start with {expect['message_prefix']!r}")
    if audited:
        found = {f.get("check") for f in _findings(page)}
        if "findings" in expect and found != set(expect["findings"]):
            problems.append(f"findings {sorted(found)}, expected exactly {expect['findings']}")
        missing = set(expect.get("findings_include", [])) - found
        if missing:
            problems.append(f"audited, but {sorted(missing)} not found (findings: {sorted(found)}): a page that was "
                            f"read must not come out clean")
        if "finding_text" in expect:
            texts = [f.get("text") or "" for f in _findings(page) if f.get("check") == "prechecked-consent"]
            if texts and not any(expect["finding_text"] in t.lower() for t in texts):
                problems.append(f"prechecked-consent text {texts!r} lacks {expect['finding_text']!r}")
        if expect.get("no_check_errors"):
            bad = [c for c in page.get("checks") or [] if c.get("error") or c.get("outcome") == "error"]
            if bad:
                problems.append(f"checks failed: {bad}")
        if "title_not" in expect and page.get("title") == expect["title_not"]:
            problems.append(f"audited the forged page (title {page.get('title')!r})")
        if expect.get("screenshot") == "opens-or-capped":
            problems += _screenshot_problems(page, sr.run.out)
    kinds = [n.get("kind") for n in _notes(page)]
    for want in expect.get("notes", []):
        if want not in kinds:
            problems.append(f"note {want!r} missing (notes: {_notes(page) or page.get('notes')!r})")
    for text in expect.get("forbidden_text", []):
        own = json.dumps(page, ensure_ascii=False)
        about = [ln for ln in sr.run.err.splitlines() if url in ln]
        if text in own or any(text in ln for ln in about):
            problems.append(f"{text!r} reported for this page")
    return problems


def _screenshot_problems(page: dict, out: Path) -> list[str]:
    from PIL import Image
    if any(n.get("kind") == "screenshot-capped" for n in _notes(page)):
        return []
    shot = page.get("screenshot")
    if not shot or not (out / shot).is_file():
        return [f"no screenshot-capped note and no screenshot file ({shot!r})"]
    try:
        with Image.open(out / shot) as im:
            im.load()
    except Exception as exc:  # noqa: BLE001 - any failure to open it is the finding
        return [f"screenshot {shot} does not open with Pillow: {type(exc).__name__}: {exc}"]
    return []


def assert_case(case_id: str, request):
    case = CASES[case_id]
    sr = scan_run(case["run"], request)
    url = sr.urls[case_id]
    problems = judge(sr.run.page(url), case["expect"], sr, url)
    assert not problems, f"{case_id} ({url}):\n  " + "\n  ".join(problems) + "\n\n" + sr.run.describe()


def assert_run(name: str, request):
    sr = scan_run(name, request)
    r = sr.run
    cfg = RUNS[name]
    assert not r.timed_out, f"run {name!r} did not finish within {cfg['timeout']} s\n" + r.describe()
    assert "Traceback" not in r.err, r.describe()
    assert r.returncode in cfg["exit"], f"exit {r.returncode}, expected one of {cfg['exit']}\n" + r.describe()
    assert (r.out / "report.json").is_file() and (r.out / "report.html").is_file(), r.describe()
    rep = r.report()
    assert rep is not None, "report.json does not parse\n" + r.describe()
    listed = {p.get("url") for p in rep["pages"]}
    for cid, url in sr.urls.items():
        assert url in listed, f"{cid}: {url} missing from report.json\n" + r.describe()
    if sr.good_url:
        good = r.page(sr.good_url)
        assert good is not None and good.get("error") is None, f"good page not audited: {good!r}\n" + r.describe()
        assert {f.get("check") for f in _findings(good)} == {"prechecked-consent"}, good
        assert any(GOOD_TEXT in (f.get("text") or "").lower() for f in _findings(good)), good


# --------------------------------------------------------------------------------------------------------------------
# the page cases, one test per case, grouped by run


def _ids(run: str) -> list[str]:
    return [c["id"] for c in SPEC["cases"] if c["run"] == run]


@pytest.mark.parametrize("run", ["dialogs", "frozen"])
def test_hang_run_finishes_with_reports_and_the_good_page_audited(run, request):
    assert_run(run, request)


@pytest.mark.parametrize("case_id", _ids("dialogs") + _ids("frozen"))
def test_hang(case_id, request):
    assert_case(case_id, request)


def test_builtins_run_finishes_with_reports_and_the_good_page_audited(request):
    assert_run("js", request)


@pytest.mark.parametrize("case_id", [c for c in _ids("js") if c not in ("forge-state", "forge-state-late",
                                                                         "console-escapes")])
def test_builtin_replaced(case_id, request):
    assert_case(case_id, request)


@pytest.mark.parametrize("case_id", ["forge-state", "forge-state-late"])
def test_forged_auditor_state(case_id, request):
    assert_case(case_id, request)


def test_console_escapes_page_is_audited(request):
    assert_case("console-escapes", request)


def test_console_escapes_never_reach_the_terminal(request):
    r = scan_run("js", request).run
    leaks = [f"{name} in {stream}" for stream, data in (("stdout", r.stdout), ("stderr", r.stderr))
             for name, b in CONTROL_BYTES.items() if b in data]
    assert not leaks, f"control characters from the page reached the terminal: {leaks}\n" + r.describe()


def test_service_worker_is_bypassed(request):
    assert_run("sw", request)
    assert_case("service-worker", request)


def test_big_run_finishes_with_reports(request):
    assert_run("big", request)


@pytest.mark.parametrize("case_id", _ids("big"))
def test_big_page(case_id, request):
    assert_case(case_id, request)


def test_raw_run_finishes_with_reports_and_the_good_page_audited(request):
    assert_run("raw", request)


@pytest.mark.parametrize("case_id", [c for c in _ids("raw") if not c.startswith("http-")])
def test_partial_load(case_id, request):
    assert_case(case_id, request)


@pytest.mark.parametrize("case_id", [c for c in _ids("raw") if c.startswith("http-")])
def test_http_error(case_id, request):
    assert_case(case_id, request)


# --------------------------------------------------------------------------------------------------------------------
# bad input: every invocation at once (they must all end before a browser starts), then one test each

INPUTS = {i["id"]: i for i in SPEC["inputs"]}


@pytest.fixture(scope="module")
def input_runs(tmp_path_factory, env, sink):
    base = tmp_path_factory.mktemp("hostile-inputs")

    def one(item):
        folder = base / re.sub(r"[^A-Za-z0-9]+", "-", item["id"])
        folder.mkdir()
        args = ["scan", *[a.replace("{hostile}", str(HOSTILE)) for a in item["args"]],
                "--out", folder / "out", "--no-interact"]
        before = len(sink.lines)
        return item["id"], run_cli(args, folder / "out", 90, env, cwd=folder), before

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, SPEC["inputs"]))
    return {i: (r, before) for i, r, before in results}


def _all_output(r: Run) -> bytes:
    blobs = [r.stdout, r.stderr]
    if r.out.exists():
        for p in r.out.rglob("*"):
            if p.is_file():
                blobs.append(p.read_bytes())
    return b"\n".join(blobs)


@pytest.mark.parametrize("input_id", list(INPUTS))
def test_bad_input(input_id, input_runs, sink):
    item = INPUTS[input_id]
    exp = item["expect"]
    r, _ = input_runs[input_id]
    assert not r.timed_out, r.describe()
    assert "Traceback" not in r.err, r.describe()
    assert r.returncode in exp["exit"], f"exit {r.returncode}, expected {exp['exit']}\n" + r.describe()
    if exp.get("stderr") == "one-error-line":
        lines = [ln for ln in r.err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), \
            "a usage error is one line on stderr starting 'error:'\n" + r.describe()
    for text in exp.get("stderr_contains", []):
        assert text in r.err, f"{text!r} not in stderr\n" + r.describe()
    everything = _all_output(r)
    for text in exp.get("never_anywhere", []):
        assert text.encode() not in everything, f"{text!r} appears in the output\n" + r.describe()
    if exp.get("no_network"):
        tried = [ln for ln in sink.lines if "does-not-exist" in ln or "missing" in ln]
        assert not tried, f"a network request was attempted for a missing file: {tried}"
    if exp.get("never_anywhere_file"):
        secret_lines = [ln for ln in Path(exp["never_anywhere_file"]).read_text().splitlines() if len(ln) >= 12]
        leaked = [ln for ln in secret_lines if ln.encode() in everything]
        assert not leaked, f"{exp['never_anywhere_file']} leaked into the output: {leaked[:3]}\n" + r.describe()
    if exp.get("no_images") and r.out.exists():
        shots = [p.name for p in r.out.rglob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp")]
        assert not shots, f"a picture of {item['args']} was kept: {shots}"


# --------------------------------------------------------------------------------------------------------------------
# a local file that reaches outside its folder


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, env):
    base = tmp_path_factory.mktemp("hostile-local")
    marker = f"HOSTILE-SECRET-{uuid.uuid4().hex}"
    (base / "secret").mkdir()
    # worded like the terms (text a collector keeps), and as a page whose pre-ticked box is labelled with it
    (base / "secret" / "secret.txt").write_text(
        f"By creating an account you agree to receive marketing emails. Reference {marker}\n", encoding="utf-8")
    (base / "secret" / "secret.html").write_text(
        f'<!doctype html><html lang="en"><title>{marker}</title><form><label><input type="checkbox" name="offers" '
        f'checked> Send me marketing emails about {marker}</label><p>By signing up you agree to the terms '
        f"{marker}.</p></form></html>\n", encoding="utf-8")
    (base / "site").mkdir()
    shutil.copy(HOSTILE / "local" / "page.html", base / "site" / "page.html")
    r = run_cli(["scan", "site/page.html", "--out", base / "out", "--no-interact", "--timeout", "15"],
                base / "out", 90, env, cwd=base)
    return r, marker, base


def test_local_file_cannot_read_outside_its_folder(local_run):
    r, marker, base = local_run
    assert not r.timed_out and "Traceback" not in r.err, r.describe()
    everything = _all_output(r)
    assert marker.encode() not in everything, "the secret next to the page leaked into the output\n" + r.describe()
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").is_file() else ""
    if hostname:
        assert f"LEAK<{hostname}".encode() not in everything, "/etc/hostname leaked into the output"
        if len(hostname) >= 6:
            assert hostname.encode() not in everything, "/etc/hostname leaked into the output"
    assert b"LEAK<" not in everything, "the page read a file outside its folder and it reached the output"


def test_local_file_page_is_audited_with_a_local_file_blocked_note(local_run):
    r, marker, base = local_run
    rep = r.report()
    assert rep is not None, r.describe()
    (page,) = rep["pages"]
    problems = judge(page, {"outcome": "audited", "findings_include": ["prechecked-consent"],
                            "notes": ["local-file-blocked"]}, ScanRun("local", r), page.get("url") or "")
    assert not problems, "\n".join(problems) + "\n\n" + r.describe()


# --------------------------------------------------------------------------------------------------------------------
# flows: navigations out of scope through a redirect, a meta refresh and a script

FLOWS = {f["id"]: f for f in SPEC["flows"]}


@pytest.fixture(scope="module")
def flow_run(tmp_path_factory, env, raw_server):
    base = tmp_path_factory.mktemp("hostile-flows")
    files = [HOSTILE / f["file"] for f in SPEC["flows"]]
    r = run_cli(["flow", *files, "--base", raw_server.inside, "--out", base / "out", "--timeout", "10",
                 "--concurrency", "3"], base / "out", 150, env)
    return r


def test_flow_run_is_incomplete(flow_run):
    r = flow_run
    assert not r.timed_out and "Traceback" not in r.err, r.describe()
    assert r.returncode == 3, f"exit {r.returncode}, expected 3 (flows incomplete)\n" + r.describe()
    assert (r.out / "report.json").is_file() and (r.out / "report.html").is_file(), r.describe()


@pytest.mark.parametrize("flow_id", list(FLOWS))
def test_flow_leaving_scope_is_blocked(flow_id, flow_run, raw_server):
    r = flow_run
    spec = FLOWS[flow_id]
    rep = r.report()
    assert rep is not None, r.describe()
    name = re.search(r"^name: (.+)$", (HOSTILE / spec["file"]).read_text(), re.M).group(1).strip()
    flows = [f for f in rep.get("flows") or [] if f.get("name") == name]
    assert len(flows) == 1, f"flow {name!r} not in the report: {[f.get('name') for f in rep.get('flows') or []]}"
    flow = flows[0]
    outside = f"127.0.0.1:{raw_server.port}"
    steps = flow.get("steps") or []
    assert not flow.get("complete"), f"{flow_id}: the flow is reported complete\n{json.dumps(steps, indent=1)[:3000]}"
    blocked = [s for s in steps if s.get("status") == "blocked"]
    assert blocked, f"{flow_id}: no step reported blocked: {[(s.get('index'), s.get('status'), s.get('error')) for s in steps]}"
    assert outside in (blocked[0].get("error") or ""), \
        f"{flow_id}: the blocked step's error does not name the out-of-scope URL: {blocked[0].get('error')!r}"
    for s in steps:
        pg = s.get("page") or {}
        assert outside not in (pg.get("final_url") or ""), f"{flow_id}: step {s.get('index')} audited {pg.get('final_url')}"
        assert not [f for f in pg.get("findings") or [] if f.get("check") == "prechecked-consent"], \
            f"{flow_id}: the out-of-scope page (the only one with a pre-ticked box) was audited at step {s.get('index')}"


@pytest.mark.parametrize("flow_id", list(FLOWS))
def test_flow_never_requests_the_out_of_scope_page(flow_id, flow_run, raw_server):
    """Blocked means the request to the other host is never sent (aborted before it leaves), not sent and ignored."""
    assert flow_run.report() is not None, flow_run.describe()
    via = FLOWS[flow_id]["via"]
    fetched = [req for req in raw_server.requests if req[2].startswith("/flow/outside.html") and f"via={via}" in req[2]]
    assert not fetched, f"{flow_id}: the out-of-scope page was requested: {fetched}"

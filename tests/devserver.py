"""A static server for the bundled fixtures and the demo shop, on 127.0.0.1 only.

It listens on two ports so a page can embed a cross-origin iframe: in every HTML file it serves, the literal
``__XORIGIN__`` becomes the origin of the other port. Like platforms that answer bots with another page, a
request whose User-Agent looks automated (HeadlessChrome, bot, crawler, spider) for ``NAME.html`` gets
``NAME.bot.html`` when that file exists. ``python tests/devserver.py DIR`` runs it by hand.

Every request is recorded (method and path) in the list passed as ``record``, so a test can prove what a walk
asked for: a shop fixture's final "Place order" or "Create account" sends a request under ``/__recorded__/``,
and a test asserts none was made. A POST is answered with a small page (the forms of the fixture shops have no
server side) and recorded like any other request.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import io
import re
import sys
import threading
from pathlib import Path
from typing import Iterator

PLACEHOLDER = b"__XORIGIN__"
BOT_AGENT = re.compile(r"headless|bot\b|crawler|spider", re.I)


class _Handler(http.server.SimpleHTTPRequestHandler):
    other_origin = ""
    record: list | None = None

    def parse_request(self):
        ok = super().parse_request()
        if ok and self.record is not None:
            self.record.append((self.command, self.path))
        return ok

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        body = b"<!doctype html><title>Received</title><p>Received.</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix in (".html", ".htm") and path.is_file():
            bot_page = path.with_name(path.stem + ".bot" + path.suffix)
            if bot_page.is_file() and BOT_AGENT.search(self.headers.get("User-Agent", "")):
                path = bot_page
            body = path.read_bytes().replace(PLACEHOLDER, self.other_origin.encode())
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()

            return io.BytesIO(body)
        return super().send_head()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # a browser that closes a connection mid-response (a page closed while loading) is not an error here
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(root: str | Path, port: int = 0, port2: int = 0, record: list | None = None
          ) -> Iterator[tuple[str, str]]:
    """Serve ``root`` on two loopback ports; yields (main origin, cross origin). Requests to either port are
    appended to ``record`` as (method, path) when a list is given."""
    root = str(Path(root).resolve())
    servers = []
    for p in (port, port2):
        handler = type("Handler", (_Handler,), {"record": record})
        srv = _Server(("127.0.0.1", p), functools.partial(handler, directory=root))
        servers.append((srv, handler))
    origins = [f"http://127.0.0.1:{s.server_address[1]}" for s, _ in servers]
    servers[0][1].other_origin = origins[1]
    servers[1][1].other_origin = origins[0]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s, _ in servers]
    for t in threads:
        t.start()
    try:
        yield origins[0], origins[1]
    finally:
        for s, _ in servers:
            s.shutdown()
            s.server_close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", nargs="?", default="fixtures")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--port2", type=int, default=8766)
    a = ap.parse_args()
    with serve(a.root, a.port, a.port2) as (main_origin, other):
        print(f"serving {a.root} on {main_origin} (cross-origin frames from {other}); Ctrl-C stops")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()

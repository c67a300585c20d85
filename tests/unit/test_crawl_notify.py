"""Notifications of a crawl's diff, received by real local servers: an HTTP server for the webhook and aiosmtpd
for the e-mail, both on 127.0.0.1."""

from __future__ import annotations

import email
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from auditor.crawl.diff import Diff
from auditor.crawl.notify import notify, webhook

NEW = {"site": "shop", "variant": "desktop/en-US", "check": "prechecked-consent", "severity": "high",
       "status": "fail", "url": "https://shop.example/account", "fingerprint": "fp2:abc",
       "message": 'Pre-checked: "Send me offers by text message"', "target": "https://shop.example/account",
       "evidence": None}


def _diff() -> Diff:
    return Diff(before=1, after=2, new=[NEW], fixed=[dict(NEW, fingerprint="fp2:old", url="https://shop.example/signup")])


@pytest.fixture
def receiver():
    got: list = []

    class Handler(BaseHTTPRequestHandler):
        status = 200

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((self.path, self.headers["Content-Type"], body))
            self.send_response(type(self).status)
            self.end_headers()

        def log_message(self, *a):
            pass
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", got, Handler
    server.shutdown()


@pytest.fixture
def mailbox():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    got: list = []

    class Keep(Message):
        def handle_message(self, message):
            got.append(message)
    import socket
    with socket.socket() as sock:  # the controller checks its server by connecting, so it needs a real port
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    yield "127.0.0.1", port, got
    controller.stop()


def test_the_webhook_gets_json_with_a_slack_text(receiver):
    url, got, _ = receiver
    assert notify({"webhook": url + "/hook"}, _diff(), "nightly") == []
    path, ctype, body = got[0]
    data = json.loads(body)
    assert path == "/hook" and ctype.startswith("application/json")
    assert data["text"].startswith("consent-auditor: run 2 against run 1: 1 new, 1 fixed")
    assert "NEW [shop] prechecked-consent" in data["text"]
    assert data["diff"]["new"][0]["fingerprint"] == "fp2:abc" and data["summary"]["new"] == 1


def test_a_refusing_webhook_is_one_line_not_a_crash(receiver):
    url, _, handler = receiver
    handler.status = 500
    assert notify({"webhook": url}, _diff(), "nightly") == [f"webhook {url}: HTTP 500"]
    with pytest.raises(OSError, match="not an http"):
        webhook("file:///etc/passwd", _diff(), "nightly")


def test_the_email_arrives_with_the_diff(mailbox):
    host, port, got = mailbox
    failures = notify({"smtp": {"host": host, "port": port, "from": "auditor@test.example",
                                "to": ["privacy@test.example", "qa@test.example"]}}, _diff(), "nightly")
    assert failures == []
    msg = got[0]
    assert "1 new, 1 fixed" in msg["Subject"] and msg["To"] == "privacy@test.example, qa@test.example"
    parsed = email.message_from_bytes(msg.as_bytes())
    parts = [p for p in parsed.walk() if not p.is_multipart()]
    assert "NEW [shop] prechecked-consent" in parts[0].get_payload(decode=True).decode()
    attached = json.loads(parts[1].get_payload(decode=True))
    assert attached["new"][0]["url"] == "https://shop.example/account"


def test_nothing_new_sends_nothing_and_a_dead_server_is_one_line(receiver):
    url, got, _ = receiver
    assert notify({"webhook": url}, Diff(before=1, after=2), "nightly") == []
    assert got == []
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    failures = notify({"smtp": {"host": "127.0.0.1", "port": port, "to": ["a@test.example"]}}, _diff(), "n")
    assert len(failures) == 1 and failures[0].startswith(f"e-mail via 127.0.0.1:{port}")

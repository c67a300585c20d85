"""The refusal's click is aimed with what the first load showed, and it falls back to reading the page again when
that aim is wrong or the click does nothing (issue 15: the refusal starts sooner).

Each page is served by a small server here that counts its loads: the audited load, the fresh context where
consent is refused, and that context's reload.
"""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from harness import run_in_thread

from auditor.api import Options, audit_async

pytestmark = pytest.mark.browser

BANNER_STYLE = ("position:fixed;left:0;right:0;bottom:0;background:#fff;border-top:2px solid #333;padding:18px;"
                "font:16px sans-serif")
TEXT = "<p>We use cookies for analytics and personalised advertising. You can accept or reject them.</p>"


def page(buttons: str, script: str) -> str:
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Shop</title></head><body>"
            f"<main><h1>Garden tools</h1><p>Spades, rakes and gloves.</p></main>"
            f"<div id='cc' role='dialog' aria-label='Cookie consent' style='display:none;{BANNER_STYLE}'>{TEXT}"
            f"<div class='row'>{buttons}</div></div><script>{script}</script></body></html>")


WIRE = """function wire() {
  for (const b of document.querySelectorAll('#cc button')) b.onclick = () => {
    const accepts = ['Accept all', 'Accept'].includes(b.textContent.trim());
    document.cookie = (accepts ? 'accepted=1' : 'choice=rejected') + '; path=/';
    document.getElementById('cc').remove();
  };
}"""
SHOW = "document.getElementById('cc').style.display = 'block';"
FRESH = "if (!document.cookie.includes('choice=') && !document.cookie.includes('accepted='))"

# shown 300 ms after the load and wired at once: the click is aimed with the first load's facts
PLAIN = page("<button>Accept all</button> <button>Reject all</button>",
             f"{WIRE}\n{FRESH} setTimeout(() => {{ {SHOW} wire(); }}, 300);")
# the first two loads (the audited page, which is only read, and the aimed refusal's) show buttons that do
# nothing, as a library that wires them late would; later loads work
DEAD = page("<button>Accept all</button> <button>Reject all</button>",
            f"{FRESH} setTimeout(() => {{ {SHOW} }}, 300);")
# the two buttons swap places on every load: the first load's selector of "Reject all" finds "Accept all"
SWAP = [page(first, f"{WIRE}\n{FRESH} {{ {SHOW} wire(); }}")
        for first in ("<button>Reject all</button> <button>Accept all</button>",
                      "<button>Accept all</button> <button>Reject all</button>")]
# the same, where the refusing label starts with the accepting one ("Accept only necessary" / "Accept")
SWAP_PREFIX = [page(first, f"{WIRE}\n{FRESH} {{ {SHOW} wire(); }}")
               for first in ("<button>Accept only necessary</button> <button>Accept</button>",
                             "<button>Accept</button> <button>Accept only necessary</button>")]


@pytest.fixture()
def site():
    loads: Counter = Counter()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            path = self.path.split("?")[0]
            loads[path] += 1
            body = {"/plain.html": PLAIN, "/late.html": DEAD if loads[path] <= 2 else PLAIN}.get(path)
            if path in ("/swap.html", "/swap-prefix.html"):
                body = (SWAP if path == "/swap.html" else SWAP_PREFIX)[(loads[path] - 1) % 2]
            if body is None:
                self.send_error(404)
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", loads
    finally:
        server.shutdown()
        server.server_close()


def refusal(url: str, browser_path: str):
    run = run_in_thread(audit_async([url], options=Options(timeout=20, browser=browser_path, evidence=False)))
    (result,) = run.pages
    assert result.error is None, result.error
    assert result.snapshot.choice is not None
    return result.snapshot.choice


def cookie_names(choice) -> set[str]:
    return {c.name for s in choice.states for c in s.cookies}


def test_refusal_is_aimed_with_the_first_loads_banner(site, browser_path):
    origin, loads = site
    choice = refusal(f"{origin}/plain.html", browser_path)
    assert (choice.action, choice.button, choice.clicked, choice.error) == ("reject", "Reject all", True, "")
    assert choice.aimed
    assert "choice" in cookie_names(choice) and "accepted" not in cookie_names(choice)
    assert not choice.banner_returned
    assert loads["/plain.html"] == 3  # the audited load, the fresh context, its reload: nothing read twice


def test_an_aimed_click_that_does_nothing_is_refused_again_the_slow_way(site, browser_path):
    origin, loads = site
    choice = refusal(f"{origin}/late.html", browser_path)
    # the aimed click did nothing (the buttons were not wired yet in that load): the banner stayed, so the
    # refusal was made again in another fresh context after the page settled, and that one is reported
    assert (choice.action, choice.clicked, choice.error) == ("reject", True, "")
    assert not choice.aimed
    assert "choice" in cookie_names(choice) and "accepted" not in cookie_names(choice)
    assert loads["/late.html"] == 4  # audited, aimed (no reload: not confirmed), slow and its reload


def test_a_selector_that_finds_another_button_is_never_clicked(site, browser_path):
    origin, loads = site
    choice = refusal(f"{origin}/swap.html", browser_path)
    # in the fresh load the first load's "Reject all" selector finds "Accept all": its words differ, so the
    # page is read again and the real reject button clicked; accept is never clicked
    assert (choice.action, choice.button, choice.clicked, choice.error) == ("reject", "Reject all", True, "")
    assert not choice.aimed
    assert "accepted" not in cookie_names(choice) and "choice" in cookie_names(choice)
    assert loads["/swap.html"] == 3


def test_a_refusing_label_that_starts_with_the_accepting_one_is_not_confused_with_it(site, browser_path):
    origin, loads = site
    choice = refusal(f"{origin}/swap-prefix.html", browser_path)
    # "Accept only necessary" refuses; in the fresh load its selector finds "Accept", which only begins the same
    # way: the words must be the same, not one a prefix of the other
    assert (choice.action, choice.button, choice.clicked, choice.error) == ("reject", "Accept only necessary", True, "")
    assert not choice.aimed
    assert "accepted" not in cookie_names(choice) and "choice" in cookie_names(choice)

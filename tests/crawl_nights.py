"""The demo shop as served on two nights of a crawl (the test suite and `make demo` use it): night two has the
partners box on the sign-up page no longer pre-ticked (a fix) and a pre-ticked text-message box added to the
account page (a new dark pattern)."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def nights(tmp: Path) -> tuple[Path, Path]:
    """Two copies of fixtures/site/ under ``tmp``: (night one as it is, night two changed)."""
    one, two = tmp / "night1", tmp / "night2"
    for night in (one, two):
        shutil.rmtree(night, ignore_errors=True)
        shutil.copytree(ROOT / "fixtures" / "site", night / "site")
    signup = two / "site" / "dark" / "signup.html"
    text = signup.read_text(encoding="utf-8")
    fixed = text.replace('name="share_partners" value="1" checked>', 'name="share_partners" value="1">')
    assert fixed != text, "the demo sign-up page changed: update tests/crawl_nights.py"
    signup.write_text(fixed, encoding="utf-8")
    account = two / "site" / "dark" / "account.html"
    text = account.read_text(encoding="utf-8")
    added = text.replace("</main>", '<section><label><input type="checkbox" name="sms_offers" checked> Send me '
                                    'special offers by text message</label></section></main>', 1)
    assert added != text, "the demo account page changed: update tests/crawl_nights.py"
    account.write_text(added, encoding="utf-8")
    return one, two


def plan_text(port: int, pages, viewports=("desktop",), name: str = "nightly") -> str:
    urls = ", ".join(f'"http://127.0.0.1:{port}/site/dark/{p}"' for p in pages)
    vps = ", ".join(f'"{v}"' for v in viewports)
    return (f'[crawl]\nname = "{name}"\nconcurrency = 2\n[crawl.matrix]\nviewports = [{vps}]\n'
            f'[[crawl.sites]]\nname = "demo"\nurls = [{urls}]\n')

"""Find a Chromium and launch it so that it looks like a person's browser.

Order: ``--browser PATH`` / ``AUDITOR_BROWSER``; Playwright's own Chromium when ``playwright install chromium``
has put it in place; a system Chromium (Debian's ``/usr/lib/chromium/chromium``, then ``chromium``,
``chromium-browser``, ``google-chrome`` on ``PATH``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from auditor.errors import BrowserNotFound

LAUNCH_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    # no "Chrome is being controlled by automated software" and navigator.webdriver stays false
    "--disable-blink-features=AutomationControlled",
]
IGNORE_DEFAULT_ARGS = ["--enable-automation"]

SYSTEM_CANDIDATES = (
    "/usr/lib/chromium/chromium",
    "/usr/lib/chromium-browser/chromium-browser",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)

INSTALL_HINT = ("no Chromium found: run 'playwright install chromium' (where downloads work) or install your "
                "system's package (Debian: 'apt-get install chromium'), or pass --browser PATH / set AUDITOR_BROWSER")


def _usable(path: str | None) -> str | None:
    if not path:
        return None
    if os.sep not in path:
        path = shutil.which(path) or ""
    p = Path(path)
    return str(p) if p.is_file() and os.access(p, os.X_OK) else None


def playwright_bundled_chromium(playwright) -> str | None:
    try:
        path = playwright.chromium.executable_path
    except Exception:
        return None
    return path if path and Path(path).exists() else None


def find_browser(explicit: str | None, playwright=None) -> str | None:
    """The executable to launch, or ``None`` for Playwright's own Chromium. Raises ``BrowserNotFound``."""
    wanted = explicit or os.environ.get("AUDITOR_BROWSER")
    if wanted:
        found = _usable(wanted)
        if not found:
            src = "--browser" if explicit else "AUDITOR_BROWSER"
            raise BrowserNotFound(f"{src}: no executable browser at {wanted!r}")
        return found
    if playwright is not None and playwright_bundled_chromium(playwright):
        return None
    for cand in SYSTEM_CANDIDATES:
        found = _usable(cand)
        if found:
            return found
    raise BrowserNotFound(INSTALL_HINT)


def desktop_user_agent(version: str) -> str:
    """What a desktop Chrome of this version says, without the 'HeadlessChrome' giveaway."""
    major = (version or "0").split(".")[0]
    return (f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{major}.0.0.0 Safari/537.36")


def mobile_user_agent(version: str) -> str:
    """What Chrome of this version on an Android phone says (a crawl's mobile matrix entry)."""
    major = (version or "0").split(".")[0]
    return (f"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{major}.0.0.0 Mobile Safari/537.36")


async def launch(playwright, explicit: str | None = None, headless: bool = True):
    """Launch Chromium; returns (browser, executable path or 'playwright-bundled')."""
    exe = find_browser(explicit, playwright)
    browser = await playwright.chromium.launch(
        executable_path=exe, headless=headless, args=LAUNCH_ARGS, ignore_default_args=IGNORE_DEFAULT_ARGS)
    return browser, exe or (playwright_bundled_chromium(playwright) or "playwright-bundled")

"""Make sure a Chromium and CJK-capable fonts are present (``make`` runs this; ``auditor`` never does).

1. A browser the auditor can find already (AUDITOR_BROWSER, Playwright's own, a system Chromium): done.
2. Otherwise ``playwright install chromium`` where downloads work.
3. Otherwise, as root on Debian/Ubuntu, ``apt-get install chromium``.
Fonts: screenshots are evidence, so text in every lexicon language must render; as root on Debian/Ubuntu this
installs ``fonts-noto-cjk`` when ``fc-list`` knows no Chinese font, and ``fonts-noto-core`` (Devanagari, Thai,
Arabic, Hebrew, ...) when it knows no Hindi or Thai one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from auditor.browser.launch import INSTALL_HINT, find_browser, playwright_bundled_chromium
from auditor.errors import BrowserNotFound

APT_BROWSER = ["chromium"]
APT_FONTS = ["fonts-noto-cjk", "fonts-liberation", "fonts-dejavu-core"]
#: the scripts of the other lexicon languages (Devanagari, Thai, Arabic, Hebrew, Greek, ...): Noto's core set
APT_SCRIPT_FONTS = ["fonts-noto-core"]
#: fontconfig languages whose text must render in screenshots (evidence), beside Chinese and Japanese
SCRIPT_LANGS = ("hi", "th")


def _say(msg: str) -> None:
    print(f"[setup] {msg}", flush=True)


def _have_browser() -> str | None:
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        try:
            exe = find_browser(None, pw)
        except BrowserNotFound:
            return None
        return exe or playwright_bundled_chromium(pw) or "playwright-bundled"


def _apt(packages: list[str]) -> bool:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _say(f"apt-get install {' '.join(packages)}")
    if subprocess.run(["apt-get", "update", "-qq"], env=env).returncode != 0:
        return False
    return subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
                          env=env).returncode == 0


def _fonts_for(lang: str) -> bool:
    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(["fc-list", f":lang={lang}"], capture_output=True, text=True).stdout
    return bool(out.strip())


def _cjk_fonts() -> bool:
    return _fonts_for("zh")


def main() -> int:
    exe = _have_browser()
    if exe:
        _say(f"browser: {exe}")
    else:
        _say("no Chromium found; trying 'playwright install chromium'")
        try:
            ok = subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], timeout=600).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        exe = _have_browser() if ok else None
        if not exe:
            _say("playwright could not download a browser; trying the system package")
            if _apt(APT_BROWSER + APT_FONTS):
                exe = _have_browser()
        if not exe:
            print(f"error: {INSTALL_HINT}", file=sys.stderr)
            return 2
        _say(f"browser: {exe}")
    if not _cjk_fonts():
        if not _apt(APT_FONTS):
            _say("warning: no Chinese/Japanese font found; CJK text in screenshots will show as boxes "
                 "(install fonts-noto-cjk)")
    missing = [lang for lang in SCRIPT_LANGS if not _fonts_for(lang)]
    if missing and not _apt(APT_SCRIPT_FONTS):
        _say(f"warning: no font for {', '.join(missing)}; that text in screenshots will show as boxes "
             "(install fonts-noto-core)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

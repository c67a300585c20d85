"""Install the real consent libraries the fixtures load (fixtures/libs/package.json) from npm.

`make setup` runs ``python tests/libs.py``: ``npm ci`` against the committed lock file, once (a stamp file
records the lock it installed). Without npm it installs Debian's npm when it can (root, apt-get), else it
says what to install and exits 2.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LIBS = FIXTURES / "libs"
MODULES = LIBS / "node_modules"
STAMP = MODULES / ".consent-auditor-installed"
#: files the fixture pages load; the tests check they exist
REQUIRED = ("vanilla-cookieconsent/dist/cookieconsent.umd.js", "vanilla-cookieconsent/dist/cookieconsent.css",
            "klaro/dist/klaro.js")
#: every folder with a package-lock.json whose libraries fixture pages load: the tested fixtures' and the blind
#: set's (fixtures/blind/README.md)
LIB_DIRS = (LIBS, FIXTURES / "blind" / "banners" / "libs")


def lock_digest(folder: Path = LIBS) -> str:
    return hashlib.sha256((folder / "package-lock.json").read_bytes()).hexdigest()


def _stamp(folder: Path) -> Path:
    return folder / "node_modules" / ".consent-auditor-installed"


def installed(folder: Path = LIBS) -> bool:
    stamp = _stamp(folder)
    if not (stamp.is_file() and stamp.read_text().strip() == lock_digest(folder)):
        return False
    return folder != LIBS or all((MODULES / f).is_file() for f in REQUIRED)


def _npm() -> str | None:
    npm = shutil.which("npm")
    if npm or os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        return npm
    print("consent libraries: npm not found, installing Debian's npm", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "-q", "npm"], env=env, stdout=subprocess.DEVNULL, check=False)
    return shutil.which("npm")


def main() -> int:
    for folder in LIB_DIRS:
        if not (folder / "package-lock.json").is_file() or installed(folder):
            continue
        code = _install(folder)
        if code:
            return code
    return 0


def _install(folder: Path) -> int:
    npm = _npm()
    if not npm:
        print("error: npm not found; install Node.js and npm (Debian: apt-get install npm) and run make setup again",
              file=sys.stderr)
        return 2
    where = folder.relative_to(FIXTURES.parent)
    print(f"consent libraries: npm ci in {where}", flush=True)
    proc = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if "Unknown user config" not in ln]
        print(f"error: npm ci in {where} failed: " + " | ".join(lines[-3:]), file=sys.stderr)
        return 2
    _stamp(folder).write_text(lock_digest(folder) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

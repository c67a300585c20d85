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

LIBS = Path(__file__).resolve().parents[1] / "fixtures" / "libs"
MODULES = LIBS / "node_modules"
STAMP = MODULES / ".consent-auditor-installed"
#: files the fixture pages load; the tests check they exist
REQUIRED = ("vanilla-cookieconsent/dist/cookieconsent.umd.js", "vanilla-cookieconsent/dist/cookieconsent.css",
            "klaro/dist/klaro.js")


def lock_digest() -> str:
    return hashlib.sha256((LIBS / "package-lock.json").read_bytes()).hexdigest()


def installed() -> bool:
    return (STAMP.is_file() and STAMP.read_text().strip() == lock_digest()
            and all((MODULES / f).is_file() for f in REQUIRED))


def _npm() -> str | None:
    npm = shutil.which("npm")
    if npm or os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        return npm
    print("consent libraries: npm not found, installing Debian's npm", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "-q", "npm"], env=env, stdout=subprocess.DEVNULL, check=False)
    return shutil.which("npm")


def main() -> int:
    if installed():
        return 0
    npm = _npm()
    if not npm:
        print("error: npm not found; install Node.js and npm (Debian: apt-get install npm) and run make setup again",
              file=sys.stderr)
        return 2
    print("consent libraries: npm ci in fixtures/libs", flush=True)
    proc = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], cwd=LIBS,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if "Unknown user config" not in ln]
        print("error: npm ci in fixtures/libs failed: " + " | ".join(lines[-3:]), file=sys.stderr)
        return 2
    STAMP.write_text(lock_digest() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

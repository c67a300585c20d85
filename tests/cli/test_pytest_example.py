"""The README's pytest example (examples/test_consent.py) runs as written, with the installed plugin, against the
bundled demo shop: once to write the baseline it names, then as the gate, which passes on the accepted findings
and fails when the page gains a pre-ticked box."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from devserver import serve

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "test_consent.py"

# test infrastructure only: Playwright cannot download its browsers here, so the inner run uses the Chromium the
# auditor finds (a user's machine has `playwright install chromium` instead)
CONFTEST = '''
import pytest
from auditor.browser.launch import find_browser


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, playwright):
    path = find_browser(None, playwright)
    return dict(browser_type_launch_args, **({"executable_path": path} if path else {}))
'''


def pytest_run(cwd: Path, site: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSENT_AUDITOR_", "PYTEST_"))}
    env["SITE_URL"] = site
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_consent.py", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_readme_shows_the_example():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert EXAMPLE.read_text(encoding="utf-8").rstrip() in readme


@pytest.mark.browser
def test_pytest_example_as_written(tmp_path):
    shutil.copytree(ROOT / "fixtures" / "site", tmp_path / "www" / "site")
    work = tmp_path / "suite"
    work.mkdir()
    (work / ".git").mkdir()
    shutil.copyfile(EXAMPLE, work / "test_consent.py")
    (work / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    with serve(tmp_path / "www") as (origin, _):
        site = f"{origin}/site/dark"
        first = pytest_run(work, site, "--consent-audit-update-baseline")
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
        assert (work / "consent-baseline.toml").exists()
        gate = pytest_run(work, site)
        assert gate.returncode == 0, gate.stdout[-3000:]
        assert "3 passed" in gate.stdout
        shutil.copyfile(ROOT / "fixtures" / "fingerprint" / "dark-shop" / "signup.one-more.html",
                        tmp_path / "www" / "site" / "dark" / "signup.html")
        worse = pytest_run(work, site)
    assert worse.returncode == 1
    assert "1 failed, 2 passed" in worse.stdout
    failure = worse.stdout[worse.stdout.index("test_signup_after_typing_an_email"):]
    assert "prechecked-consent" in failure and "report.html" in failure

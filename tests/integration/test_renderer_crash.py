"""A renderer crash is one page's error, never the run's: the other pages are still audited."""

from __future__ import annotations

import pytest
from harness import run_in_thread

from auditor.api import Options, audit_async


@pytest.mark.browser
def test_crashed_renderer_is_reported_and_other_pages_audited(fixture_server, browser_path):
    origin, _ = fixture_server
    good = f"{origin}/site/dark/signup.html"
    # chrome://crash makes Chromium kill the page's renderer process: a real crash, not a simulated one
    run = run_in_thread(audit_async(["chrome://crash", good],
                                    options=Options(timeout=20, browser=browser_path, evidence=False)))
    crashed, audited = run.pages
    assert crashed.error is not None and crashed.error.kind == "crash"
    assert audited.error is None and audited.findings

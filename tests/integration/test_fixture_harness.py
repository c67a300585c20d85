"""Every annotated fixture page, scanned in real Chromium, strict both ways (see fixtures/README.md)."""

from __future__ import annotations

import pytest

from harness import FIXTURES, fixture_pages, scan_fixtures

PAGES = fixture_pages("all")


@pytest.fixture(scope="module")
def outcomes(fixture_server, browser_path):
    origin, _ = fixture_server
    return scan_fixtures(PAGES, origin, browser_path)


@pytest.mark.browser
@pytest.mark.parametrize("page", [p.relative_to(FIXTURES).as_posix() for p in PAGES])
def test_fixture_page(outcomes, page):
    outcome = outcomes[page]
    problems = outcome.problems()
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)


@pytest.mark.browser
def test_every_check_fixture_page_has_annotations(outcomes):
    empty = [p for p, o in outcomes.items() if p.startswith("checks/") and not o.error and not o.annotations]
    assert not empty, f"fixture pages without any annotation: {empty}"

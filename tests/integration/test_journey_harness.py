"""Every annotated fixture flow of the journey checks, walked in real Chromium, strict both ways
(see tests/journey_harness.py and fixtures/README.md)."""

from __future__ import annotations

import pytest

from harness import FIXTURES
from journey_harness import fixture_flows, walk_fixture_flows

FLOWS = fixture_flows()


@pytest.fixture(scope="module")
def outcomes(fixture_server, browser_path):
    origin, _ = fixture_server
    return walk_fixture_flows(FLOWS, origin, browser_path)


@pytest.mark.browser
@pytest.mark.parametrize("flow", [p.relative_to(FIXTURES).as_posix() for p in FLOWS])
def test_fixture_flow(outcomes, flow):
    problems = outcomes[flow].problems()
    assert not problems, f"{flow}:\n  " + "\n  ".join(problems)

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
    outcome = outcomes[flow]
    problems = outcome.problems()
    if outcome.case.limitations:
        why = "; ".join(f"{c}: {w}" for c, w in outcome.case.limitations.items())
        if problems:
            pytest.xfail(f"known limitation ({why}): " + "; ".join(problems))
        pytest.fail(f"{flow} passes now: remove its known-limitation note ({why})")
    assert not problems, f"{flow}:\n  " + "\n  ".join(problems)

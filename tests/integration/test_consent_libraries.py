"""Banners rendered by real open-source consent libraries (installed from npm by `make setup`), configured
compliantly and non-compliantly: the auditor must find the banner, name its buttons and judge it right."""

from __future__ import annotations

import pytest

from harness import run_in_thread
from libs import MODULES, REQUIRED, installed

# page -> (buttons on the first layer as text -> kind, the exact set of checks that must fail)
CASES = {
    "libs/cookieconsent-compliant.html": (
        {"Accept all": "accept", "Reject all": "reject", "Manage preferences": "settings"}, set()),
    "libs/cookieconsent-opt-out.html": (
        {"Accept and continue": "accept", "Manage preferences": "settings"},
        {"missing-opt-out", "consent-before-choice", "prechecked-consent", "choice-ignored"}),
    "libs/cookieconsent-bar-de.html": (
        {"Alle akzeptieren": "accept", "Alle ablehnen": "reject", "Einstellungen": "settings"}, set()),
    "libs/klaro-compliant.html": (
        {"Lassen Sie mich wählen": "settings", "Ich lehne ab": "reject", "Das ist ok": "accept"}, set()),
    "libs/klaro-opt-out.html": (
        {"Let me choose": "settings", "That's ok": "accept"},
        {"missing-opt-out", "consent-before-choice", "prechecked-consent"}),
    "libs/klaro-modal-fr.html": (
        {"Je refuse": "reject", "Accepter tout": "accept", "Accepter sélectionné": "save"}, set()),
}


@pytest.fixture(scope="module")
def results(fixture_server, browser_path):
    if not installed():
        pytest.fail(f"the consent libraries are not installed in {MODULES} (missing one of {REQUIRED}); "
                    "run `make setup` (it runs tests/libs.py)")
    from auditor.api import Options, audit_async
    origin, _ = fixture_server
    urls = [f"{origin}/{page}" for page in CASES]
    run = run_in_thread(audit_async(urls, options=Options(timeout=30, browser=browser_path, evidence=False)))
    return {page: result for page, result in zip(CASES, run.pages)}


@pytest.mark.browser
@pytest.mark.parametrize("page", list(CASES))
def test_banner_found_and_buttons_named(results, page):
    result = results[page]
    assert result.error is None, result.error
    assert result.banner is not None and result.banner.state == "found", result.banner
    first = [b for b in result.banner.banners if b.layer == 1 and b.state == "understood"]
    assert len(first) == 1, [(b.kind, b.text[:60]) for b in result.banner.banners]
    named = {b.text.strip(): b.kind for b in first[0].buttons}
    expected, _ = CASES[page]
    assert {t: named.get(t) for t in expected} == expected, named


@pytest.mark.browser
@pytest.mark.parametrize("page", list(CASES))
def test_judged_right(results, page):
    result = results[page]
    failing = {f.check for f in result.findings if f.status == "fail"}
    _, expected = CASES[page]
    assert failing == expected, [(f.check, f.message[:120]) for f in result.findings]


@pytest.mark.browser
@pytest.mark.parametrize("page", [p for p, (_, fails) in CASES.items() if "prechecked-consent" in fails])
def test_prechecked_purposes_are_reported_as_second_layer(results, page):
    found = [f for f in results[page].findings if f.check == "prechecked-consent"]
    assert found and all(dict(f.details).get("layer") == 2 for f in found), [(f.message, f.details) for f in found]


@pytest.mark.browser
@pytest.mark.parametrize("page", [p for p, (_, fails) in CASES.items() if not fails])
def test_compliant_refusal_is_made_and_respected(results, page):
    choice = results[page].snapshot.choice
    assert choice is not None and choice.clicked and not choice.error, choice
    assert not choice.banner_returned

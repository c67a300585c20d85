# tests/test_consent.py: consent checks inside your own pytest + Playwright suite (pip install consent-auditor
# pytest-playwright; the plugin is installed with the package)
import os

import pytest
from auditor.pytest_plugin import assert_no_dark_patterns

SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000")


def test_signup_after_typing_an_email(page):
    page.goto(f"{SITE_URL}/signup.html")
    page.locator("form#signup-form").get_by_label("Email address").fill("test@example.com")
    # audits the page as it is now; fails with one line per finding and the paths of the evidence
    assert_no_dark_patterns(page, fail_on="medium", baseline="consent-baseline.toml")


@pytest.mark.consent_audit(fail_on="high", baseline="consent-baseline.toml")
def test_checkout(page):
    page.goto(f"{SITE_URL}/checkout.html")  # audited when the test body has passed


def test_no_paid_extra_is_preselected(page, consent_audit):
    page.goto(f"{SITE_URL}/product.html")
    result = consent_audit()
    assert not [f for f in result.all_findings if "paid" in f.message], result.message

"""What the user types as a target, and the numeric options: no surprises (auditor/cli.py)."""

import math

import pytest

from auditor.cli import check_number, normalise_target
from auditor.errors import UsageError


@pytest.mark.parametrize("raw, why", [
    ("does-not-exist.html", "file not found"),  # never https://does-not-exist.html
    ("./missing/page.html", "file not found"),
    ("index.php", "file not found"),
    ("javascript:alert(1)", "cannot be audited"),
    ("data:text/html,<p>x", "cannot be audited"),
    ("ftp://127.0.0.1/x", "cannot be audited"),
    ("chrome://settings", "cannot be audited"),
    ("view-source:http://example.com", "cannot be audited"),
    ("about:blank", "cannot be audited"),
    ("file:///etc/passwd", "not an HTML file"),
    ("/etc", "is a folder"),
    ("http://exa\x1bmple.com", "control characters"),
    ("http://:80/", "malformed"),
])
def test_refused_targets_say_why(raw, why):
    with pytest.raises(UsageError, match=why):
        normalise_target(raw)


def test_accepted_targets(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<p>x</p>")
    assert normalise_target(str(page)) == page.as_uri()
    assert normalise_target(page.as_uri()) == page.as_uri()
    assert normalise_target("example.com") == "https://example.com"
    assert normalise_target("shop.example.co.uk/a?b=1") == "https://shop.example.co.uk/a?b=1"
    assert normalise_target("localhost:8000/x") == "http://localhost:8000/x"
    assert normalise_target("127.0.0.1:9/a") == "http://127.0.0.1:9/a"


@pytest.mark.parametrize("option, value", [
    ("--timeout", math.nan), ("--timeout", math.inf), ("--timeout", -1), ("--timeout", 0), ("--timeout", 1e9),
    ("--concurrency", 0), ("--concurrency", 100000), ("--quiet-ms", -5), ("--settle-cap-ms", 10**12)])
def test_absurd_numbers_are_usage_errors(option, value):
    with pytest.raises(UsageError, match=option):
        check_number(option, value)


def test_sensible_numbers_pass():
    for option, value in (("--timeout", 30.0), ("--concurrency", 3), ("--quiet-ms", 200), ("--settle-cap-ms", 6000)):
        check_number(option, value)

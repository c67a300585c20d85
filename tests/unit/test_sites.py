"""Site boundaries from the Public Suffix List (auditor/sites.py): tldextract's bundled snapshot, no network."""

import pytest

from auditor.sites import has_public_suffix, site_of, third_party


@pytest.mark.parametrize("host, site", [
    ("www.example.com", "example.com"),
    ("shop.example.co.uk", "example.co.uk"),
    ("cdn.example.co.uk", "example.co.uk"),
    ("alice.github.io", "alice.github.io"),  # github.io is a public suffix (the list's private section)
    ("a.b.alice.github.io", "alice.github.io"),
    ("static.shop.com.cn", "shop.com.cn"),
    ("m.shop.com.au", "shop.com.au"),
    ("x.y.appspot.com", "y.appspot.com"),
    ("127.0.0.1", "127.0.0.1"),
    ("[::1]", "[::1]"),
    ("localhost", "localhost"),
    ("WWW.Example.COM.", "example.com"),
])
def test_site_of(host, site):
    assert site_of(host) == site


def test_third_party_follows_sites_not_the_last_two_labels():
    assert third_party("bob.github.io", site_of("alice.github.io")) is True
    assert third_party("cdn.example.co.uk", site_of("shop.example.co.uk")) is False
    assert third_party("other.co.uk", site_of("shop.example.co.uk")) is True
    assert third_party("tracker.example", "") is None


@pytest.mark.parametrize("host, expected", [
    ("example.com", True), ("shop.co.uk", True), ("does-not-exist.html", False), ("page.htm", False),
    ("localhost", False), ("127.0.0.1", False), ("index.php", False)])
def test_has_public_suffix(host, expected):
    assert has_public_suffix(host) is expected

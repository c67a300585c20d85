"""Site boundaries: the registrable domain ("site") of a host, from the Public Suffix List.

First party and third party are told apart by site, as browsers do: ``shop.example.co.uk`` and
``cdn.example.co.uk`` are one site, ``alice.github.io`` and ``bob.github.io`` are two (``github.io`` is a public
suffix in the list's private section, which browsers honour too), ``a.example.com.cn`` is under ``com.cn``.
The list is tldextract's bundled snapshot: nothing is fetched at run time.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache


@lru_cache(maxsize=1)
def _extractor():
    import tldextract  # about 50 ms to read the bundled list: only when a site is first asked for

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


@lru_cache(maxsize=4096)
def site_of(host: str) -> str:
    """The registrable domain of ``host`` (``www.shop.co.uk`` -> ``shop.co.uk``); an IP address, ``localhost`` or
    a name under no public suffix is its own site."""
    host = (host or "").lower().strip().strip(".")
    if not host or _is_ip(host):
        return host
    parts = _extractor()(host)
    if not parts.suffix or not parts.domain:
        return host
    return f"{parts.domain}.{parts.suffix}"


def has_public_suffix(host: str) -> bool:
    """Does ``host`` end in a public suffix (``example.com`` yes; ``page.html``, ``localhost`` no)?"""
    host = (host or "").lower().strip(".")
    return bool(host) and not _is_ip(host) and bool(_extractor()(host).suffix)


def third_party(host: str, page_site: str) -> bool | None:
    """Is ``host`` another site than the page's? None when either is unknown (a local file)."""
    if not host or not page_site:
        return None
    return site_of(host) != page_site


def needs_public_suffix(url: str) -> bool:
    """Would auditing ``url`` need the list (its host is a name, not an IP address, ``localhost`` or a file)?"""
    from urllib.parse import urlsplit
    host = (urlsplit(url).hostname or "").lower()
    return bool(host) and host != "localhost" and not _is_ip(host)

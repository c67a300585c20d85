"""Which requests go to trackers and which cookies are not strictly necessary.

The list is a documented data file (``data/trackers.json``; its ``source`` says where every entry comes from):
tracker hosts (a request to the host or any subdomain), tracker script and beacon paths (which also catch
self-hosted or proxied copies such as ``/gtag/js`` served from the site itself), non-essential cookie names,
and strictly necessary cookie names (sessions, CSRF, load balancers, the consent record itself). More lists
in the same format can be added with ``[trackers] files = [...]`` in the config.

Cookie names the hand-written list does not know are looked up in the **Open Cookie Database**
(``data/open-cookie-database/``: 2,264 cookie names with the platform that sets them and its purpose,
Apache License 2.0, from github.com/jkwakman/Open-Cookie-Database; its licence file ships beside it). Its
"Analytics" and "Marketing" entries count as non-essential, "Security" and "Necessary" as essential,
"Functional" and "Personalization" as functional (neither a finding nor unknown). An entry that names the
domain its platform sets it on matches only a cookie of that domain, so a generic name ("id", "uid") set by
a site itself is not taken for an ad network's.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

NON_ESSENTIAL = ("analytics", "advertising", "marketing")


@dataclass(frozen=True)
class Match:
    vendor: str
    category: str  # analytics | advertising | marketing | essential | functional | unknown
    rule: str  # what matched: a host, a path, a cookie pattern


class TrackerList:
    def __init__(self, sources: list[dict]):
        self.hosts: dict[str, tuple[str, str]] = {}
        self.host_paths: list[tuple[str, str, str, str]] = []  # "facebook.com/tr" style entries
        self.paths: list[tuple[str, str, str]] = []
        self.cookies: list[tuple[str, str, str, str]] = []
        self.essential: list[tuple[str, str, str]] = []
        for data in sources:
            for host, info in data.get("hosts", {}).items():
                if "/" in host:
                    h, _, p = host.partition("/")
                    self.host_paths.append((h.lower(), "/" + p, info["vendor"], info["category"]))
                else:
                    self.hosts[host.lower()] = (info["vendor"], info["category"])
            self.paths += [(p["pattern"], p["vendor"], p["category"]) for p in data.get("paths", [])]
            self.cookies += [(c["pattern"], c.get("match", "exact"), c["vendor"], c["category"])
                             for c in data.get("cookies", [])]
            self.essential += [(c["pattern"], c.get("match", "exact"), c.get("purpose", ""))
                               for c in data.get("essential_cookies", [])]

    def request(self, url: str) -> Match | None:
        """The tracker a request goes to, or None."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        labels = host.split(".")
        for i in range(len(labels) - 1):
            hit = self.hosts.get(".".join(labels[i:]))
            if hit:
                return Match(hit[0], hit[1], ".".join(labels[i:]))
        path = parts.path + ("?" + parts.query if parts.query else "")
        for h, p, vendor, cat in self.host_paths:
            if (host == h or host.endswith("." + h)) and path.startswith(p):
                return Match(vendor, cat, h + p)
        for p, vendor, cat in self.paths:
            if _path_matches(parts.path, path, p):
                return Match(vendor, cat, p)
        return None

    def cookie(self, name: str, domain: str = "") -> Match:
        """What a cookie is for, by its name (and the domain it was set on): a tracker category, ``essential``,
        ``functional`` or ``unknown``."""
        for pattern, how, vendor, cat in self.cookies:
            if _name_matches(name, pattern, how):
                return Match(vendor, cat, pattern)
        for pattern, how, purpose in self.essential:
            if _name_matches(name, pattern, how):
                return Match(purpose, "essential", pattern)
        return cookie_database().cookie(name, domain)


#: Open Cookie Database purpose -> this module's category
OCD_CATEGORIES = {"analytics": "analytics", "marketing": "marketing", "security": "essential",
                  "necessary": "essential", "functional": "functional", "personalization": "functional"}
_DOMAIN = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")


class CookieDatabase:
    """The Open Cookie Database: exact names, prefix patterns (its ``wildcard`` column), optional domains."""

    def __init__(self, rows):
        self.exact: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
        self.prefixes: list[tuple[str, str, str, tuple[str, ...]]] = []
        for row in rows:
            cat = OCD_CATEGORIES.get((row.get("category") or "").strip().lower())
            name = (row.get("name") or "").strip()
            if not cat or not name:
                continue
            domains = tuple(d.lstrip(".") for d in _DOMAIN.findall((row.get("domain") or "").lower()))
            if len(name) < 3 and not domains:
                continue  # a one- or two-letter name with no domain would match anything
            entry = (row.get("platform", "").strip(), cat, domains)
            if (row.get("wildcard") or "0").strip() == "1":
                self.prefixes.append((name, *entry))
            else:
                self.exact.setdefault(name, []).append(entry)
        self.prefixes.sort(key=lambda p: -len(p[0]))  # the longest pattern first

    @staticmethod
    def _domain_ok(domains: tuple[str, ...], domain: str) -> bool:
        if not domains:
            return True
        d = (domain or "").lower().lstrip(".")
        return any(d == x or d.endswith("." + x) for x in domains)

    def cookie(self, name: str, domain: str = "") -> Match:
        for vendor, cat, domains in self.exact.get(name, ()):
            if self._domain_ok(domains, domain):
                return Match(vendor, cat, f"open-cookie-database:{name}")
        for prefix, vendor, cat, domains in self.prefixes:
            if name.startswith(prefix) and (len(prefix) >= 4 or domains) and self._domain_ok(domains, domain):
                return Match(vendor, cat, f"open-cookie-database:{prefix}*")
        return Match("", "unknown", "")


@lru_cache(maxsize=1)
def cookie_database() -> CookieDatabase:
    text = (resources.files("auditor.trackers") / "data" / "open-cookie-database" / "cookies.csv").read_text(
        encoding="utf-8")
    return CookieDatabase(csv.DictReader(io.StringIO(text)))


def _name_matches(name: str, pattern: str, how: str) -> bool:
    if how == "prefix":
        return name.startswith(pattern)
    if how == "contains":
        return pattern.lower() in name.lower()
    return name == pattern


@lru_cache(maxsize=8)
def load(extra_files: tuple[str, ...] = ()) -> TrackerList:
    sources = [json.loads((resources.files("auditor.trackers") / "data" / "trackers.json").read_text(encoding="utf-8"))]
    for f in extra_files:
        sources.append(json.loads(Path(f).read_text(encoding="utf-8")))
    return TrackerList(sources)


def _path_matches(path: str, path_query: str, pattern: str) -> bool:
    """A path rule matches whole path segments: ``/analytics.js`` matches ``/lib/analytics.js`` but not
    ``/demo/analytics.json``; a rule with a query (``/tr?id=``) matches from the path into the query; a rule
    ending in ``-`` or ``=`` (``/hotjar-``) is a prefix of the segment."""
    hay = path_query if "?" in pattern else path
    start = hay.find(pattern)
    while start >= 0:
        if "?" in pattern and start > len(path):
            return False  # only inside the query string
        end = start + len(pattern)
        if pattern[-1] in "-=/?" or end == len(hay) or hay[end] in "/?#&;":
            return True
        start = hay.find(pattern, start + 1)
    return False

"""A crawl plan: the ``crawl`` section of a project config (``[tool.consent-auditor.crawl]`` in pyproject.toml)
or of its own TOML file (``[crawl]``), validated against the config schema (``auditor schema config``) like the
rest of the config: an unknown key or a wrong type is one line naming the file and the key, exit 2.

The smallest plan::

    [crawl]
    name = "nightly"
    [[crawl.sites]]
    name = "shop"
    urls = ["https://shop.example/", "https://shop.example/signup"]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from auditor.errors import ConfigError

#: the two named viewports of a matrix
DEVICES = {"desktop": (1280, 800), "mobile": (390, 844)}


@dataclass(frozen=True)
class Variant:
    """One combination of the matrix: how the browser presents itself."""

    viewport: str = "desktop"  # desktop | mobile | WIDTHxHEIGHT
    locale: str = "en-US"
    timezone: str | None = None

    @property
    def label(self) -> str:
        return "/".join(x for x in (self.viewport, self.locale, self.timezone) if x)

    @property
    def mobile(self) -> bool:
        return self.viewport == "mobile"

    @property
    def size(self) -> tuple[int, int]:
        if self.viewport in DEVICES:
            return DEVICES[self.viewport]
        w, h = self.viewport.split("x")
        return int(w), int(h)

    @property
    def slug(self) -> str:
        return re.sub(r"[^A-Za-z0-9]+", "-", self.label).strip("-")


@dataclass(frozen=True)
class Sitemap:
    url: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_pages: int = 1000


@dataclass(frozen=True)
class Site:
    name: str
    urls: tuple[str, ...] = ()
    sitemaps: tuple[Sitemap, ...] = ()
    flows: tuple[str, ...] = ()
    discover: bool = False
    base: str | None = None
    concurrency: int | None = None
    delay_ms: int = 0
    storage_state: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    variants: tuple[Variant, ...] = ()


@dataclass(frozen=True)
class Plan:
    name: str
    file: Path
    db: Path
    out: Path
    sites: tuple[Site, ...]
    concurrency: int = 2
    retries: int = 2
    restart_every: int = 200
    notify: dict = field(default_factory=dict)
    project: object = None  # the Project it came from (the rest of the config: checks, thresholds, ...)


def variants(matrix: dict | None) -> tuple[Variant, ...]:
    matrix = matrix or {}
    zones = matrix.get("time-zones") or [None]
    return tuple(Variant(v, loc, tz) for v in matrix.get("viewports") or ["desktop"]
                 for loc in matrix.get("locales") or ["en-US"] for tz in zones)


def load(path: str | Path) -> Plan:
    """Read and check a plan file (any project config file with a ``crawl`` section)."""
    from auditor import project
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"{path}: no such plan file")
    proj = project.load(str(file))
    raw = proj.get("crawl")
    if not raw:
        raise ConfigError(f"{proj.where or path}: no crawl section ([crawl] with a name and [[crawl.sites]])")
    here = file.resolve().parent
    where = proj.where or str(file)
    names: set[str] = set()
    sites = []
    default_variants = variants(raw.get("matrix"))
    for n, s in enumerate(raw["sites"]):
        key = f"crawl.sites[{n}]"
        if s["name"] in names:
            raise ConfigError(f"{where}: {key}.name: {s['name']!r} is named twice")
        names.add(s["name"])
        for u in s.get("urls", []):
            if not re.match(r"^https?://[^/\s]+", u):
                raise ConfigError(f"{where}: {key}.urls: {u!r} is not an http(s) address")
        maps = []
        for m in s.get("sitemaps", []):
            if not re.match(r"^https?://[^/\s]+", m["url"]):
                raise ConfigError(f"{where}: {key}.sitemaps: {m['url']!r} is not an http(s) address")
            for pattern in list(m.get("include", [])) + list(m.get("exclude", [])):
                if pattern.startswith("re:"):
                    try:
                        re.compile(pattern[3:])
                    except re.error as exc:
                        raise ConfigError(f"{where}: {key}.sitemaps: {pattern!r}: not a regular expression "
                                          f"({exc})") from None
            maps.append(Sitemap(m["url"], tuple(m.get("include", [])), tuple(m.get("exclude", [])),
                                int(m.get("max-pages", 1000))))
        flows = []
        for f in s.get("flows", []):
            fp = (here / f).resolve()
            if not fp.is_file():
                raise ConfigError(f"{where}: {key}.flows: {f!r}: no such file")
            flows.append(str(fp))
        state = s.get("storage-state")
        if state is not None:
            state = str((here / state).resolve())
            if not Path(state).is_file():
                raise ConfigError(f"{where}: {key}.storage-state: {s['storage-state']!r}: no such file")
        if s.get("discover") and not (s.get("urls") or maps):
            raise ConfigError(f"{where}: {key}.discover: needs a page to start from (urls)")
        if not (s.get("urls") or maps or flows):
            raise ConfigError(f"{where}: {key}: nothing to audit (urls, sitemaps or flows)")
        sites.append(Site(name=s["name"], urls=tuple(s.get("urls", [])), sitemaps=tuple(maps), flows=tuple(flows),
                          discover=bool(s.get("discover", False)), base=s.get("base"),
                          concurrency=s.get("concurrency"), delay_ms=int(s.get("delay-ms", 0)),
                          storage_state=state, headers=tuple(sorted((s.get("headers") or {}).items())),
                          variants=variants(s["matrix"]) if s.get("matrix") else default_variants))
    name = raw["name"]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "crawl"
    db = (here / raw["db"]).resolve() if raw.get("db") else here / f"{slug}.sqlite"
    out = (here / raw["out"]).resolve() if raw.get("out") else here / f"{slug}-runs"
    return Plan(name=name, file=file.resolve(), db=db, out=out, sites=tuple(sites),
                concurrency=int(raw.get("concurrency", 2)), retries=int(raw.get("retries", 2)),
                restart_every=int(raw.get("restart-every", 200)), notify=dict(raw.get("notify") or {}),
                project=proj)

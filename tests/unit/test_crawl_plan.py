"""Crawl plans (auditor/crawl/plan.py): the smallest plan works as written in the issue, every mistake is one
line naming the file and the key (exit 2), sitemaps are read with include/exclude and a cap, shards split the
targets without overlap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from auditor.crawl import plan as plans
from auditor.crawl.runner import in_shard, sitemap_pages, target_rows, transient
from auditor.errors import ConfigError
from auditor.models import PageError

SMALLEST = '''[crawl]
name = "nightly"
[[crawl.sites]]
name = "shop"
urls = ["https://shop.example/", "https://shop.example/signup"]
'''


def _plan(tmp_path, text: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_smallest_plan_works_as_written(tmp_path):
    p = plans.load(_plan(tmp_path, SMALLEST))
    assert p.name == "nightly" and p.db == tmp_path / "nightly.sqlite" and p.out == tmp_path / "nightly-runs"
    assert [s.name for s in p.sites] == ["shop"]
    rows, problems = target_rows(p)
    assert not problems
    assert [(r[2], r[3], r[4]) for r in rows] == [("desktop/en-US", "page", "https://shop.example/"),
                                                  ("desktop/en-US", "page", "https://shop.example/signup")]


def test_the_matrix_multiplies_targets(tmp_path):
    p = plans.load(_plan(tmp_path, SMALLEST + '''[crawl.matrix]
viewports = ["desktop", "mobile", "1024x768"]
locales = ["en-GB", "de-DE"]
time-zones = ["Europe/London"]
'''))
    rows, _ = target_rows(p)
    assert len(rows) == 2 * 3 * 2
    v = p.sites[0].variants
    assert v[0].label == "desktop/en-GB/Europe/London" and v[2].mobile and v[4].size == (1024, 768)


@pytest.mark.parametrize("text, words", [
    (SMALLEST.replace("urls", "urlz"), ["crawl.sites.0.urlz", "unknown key", "did you mean 'urls'"]),
    (SMALLEST.replace('name = "shop"', 'name = 3'), ["crawl.sites.0.name", "expected"]),
    (SMALLEST.replace('"https://shop.example/",', '"ftp://shop.example/",'), ["crawl.sites[0].urls", "ftp://"]),
    (SMALLEST + '[crawl.matrix]\nviewports = ["tablet"]\n', ["crawl.matrix.viewports"]),
    (SMALLEST + '[[crawl.sites]]\nname = "shop"\nurls = ["https://b.example/"]\n', ["named twice"]),
    (SMALLEST + '[[crawl.sites]]\nname = "empty"\n', ["crawl.sites[1]", "nothing to audit"]),
    (SMALLEST + 'flows = ["missing.yaml"]\n', ["missing.yaml", "no such file"]),
    ('[crawl]\nname = "x"\n', ["crawl", "sites"]),
    ('urls = ["https://a.example/"]\n', ["no crawl section"]),
])
def test_every_mistake_names_the_key(tmp_path, text, words):
    with pytest.raises(ConfigError) as info:
        plans.load(_plan(tmp_path, text))
    message = str(info.value)
    assert "plan.toml" in message and "\n" not in message
    for w in words:
        assert w in message, message


def test_the_command_line_says_it_in_one_line_with_exit_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "auditor", "crawl", str(_plan(tmp_path, SMALLEST.replace("urls", "urlz")))],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    proc = subprocess.run([sys.executable, "-m", "auditor", "crawl", str(_plan(tmp_path, SMALLEST)), "--shard", "3/2"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--shard" in proc.stderr


SITEMAP = b'''<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://shop.example/</loc></url>
  <url><loc>https://shop.example/p/1</loc></url>
  <url><loc>https://shop.example/p/2</loc></url>
  <url><loc>https://shop.example/blog/1</loc></url>
  <url><loc>javascript:alert(1)</loc></url>
</urlset>'''
INDEX = b'''<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://shop.example/sitemap-1.xml</loc></sitemap></sitemapindex>'''


def test_sitemaps_with_include_exclude_a_cap_and_an_index():
    fetch = {"https://shop.example/sitemap.xml": INDEX, "https://shop.example/sitemap-1.xml": SITEMAP}.__getitem__
    sm = plans.Sitemap("https://shop.example/sitemap.xml", include=("https://shop.example/p/*", "re:/$"),
                       exclude=("*/p/2",), max_pages=10)
    assert sitemap_pages(sm, fetch) == ["https://shop.example/", "https://shop.example/p/1"]
    assert len(sitemap_pages(plans.Sitemap("https://shop.example/sitemap-1.xml", max_pages=2), fetch)) == 2
    with pytest.raises(ValueError, match="not XML"):
        sitemap_pages(plans.Sitemap("https://x.example/s.xml"), lambda url: b"<html>nope")


def test_shards_split_without_overlap():
    keys = [f"shop|desktop|page|https://shop.example/p/{i}" for i in range(200)]
    parts = [[k for k in keys if in_shard(k, (i, 3))] for i in (1, 2, 3)]
    assert sorted(sum(parts, [])) == sorted(keys) and all(len(p) > 30 for p in parts)


def test_which_failures_are_tried_again():
    assert transient(PageError("timeout", "no response within 30s"))
    assert transient(PageError("http-error", "HTTP 503 Service Unavailable"))
    assert transient(PageError("unreachable", "connection reset"))
    assert not transient(PageError("http-error", "HTTP 404 Not Found"))
    assert not transient(PageError("not-html", "not HTML"))
    assert not transient(None)

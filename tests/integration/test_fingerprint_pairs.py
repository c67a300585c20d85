"""Fingerprint v2 on fixture pairs (fixtures/fingerprint/pairs.toml, written by a helper who did not read the
detector): a page and a variant of it are audited at the same address (two local servers, whose ports a page key
leaves out), and the fingerprints compared. A cosmetic variant keeps every fingerprint; one more pre-ticked box
adds exactly one; another purpose changes at least one."""

from __future__ import annotations

import shutil
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from devserver import serve
from harness import run_in_thread

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "fingerprint"
PAIRS = tomllib.loads((FIXTURES / "pairs.toml").read_text(encoding="utf-8"))["pair"]


def _name(pair: dict) -> str:
    return f"{Path(pair['variant']).stem}"


@pytest.fixture(scope="module")
def audited(tmp_path_factory, browser_path):
    """Every pair's base under server A and variant under server B, at the same path; one audit for all."""
    from auditor.api import Options, audit_async
    a, b = tmp_path_factory.mktemp("fp-a"), tmp_path_factory.mktemp("fp-b")
    paths = []
    for i, pair in enumerate(PAIRS):
        base = (FIXTURES / pair["base"]).resolve()
        variant = (FIXTURES / pair["variant"]).resolve()
        tree = base.parent.parent  # the page's folder and its siblings: relative assets (../assets/) keep working
        rel = base.relative_to(tree).as_posix()
        for side, source in ((a, base), (b, variant)):
            folder = side / f"p{i:02d}"
            shutil.copytree(tree, folder, ignore=shutil.ignore_patterns("*.md", "*.toml", "*.json"))
            shutil.copyfile(source, folder / rel)
        paths.append(f"p{i:02d}/{rel}")
    with serve(a) as (origin_a, _), serve(b) as (origin_b, _):
        urls = [f"{origin_a}/{p}" for p in paths] + [f"{origin_b}/{p}{pair.get('query', '')}"
                                                     for p, pair in zip(paths, PAIRS)]
        run = run_in_thread(audit_async(urls, options=Options(browser=browser_path, evidence=False, concurrency=3)))
    n = len(PAIRS)
    return list(zip(run.pages[:n], run.pages[n:]))


def _fps(page) -> Counter:
    assert page.error is None, f"{page.url}: {page.error}"
    return Counter(f.fingerprint for f in page.findings if f.status == "fail")


@pytest.mark.browser
@pytest.mark.parametrize("i", range(len(PAIRS)), ids=[_name(p) for p in PAIRS])
def test_pair(audited, i):
    pair = PAIRS[i]
    base, variant = audited[i]
    fa, fb = _fps(base), _fps(variant)
    assert fa, f"{pair['base']}: no finding to compare"
    lost, gained = set(fa) - set(fb), set(fb) - set(fa)
    detail = (f"{pair['variant']} ({pair.get('note', '')}): lost "
              f"{[(f.check, f.message) for f in base.findings if f.fingerprint in lost]}, gained "
              f"{[(f.check, f.message) for f in variant.findings if f.fingerprint in gained]}")
    if pair["expect"] == "same":
        assert fa == fb, detail
    elif pair["expect"] == "one-more":
        assert not lost and len(gained) == 1, detail
    elif pair["expect"] == "changed":
        assert lost and gained, detail
    else:
        pytest.fail(f"unknown expectation {pair['expect']!r}")


def test_pairs_cover_every_kind_of_change():
    kinds = Counter(p["expect"] for p in PAIRS)
    assert kinds["same"] >= 20 and kinds["one-more"] >= 5 and kinds["changed"] >= 5
    assert sum(1 for p in PAIRS if p.get("query")) >= 2

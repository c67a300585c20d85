"""Run the strict fixture harness on some fixture pages and print what it finds, without pytest.

    .venv/bin/python tests/check_fixtures.py fixtures/checks/choice-ignored [more folders or .html files]

For people writing fixture pages: prints every finding, every miss and every false alarm per page, and the
number of failing and passing cases per check. Exit 1 when any page has a problem (the same rule as
tests/integration/test_fixture_harness.py).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from auditor.devserver import serve  # noqa: E402
from harness import FIXTURES, scan_fixtures  # noqa: E402


def pages_from(args: list[str]) -> list[Path]:
    pages = []
    for a in args:
        p = Path(a).resolve()
        if p.is_dir():
            pages += sorted(q for q in p.glob("*.html") if ".frame." not in q.name)
        elif p.suffix == ".html":
            pages.append(p)
        else:
            raise SystemExit(f"check_fixtures: {a}: not a folder or .html file")
        if FIXTURES.resolve() not in p.parents and p != FIXTURES.resolve():
            raise SystemExit(f"check_fixtures: {a}: not under {FIXTURES}")
    return pages


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    pages = pages_from(argv)
    from playwright.sync_api import sync_playwright

    from auditor.browser.launch import find_browser
    with sync_playwright() as pw:
        exe = find_browser(None, pw)
    with serve(FIXTURES) as (origin, _):
        outcomes = scan_fixtures(pages, origin, exe)
    bad = 0
    cases: Counter = Counter()
    for path in sorted(outcomes):
        o = outcomes[path]
        problems = o.problems()
        bad += bool(problems)
        print(f"{'FAIL' if problems else 'ok  '} {path}")
        for check, message, ann, verdict in o.findings:
            print(f"       finding {check} [{verdict}]: {message[:150]}")
        for p in problems:
            print(f"       PROBLEM {p}")
        for ann in o.annotations:
            for c in ann.fail:
                cases[(c, "fail")] += 1
            for c in ann.pass_:
                cases[(c, "pass")] += 1
    print("\ncases per check (fail / pass):")
    for check in sorted({c for c, _ in cases}):
        print(f"  {check:24} {cases[(check, 'fail')]:3} / {cases[(check, 'pass')]:3}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

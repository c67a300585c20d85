"""Run the strict fixture harness on some fixture pages and print what it finds, without pytest.

    .venv/bin/python tests/check_fixtures.py fixtures/checks/choice-ignored [more folders, .html or .yaml files]

For people writing fixture pages: prints every finding, every miss and every false alarm per page, and the
number of failing and passing cases per check. Exit 1 when any page has a problem (the same rule as
tests/integration/test_fixture_harness.py). A folder's ``*.yaml`` files are annotated fixture flows of the
journey checks: they are walked by the journey harness (tests/journey_harness.py), the same rule as
tests/integration/test_journey_harness.py.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from devserver import serve  # noqa: E402
from harness import FIXTURES, scan_fixtures  # noqa: E402


def pages_from(args: list[str]) -> tuple[list[Path], list[Path]]:
    """(pages, flow files) named on the command line."""
    pages, flows = [], []
    for a in args:
        p = Path(a).resolve()
        if p.is_dir():
            pages += sorted(q for q in p.glob("*.html") if ".frame." not in q.name)
            flows += sorted(p.glob("*.yaml"))
        elif p.suffix == ".html":
            pages.append(p)
        elif p.suffix == ".yaml":
            flows.append(p)
        else:
            raise SystemExit(f"check_fixtures: {a}: not a folder, .html or .yaml file")
        if FIXTURES.resolve() not in p.parents and p != FIXTURES.resolve():
            raise SystemExit(f"check_fixtures: {a}: not under {FIXTURES}")
    return pages, flows


def check_flows(flows: list[Path], origin: str, exe) -> int:
    from journey_harness import read_case, walk_fixture_flows
    outcomes = walk_fixture_flows(flows, origin, exe)
    bad = 0
    cases: Counter = Counter()
    for path in sorted(outcomes):
        o = outcomes[path]
        problems = o.problems()
        bad += bool(problems)
        print(f"{'FAIL' if problems else 'ok  '} {path}")
        for check, step, message in o.found:
            print(f"       finding {check} at step {step}: {message[:150]}")
        for p in problems:
            print(f"       PROBLEM {p}")
    for f in flows:
        case = read_case(f)
        for check in set(case.fail) | set(case.pass_steps) | case.pass_flow:
            n_fail, n_pass = case.cases(check)
            cases[(check, "fail")] += n_fail
            cases[(check, "pass")] += n_pass
    print("\nflow cases per journey check (fail / pass):")
    for check in sorted({c for c, _ in cases}):
        print(f"  {check:24} {cases[(check, 'fail')]:3} / {cases[(check, 'pass')]:3}")
    return bad


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    pages, flows = pages_from(argv)
    from playwright.sync_api import sync_playwright

    from auditor.browser.launch import find_browser
    with sync_playwright() as pw:
        exe = find_browser(None, pw)
    with serve(FIXTURES) as (origin, _):
        outcomes = scan_fixtures(pages, origin, exe) if pages else {}
        bad_flows = check_flows(flows, origin, exe) if flows else 0
    bad = bad_flows
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

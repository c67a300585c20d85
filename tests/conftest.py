"""Shared test fixtures: the fixture server (two loopback ports) and the browser the tests use."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from auditor.browser.launch import IGNORE_DEFAULT_ARGS, LAUNCH_ARGS, find_browser  # noqa: E402
from devserver import serve  # noqa: E402


@pytest.fixture(scope="session")
def browser_path():
    """The executable the auditor would pick (None means Playwright's own Chromium)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        return find_browser(None, pw)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, browser_path):
    """Point pytest-playwright at the same Chromium, with the same flags, as the product."""
    args = dict(browser_type_launch_args)
    if browser_path:
        args["executable_path"] = browser_path
    args["args"] = list(LAUNCH_ARGS)
    args["ignore_default_args"] = list(IGNORE_DEFAULT_ARGS)
    return args


@pytest.fixture(scope="session")
def fixture_server():
    """(origin, cross origin) serving fixtures/ on 127.0.0.1."""
    with serve(ROOT / "fixtures") as origins:
        yield origins


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Keep each test module's tests together. pytest groups the tests parametrized by pytest-playwright's
    ``browser_name`` across modules, which split a module in two: its module fixtures (the fixture harness
    scanning every annotated page, a walked flow, a sealed pack) were torn down and built again, minutes of the
    suite. Modules keep the order they first appear in; tests keep their order inside a module."""
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        first.setdefault(item.nodeid.split("::")[0], i)
    items.sort(key=lambda item: first[item.nodeid.split("::")[0]])

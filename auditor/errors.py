"""Errors a user can cause, and the one exit-code enum. The CLI maps them; nothing else calls sys.exit."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0  # nothing at or above --fail-on
    FINDINGS = 1  # findings at or above --fail-on
    USAGE = 2  # usage or config error (bad option, bad URL, unreadable config)
    TARGET_FAILED = 3  # a page could not be audited (unreachable, timeout, crash, HTTP error, not HTML)


class AuditorError(Exception):
    """An error the user can fix; shown as one line, no traceback."""

    exit_code = ExitCode.USAGE


class UsageError(AuditorError):
    exit_code = ExitCode.USAGE


class ConfigError(AuditorError):
    exit_code = ExitCode.USAGE


class BrowserNotFound(AuditorError):
    exit_code = ExitCode.USAGE

"""consent-auditor: finds consent dark patterns on web pages in a real Chromium."""

__version__ = "0.1.0"
TOOL_NAME = "consent-auditor"

"""Everything that touches Playwright: launching Chromium, loading and settling pages, running the collector."""

"""Nightly crawls (issue 15): a crawl plan, the run history in SQLite, what changed since the last run."""

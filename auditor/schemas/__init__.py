"""The published JSON Schemas: the project config, flow files and the JSON report (``auditor schema NAME``)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

NAMES = ("config", "flow", "report")


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    """The schema called ``name`` (config | flow | report) as a dict."""
    if name not in NAMES:
        raise ValueError(f"no schema {name!r} (known: {', '.join(NAMES)})")
    text = resources.files(__package__).joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)

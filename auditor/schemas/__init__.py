"""The published JSON Schemas (draft 2020-12): the project config, flow files and the JSON report
(``auditor schema NAME``).

- ``config``: the project config (TOML);
- ``flow``: flow files (YAML; fixtures/flows/README.md, checked by auditor/flows/spec.py);
- ``report``: the JSON report (``consent-auditor/report/v1``, auditor/report/json_report.py).

``load(name)`` reads ``<name>.schema.json`` next to this module (importlib.resources, so it works from a wheel or
a zip) and returns a fresh dict on every call: callers may change it without changing anyone else's.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

NAMES = ("config", "flow", "report")


@lru_cache(maxsize=None)
def _text(name: str) -> str:
    return resources.files(__name__).joinpath(f"{name}.schema.json").read_text(encoding="utf-8")


def load(name: str) -> dict[str, Any]:
    """The schema called ``name`` (config | flow | report) as a dict."""
    if name not in NAMES:
        raise ValueError(f"no schema {name!r} (known: {', '.join(NAMES)})")
    return json.loads(_text(name))

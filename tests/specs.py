"""Where the tests find the specifications they validate against (the OASIS SARIF 2.1.0 schema): the shared
specs folder beside the repository (``../shared/specs``), the machine's ``/work/shared/specs``, or the folder
named by ``SHARED_SPECS``. A missing schema fails the test that needs it, with this message, never a skip."""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "sarif-schema-2.1.0.json"


def sarif_schema_path() -> Path:
    places = [Path(os.environ["SHARED_SPECS"])] if os.environ.get("SHARED_SPECS") else []
    places += [ROOT.parent / "shared" / "specs", Path("/work/shared/specs")]
    for folder in places:
        if (folder / NAME).is_file():
            return folder / NAME
    raise FileNotFoundError(f"the OASIS SARIF schema {NAME} is in none of: {', '.join(map(str, places))} "
                            "(set SHARED_SPECS to the folder that holds it)")


def sarif_schema() -> dict:
    return json.loads(sarif_schema_path().read_text(encoding="utf-8"))

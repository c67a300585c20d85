"""Named thresholds and their overrides.

Every number a check judges by lives here, documented, so a team can tune it in a config file
(``auditor scan --config consent-auditor.toml``) instead of editing code:

```toml
[thresholds]
tiny_font_px = 9.0
```
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import ConfigError


@dataclass(frozen=True)
class Thresholds:
    #: Text smaller than this (CSS px) is tiny: few people read 8px legal copy. The CAC/MIIT method names
    #: "faint or tiny text" as a sign of consent not freely given.
    tiny_font_px: float = 9.0
    #: Text below this size counts as small; small text needs more contrast to stay readable.
    small_font_px: float = 12.0
    #: WCAG contrast ratio below which text is very hard to read at any size (WCAG AA asks 4.5).
    min_contrast: float = 2.5
    #: Contrast ratio that small text (below ``small_font_px``) needs.
    small_text_min_contrast: float = 3.0
    #: Effective opacity (product through ancestors) below which text is nearly invisible.
    min_opacity: float = 0.3
    #: Share of a text's box that must survive clipping by overflow ancestors and the page edges.
    min_visible_fraction: float = 0.5
    #: Distance (CSS px) between binding text and the action it governs beyond which nobody connects them.
    far_from_action_px: float = 1000.0
    #: A select with at least this many options is a list one scrolls, not a choice one sees.
    buried_option_min_options: int = 10
    #: Accept's prominence score over reject's at or above which declining is made much harder to see
    #: (asymmetric-choice; the score combines size, fill, border, text contrast and reachability).
    prominence_ratio: float = 2.5
    #: Accept's area over reject's at or above which the buttons are of very different size.
    area_ratio: float = 3.0
    #: Accept's font size over reject's at or above which the reject text is much smaller.
    font_ratio: float = 1.4
    #: Reject text below this contrast, while accept has at least ``min_contrast_good``, is faded out.
    weak_contrast: float = 3.0
    #: The contrast accept's text has when reject's is faded (WCAG AA for normal text).
    min_contrast_good: float = 4.5


@dataclass(frozen=True)
class Config:
    thresholds: Thresholds = Thresholds()
    lexicon_dirs: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    tracker_files: tuple[str, ...] = ()


def load_config(path: str | Path | None) -> Config:
    """Read a TOML config; unknown keys and wrong types are a ``ConfigError``."""
    if path is None:
        return Config()
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {p}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: invalid TOML: {exc}") from None
    known = {f.name: f for f in dataclasses.fields(Thresholds)}
    raw = data.pop("thresholds", {})
    values = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(f"{p}: unknown threshold {key!r} (known: {', '.join(sorted(known))})")
        default = getattr(Thresholds(), key)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ConfigError(f"{p}: threshold {key!r} must be a number, got {value!r}")
        values[key] = type(default)(value)
    lex = data.pop("lexicon", {})
    dirs = tuple(str((p.parent / d).resolve()) for d in lex.get("dirs", []))
    langs = tuple(lex.get("languages", []))
    trackers = tuple(str((p.parent / f).resolve()) for f in data.pop("trackers", {}).get("files", []))
    if data:
        raise ConfigError(f"{p}: unknown section(s): {', '.join(sorted(data))}")
    return Config(Thresholds(**values), dirs, langs, trackers)

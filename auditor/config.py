"""Named thresholds and their overrides.

Every number a check judges by lives here, documented, so a team can tune it in the project config
(``[tool.consent-auditor.thresholds]`` in pyproject.toml, or ``[thresholds]`` in consent-auditor.toml; read by
auditor/project.py and validated against the published schema) instead of editing code:

```toml
[thresholds]
tiny_font_px = 9.0
```
"""

from __future__ import annotations

from dataclasses import dataclass


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

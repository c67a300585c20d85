"""The on/off state of switches that exist only as drawings: a pill-shaped track and a knob, with no input, no
``role=switch`` and no ``aria-checked``. Pure Python over the facts the collector measured.

A person reads such a switch by where the knob sits and by the fill of its track. The rules, in order:

1. **Knob position.** At the end of the track (right; left on a right-to-left page) is "on", at the start
   "off". A knob in the middle tells nothing.
2. **Track colour against the other drawn switches of the same UI** (same frame and overlay): where some
   tracks are coloured and others grey, the coloured ones are on. A single coloured track, with the knob
   undecided, is on; a grey one is off.
3. When position and colour disagree (knob at the end on a grey track while a coloured peer is off), the
   state is unknown and the switch is reported "off" with ``state_source`` ``visual-unsure``: absence of a
   finding is safer than a false one.

Every inferred state has ``state_source`` ``visual`` so reports say the inference is visual.
"""

from __future__ import annotations

import dataclasses
import colorsys

from auditor.colour import blend
from auditor.models import Control, DrawnSwitch

#: a knob this far along its track (0..1, reading direction) is at the end: "on"
KNOB_END = 0.65
#: HSV saturation from which a track counts as coloured rather than grey
COLOURED_SATURATION = 0.28


def _coloured(sw: DrawnSwitch) -> bool:
    r, g, b, _ = blend(sw.track, sw.backdrop) if sw.track[3] < 1 else sw.track
    _, s, v = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
    return s >= COLOURED_SATURATION and v >= 0.25


def _position(sw: DrawnSwitch) -> bool | None:
    pos = 1 - sw.offset if sw.rtl else sw.offset
    if pos >= KNOB_END:
        return True
    if pos <= 1 - KNOB_END:
        return False
    return None


def drawn_state(sw: DrawnSwitch, peers: list[DrawnSwitch]) -> bool | None:
    """True (on), False (off) or None (cannot tell) for one drawn switch among the drawn switches of its UI."""
    by_knob = _position(sw)
    colours = {_coloured(p) for p in peers}
    by_colour = _coloured(sw) if len(colours) > 1 or by_knob is None else None
    if by_knob is None:
        return by_colour
    if by_colour is not None and by_colour != by_knob:
        return None
    return by_knob


def infer(controls: tuple[Control, ...] | list[Control]) -> tuple[Control, ...]:
    """Controls with the state of each drawn switch filled in."""
    groups: dict[tuple, list[DrawnSwitch]] = {}
    for c in controls:
        if c.drawn is not None:
            groups.setdefault((c.ref.frame, c.overlay), []).append(c.drawn)
    out = []
    for c in controls:
        if c.drawn is None or c.state_source == "person":
            out.append(c)
            continue
        state = drawn_state(c.drawn, groups[(c.ref.frame, c.overlay)])
        out.append(dataclasses.replace(c, checked=bool(state),
                                       state_source="visual" if state is not None else "visual-unsure"))
    return tuple(out)

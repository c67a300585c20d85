"""Colour maths for judging readability: WCAG 2 relative luminance and contrast ratio."""

from __future__ import annotations

from auditor.models import RGBA


def blend(top: RGBA, bottom: RGBA) -> RGBA:
    """``top`` composited over ``bottom`` (straight alpha)."""
    a = top[3] + bottom[3] * (1 - top[3])
    if a <= 0:
        return (0.0, 0.0, 0.0, 0.0)
    ch = [(top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a for i in range(3)]
    return (ch[0], ch[1], ch[2], a)


def luminance(c: RGBA) -> float:
    def lin(v: float) -> float:
        v = max(0.0, min(255.0, v)) / 255.0
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])


def contrast(fg: RGBA, bg: RGBA) -> float:
    """WCAG contrast ratio of text colour ``fg`` (its alpha blended over ``bg``) against ``bg``."""
    base = bg if bg[3] >= 1 else blend(bg, (255.0, 255.0, 255.0, 1.0))
    text = blend(fg, base) if fg[3] < 1 else fg
    l1, l2 = luminance(text), luminance(base)
    hi, lo = max(l1, l2), min(l1, l2)
    return (hi + 0.05) / (lo + 0.05)


def hex_colour(c: RGBA) -> str:
    s = "#{:02x}{:02x}{:02x}".format(*(int(round(max(0, min(255, v)))) for v in c[:3]))
    return s if c[3] >= 1 else f"{s} at {c[3]:.0%}"

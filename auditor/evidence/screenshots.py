"""Crops with the element outlined, drawn on a copy: the full-page original is never altered."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from auditor.models import Box

if TYPE_CHECKING:
    from PIL import Image

OUTLINE = (220, 20, 60)  # crimson: visible on light and dark pages
MARGIN = 48  # CSS px of context around the element
MAX_CROP = (1400, 1000)
#: a full-page screenshot is at most this tall and this many pixels (CSS px at scale 1): a page 200,000 px tall
#: is captured down to the cap, and the report says so
MAX_SHOT_HEIGHT = 20_000
MAX_SHOT_PIXELS = 60_000_000


def shot_clip(width: float, height: float) -> dict | None:
    """The clip for a full-page screenshot of a page this large, or None when the whole page fits the caps."""
    width, height = max(1.0, float(width)), max(1.0, float(height))
    cap_w = min(width, 8_000)
    cap_h = min(height, MAX_SHOT_HEIGHT, MAX_SHOT_PIXELS / cap_w)
    if cap_w >= width and cap_h >= height:
        return None
    return {"x": 0, "y": 0, "width": int(cap_w), "height": int(cap_h)}


def open_own_screenshot(path: Path) -> "Image.Image":
    """Open a screenshot the auditor took itself, decoded. Pillow refuses images above its decompression-bomb
    limit; our own are bounded by the caps above, so the limit is raised to that bound for them only
    (deliberately: an image a page supplied is never opened with it)."""
    from PIL import Image

    bound = MAX_SHOT_PIXELS * 4  # a device scale of up to 2 in each direction
    old = Image.MAX_IMAGE_PIXELS
    try:
        Image.MAX_IMAGE_PIXELS = max(old or 0, bound // 2)  # Pillow refuses at twice this
        img = Image.open(path)
    finally:
        Image.MAX_IMAGE_PIXELS = old
    if img.size[0] * img.size[1] > bound:  # not one of ours
        img.close()
        raise ValueError(f"{path.name}: {img.size[0]}x{img.size[1]} is larger than any screenshot the auditor takes")
    img.load()
    return img


def crop_with_outline(page_png: Path | Image.Image, box: Box, out_png: Path, scale: float = 1.0) -> Path | None:
    """Write a crop of ``page_png`` (a path, or the screenshot already opened and loaded, for several crops of
    one page) around ``box`` with a rectangle around the element; None if off-image."""
    from PIL import Image, ImageDraw  # imported in a thread beside the browser start-up (engine.audit)

    if not isinstance(page_png, Image.Image):
        with open_own_screenshot(page_png) as img:
            return crop_with_outline(img, box, out_png, scale)
    img = page_png
    w, h = img.size
    x0, y0 = box.x * scale, box.y * scale
    x1, y1 = (box.x + max(box.width, 1)) * scale, (box.y + max(box.height, 1)) * scale
    if x1 < 0 or y1 < 0 or x0 > w or y0 > h:
        return None
    left = int(max(0, min(x0, w) - MARGIN))
    top = int(max(0, min(y0, h) - MARGIN))
    right = int(min(w, max(x1, 0) + MARGIN))
    bottom = int(min(h, max(y1, 0) + MARGIN))
    right = min(right, left + MAX_CROP[0])
    bottom = min(bottom, top + MAX_CROP[1])
    if right - left < 2 or bottom - top < 2:
        return None
    crop = img.crop((left, top, right, bottom)).convert("RGB")
    draw = ImageDraw.Draw(crop)
    rect = (x0 - left - 3, y0 - top - 3, x1 - left + 2, y1 - top + 2)
    draw.rectangle(rect, outline=OUTLINE, width=3)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    crop.save(out_png)
    return out_png

"""Text that binds the user is rendered so that a person is unlikely to see or read it.

## What it finds
Text that binds the user (an agreement to terms, a consent, a data-sharing clause, "by clicking ... you
agree") shown in a way a person is unlikely to notice or read: a tiny font; very low contrast against the
colour actually behind it (WCAG contrast formula, ancestors' backgrounds composited); small text with low
contrast (colours as the browser resolves them, `oklch()`, `lab()`, `color-mix()` and relative colours
included, faded by the opacity of its ancestors); near-zero opacity through its ancestors; clipped away by an
`overflow: hidden` box, the legacy `clip` or a `clip-path` shape, or placed off-screen (`text-indent`,
negative margins, transforms); set at `font-size: 0` while `::before`/`::after` draw other words; laid out
but never painted (`content-visibility: hidden`); folded inside a closed `<details>` or a collapsed accordion
while still binding; or placed far from the button it governs. Small but readable footer text and legal text at ordinary size and contrast are
not findings. Text whose real background cannot be known (an image behind it) is reported for review only.

## Why it matters
Consent must be informed and the request "clearly distinguishable" and in "clear and plain language"
(GDPR Art. 7(2), Recital 42). The EDPB's Guidelines 03/2022 name hidden information and "left in the dark"
patterns; the FTC's 2022 report lists buried disclosures; China's 2019 CAC/MIIT method treats faint or tiny
consent text as consent not freely given; India's 2023 Guidelines list disguised terms. The 2018 Alipay
case was a pre-ticked agreement in small grey text.

## Example
```html
<button>Create account</button>
<p style="font-size:8px;color:#ccc">By clicking Create account you agree to share your data with partners.</p>
```

## How to fix
Set binding text at body size (at least 12px, usually 14-16px) with a contrast ratio of at least 4.5:1 next to
the action it governs, fully visible, not folded away. If the clause is optional, ask with an unticked box.

## References
- GDPR Art. 7(2), Art. 12(1), Recital 42
- EDPB Guidelines 03/2022 on deceptive design patterns
- WCAG 2.2 success criterion 1.4.3 Contrast (Minimum)
- FTC, Bringing Dark Patterns to Light (2022)
- China CAC/MIIT method for identifying unlawful collection of personal information by apps (2019)
- India, Guidelines for Prevention and Regulation of Dark Patterns (2023)
"""

from __future__ import annotations

from auditor.colour import contrast, hex_colour
from auditor.models import PageSnapshot, TextBlock
from auditor.registry import CheckContext, Hit, NotApplicable, check, quote


def is_binding(ctx: CheckContext, text: str) -> bool:
    """A statement that binds: an agreement verb or an action that is taken as agreement."""
    lex = ctx.lexicon
    return lex.has("binding", text) or lex.has("assumption", text)


#: a text this close (CSS px) to a checkbox or switch is that control's label: it governs the control, not a
#: far-away submit button
LABEL_GAP_PX = 24


def labels_a_control(page: PageSnapshot, t: TextBlock) -> bool:
    if t.ref.box is None:
        return False
    return any(c.ref.frame == t.ref.frame and c.kind != "select" and c.ref.box is not None
               and t.ref.box.distance_to(c.ref.box) <= LABEL_GAP_PX for c in page.controls)


def reasons_for(t: TextBlock, ctx: CheckContext, is_label: bool = False) -> tuple[list[tuple[str, bool]], float]:
    """(reason, strong) pairs that make the text hard to see, and its contrast ratio."""
    th = ctx.thresholds
    reasons: list[tuple[str, bool]] = []
    # the text as drawn: its colour faded by the opacity of its ancestors over the colour behind it
    ink = (*t.color[:3], t.color[3] * max(0.0, min(1.0, t.opacity)))
    ratio = contrast(ink, t.background)
    if t.in_closed_details:
        reasons.append(("folded inside a closed <details>", True))
    if t.collapsed:
        reasons.append(("hidden in a collapsed section", True))
    if not t.rendered:
        return reasons, ratio
    if t.content_hidden:
        reasons.append(("never painted (content-visibility: hidden)", True))
    if t.font_size <= 0:
        shown = f' (the screen shows "{quote(t.generated, 40)}" instead)' if t.generated else ""
        reasons.append((f"set at font-size 0{shown}", True))
    elif t.font_size < th.tiny_font_px:
        reasons.append((f"tiny font ({t.font_size:g}px)", t.font_size <= th.tiny_font_px - 1))
    faded = f" faded to {t.opacity:.0%}" if t.opacity < 0.995 else ""
    if t.font_size <= 0:
        pass  # nothing of it is drawn: its colour does not matter
    elif ratio < th.min_contrast:
        reasons.append((f"very low contrast ({ratio:.2f}:1, {hex_colour(t.color)}{faded} on {hex_colour(t.background)})",
                        ratio < 2.0))
    elif t.font_size < th.small_font_px and ratio < th.small_text_min_contrast:
        reasons.append((f"small ({t.font_size:g}px) low-contrast text ({ratio:.2f}:1)", False))
    if t.opacity < th.min_opacity:
        reasons.append((f"nearly transparent (opacity {t.opacity:.2f})", t.opacity < th.min_opacity / 2))
    if t.offscreen:
        reasons.append(("positioned off-screen", True))
    elif t.visible_fraction < th.min_visible_fraction:
        reasons.append((f"clipped: {t.visible_fraction:.0%} of it is visible", True))
    if (t.action is not None and t.action_distance is not None and t.action_distance > th.far_from_action_px
            and ctx.lexicon.has("assumption", t.text) and t.overlay is None and not is_label
            and t.action.html.lower().startswith(("<button", "<input"))):
        reasons.append((f"{t.action_distance:,.0f}px away from \"{quote(t.action.text, 40)}\"", False))
    return reasons, ratio


@check(id="hidden-agreement-text", title="Binding text is hidden or hard to read", severity="high",
       tags=("gdpr", "dsa", "pipl", "ftc", "wcag", "india-dark-patterns"),
       references=("GDPR Art. 7(2), Recital 42", "EDPB Guidelines 03/2022", "WCAG 2.2 SC 1.4.3"))
def hidden_agreement_text(page: PageSnapshot, ctx: CheckContext):
    judged = 0
    for t in page.texts:
        if not is_binding(ctx, t.text):
            continue
        if not t.rendered and not (t.in_closed_details or t.collapsed):
            continue  # never shown and nothing reveals it: a template, not a term
        judged += 1
        reasons, ratio = reasons_for(t, ctx, labels_a_control(page, t))
        if not reasons:
            continue
        contrast_only = all("contrast" in r for r, _ in reasons)
        uncertain = t.background_uncertain and contrast_only
        strong = any(s for _, s in reasons) or len(reasons) > 1
        yield Hit(
            element=t.ref,
            message=f'Binding text is {"; ".join(r for r, _ in reasons)}: "{quote(t.text)}"',
            text=t.text,
            confidence="low" if uncertain else ("high" if strong else "medium"),
            status="review" if uncertain else "fail",
            details=(("reasons", [r for r, _ in reasons]), ("font_size_px", t.font_size),
                     ("contrast_ratio", round(ratio, 2)), ("color", hex_colour(t.color)),
                     ("background", hex_colour(t.background)), ("background_uncertain", t.background_uncertain),
                     ("opacity", round(t.opacity, 3)), ("visible_fraction", round(t.visible_fraction, 3)),
                     ("action", t.action.text if t.action else None), ("action_distance_px", t.action_distance)))
    if not judged:
        raise NotApplicable

"""Cookie and consent banners: which overlays are banners, how sure we are, and what each button does.

Pure functions over a PageSnapshot (no browser). The engine reports the result per page in one of three
states that are never conflated:

- ``none``: no overlay on the page looks like a consent banner;
- ``found``: at least one banner was recognised and its buttons classified;
- ``needs-review``: something banner-like is there (a consent-worded overlay whose buttons we cannot name, a
  large dialog over the page that speaks of data or privacy, a cross-origin frame we could not read), but we
  could not understand it. A silent miss is the worst outcome, so this is said out loud.

Each button is classified as accept, reject (decline, necessary only), settings (customise), save (store the
settings as they stand), acknowledge (OK, Got it), close, or other; and given a prominence score from the
measured facts (see :func:`prominence`).
"""

from __future__ import annotations

import dataclasses

import math

from auditor.colour import blend, contrast
from auditor.consent import (affirms, classify_button, informs_only_necessary, is_consent_notice, is_terms_notice,
                             speaks_of_everything)
from auditor.models import Banner, BannerButton, BannerReport, Clickable, Overlay, PageSnapshot
from auditor.registry import CheckContext

#: a button whose fill differs from what is behind it by less than this contrast ratio has no visible shape
SHAPE_CONTRAST = 1.1
#: an overlay covering at least this share of the viewport's width or height is large enough to matter
LARGE_SHARE = 0.5
#: words that make a large unrecognised overlay worth a human look
REVIEW_CATEGORIES = ("cookie_notice", "tracking", "advertising", "sharing", "necessary")


def button_kind(ctx: CheckContext, text: str, html: str = "") -> str:
    """accept | reject | settings | save | acknowledge | close | other (``html``: its markup, the fallback for
    words the lexicon does not know)."""
    kind = classify_button(ctx, text, html)
    if (kind in ("other", "settings", "accept", "acknowledge", "close") and ctx.lexicon.has("save", text)
            and not speaks_of_everything(ctx, text)):
        # "Save", "Accept selected", "Auswahl erlauben", "Save and close", "내 선택 확인": stores the choices as
        # they stand
        return "save"
    return kind


def prominence(b: Clickable) -> tuple[float, dict]:
    """How much a button draws the eye, with the facts it was computed from.

    score = sqrt(area) x font factor x emphasis x legibility x reachability, where
    - font factor: font size / 14 px, x1.15 when bold (weight >= 600);
    - emphasis: 0.5 for plain text or a link (no fill that stands out, no border), 1.0 for a shape (fill or
      border), plus up to 0.5 for a strong fill ((fill contrast - 1) / 3, capped); the fill contrast compares
      the button's own background, blended over what is behind it, with what is behind it (1.0: no shape).
      A filled and an outlined button of one size differ by at most 1.5x;
    - legibility: text contrast against the button's effective background, capped at 7, over 7;
    - reachability: 0.2 when ``elementFromPoint`` at its centre hits something else (covered).
    Colours are taken as rendered: a button faded with CSS ``opacity`` is composited over what is behind it.
    """
    box = b.ref.box
    area = (box.width * box.height) if box else 0.0
    o = max(0.0, min(1.0, b.opacity))
    face = blend(b.background, b.backdrop) if b.background[3] > 0 else b.backdrop
    face = blend((*face[:3], o), b.backdrop)  # the button's fill as rendered
    fill = contrast(face, b.backdrop) if b.background[3] > 0 else 1.0
    ink = blend(b.color, b.effective_background)
    ink = blend((*ink[:3], o), blend((*b.effective_background[:3], o), b.backdrop))  # its text as rendered
    text_contrast = contrast(ink, blend((*b.effective_background[:3], o), b.backdrop))
    font = (b.font_size or 14) / 14 * (1.15 if b.font_weight >= 600 else 1.0)
    link_like = is_link_like(b, fill)
    emphasis = (0.5 if link_like else 1.0) + 0.5 * min(max(fill - 1, 0) / 3, 1.0)
    legibility = min(text_contrast, 7.0) / 7.0
    score = math.sqrt(max(area, 0.0)) * font * emphasis * legibility * (1.0 if b.hit else 0.2)
    facts = {
        "width": round(box.width, 1) if box else 0, "height": round(box.height, 1) if box else 0,
        "area": round(area), "font_size": b.font_size, "font_weight": b.font_weight,
        "fill_contrast": round(fill, 2), "text_contrast": round(text_contrast, 2),
        "border": b.border_width > 0, "underline": b.underline, "link_like": link_like,
        "hit": b.hit, "opacity": round(o, 2), "score": round(score, 1),
    }
    return score, facts


def is_link_like(b: Clickable, fill: float | None = None) -> bool:
    """Plain text or a link: no fill that stands out from behind it and no border."""
    if fill is None:
        fill = contrast(blend(b.background, b.backdrop), b.backdrop) if b.background[3] > 0 else 1.0
    return fill < SHAPE_CONTRAST and b.border_width <= 0


def _buttons(ctx: CheckContext, ov: Overlay) -> tuple[BannerButton, ...]:
    out = []
    for c in ov.clickables:
        if not c.visible or not c.text.strip():
            continue
        score, facts = prominence(c)
        out.append(BannerButton(ref=c.ref, text=c.text, kind=button_kind(ctx, c.text, c.ref.html), prominence=round(score, 1),
                                facts=tuple(facts.items())))
    kinds = {b.kind for b in out}
    if "reject" in kinds and "accept" not in kinds:
        # "OK" beside "I decline" (Klaro's "That's ok", "Das ist ok") is the accept button, not a mere notice
        out = [dataclasses.replace(b, kind="accept") if b.kind == "acknowledge" else b for b in out]
    return tuple(out)


def _excluded(ctx: CheckContext, ov: Overlay) -> str:
    """Why a consent-worded overlay is something else (age gate, sign-in box), or ''."""
    lex = ctx.lexicon
    if lex.has("cookie_word", ov.text):
        return ""
    if lex.has("age_gate", ov.text):
        return "age gate"
    if ov.inputs and lex.has("signin", ov.text):
        return "sign-in box"
    return ""


def _is_navigation(ov: Overlay) -> bool:
    """A sticky header or menu: many short links, little prose."""
    links = [c for c in ov.clickables if c.visible]
    if len(links) < 6:
        return False
    link_chars = sum(len(c.text) for c in links)
    return link_chars >= 0.6 * max(len(ov.text), 1)


def _large(page: PageSnapshot, ov: Overlay) -> bool:
    box = ov.ref.box
    if box is None:
        return False
    vw, vh = page.viewport
    return box.width >= LARGE_SHARE * vw or box.height >= LARGE_SHARE * vh or ov.kind in ("dialog", "modal")


def find_banners(page: PageSnapshot, ctx: CheckContext, layer: int = 1) -> BannerReport:
    """Recognise the consent banners of a snapshot and say how sure we are."""
    banners: list[Banner] = []
    for i, ov in enumerate(page.overlays):
        if not ov.visible or ov.aria_hidden and not ov.clickables:
            continue
        if _is_navigation(ov) and not ctx.lexicon.has("cookie_word", ov.text):
            continue
        if is_consent_notice(ctx, ov):
            if _excluded(ctx, ov):
                continue
            buttons = _buttons(ctx, ov)
            kinds = {b.kind for b in buttons}
            if kinds & {"accept", "reject", "settings", "save", "acknowledge"}:
                banners.append(Banner(index=i, ref=ov.ref, kind=ov.kind, layer=layer, state="understood",
                                      reason="", buttons=buttons, text=ov.text[:400]))
            elif informs_only_necessary(ctx, ov.text) or ctx.lexicon.has("assumption", ov.text):
                banners.append(Banner(index=i, ref=ov.ref, kind=ov.kind, layer=layer, state="understood",
                                      reason="a notice without consent buttons", buttons=buttons, text=ov.text[:400]))
            else:
                names = ", ".join(f'"{b.text[:30]}"' for b in buttons) or "none"
                banners.append(Banner(index=i, ref=ov.ref, kind=ov.kind, layer=layer, state="needs-review",
                                      reason=f"consent wording, but no button could be named (buttons: {names})",
                                      buttons=buttons, text=ov.text[:400]))
        elif (ov.ref.html or "").lower().startswith("<iframe") and not ov.text.strip():
            banners.append(Banner(index=i, ref=ov.ref, kind=ov.kind, layer=layer, state="needs-review",
                                  reason="an overlaid frame whose content could not be read", text=""))
        elif _large(page, ov) and not ov.inputs and any(ctx.lexicon.has(c, ov.text) for c in REVIEW_CATEGORIES) \
                and not _excluded(ctx, ov) and not is_terms_notice(ctx, ov.text):
            banners.append(Banner(index=i, ref=ov.ref, kind=ov.kind, layer=layer, state="needs-review",
                                  reason="a large overlay about privacy or data that is not a recognised banner",
                                  buttons=_buttons(ctx, ov), text=ov.text[:400]))
    if any(b.state == "understood" for b in banners):
        state = "found"
    elif banners:
        state = "needs-review"
    else:
        state = "none"
    return BannerReport(state=state, banners=tuple(banners))


#: purposes a one-click consent pop-up asks for (a push-notification or offers prompt with "Yes" / "No thanks")
POPUP_PURPOSES = ("marketing", "advertising", "sharing", "tracking")


def consent_popups(page: PageSnapshot, ctx: CheckContext, report: BannerReport | None = None) -> list[Banner]:
    """Overlays that ask for consent to an optional purpose with one click, without being cookie banners: "Can
    we send you personalised offers? [Yes please] [no thanks]". They have no field to type into (a newsletter
    form, where typing one's address is the opt-in, is not one), speak of marketing, advertising, sharing or
    tracking, and offer both a yes and a no. Only asymmetric-choice judges them; they are not refused or
    reloaded like a cookie banner."""
    taken = {b.index for b in understood(report or find_banners(page, ctx))}
    out = []
    for i, ov in enumerate(page.overlays):
        if i in taken or not ov.visible or ov.inputs or ov.count("email", "text", "tel", "password"):
            continue
        if len(ov.text) < 15 or _is_navigation(ov) or _excluded(ctx, ov):
            continue
        if not any(ctx.lexicon.has(cat, ov.text) for cat in POPUP_PURPOSES):
            continue
        buttons = _buttons(ctx, ov)
        buttons = tuple(dataclasses.replace(b, kind="accept") if b.kind == "other" and affirms(ctx, b.text) else b
                        for b in buttons)
        kinds = {b.kind for b in buttons}
        if {"accept", "reject"} <= kinds:
            out.append(Banner(index=i, ref=ov.ref, kind=ov.kind, layer=page.layer, state="understood",
                              reason="a consent pop-up (one click to agree to an optional purpose)",
                              buttons=buttons, text=ov.text[:400]))
    return out


def understood(report: BannerReport) -> list[Banner]:
    return [b for b in report.banners if b.state == "understood"]


def best(banner: Banner, kind: str) -> BannerButton | None:
    """The most prominent button of ``kind`` in a banner."""
    found = [b for b in banner.buttons if b.kind == kind]
    return max(found, key=lambda b: b.prominence) if found else None

"""Shared vocabulary judgements the checks build on: purposes, banner buttons, consent notices."""

from __future__ import annotations

from auditor.models import Clickable, Overlay
from auditor.registry import CheckContext

#: optional purposes a person must opt in to, in the order they are reported
PURPOSES = ("marketing", "sharing", "advertising", "tracking", "subscription", "paid_addon")
PURPOSE_WORDS = {
    "marketing": "marketing", "sharing": "data sharing", "advertising": "personalised advertising",
    "tracking": "tracking/analytics", "subscription": "a paid subscription", "paid_addon": "a paid add-on",
}
#: purposes a statement can assume consent to ("by signing up you agree to receive offers")
ASSUMABLE = ("marketing", "sharing", "advertising", "subscription")

BUTTON_KINDS = ("reject", "settings", "accept", "acknowledge", "close", "other")


def purpose_of(ctx: CheckContext, text: str, purposes=PURPOSES) -> tuple[str, str] | None:
    """The first optional purpose ``text`` speaks of, as (category, matched term)."""
    for cat in purposes:
        term = ctx.lexicon.first(cat, text)
        if term:
            return cat, term
    return None


def declines(ctx: CheckContext, text: str) -> bool:
    """Worded as saying no: an opt-out, a refusal, declining an add-on."""
    lex = ctx.lexicon
    return lex.has("optout_wording", text) or lex.has("reject", text) or lex.has("decline_addon", text)


def classify_button(ctx: CheckContext, text: str) -> str:
    """accept | reject | settings | acknowledge | close | other, by the button's words.

    Reject wins over accept ("Accept only necessary" declines), settings over accept ("Accept selected" is
    rare; "Manage" is common).
    """
    lex = ctx.lexicon
    t = (text or "").strip()
    if not t:
        return "other"
    if lex.has("reject", t):
        return "reject"
    if lex.has("settings", t):
        return "settings"
    if lex.has("accept", t):
        return "accept"
    if lex.has("acknowledge", t):
        return "acknowledge"
    if lex.has("close", t) or t in ("×", "✕", "✖", "x", "X"):
        return "close"
    return "other"


def is_consent_notice(ctx: CheckContext, overlay: Overlay) -> bool:
    """An overlay that asks for (or assumes) consent to cookies or tracking, not a newsletter or a menu."""
    lex = ctx.lexicon
    text = overlay.text
    if not overlay.visible or len(text) < 15:
        return False
    if not lex.has("cookie_notice", text):
        return False
    if overlay.inputs and lex.has("newsletter_popup", text) and not lex.has("tracking", text):
        return False
    return True


def informs_only_necessary(ctx: CheckContext, text: str) -> bool:
    """A notice about strictly necessary cookies only: nothing to consent to."""
    lex = ctx.lexicon
    return lex.has("necessary", text) and not any(
        lex.has(cat, text) for cat in ("tracking", "advertising", "marketing", "sharing"))


def visible_buttons(overlay: Overlay) -> list[Clickable]:
    return [c for c in overlay.clickables if c.visible]

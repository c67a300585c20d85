"""Shared vocabulary judgements the checks build on: purposes, banner buttons, consent notices."""

from __future__ import annotations

import re

from auditor.lexicon import markup_tokens, normalise
from auditor.models import Clickable, Overlay
from auditor.registry import CheckContext

#: optional purposes a person must opt in to, in the order they are reported
PURPOSES = ("marketing", "sharing", "advertising", "tracking", "subscription", "paid_addon")
PURPOSE_WORDS = {
    "marketing": "marketing", "sharing": "data sharing", "advertising": "personalised advertising",
    "tracking": "tracking/analytics", "subscription": "a paid subscription", "paid_addon": "a paid add-on",
    "agreement": "an agreement (terms, a privacy policy or a service contract)",
    "legitimate_interest": "processing on the ground of \"legitimate interest\"",
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


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=\S)|(?<=[。！？；])")


#: currency signs and ISO codes written before or after an amount, in the lexicon's languages
_CURRENCY_BEFORE = r"[$€£¥￥₹₺₽₩฿₫₴]|\b(?:usd|eur|gbp|chf|cny|rmb|jpy|inr|brl|try|tl|rp|sar|aed|rs)\b|r\$"
_CURRENCY_AFTER = (r"[$€£¥￥₹元円₺₽₩฿₫₴원]|\b(?:usd|eur|gbp|chf|kr|brl|euro|euros|dollars?|tl|try|zł|zl|pln|kč|czk|"
                   r"sek|dkk|nok|ft|huf|lei|ron|лв|bgn|руб|₽|rub|грн|uah|krw|thb|vnd|đ|idr|rp|inr|rs|sar|aed|kn|eurot?)"
                   r"(?!\w)|ريال|درهم|جنيه|रुपये|บาท")
_MONEY = re.compile(rf"(?:{_CURRENCY_BEFORE})\s?\d|\d(?:[.,]\d+)?\s?(?:{_CURRENCY_AFTER})", re.IGNORECASE)


def mentions_price(text: str) -> bool:
    """Names an amount of money ("$4.99", "1,99 €", "月額550円", "9.9元")."""
    return bool(_MONEY.search(text or ""))


def first_sentence(text: str) -> str:
    """The leading sentence of a label: what the box says, not the small print after it."""
    return _SENTENCE_END.split((text or "").strip(), maxsplit=1)[0]


def declines(ctx: CheckContext, text: str) -> bool:
    """Worded as saying no: an opt-out, a refusal, declining an add-on.

    Only the leading sentence counts: "Email me offers. Unsubscribe at any time." is an opt-in.
    """
    lex = ctx.lexicon
    lead = first_sentence(text)
    return lex.has("optout_wording", lead) or lex.has("reject", lead) or lex.has("decline_addon", lead)


def affirms(ctx: CheckContext, text: str) -> bool:
    """Opens with a "yes" (or an accept word): the answer that opts in."""
    lex = ctx.lexicon
    lead = normalise(first_sentence(text))
    term = lex.first("affirmative", lead) or lex.first("accept", lead)
    return bool(term) and lead.startswith(term)


_ATTRS = re.compile(r"""\s(?:id|class|name|data-[\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_HUMPS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def markup_kind(html: str) -> str:
    """A button's kind from its markup (the opening tag's id, class and data attributes), or "other".

    Consent libraries name their buttons in English whatever the page's language (``cc-deny``,
    ``onetrust-reject-all-handler``, ``didomi-notice-agree-button``): a fallback for words the lexicon does
    not know. Reject wins, then accept ("accept-necessary" declines), settings, acknowledge, close."""
    opening = (html or "").split(">", 1)[0]
    words: set[str] = set()
    for m in _ATTRS.finditer(opening):
        for part in re.split(r"[^A-Za-z]+", m.group(1) or m.group(2) or ""):
            words.add(part.lower())
            words.update(w.lower() for w in _HUMPS.findall(part))
    if not words:
        return "other"
    tokens = markup_tokens()
    if words & tokens["reject"]:
        return "reject"
    if words & tokens["accept"]:
        return "reject" if words & tokens["necessary"] and not words & tokens["everything"] else "accept"
    if words & tokens["settings"]:
        return "settings"
    if words & tokens["acknowledge"]:
        return "acknowledge"
    if words & tokens["close"]:
        return "close"
    return "other"


def classify_button(ctx: CheckContext, text: str, html: str = "") -> str:
    """accept | reject | settings | acknowledge | close | other, by the button's words, else by its markup.

    Reject wins over accept ("Accept only necessary" declines), settings over accept ("Accept selected" is
    rare; "Manage" is common). A label whose words the lexicon does not know is named by the identifiers
    consent libraries put in its markup (:func:`markup_kind`).
    """
    lex = ctx.lexicon
    t = (text or "").strip()
    if not t:
        return "other"
    kind = _kind_by_words(lex, t)
    return markup_kind(html) if kind == "other" and html else kind


def _kind_by_words(lex, t: str) -> str:
    if lex.has("reject", t):
        return "reject"
    if lex.has("necessary", t) and (lex.has("accept", t) or lex.has("save", t)) and not lex.has("everything", t):
        return "reject"  # "Accept necessary cookies", "Nur essenzielle speichern": consent to nothing optional
    if lex.has("settings", t):
        return "settings"
    if lex.has("final_submit", t):
        return "other"  # "確認送出訂單", "Confirm and pay": a purchase, never a consent button
    if lex.has("accept", t):
        return "accept"
    if _is_affirmative(lex, t):
        return "accept"  # a bare "Ja" / "Yes" / "Evet" button: only as the whole label (Finnish "ja" is "and")
    if lex.has("acknowledge", t):
        return "acknowledge"
    if lex.has("close", t) or t in ("×", "✕", "✖", "x", "X"):
        return "close"
    return "other"


def _is_affirmative(lex, t: str) -> bool:
    n = normalise(t).strip(" !.,")
    term = lex.first("affirmative", n)
    return bool(term) and term.strip(" ,") == n


def speaks_of_everything(ctx: CheckContext, text: str) -> bool:
    """Does a label speak of everything ("Accept all and save", "Tümünü kabul et")? The lexicon's
    ``everything`` words, whole words: "Allow selection" does not."""
    return ctx.lexicon.has("everything", text)


def is_consent_notice(ctx: CheckContext, overlay: Overlay) -> bool:
    """An overlay that asks for (or assumes) consent to cookies or tracking, not a newsletter or a menu."""
    lex = ctx.lexicon
    text = overlay.text
    if not overlay.visible or len(text) < 15:
        return False
    if not lex.has("cookie_notice", text):
        return False
    # an e-mail sign-up popup ("10% off your first order ... marketing emails ... privacy policy") is not a
    # consent banner unless it speaks of cookies or similar technologies itself
    if overlay.inputs and lex.has("newsletter_popup", text) and not lex.has("cookie_word", text):
        return False
    # a sticky order summary ("Total 78,70 zł ... by placing your order you accept the privacy policy") is
    # not a consent banner unless it speaks of cookies itself
    if not lex.has("cookie_word", text) and lex.has("order_total", text) and mentions_price(text):
        return False
    return not is_terms_notice(ctx, text)


def is_terms_notice(ctx: CheckContext, text: str) -> bool:
    """A terms notice ("By continuing past this page, you agree to our Terms of Use and Privacy Policy"): its only
    consent-ish words name the contract documents, and it speaks of no cookie and no purpose. Agreeing to terms
    of use is a contract, not consent to tracking, marketing or sharing."""
    lex = ctx.lexicon
    if lex.has("cookie_word", text) or any(lex.has(c, text) for c in TERMS_ONLY_PURPOSES):
        return False
    documents = lex.spans("agreement", text)
    return all(any(a <= start and end <= b for a, b, _ in documents) for start, end, _ in lex.spans("cookie_notice", text))


#: what a notice must speak of to ask for consent rather than announce terms
TERMS_ONLY_PURPOSES = ("tracking", "advertising", "sharing", "marketing")


def sentences(text: str) -> list[str]:
    return [p for p in _SENTENCE_END.split((text or "").strip()) if p.strip()]


def informs_only_necessary(ctx: CheckContext, text: str) -> bool:
    """A notice about strictly necessary cookies only: nothing to consent to.

    A sentence that negates a purpose ("No tracking here", "Wir verwenden keine Analyse-Cookies") does not
    announce it.
    """
    lex = ctx.lexicon
    if not lex.has("necessary", text):
        return False
    announced = [s for s in sentences(text) if not lex.has("negation", s)]
    return not any(lex.has(cat, s) for s in announced for cat in ("tracking", "advertising", "marketing", "sharing"))


def visible_buttons(overlay: Overlay) -> list[Clickable]:
    return [c for c in overlay.clickables if c.visible]

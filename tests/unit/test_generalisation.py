"""Judgements that must hold beyond the languages, libraries and widgets the fixtures were built with (issue 10):
matching in other scripts, buttons named by their markup, drawn switches, cookie knowledge, page language,
consent pop-ups and the rendering facts the hidden-text check reads."""

from __future__ import annotations

import pytest

from auditor.banners import consent_popups, find_banners, understood
from auditor.consent import classify_button, markup_kind
from auditor.language import detect
from auditor.lexicon import Lexicon, normalise
from auditor.models import DrawnSwitch, PageSnapshot
from auditor.switches import drawn_state, infer
from auditor.trackers import load as load_trackers
from builders import CTX, control, overlay, page, run, styled_button, styled_overlay, text

LEX = CTX.lexicon


def _lexicon(**categories) -> Lexicon:
    return Lexicon({cat: tuple(("xx", t) for t in terms) for cat, terms in categories.items()})


# --------------------------------------------------------------------------- matching in other scripts

def test_hangul_and_thai_terms_match_as_substrings():
    lex = _lexicon(reject=["거부", "ปฏิเสธ"], accept=["동의"])
    assert lex.has("reject", "모두 거부하기")  # the particle and verb ending are fused to the word
    assert lex.has("reject", "ปฏิเสธทั้งหมด")  # Thai writes no spaces between words
    assert lex.has("accept", "모두 동의합니다")


def test_devanagari_vowel_signs_stay_inside_words():
    lex = _lexicon(accept=["स्वीकार"], reject=["अस्वीकार"])
    assert lex.has("accept", "सभी कुकीज़ स्वीकार करें")
    assert not lex.has("accept", "सभी को अस्वीकार करें")  # "reject" contains "accept": no match inside a word
    assert lex.has("reject", "सभी को अस्वीकार करें")


def test_arabic_short_vowels_and_turkish_capitals_are_folded():
    assert normalise("مُوافَقة") == normalise("موافقة")
    assert normalise("AYARLARI YÖNET") == normalise("ayarları yönet")
    assert normalise("İZİN VER") == "izin ver"


# --------------------------------------------------------------------------- button kinds

@pytest.mark.parametrize("label, kind", [
    ("Accept only the necessary cookies", "reject"),
    ("Accept necessary cookies", "reject"),  # a necessary word with an accept word: nothing optional
    ("Accept all cookies", "accept"),
    ("Personalize", "settings"),  # tarteaucitron's settings button
    ("Personalise my choices", "settings"),
    ("Elvetem", "reject"),  # Hungarian "I discard"
    ("確認送出訂單", "other"),  # a purchase button is never a consent button, though it starts with "confirm"
    ("Confirm and pay", "other"),
])
def test_button_words(label, kind):
    assert classify_button(CTX, label) == kind


@pytest.mark.parametrize("html, kind", [
    ('<a class="cc-btn cc-deny" role="button">', "reject"),
    ('<button id="onetrust-reject-all-handler">', "reject"),
    ('<button id="onetrust-accept-btn-handler">', "accept"),
    ('<button id="CybotCookiebotDialogBodyButtonDecline">', "reject"),
    ('<button id="cookies-eu-accept">', "accept"),
    ('<button class="btn accept-necessary">', "reject"),
    ('<button id="onetrust-pc-btn-handler" class="cookie-settings-button">', "settings"),
    ('<a class="cc-btn cc-dismiss">', "acknowledge"),
    ('<button class="btn btn-primary">', "other"),
    ('<button id="didomi-notice-learn-more-button">', "other"),
])
def test_markup_names_buttons_whose_words_are_unknown(html, kind):
    assert markup_kind(html) == kind


def test_words_win_over_markup():
    # tarteaucitron calls its accept-all button "tarteaucitronPersonalize2": the visible words decide
    assert classify_button(CTX, "Tout accepter", '<button id="tarteaucitronPersonalize2">') == "accept"
    assert classify_button(CTX, "Kabul et", '<button id="cookies-eu-reject">') == "accept"  # Turkish words known
    assert classify_button(CTX, "Qbul zzz", '<button id="cookies-eu-reject">') == "reject"


# --------------------------------------------------------------------------- drawn switches

def _sw(offset, track=(40.0, 160.0, 90.0, 1.0), rtl=False):
    return DrawnSwitch(offset=offset, track=track, rtl=rtl)


GREY = (204.0, 204.0, 204.0, 1.0)
GREEN = (34.0, 170.0, 119.0, 1.0)


def test_knob_at_the_end_is_on_and_rtl_mirrors_it():
    assert drawn_state(_sw(0.92), [_sw(0.92)]) is True
    assert drawn_state(_sw(0.05), [_sw(0.05)]) is False
    assert drawn_state(_sw(0.05, rtl=True), [_sw(0.05, rtl=True)]) is True
    assert drawn_state(_sw(0.95, rtl=True), [_sw(0.95, rtl=True)]) is False


def test_track_colour_decides_when_the_knob_does_not():
    on, off = _sw(0.5, GREEN), _sw(0.5, GREY)
    assert drawn_state(on, [on, off]) is True
    assert drawn_state(off, [on, off]) is False


def test_position_and_colour_that_disagree_are_unknown():
    odd, peer = _sw(0.95, GREY), _sw(0.05, GREEN)
    assert drawn_state(odd, [odd, peer]) is None


def test_drawn_switch_found_prechecked_with_a_visual_state():
    sw = control("Marketing emails and special offers", checked=False, kind="switch", state_source="visual",
                 drawn=_sw(0.9, GREEN))
    snap = page(controls=infer([sw]))
    assert snap.controls[0].checked and snap.controls[0].state_source == "visual"
    findings = run("prechecked-consent", snap).findings
    assert len(findings) == 1 and "rendering" in findings[0].message
    assert findings[0].confidence == "medium"
    off = page(controls=infer([control("Marketing emails", checked=False, kind="switch", state_source="visual",
                                       drawn=_sw(0.05, GREY))]))
    assert not run("prechecked-consent", off).findings


# --------------------------------------------------------------------------- cookie knowledge

def test_open_cookie_database_knows_more_cookies():
    t = load_trackers()
    assert t.cookie("__kla_id", "shop.example").category == "marketing"  # Klaviyo: not in the hand-written list
    assert t.cookie("_ga", "shop.example").category == "analytics"  # the hand-written list still answers first
    assert t.cookie("PHPSESSID", "shop.example").category == "essential"


def test_domain_bound_and_short_names_do_not_match_a_sites_own_cookie():
    t = load_trackers()
    assert t.cookie("id", "shop.example").category == "unknown"  # DoubleClick's "id" is bound to its domain
    assert t.cookie("uid", "shop.example").category == "unknown"  # Adform's too
    assert t.cookie("uid", ".adform.net").category in ("marketing", "advertising")


# --------------------------------------------------------------------------- page language

def _lang_page(lang="", texts=(), overlays=()):
    return PageSnapshot(url="http://x/", lang=lang, texts=tuple(texts), overlays=tuple(overlays))


def test_declared_language_and_its_coverage():
    got = detect(_lang_page("sw-KE"), LEX)
    assert (got.code, got.source, got.covered) == ("sw", "lang-attribute", False)
    assert got.describe() == "sw, not covered"
    assert detect(_lang_page("zh-TW"), LEX).code == "zh-Hant"
    assert detect(_lang_page("pt-BR"), LEX).covered


def test_language_from_script_and_words_when_undeclared():
    assert detect(_lang_page(texts=[text("쿠키를 사용합니다. 모두 동의")]), LEX).code == "ko"
    assert detect(_lang_page(texts=[text("نستخدم ملفات تعريف الارتباط")]), LEX).code == "ar"
    assert detect(_lang_page(texts=[text("ما از کوکی‌ها استفاده می‌کنیم و گزینه‌های پیشنهادی")]), LEX).code == "fa"
    de = detect(_lang_page(overlays=[overlay("Wir verwenden Cookies. Alle akzeptieren oder nur notwendige Cookies "
                                             "verwenden. Einstellungen", ["Alle akzeptieren", "Ablehnen"])]), LEX)
    assert (de.code, de.source) == ("de", "words")
    assert detect(_lang_page(texts=[text("12345")]), LEX).code == "und"


# --------------------------------------------------------------------------- consent pop-ups

WHITE = (255.0, 255.0, 255.0, 1.0)


def _popup(yes="Yes, send me personalised offers", no="No thanks", fields=()):
    return styled_overlay(
        "Would you like personalised offers and news about our sales by email?",
        [styled_button(yes, 320, 52, fill=(20.0, 20.0, 20.0, 1.0), color=WHITE, font_size=17),
         styled_button(no, 70, 14, color=(170.0, 170.0, 170.0, 1.0), font_size=11)], fields=fields)


def test_a_one_click_offers_popup_is_judged_for_asymmetry():
    snap = page(overlays=[_popup()])
    assert not understood(find_banners(snap, CTX))  # not a cookie banner: not refused and reloaded
    assert consent_popups(snap, CTX)
    assert run("asymmetric-choice", snap).findings


def test_a_newsletter_form_is_not_a_consent_popup():
    snap = page(overlays=[_popup(fields=(("email", 1),))])
    assert not consent_popups(snap, CTX)


def test_equal_popup_buttons_pass():
    eq = styled_overlay("Would you like personalised offers by email?",
                        [styled_button("Yes please", 160, 44, fill=(20.0, 20.0, 20.0, 1.0), color=WHITE),
                         styled_button("No thanks", 160, 44, fill=(230.0, 230.0, 230.0, 1.0))])
    assert not run("asymmetric-choice", page(overlays=[eq])).findings


# --------------------------------------------------------------------------- what the hidden-text check reads

AGREE = "By clicking Create account you agree to receive marketing emails."


@pytest.mark.parametrize("facts, reason", [
    ({"font_size": 0.0, "generated": "Welcome!"}, "font-size 0"),
    ({"content_hidden": True}, "content-visibility"),
    ({"color": (85.0, 85.0, 85.0, 1.0), "opacity": 0.35}, "faded to 35%"),
])
def test_hidden_text_reasons(facts, reason):
    found = run("hidden-agreement-text", page(texts=[text(AGREE, **facts)])).findings
    assert found and reason in found[0].message


def test_readable_text_through_a_light_fade_passes():
    assert not run("hidden-agreement-text", page(texts=[text(AGREE, opacity=0.9)])).findings


# --------------------------------------------------------------------------- basket rows in more languages

@pytest.mark.parametrize("label, kind", [
    ("Convenience fees Base amount + GST", "fee"),  # a charge named first; its tax only breaks it down
    ("Service fee incl. VAT", "fee"),
    ("Total VAT", "tax_or_discount"),
    ("Totalt inkl. moms", "order_total"),
    ("Yhteensä (sis. ALV)", "order_total"),
    ("Toplam (KDV dahil)", "order_total"),
])
def test_basket_rows(label, kind):
    from auditor.baskets import line_kind
    assert line_kind(CTX, label) == kind


@pytest.mark.parametrize("label, marketing", [
    ("Versandbestätigung und Lieferstatus per SMS senden", False),  # a channel is not a purpose
    ("Skicka leveransavisering via sms", False),
    ("Suivi de livraison par SMS", False),
    ("Send me order updates on WhatsApp", False),
    ("Angebote und Rabattaktionen per SMS erhalten", True),
    ("Recevoir nos offres promotionnelles par SMS", True),
])
def test_a_message_channel_alone_is_no_marketing_purpose(label, marketing):
    from auditor.consent import purpose_of
    found = purpose_of(CTX, label)
    assert (found is not None and found[0] == "marketing") is marketing, found

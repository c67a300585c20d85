"""auditor.banners on snapshot data (no browser): button kinds, prominence, banner states, best()."""

from __future__ import annotations

import pytest
from builders import CTX, WHITE, overlay, page, ref, styled_button, styled_overlay

from auditor.banners import SHAPE_CONTRAST, best, button_kind, find_banners, is_link_like, prominence, understood
from auditor.colour import blend, contrast
from auditor.models import Banner, BannerButton, Box, ElementRef, Overlay

NOTICE = "We use cookies to personalise ads and measure traffic. Choose which cookies we may use."
GREEN = (10.0, 125.0, 50.0, 1.0)
BLACK = (0.0, 0.0, 0.0, 1.0)
PALE_GREY = (204.0, 204.0, 204.0, 1.0)
DARK = (20.0, 20.0, 20.0, 1.0)

# --------------------------------------------------------------------------- button_kind

# "Accept selected" / "Auswahl erlauben" store the settings as they stand (button_kind's own comment), and the
# lexicon's ``save`` list names "allow selection", "allow selected", "auswahl akzeptieren", "選択した項目を許可".
KINDS = [
    # accept, in several languages
    ("Accept all", "accept"), ("Allow all cookies", "accept"), ("Alle akzeptieren", "accept"),
    ("Tout accepter", "accept"), ("Aceptar todo", "accept"), ("Accetta tutti", "accept"), ("Alles accepteren", "accept"),
    ("Aceitar todos", "accept"), ("同意", "accept"), ("すべて同意", "accept"), ("Accept all and save", "accept"),
    # reject
    ("Reject all", "reject"), ("Decline", "reject"), ("Alle ablehnen", "reject"), ("Tout refuser", "reject"),
    ("Rechazar todo", "reject"), ("Rifiuta", "reject"), ("Weigeren", "reject"), ("Rejeitar", "reject"),
    ("拒绝", "reject"), ("すべて拒否", "reject"), ("Continue without accepting", "reject"),
    ("不同意", "reject"), ("同意しない", "reject"), ("Nicht zustimmen", "reject"),
    # necessary only is a refusal, even when worded with an accept verb
    ("Necessary only", "reject"), ("Accept only necessary", "reject"), ("Nur notwendige Cookies", "reject"),
    ("Solo necessari", "reject"), ("仅必要", "reject"),
    # settings
    ("Manage preferences", "settings"), ("Cookie settings", "settings"), ("Customize", "settings"),
    ("Einstellungen", "settings"), ("Personnaliser", "settings"), ("Gestionar preferencias", "settings"),
    ("设置", "settings"), ("設定", "settings"),
    # save
    ("Save my choices", "save"), ("Confirm selection", "save"), ("Accept selected", "save"),
    ("Auswahl speichern", "save"), ("Enregistrer mes choix", "save"), ("Accepter la sélection", "save"),
    ("Guardar preferencias", "save"), ("Consenti selezione", "save"), ("Selectie toestaan", "save"),
    ("保存设置", "save"), ("允许所选", "save"),
    pytest.param("Allow selection", "save", id="Allow selection-save"),
    pytest.param("Allow selected", "save", id="Allow selected-save"),
    pytest.param("Auswahl erlauben", "save", id="Auswahl erlauben-save"),
    pytest.param("Auswahl akzeptieren", "save", id="Auswahl akzeptieren-save"),
    pytest.param("選択した項目を許可", "save", id="ja-allow-selected-save"),
    # acknowledge
    ("OK", "acknowledge"), ("Got it", "acknowledge"), ("Got it!", "acknowledge"), ("Verstanden", "acknowledge"),
    ("J'ai compris", "acknowledge"), ("Entendido", "acknowledge"), ("知道了", "acknowledge"),
    ("わかりました", "acknowledge"),
    # close
    ("×", "close"), ("✕", "close"), ("Close", "close"), ("Schließen", "close"), ("Fermer", "close"),
    ("关闭", "close"), ("閉じる", "close"),
    # other
    ("Learn more", "other"), ("Privacy policy", "other"), ("Read more", "other"), ("Subscribe", "other"),
    ("", "other"), ("   ", "other"),
]


@pytest.mark.parametrize("label, kind", KINDS)
def test_button_kind(label, kind):
    assert button_kind(CTX, label) == kind


# --------------------------------------------------------------------------- is_link_like


def test_a_plain_link_is_link_like():
    assert is_link_like(styled_button("Reject", fill=None))


def test_a_filled_button_is_not_link_like():
    assert not is_link_like(styled_button("Accept", fill=GREEN, color=WHITE))


def test_an_outlined_button_is_not_link_like():
    assert not is_link_like(styled_button("Reject", fill=None, border=1.0))


def test_a_fill_that_does_not_stand_out_from_behind_is_link_like():
    barely = styled_button("Reject", fill=(250.0, 250.0, 250.0, 1.0))  # near-white on white
    assert contrast(blend(barely.background, barely.backdrop), barely.backdrop) < SHAPE_CONTRAST
    assert is_link_like(barely)
    same_as_dark_banner = styled_button("Reject", fill=DARK, color=WHITE, backdrop=DARK)
    assert is_link_like(same_as_dark_banner)
    # a half-transparent dark fill does stand out from white
    assert not is_link_like(styled_button("Reject", fill=(0.0, 0.0, 0.0, 0.5), color=WHITE))


def test_is_link_like_uses_a_given_fill_contrast():
    link = styled_button("Reject", fill=None)
    assert not is_link_like(link, fill=2.0)
    assert is_link_like(styled_button("Accept", fill=GREEN), fill=1.0)


# --------------------------------------------------------------------------- prominence


def big_accept(**kw):
    kw.setdefault("font_size", 18.0)
    kw.setdefault("font_weight", 700)
    return styled_button("Accept all", 240, 48, fill=GREEN, color=WHITE, **kw)


def tiny_reject(**kw):
    kw.setdefault("font_size", 11.0)
    return styled_button("reject", 40, 14, fill=None, color=PALE_GREY, tag="a", **kw)


def test_a_big_filled_button_beats_a_small_grey_link():
    a_score, a = prominence(big_accept())
    r_score, r = prominence(tiny_reject())
    assert a_score > 10 * r_score
    assert a["link_like"] is False and r["link_like"] is True
    assert a["area"] == 240 * 48 and r["area"] == 40 * 14
    assert a["fill_contrast"] > 5 and r["fill_contrast"] == 1.0
    assert r["text_contrast"] < 2 < 5 < a["text_contrast"]


def test_equal_buttons_score_equal():
    a_score, a = prominence(styled_button("Accept all", 160, 40, fill=GREEN, color=WHITE))
    r_score, r = prominence(styled_button("Reject all", 160, 40, fill=GREEN, color=WHITE))
    assert a_score == r_score > 0
    assert a == r


def test_filled_and_outlined_of_one_size_differ_by_at_most_one_and_a_half():
    filled, _ = prominence(styled_button("Accept all", 160, 40, fill=BLACK, color=WHITE))
    outlined, facts = prominence(styled_button("Reject all", 160, 40, fill=None, border=2.0, color=BLACK))
    assert facts["border"] is True and facts["link_like"] is False
    assert outlined < filled <= 1.5 * outlined + 1e-9


def test_a_link_counts_half_a_shape():
    link, _ = prominence(styled_button("Reject all", 160, 40, fill=None, color=BLACK))
    outlined, _ = prominence(styled_button("Reject all", 160, 40, fill=None, border=1.0, color=BLACK))
    assert link == pytest.approx(0.5 * outlined)


def test_font_size_and_weight_raise_the_score():
    base, _ = prominence(styled_button("Accept", 160, 40, fill=GREEN, color=WHITE, font_size=14.0))
    double, _ = prominence(styled_button("Accept", 160, 40, fill=GREEN, color=WHITE, font_size=28.0))
    bold, facts = prominence(styled_button("Accept", 160, 40, fill=GREEN, color=WHITE, font_weight=700))
    assert double == pytest.approx(2 * base)
    assert bold == pytest.approx(1.15 * base)
    assert facts["font_weight"] == 700


def test_faded_text_lowers_the_score():
    clear, _ = prominence(styled_button("Reject", 160, 40, fill=None, color=BLACK))
    faded, facts = prominence(styled_button("Reject", 160, 40, fill=None, color=PALE_GREY))
    assert faded < clear / 3
    assert facts["text_contrast"] == pytest.approx(contrast(PALE_GREY, WHITE), abs=0.01)


def test_a_covered_button_counts_a_fifth():
    reachable, _ = prominence(styled_button("Reject", 160, 40, fill=GREEN, color=WHITE))
    covered, facts = prominence(styled_button("Reject", 160, 40, fill=GREEN, color=WHITE, hit=False))
    assert covered == pytest.approx(0.2 * reachable)
    assert facts["hit"] is False


def test_prominence_facts_carry_the_measured_values():
    score, facts = prominence(big_accept())
    assert facts == {
        "width": 240, "height": 48, "area": 11520, "font_size": 18.0, "font_weight": 700,
        "fill_contrast": facts["fill_contrast"], "text_contrast": facts["text_contrast"], "border": False,
        "underline": False, "link_like": False, "hit": True, "opacity": 1.0, "score": round(score, 1),
    }
    assert facts["fill_contrast"] == pytest.approx(contrast(GREEN, WHITE), abs=0.01)
    assert facts["text_contrast"] == pytest.approx(contrast(WHITE, GREEN), abs=0.01)


def test_a_faded_button_loses_legibility_and_fill():
    import dataclasses
    solid_score, solid = prominence(styled_button("Reject all", 160, 40, fill=GREEN, color=WHITE))
    faded_score, faded = prominence(dataclasses.replace(styled_button("Reject all", 160, 40, fill=GREEN, color=WHITE),
                                                        opacity=0.28))
    assert faded["opacity"] == 0.28
    assert faded["text_contrast"] < solid["text_contrast"] and faded["fill_contrast"] < solid["fill_contrast"]
    assert solid_score / faded_score >= 2.5  # the asymmetric-choice threshold


def test_a_button_without_a_box_has_no_prominence():
    from auditor.models import Clickable
    boxless = Clickable(ref=ref("Reject", box=None), text="Reject", tag="button", background=GREEN)
    score, facts = prominence(boxless)
    assert score == 0 and facts["area"] == 0


# --------------------------------------------------------------------------- find_banners: states


def report(*overlays, viewport=(1280, 800), layer=1):
    from auditor.models import PageSnapshot
    snap = PageSnapshot(url="http://127.0.0.1/test", overlays=tuple(overlays), viewport=viewport)
    return find_banners(snap, CTX, layer=layer)


def test_no_overlay_is_none():
    r = find_banners(page(), CTX)
    assert r.state == "none" and r.banners == ()


def test_an_overlay_without_consent_words_is_none():
    assert report(overlay("Free shipping on orders over $50 this week only!", ["Shop now", "×"])).state == "none"


def test_a_hidden_overlay_is_none():
    assert report(overlay(NOTICE, ["Accept all", "Reject all"], visible=False)).state == "none"


def test_a_fixed_consent_overlay_with_accept_and_reject_is_found():
    ov = overlay(NOTICE, ["Accept all", "Reject all", "Manage settings"])
    r = report(overlay("Free shipping this week", ["Shop now"]), ov)
    assert r.state == "found"
    (b,) = r.banners
    assert (b.index, b.state, b.kind, b.layer, b.reason) == (1, "understood", "fixed", 1, "")
    assert b.ref == ov.ref and b.text == NOTICE
    assert [(x.text, x.kind) for x in b.buttons] == [("Accept all", "accept"), ("Reject all", "reject"),
                                                     ("Manage settings", "settings")]
    assert all(x.prominence > 0 and dict(x.facts)["score"] == x.prominence for x in b.buttons)
    assert understood(r) == [b]


@pytest.mark.parametrize("notice, buttons, kinds", [
    ("Wir verwenden Cookies, um Werbung zu personalisieren.", ["Alle akzeptieren", "Alle ablehnen"], ["accept", "reject"]),
    ("Nous utilisons des cookies pour mesurer l'audience.", ["Tout accepter", "Tout refuser"], ["accept", "reject"]),
    ("我们使用Cookie来个性化广告", ["同意", "拒绝"], ["accept", "reject"]),
    ("This site uses cookies for analytics.", ["Got it"], ["acknowledge"]),
    ("We use cookies to personalise ads.", ["Manage preferences", "×"], ["settings", "close"]),
])
def test_consent_overlays_in_other_languages_and_shapes_are_found(notice, buttons, kinds):
    r = report(overlay(notice, buttons))
    assert r.state == "found"
    assert [x.kind for x in r.banners[0].buttons] == kinds


def test_the_layer_is_passed_through():
    (b,) = report(overlay(NOTICE, ["Save my choices", "Accept all"]), layer=2).banners
    assert b.layer == 2 and [x.kind for x in b.buttons] == ["save", "accept"]


def test_a_necessary_only_notice_without_consent_buttons_is_found_as_a_notice():
    r = report(overlay("We only use cookies that are strictly necessary for the site to work.", ["Learn more"]))
    assert r.state == "found"
    assert r.banners[0].reason == "a notice without consent buttons"


def test_consent_words_with_buttons_that_cannot_be_named_need_review():
    r = report(overlay(NOTICE, ["Learn more", "Privacy policy"]))
    assert r.state == "needs-review"
    (b,) = r.banners
    assert b.state == "needs-review"
    assert "no button could be named" in b.reason and '"Learn more"' in b.reason and '"Privacy policy"' in b.reason
    assert [x.kind for x in b.buttons] == ["other", "other"]
    assert understood(r) == []


def test_consent_words_with_no_buttons_at_all_need_review():
    (b,) = report(overlay(NOTICE, [])).banners
    assert b.state == "needs-review" and "buttons: none" in b.reason


def test_hidden_and_empty_clickables_are_not_buttons():
    ov = styled_overlay(NOTICE, [styled_button("Accept all", visible=False), styled_button("  "),
                                 styled_button("Learn more")])
    r = report(ov)
    assert r.state == "needs-review"
    assert [x.text for x in r.banners[0].buttons] == ["Learn more"]


def test_an_unreadable_overlaid_frame_needs_review():
    frame = Overlay(ref=ElementRef("iframe#cmp", html='<iframe src="https://cmp.example/">', box=Box(0, 600, 1280, 200)),
                    text="", kind="frame")
    r = report(frame)
    assert r.state == "needs-review" and "frame" in r.banners[0].reason


def test_a_large_dialog_about_data_that_is_no_recognised_banner_needs_review():
    text = "We share information about your browsing with advertising partners to show personalised ads."
    r = report(overlay(text, ["Continue"], kind="dialog"))
    assert r.state == "needs-review"
    assert "large overlay" in r.banners[0].reason
    # the same words in a small toast are not worth a look
    small = Overlay(ref=ref(text, Box(900, 700, 300, 60)), text=text, kind="fixed")
    assert report(small).state == "none"


def test_found_is_reported_over_needs_review_and_both_banners_are_kept():
    r = report(overlay(NOTICE, ["Learn more"]), overlay(NOTICE, ["Accept all", "Reject all"]))
    assert r.state == "found"
    assert [b.state for b in r.banners] == ["needs-review", "understood"]


# --------------------------------------------------------------------------- find_banners: exclusions

AGE_GATE = "Age verification: are you 18 or older? We respect your privacy and use personal data only to confirm your age."
SIGN_IN = "Sign in to continue. Your privacy matters: we protect your personal data."
MENU = ["Home", "Shop", "Journal", "About us", "Your privacy", "Contact"]


def test_an_age_gate_is_not_a_banner():
    assert button_kind(CTX, "Yes") == "accept"  # so without the exclusion this would be understood
    assert report(overlay(AGE_GATE, ["Yes", "No"], kind="modal")).state == "none"
    # the same modal without its age words would be taken for a banner
    not_about_age = "We respect your privacy and use personal data only to show you the right products."
    assert not CTX.lexicon.has("age_gate", not_about_age)
    assert report(overlay(not_about_age, ["Yes", "No"], kind="modal")).state == "found"


def test_an_age_gate_that_also_asks_about_cookies_is_a_banner():
    r = report(overlay(AGE_GATE + " We also use cookies for ads.", ["Accept all", "Reject all"], kind="modal"))
    assert r.state == "found"


def test_a_sign_in_dialog_is_not_a_banner():
    assert report(overlay(SIGN_IN, ["Sign in", "Continue"], kind="dialog", inputs=2)).state == "none"
    # without a form to fill in, the sign-in words alone do not exclude it
    assert report(overlay(SIGN_IN, ["Sign in", "Continue"], kind="dialog")).state == "found"


def test_navigation_is_not_a_banner():
    assert report(overlay(" ".join(MENU), MENU, kind="sticky")).state == "none"
    # with fewer links it is no menu, and the privacy link makes it worth a look
    assert report(overlay(" ".join(MENU[:5]), MENU[:5], kind="sticky")).state == "needs-review"


def test_a_menu_that_names_cookies_is_still_judged():
    links = ["Home", "Shop", "Journal", "About us", "Cookie settings", "Contact"]
    r = report(overlay(" ".join(links), links, kind="sticky"))
    assert r.state == "found"


def test_a_newsletter_popup_is_not_a_banner():
    text = "Get 10% off: subscribe to our newsletter. Your privacy matters."
    assert report(overlay(text, ["Subscribe", "No thanks"], inputs=1)).state == "none"


# --------------------------------------------------------------------------- best


def _btn(text, kind, prominence):
    return BannerButton(ref=ref(text), text=text, kind=kind, prominence=prominence)


def test_best_is_the_most_prominent_button_of_a_kind():
    small_accept, big_accept_, reject = _btn("accept", "accept", 3.0), _btn("Accept all", "accept", 90.0), \
        _btn("Reject", "reject", 40.0)
    b = Banner(index=0, ref=None, kind="fixed", buttons=(small_accept, big_accept_, reject))
    assert best(b, "accept") is big_accept_
    assert best(b, "reject") is reject
    assert best(b, "settings") is None
    assert best(Banner(index=0, ref=None, kind="fixed"), "accept") is None


def test_best_on_a_found_banner_follows_measured_prominence():
    ov = styled_overlay(NOTICE, [styled_button("accept", 50, 14), big_accept(), tiny_reject()])
    (b,) = report(ov).banners
    assert best(b, "accept").text == "Accept all"
    assert best(b, "reject").text == "reject"
    assert best(b, "save") is None


@pytest.mark.parametrize("text, terms", [
    ("By continuing past this page, you agree to our Terms of Use and Privacy Policy.", True),
    ("Mit der Nutzung dieser Seite akzeptieren Sie unsere AGB und die Datenschutzerklärung.", True),
    ("En poursuivant, vous acceptez nos conditions générales d'utilisation.", True),
    ("We value your privacy. We and our partners use cookies for analytics and ads.", False),
    ("By continuing to browse you accept our use of cookies.", False),
    ("By continuing you agree to our Privacy Policy and to receive marketing e-mails.", False),
])
def test_a_terms_of_use_notice_is_not_a_consent_banner(text, terms):
    from auditor.consent import is_terms_notice
    assert is_terms_notice(CTX, text) is terms
    report = find_banners(page(overlays=[overlay(text, ["OK"])]), CTX)
    assert (report.state == "none") is terms, report

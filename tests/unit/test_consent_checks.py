"""asymmetric-choice, consent-before-choice and choice-ignored on snapshot data (no browser)."""

from __future__ import annotations

import pytest
from builders import (CTX, SPECS, WHITE, cookie, journey, overlay, phase_state, refusal, request, run, styled_button,
                      styled_overlay)

from auditor.config import Thresholds
from auditor.registry import CheckContext, judge

NOTICE = "We and our partners use cookies for ads."
GREEN = (10.0, 125.0, 50.0, 1.0)
BLACK = (0.0, 0.0, 0.0, 1.0)
PALE_GREY = (204.0, 204.0, 204.0, 1.0)
MID_GREY = (160.0, 160.0, 160.0, 1.0)

# --------------------------------------------------------------------------- asymmetric-choice

ASYM = "asymmetric-choice"
FACT_KEYS = {"width", "height", "area", "font_size", "font_weight", "fill_contrast", "text_contrast", "border",
             "underline", "link_like", "hit", "score"}


def filled(t, width=160, height=40, **kw):
    return styled_button(t, width, height, fill=GREEN, color=WHITE, **kw)


def banner_page(*buttons, text=NOTICE):
    return journey(overlays=[styled_overlay(text, buttons)])


def reasons_for(*buttons, ctx=CTX):
    res = run(ASYM, banner_page(*buttons), ctx)
    return res, [r for f in res.findings for r in f.detail_map["reasons"]]


def test_a_big_accept_and_a_tiny_faint_reject_link_is_found():
    accept = styled_button("Accept all", 240, 48, fill=GREEN, color=WHITE, font_size=18.0, font_weight=700)
    reject = styled_button("reject", 40, 14, fill=None, color=PALE_GREY, font_size=11.0)
    res = run(ASYM, banner_page(accept, reject))
    assert res.outcome == "fail"
    (f,) = res.findings
    assert f.check == ASYM and f.severity == "medium" and f.status == "fail"
    assert f.confidence == "high"  # several reasons
    assert f.element == reject.ref and f.text == "reject"
    assert '"reject" vs "Accept all"' in f.message
    d = f.detail_map
    reasons = d["reasons"]
    assert "reject is plain text or a link while accept is a button" in reasons
    assert "accept is 20.6x the size of reject" in reasons  # 240x48 over 40x14
    assert "accept's text is 18px, reject's 11px" in reasons
    assert any(r.startswith("reject's text is faded (contrast 1.61 vs 5.26") for r in reasons)
    assert any(r.startswith("accept's prominence score is") for r in reasons)
    # every measured value is in the details
    assert FACT_KEYS <= set(d["accept"]) and FACT_KEYS <= set(d["reject"])
    assert d["accept"]["text"] == "Accept all" and d["reject"]["text"] == "reject"
    assert (d["accept"]["area"], d["reject"]["area"]) == (11520, 560)
    assert (d["accept"]["font_size"], d["reject"]["font_size"]) == (18.0, 11.0)
    assert (d["accept"]["link_like"], d["reject"]["link_like"]) == (False, True)
    assert d["reject"]["text_contrast"] == 1.61 and d["accept"]["text_contrast"] == 5.26
    assert d["prominence_ratio"] == pytest.approx(d["accept"]["score"] / d["reject"]["score"], rel=0.01)
    assert d["prominence_ratio"] >= Thresholds().prominence_ratio
    assert d["banner"].startswith("#el")


def test_equal_buttons_pass():
    res = run(ASYM, banner_page(filled("Accept all"), filled("Reject all")))
    assert res.outcome == "pass" and not res.findings


def test_equal_links_pass():
    accept = styled_button("Accept all", 160, 40, fill=None, color=BLACK)
    reject = styled_button("Reject all", 160, 40, fill=None, color=BLACK)
    assert run(ASYM, banner_page(accept, reject)).outcome == "pass"


def test_filled_accept_and_outlined_reject_of_one_size_pass():
    outlined = styled_button("Reject all", 160, 40, fill=None, border=2.0, color=GREEN)
    assert run(ASYM, banner_page(filled("Accept all"), outlined)).outcome == "pass"


def test_a_more_prominent_reject_is_no_finding():
    big_reject = styled_button("Reject all", 240, 48, fill=GREEN, color=WHITE, font_size=18.0)
    small_accept = styled_button("accept", 40, 14, fill=None, color=PALE_GREY, font_size=11.0)
    assert run(ASYM, banner_page(small_accept, big_reject)).outcome == "pass"


def test_no_reject_button_is_not_applicable():
    tiny_settings = styled_button("Manage settings", 40, 14, fill=None, color=PALE_GREY, font_size=11.0)
    res = run(ASYM, banner_page(filled("Accept all", 240, 48), tiny_settings))
    assert res.outcome == "not-applicable" and not res.findings
    assert run(ASYM, journey()).outcome == "not-applicable"


def test_reject_as_a_link_beside_an_accept_button():
    res, reasons = reasons_for(filled("Accept all"), styled_button("Reject all", 160, 40, fill=None, color=BLACK))
    assert res.outcome == "fail"
    assert "reject is plain text or a link while accept is a button" in reasons


def test_a_much_larger_accept():
    res, reasons = reasons_for(filled("Accept all", 240, 60), filled("Reject all", 120, 40))  # 3x the area
    assert reasons == ["accept is 3.0x the size of reject"]
    assert res.findings[0].confidence == "medium"  # one reason only


def test_a_much_bigger_accept_font():
    res, reasons = reasons_for(filled("Accept all", font_size=20.0), filled("Reject all", font_size=14.0))
    assert "accept's text is 20px, reject's 14px" in reasons


def test_a_faded_reject_text():
    accept = styled_button("Accept all", 160, 40, fill=None, border=1.0, color=BLACK)
    reject = styled_button("Reject all", 160, 40, fill=None, border=1.0, color=MID_GREY)
    res, reasons = reasons_for(accept, reject)
    assert any(r.startswith("reject's text is faded (contrast 2.") and r.endswith("vs 21.00)") for r in reasons)
    assert res.findings[0].detail_map["reject"]["text_contrast"] < Thresholds().weak_contrast


def test_a_covered_reject():
    res, reasons = reasons_for(filled("Accept all"), filled("Reject all", hit=False))
    assert "reject is covered by another element" in reasons
    assert res.findings[0].detail_map["reject"]["hit"] is False
    assert res.findings[0].detail_map["prominence_ratio"] == pytest.approx(5.0, abs=0.05)  # covered: x0.2


def test_thresholds_come_from_the_context():
    buttons = (filled("Accept all", 200, 40), filled("Reject all", 100, 40))  # 2x the area
    assert run(ASYM, banner_page(*buttons)).outcome == "pass"
    strict = CheckContext(lexicon=CTX.lexicon, thresholds=Thresholds(area_ratio=1.5))
    _, reasons = reasons_for(*buttons, ctx=strict)
    assert reasons == ["accept is 2.0x the size of reject"]


def test_the_most_prominent_buttons_of_each_kind_are_compared():
    # a small "accept" link beside the big one does not hide the asymmetry, and neither does a second reject
    buttons = (styled_button("accept", 40, 14, fill=None), filled("Accept all", 240, 48),
               styled_button("reject", 40, 14, fill=None, color=PALE_GREY), styled_button("Necessary only", 60, 14))
    (f,) = run(ASYM, banner_page(*buttons)).findings
    assert f.detail_map["accept"]["text"] == "Accept all"
    assert f.detail_map["reject"]["text"] == "Necessary only"


# --------------------------------------------------------------------------- consent-before-choice

BEFORE = "consent-before-choice"
GA_BEACON = "https://shop.example/g/collect?v=2&tid=G-1234"


def before(cookies=(), requests=(), overlays=()):
    return journey(overlays=overlays, states=[phase_state("before-choice", cookies, requests)])


@pytest.mark.parametrize("name, category", [
    ("_ga", "analytics"), ("_ga_ABC123", "analytics"), ("_gcl_au", "advertising"), ("_fbp", "advertising"),
    ("IDE", "advertising"), ("_hjSessionUser_123", "analytics"),
])
def test_a_tracker_cookie_before_any_choice_is_found(name, category):
    res = run(BEFORE, before(cookies=[cookie(name)]))
    assert res.outcome == "fail"
    (f,) = res.findings
    assert f.severity == "high"
    assert [(c["name"], c["category"]) for c in f.detail_map["cookies"]] == [(name, category)]
    assert name in f.message and f.text == name


def test_the_ga_cookie_finding_carries_its_evidence():
    ga = cookie("_ga", domain=".shop.example", expires=1_800_000_000.0)
    res = run(BEFORE, before(cookies=[ga], overlays=[overlay(NOTICE, ["Accept all", "Reject all"])]))
    (f,) = res.findings
    d = f.detail_map
    assert d["phase"] == "before-choice"
    assert d["read_at"] == "2026-01-01T10:00:05Z"
    assert d["cookies"] == [{"name": "_ga", "domain": ".shop.example", "vendor": "Google Analytics",
                             "category": "analytics", "http_only": False, "expires": 1_800_000_000.0}]
    assert d["requests"] == []
    assert "1 non-essential cookie(s) (_ga)" in f.message


@pytest.mark.parametrize("url, vendor, matched", [
    (GA_BEACON, "Google Analytics 4 beacon", "/g/collect"),  # self-hosted beacon path
    ("https://region1.google-analytics.com/g/collect?v=2", "Google Analytics", "google-analytics.com"),
    ("https://www.googletagmanager.com/gtag/js?id=G-1234", "Google Tag Manager", "googletagmanager.com"),
    ("https://shop.example/proxy/gtag/js?id=G-1234", "Google tag (gtag.js)", "/gtag/js"),
    ("https://connect.facebook.net/en_US/fbevents.js", "Meta Pixel", "connect.facebook.net"),
    ("https://stats.g.doubleclick.net/j/collect", "Google Marketing Platform", "doubleclick.net"),
])
def test_a_tracker_request_before_any_choice_is_found(url, vendor, matched):
    (f,) = run(BEFORE, before(requests=[request(url)])).findings
    ((r,),) = (f.detail_map["requests"],)
    assert (r["url"], r["vendor"], r["matched"]) == (url, vendor, matched)
    assert vendor in f.message


def test_the_collect_request_finding_carries_its_time_and_frame():
    beacon = request(GA_BEACON, resource_type="ping", frame_url="https://shop.example/checkout",
                     at="2026-01-01T10:00:03Z", t_ms=812.5)
    (f,) = run(BEFORE, before(requests=[beacon, request("https://shop.example/app.js")])).findings
    assert f.detail_map["cookies"] == []
    assert f.detail_map["requests"] == [{
        "url": GA_BEACON, "vendor": "Google Analytics 4 beacon", "category": "analytics", "matched": "/g/collect",
        "type": "ping", "frame": "https://shop.example/checkout", "at": "2026-01-01T10:00:03Z", "t_ms": 812.5}]
    assert "1 request(s) to trackers (Google Analytics 4 beacon)" in f.message


def test_the_finding_points_at_the_banner_or_at_the_page():
    banner = overlay(NOTICE, ["Accept all", "Reject all"])
    (with_banner,) = run(BEFORE, before(cookies=[cookie("_ga")], overlays=[banner])).findings
    assert with_banner.element == banner.ref
    assert "before any choice on the consent banner" in with_banner.message
    (without,) = run(BEFORE, before(cookies=[cookie("_ga")])).findings
    assert without.element is None
    assert "with no consent banner shown" in without.message


@pytest.mark.parametrize("name", [
    "PHPSESSID", "sessionid", "JSESSIONID", "csrftoken", "XSRF-TOKEN", "AWSALB", "cart_id", "lang",
    "CookieConsent", "OptanonConsent", "cc_cookie", "euconsent-v2",
])
def test_strictly_necessary_cookies_pass(name):
    res = run(BEFORE, before(cookies=[cookie(name)]))
    assert res.outcome == "pass" and not res.findings


def test_an_unknown_cookie_is_never_a_finding():
    assert run(BEFORE, before(cookies=[cookie("xyz_pref"), cookie("theme")])).outcome == "pass"
    (f,) = run(BEFORE, before(cookies=[cookie("_ga"), cookie("xyz_pref")])).findings
    assert [c["name"] for c in f.detail_map["cookies"]] == ["_ga"]
    assert "xyz_pref" not in f.message


def test_an_unknown_cookie_is_listed_in_the_evidence_as_unclassified():
    (f,) = run(BEFORE, before(cookies=[cookie("_ga"), cookie("xyz_pref")])).findings
    unclassified = [v for k, v in f.details if "unclassified" in k]
    assert unclassified and "xyz_pref" in repr(unclassified)


def test_first_party_requests_that_are_not_trackers_pass():
    reqs = [request("https://shop.example/app.js"), request("https://cdn.shop.example/style.css"),
            request("https://shop.example/api/collection/summer")]
    assert run(BEFORE, before(requests=reqs)).outcome == "pass"


def test_without_a_before_choice_state_it_is_not_applicable():
    assert run(BEFORE, journey()).outcome == "not-applicable"
    # only the before-choice state counts; cookies after a refusal are choice-ignored's business
    after = journey(states=[phase_state("after-refusal", cookies=[cookie("_ga")])])
    assert run(BEFORE, after).outcome == "not-applicable"


# --------------------------------------------------------------------------- choice-ignored

IGNORED = "choice-ignored"


def test_tracker_cookies_and_requests_after_a_refusal_are_found():
    choice = refusal(
        states=[phase_state("after-refusal", cookies=[cookie("_ga"), cookie("OptanonConsent")],
                            requests=[request("https://www.google-analytics.com/g/collect?v=2", at="2026-01-01T10:00:07Z",
                                              t_ms=120.0)]),
                phase_state("after-reload", at="2026-01-01T10:00:09Z", cookies=[cookie("_ga"), cookie("_fbp")],
                            requests=[request("https://connect.facebook.net/en_US/fbevents.js")])],
        screenshot="shots/choice.png")
    res = run(IGNORED, journey(choice=choice))
    assert res.outcome == "fail"
    (f,) = res.findings
    assert f.severity == "high" and f.confidence == "high"
    assert f.element == choice.banner and f.text == "Reject all"
    assert f.message.startswith('After "Reject all" was clicked to refuse:')
    assert "2 non-essential cookie(s) remain (_fbp, _ga)" in f.message
    assert "2 request(s) to trackers (Google Analytics, Meta Pixel)" in f.message
    d = f.detail_map
    assert (d["action"], d["button"], d["clicked_at"], d["unticked"], d["banner_returned"]) == \
        ("reject", "Reject all", "2026-01-01T10:00:06Z", 0, False)
    assert d["choice_screenshot"] == "shots/choice.png"
    # each cookie once, with the phase it was first seen in; the consent record is not listed
    assert [(c["name"], c["phase"]) for c in d["cookies"]] == [("_ga", "after-refusal"), ("_fbp", "after-reload")]
    assert [(r["vendor"], r["phase"]) for r in d["requests"]] == [("Google Analytics", "after-refusal"),
                                                                  ("Meta Pixel", "after-reload")]
    assert (d["requests"][0]["at"], d["requests"][0]["t_ms"]) == ("2026-01-01T10:00:07Z", 120.0)


def test_a_tracker_cookie_alone_after_refusal_is_found():
    choice = refusal(states=[phase_state("after-reload", cookies=[cookie("_gcl_au")])])
    (f,) = run(IGNORED, journey(choice=choice)).findings
    assert [c["name"] for c in f.detail_map["cookies"]] == ["_gcl_au"] and f.detail_map["requests"] == []


def test_a_tracker_request_alone_after_refusal_is_found():
    choice = refusal(states=[phase_state("after-refusal", requests=[request(GA_BEACON)])])
    (f,) = run(IGNORED, journey(choice=choice)).findings
    assert f.detail_map["cookies"] == [] and [r["matched"] for r in f.detail_map["requests"]] == ["/g/collect"]


def test_the_banner_returning_after_a_reload_is_found():
    choice = refusal(banner_returned=True, states=[phase_state("after-reload", cookies=[cookie("OptanonConsent")])])
    res = run(IGNORED, journey(choice=choice))
    assert res.outcome == "fail"
    (f,) = res.findings
    assert "the banner asks again after a reload" in f.message
    assert f.detail_map["banner_returned"] is True
    assert f.detail_map["cookies"] == [] and f.detail_map["requests"] == []


def test_a_refusal_made_in_the_settings_layer_is_described():
    choice = refusal(action="save-all-off", button="Save my choices", unticked=3,
                     states=[phase_state("after-refusal", cookies=[cookie("_ga")])])
    (f,) = run(IGNORED, journey(choice=choice)).findings
    assert (f.detail_map["action"], f.detail_map["button"], f.detail_map["unticked"]) == \
        ("save-all-off", "Save my choices", 3)
    assert '"Save my choices"' in f.message


def test_a_respected_refusal_passes():
    choice = refusal(states=[
        phase_state("after-refusal", cookies=[cookie("OptanonConsent"), cookie("PHPSESSID"), cookie("xyz_pref")],
                    requests=[request("https://shop.example/app.js")]),
        phase_state("after-reload", cookies=[cookie("OptanonConsent"), cookie("csrftoken")])])
    res = run(IGNORED, journey(choice=choice))
    assert res.outcome == "pass" and not res.findings


def test_nothing_clicked_is_not_applicable():
    assert run(IGNORED, journey()).outcome == "not-applicable"
    # a refusal that could not be made is never guessed at, even with trackers on the page
    failed = refusal(clicked=False, action="none", button="", error="no reject button on the banner",
                     banner_returned=True, states=[phase_state("after-refusal", cookies=[cookie("_ga")])])
    assert run(IGNORED, journey(choice=failed)).outcome == "not-applicable"


# --------------------------------------------------------------------------- through the registry


def test_judge_runs_the_three_checks_on_one_dark_page():
    accept = styled_button("Accept all", 240, 48, fill=GREEN, color=WHITE, font_size=18.0)
    reject = styled_button("reject", 40, 14, fill=None, color=PALE_GREY, font_size=11.0)
    snap = journey(overlays=[styled_overlay(NOTICE, [accept, reject])],
                   states=[phase_state("before-choice", cookies=[cookie("_ga")])],
                   choice=refusal(button="reject", banner_returned=True))
    results = judge(snap, [SPECS[ASYM], SPECS[BEFORE], SPECS[IGNORED]], CTX, debug=True)
    assert [(r.check, r.outcome) for r in results] == [(ASYM, "fail"), (BEFORE, "fail"), (IGNORED, "fail")]
    honest = journey(overlays=[styled_overlay(NOTICE, [filled("Accept all"), filled("Reject all")])],
                     states=[phase_state("before-choice", cookies=[cookie("PHPSESSID")])],
                     choice=refusal(states=[phase_state("after-reload", cookies=[cookie("OptanonConsent")])]))
    results = judge(honest, [SPECS[ASYM], SPECS[BEFORE], SPECS[IGNORED]], CTX, debug=True)
    assert [r.outcome for r in results] == ["pass", "pass", "pass"]

"""missing-opt-out on snapshot data (no browser)."""

from builders import control, overlay, page, run, select, text

CHECK = "missing-opt-out"
NOTICE = "We use cookies to personalise ads and measure traffic. Choose which cookies we may use."


def findings(**kw):
    return run(CHECK, page(**kw)).findings


def test_accept_and_settings_only_is_found():
    (f,) = findings(overlays=[overlay(NOTICE, ["Accept all", "Manage settings"])])
    assert '"Accept all"' in f.message and "settings" in f.message
    assert f.detail_map["buttons"]["accept"] == ["Accept all"]


def test_ok_only_and_got_it_only():
    assert findings(overlays=[overlay(NOTICE, ["OK"])])
    assert findings(overlays=[overlay(NOTICE, ["Got it!"])])


def test_equal_accept_and_reject_passes():
    assert run(CHECK, page(overlays=[overlay(NOTICE, ["Accept all", "Reject all"])])).outcome == "pass"
    assert not findings(overlays=[overlay(NOTICE, ["Accept", "Necessary cookies only"])])
    assert not findings(overlays=[overlay("我们使用Cookie来个性化广告", ["同意", "拒绝"])])


def test_assumed_consent_banner_with_close_only():
    assert findings(overlays=[overlay("By continuing to browse you accept our use of cookies for advertising.", ["×"])])


def test_newsletter_popup_and_necessary_notice_are_not_banners():
    assert not findings(overlays=[overlay("Get 10% off: subscribe to our newsletter", ["Subscribe", "No thanks"], inputs=1)])
    assert not findings(overlays=[overlay("We only use cookies that are strictly necessary for the site to work.", ["OK"])])


def test_assumed_marketing_statement_without_control():
    t = text("By creating an account you agree to receive marketing emails and to share your data with partners.",
             form="#signup")
    assert findings(texts=[t])
    # a separate control for the purpose makes it refusable
    c = control("Send me marketing emails", checked=False, form="#signup")
    assert not findings(texts=[t], controls=[c])


def test_terms_only_statement_passes():
    assert not findings(texts=[text("By creating an account you agree to our Terms of Service and Privacy Policy.")])


def test_required_checkbox_bundling_marketing():
    bad = control("I accept the Terms and agree to receive offers from partners", checked=False, required=True)
    good = control("I accept the Terms of Service", checked=False, required=True)
    assert findings(controls=[bad])
    assert not findings(controls=[good])


def test_buried_decline_in_country_list():
    countries = ["Austria", "Belgium", "Bulgaria", "Croatia", "Cyprus", "Czechia", "Denmark", "Estonia",
                 "Finland", "France", "Germany", "Greece"]
    buried = select("Country of residence", countries[:6] + ["No, I don't want insurance"] + countries[6:])
    assert findings(controls=[buried])
    honest = select("Travel insurance", ["No insurance", "Basic cover (+€9)", "Full cover (+€19)"])
    assert not findings(controls=[honest])

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


def test_a_ticked_opt_in_is_not_a_way_to_refuse_an_assumed_purpose():
    statement = text("By creating an account you agree to receive marketing emails.", form="#f")
    ticked = control("Send me offers by email", checked=True, form="#f")
    unticked = control("Send me offers by email", checked=False, form="#f")
    assert findings(texts=[statement], controls=[ticked])
    assert not findings(texts=[statement], controls=[unticked])


def test_a_newsletter_forms_own_notice_assumes_nothing():
    from auditor.models import FormInfo, PageSnapshot
    statement = text("By signing up you agree to the newsletter terms of use.", form="#nl")
    newsletter = FormInfo(frame=0, selector="#nl", fields=(("email", 1),))
    signup = FormInfo(frame=0, selector="#nl", fields=(("email", 1), ("password", 1), ("text", 1)))
    for form, expected in ((newsletter, 0), (signup, 1)):
        snap = PageSnapshot(url="http://127.0.0.1/t", texts=(statement,), forms=(form,))
        assert len(run(CHECK, snap).findings) == expected


def test_a_paid_subscription_is_assumed_only_with_a_price():
    assert findings(texts=[text("By registering you are enrolled in Premium, renews automatically at $9.99 a month.")])
    assert not findings(texts=[text("By registering you accept the Master Subscription Agreement.")])


PLAN = "Northwind Care Protection Plan – 2 years' accident cover £14.99"


def test_a_paid_extra_ticked_and_locked_is_found():
    (f,) = findings(controls=[control(PLAN, checked=True, disabled=True)])
    assert "locked" in f.message and f.detail_map["kind"] == "locked-add-on"
    assert not findings(controls=[control(PLAN, checked=True)])  # it can be unticked (prechecked-consent's case)
    assert not findings(controls=[control("Remember me", checked=True, disabled=True)])
    assert not findings(controls=[control("Free gift wrap for every order", checked=True, disabled=True)])


def test_continuing_means_paying_for_an_extra_unless_a_control_declines_it():
    fine = text("By continuing to payment you agree to pay for the protection plan (£14.99) with your order.")
    (f,) = findings(texts=[fine])
    assert "paid add-on" in f.message
    assert not findings(texts=[fine], controls=[control("No thanks, I don't want the protection plan", checked=False)])
    # without a price it is no purchase assumed ("shipping insurance is included")
    assert not findings(texts=[text("By continuing you agree to our terms; shipping insurance is included.")])


def test_an_offer_beside_its_own_box_is_not_an_assumed_purchase():
    offer = "Ja, ich runde auf und spende 1,00 € an die Stiftung. Die Spende wird mit Ihrer Bestellung abgerechnet."
    assert not findings(texts=[text(offer)], controls=[control(offer, checked=True)])
    assert findings(texts=[text(offer)])  # the same words with no box of their own assume the purchase

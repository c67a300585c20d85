"""prechecked-consent on snapshot data (no browser)."""

from builders import control, page, run, select

CHECK = "prechecked-consent"


def findings(*controls):
    return run(CHECK, page(controls=controls)).findings


def test_prechecked_marketing_box_is_found_and_quoted():
    res = run(CHECK, page(controls=[control("Send me offers and news by email")]))
    assert res.outcome == "fail"
    (f,) = res.findings
    assert f.severity == "high"
    assert '"Send me offers and news by email"' in f.message
    assert f.detail_map["purpose"] == "marketing"


def test_each_optional_purpose_is_found():
    labels = ["Share my details with selected partners", "Show me personalised ads",
              "Analytics cookies", "Add Protection Plan (+$12.99)", "Start my Premium membership free trial",
              "我同意接收营销短信", "Ja, ich möchte den Newsletter erhalten", "Recevoir les offres de nos partenaires"]
    for label in labels:
        assert findings(control(label)), label


def test_unchecked_box_is_not_a_finding_but_the_check_applies():
    res = run(CHECK, page(controls=[control("Send me offers by email", checked=False)]))
    assert res.outcome == "pass" and not res.findings


def test_benign_preselections_pass():
    for label in ["Remember me", "Keep me signed in", "Billing address same as shipping",
                  "Save my address for next time"]:
        assert not findings(control(label)), label


def test_locked_strictly_necessary_category_passes_but_unlocked_tracking_fails():
    assert not findings(control("Strictly necessary cookies", disabled=True))
    assert findings(control("Analytics cookies", kind="switch"))


def test_opt_out_wording_checked_is_not_consent():
    assert not findings(control("I do not want to receive offers from partners"))


def test_radio_opt_in_vs_opt_out():
    yes = control("Yes, send me offers", kind="radio")
    no = control("No, thanks", kind="radio", group="Would you like offers by email?")
    assert findings(yes)
    assert not findings(no)


def test_hidden_control_with_visible_label_points_at_label():
    c = control("Offers from our partners", visible=False, label_visible=True)
    (f,) = findings(c)
    assert f.element == c.label_ref


def test_control_nobody_can_see_is_not_judged():
    assert not findings(control("Offers from our partners", visible=False, label_visible=False))


def test_select_with_paid_extra_preselected():
    bad = select("Protection", ["Add 2-year protection plan (+€19.99)", "No protection plan"], selected=0)
    good = select("Protection", ["No protection plan", "Add 2-year protection plan (+€19.99)"], selected=0)
    assert findings(bad)
    assert not findings(good)


def test_page_without_consent_controls_is_not_applicable():
    assert run(CHECK, page(controls=[control("Remember me")])).outcome == "not-applicable"


def test_a_ticked_agreement_box_is_consent_by_default():
    from builders import control, page, run
    (f,) = run("prechecked-consent", page(controls=[control("我同意", context="我同意《芝麻服务协议》")])).findings
    assert "《芝麻服务协议》" in f.text and f.confidence == "medium"


def test_a_yes_radio_in_an_add_on_group_opts_in():
    from builders import control, page, run
    yes = control("Sì, proteggi il mio viaggio", kind="radio", group="Assicurazione annullamento")
    no = control("No, grazie", kind="radio", group="Assicurazione annullamento")
    assert run("prechecked-consent", page(controls=[yes])).findings
    assert not run("prechecked-consent", page(controls=[no])).findings

"""hidden-agreement-text on snapshot data (no browser)."""

from auditor.models import Box
from builders import page, ref, run, text

CHECK = "hidden-agreement-text"
CLAUSE = "By clicking Create account you agree to share your data with our partners."


def findings(*texts):
    return run(CHECK, page(texts=texts)).findings


def test_readable_clause_passes():
    res = run(CHECK, page(texts=[text(CLAUSE)]))
    assert res.outcome == "pass"


def test_tiny_font_is_found_with_measured_size():
    (f,) = findings(text(CLAUSE, font_size=8))
    assert "tiny font (8px)" in f.message
    assert f.detail_map["font_size_px"] == 8


def test_low_contrast_against_effective_background():
    (f,) = findings(text(CLAUSE, color=(208.0, 208.0, 208.0, 1.0)))
    assert "very low contrast" in f.message
    assert f.detail_map["contrast_ratio"] < 2.5
    # the same grey on a dark background is readable
    assert not findings(text(CLAUSE, color=(208.0, 208.0, 208.0, 1.0), background=(34.0, 34.0, 34.0, 1.0)))


def test_small_and_low_contrast_together():
    assert findings(text(CLAUSE, font_size=11, color=(153.0, 153.0, 153.0, 1.0)))
    # grey but readable: #666 on white at 12px
    assert not findings(text(CLAUSE, font_size=12, color=(102.0, 102.0, 102.0, 1.0)))


def test_opacity_clipping_offscreen_details_collapsed():
    assert findings(text(CLAUSE, opacity=0.15))
    assert findings(text(CLAUSE, visible_fraction=0.2))
    assert findings(text(CLAUSE, offscreen=True))
    assert findings(text(CLAUSE, rendered=False, in_closed_details=True))
    assert findings(text(CLAUSE, rendered=False, collapsed=True))


def test_unrendered_template_is_not_judged():
    assert run(CHECK, page(texts=[text("Please accept the terms to continue", rendered=False)])).outcome == "not-applicable"


def test_far_from_its_action():
    action = ref("Create account", Box(10, 100, 120, 40))
    action = action.__class__(selector=action.selector, html="<button>Create account</button>", box=action.box,
                              text="Create account")
    assert findings(text(CLAUSE, action=action, action_distance=2200.0))
    assert not findings(text(CLAUSE, action=action, action_distance=30.0))


def test_mentions_of_consent_that_bind_nobody_pass():
    assert run(CHECK, page(texts=[text("Terms of Service · Privacy Policy", font_size=8)])).outcome == "not-applicable"


def test_uncertain_background_is_review_not_fail():
    (f,) = findings(text(CLAUSE, color=(200.0, 200.0, 200.0, 1.0), background_uncertain=True))
    assert f.status == "review"


def test_chinese_clause():
    assert findings(text("同意授权并开通芝麻信用服务，查看《芝麻服务协议》", font_size=9, color=(204.0, 204.0, 204.0, 1.0)))

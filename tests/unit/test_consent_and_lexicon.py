"""The shared vocabulary judgements and the term matcher, on plain strings."""

from __future__ import annotations

import pytest

from auditor.config import Thresholds
from auditor.consent import affirms, declines, first_sentence, informs_only_necessary, mentions_price
from auditor.lexicon import load
from auditor.registry import CheckContext

LEX = load()
CTX = CheckContext(lexicon=LEX, thresholds=Thresholds())


@pytest.mark.parametrize("text, price", [
    ("$4.99/month after your trial", True), ("1,99 € monatlich", True), ("月額550円", True), ("首月9.9元", True),
    ("Join 2 million members", False), ("2–4 business days", False), ("Step 3 of 4", False),
])
def test_mentions_price(text, price):
    assert mentions_price(text) is price


def test_opt_out_wording_counts_only_in_the_leading_sentence():
    assert not declines(CTX, "Email me about new arrivals. Unsubscribe at any time.")
    assert declines(CTX, "Do not send me offers by email.")
    assert first_sentence("本登录即同意。其他说明") == "本登录即同意。"


@pytest.mark.parametrize("label, yes", [
    ("Sì, proteggi il mio viaggio", True), ("Yes please, add cover", True), ("Oui, je le souhaite", True),
    ("是，开通会员", True), ("No, grazie", False), ("Standard delivery", False),
])
def test_affirms_opens_with_a_yes(label, yes):
    assert affirms(CTX, label) is yes


def test_a_negated_purpose_is_not_announced():
    assert informs_only_necessary(CTX, "No tracking here. We only use strictly necessary cookies.")
    assert not informs_only_necessary(CTX, "We use strictly necessary cookies and analytics cookies.")


@pytest.mark.parametrize("category, text, found", [
    ("subscription", "Join Premium for $4.99/month", ["premium", "/month"]),
    ("optout_wording", "I'd rather not, thanks", ["i'd rather not"]),
    ("marketing", "Newsletters weekly", ["newsletters"]),  # "newsletter*" matches further letters
    ("cookie_notice", "我们使用Cookie改善体验", ["我们使用cookie"]),  # Chinese terms are substrings
    ("accept", "Akzeptieren", ["akzeptieren"]),
])
def test_terms_found_as_they_appear(category, text, found):
    assert LEX.find(category, text) == found


def test_word_boundaries_hold():
    assert not LEX.has("accept", "unacceptable delays")  # no match inside a word
    assert not LEX.has("marketing", "Ad-hoc delivery slots")
    assert LEX.first("reject", "Reject all") == "reject all"  # the longest term at a place wins

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


# discovery categories: the accessible labels of the controls `auditor discover` clicks
@pytest.mark.parametrize("category, label, found", [
    ("signup", "Sign up", True), ("signup", "Create an account", True), ("signup", "Jetzt registrieren", True),
    ("signup", "S’inscrire", True), ("signup", "Cadastre-se grátis", True), ("signup", "免费注册", True),
    ("signup", "新規会員登録はこちら", True),
    ("signup", "Sign in", False), ("signup", "Log in", False), ("signup", "Anmelden", False),
    ("signup", "Registered trademark", False),
    ("add_to_cart", "Add to basket", True), ("add_to_cart", "In den Warenkorb", True),
    ("add_to_cart", "Ajouter au panier", True), ("add_to_cart", "Añadir a la cesta", True),
    ("add_to_cart", "加入购物车", True), ("add_to_cart", "カートに入れる", True),
    ("add_to_cart", "View cart", False), ("add_to_cart", "Add to wishlist", False),
    ("add_to_cart", "Zum Warenkorb", False),
    ("cart", "Basket, 2 items", True), ("cart", "Warenkorb (3)", True), ("cart", "Mon panier", True),
    ("cart", "Carrello", True), ("cart", "购物车", True), ("cart", "ショッピングカート", True),
    ("cart", "Cartoon tote", False), ("cart", "Northlight Down Sleeping Bag", False), ("cart", "フレアスカート", False),
    ("checkout", "Proceed to checkout", True), ("checkout", "Zur Kasse", True),
    ("checkout", "Passer à la caisse", True), ("checkout", "Procedi all’acquisto", True),
    ("checkout", "Afrekenen", True), ("checkout", "去结算", True), ("checkout", "レジに進む", True),
    ("checkout", "Place order", False), ("checkout", "Commander", False), ("checkout", "Finalizar compra", False),
    ("checkout", "Check outdoor gear", False),
    ("next_step", "Continue to payment", True), ("next_step", "Weiter", True), ("next_step", "Étape suivante", True),
    ("next_step", "Siguiente", True), ("next_step", "Próximo passo", True), ("next_step", "下一步", True),
    ("next_step", "次へ", True),
    ("next_step", "Place order", False), ("next_step", "Zahlungspflichtig bestellen", False),
    ("next_step", "Nextday delivery", False), ("next_step", "提交订单", False),
    ("keep_shopping", "← Continue shopping", True), ("keep_shopping", "Weiter einkaufen", True),
    ("keep_shopping", "继续购物", True), ("keep_shopping", "Continue to payment", False),
    ("final_submit", "Complete checkout", True), ("final_submit", "Bestellung abschließen", True),
    ("final_submit", "Conferma l’ordine", True), ("final_submit", "确认下单", True),
])
def test_discovery_labels(category, label, found):
    assert LEX.has(category, label) is found


@pytest.mark.parametrize("label", [
    "Place order", "Pay now", "Buy now", "Checkout now", "Zahlungspflichtig bestellen", "Commander",
    "Finalizar compra", "Tramitar pedido", "Conferma ordine", "Afrekenen en betalen", "Finalizar pedido",
    "提交订单", "注文を確定する",
])
def test_final_submit_is_always_final(label):
    # a final label may also match a discovery word ("checkout now"), but it is always final_submit
    assert LEX.has("final_submit", label)
    assert not LEX.has("add_to_cart", label) and not LEX.has("next_step", label)


def test_no_discovery_term_is_a_final_submit_label():
    """No final_submit term, read as a label, matches add_to_cart, cart or signup; only the documented final
    labels that contain a checkout word or a next-step verb match checkout or next_step (final_submit wins)."""
    finals = [term for _, term in LEX.terms["final_submit"]]
    for category in ("add_to_cart", "cart", "signup", "keep_shopping"):
        assert [t for t in finals if LEX.has(category, t)] == [], category
    assert sorted(t for t in finals if LEX.has("checkout", t)) == [
        "afrekenen en betalen", "checkout now", "complete checkout", "finish checkout"]
    assert sorted(t for t in finals if LEX.has("next_step", t)) == ["continue to paypal", "weiter zu paypal"]


DISCOVERY = ("signup", "add_to_cart", "cart", "checkout", "next_step", "keep_shopping")


def _language_files():
    import json

    from auditor.lexicon import data_dir
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(data_dir().glob("*.json"))}


#: the languages the lexicon covers: the 24 official EU languages and ten more (issue 10)
EU_LANGUAGES = ("bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt", "lv", "mt",
                "nl", "pl", "pt", "ro", "sk", "sl", "sv")
MORE_LANGUAGES = ("ko", "tr", "ar", "hi", "ru", "uk", "zh", "zh-Hant", "ja", "th", "vi", "id")
LANGUAGES = tuple(sorted(set(EU_LANGUAGES + MORE_LANGUAGES)))


def test_every_language_has_a_file_with_every_category():
    from auditor.lexicon import CATEGORIES
    files = _language_files()
    assert set(LANGUAGES) <= set(files), sorted(set(LANGUAGES) - set(files))
    for lang, data in files.items():
        assert data["language"] == lang
        assert data.get("name") and data.get("source"), lang
        assert set(CATEGORIES) <= set(data["categories"]), (lang, sorted(set(CATEGORIES) - set(data["categories"])))
        for cat in DISCOVERY + ("accept", "reject", "settings", "cookie_notice", "cookie_word", "marketing"):
            assert data["categories"][cat], (lang, cat)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_terms_follow_the_file_rules(lang):
    """Every term of every category: lower case, NFKC, single spaces, ``*`` only at the ends and never in a
    substring script (Chinese, Japanese, Korean, Thai), both apostrophes, no duplicates after normalisation."""
    import unicodedata

    from auditor.lexicon import SUBSTRING_SCRIPT, normalise
    data = _language_files()[lang]
    for cat, terms in data["categories"].items():
        normalised = [normalise(t) for t in terms]
        dupes = sorted({n for n in normalised if normalised.count(n) > 1})
        assert not dupes, (cat, "duplicate after normalisation", dupes)
        for t in terms:
            assert t == t.lower() == unicodedata.normalize("NFKC", t) == " ".join(t.split()), (cat, t)
            assert "*" not in t.strip("*") and not (SUBSTRING_SCRIPT.search(t) and "*" in t), (cat, t)
            assert t.strip("*"), (cat, t)
            if "'" in t:
                assert t.replace("'", "’") in terms, (cat, t)
            if "’" in t:
                assert t.replace("’", "'") in terms, (cat, t)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_reject_never_reads_as_accept(lang):
    """Every reject term, read as a button label, is a refusal: "accept only necessary" wins over "accept"."""
    from auditor.consent import classify_button
    data = _language_files()[lang]
    wrong = [t for t in data["categories"]["reject"] if classify_button(CTX, t.strip("*")) != "reject"]
    assert not wrong, wrong

"""Which language a page is in, and whether the lexicon covers it.

Most checks read words; on a page in a language the lexicon has no file for they can only judge what needs no
words, so the report says so (``language: sw, not covered``) instead of passing in silence.

The language is, in order: the top document's ``lang`` attribute (``zh-TW`` and ``zh-HK`` read as
``zh-Hant``); else the script of the page's text where a script names one language here (Hangul, Thai, Greek,
Devanagari, kana; Arabic letters unless Persian or Urdu ones are there); else the lexicon language whose terms
match most of the page's words; else ``und`` (undetermined, not covered).
"""

from __future__ import annotations

import re

from auditor.lexicon import Lexicon, normalise
from auditor.models import PageLanguage, PageSnapshot

_SCRIPTS = (
    ("ja", re.compile(r"[\u3040-\u30ff]")),  # kana before Han: Japanese pages use both
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("ka", re.compile(r"[\u10a0-\u10ff]")),
    ("hy", re.compile(r"[\u0530-\u058f]")),
)
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_PERSIAN = re.compile(r"[پچژگ]")
_URDU = re.compile(r"[ٹڈڑںےۓ]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
#: characters only traditional Chinese writes (the simplified forms differ)
_TRADITIONAL = re.compile(r"[們這個資訊隱權帳號訂閱廣告條款設務購買關閉]")
#: declared tags that name the same lexicon file
_ALIASES = {"zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-mo": "zh-Hant", "zh-hant": "zh-Hant", "zh-hans": "zh",
            "zh-cn": "zh", "zh-sg": "zh", "nb": "no", "nn": "no", "iw": "he", "in": "id", "fil": "tl"}


def _canonical(tag: str) -> str:
    t = (tag or "").strip().replace("_", "-").lower()
    if not t:
        return ""
    if t in _ALIASES:
        return _ALIASES[t]
    parts = t.split("-")
    if parts[0] == "zh" and any(p in ("hant", "tw", "hk", "mo") for p in parts[1:]):
        return "zh-Hant"
    return _ALIASES.get(parts[0], parts[0])


def page_text(snapshot: PageSnapshot) -> str:
    parts = [snapshot.title]
    parts += [o.text for o in snapshot.overlays]
    parts += [t.text for t in snapshot.texts]
    parts += [c.label for c in snapshot.controls]
    return " ".join(p for p in parts if p)[:20000]


def _by_script(text: str) -> str:
    for code, rx in _SCRIPTS:
        if rx.search(text):
            return code
    if _ARABIC.search(text):
        return "ur" if _URDU.search(text) else "fa" if _PERSIAN.search(text) else "ar"
    if _HAN.search(text):
        return "zh-Hant" if len(_TRADITIONAL.findall(text)) >= 2 else "zh"
    return ""


def _by_words(text: str, lexicon: Lexicon) -> str:
    """The lexicon language with the most distinct terms found in the text (Latin and Cyrillic scripts)."""
    n = normalise(text)
    if not n:
        return ""
    scores: dict[str, int] = {}
    for lang in lexicon.languages:
        scores[lang] = lexicon.count_terms(lang, n)
    best = max(scores.items(), key=lambda kv: kv[1], default=("", 0))
    return best[0] if best[1] >= 2 else ""


def detect(snapshot: PageSnapshot, lexicon: Lexicon) -> PageLanguage:
    covered = set(lexicon.languages)
    declared = _canonical(snapshot.lang)
    if declared:
        return PageLanguage(declared, "lang-attribute", declared in covered)
    text = page_text(snapshot)
    code = _by_script(text)
    if code:
        return PageLanguage(code, "script", code in covered)
    code = _by_words(text, lexicon)
    if code:
        return PageLanguage(code, "words", True)
    return PageLanguage("und", "none", False)

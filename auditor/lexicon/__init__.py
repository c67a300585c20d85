"""Multilingual term lists (data files in ``data/``) and the matcher the checks use.

A term matches on word boundaries, except terms written in Chinese or Japanese script, which match as
substrings. ``*`` at the end of a term matches further letters ("newsletter*"), at the start letters before
("*werbung"). Text and terms are compared lower-cased, NFKC-normalised, with Latin accents removed.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

CATEGORIES = (
    "marketing", "sharing", "advertising", "tracking", "subscription", "paid_addon", "benign", "necessary",
    "optout_wording", "agreement", "assumption", "cookie_notice", "accept", "acknowledge", "reject", "settings",
    "decline_addon", "close", "newsletter_popup", "binding", "affirmative",
    "cookie_word", "negation",
)
# categories whose words make a block of text worth measuring in the browser
TEXT_CANDIDATE_CATEGORIES = ("agreement", "assumption", "marketing", "sharing", "advertising", "tracking",
                             "subscription", "paid_addon", "cookie_notice")

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_MARKS = re.compile(r"[\u0300-\u036f]")
_WS = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+")


def normalise(text: str) -> str:
    """Lower-case, NFKC, Latin accents stripped, whitespace collapsed."""
    text = unicodedata.normalize("NFKD", text or "")
    text = _MARKS.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    return _WS.sub(" ", text.lower()).strip()


def _escape(word: str) -> str:
    """Escape regex syntax the same way for Python and JavaScript (``u`` mode rejects other escapes)."""
    return "".join("\\" + ch if ch in r"^$\.*+?()[]{}|/" else ch for ch in word)


def _term_pattern(term: str, js: bool) -> str:
    t = normalise(term)
    if js:  # the collector compares NFKD text with marks removed
        t = _MARKS.sub("", unicodedata.normalize("NFKD", t))
    prefix = t.endswith("*")
    suffix = t.startswith("*")
    core = t.strip("*")
    if not core:
        return ""
    body = r"\s+".join(_escape(w) for w in core.split(" "))
    letter = r"[\p{L}\p{N}]" if js else r"[^\W_]"
    if prefix:
        body = body + (r"[\p{L}\p{N}]*" if js else r"\w*")
    if suffix:
        body = (r"[\p{L}\p{N}]*" if js else r"\w*") + body
    if _CJK.search(core):
        return body
    # a boundary is only asked for at an edge that is itself a letter or digit ("/month", "10% off", "×")
    head = rf"(?<!{letter})" if not suffix and core[0].isalnum() else ""
    tail = rf"(?!{letter})" if not prefix and core[-1].isalnum() else ""
    return head + body + tail


@dataclass(frozen=True)
class Lexicon:
    terms: dict  # category -> tuple of (language, term)

    @functools.cached_property
    def _compiled(self) -> dict[str, re.Pattern | None]:
        out = {}
        for cat in CATEGORIES:
            pats = sorted({p for _, term in self.terms.get(cat, ()) if (p := _term_pattern(term, js=False))},
                          key=len, reverse=True)
            out[cat] = re.compile("|".join(pats), re.IGNORECASE) if pats else None
        return out

    def find(self, category: str, text: str) -> list[str]:
        """The terms of ``category`` found in ``text`` (as they appear in the normalised text)."""
        rx = self._compiled.get(category)
        if rx is None or not text:
            return []
        return [m.group(0) for m in rx.finditer(normalise(text))]

    def has(self, category: str, text: str) -> bool:
        rx = self._compiled.get(category)
        return bool(rx and text and rx.search(normalise(text)))

    def first(self, category: str, text: str) -> str:
        rx = self._compiled.get(category)
        m = rx.search(normalise(text)) if rx and text else None
        return m.group(0) if m else ""

    def js_matcher(self, categories=TEXT_CANDIDATE_CATEGORIES) -> dict:
        """A compact term index the collector uses to pick text blocks worth measuring (``termMatcher`` in
        collector.js). It is a superset of :meth:`has`: words are compared as runs of letters and digits, so
        punctuation inside a term is ignored; Chinese and Japanese terms are substrings. One huge regex would
        be simpler, but V8 takes seconds to compile one with thousands of alternatives."""
        first: dict[str, list] = {}
        wild: list = []
        cjk: set = set()
        for cat in categories:
            for _, term in self.terms.get(cat, ()):
                t = normalise(term)
                if _CJK.search(t):
                    cjk.add(t.strip("*"))
                    continue
                words = _WORD.findall(t)
                if not words:
                    continue
                if t.startswith("*"):
                    words[0] = "*" + words[0]
                if t.endswith("*"):
                    words[-1] = words[-1] + "*"
                if "*" in words[0]:
                    wild.append(words)
                else:
                    first.setdefault(words[0], []).append(words[1:])
        for rests in first.values():
            rests.sort(key=len)
        return {"first": first, "wild": sorted(wild), "cjk": sorted(cjk, key=len)}

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted({lang for items in self.terms.values() for lang, _ in items}))


def data_dir() -> Path:
    return Path(str(resources.files("auditor.lexicon") / "data"))


def load_language_file(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or not isinstance(data.get("categories"), dict):
        raise ValueError(f"{path}: expected an object with 'categories'")
    for cat, terms in data["categories"].items():
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise ValueError(f"{path}: category {cat!r} must be a list of strings")
    return data


@functools.lru_cache(maxsize=8)
def load(languages: tuple[str, ...] | None = None, extra_dirs: tuple[str, ...] = ()) -> Lexicon:
    """The lexicon of the bundled languages (all by default) plus any extra data folders."""
    files = sorted(data_dir().glob("*.json"))
    for d in extra_dirs:
        files += sorted(Path(d).glob("*.json"))
    terms: dict[str, list] = {}
    for path in files:
        data = load_language_file(path)
        lang = data.get("language") or path.stem
        if languages and lang not in languages:
            continue
        for cat, items in data["categories"].items():
            terms.setdefault(cat, []).extend((lang, t) for t in items)
    return Lexicon({k: tuple(v) for k, v in terms.items()})

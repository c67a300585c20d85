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
    "cookie_word", "negation", "save", "legitimate_interest", "age_gate", "signin", "final_submit",
    "order_total", "subtotal", "fee", "shipping", "tax_or_discount",
    "signup", "add_to_cart", "cart", "checkout", "next_step", "keep_shopping", "everything",
    # journeys (issue 11): buying without an account, the words of addresses, what a form field asks for,
    # prices that cost nothing, words that only qualify a total or say how many
    "guest_checkout", "url_signup", "url_signin", "url_account", "url_product", "url_cart", "url_checkout",
    "field_email", "field_password", "field_birth_date", "field_phone", "field_postcode", "field_city",
    "field_full_name", "field_first_name", "field_last_name", "field_street", "field_address_extra",
    "field_country", "field_username", "field_one_time_code", "field_card", "not_payment_card",
    "free_of_charge", "price_qualifier", "quantity_word", "payment_method",
)
# categories whose words make a block of text worth measuring in the browser
TEXT_CANDIDATE_CATEGORIES = ("agreement", "assumption", "marketing", "sharing", "advertising", "tracking",
                             "subscription", "paid_addon", "cookie_notice")

#: scripts written without spaces between words (Chinese, Japanese, Thai) or with particles fused to them
#: (Korean): their terms match as plain substrings of the page text
SUBSTRING_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
                              r"\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u0e00-\u0e7f]")
_CJK = SUBSTRING_SCRIPT
#: Hangul (syllables, jamo and compatibility jamo): its terms match whatever the spacing
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
#: marks removed before matching: Latin accents, Arabic short vowels (harakat) and the tatweel stretch
_MARKS = re.compile(r"[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u0640]")
_WS = re.compile(r"\s+")


#: the blocks of scripts whose combining marks (vowel signs, viramas) are part of a word: Hebrew, the Indic
#: scripts (Devanagari to Malayalam), Sinhala, Thai, Lao, Tibetan, Myanmar, Khmer. Letters of those blocks are
#: letters anyway; the class only adds their marks, so a word boundary never falls before one.
_MARK_CLASS = "\u0591-\u05c7\u0900-\u0dff\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff"
#: a letter or digit of a word (Python): letters, digits and the combining marks that belong to them
_LETTER = rf"(?:[^\W_]|[{_MARK_CLASS}])"
_WORD = re.compile(rf"{_LETTER}+")


def normalise(text: str) -> str:
    """Lower-case, NFKC, Latin accents and Arabic short vowels stripped, ı folded into i, whitespace collapsed."""
    text = unicodedata.normalize("NFKD", text or "")
    text = _MARKS.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    # Turkish dotless ı folds into i: capitals ("AYARLARI") lower-case to a dotted i in every other locale
    return _WS.sub(" ", text.lower().replace("ı", "i")).strip()


def _escape(word: str) -> str:
    """Escape regex syntax the same way for Python and JavaScript (``u`` mode rejects other escapes)."""
    return "".join("\\" + ch if ch in r"^$\.*+?()[]{}|/" else ch for ch in word)


def _term_pattern(term: str, js: bool) -> str:
    t = normalise(term)
    if t.startswith("=") and len(t) > 1:
        # "=name": only the whole text (apart from punctuation around it: "Name *", "名："), for words that mean
        # one field alone and another inside a longer label
        inner = _term_pattern(t[1:], js)
        edge = r"[^\p{L}\p{N}]*" if js else r"[\W_]*"
        return f"^{edge}(?:{inner}){edge}$" if inner else ""
    if js:  # the collector compares NFKD text with marks removed
        t = _MARKS.sub("", unicodedata.normalize("NFKD", t))
    prefix = t.endswith("*")
    suffix = t.startswith("*")
    core = t.strip("*")
    if not core:
        return ""
    body = r"\s+".join(_escape(w) for w in core.split(" "))
    if _HANGUL.search(core):
        # Korean word spacing varies from site to site ("결제예정 금액", "결제 예정 금액", "결제예정금액"): a Korean
        # term matches with or without the spaces between its letters
        body = r"\s*".join(_escape(ch) for ch in core if not ch.isspace())
    letter = r"[\p{L}\p{N}\p{M}]" if js else _LETTER
    if prefix:
        body = body + (r"[\p{L}\p{N}\p{M}]*" if js else rf"(?:\w|[{_MARK_CLASS}])*")
    if suffix:
        body = (r"[\p{L}\p{N}\p{M}]*" if js else rf"(?:\w|[{_MARK_CLASS}])*") + body
    if _CJK.search(core):
        return body
    # a boundary is only asked for at an edge that is itself a letter or digit ("/month", "10% off", "×")
    head = rf"(?<!{letter})" if not suffix and _wordlike(core[0]) else ""
    tail = rf"(?!{letter})" if not prefix and _wordlike(core[-1]) else ""
    return head + body + tail


def _wordlike(ch: str) -> bool:
    """A letter, digit or a combining mark that belongs to a word (a Devanagari vowel sign ends "करें")."""
    return ch.isalnum() or unicodedata.category(ch) in ("Mn", "Mc", "Me")


def _index_words(t: str) -> list[str] | None:
    """A normalised term as the word sequence the index looks up, ``*`` kept on the edge words."""
    words = _WORD.findall(t)
    if not words:
        return None
    if t.startswith("*"):
        words[0] = "*" + words[0]
    if t.endswith("*"):
        words[-1] = words[-1] + "*"
    return words


def _word_is(pat: str, w: str) -> bool:
    if pat.startswith("*") and pat.endswith("*"):
        return pat[1:-1] in w
    if pat.endswith("*"):
        return w.startswith(pat[:-1])
    if pat.startswith("*"):
        return w.endswith(pat[1:])
    return w == pat


class _CategoryIndex:
    """Finds a category's terms without one giant regex (which takes Python about half a second to compile for
    all categories, at every start): words index the candidate terms, then each candidate's own small regex
    (compiled on first use) confirms it with exact boundaries."""

    def __init__(self, normalised):
        """``normalised``: the category's terms, already normalised (their regexes are built on first use)."""
        self.first: dict[str, list] = {}
        self.wild: list = []  # first word with a leading "*": checked against every word
        self.wild_by_head: dict[str, list] = {}  # first word "abc*": looked up by its first two letters
        self.cjk: list = []  # substring-script terms: looked for only in text with such script
        self.symbols: list = []
        seen: set[str] = set()
        self._rx: dict[str, re.Pattern] = {}
        for t in normalised:
            if t in seen or not t.strip("*"):
                continue
            seen.add(t)
            if _CJK.search(t):
                sub = t.strip("*").lstrip("=")
                self.cjk.append((sub.replace(" ", "") if _HANGUL.search(sub) else sub, t))
                continue
            words = _index_words(t)
            if not words:
                self.symbols.append((t.strip("*").lstrip("="), t))  # no letters at all ("×"): a plain substring
            elif "*" in words[0] and not words[0].startswith("*") and len(words[0]) >= 3:
                self.wild_by_head.setdefault(words[0][:2], []).append((words, t))
            elif "*" in words[0]:
                self.wild.append((words, t))
            else:
                self.first.setdefault(words[0], []).append((words[1:], t))

    def _candidates(self, n: str, words: tuple[str, ...], cjk: bool) -> set[str]:
        found = set()
        bare = n.replace(" ", "") if cjk else n
        for sub, pat in (self.cjk + self.symbols if cjk else self.symbols):
            if sub and (sub in n or sub in bare):
                found.add(pat)
        for i, w in enumerate(words):
            for rest, pat in self.first.get(w, ()):
                if len(rest) <= len(words) - i - 1 and all(_word_is(r, words[i + 1 + k]) for k, r in enumerate(rest)):
                    found.add(pat)
            for ws, pat in self.wild + self.wild_by_head.get(w[:2], []):
                if len(ws) <= len(words) - i and all(_word_is(r, words[i + k]) for k, r in enumerate(ws)):
                    found.add(pat)
        return found

    def _regex(self, term: str) -> re.Pattern:
        rx = self._rx.get(term)
        if rx is None:
            rx = self._rx[term] = re.compile(_term_pattern(term, js=False), re.IGNORECASE)
        return rx

    def matches(self, n: str, words: tuple[str, ...], cjk: bool) -> list[tuple[int, int, str]]:
        """Non-overlapping (start, end, text) matches in normalised text, leftmost first, longest at a place."""
        spans = []
        for pat in self._candidates(n, words, cjk):
            spans += [(m.start(), m.end()) for m in self._regex(pat).finditer(n) if m.end() > m.start()]
        spans.sort(key=lambda se: (se[0], -(se[1] - se[0])))
        out, end = [], -1
        for a, b in spans:
            if a >= end:
                out.append((a, b, n[a:b]))
                end = b
        return out


@functools.lru_cache(maxsize=8192)
def _prepared(text: str) -> tuple[str, tuple[str, ...], bool]:
    """Normalised text, its words and whether it has Chinese or Japanese script (checks ask about the same
    texts many times)."""
    n = normalise(text)
    return n, tuple(_WORD.findall(n)), bool(_CJK.search(n))


@functools.lru_cache(maxsize=32768)
def _cached_matches(lexicon: "Lexicon", category: str, text: str) -> tuple[tuple[int, int, str], ...]:
    return tuple(lexicon._index[category].matches(*_prepared(text)))


@dataclass(frozen=True, eq=False)
class Lexicon:
    terms: dict  # category -> tuple of (language, term)

    @functools.cached_property
    def _normalised(self) -> dict[str, str]:
        """Every term, normalised once (the index, the collector's matcher and language detection share it)."""
        return {term: normalise(term) for items in self.terms.values() for _, term in items}

    @functools.cached_property
    def _index(self) -> dict[str, _CategoryIndex]:
        n = self._normalised
        return {cat: _CategoryIndex(n[term] for _, term in self.terms.get(cat, ())) for cat in CATEGORIES}

    def _matches(self, category: str, text: str) -> tuple[tuple[int, int, str], ...]:
        if not text or category not in self._index:
            return ()
        return _cached_matches(self, category, text)

    def warm(self) -> "Lexicon":
        """Build the term indexes now (they are otherwise built on first use)."""
        self._index  # noqa: B018
        return self

    def spans(self, category: str, text: str) -> tuple[tuple[int, int, str], ...]:
        """Where the terms of ``category`` are in ``normalise(text)``: (start, end, term), in text order."""
        return self._matches(category, text)

    def find(self, category: str, text: str) -> list[str]:
        """The terms of ``category`` found in ``text`` (as they appear in the normalised text)."""
        return [m for _, _, m in self._matches(category, text)]

    def has(self, category: str, text: str) -> bool:
        return bool(self._matches(category, text))

    def first(self, category: str, text: str) -> str:
        found = self._matches(category, text)
        return found[0][2] if found else ""

    @functools.lru_cache(maxsize=16)
    def markup_pattern(self, category: str) -> str:
        """A regular expression (valid in Python and JavaScript, used case-insensitively) that finds the
        category's Latin-script terms in markup identifiers, where words run together or are joined by ``-``,
        ``_``, ``.`` or ``/``: "card number" finds ``card_number``, ``cardNumber``, ``payment[card-number]``.
        Each term starts at the start of the identifier or after a character that is no letter."""
        alts = []
        for _, term in self.terms.get(category, ()):
            t = self._normalised[term].strip("*").lstrip("=")
            if not t or not re.fullmatch(r"[a-z0-9 ./\-]+", t):
                continue
            pieces = [x for x in re.split(r"[\s./\-]+", t) if x]
            if pieces:
                alts.append(r"[\s_.\-/]*".join(_escape(x) for x in pieces))
        if not alts:
            return r"(?!)"
        return r"(?:^|[^a-z])(?:" + "|".join(sorted(set(alts), key=len, reverse=True)) + ")"

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
                t = self._normalised[term]
                if _CJK.search(t):
                    cjk.add(t.strip("*"))
                    continue
                words = _index_words(t)
                if not words:
                    continue
                if "*" in words[0]:
                    wild.append(words)
                else:
                    first.setdefault(words[0], []).append(words[1:])
        for rests in first.values():
            rests.sort(key=len)
        return {"first": first, "wild": sorted(wild), "cjk": sorted(cjk, key=len)}

    @functools.cached_property
    def _language_words(self) -> dict[str, frozenset[str]]:
        words: dict[str, set[str]] = {}
        for items in self.terms.values():
            for lang, term in items:
                words.setdefault(lang, set()).update(w for w in _WORD.findall(self._normalised[term]) if len(w) > 2)
        # a word several languages share ("cookies", "online") tells nothing about which one a page is in
        seen: dict[str, int] = {}
        for ws in words.values():
            for w in ws:
                seen[w] = seen.get(w, 0) + 1
        return {lang: frozenset(w for w in ws if seen[w] == 1) for lang, ws in words.items()}

    def count_terms(self, language: str, text: str) -> int:
        """How many distinct words of ``text`` only ``language``'s terms use (to tell a page's language)."""
        own = self._language_words.get(language, frozenset())
        return len(own.intersection(_WORD.findall(normalise(text))))

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted({lang for items in self.terms.values() for lang, _ in items}))


@functools.lru_cache(maxsize=1)
def markup_tokens() -> dict[str, frozenset[str]]:
    """Identifier words consent libraries use in their buttons' markup (``markup.json``): category -> tokens.
    Language-independent; a fallback for a button whose visible words the lexicon does not know."""
    data = json.loads((resources.files("auditor.lexicon") / "markup.json").read_text(encoding="utf-8"))
    return {cat: frozenset(t.lower() for t in terms) for cat, terms in data["categories"].items()}


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

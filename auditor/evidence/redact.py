"""Redaction of personal data in an evidence pack's files, before the pack is sealed (``--redact``).

A :class:`Redactor` holds what to redact: built-in *kinds* (:data:`KINDS`) and the user's regular expressions. Every
match is replaced by a fixed marker, ``[redacted:email]``, ``[redacted:phone]``, ``[redacted:card]``,
``[redacted:token]`` or ``[redacted:pattern:N]`` (N: the pattern's position among the user's patterns, from 1).
A marker contains none of ``<>&"'\\`` and no space, so it is valid text in HTML (element text and attribute
values), JSON strings, CSS, JavaScript strings, URLs and CSV; no kind matches a marker, and no rule (the user's
patterns included) is applied to a marker again, so redacting twice changes nothing and counts nothing.
:meth:`Redactor.counts` counts replacements by kind, never what was replaced.

The kinds (each written for the family of forms, and tested against look-alikes):

``email``
    ``local@domain.tld`` with the ``@`` also written ``%40`` (URLs, form bodies; ``%2540`` when encoded twice),
    ``&#64;`` / ``&#x40;`` / ``&commat;`` (HTML) or ``\\u0040`` / ``\\x40`` (JavaScript, JSON text); ``mailto:``
    links; internationalised local parts and domains; ``jane@example.org.png`` (a file named after an address:
    the extension is kept). Deliberately not: retina asset names (``logo@2x.png``, ``icon@1.5x.webp``), CSS
    at-rules (``@media``), package specifiers (``pkg@1.2.3``), MHTML content ids (``cid:...@mhtml.blink``),
    addresses without a dot in the domain (``root@localhost``), addresses spelt out (``jane at example dot
    org``) or written as HTML entities character by character.
``phone``
    International numbers, ``+`` (or ``%2B``) and 8 to 15 digits in groups separated by a space, ``-``, ``.``
    or ``%20``, with an area code in brackets allowed (``+44 20 7946 0958``, ``+1 (415) 555-0100``,
    ``+86 138 0013 8000``, ``+44 (0)20 7946 0958``, ``+4915123456789``); national numbers of 9 to 13 digits
    with separators, either with a trunk ``0`` (``020 7946 0958``, ``01 23 45 67 89``, ``030-1234567``), an
    area code in brackets (``(415) 555-0100``) or in the 3-3-4 / 3-4-4 shape (``415-555-0100``,
    ``138 0013 8000``); anything after ``tel:``. Deliberately not: dates (``2024-01-15``, ``01.02.2024``), ISO
    timestamps and time zones, prices (a currency next to the number, or a decimal part), version numbers and
    IP addresses, digit groups inside ids, hex, UUIDs or URL paths (a letter, ``/``, ``.``, ``-`` or ``_``
    directly before), lists of numbers (SVG paths, CSS values), bare digit runs without ``+``
    (``4915123456789``: could be any id), and 9-digit national numbers without a trunk ``0`` (Spain's
    ``612 345 678`` cannot be told from a number with thousands separators).
``card``
    Payment card numbers: 13 to 19 digits, written together or in groups (first group of 4, the others of 3 to
    6, one kind of separator, space or ``-``), starting with 2 to 6 (the issuers' ranges) and passing the Luhn
    check; a following expiry date (``4111 1111 1111 1111 12/25``) does not hide the number. Deliberately not:
    numbers failing Luhn, of one repeated digit, starting with 0, 1, 7, 8 or 9 (millisecond timestamps,
    snowflake ids), digit runs inside longer words or decimals. About one in ten random 16-digit numbers
    starting with 2 to 6 passes Luhn: such ids are redacted too.
``token``
    ``Bearer`` tokens; JWTs (``eyJ...eyJ...``, three parts, or five for JWE); well-known key formats (Google
    ``AIza...``, GitHub ``ghp_...``, Slack ``xox?-...``, Stripe ``sk_live_...``, AWS ``AKIA...``); the value of
    anything whose *name* looks secret (session, sess, sid, token, auth (not author/authority), jwt, csrf, xsrf,
    api key, secret, password, passwd, pwd, credential, signature, otp, ...): in text ``name=value`` (also
    ``%3D``-encoded), ``"name": "value"`` / ``name = 'value'``, header lines ``Name: value``, and
    ``<input name=... value=...>`` / ``<meta name=... content=...>`` (and any ``<input type=password>``); in JSON
    an object key's value and a ``{"name": ..., "value": ...}`` pair (HAR headers, cookies, query strings, form
    parameters; Playwright cookies and storage; a trace snapshot's ``<input>`` attributes, any ``type: password``
    one included), and the ``value`` next to a ``selector`` naming such a field (a trace's ``fill``). A secret
    value found by its name that looks random is also redacted wherever it appears again as it is, in this and
    the files redacted after it (a trace logs ``fill("...")``). Long high-entropy strings (32 or more characters of
    base64/hex, mixed classes) only in HAR header values and cookie values (``headers`` / ``cookies`` lists),
    never in page text, where they are hashes and class names. Deliberately not: short or all-letter words after
    "bearer" ("bearer of this card").

User patterns are compiled as given (``re:`` may prefix one, and must, to use a kind's name as a pattern) and
applied after the kinds; one that can match the empty string is a usage error.

Files (:func:`redact_file`, :func:`redact_tree`), by extension then by sniffing; each stays a valid file of its
type, and a file nothing matched in is left byte for byte as it was:

* text (``.txt .log .html .htm .css .js .csv .md .xml .svg``): UTF-8, undecodable bytes kept as they are;
* JSON (``.json``, ``.har``): every string and key (and integer: a card number may be one) after parsing, dumped
  back in the original's layout (indent or compact); ``.jsonl`` (and a trace's ``trace.trace``): line by line.
  Embedded bodies (HAR ``content`` and ``postData``, any object with ``text`` and ``mimeType``): base64 ones are
  decoded when textual (by MIME type, or valid UTF-8 when the type says nothing), redacted and encoded again
  with ``size`` fixed; JSON bodies are redacted as JSON, form bodies value by value (``+`` and ``%XX``
  decoded); images, fonts, media are never touched;
* MHTML (``.mhtml``, ``.mht``): each part decoded (quoted-printable, so an address split by a soft line break
  is found; base64 when textual), redacted and encoded again with the same transfer encoding and CRLF lines;
  the top ``Subject`` and ``Snapshot-Content-Location`` and each part's ``Content-Location`` too (a resource's
  address and the markup's reference to it are redacted alike, so the archive still resolves them); boundary,
  other headers and untouched parts are kept byte for byte;
* ZIP (``.zip``, e.g. a Playwright trace): every member by the same rules, names, order, dates and compression
  kept;
* images, PDF, fonts, media, archives other than ZIP: left alone (screenshots are painted over elsewhere; the PDF
  report is printed again from the redacted HTML).

File *names* are not changed by :func:`redact_tree` (a pack's files cite each other by name); :func:`redact_name`
gives a file name's redacted form (``redacted-email``: no brackets or colon in names) for the code that names
files.
"""

from __future__ import annotations

import base64
import binascii
import copy
import io
import json
import math
import os
import re
import zipfile
from collections import Counter
from pathlib import Path
from urllib.parse import quote_plus, unquote_plus

from auditor.errors import UsageError

KINDS = ("email", "phone", "card", "token")

MARK_RE = re.compile(r"\[redacted:([a-z]+(?::\d+)?)\]")
_MARK_SPLIT = re.compile(r"(\[redacted:[a-z]+(?::\d+)?\])")


def marker(label: str) -> str:
    """The text that replaces a match of ``label`` ("email", ..., "pattern:2")."""
    return f"[redacted:{label}]"


# --------------------------------------------------------------------------- names that look secret

_SECRET_NAME = re.compile(
    r"sess(?:ion|id)|(?<![a-z])sess|token|secret|passw|passphrase|pwd|csrf|xsrf|jwt|credential|signature"
    r"|api[-_.]?key|access[-_.]?key|private[-_.]?key|secret[-_.]?key|subscription[-_.]?key"
    r"|auth(?!ors?(?![a-z])|orit)|bearer"
    r"|(?<![a-z])sid(?![a-z])|sid$|(?<![a-z])(?:otp|sig|pw|pass)(?![a-z])")


def is_secret_name(name: str) -> bool:
    """Whether a cookie, header, parameter or key called ``name`` holds a secret (``PHPSESSID``, ``connect.sid``,
    ``XSRF-TOKEN``, ``x-api-key``, ``Authorization``, ``client_secret``, ``password``); not ``author``,
    ``:authority``, ``consider``, ``assessment``."""
    return bool(name) and _SECRET_NAME.search(name.lower()) is not None


# --------------------------------------------------------------------------- the kinds' rules

# email: found from the "@" outwards (a regex scanning every word for a local part would be quadratic on long runs)
_AT_RE = re.compile(r"@|%(?:25)?40|&#0*64;|&#[xX]0*40;|&commat;|\\u0040|\\x40")
_LOCAL_RE = re.compile(r"[\w%+\-]+(?:\.[\w%+\-]+)*\Z")
_DOMAIN_RE = re.compile(r"(?:[^\W_](?:[^\W_]|-){0,62}\.){1,10}(?:xn--[a-z0-9\-]{1,59}|[^\W\d_]{2,63})(?![^\W_]|-)",
                        re.I)
_TLD_RE = re.compile(r"xn--[a-z0-9\-]{1,59}|[^\W\d_]{2,63}", re.I)
# extensions that are not top-level domains: "name@example.org.png" keeps ".png", "logo@2x.png" is no address
_FILE_EXTS = frozenset("""png jpg jpeg gif webp avif svg ico bmp tif tiff heic css js mjs cjs map json jsonl html htm
    xhtml php asp aspx jsp txt csv md pdf woff woff2 ttf otf eot mp3 mp4 webm ogg wav m4a gz br zst wasm har mhtml
    yml yaml ts tsx jsx""".split())
_RETINA_RE = re.compile(r"\d+(?:\.\d+)?x(?:\.|$)", re.I)

_SEP = r"(?:[ \t\u00a0.\-]|%20)"
_PHONE_RE = re.compile(
    rf"(?P<intl>(?:\+|%2[Bb])\d{{1,15}}(?!\d)(?:{_SEP}?(?:\(\d{{1,5}}\)|\d{{1,12}}(?!\d))){{0,10}})"
    rf"|(?P<brackets>\(\d{{2,5}}\){_SEP}?\d{{3,4}}{_SEP}?\d{{3,4}}(?!\d))"
    rf"|(?P<trunk>0\d{{1,4}}(?!\d)(?:{_SEP}\d{{2,8}}(?!\d)){{1,4}})"
    rf"|(?P<plain>[1-9]\d{{2}}{_SEP}\d{{3,4}}{_SEP}\d{{4}}(?!\d))")
_TEL_RE = re.compile(r"(?i)(?<=tel:)[+\d().\- ]{6,}\d|(?<=tel%3a)(?:%2b)?[\d().\-]{6,}\d")
_CURRENCY = re.compile(r"(?:[$€£¥₹₽₩]|\b(?:EUR|USD|GBP|CHF|JPY|CNY|SEK|NOK|DKK|PLN|CAD|AUD|INR)\b)")
_DATE_PARTS = re.compile(r"\d+")

_CARD_RE = re.compile(r"(?<![\w.,+\-])\d(?:[ \-]?\d){12,18}(?!\d)")

_BEARER_RE = re.compile(r"(?i)(?<![a-z])bearer(?:[ \t]+|%20)([A-Za-z0-9\-._~+/]{12,}=*)")
_JWT_RE = re.compile(r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{8,}(?:\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"
                     r"|(?:\.[A-Za-z0-9_\-]*){3}\.[A-Za-z0-9_\-]{8,})")
_KNOWN_TOKEN_RE = re.compile(
    r"(?<![A-Za-z0-9_\-])(?:AIza[0-9A-Za-z_\-]{35}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}"
    r"|xox[abposr]-[A-Za-z0-9\-]{10,}|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}|(?:AKIA|ASIA)[0-9A-Z]{16})"
    r"(?![A-Za-z0-9_\-])")
_TAG_RE = re.compile(r"""<(?:input|meta)\b(?:[^<>"']|"[^"]*"|'[^']*')*>""", re.I)
_ATTR_RE = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_QKV_RE = re.compile(r"""(?<![\w$.\-])(["']?)([A-Za-z_$][\w$.\-]{0,63})\1[ \t]*[:=][ \t]*"""
                     r"""(?:"((?:[^"\\\r\n]|\\.)+)"|'((?:[^'\\\r\n]|\\.)+)')""")
_KV_VALUE = r"""[^\s&;"'<>#,\\\[\](){}|]"""
_KV_RE = re.compile(rf"(?<![\w.\-\[\]%])([A-Za-z_][\w.\-\[\]]{{0,63}})=(?!=)({_KV_VALUE}+)")
_KV_ENC_RE = re.compile(rf"(?:%3[Ff]|%26|%3[Bb]%20|%3[Bb])([A-Za-z_][\w.\-]{{0,63}})%3[Dd]((?:(?!%26|%3[Bb]){_KV_VALUE})+)")
_HEADER_LINE_RE = re.compile(r"(?m)^[ \t]*([A-Za-z][A-Za-z0-9_\-]{1,63})[ \t]*:[ \t]*([^\s<>\"'][^\r\n<>\"']*?)[ \t]*\r?$")
_ENTROPY_RE = re.compile(r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{32,}={0,2}")
_PAIR_VALUE_KEYS = ("value", "content", "__playwright_value_")
#: headers whose long random-looking values are content hashes, not secrets
_PUBLIC_HASH_HEADERS = frozenset(("etag", "if-none-match", "if-match", "content-security-policy",
                                  "content-security-policy-report-only", "digest", "content-digest", "repr-digest",
                                  "want-digest", "content-md5", "x-content-sha256", "x-amz-content-sha256"))
_ESCAPE_NEAR = re.compile(r"\\(?:u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|.)", re.S)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _entropy(s: str) -> float:
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def _looks_random(s: str) -> bool:
    """A token rather than a word: digits among letters, or upper and lower case beyond a capital initial."""
    has_digit = any(c.isdigit() for c in s)
    has_alpha = any(c.isalpha() for c in s)
    has_upper = any(c.isupper() for c in s[1:])
    has_lower = any(c.islower() for c in s)
    return (has_digit and has_alpha) or (has_upper and has_lower)


def _high_entropy(s: str) -> bool:
    core = s.rstrip("=")
    if len(core) < 32:
        return False
    classes = sum((any(c.islower() for c in core), any(c.isupper() for c in core), any(c.isdigit() for c in core)))
    return classes >= 2 and _looks_random(core) and _entropy(core) >= 3.0


def _is_date(groups: list[str]) -> bool:
    if len(groups) != 3:
        return False
    nums = [int(g) for g in groups]
    years = [i for i, g in enumerate(groups) if len(g) == 4 and 1900 <= int(g) <= 2099]
    if len(years) != 1 or years[0] == 1:
        return False
    rest = [n for i, n in enumerate(nums) if i != years[0]]
    return all(1 <= n <= 31 for n in rest) and min(rest) <= 12


def _left_ok(s: str, start: int) -> bool:
    """Nothing that makes the match part of a longer word, number, id or path directly before it."""
    if start == 0:
        return True
    if start >= 3 and re.fullmatch(r"%[0-9A-Fa-f]{2}", s[start - 3:start]):
        return True
    c = s[start - 1]
    return not (c.isalnum() or c in "_.,/+-@#")


def _right_ok(s: str, end: int, joiners: str = ".,-") -> bool:
    """Nothing that makes the match part of a longer word or number directly after it."""
    if end >= len(s):
        return True
    c = s[end]
    if c.isalnum() or c == "_":
        return False
    return not (c in joiners and end + 1 < len(s) and s[end + 1].isdigit())


def _near_currency(s: str, start: int, end: int) -> bool:
    """A currency sign or code just before or after (a space between allowed): a price, not a phone number."""
    before = s[max(0, start - 5):start].rstrip()
    return bool(before and _CURRENCY.search(before[-3:])) or bool(_CURRENCY.match(s[end:end + 5].lstrip()))


# --------------------------------------------------------------------------- MIME types


def _mime(m) -> str:
    return str(m or "").split(";")[0].strip().lower()


def textual_mime(m) -> bool:
    """text/*, JSON, JavaScript, XML (SVG included) and form bodies."""
    m = _mime(m)
    return (m.startswith("text/") or "json" in m or "javascript" in m or "ecmascript" in m or m.endswith("xml")
            or m.endswith("+xml") or m in ("application/x-www-form-urlencoded", "application/graphql",
                                            "message/rfc822", "multipart/related", "multipart/form-data"))


def binary_mime(m) -> bool:
    """Images (not SVG), audio, video, fonts, PDF, archives, WebAssembly, protobuf: never decoded."""
    m = _mime(m)
    if m == "image/svg+xml":
        return False
    return (m.split("/")[0] in ("image", "audio", "video", "font") or "font" in m
            or m in ("application/pdf", "application/zip", "application/gzip", "application/wasm",
                     "application/x-protobuf", "application/protobuf", "application/grpc", "application/x-tar",
                     "application/vnd.ms-fontobject"))


_BINARY_MAGIC = (b"\x89PNG\r\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"%PDF-", b"wOFF", b"wOF2", b"\x1f\x8b\x08",
                 b"\x00\x00\x01\x00", b"OggS\x00", b"\x1aE\xdf\xa3", b"\x00asm", b"7z\xbc\xaf", b"(\xb5/\xfd",
                 b"\xfd7zXZ", b"\x00\x01\x00\x00\x00", b"OTTO")


def _binary_magic(data: bytes) -> bool:
    if data.startswith(_BINARY_MAGIC):
        return True
    if data[:4] == b"RIFF" and data[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return True
    return data[4:8] == b"ftyp"  # MP4, AVIF, HEIC


# --------------------------------------------------------------------------- the redactor


class Redactor:
    """What to redact: ``kinds`` (a subset of :data:`KINDS`) and ``patterns`` (regular expressions, as given).

    :meth:`text` redacts a string and counts what it replaced; :meth:`counts` tells how many by kind. Build one
    with :func:`parse` from the command line's ``--redact`` values, or directly."""

    def __init__(self, kinds=(), patterns=()):
        kinds = tuple(dict.fromkeys(str(k).strip().lower() for k in kinds))
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise UsageError(f"--redact {unknown[0]!r}: not a kind of personal data (one of {', '.join(KINDS)})")
        self.kinds: tuple[str, ...] = kinds
        self.patterns: tuple[str, ...] = tuple(patterns)
        self._compiled = [_compile(p) for p in self.patterns]
        self._tokens = "token" in kinds
        self._counts: Counter = Counter()
        self._learned: set[str] = set()  # secret values met by name (see _secret_value)
        self._learned_rx = None

    def __repr__(self) -> str:
        return f"Redactor(kinds={self.kinds!r}, patterns=<{len(self.patterns)}>)"

    @property
    def active(self) -> bool:
        """Whether there is anything to redact at all."""
        return bool(self.kinds or self.patterns)

    def labels(self) -> list[str]:
        """The counters' names: the kinds asked for, then ``pattern:1``, ``pattern:2``, ..."""
        return list(self.kinds) + [f"pattern:{i}" for i in range(1, len(self.patterns) + 1)]

    def counts(self) -> dict[str, int]:
        """Replacements so far by kind (every kind asked for and every pattern, zeros included). Never a value."""
        return {label: self._counts.get(label, 0) for label in self.labels()}

    def total(self) -> int:
        return sum(self._counts.values())

    def text(self, s: str) -> str:
        """``s`` with every match replaced by its marker; counted."""
        return self._text(s)

    def matches(self, s: str) -> bool:
        """Whether :meth:`text` would change ``s``; counts nothing."""
        probe = copy.copy(self)
        probe._counts = Counter()
        probe._learned = set(self._learned)
        return probe._text(s) != s

    # ---------------------------------------------------------------- strings

    def _text(self, s: str, header: bool = False) -> str:
        if not s or not isinstance(s, str):
            return s
        if self._tokens:
            s = self._apply(s, self._token_rules, header)
        if "email" in self.kinds and _AT_RE.search(s):
            s = self._apply(s, _find_emails)
        if "card" in self.kinds or "phone" in self.kinds:
            digits = sum(c.isdigit() for c in s) if len(s) < 4096 else 99
            if "card" in self.kinds and digits >= 13:
                s = self._apply(s, _find_cards)
            if "phone" in self.kinds and digits >= 8:
                s = self._apply(s, _find_phones)
        for i, rx in enumerate(self._compiled, 1):
            label = f"pattern:{i}"
            s = self._apply(s, lambda seg, rx=rx, label=label: [(m.start(), m.end(), label, marker(label))
                                                                  for m in rx.finditer(seg) if m.end() > m.start()])
        return s

    def _apply(self, s: str, finder, *args) -> str:
        """Run ``finder`` on every stretch of ``s`` between markers and splice in its replacements.

        ``finder(segment, *args)`` returns ``(start, end, label, replacement)`` tuples, in order, not overlapping.
        A match must not begin inside a backslash escape (``\\n``, ``\\u00e9``): its start moves past the escape,
        so JSON and JavaScript string text stays valid."""
        if "[redacted:" in s:
            pieces = _MARK_SPLIT.split(s)
            return "".join(p if i % 2 else self._apply(p, finder, *args) for i, p in enumerate(pieces))
        found = finder(s, *args)
        if not found:
            return s
        out, pos = [], 0
        for start, end, label, repl in found:
            if start < pos:
                continue
            start = _past_escape(s, start)
            if start >= end:
                continue
            out.append(s[pos:start])
            out.append(repl)
            self._counts[label] += 1
            pos = end
        out.append(s[pos:])
        return "".join(out)

    def _token_rules(self, s: str, header: bool) -> list:
        found: list = self._learned_rules(s)
        if "earer" in s or "EARER" in s:
            found += [(m.start(1), m.end(1), "token", marker("token")) for m in _BEARER_RE.finditer(s)
                      if _looks_random(m.group(1))]
        if "eyJ" in s:
            found += [(m.start(), m.end(), "token", marker("token")) for m in _JWT_RE.finditer(s)]
        found += [(m.start(), m.end(), "token", marker("token")) for m in _KNOWN_TOKEN_RE.finditer(s)]
        if "<" in s:
            for m in _TAG_RE.finditer(s):
                found += _secret_tag(m)
        if ":" in s or "=" in s:
            for m in _QKV_RE.finditer(s):
                g = 3 if m.group(3) is not None else 4
                if is_secret_name(m.group(2)):
                    found.append((m.start(g), m.end(g), "token", marker("token")))
        if "=" in s:
            found += [(m.start(2), m.end(2), "token", marker("token")) for m in _KV_RE.finditer(s)
                      if is_secret_name(m.group(1))]
        if "%3" in s:
            found += [(m.start(2), m.end(2), "token", marker("token")) for m in _KV_ENC_RE.finditer(s)
                      if is_secret_name(m.group(1))]
        if ":" in s:
            found += [(m.start(2), m.end(2), "token", marker("token")) for m in _HEADER_LINE_RE.finditer(s)
                      if is_secret_name(m.group(1))]
        if header:
            found += [(m.start(), m.end(), "token", marker("token")) for m in _ENTROPY_RE.finditer(s)
                      if _high_entropy(m.group(0))]
        return _disjoint(found)

    def _secret_value(self, v: str) -> str:
        """A secret's whole value replaced. A random-looking one is also remembered, and redacted wherever it
        turns up later as it is (a trace logs ``fill("...")`` after the action that named the field)."""
        if not v or MARK_RE.fullmatch(v):
            return v
        self._counts["token"] += 1
        if len(v) >= 6 and _looks_random(v) and "[redacted:" not in v:
            self._learned.add(v)
        return marker("token")

    def _learned_rules(self, s: str) -> list:
        if not self._learned:
            return []
        if self._learned_rx is None or self._learned_rx[0] != len(self._learned):
            alts = "|".join(re.escape(x) for x in sorted(self._learned, key=len, reverse=True))
            self._learned_rx = (len(self._learned), re.compile(alts))
        return [(m.start(), m.end(), "token", marker("token")) for m in self._learned_rx[1].finditer(s)]

    # ---------------------------------------------------------------- JSON

    def _walk(self, v, header: bool = False, key=None):
        """A JSON value with every string (and key) redacted; a secret-named key's or pair's value replaced."""
        if isinstance(v, str):
            if self._tokens and isinstance(key, str) and is_secret_name(key):
                return self._secret_value(v)
            return self._text(v, header)
        if isinstance(v, bool) or v is None or isinstance(v, float):
            return v
        if isinstance(v, int):
            if self._tokens and isinstance(key, str) and is_secret_name(key) and abs(v) >= 1000:
                return self._secret_value(str(v))
            s = str(v)
            t = self._text(s)
            return v if t == s else t
        if isinstance(v, list):
            return [self._walk(x, header, key) for x in v]
        if not isinstance(v, dict):
            return v
        name = v.get("name")
        pair = isinstance(name, str) and "value" in v
        # a named thing's value: HAR headers, cookies, query and form parameters, storage entries, and the
        # attributes of an <input>/<meta> in a Playwright trace snapshot (``__playwright_value_``: the live value)
        selector = v.get("selector")
        secret = self._tokens and (
            (isinstance(name, str) and is_secret_name(name)) or str(v.get("type", "")).lower() == "password"
            or (isinstance(selector, str) and is_secret_name(selector)))  # a trace's fill into #password
        body = isinstance(v.get("text"), str) and ("mimeType" in v or "encoding" in v)
        out: dict = {}
        delta = 0
        for k, x in v.items():
            if secret and k in _PAIR_VALUE_KEYS and isinstance(x, str):
                nx = self._secret_value(x)
            elif pair and k == "value":
                if isinstance(x, str):
                    nx = self._text(x, header and name.lower() not in _PUBLIC_HASH_HEADERS)
                else:
                    nx = self._walk(x, False, name)
            elif pair and k == "name":
                nx = self._text(x)
            elif body and k == "text":
                nx, delta = self._body(x, v.get("mimeType"), v.get("encoding"))
            else:
                nx = self._walk(x, k in ("headers", "cookies"), k)
            nk = self._text(k) if isinstance(k, str) else k
            n = 2
            base = nk
            while nk in out:
                nk, n = f"{base} #{n}", n + 1
            out[nk] = nx
        if delta and isinstance(out.get("size"), int) and not isinstance(out.get("size"), bool) and out["size"] >= 0:
            out["size"] = max(0, out["size"] + delta)
        return out

    def _json_text(self, s: str):
        """Redacted JSON text in the original's layout, or None when ``s`` is not JSON."""
        try:
            data = json.loads(s)
        except (ValueError, RecursionError):
            return None
        before = self.total()
        new = self._walk(data)
        if self.total() == before:
            return s
        return _dump_like(new, s)

    def _body(self, text: str, mime, encoding) -> tuple[str, int]:
        """An embedded body (HAR content or postData): the new text and the change of its decoded size."""
        if binary_mime(mime):
            return text, 0
        if str(encoding or "").lower() == "base64":
            try:
                raw = base64.b64decode(text, validate=False)
            except (binascii.Error, ValueError):
                return text, 0
            if _binary_magic(raw):
                return text, 0
            try:
                decoded = raw.decode("utf-8")
            except UnicodeDecodeError:
                if not textual_mime(mime):
                    return text, 0
                decoded = raw.decode("utf-8", "surrogateescape")
            if not textual_mime(mime) and "\x00" in decoded:
                return text, 0
            new = self._body_str(decoded, mime)
            if new == decoded:
                return text, 0
            new_raw = new.encode("utf-8", "surrogateescape")
            return base64.b64encode(new_raw).decode("ascii"), len(new_raw) - len(raw)
        new = self._body_str(text, mime)
        if new == text:
            return text, 0
        return new, len(new.encode("utf-8", "surrogateescape")) - len(text.encode("utf-8", "surrogateescape"))

    def _body_str(self, s: str, mime) -> str:
        m = _mime(mime)
        if "json" in m or (not m and s.lstrip()[:1] in ("{", "[")):
            new = self._json_text(s)
            if new is not None:
                return new
        if m == "application/x-www-form-urlencoded":
            return self._form(s)
        return self._text(s)

    def _form(self, s: str) -> str:
        """``a=1&b=2`` value by value, each decoded (``+``, ``%XX``) first."""
        if "\n" in s.strip() or " " in s.strip():
            return self._text(s)
        out = []
        for part in s.split("&"):
            name, eq, value = part.partition("=")
            dname = unquote_plus(name)
            if eq and self._tokens and is_secret_name(dname) and value:
                out.append(f"{name}={self._secret_value(value)}")
                continue
            dvalue = unquote_plus(value)
            new_name = self._text(dname)
            new_value = self._text(dvalue)
            name = quote_plus(new_name, safe="[]:") if new_name != dname else name
            value = quote_plus(new_value, safe="[]:") if new_value != dvalue else value
            out.append(f"{name}{eq}{value}")
        return "&".join(out)

    # ---------------------------------------------------------------- bytes of a file

    def _bytes(self, name: str, data: bytes) -> bytes:
        """The redacted bytes of a file called ``name`` (its kind from the extension, or sniffed)."""
        kind = _file_kind(name, data)
        if kind == "binary":
            return data
        if kind == "zip":
            return self._zip(data)
        if kind == "mhtml":
            return self._mhtml(data)
        text = data.decode("utf-8", "surrogateescape")
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        text = text[len(bom):]
        if kind == "json":
            new = self._json_text(text)
            if new is None:
                new = self._jsonl(text) if "\n" in text.strip() else self._text(text)
        elif kind == "jsonl":
            new = self._json_text(text)  # one document (a trace's stacks) or lines of documents
            if new is None:
                new = self._jsonl(text)
        else:
            new = self._text(text)
        if new == text:
            return data
        return (bom + new).encode("utf-8", "surrogateescape")

    def _jsonl(self, text: str) -> str:
        lines = text.split("\n")
        out = []
        for line in lines:
            body = line.rstrip("\r")
            new = self._json_text(body) if body.strip() else body
            if new is None:
                new = self._text(body)
            out.append(new + line[len(body):])
        return "\n".join(out)

    def _zip(self, data: bytes) -> bytes:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zin:
                members = [(info, zin.read(info)) for info in zin.infolist()]
                comment = zin.comment
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError, ValueError):
            return data  # encrypted, damaged or compressed in a way Python cannot read: left as it is
        changed = False
        new_members = []
        for info, body in members:
            new = body if info.is_dir() else self._bytes(info.filename, body)
            changed = changed or new != body
            new_members.append((info, new))
        if not changed:
            return data
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zout:
            zout.comment = comment
            for info, body in new_members:
                zout.writestr(info, body, compress_type=info.compress_type)
        return buf.getvalue()

    def _mhtml(self, data: bytes) -> bytes:
        return _Mhtml(self).redact(data)


def _compile(pattern: str):
    try:
        rx = re.compile(pattern)
    except (re.error, TypeError, ValueError, OverflowError, RecursionError) as exc:
        raise UsageError(f"--redact {pattern!r}: not a valid regular expression ({exc})") from None
    if rx.match("") is not None:
        raise UsageError(f"--redact {pattern!r}: matches the empty string (it would redact nothing and everything)")
    return rx


def _disjoint(found: list) -> list:
    """Matches in order; where two overlap, the one starting first (then the longer) wins."""
    found.sort(key=lambda t: (t[0], -t[1]))
    out, end = [], -1
    for t in found:
        if t[0] >= end:
            out.append(t)
            end = t[1]
    return out


def _past_escape(s: str, start: int) -> int:
    """``start`` moved past a backslash escape it falls inside (``\\njane`` starts at ``j``)."""
    if start == 0 or "\\" not in s[max(0, start - 6):start]:
        return start
    lo = max(0, start - 6)
    for m in _ESCAPE_NEAR.finditer(s, lo, min(len(s), start + 6)):
        if m.start() < start < m.end():
            return m.end()
    return start


def _secret_tag(m) -> list:
    """An ``<input>``/``<meta>`` whose name (or id) looks secret, or a password field: its value/content."""
    tag = m.group(0)
    attrs = {}
    for a in _ATTR_RE.finditer(tag, 1):
        g = next((i for i in (2, 3, 4) if a.group(i) is not None), None)
        attrs.setdefault(a.group(1).lower(), (a.group(g), a.start(g), a.end(g)) if g else ("", -1, -1))
    secret = any(is_secret_name(attrs.get(k, ("",))[0]) for k in ("name", "id", "property", "http-equiv")) \
        or attrs.get("type", ("",))[0].lower() == "password"
    if not secret:
        return []
    out = []
    for k in ("value", "content"):
        value, start, end = attrs.get(k, ("", -1, -1))
        if value and start >= 0 and not MARK_RE.fullmatch(value):
            out.append((m.start() + start, m.start() + end, "token", marker("token")))
    return out


def _find_emails(s: str) -> list:
    out = []
    last = 0
    for at in _AT_RE.finditer(s):
        if at.start() < last:
            continue
        window_start = max(last, at.start() - 128)
        local = _LOCAL_RE.search(s, window_start, at.start())
        if local is None:
            continue
        dom = _DOMAIN_RE.match(s, at.end())
        if dom is None:
            continue
        start = local.start()
        if s[max(0, start - 4):start].lower() in ("cid:", "mid:"):
            continue
        domain = dom.group(0)
        if _RETINA_RE.match(domain):
            continue
        labels = domain.split(".")
        while len(labels) > 2 and labels[-1].lower() in _FILE_EXTS:
            labels.pop()
        if labels[-1].lower() in _FILE_EXTS or not _TLD_RE.fullmatch(labels[-1]):
            continue
        kept = ".".join(labels)
        if kept.lower() == "mhtml.blink" or kept.lower().endswith(".mhtml.blink") or len(kept) > 253:
            continue
        end = at.end() + len(kept)
        out.append((start, end, "email", marker("email")))
        last = end
    return out


def _find_cards(s: str) -> list:
    out = []
    for m in _CARD_RE.finditer(s):
        txt = m.group(0)
        seps = set(re.findall(r"[ \-]", txt))
        if len(seps) > 1:
            continue
        groups = re.split(r"[ \-]", txt) if seps else [txt]
        # the longest prefix of whole groups that is a card number ("... 1111 12/25" is a number and an expiry)
        for n in range(len(groups), 0, -1):
            digits = "".join(groups[:n])
            if not 13 <= len(digits) <= 19:
                continue
            if len(groups) > 1 and (len(groups[0]) != 4 or any(not 3 <= len(g) <= 6 for g in groups[1:n - 1])
                                    or len(groups[n - 1]) > 6):
                continue
            if digits[0] not in "23456" or len(set(digits)) == 1 or not _luhn(digits):
                continue
            end = m.start() + len(" ".join(groups[:n]))
            if not _right_ok(s, end):
                continue
            out.append((m.start(), end, "card", marker("card")))
            break
    return out


def _find_phones(s: str) -> list:
    out = [(m.start(), m.end(), "phone", marker("phone")) for m in _TEL_RE.finditer(s)]
    for m in _PHONE_RE.finditer(s):
        start, end, txt = m.start(), m.end(), m.group(0)
        if not _left_ok(s, start) or not _right_ok(s, end, ".,-:/"):
            continue
        plain = re.sub(r"%2[0Bb]", " ", txt)
        groups = _DATE_PARTS.findall(plain)
        digits = "".join(groups)
        if m.lastgroup == "intl":
            if len(digits) > 15:  # a longer run of numbers: the first 15 digits' worth of whole groups
                keep, total = 0, 0
                for g in re.finditer(r"\(?\d+\)?", txt):
                    n = sum(c.isdigit() for c in g.group(0))
                    if total + n > 15:
                        break
                    total, keep = total + n, g.end()
                if total < 8:
                    continue
                end = start + keep
            elif len(digits) < 8:
                continue
        else:
            if not 9 <= len(digits) <= 13 or _is_date(groups[:3]) or _is_date(groups[-3:]):
                continue
            if start >= 2 and s[start - 1] in " \t.-" and s[start - 2].isdigit():
                continue  # one of a list of numbers (SVG path data, CSS values)
            if m.lastgroup == "plain" and end + 1 < len(s) and s[end] in " \t.-" and s[end + 1].isdigit():
                continue
        if _near_currency(s, start, end):
            continue
        out.append((start, end, "phone", marker("phone")))
    return _disjoint(out)


# --------------------------------------------------------------------------- JSON layout


def _dump_like(obj, original: str) -> str:
    """``obj`` as JSON in ``original``'s layout: its indent (or none), its separators, its final newline."""
    body = original.strip()
    if "\n" in body:
        m = re.search(r"\n([ \t]+)[\"\[{\]}\w-]", body)
        indent = (m.group(1) if m and m.group(1).startswith("\t") else len(m.group(1))) if m else 1
        text = json.dumps(obj, ensure_ascii=False, indent=indent)
    elif re.search(r"\"\s*:\s|,\s", body):
        text = json.dumps(obj, ensure_ascii=False)
    else:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    lead = original[:len(original) - len(original.lstrip())]
    trail = original[len(original.rstrip()):]
    return lead + text + trail


# --------------------------------------------------------------------------- MHTML

_HEADER_END = re.compile(rb"(\r?\n)(\r?\n)")


def _split_head(data: bytes):
    """(headers with their last EOL, the blank line, the rest), or (None, None, None) without a blank line. A
    part that starts with the blank line has no headers."""
    if data[:2] == b"\r\n" or data[:1] == b"\n":
        n = 2 if data[:2] == b"\r\n" else 1
        return b"", data[:n], data[n:]
    m = _HEADER_END.search(data)
    if m is None:
        return None, None, None
    return data[:m.end(1)], m.group(2), data[m.end():]


class _Mhtml:
    """A MIME multipart/related archive as Chromium writes it (``Page.captureSnapshot``), redacted part by part.

    Only what changes is written anew; the boundary, the other headers and untouched parts keep their bytes."""

    TOP_HEADERS = ("subject", "snapshot-content-location", "content-location")
    PART_HEADERS = ("content-location", "subject")

    def __init__(self, r: Redactor):
        self.r = r

    def redact(self, data: bytes) -> bytes:
        from email import policy
        from email.parser import BytesHeaderParser
        head, blank, rest = _split_head(data)
        if head is None:
            return data
        msg = BytesHeaderParser(policy=policy.compat32).parsebytes(head + blank)
        new_head = self._headers(head, self.TOP_HEADERS)
        boundary = msg.get_boundary() if msg.get_content_maintype() == "multipart" else None
        if not boundary:
            return new_head + blank + self._body(rest, msg)
        # the blank line's EOL may be the first delimiter's own (no preamble): search from it
        rest = blank + rest
        delim = re.compile(rb"\r?\n--" + re.escape(boundary.encode("latin-1")) + rb"(--)?[ \t]*(?:\r?\n|\Z)")
        matches = list(delim.finditer(rest))
        if not matches:
            return data
        out = [new_head, rest[:matches[0].start()]]  # the headers, the preamble
        for i, dm in enumerate(matches):
            out.append(dm.group(0))
            if dm.group(1):  # the close delimiter: the epilogue follows as it is
                out.append(rest[dm.end():])
                break
            part_end = matches[i + 1].start() if i + 1 < len(matches) else len(rest)
            out.append(self._part(rest[dm.end():part_end]))
        return b"".join(out)

    def _part(self, part: bytes) -> bytes:
        from email import policy
        from email.parser import BytesHeaderParser
        head, blank, body = _split_head(part)
        if head is None:
            return part
        msg = BytesHeaderParser(policy=policy.compat32).parsebytes(head + blank)
        return self._headers(head, self.PART_HEADERS) + blank + self._body(body, msg)

    def _body(self, body: bytes, msg) -> bytes:
        ctype = msg.get_content_type()
        cte = str(msg.get("Content-Transfer-Encoding", "")).strip().lower()
        if binary_mime(ctype):
            return body
        if cte == "quoted-printable":
            raw = binascii.a2b_qp(body)
        elif cte == "base64":
            try:
                raw = base64.b64decode(body, validate=False)
            except (binascii.Error, ValueError):
                return body
        else:
            raw = body
        if _binary_magic(raw):
            return body
        if not textual_mime(ctype):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return body
        text = raw.decode("utf-8", "surrogateescape")
        new = self.r._body_str(text, ctype) if "json" in ctype or ctype.endswith("form-urlencoded") \
            else self.r._text(text)
        if new == text:
            return body
        new_raw = new.encode("utf-8", "surrogateescape")
        if cte == "quoted-printable":
            return qp_encode(new_raw)
        if cte == "base64":
            b64 = base64.b64encode(new_raw)
            lines = b"\r\n".join(b64[i:i + 76] for i in range(0, len(b64), 76))
            return lines + (b"\r\n" if body.endswith(b"\n") else b"")
        return new_raw

    def _headers(self, raw: bytes, names) -> bytes:
        """Header lines with the named ones' values redacted (RFC 2047 words decoded and encoded again)."""
        from email.header import Header, decode_header, make_header
        lines = raw.splitlines(keepends=True)
        groups: list[list[bytes]] = []
        for line in lines:
            if line[:1] in (b" ", b"\t") and groups:
                groups[-1].append(line)
            else:
                groups.append([line])
        out = []
        for g in groups:
            first = g[0]
            name, colon, _ = first.partition(b":")
            if not colon or name.strip().lower().decode("latin-1") not in names:
                out.append(b"".join(g))
                continue
            eol = b"\r\n" if first.endswith(b"\r\n") else b"\n"
            value = b"".join(g).partition(b":")[2].decode("utf-8", "surrogateescape")
            value = re.sub(r"\r?\n(?=[ \t])", "", value).strip()
            encoded = "=?" in value
            if encoded:
                try:
                    decoded = str(make_header(decode_header(value)))
                except (ValueError, LookupError, UnicodeError):
                    decoded = value
            else:
                decoded = value
            new = self.r._text(decoded)
            if new == decoded:
                out.append(b"".join(g))
                continue
            hname = name.decode("latin-1").strip()
            if encoded or not new.isascii():
                text = Header(new, "utf-8", header_name=hname).encode(linesep=eol.decode())
                out.append(f"{hname}: {text}".encode("ascii") + eol)
            else:
                out.append(f"{hname}: {new}".encode("utf-8", "surrogateescape") + eol)
        return b"".join(out)


_QP_UNSAFE = re.compile(rb"[^\t\x20-\x3c\x3e-\x7e]|[\t ](?=\Z)")


def qp_encode(data: bytes) -> bytes:
    """Quoted-printable as Chromium writes it: CRLF hard line breaks (a lone CR or LF is escaped), lines of at
    most 76 characters with ``=`` soft breaks, ``=XX`` never split."""
    out = []
    for line in data.split(b"\r\n"):
        enc = _QP_UNSAFE.sub(lambda m: b"=%02X" % m.group(0)[0], line)
        if len(enc) <= 76:
            out.append(enc)
            continue
        phys = []
        i = 0
        while len(enc) - i > 76:
            cut = i + 75
            eq = enc.rfind(b"=", cut - 2, cut)
            if eq != -1:
                cut = eq
            phys.append(enc[i:cut] + b"=")
            i = cut
        phys.append(enc[i:])
        out.append(b"\r\n".join(phys))
    return b"\r\n".join(out)


# --------------------------------------------------------------------------- file kinds

TEXT_EXTS = frozenset(".txt .log .html .htm .xhtml .css .js .mjs .csv .tsv .md .xml .svg .yml .yaml .ini .toml".split())
JSON_EXTS = frozenset((".json", ".har", ".webmanifest"))
JSONL_EXTS = frozenset((".jsonl", ".ndjson", ".trace", ".network", ".stacks"))
MHTML_EXTS = frozenset((".mhtml", ".mht"))
BINARY_EXTS = frozenset(""".png .jpg .jpeg .gif .webp .avif .bmp .ico .tif .tiff .heic .pdf .woff .woff2 .ttf .otf
    .eot .mp3 .mp4 .webm .ogg .wav .m4a .gz .tgz .br .zst .bz2 .xz .7z .tar .wasm .der .p7s .tsr .sig .pem""".split())


def _file_kind(name: str, data: bytes) -> str:
    ext = os.path.splitext(name)[1].lower()
    if ext in BINARY_EXTS:
        return "binary"
    if ext == ".zip":
        return "zip"
    if ext in MHTML_EXTS:
        return "mhtml"
    if ext in JSON_EXTS:
        return "json"
    if ext in JSONL_EXTS:
        return "jsonl"
    if ext in TEXT_EXTS:
        return "text"
    if _binary_magic(data):
        return "binary"
    if data[:4] == b"PK\x03\x04":
        return "zip"
    head = data[:8192]
    if b"\x00" in head:
        return "binary"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the sample's end
            return "binary"
    lower = head[:4096].lower()
    if b"multipart/related" in lower and (lower.startswith(b"from:") or b"mime-version:" in lower):
        return "mhtml"
    first = head.lstrip()[:1]
    if first in (b"{", b"["):
        line = head.split(b"\n", 1)[0].strip()
        try:
            json.loads(line)
            return "jsonl" if head.count(b"\n") > 0 and head.strip().count(b"\n") > 0 else "json"
        except ValueError:
            return "json"
    return "text"


# --------------------------------------------------------------------------- public functions


def parse(specs) -> Redactor:
    """A redactor from ``--redact`` values: each a kind's name (``email``, ``phone``, ``card``, ``token``) or a
    regular expression (``re:`` may prefix it, and must for a pattern spelt like a kind). A bad pattern, or one
    matching the empty string, is a :class:`UsageError` naming it. Patterns keep their order (``pattern:1`` is the
    first pattern given)."""
    kinds: list[str] = []
    patterns: list[str] = []
    for spec in specs:
        spec = str(spec)
        if spec in KINDS:
            kinds.append(spec)
        elif spec.startswith("re:"):
            if not spec[3:]:
                raise UsageError("--redact 're:': an empty pattern")
            patterns.append(spec[3:])
        elif not spec:
            raise UsageError("--redact '': an empty pattern (name a kind: " + ", ".join(KINDS) + ")")
        else:
            patterns.append(spec)
    return Redactor(tuple(kinds), tuple(patterns))


def redact_bytes(name: str, data: bytes, r: Redactor) -> bytes:
    """The redacted form of a file's bytes; ``name`` (a file or ZIP member name) tells its type."""
    if not r.active:
        return data
    return r._bytes(name, data)


def redact_file(path, r: Redactor) -> bool:
    """Rewrite a file in place by its type (see the module's description); True if it changed. A file written
    anew replaces the old one atomically and keeps its permissions."""
    path = Path(path)
    data = path.read_bytes()
    new = redact_bytes(path.name, data, r)
    if new == data:
        return False
    tmp = path.with_name(f".{path.name}.redact-tmp")
    try:
        tmp.write_bytes(new)
        try:
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        except OSError:
            pass
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return True


def redact_tree(folder, r: Redactor) -> dict[str, int]:
    """Redact every file under ``folder`` (symbolic links are not followed); returns the replacements made here
    by kind (see :meth:`Redactor.counts`). File names are left as they are (see :func:`redact_name`)."""
    before = dict(r.counts())
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and not path.is_symlink():
            redact_file(path, r)
    return {k: n - before.get(k, 0) for k, n in r.counts().items()}


def redact_name(name: str, r: Redactor) -> str:
    """A file name (built from a URL, say) with what matches replaced by ``redacted-email``, ``redacted-token``,
    ``redacted-pattern-1``...: no brackets, colons or slashes; the extension is kept."""
    new = r.text(name)
    if new == name:
        return name
    return MARK_RE.sub(lambda m: "redacted-" + m.group(1).replace(":", "-"), new)

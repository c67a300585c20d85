"""Redaction of evidence-pack files (auditor/evidence/redact.py): each kind's look-alikes as hard as its matches,
every file type staying valid, and a planted address gone from every file in every encoding."""

from __future__ import annotations

import base64
import binascii
import email
import html
import io
import json
import os
import random
import re
import zipfile
from email import policy
from pathlib import Path
from urllib.parse import quote, unquote, unquote_plus

import pytest

from auditor.errors import UsageError
from auditor.evidence import redact
from auditor.evidence.redact import KINDS, Redactor, parse, qp_encode, redact_file, redact_name, redact_tree

ADDRESS = "jane.doe@example.org"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
CHROMIUM = "/usr/lib/chromium/chromium"


def every() -> Redactor:
    return parse(list(KINDS))


def forms(value: str) -> list[str]:
    """The ways a value can be written in a file: as is, percent-encoded (once and twice), as HTML entities, as a
    JavaScript/JSON escape."""
    local, _, domain = value.partition("@")
    return [value, quote(value, safe=""), quote(quote(value, safe=""), safe=""), f"{local}&#64;{domain}",
            f"{local}&#x40;{domain}", f"{local}\\u0040{domain}", f"{local}%40{domain}"]


def assert_absent(data: bytes | str, value: str = ADDRESS, where: str = ""):
    text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
    for decoded in (text, unquote(text), unquote(unquote(text)), html.unescape(text), unquote_plus(text)):
        for form in forms(value):
            assert form.lower() not in decoded.lower(), f"{where}: {form!r} left"


# --------------------------------------------------------------------------- parse


def test_parse_kinds_and_patterns_in_order():
    r = parse(["email", r"ACME-\d+", "token", "re:phone", "re:email"])
    assert r.kinds == ("email", "token") and r.patterns == (r"ACME-\d+", "phone", "email")
    assert list(r.counts()) == ["email", "token", "pattern:1", "pattern:2", "pattern:3"]
    assert r.text("ref ACME-42, phone") == "ref [redacted:pattern:1], [redacted:pattern:2]"
    assert r.counts()["pattern:1"] == 1 and r.counts()["pattern:2"] == 1


@pytest.mark.parametrize("spec", ["(unclosed", "a{2,1}", "[z-a]", "re:*star"])
def test_a_bad_pattern_is_a_usage_error_naming_it(spec):
    with pytest.raises(UsageError) as info:
        parse(["email", spec])
    assert spec.removeprefix("re:") in str(info.value) and "regular expression" in str(info.value)


@pytest.mark.parametrize("spec", ["a*", "(x)?", "^", "$", "re:", ""])
def test_a_pattern_matching_the_empty_string_is_a_usage_error(spec):
    with pytest.raises(UsageError):
        parse([spec])


def test_unknown_kind_given_directly_is_a_usage_error():
    with pytest.raises(UsageError, match="iban"):
        Redactor(kinds=("iban",))


def test_nothing_asked_changes_nothing(tmp_path):
    r = parse([])
    assert not r.active and r.text(ADDRESS) == ADDRESS and r.counts() == {}
    (tmp_path / "a.txt").write_text(ADDRESS)
    assert not redact_file(tmp_path / "a.txt", r)


# --------------------------------------------------------------------------- the kinds on text

EMAIL_YES = [
    ("mail jane.doe@example.org now", "jane.doe@example.org"),
    ("Jane.Doe+shop@Mail.Example.CO.UK.", "Jane.Doe+shop@Mail.Example.CO.UK"),
    ("<a href=\"mailto:jane_doe@example.org?subject=Hi\">", "jane_doe@example.org"),
    ("/account?email=jane.doe%40example.org&next=/", "jane.doe%40example.org"),
    ("redirect=%2Fa%3Fe%3Djane.doe%2540example.org", "jane.doe%2540example.org"),
    ("<p>jane.doe&#64;example.org</p>", "jane.doe&#64;example.org"),
    ("<p>jane.doe&#x40;example.org</p>", "jane.doe&#x40;example.org"),
    ("<p>jane.doe&commat;example.org</p>", "jane.doe&commat;example.org"),
    ('var u = "jane.doe\\u0040example.org";', "jane.doe\\u0040example.org"),
    ("José.Müller@bücher.de", "José.Müller@bücher.de"),
    ("write to jane@mail.xn--p1ai today", "jane@mail.xn--p1ai"),
    ("(jane@example.org)", "jane@example.org"),
    ("From: Jane <jane@example.org>", "jane@example.org"),
    ('{"to":"\\njane@example.org"}', "jane@example.org"),
]
EMAIL_NO = ["logo@2x.png", "icon@1.5x.webp", "img/sprite@3x.avif?v=2", "srcset=\"a.png 1x, a@2x.png 2x\"",
            "@media (max-width: 600px){.a{}}", ".a{}@media screen{.b{}}", "@import url(x.css);", "@font-face{}",
            "npm i lodash@4.17.21", "@angular/core@16.0.0", "cid:frame-9E3DBB23ECB07091DA3B9BEE29676037@mhtml.blink",
            "root@localhost", "user@host", "follow @jane", "a@b.c", "x@1.2", "name@example.png"]


@pytest.mark.parametrize("text,secret", EMAIL_YES)
def test_email_matches(text, secret):
    r = parse(["email"])
    out = r.text(text)
    assert secret not in out and "[redacted:email]" in out
    assert r.counts() == {"email": 1}


def test_email_keeps_what_surrounds_it():
    r = parse(["email"])
    assert r.text("avatar/jane.doe@example.org.png") == "avatar/[redacted:email].png"
    assert r.text('{"to":"\\njane@example.org"}') == '{"to":"\\n[redacted:email]"}'  # the escape stays whole
    assert r.text('"\\u00e9jane@example.org"') == '"\\u00e9[redacted:email]"'
    assert r.text("mailto:jane@example.org?subject=Hi") == "mailto:[redacted:email]?subject=Hi"


@pytest.mark.parametrize("text", EMAIL_NO)
def test_email_look_alikes_are_left(text):
    r = parse(["email"])
    assert r.text(text) == text and r.counts() == {"email": 0}


PHONE_YES = ["+44 20 7946 0958", "+1 (415) 555-0100", "+86 138 0013 8000", "+4915123456789", "+33 1 23 45 67 89",
             "+44 (0)20 7946 0958", "+1-415-555-0100", "+1.415.555.0100", "020 7946 0958", "(415) 555-0100",
             "415-555-0100", "415.555.0100", "01 23 45 67 89", "030-1234567", "0151 23456789", "138 0013 8000",
             "tel:+442079460958", "tel:02079460958", "phone=%2B44%2020%207946%200958", "Call: 06-12345678."]
PHONE_NO = ["2024-01-15", "2024-01-15T10:30:00.123+01:00", "15.01.2024", "01.02.2024 10:30", "15/01/2024",
            "2024 01 15", "$1,234,567.89", "€ 1.299,00", "1 234 567 €", "USD 415 555 0100", "415 555 0100 EUR",
            "+12.345.678,90", "version 120.0.6099.109", "Chrome/131.0.6778.85", "192.168.100.200",
            "/orders/2024010112345678", "id=0123456789", "550e8400-e29b-41d4-a716-446655440000",
            "a3f0-0207-9460-9580", "12345678-1234-1234-1234-123456789012", 'viewBox="0 0 1024 768"',
            'd="M100 200 300 4000 500"', "matrix(1 0 0 1 250 300)", "margin: 0 0 0 0", "U+0000-00FF, U+0131",
            "1705312200", "1700000000000", "q=foo+12345678", "+1.5", "1e+10", "0.12345678", "opening 0900-1700",
            "ISBN 978-3-16-148410-0", "#12345678", "width: 1024px; height: 768px", "1.2.3 415-555", "+49 30"]


@pytest.mark.parametrize("text", PHONE_YES)
def test_phone_matches(text):
    r = parse(["phone"])
    out = r.text(text)
    digits = re.sub(r"\D", "", re.sub(r"%2[0B]", "", text))
    assert "[redacted:phone]" in out and not re.search(r"\d{3}", out), out
    assert digits[-4:] not in out and r.counts() == {"phone": 1}


@pytest.mark.parametrize("text", PHONE_NO)
def test_phone_look_alikes_are_left(text):
    r = parse(["phone"])
    assert r.text(text) == text


CARD_YES = ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "3782 822463 10005", "378282246310005",
            "5555 5555 5555 4444", "6011 1111 1111 1117", "card=4111111111111111&cvv=123", "2223000048400011"]
CARD_NO = ["4111 1111 1111 1112", "1700000000000", "1705312200000123", "0000 0000 0000 0000", "1234567890123456",
           "GA1.2.4111111111111111.1700000000", "abc4111111111111111", "4111111111111111abc", "3.4111111111111111",
           "41111111111111111111111", "4111 11 1111 1111 11", "4111 1111-1111 1111", "9999999999999995",
           "4111 1111 1111 1111,50", "order 7992739871312"]


@pytest.mark.parametrize("text", CARD_YES)
def test_card_matches(text):
    r = parse(["card"])
    out = r.text(text)
    assert "[redacted:card]" in out and not re.search(r"\d{4}", out.replace("cvv=123", "")), out


def test_card_before_an_expiry_date_is_found():
    assert parse(["card"]).text("4111 1111 1111 1111 12/25") == "[redacted:card] 12/25"


@pytest.mark.parametrize("text", CARD_NO)
def test_card_look_alikes_are_left(text):
    r = parse(["card"])
    assert r.text(text) == text


TOKEN_YES = [
    ("Authorization: Bearer abcDEF1234567890xyz", "abcDEF1234567890xyz"),
    ("fetch(u, {headers: {a: 'bearer%20abcDEF1234567890xyz'}})", "abcDEF1234567890xyz"),
    ("t eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
     "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ("Cookie: PHPSESSID=8f3a9c2e1b; _ga=GA1.2.3", "8f3a9c2e1b"),
    ("connect.sid=s%3Aabc.def; Path=/", "s%3Aabc.def"),
    ("/cb?access_token=abc123zz&x=1", "abc123zz"),
    ("XSRF-TOKEN=q1w2e3r4", "q1w2e3r4"),
    ("u?api_key=AbC123qq", "AbC123qq"),
    ("const apiKey = 'k3yk3yk3y';", "k3yk3yk3y"),
    ('{"client_secret":"shh-shh"}', "shh-shh"),
    ("user=jane&password=hunter2&x=1", "hunter2"),
    ("passwd=hunter2", "hunter2"),
    ("x-csrf-token: abc123def\r\nAccept: */*", "abc123def"),
    ('<meta name="csrf-token" content="tok123tok">', "tok123tok"),
    ('<input type=hidden name=authenticity_token value="tok456tok">', "tok456tok"),
    ('<input type="password" id="pw" value="hunter2">', "hunter2"),
    ('<div data-session-id="ss99ss99">', "ss99ss99"),
    ("key AIzaSyA-1234567890abcdefghijklmnopqrstu here", "AIzaSyA-1234567890abcdefghijklmnopqrstu"),
    ("ghp_" + "a1B2" * 9, "a1B2a1B2a1B2"),
    ("sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc"),
    ("next=https%3A%2F%2Fx.example%2Fcb%3Fsession%3Dabc123%26y%3D1", "abc123"),
]
TOKEN_NO = ["the bearer of this card", "Bearer instruments", "author=Jane", ":authority: example.com",
            "consider=1", "sidebar=open", "assessment=5", "an a3f8c9e2b1d4f6a7c8e9b0a1d2c3e4f5a6b7c8d9 hash",
            'class="css-1q2w3e4r5t6y7u8i9o0p1a2s3d4f5g6hAbC"', 'name="session"',
            'integrity="sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC"',
            '<input name="email" value="x">', "eyJhbGciOi", "Session expired", "token==null"]


@pytest.mark.parametrize("text,secret", TOKEN_YES)
def test_token_matches(text, secret):
    r = parse(["token"])
    out = r.text(text)
    assert secret not in out and "[redacted:token]" in out, out


def test_token_keeps_the_name_and_the_markup():
    r = parse(["token"])
    assert r.text("a=1&session=xyz&b=2") == "a=1&session=[redacted:token]&b=2"
    assert r.text('<input type="hidden" name="csrf_token" value="s3cr3t">') == \
        '<input type="hidden" name="csrf_token" value="[redacted:token]">'
    assert r.text("Cookie: _ga=GA1.2.3; sid=abc") == "Cookie: _ga=GA1.2.3; sid=[redacted:token]"


@pytest.mark.parametrize("text", TOKEN_NO)
def test_token_look_alikes_are_left(text):
    r = parse(["token"])
    assert r.text(text) == text


@pytest.mark.parametrize("name,secret", [
    ("PHPSESSID", True), ("JSESSIONID", True), ("connect.sid", True), ("ASP.NET_SessionId", True), ("XSRF-TOKEN", True),
    ("x-api-key", True), ("Authorization", True), ("client_secret", True), ("__Secure-next-auth.session-token", True),
    ("SAPISID", True), ("X-Amz-Signature", True), ("oauth_verifier", True), ("author", False), (":authority", False),
    ("consider", False), ("assessment", False), ("sidebar", False), ("_ga", False), ("user-agent", False),
    ("content-type", False), ("email", False), ("Authors", False)])
def test_secret_names(name, secret):
    assert redact.is_secret_name(name) is secret


# --------------------------------------------------------------------------- markers and counts


def test_markers_are_matched_by_no_kind_and_redacting_twice_changes_nothing():
    r = parse(list(KINDS) + ["redacted", r"\w+"])
    once = r.text(f"{ADDRESS} +44 20 7946 0958 4111111111111111 session=abc hello")
    counted = r.counts()
    assert once == r.text(once) and r.counts() == counted
    for label in list(KINDS) + ["pattern:1"]:
        marker = redact.marker(label)
        assert redact.MARK_RE.fullmatch(marker) and not set(marker) & set('<>&"\' \\')
        assert parse(list(KINDS)).text(f"x {marker} y") == f"x {marker} y"


def test_user_patterns_come_after_the_kinds_and_counts_never_hold_values():
    r = parse(["email", r"jane\.doe", r"ACME-\d{4}"])
    out = r.text(f"{ADDRESS} jane.doe ACME-1234 ACME-5678")
    assert out == "[redacted:email] [redacted:pattern:1] [redacted:pattern:2] [redacted:pattern:2]"
    counts = r.counts()
    assert counts == {"email": 1, "pattern:1": 1, "pattern:2": 2}
    assert all(isinstance(v, int) for v in counts.values())
    dumped = json.dumps(counts)
    assert "jane" not in dumped and "ACME" not in dumped and "example" not in dumped


def test_matches_counts_nothing():
    r = every()
    assert r.matches(ADDRESS) and not r.matches("nothing here")
    assert sum(r.counts().values()) == 0


def test_redact_name():
    r = every()
    assert redact_name("shop.example!account!email=jane.doe%40example.org.html", r) == \
        "shop.example!account!email=redacted-email.html"
    assert redact_name("jane.doe@example.org.png", r) == "redacted-email.png"
    assert redact_name("avatar-jane.doe@example.org.png", r).endswith("redacted-email.png")  # "avatar-jane.doe" is
    # a valid local part: names joined by "-" or "_" lose the word before the address too
    assert redact_name("page-1.png", r) == "page-1.png"
    assert "/" not in redact_name("a?session=abc", r) and ":" not in redact_name("a?session=abc", r)


# --------------------------------------------------------------------------- text and JSON files


def test_text_file_keeps_undecodable_bytes_and_untouched_files_keep_their_bytes(tmp_path):
    path = tmp_path / "console.log"
    path.write_bytes(b"\xff\xfe odd bytes \x80 " + ADDRESS.encode() + b" \xc3(\n")
    assert redact_file(path, every())
    assert path.read_bytes() == b"\xff\xfe odd bytes \x80 [redacted:email] \xc3(\n"
    other = tmp_path / "clean.html"
    other.write_bytes(b"<p>nothing personal</p>\r\n")
    stat = other.stat()
    assert not redact_file(other, every())
    assert other.read_bytes() == b"<p>nothing personal</p>\r\n" and other.stat().st_mtime_ns == stat.st_mtime_ns


def test_json_layout_keys_and_escapes(tmp_path):
    data = {"user": {"email": ADDRESS, ADDRESS: 1, "note": "line\n" + ADDRESS + "\t\"q\"", "n": 4111111111111111,
                     "token": "abc", "sessionId": 123456, "count": 3, "ok": True, "f": 1.5, "none": None,
                     "tokens_left": 7}}
    for name, dump in (("indent.json", lambda d: json.dumps(d, indent=1)),
                       ("compact.json", lambda d: json.dumps(d, separators=(",", ":"))),
                       ("spaced.json", lambda d: json.dumps(d) + "\n")):
        path = tmp_path / name
        path.write_text(dump(data), encoding="utf-8")
        assert redact_file(path, every())
        text = path.read_text(encoding="utf-8")
        assert text == dump(json.loads(text))  # the same layout
        got = json.loads(text)["user"]
        assert got["email"] == "[redacted:email]" and got["[redacted:email]"] == 1
        assert got["note"] == "line\n[redacted:email]\t\"q\"" and got["n"] == "[redacted:card]"
        assert got["token"] == got["sessionId"] == "[redacted:token]"
        assert (got["count"], got["ok"], got["f"], got["none"], got["tokens_left"]) == (3, True, 1.5, None, 7)
        assert_absent(text, where=name)


def test_jsonl_lines_stay_json(tmp_path):
    lines = [{"type": "console", "text": f"logged in as {ADDRESS}"}, {"type": "x", "v": "\\njane@example.org"},
             {"type": "clean"}]
    path = tmp_path / "console.jsonl"
    raw = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines) + "not json " + ADDRESS + "\n"
    path.write_text(raw, encoding="utf-8")
    redact_file(path, every())
    out = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(x) for x in out[:3]][2] == {"type": "clean"} and out[2] == json.dumps(lines[2])
    assert json.loads(out[0])["text"] == "logged in as [redacted:email]" and out[3] == "not json [redacted:email]"
    assert_absent("\n".join(out))


# --------------------------------------------------------------------------- HAR

SECRET_HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
ENTROPIC = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3A"


def har(with_blob: bool = True) -> dict:
    body_json = json.dumps({"user": {"email": ADDRESS, "phone": "+44 20 7946 0958"}, "items": [1, 2]})
    page = f'<html><body><p>{ADDRESS}</p><input type="hidden" name="csrf" value="c5rf-v4lue-123"></body></html>'
    entry = {
        "startedDateTime": "2024-01-15T10:30:00.123+01:00", "time": 123.456, "serverIPAddress": "192.168.100.200",
        "request": {
            "method": "POST", "url": f"https://shop.example/api?email={quote(ADDRESS)}&session=s355ion&page=2",
            "httpVersion": "HTTP/2",
            "headers": [{"name": "Authorization", "value": "Bearer abcDEF1234567890xyz"},
                        {"name": "Cookie", "value": f"_ga=GA1.2.123.456; sid=s1d-v4lue; uid={ENTROPIC}"},
                        {"name": "x-request-id", "value": SECRET_HEX},
                        {"name": "User-Agent", "value": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"},
                        {"name": "Referer", "value": "https://shop.example/account/settings/profile-and-privacy"},
                        {"name": ":authority", "value": "shop.example"}],
            "cookies": [{"name": "sid", "value": "s1d-v4lue", "domain": "shop.example"},
                        {"name": "prefs", "value": ENTROPIC}, {"name": "_ga", "value": "GA1.2.123.456"}],
            "queryString": [{"name": "email", "value": ADDRESS}, {"name": "session", "value": "s355ion"},
                            {"name": "page", "value": "2"}],
            "postData": {"mimeType": "application/json",
                         "text": json.dumps({"email": ADDRESS, "password": "hunter22", "remember": True})},
            "headersSize": -1, "bodySize": 10},
        "response": {
            "status": 200, "statusText": "OK", "httpVersion": "HTTP/2",
            "headers": [{"name": "Set-Cookie", "value": "session=n3w-s355ion; Path=/; HttpOnly"},
                        {"name": "ETag", "value": f'"{SECRET_HEX}"'}, {"name": "Content-Type", "value": "application/json"}],
            "cookies": [{"name": "session", "value": "n3w-s355ion"}],
            "content": {"size": len(body_json.encode()), "mimeType": "application/json; charset=utf-8",
                        "text": base64.b64encode(body_json.encode()).decode(), "encoding": "base64"},
            "redirectURL": "", "headersSize": -1, "bodySize": -1},
        "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 2}}
    form = {"request": {"method": "POST", "url": "https://shop.example/signup", "headers": [],
                        "postData": {"mimeType": "application/x-www-form-urlencoded",
                                     "text": f"email={quote(ADDRESS)}&phone=%2B44+20+7946+0958&name=Jane+Doe&csrf=abc",
                                     "params": [{"name": "email", "value": ADDRESS}, {"name": "csrf", "value": "abc"}]}},
            "response": {"status": 200, "headers": [], "content": {"size": len(page), "mimeType": "text/html",
                                                                    "text": page}}}
    image = {"request": {"method": "GET", "url": "https://shop.example/avatar.png", "headers": []},
             "response": {"status": 200, "headers": [], "content": {"size": len(PNG), "mimeType": "image/png",
                                                                     "text": base64.b64encode(PNG).decode(),
                                                                     "encoding": "base64"}}}
    # binary bytes that happen to hold the address, with a wrong MIME type: still not text (not UTF-8)
    blob_bytes = b"\x89\x00\xff" + ADDRESS.encode() + b"\x00\xfe"
    blob = {"request": {"method": "GET", "url": "https://shop.example/blob", "headers": []},
            "response": {"status": 200, "headers": [], "content": {"size": len(blob_bytes), "mimeType": "",
                                                                    "text": base64.b64encode(blob_bytes).decode(),
                                                                    "encoding": "base64"}}}
    return {"log": {"version": "1.2", "creator": {"name": "Playwright", "version": "1.65.2"},
                    "pages": [{"id": "page@1", "title": f"Account of {ADDRESS}"}], "entries": [entry, form, image] + ([blob] if with_blob else [])}}


def test_har_headers_cookies_queries_bodies(tmp_path):
    path = tmp_path / "visit.har"
    original = har()
    path.write_text(json.dumps(original, indent=2), encoding="utf-8")
    assert redact_file(path, every())
    data = json.loads(path.read_text(encoding="utf-8"))  # still JSON
    entry, form, image, blob = data["log"]["entries"]
    req, resp = entry["request"], entry["response"]
    headers = {h["name"]: h["value"] for h in req["headers"]}
    assert headers["Authorization"] == "[redacted:token]"
    assert headers["Cookie"] == "_ga=GA1.2.123.456; sid=[redacted:token]; uid=[redacted:token]"
    assert headers["x-request-id"] == "[redacted:token]"  # high entropy, in a header
    assert headers["User-Agent"] == original["log"]["entries"][0]["request"]["headers"][3]["value"]
    assert headers["Referer"] == "https://shop.example/account/settings/profile-and-privacy"
    assert headers[":authority"] == "shop.example"
    assert req["url"] == "https://shop.example/api?email=[redacted:email]&session=[redacted:token]&page=2"
    assert {c["name"]: c["value"] for c in req["cookies"]} == {"sid": "[redacted:token]", "prefs": "[redacted:token]",
                                                              "_ga": "GA1.2.123.456"}
    assert [q["value"] for q in req["queryString"]] == ["[redacted:email]", "[redacted:token]", "2"]
    assert json.loads(req["postData"]["text"]) == {"email": "[redacted:email]", "password": "[redacted:token]",
                                                   "remember": True}
    assert resp["headers"][0]["value"] == "session=[redacted:token]; Path=/; HttpOnly"
    assert resp["headers"][1]["value"] == f'"{SECRET_HEX}"'  # an ETag is not a secret
    body = base64.b64decode(resp["content"]["text"])
    assert json.loads(body)["user"] == {"email": "[redacted:email]", "phone": "[redacted:phone]"}
    assert resp["content"]["size"] == len(body) and resp["content"]["encoding"] == "base64"
    assert (entry["time"], entry["serverIPAddress"], entry["startedDateTime"]) == \
        (123.456, "192.168.100.200", "2024-01-15T10:30:00.123+01:00")
    fd = form["request"]["postData"]
    assert fd["text"] == "email=[redacted:email]&phone=[redacted:phone]&name=Jane+Doe&csrf=[redacted:token]"
    assert fd["params"] == [{"name": "email", "value": "[redacted:email]"}, {"name": "csrf", "value": "[redacted:token]"}]
    page = form["response"]["content"]
    assert 'value="[redacted:token]"' in page["text"] and page["size"] == len(page["text"].encode())
    # binary bodies untouched, byte for byte
    assert image == original["log"]["entries"][2] and base64.b64decode(image["response"]["content"]["text"]) == PNG
    assert blob == original["log"]["entries"][3]
    assert data["log"]["pages"][0]["title"] == "Account of [redacted:email]"
    text = path.read_text(encoding="utf-8")
    for secret in ("s355ion", "s1d-v4lue", "hunter22", "abcDEF1234567890xyz", ENTROPIC, "c5rf-v4lue", "7946"):
        assert secret not in text


def test_high_entropy_strings_only_in_headers_and_cookies():
    r = every()
    page = f"<p class=\"{ENTROPIC}\">{SECRET_HEX}</p>"
    assert r.text(page) == page
    assert r._walk({"headers": [{"name": "x-trace", "value": ENTROPIC}]}) == \
        {"headers": [{"name": "x-trace", "value": "[redacted:token]"}]}
    assert r._walk({"body": [{"name": "x-trace", "value": ENTROPIC}]}) == {"body": [{"name": "x-trace", "value": ENTROPIC}]}


def test_har_redacted_with_counts_by_kind(tmp_path):
    path = tmp_path / "visit.har"
    path.write_text(json.dumps(har()), encoding="utf-8")
    r = every()
    redact_file(path, r)
    counts = r.counts()
    assert list(counts) == list(KINDS) and counts["email"] >= 5 and counts["token"] >= 10 and counts["phone"] == 2
    assert counts["card"] == 0


def test_input_markup_with_angle_brackets_in_attributes():
    r = parse(["token"])
    tag = '<input type="hidden" data-x="a>b" name="csrf" value="x>y<z">'
    assert r.text(tag) == '<input type="hidden" data-x="a>b" name="csrf" value="[redacted:token]">'


def test_a_value_filled_into_a_secret_field_is_redacted_wherever_the_trace_repeats_it(tmp_path):
    lines = [{"type": "before", "callId": "c@1", "method": "fill",
              "params": {"selector": "input[name=pw]", "value": "typedPw99", "timeout": 30000}},
             {"type": "log", "callId": "c@1", "message": '  fill("typedPw99")'},
             {"type": "before", "callId": "c@2", "method": "fill", "params": {"selector": "#city", "value": "Bath"}},
             {"type": "frame-snapshot", "snapshot": {"html": ["INPUT", {"type": "password", "__playwright_value_": "pw2pw2x"}]}}]
    path = tmp_path / "trace.trace"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    redact_file(path, every())
    text = path.read_text(encoding="utf-8")
    assert "typedPw99" not in text and "pw2pw2x" not in text and '"value": "Bath"' in text
    assert [json.loads(x) for x in text.splitlines()][1]["message"] == '  fill("[redacted:token]")'


def test_storage_state_cookies(tmp_path):
    state = {"cookies": [{"name": "PHPSESSID", "value": "abc123", "domain": "shop.example", "path": "/",
                          "expires": -1, "httpOnly": True, "secure": False, "sameSite": "Lax"},
                         {"name": "consent", "value": "yes", "domain": "shop.example"}],
             "origins": [{"origin": "https://shop.example",
                          "localStorage": [{"name": "user", "value": json.dumps({"email": ADDRESS})},
                                           {"name": "authToken", "value": "t0k3n"}]}]}
    path = tmp_path / "cookies-and-storage.json"
    path.write_text(json.dumps(state, indent=1), encoding="utf-8")
    redact_file(path, every())
    got = json.loads(path.read_text(encoding="utf-8"))
    assert got["cookies"][0]["value"] == "[redacted:token]" and got["cookies"][1]["value"] == "yes"
    assert got["cookies"][0]["expires"] == -1 and got["cookies"][0]["httpOnly"] is True
    ls = got["origins"][0]["localStorage"]
    assert json.loads(ls[0]["value"]) == {"email": "[redacted:email]"} and ls[1]["value"] == "[redacted:token]"


# --------------------------------------------------------------------------- MHTML

BOUNDARY = "----MultipartBoundary--abcDEF123----"


def synthetic_mhtml() -> bytes:
    """An archive laid out as Chromium writes one; the address crosses a soft line break in the HTML part."""
    start = "<!DOCTYPE html><html><head><title>Account</title></head><body><p>Signed in as "
    html_text = (start + "x" * (76 - 10 - len(start) % 76)  # the line's soft break falls inside the address
                 + f" {ADDRESS} — ok</p><img src=\"https://shop.example/a/{ADDRESS}.png\"></body></html>")
    qp = qp_encode(html_text.encode())
    assert qp.count(ADDRESS.encode()) < binascii.a2b_qp(qp).count(ADDRESS.encode()) == 2
    css = b".a::after { content: \"jane.doe@example.org\"; }"
    parts = [
        (b"Content-Type: text/html\r\nContent-ID: <frame-ABC@mhtml.blink>\r\nContent-Transfer-Encoding: "
         b"quoted-printable\r\nContent-Location: https://shop.example/account?email=jane.doe%40example.org\r\n\r\n"
         + qp),
        (b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\nContent-Location: "
         b"https://shop.example/a/jane.doe@example.org.png\r\n\r\n" + base64.encodebytes(PNG).replace(b"\n", b"\r\n")),
        (b"Content-Type: text/css\r\nContent-Transfer-Encoding: base64\r\nContent-Location: "
         b"https://shop.example/s.css\r\n\r\n" + base64.b64encode(css) + b"\r\n"),
    ]
    head = ("From: <Saved by Blink>\r\nSnapshot-Content-Location: https://shop.example/account?email="
            "jane.doe%40example.org\r\nSubject: =?utf-8?Q?Kont=C3=B6_von_jane.doe@exa?=\r\n =?utf-8?Q?mple.org?=\r\n"
            "Date: Thu, 03 Dec 2026 04:07:18 GMT\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n"
            f"\ttype=\"text/html\";\r\n\tboundary=\"{BOUNDARY}\"\r\n\r\n").encode()
    body = b"".join(b"\r\n--" + BOUNDARY.encode() + b"\r\n" + p for p in parts) + b"\r\n--" + BOUNDARY.encode() + b"--\r\n"
    return head + body


def mhtml_texts(data: bytes) -> list[str]:
    """Every header and every decoded part of an archive, as text."""
    msg = email.message_from_bytes(data, policy=policy.default)
    out = [str(v) for v in msg.values()]
    for part in msg.walk():
        out += [str(v) for v in part.values()]
        if not part.is_multipart():
            out.append(part.get_payload(decode=True).decode("utf-8", "surrogateescape"))
    return out


def test_mhtml_soft_broken_address_is_redacted_and_the_archive_stays_whole(tmp_path):
    data = synthetic_mhtml()
    assert any(ADDRESS in t for t in mhtml_texts(data))
    path = tmp_path / "page.mhtml"
    path.write_bytes(data)
    assert redact_file(path, every())
    new = path.read_bytes()
    assert_absent(new.replace(b"=\r\n", b""), where="raw")
    for t in mhtml_texts(new):
        assert_absent(t, where="decoded")
    msg = email.message_from_bytes(new, policy=policy.default)
    assert msg.get_boundary() == BOUNDARY and msg.get_content_type() == "multipart/related"
    parts = [p for p in msg.walk() if not p.is_multipart()]
    assert [p.get_content_type() for p in parts] == ["text/html", "image/png", "text/css"]
    assert [p["Content-Transfer-Encoding"] for p in parts] == ["quoted-printable", "base64", "base64"]
    assert parts[1].get_payload(decode=True) == PNG  # the image part, untouched
    assert parts[1]["Content-Location"] == "https://shop.example/a/[redacted:email].png"
    html_text = parts[0].get_payload(decode=True).decode()
    assert 'src="https://shop.example/a/[redacted:email].png"' in html_text  # reference and resource still agree
    assert "— ok" in html_text and parts[0]["Content-ID"] == "<frame-ABC@mhtml.blink>"
    assert "[redacted:email]" in str(msg["Subject"]) and str(msg["Subject"]).startswith("Kontö von ")
    assert msg["Snapshot-Content-Location"] == "https://shop.example/account?email=[redacted:email]"
    assert b"\r\n" in new and b"\n" not in new.replace(b"\r\n", b"")  # CRLF throughout
    assert all(len(line) <= 76 for line in new.split(BOUNDARY.encode())[1].split(b"\r\n"))
    assert new.startswith(b"From: <Saved by Blink>\r\nSnapshot-Content-Location: ")
    assert b"Date: Thu, 03 Dec 2026 04:07:18 GMT\r\n" in new


def test_qp_encode_round_trips_and_breaks_lines():
    rnd = random.Random(7)
    for _ in range(200):
        data = bytes(rnd.choice(b"ab =\t\r\n\x00\xff\xe2\x80\x94xyz.@") for _ in range(rnd.randint(0, 400)))
        enc = qp_encode(data)
        assert binascii.a2b_qp(enc) == data
        assert all(len(line) <= 76 for line in enc.split(b"\r\n"))
        assert not re.search(rb"[ \t]\r\n|[ \t]\Z", enc)


def _chromium():
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    try:
        from auditor.browser.launch import find_browser
        return find_browser(None)
    except Exception:
        return None


@pytest.fixture
def sync_pw(request):
    """Playwright's sync API: pytest-playwright's session instance when the plugin is there (a second sync
    instance cannot start beside it), else one of our own."""
    for first in ("browser_path",):  # the suite's conftest asks Playwright which browser, before the session starts
        try:
            request.getfixturevalue(first)
        except pytest.FixtureLookupError:
            pass
    try:
        yield request.getfixturevalue("playwright")
        return
    except pytest.FixtureLookupError:
        pass
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        yield pw


@pytest.mark.browser
@pytest.mark.skipif(_chromium() is None, reason="needs Chromium")
def test_chromium_mhtml_redacted_still_opens_in_chromium(tmp_path, sync_pw):
    pad = " ".join(f"{ADDRESS}{'.' * i}" for i in range(12))  # some occurrence crosses a soft line break
    page_html = (f"<!doctype html><html><head><title>Kontö von {ADDRESS}</title>"
                 '<link rel="stylesheet" href="/s.css"></head><body>'
                 f'<p id="t">Signed in as {ADDRESS}</p><p id="pad">{pad}</p>'
                 f'<input id="e" value="{ADDRESS}"><a id="m" href="mailto:{ADDRESS}" data-user="{ADDRESS}">mail</a>'
                 f'<img id="i" src="/avatar/{ADDRESS}.png">'
                 f'<iframe id="f" srcdoc="<p id=q>frame {ADDRESS}</p>"></iframe></body></html>')

    def serve(route):
        url = route.request.url
        if url.endswith(".png"):
            route.fulfill(body=PNG, content_type="image/png")
        elif url.endswith(".css"):
            route.fulfill(body=f".x::after{{content:'{ADDRESS}'}}", content_type="text/css")
        else:
            route.fulfill(body=page_html, content_type="text/html; charset=utf-8")

    path = tmp_path / "page.mhtml"
    browser = sync_pw.chromium.launch(executable_path=_chromium(), headless=True)
    try:
        context = browser.new_context()
        page = context.new_page()
        page.route("https://shop.example/**", serve)
        page.goto(f"https://shop.example/account?email={quote(ADDRESS, safe='')}&session=s355ion")
        page.wait_for_function("document.getElementById('i').complete")
        cdp = context.new_cdp_session(page)
        path.write_bytes(cdp.send("Page.captureSnapshot", {"format": "mhtml"})["data"].encode())
        raw = path.read_bytes()
        # the archive as Chromium wrote it: the address in QP text, split by a soft break at least once
        assert raw.count(ADDRESS.encode()) < raw.replace(b"=\r\n", b"").count(ADDRESS.encode())
        assert redact_file(path, every())
        new = path.read_bytes()
        assert_absent(new.replace(b"=\r\n", b""), where="raw")
        assert b"s355ion" not in new
        for t in mhtml_texts(new):
            assert_absent(t, where="decoded")
        shown = context.new_page()
        shown.goto(path.as_uri())
        body = shown.inner_text("body")
        assert "Signed in as [redacted:email]" in body and ADDRESS not in body
        assert shown.title() == "Kontö von [redacted:email]"
        assert shown.get_attribute("#e", "value") == "[redacted:email]"
        assert shown.get_attribute("#m", "data-user") == "[redacted:email]"
        assert shown.get_attribute("#m", "href") == "mailto:[redacted:email]"
        assert shown.eval_on_selector("#i", "e => e.naturalWidth") == 1  # the image still resolves
        assert shown.frame_locator("#f").locator("#q").inner_text() == "frame [redacted:email]"
        assert ADDRESS not in shown.content()
    finally:
        browser.close()


# --------------------------------------------------------------------------- ZIP


def trace_zip() -> bytes:
    buf = io.BytesIO()
    events = [{"type": "context-options", "browserName": "chromium"},
              {"type": "frame-snapshot", "snapshot": {"html": ["HTML", {}, ["P", {}, f"Hi {ADDRESS}"],
                                                               ["INPUT", {"name": "csrf_token", "value": "c5rf"}]]}},
              {"type": "action", "params": {"url": f"https://shop.example/?e={quote(ADDRESS)}"}}]
    network = [{"type": "resource-snapshot", "snapshot": {"request": {"url": "https://shop.example/", "headers": [
        {"name": "Cookie", "value": "sessionid=s355ion"}]}, "response": {"content": {"mimeType": "text/html",
                                                                               "_sha1": "abc.html"}}}}]
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("trace.trace", (2024, 1, 15, 10, 30, 0)),
                   "".join(json.dumps(e) + "\n" for e in events), compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("trace.network", "".join(json.dumps(e) + "\n" for e in network), compress_type=zipfile.ZIP_STORED)
        z.writestr("resources/abc.html", f"<p>{ADDRESS}</p>", compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("resources/img.png", PNG, compress_type=zipfile.ZIP_STORED)
        z.writestr("resources/", b"")
    return buf.getvalue()


def test_zip_members_redacted_by_name_with_names_and_compression_kept(tmp_path):
    path = tmp_path / "trace.zip"
    path.write_bytes(trace_zip())
    assert redact_file(path, every())
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(io.BytesIO(trace_zip())) as old:
        assert z.testzip() is None
        assert [i.filename for i in z.infolist()] == [i.filename for i in old.infolist()]
        assert [i.compress_type for i in z.infolist()] == [i.compress_type for i in old.infolist()]
        assert z.getinfo("trace.trace").date_time == (2024, 1, 15, 10, 30, 0)
        events = [json.loads(x) for x in z.read("trace.trace").decode().splitlines()]
        assert events[1]["snapshot"]["html"][2][2] == "Hi [redacted:email]"
        assert events[1]["snapshot"]["html"][3][1] == {"name": "csrf_token", "value": "[redacted:token]"}
        network = json.loads(z.read("trace.network"))
        assert network["snapshot"]["request"]["headers"][0]["value"] == "sessionid=[redacted:token]"
        assert z.read("resources/img.png") == PNG
        for name in z.namelist():
            assert_absent(z.read(name), where=name)


# --------------------------------------------------------------------------- a whole pack


def test_planted_address_is_gone_from_every_file_byte_for_byte(tmp_path):
    folder = tmp_path / "pack"
    (folder / "page-1").mkdir(parents=True)
    files = {
        "page-1/page.mhtml": synthetic_mhtml(),
        "page-1/dom.html": (f'<title>{ADDRESS}</title><a href="mailto:{quote(ADDRESS)}">x</a>'
                            f'<p>{ADDRESS.replace("@", "&#64;")}</p><script>var e="jane.doe\\u0040example.org"'
                            "</script>").encode(),
        "page-1/snapshot.json": json.dumps({"elements": [{"text": ADDRESS, "box": {"x": 1}}]}, indent=1).encode(),
        "page-1/console.jsonl": (json.dumps({"text": f"user {ADDRESS}"}) + "\n").encode(),
        "visit.har": json.dumps(har(with_blob=False)).encode(),
        "flow/trace.zip": trace_zip(),
        "notes.txt": f"form body: email={quote(ADDRESS)}\n".encode(),
        "page-1/shot.png": PNG,
        "report.csv": f"page,user\n1,{ADDRESS}\n".encode(),
        "no-extension": (json.dumps({"email": ADDRESS}) + "\n").encode(),
    }
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    r = every()
    counts = redact_tree(folder, r)
    assert set(counts) == set(KINDS) and all(isinstance(v, int) for v in counts.values()) and counts["email"] >= 20
    assert ADDRESS not in json.dumps(counts) and "jane" not in json.dumps(r.counts())
    assert (folder / "page-1/shot.png").read_bytes() == PNG
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == sorted(Path(f).name for f in files)
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        assert_absent(data, where=str(path))
        if path.suffix == ".mhtml":
            assert_absent(data.replace(b"=\r\n", b""), where="mhtml joined")
            for t in mhtml_texts(data):
                assert_absent(t, where="mhtml decoded")
        if path.suffix == ".har":
            for entry in json.loads(data)["log"]["entries"]:
                content = entry["response"]["content"]
                if content.get("encoding") == "base64":
                    assert_absent(base64.b64decode(content["text"]), where="har body")
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as z:
                for name in z.namelist():
                    assert_absent(z.read(name), where=name)
        if path.suffix in (".json", ".har"):
            json.loads(data)
    # a second pass finds nothing more and rewrites nothing
    stamp = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    assert redact_tree(folder, r) == {k: 0 for k in KINDS}
    assert stamp == {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}

"""RFC 3161 timestamps (auditor/evidence/timestamp.py) against a real TSA: ``openssl ts -reply`` served on
127.0.0.1 by tests/tsa.py, with a throwaway CA. ``openssl ts -verify`` cross-checks a reply we stored."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import tsa as local
from auditor.evidence import timestamp
from auditor.evidence.timestamp import TimestampError

pytestmark = pytest.mark.skipif(local.openssl_binary() is None,
                                reason="the openssl command is not installed (Debian package openssl)")

DATA = b"evidence pack manifest\nsha256 screenshots/page.png 0123\n"


@pytest.fixture(scope="module")
def tsa(tmp_path_factory):
    """(url, CA PEM path, work folder) of a local TSA for this module."""
    workdir = tmp_path_factory.mktemp("tsa")
    with local.local_tsa(workdir) as (url, ca):
        yield url, ca, workdir


@pytest.fixture(scope="module")
def reply(tsa):
    url, _, _ = tsa
    return timestamp.request(url, DATA, timeout=10)


def _one_line(exc_info) -> str:
    text = str(exc_info.value)
    assert text and "\n" not in text
    return text


def test_request_then_verify_with_the_ca(tsa, reply):
    url, ca, _ = tsa
    before = dt.datetime.now(dt.timezone.utc)
    stamp = timestamp.verify(reply, DATA, ca.read_bytes())
    assert stamp.trusted is True
    assert stamp.tsa == local.TSA_SUBJECT_RFC4514 == "CN=Test TSA,O=consent-auditor tests"
    assert stamp.policy == local.POLICY and stamp.hash_algorithm == "sha256" and stamp.serial > 0
    assert stamp.time.endswith("Z")
    assert abs((dt.datetime.fromisoformat(stamp.time) - before).total_seconds()) < 60
    # the same facts without a trust decision, and without a CA the signature alone
    assert timestamp.inspect(reply) == timestamp.verify(reply, DATA) == \
        timestamp.Stamp(**{**stamp.__dict__, "trusted": False})
    # a second stamp is a new token (the TSA's serial moves on); credentials in the URL go as HTTP Basic
    again = timestamp.request(url.replace("http://", "http://user:secret@"), DATA)
    assert timestamp.inspect(again).serial != stamp.serial


def test_other_data_is_refused(tsa, reply):
    _, ca, _ = tsa
    for ca_pem in (ca.read_bytes(), None):
        with pytest.raises(TimestampError, match="the timestamp is for other data") as exc:
            timestamp.verify(reply, DATA + b" ", ca_pem, source="pack/timestamp.tsr")
        assert _one_line(exc).startswith("pack/timestamp.tsr: ")


def test_another_ca_is_not_trusted(tsa, reply, tmp_path):
    other_ca, _ = local.make_ca(tmp_path, subject="/O=elsewhere/CN=Another Test Root")
    with pytest.raises(TimestampError, match="does not chain to the given CA") as exc:
        timestamp.verify(reply, DATA, other_ca.read_bytes())
    assert "CN=Test TSA" in _one_line(exc)
    # the TSA certificate itself is no trust anchor either (it is not the root)
    with pytest.raises(TimestampError, match="does not chain"):
        timestamp.verify(reply, DATA, (tsa[2] / "tsa.pem").read_bytes())
    with pytest.raises(TimestampError, match="no readable PEM certificate"):
        timestamp.verify(reply, DATA, b"not a certificate")


def _flip(data: bytes, index: int) -> bytes:
    b = bytearray(data)
    b[index] ^= 0x01
    return bytes(b)


def test_a_flipped_byte_is_refused(tsa, reply):
    _, ca, _ = tsa
    gen_time = timestamp.inspect(reply).time  # 2026-01-02T03:04:05Z -> GeneralizedTime 20260102030405Z
    der_time = gen_time.replace("-", "").replace("T", "").replace(":", "").encode()
    at = reply.index(der_time)
    for damaged, why in [(_flip(reply, at + len(der_time) - 2), "the signature does not cover this TSTInfo"),
                         (_flip(reply, len(reply) - 1), "signature does not verify")]:
        assert timestamp.inspect(damaged)  # still readable: only the signature tells
        for ca_pem in (ca.read_bytes(), None):
            with pytest.raises(TimestampError, match=why) as exc:
                timestamp.verify(damaged, DATA, ca_pem)
            _one_line(exc)


def test_openssl_ts_verify_accepts_our_stored_reply(tsa, reply, tmp_path):
    _, ca, _ = tsa
    (tmp_path / "data").write_bytes(DATA)
    (tmp_path / "reply.tsr").write_bytes(reply)
    ok = local.openssl("ts", "-verify", "-data", tmp_path / "data", "-in", tmp_path / "reply.tsr", "-CAfile", ca)
    assert b"Verification: OK" in ok.stdout
    (tmp_path / "other").write_bytes(DATA + b" ")
    with pytest.raises(local.OpenSSLError):  # the control: openssl refuses other data too
        local.openssl("ts", "-verify", "-data", tmp_path / "other", "-in", tmp_path / "reply.tsr", "-CAfile", ca)


def test_a_refused_connection_is_one_line():
    with socket.socket() as s:  # a port nothing listens on (bound, then closed)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/tsa"
    with pytest.raises(TimestampError, match="connection refused") as exc:
        timestamp.request(url, DATA, timeout=5)
    assert _one_line(exc).startswith(url + ": ")


def test_an_http_500_is_one_line(tsa):
    url, _, workdir = tsa
    key = workdir / "tsa.key"
    key.rename(workdir / "tsa.key.away")  # openssl ts -reply then fails: the server answers 500 with its stderr line
    try:
        with pytest.raises(TimestampError, match=r"HTTP 500") as exc:
            timestamp.request(url, DATA, timeout=10)
    finally:
        (workdir / "tsa.key.away").rename(key)
    assert _one_line(exc).startswith(url + ": the TSA answered HTTP 500 Internal Server Error: openssl ts: ")
    assert "cannot load private key" in str(exc.value)
    with pytest.raises(TimestampError, match="HTTP 404"):
        timestamp.request(url + "nowhere", DATA, timeout=10)


def test_a_rejection_names_the_failure(tsa):
    url, _, _ = tsa
    with pytest.raises(TimestampError, match=r"did not grant the timestamp: rejection \(badAlg") as exc:
        timestamp.request(url + "sha512-only", DATA, timeout=10)  # openssl's own refusal of a SHA-256 imprint
    _one_line(exc)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/tsa", "127.0.0.1:318", "http://", "http://127.0.0.1:99999/",
                                 "http://[::1/"])
def test_a_bad_url_is_one_line(url):
    with pytest.raises(TimestampError, match="not a valid TSA URL") as exc:
        timestamp.request(url, DATA, timeout=1)
    _one_line(exc)


@pytest.mark.parametrize("garbage", [b"", b"garbage", b"\x30\x03\x02\x01\x00", b"\x30\x80\x00\x00", bytes(300)])
def test_garbage_is_one_line(garbage):
    for call in (lambda: timestamp.inspect(garbage, source="x.tsr"), lambda: timestamp.verify(garbage, DATA)):
        with pytest.raises(TimestampError) as exc:
            call()
        _one_line(exc)


def test_the_demo_server_runs_as_a_program(tmp_path):
    proc = subprocess.Popen([sys.executable, str(Path(local.__file__)), str(tmp_path)], stdout=subprocess.PIPE,
                            text=True)
    try:
        url = proc.stdout.readline().split("TSA URL: ", 1)[1].strip()
        ca = Path(proc.stdout.readline().split("CA certificate: ", 1)[1].strip())
        stamp = timestamp.verify(timestamp.request(url, DATA, timeout=10), DATA, ca.read_bytes())
        assert stamp.trusted
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0

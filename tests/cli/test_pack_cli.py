"""Evidence-pack options on the command line: every mistake is one line and exit 2 before any browser starts;
a timestamp authority that does not answer leaves a sealed, signed pack without a timestamp and exit 3."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "fixtures" / "pack" / "account.html"


def auditor(*args, cwd=ROOT, timeout=300):
    return subprocess.run([sys.executable, "-m", "auditor", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def _one_error(proc, *words):
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    assert "Traceback" not in proc.stderr
    for w in words:
        assert w in lines[0], lines[0]


def test_pack_flags_without_a_pack_are_a_usage_error(tmp_path):
    _one_error(auditor("scan", PAGE, "--out", tmp_path / "o", "--key", tmp_path / "k.pem"), "--key", "--pack")
    _one_error(auditor("scan", PAGE, "--out", tmp_path / "o", "--redact", "email"), "--redact", "--pack")


def test_a_pack_is_never_written_over_anything(tmp_path):
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "old.txt").write_text("evidence of another case")
    _one_error(auditor("scan", PAGE, "--out", tmp_path / "o", "--pack", tmp_path / "pack"), "not an empty folder")
    assert (tmp_path / "pack" / "old.txt").read_text() == "evidence of another case"
    assert not (tmp_path / "o").exists()  # nothing was audited


def test_a_bad_key_tsa_or_pattern_names_itself(tmp_path):
    (tmp_path / "junk.pem").write_text("not a key")
    _one_error(auditor("scan", PAGE, "--pack", tmp_path / "p", "--key", tmp_path / "junk.pem"), "junk.pem")
    _one_error(auditor("scan", PAGE, "--pack", tmp_path / "p", "--key", tmp_path / "absent.pem"), "absent.pem")
    _one_error(auditor("scan", PAGE, "--pack", tmp_path / "p", "--tsa", "ftp://tsa.example"), "--tsa")
    _one_error(auditor("scan", PAGE, "--pack", tmp_path / "p", "--redact", "(unclosed"), "(unclosed")
    _one_error(auditor("scan", PAGE, "--pack", tmp_path / "p", "--redact", "x*"), "x*")
    _one_error(auditor("scan", PAGE, "--pack", tmp_path / "p", "--no-evidence"), "--no-evidence")
    assert not (tmp_path / "p").exists()


def test_verify_and_export_refuse_what_is_not_a_pack(tmp_path):
    proc = auditor("verify", tmp_path)
    assert proc.returncode == 2 and "not an evidence pack" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "bagit.txt").write_bytes(b"\x00\xff junk")
    (tmp_path / "data").mkdir()
    (tmp_path / "manifest-sha256.txt").write_bytes(b"\xff\xfe\x00 nonsense without a path")
    proc = auditor("verify", tmp_path)
    assert proc.returncode in (1, 2) and "Traceback" not in proc.stderr, proc.stderr
    proc = auditor("export", tmp_path / "nothing", tmp_path / "x.zip")
    assert proc.returncode == 2 and "not a folder" in proc.stderr


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.browser
def test_an_unreachable_timestamp_authority_leaves_a_signed_pack_and_exit_3(tmp_path):
    assert auditor("keys", "generate", "--private", tmp_path / "k.pem").returncode == 0
    proc = auditor("scan", PAGE, "--out", tmp_path / "o", "--pack", tmp_path / "p", "--key", tmp_path / "k.pem",
                   "--tsa", f"http://127.0.0.1:{_closed_port()}/")
    assert proc.returncode == 3, proc.stderr
    assert "no timestamp" in proc.stderr and "Traceback" not in proc.stderr
    assert (tmp_path / "p" / "signature.json").exists() and not (tmp_path / "p" / "timestamp.tsr").exists()
    check = auditor("verify", tmp_path / "p", "--key", tmp_path / "k.pub.pem", "--read-only")
    assert check.returncode == 0, check.stdout
    log = (tmp_path / "p" / "custody.log").read_text()
    assert '"timestamp-failed"' in log

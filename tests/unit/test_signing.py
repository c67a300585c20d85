"""Ed25519 keys and detached signatures for evidence packs."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.errors import UsageError
from auditor.evidence import signing


def test_generate_sign_verify_and_fingerprint(tmp_path):
    fp = signing.generate(tmp_path / "k.pem")
    assert fp.startswith("ed25519:") and len(fp) == len("ed25519:") + 64
    assert stat.S_IMODE(os.stat(tmp_path / "k.pem").st_mode) == 0o600
    private, public = signing.load_private(tmp_path / "k.pem"), signing.load_public(tmp_path / "k.pub.pem")
    assert signing.fingerprint(public) == fp
    sig = signing.sign(private, b"manifest bytes")
    assert len(sig) == 64 and signing.verify(public, b"manifest bytes", sig)
    assert not signing.verify(public, b"manifest bytez", sig)  # one byte changed
    other = tmp_path / "other.pem"
    signing.generate(other)
    assert not signing.verify(signing.load_public(tmp_path / "other.pub.pem"), b"manifest bytes", sig)


def test_existing_keys_are_not_replaced_without_force(tmp_path):
    signing.generate(tmp_path / "k.pem")
    before = (tmp_path / "k.pem").read_bytes()
    with pytest.raises(UsageError, match="already exists"):
        signing.generate(tmp_path / "k.pem")
    assert (tmp_path / "k.pem").read_bytes() == before
    signing.generate(tmp_path / "k.pem", force=True)
    assert (tmp_path / "k.pem").read_bytes() != before


@pytest.mark.parametrize("content,needle", [(b"not a key", "not an unencrypted PEM private key"), (None, "not found")])
def test_bad_key_files_are_usage_errors_naming_the_file(tmp_path, content, needle):
    path = tmp_path / "k.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UsageError) as info:
        signing.load_private(path)
    assert str(path) in str(info.value) and needle in str(info.value)


def test_cli_keys_generate(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "auditor", "keys", "generate", *a], cwd=tmp_path,
                                    capture_output=True, text=True, timeout=60)
    first = run("--private", "keys/pack.pem")
    assert first.returncode == 0, first.stderr
    assert "fingerprint: ed25519:" in first.stdout and (tmp_path / "keys" / "pack.pub.pem").exists()
    again = run("--private", "keys/pack.pem")
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr

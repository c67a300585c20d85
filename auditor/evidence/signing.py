"""Ed25519 keys and detached signatures for evidence packs (issue 14), with the ``cryptography`` package.

A key pair is two PEM files: the private key (PKCS#8, readable by its owner only) and the public key
(SubjectPublicKeyInfo) that anyone verifying a pack needs. A key is named by its fingerprint,
``ed25519:`` and the SHA-256 of the raw 32-byte public key in hex, which a pack records beside its signature so
a verifier can tell which key signed it. A signature is detached: 64 bytes over the exact bytes signed (for a
pack, its tag manifest), stored in a file of its own.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from auditor.errors import UsageError

PRIVATE_NAME = "consent-auditor-key.pem"
PUBLIC_NAME = "consent-auditor-key.pub.pem"


def _crypto():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    return serialization, ed25519


def fingerprint(public_key) -> str:
    """``ed25519:`` and the SHA-256 (hex) of the raw public key."""
    serialization, _ = _crypto()
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()


def generate(private_path: str | Path, public_path: str | Path | None = None, force: bool = False) -> str:
    """Make a key pair and write it (the private key with mode 0600); returns the public key's fingerprint.
    An existing file is a ``UsageError`` unless ``force``: a key that signed packs must not be lost by accident."""
    serialization, ed25519 = _crypto()
    private_path = Path(private_path)
    public_path = Path(public_path) if public_path is not None else private_path.with_name(
        private_path.name.removesuffix(".pem") + ".pub.pem")
    if private_path == public_path:
        raise UsageError(f"{private_path}: the private and the public key need two files")
    for p in (private_path, public_path):
        if p.exists() and not force:
            raise UsageError(f"{p}: already exists (a key that signed packs must not be replaced by accident; "
                             "--force replaces it)")
        if p.exists() and p.is_dir():
            raise UsageError(f"{p}: is a folder")
    key = ed25519.Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    private_path.parent.mkdir(parents=True, exist_ok=True)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private_pem)
    os.chmod(private_path, 0o600)  # also when the file existed (--force) with wider permissions
    public_path.write_bytes(public_pem)
    return fingerprint(key.public_key())


def _read(path: str | Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder, expected a {what} (PEM)") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None


def load_private(path: str | Path):
    """The Ed25519 private key in a PEM file; anything else is a ``UsageError`` naming the file."""
    serialization, ed25519 = _crypto()
    try:
        key = serialization.load_pem_private_key(_read(path, "private key"), password=None)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path}: not an unencrypted PEM private key ({str(exc).splitlines()[0][:120]})") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise UsageError(f"{path}: not an Ed25519 key (make one with `auditor keys generate`)")
    return key


def load_public(path: str | Path):
    """The Ed25519 public key in a PEM file; anything else is a ``UsageError`` naming the file."""
    serialization, ed25519 = _crypto()
    try:
        key = serialization.load_pem_public_key(_read(path, "public key"))
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path}: not a PEM public key ({str(exc).splitlines()[0][:120]})") from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise UsageError(f"{path}: not an Ed25519 public key")
    return key


def sign(private_key, data: bytes) -> bytes:
    """The detached signature (64 bytes) of ``data``."""
    return private_key.sign(data)


def verify(public_key, data: bytes, signature: bytes) -> bool:
    """Does ``signature`` sign exactly ``data`` with this key."""
    from cryptography.exceptions import InvalidSignature
    try:
        public_key.verify(signature, data)
        return True
    except InvalidSignature:
        return False

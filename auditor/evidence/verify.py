"""``auditor verify PACK``: is this evidence pack exactly as it was sealed?

Checked, each problem named by file: every file against both payload manifests and both tag manifests (changed,
missing); no file that no manifest lists (added; the seal files excepted), no symbolic link or other special
file anywhere; the Payload-Oxum; the seal (``seal.txt``: the tag manifests' hashes and the timestamp token's); the
signature over the seal (with the key given, or else the key the pack carries, which proves only that the pack
is as whoever sealed it left it); the RFC 3161 timestamp (its imprint, ``timestamp.json`` against the token, and
with ``--tsa-ca`` its signer); the chain of custody (the records made while sealing signed by the pack's key);
and that every file the report cites is in the pack. The ``bagit`` library's own validator must also accept the
bag. A malformed file is a named problem, never a crash.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from auditor.errors import AuditorError, ExitCode
from auditor.evidence import custody
from auditor.evidence.pack import (SEAL, SEAL_FILES, SEAL_HEADER, SEALING_EVENTS, SIGNATURE, TAG_MANIFESTS, TIMESTAMP,
                                   TIMESTAMP_INFO, TOKEN_LINE, file_sha256)

ALGORITHMS = ("sha256", "sha512")


class PackUnreadable(AuditorError):
    """Not a pack, or one whose structure cannot be read at all."""

    exit_code = ExitCode.USAGE


@dataclass
class Verdict:
    pack: Path
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # signature, timestamp, custody, oxum, citations
    facts: list[str] = field(default_factory=list)  # what was checked and held
    warnings: list[str] = field(default_factory=list)  # what holds but proves less than it may seem to
    key_checked: bool = False  # the signature was checked against a key the verifier gave

    @property
    def intact(self) -> bool:
        return not (self.changed or self.missing or self.added or self.problems)

    def lines(self) -> list[str]:
        return ([f"changed: {p}" for p in self.changed] + [f"missing: {p}" for p in self.missing]
                + [f"added: {p}" for p in self.added] + list(self.problems))

    def _changed(self, name: str) -> None:
        if name not in self.changed:
            self.changed.append(name)


def _read_manifest(path: Path, payload: bool, verdict: Verdict) -> dict[str, str] | None:
    """``{path: digest}`` of one manifest; None (and the file named as changed) when it cannot be parsed."""
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        verdict._changed(path.name)
        return None
    entries: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.split(None, 1)
        if len(parts) != 2 or not all(c in "0123456789abcdefABCDEF" for c in parts[0]):
            verdict._changed(path.name)
            return None
        name = _decode_path(parts[1].strip())
        if name in entries or name.startswith("data/") != payload:
            verdict.problems.append(f"{path.name}: lists {name!r} " + (
                "twice" if name in entries else "which belongs in the " + ("tag" if payload else "payload")
                + " manifests"))
            continue
        entries[name] = parts[0].lower()
    return entries


def _decode_path(name: str) -> str:
    """BagIt percent-encodes CR, LF and % in manifest paths."""
    return name.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _digest(path: Path, algorithm: str) -> str | None:
    h = hashlib.new(algorithm)
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def verify(pack: str | Path, key: str | Path | None = None, tsa_ca: str | Path | None = None) -> Verdict:
    """Check ``pack``; raises PackUnreadable when it is no pack at all."""
    pack = Path(pack)
    if not pack.is_dir():
        raise PackUnreadable(f"{pack}: not a folder (an evidence pack is a BagIt folder; unpack an exported "
                             "archive first)")
    if not _regular(pack / "bagit.txt") or not (pack / "data").is_dir() or (pack / "data").is_symlink():
        raise PackUnreadable(f"{pack}: not an evidence pack (no bagit.txt or data/)")
    verdict = Verdict(pack)
    real = pack.resolve()
    # every entry of the folder: regular files only, nothing that points elsewhere
    present: set[str] = set()
    for root, dirs, files in os.walk(pack, followlinks=False):
        for name in dirs + files:
            path = Path(root) / name
            rel = path.relative_to(pack).as_posix()
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode) or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                verdict.problems.append(f"not a regular file: {rel} ({'a symbolic link' if stat.S_ISLNK(mode) else 'special'}"
                                        "; a pack holds files only)")
            elif stat.S_ISREG(mode):
                present.add(rel)
    manifests = {alg: f"manifest-{alg}.txt" for alg in ALGORITHMS}
    tags = {alg: f"tagmanifest-{alg}.txt" for alg in ALGORITHMS}
    listed_payload: dict[str, dict[str, str]] = {}
    listed_tags: dict[str, dict[str, str]] = {}
    for kind, names, into in (("payload", manifests, listed_payload), ("tag", tags, listed_tags)):
        for alg, name in names.items():
            if name not in present:
                verdict.missing.append(name)
                continue
            entries = _read_manifest(pack / name, kind == "payload", verdict)
            if entries is not None:
                into[alg] = entries
    if not any(listed_payload.values()) and not verdict.changed and not verdict.missing:
        raise PackUnreadable(f"{pack}: the manifests list no file")
    # both algorithms list the same files
    for into, names in ((listed_payload, manifests), (listed_tags, tags)):
        if len(into) == 2:
            a, b = (set(into[alg]) for alg in ALGORITHMS)
            for name in sorted(a ^ b):
                only = names["sha256"] if name in a else names["sha512"]
                verdict.problems.append(f"{only}: lists {name}, which the other manifest does not")
    # every listed file, as sealed (each algorithm against its own manifest)
    for into in (listed_payload, listed_tags):
        for alg, entries in into.items():
            for name, digest in sorted(entries.items()):
                path = pack / name
                if not _inside(real, path):
                    verdict.problems.append(f"a manifest names a path outside the pack: {name!r}")
                elif name not in present:
                    if name not in verdict.missing:
                        verdict.missing.append(name)
                elif _digest(path, alg) != digest:
                    verdict._changed(name)
    # nothing more
    expected = (set().union(*(set(e) for e in listed_payload.values()), *(set(e) for e in listed_tags.values()))
                | set(manifests.values()) | set(tags.values()) | set(SEAL_FILES))
    verdict.added += sorted(present - expected)
    _check_oxum(pack, present, verdict)
    public = _check_seal(pack, key, tsa_ca, verdict)
    _check_custody(pack, public, verdict)
    _check_citations(pack, real, verdict)
    if verdict.intact:
        _library_agrees(pack, verdict)
    return verdict


def _inside(real: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(real)
        return True
    except (ValueError, OSError):
        return False


def _check_oxum(pack: Path, present: set[str], verdict: Verdict) -> None:
    try:
        text = (pack / "bag-info.txt").read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return  # named as missing or changed already
    for line in text.splitlines():
        if line.lower().startswith("payload-oxum:"):
            value = line.split(":", 1)[1].strip()
            files = [pack / rel for rel in present if rel.startswith("data/")]
            actual = f"{sum(p.stat().st_size for p in files)}.{len(files)}"
            if value != actual:
                verdict.problems.append(f"bag-info.txt: Payload-Oxum {value} but the payload is {actual} "
                                        "(bytes.files)")
            else:
                verdict.facts.append(f"Payload-Oxum {value} (bytes.files) matches")
            return
    verdict.problems.append("bag-info.txt: no Payload-Oxum")


def _read_seal(pack: Path, verdict: Verdict) -> tuple[bytes, dict[str, str]] | None:
    """(the seal's bytes, its ``key: value`` lines), or None with the problem named."""
    path = pack / SEAL
    if not _regular(path):
        verdict.missing.append(SEAL)
        return None
    try:
        raw = path.read_bytes()
        lines = raw.decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        verdict._changed(SEAL)
        return None
    if not lines or lines[0] != SEAL_HEADER or not lines[-1].startswith(TOKEN_LINE):
        verdict._changed(SEAL)
        return None
    fields = {}
    for line in lines[1:]:
        k, _, v = line.partition(": ")
        fields[k] = v
    return raw, fields


def _check_seal(pack: Path, key, tsa_ca, verdict: Verdict):
    """The seal, the timestamp and the signature; returns the public key the pack was signed with (or None)."""
    sealed = _read_seal(pack, verdict)
    if sealed is None:
        return None
    raw, fields = sealed
    for name in TAG_MANIFESTS:
        if (pack / name).is_file() and fields.get(name) != f"sha256 {file_sha256(pack / name)}":
            verdict._changed(name)
            verdict.problems.append(f"{name}: not the one {SEAL} seals")
    body = raw[:raw.rstrip(b"\n").rfind(b"\n") + 1]
    _check_timestamp(pack, body, fields, tsa_ca, verdict)
    return _check_signature(pack, raw, key, verdict)


def _check_timestamp(pack: Path, body: bytes, fields: dict, tsa_ca, verdict: Verdict) -> None:
    token_hash = fields.get(TOKEN_LINE.rstrip(": "), "none")
    has_token, has_info = _regular(pack / TIMESTAMP), _regular(pack / TIMESTAMP_INFO)
    if token_hash == "none":
        for name, there in ((TIMESTAMP, has_token), (TIMESTAMP_INFO, has_info)):
            if there:
                verdict.added.append(name)
        if tsa_ca is not None:
            verdict.problems.append(f"{SEAL}: the pack has no trusted timestamp")
        elif fields.get("timestamp-authority", "none") != "none":
            verdict.warnings.append(f"no timestamp: the authority {fields['timestamp-authority']} did not give one")
        return
    if not has_token:
        verdict.missing.append(TIMESTAMP)
        return
    reply = (pack / TIMESTAMP).read_bytes()
    if hashlib.sha256(reply).hexdigest() != token_hash:
        verdict._changed(TIMESTAMP)
        return
    from auditor.evidence import timestamp
    from auditor.evidence.pack import timestamp_info
    try:
        ca = Path(tsa_ca).read_bytes() if tsa_ca is not None else None
    except OSError as exc:
        raise PackUnreadable(f"--tsa-ca {tsa_ca}: cannot be read ({exc.strerror or exc})") from None
    try:
        stamp = timestamp.verify(reply, body, ca, source=TIMESTAMP)
    except timestamp.TimestampError as exc:
        verdict.problems.append(f"{TIMESTAMP}: {exc}")
        return
    try:
        info = json.loads((pack / TIMESTAMP_INFO).read_bytes().decode("utf-8")) if has_info else None
    except (OSError, ValueError):
        info = {}
    if info is None:
        verdict.missing.append(TIMESTAMP_INFO)
    elif info != timestamp_info(reply, fields.get("timestamp-authority", "")):
        verdict._changed(TIMESTAMP_INFO)
        verdict.problems.append(f"{TIMESTAMP_INFO}: does not say what {TIMESTAMP} says")
    if stamp.trusted:
        verdict.facts.append(f"timestamp {stamp.time} by {stamp.tsa}, which chains to --tsa-ca")
    else:
        verdict.facts.append(f"timestamp {stamp.time}, consistent with the seal")
        verdict.warnings.append(f"the timestamp's signer ({stamp.tsa}) is not checked: give --tsa-ca with the "
                                "authority's certificate; anyone can make a certificate with any name")


def _check_signature(pack: Path, seal: bytes, key, verdict: Verdict):
    from auditor.evidence import signing
    path = pack / SIGNATURE
    if not _regular(path):
        if key is not None:
            verdict.problems.append(f"{SIGNATURE}: missing: the pack is not signed, so it cannot be checked "
                                    "against the key given")
        else:
            verdict.warnings.append("not signed: nothing shows who sealed the pack")
        return None
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
        sig = base64.b64decode(doc["signature"], validate=True)
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
        embedded = load_pem_public_key(doc["public_key"].encode())
        claimed = str(doc.get("key_fingerprint", ""))
        signing.fingerprint(embedded)
    except Exception as exc:
        verdict._changed(SIGNATURE)
        verdict.problems.append(f"{SIGNATURE}: unreadable ({type(exc).__name__})")
        return None
    if doc.get("signed_file") != SEAL:
        verdict.problems.append(f"{SIGNATURE}: signs {doc.get('signed_file')!r}, not {SEAL}")
        return None
    if signing.fingerprint(embedded) != claimed:
        verdict.problems.append(f"{SIGNATURE}: the key fingerprint recorded does not match the key recorded")
    if key is not None:
        trusted = signing.load_public(key)
        fp = signing.fingerprint(trusted)
        if fp != claimed:
            verdict.problems.append(f"{SIGNATURE}: signed by {claimed}, not by the key given ({fp})")
            return None
        if not signing.verify(trusted, seal, sig):
            verdict.problems.append(f"{SIGNATURE}: the signature does not match {SEAL} (the key given)")
            return None
        verdict.key_checked = True
        verdict.facts.append(f"signature valid, by the key given ({fp})")
        return trusted
    if not signing.verify(embedded, seal, sig):
        verdict.problems.append(f"{SIGNATURE}: the signature does not match {SEAL}")
        return None
    verdict.facts.append(f"signature valid by the key the pack carries ({claimed})")
    verdict.warnings.append("the signer is not authenticated: give --key with the public key you trust; anyone "
                            "can re-seal a changed pack with a key of their own")
    return embedded


def _check_custody(pack: Path, public, verdict: Verdict) -> None:
    """The chain itself, and its records held to the pack: the tag manifests it was created with, the seal,
    signature and timestamp files (a byte changed in any of them is named); in a signed pack, the records made
    while sealing carry the pack key's signature."""
    entries, problems = custody.check(pack)
    verdict.problems += problems
    if not entries:
        return
    first = entries[0]
    detail = first.get("detail") or {}
    if first.get("event") != "created":
        verdict.problems.append(f"{custody.NAME}: line 1 does not record the creation of this pack")
    else:
        for name in TAG_MANIFESTS:
            k = name.replace("-", "_").removesuffix(".txt")
            if (pack / name).is_file() and detail.get(k) != file_sha256(pack / name):
                verdict.problems.append(f"changed since the pack was created: {name} (custody.log line 1)")

    def held(event: str, files: dict[str, str]) -> None:
        records = [e for e in entries if e.get("event") == event]
        for name, field_name in files.items():
            if not _regular(pack / name):
                continue
            digest = file_sha256(pack / name)
            if not any(isinstance(e.get("detail"), dict) and e["detail"].get(field_name) == digest for e in records):
                verdict.problems.append(f"changed since it was recorded: {name} (no \"{event}\" record in "
                                        f"{custody.NAME} for it)")
    if not _regular(pack / SIGNATURE) and any(e.get("event") == "signed" for e in entries):
        verdict.missing.append(SIGNATURE)  # the log says the pack was signed
    held("sealed", {SEAL: "seal_sha256"})
    held("signed", {SIGNATURE: "file_sha256"})
    held("timestamped", {TIMESTAMP: "token_sha256", TIMESTAMP_INFO: "file_sha256"})
    unsigned = 0
    if public is not None:
        for n, e in enumerate(entries, start=1):
            if e.get("event") in SEALING_EVENTS or "sig" in e:
                if not custody.signed_by(e, public):
                    verdict.problems.append(f"{custody.NAME}: line {n} ({e.get('event')}) is not signed by the "
                                            "pack's key")
            else:
                unsigned += 1
    if not problems:
        verdict.facts.append(f"chain of custody: {len(entries)} record(s), unbroken"
                             + (f"; {unsigned} later record(s) (verified, exported) are unsigned notes"
                                if unsigned else ""))


def _check_citations(pack: Path, real: Path, verdict: Verdict) -> None:
    """Every file the report cites is in the payload."""
    report = pack / "data" / "report.json"
    if not _regular(report):
        return  # named as missing already
    try:
        data = json.loads(report.read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return  # named as changed already
    cited: set[str] = set()

    def items(value, key):
        got = value.get(key) if isinstance(value, dict) else None
        return got if isinstance(got, list) else []

    def add(value):
        if isinstance(value, str) and value:
            cited.add(value)

    def page(p):
        if not isinstance(p, dict):
            return
        add(p.get("screenshot"))
        for f in items(p, "findings"):
            add(f.get("screenshot") if isinstance(f, dict) else None)
        evidence = p.get("consent_evidence")
        choice = evidence.get("choice") if isinstance(evidence, dict) else None
        add(choice.get("screenshot") if isinstance(choice, dict) else None)
        for a in items(p, "artefacts"):
            add(a.get("path") if isinstance(a, dict) else None)
    if not isinstance(data, dict):
        verdict.problems.append("data/report.json: not a report")
        return
    for p in items(data, "pages"):
        page(p)
    for fl in items(data, "flows"):
        if not isinstance(fl, dict):
            continue
        add(fl.get("trace"))
        for a in items(fl, "artefacts"):
            add(a.get("path") if isinstance(a, dict) else None)
        for st in items(fl, "steps"):
            page(st.get("page") if isinstance(st, dict) else None)
    for rel in sorted(cited):
        path = pack / "data" / rel
        if os.path.isabs(rel) or "\x00" in rel or not _inside(real / "data", path) or not _regular(path):
            verdict.problems.append(f"data/report.json cites {rel}, which is not in the pack")


def _library_agrees(pack: Path, verdict: Verdict) -> None:
    import logging
    import bagit
    logging.getLogger("bagit").setLevel(logging.ERROR)
    try:
        bagit.Bag(str(pack)).validate()
        verdict.facts.append("the bagit library validates the bag")
    except Exception as exc:
        verdict.problems.append(f"the bagit library rejects the bag: {str(exc).splitlines()[0][:300]}")


def record(pack: Path, verdict: Verdict, operator: str = "") -> bool:
    """Add a "verified" record to the custody log of a pack found intact against a key the verifier gave (False
    when the pack is read-only, or the signer was not checked)."""
    path = pack / custody.NAME
    if not verdict.intact or not verdict.key_checked or not _regular(path) or not os.access(path, os.W_OK):
        return False
    custody.append(pack, "verified", operator, result="intact", checks=verdict.facts[:8])
    return True

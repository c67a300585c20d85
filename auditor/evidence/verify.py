"""``auditor verify PACK``: is this evidence pack exactly as it was sealed?

Checked, each problem named by file: every file against both payload manifests and the tag manifests (changed,
missing), no file that no manifest lists (added; the seal files excepted), the Payload-Oxum, the signature over
the tag manifest (with the key given, or else the key the pack carries, which proves only that the pack is
intact since whoever signed it), the RFC 3161 timestamp (its imprint, and with ``--tsa-ca`` its signer), the
chain of custody, and that every file the report cites is in the pack. The ``bagit`` library's own validator
must also accept the bag.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from auditor.errors import AuditorError, ExitCode
from auditor.evidence import custody
from auditor.evidence.pack import (SEAL_FILES, SIGNATURE, SIGNED_FILE, TAG_MANIFESTS, TIMESTAMP, TIMESTAMP_INFO,
                                   file_sha256)

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

    @property
    def intact(self) -> bool:
        return not (self.changed or self.missing or self.added or self.problems)

    def lines(self) -> list[str]:
        return ([f"changed: {p}" for p in self.changed] + [f"missing: {p}" for p in self.missing]
                + [f"added: {p}" for p in self.added] + list(self.problems))


def _read_manifest(path: Path) -> dict[str, str]:
    entries = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PackUnreadable(f"{path}: cannot be read ({exc})") from None
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise PackUnreadable(f"{path}: line {n} is not 'HASH PATH'")
        digest, name = parts
        entries[_decode_path(name.strip())] = digest.lower()
    return entries


def _decode_path(name: str) -> str:
    """BagIt percent-encodes CR, LF and % in manifest paths."""
    return name.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(pack: str | Path, key: str | Path | None = None, tsa_ca: str | Path | None = None) -> Verdict:
    """Check ``pack``; raises PackUnreadable when it is no pack at all."""
    pack = Path(pack)
    if not pack.is_dir():
        raise PackUnreadable(f"{pack}: not a folder (an evidence pack is a BagIt folder; unpack an exported "
                             "archive first)")
    if not (pack / "bagit.txt").is_file() or not (pack / "data").is_dir():
        raise PackUnreadable(f"{pack}: not an evidence pack (no bagit.txt or data/)")
    verdict = Verdict(pack)
    manifests = {alg: pack / f"manifest-{alg}.txt" for alg in ALGORITHMS}
    tags = {alg: pack / f"tagmanifest-{alg}.txt" for alg in ALGORITHMS}
    for what in list(manifests.values()) + list(tags.values()):
        if not what.exists():
            verdict.missing.append(what.name)
    payload: dict[str, dict[str, str]] = {}
    for alg, path in manifests.items():
        if path.exists():
            for name, digest in _read_manifest(path).items():
                payload.setdefault(name, {})[alg] = digest
    tagged: dict[str, dict[str, str]] = {}
    for alg, path in tags.items():
        if path.exists():
            for name, digest in _read_manifest(path).items():
                tagged.setdefault(name, {})[alg] = digest
    if not payload and not verdict.missing:
        raise PackUnreadable(f"{pack}: the manifests list no file")
    # every listed file, as sealed
    for name, digests in sorted({**payload, **tagged}.items()):
        path = pack / name
        if not _inside(pack, path):
            verdict.problems.append(f"manifest names a path outside the pack: {name!r}")
            continue
        if not path.is_file():
            verdict.missing.append(name)
            continue
        if any(_digest(path, alg) != digest for alg, digest in digests.items()):
            verdict.changed.append(name)
    # nothing more
    listed = set(payload) | set(tagged) | {m.name for m in manifests.values()} | {t.name for t in tags.values()}
    for path in sorted(pack.rglob("*")):
        if path.is_dir():
            continue
        rel = path.relative_to(pack).as_posix()
        if rel not in listed and rel not in SEAL_FILES:
            verdict.added.append(rel)
    _check_oxum(pack, payload, verdict)
    tag_bytes = (pack / SIGNED_FILE).read_bytes() if (pack / SIGNED_FILE).exists() else b""
    _check_signature(pack, tag_bytes, key, verdict)
    _check_timestamp(pack, tag_bytes, tsa_ca, verdict)
    _check_custody(pack, tag_bytes, verdict)
    _check_citations(pack, verdict)
    if verdict.intact:
        _library_agrees(pack, verdict)
    return verdict


def _inside(pack: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(pack.resolve())
        return True
    except ValueError:
        return False


def _check_oxum(pack: Path, payload: dict, verdict: Verdict) -> None:
    info = pack / "bag-info.txt"
    try:
        text = info.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return  # named as missing or changed already
    for line in text.splitlines():
        if line.lower().startswith("payload-oxum:"):
            value = line.split(":", 1)[1].strip()
            files = [p for p in (pack / "data").rglob("*") if p.is_file()]
            actual = f"{sum(p.stat().st_size for p in files)}.{len(files)}"
            if value != actual:
                verdict.problems.append(f"bag-info.txt: Payload-Oxum {value} but the payload is {actual} "
                                        "(bytes.files)")
            else:
                verdict.facts.append(f"Payload-Oxum {value} (bytes.files) matches")
            return
    verdict.problems.append("bag-info.txt: no Payload-Oxum")


def _check_signature(pack: Path, tag_bytes: bytes, key, verdict: Verdict) -> None:
    from auditor.evidence import signing
    path = pack / SIGNATURE
    if not path.exists():
        if key is not None:
            verdict.problems.append(f"{SIGNATURE}: missing: the pack is not signed, so it cannot be checked "
                                    "against the key given")
        else:
            verdict.facts.append("not signed")
        return
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        sig = base64.b64decode(doc["signature"], validate=True)
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
        embedded = load_pem_public_key(doc["public_key"].encode())
        claimed = doc.get("key_fingerprint", "")
    except Exception as exc:
        verdict.problems.append(f"{SIGNATURE}: unreadable ({type(exc).__name__})")
        return
    if doc.get("signed_file") != SIGNED_FILE:
        verdict.problems.append(f"{SIGNATURE}: signs {doc.get('signed_file')!r}, not {SIGNED_FILE}")
        return
    if signing.fingerprint(embedded) != claimed:
        verdict.problems.append(f"{SIGNATURE}: the key fingerprint recorded does not match the key recorded")
    if key is not None:
        trusted = signing.load_public(key)
        fp = signing.fingerprint(trusted)
        if fp != claimed:
            verdict.problems.append(f"{SIGNATURE}: signed by {claimed}, not by the key given ({fp})")
            return
        if not signing.verify(trusted, tag_bytes, sig):
            verdict.problems.append(f"{SIGNATURE}: the signature does not match {SIGNED_FILE} (the key given)")
            return
        verdict.facts.append(f"signature valid, by the key given ({fp})")
    else:
        if not signing.verify(embedded, tag_bytes, sig):
            verdict.problems.append(f"{SIGNATURE}: the signature does not match {SIGNED_FILE}")
            return
        verdict.facts.append(f"signature valid by the key the pack carries ({claimed}); give --key to check it "
                             "is the key you trust")


def _check_timestamp(pack: Path, tag_bytes: bytes, tsa_ca, verdict: Verdict) -> None:
    path = pack / TIMESTAMP
    if not path.exists():
        if tsa_ca is not None:
            verdict.problems.append(f"{TIMESTAMP}: missing: the pack has no trusted timestamp")
        return
    from auditor.evidence import timestamp
    try:
        ca = Path(tsa_ca).read_bytes() if tsa_ca is not None else None
    except OSError as exc:
        raise PackUnreadable(f"--tsa-ca {tsa_ca}: cannot be read ({exc.strerror or exc})") from None
    try:
        stamp = timestamp.verify(path.read_bytes(), tag_bytes, ca)
    except timestamp.TimestampError as exc:
        verdict.problems.append(f"{TIMESTAMP}: {exc}")
        return
    verdict.facts.append(f"timestamp {stamp.time} by {stamp.tsa}" + (" (signer trusted: chains to --tsa-ca)"
                                                                     if stamp.trusted else
                                                                     " (give --tsa-ca to check who signed it)"))


def _check_custody(pack: Path, tag_bytes: bytes, verdict: Verdict) -> None:
    """The chain itself, and its records held to the pack: the tag manifests it was created with, the signature
    file, the timestamp files (a byte changed in any of them is named)."""
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
            key = name.replace("-", "_").removesuffix(".txt")
            if (pack / name).exists() and detail.get(key) != file_sha256(pack / name):
                verdict.problems.append(f"changed since the pack was created: {name} (custody.log line 1)")

    def held(event: str, files: dict[str, str]) -> None:
        records = [e for e in entries if e.get("event") == event]
        for name, field_name in files.items():
            if not (pack / name).exists():
                continue
            digest = file_sha256(pack / name)
            if not any((e.get("detail") or {}).get(field_name) == digest for e in records):
                verdict.problems.append(f"changed since it was recorded: {name} (no \"{event}\" record in "
                                        f"{custody.NAME} for it)")
    held("signed", {SIGNATURE: "file_sha256"})
    held("timestamped", {TIMESTAMP: "token_sha256", TIMESTAMP_INFO: "file_sha256"})
    if not problems:
        verdict.facts.append(f"chain of custody: {len(entries)} record(s), unbroken")


def _check_citations(pack: Path, verdict: Verdict) -> None:
    """Every file the report cites is in the payload."""
    report = pack / "data" / "report.json"
    if not report.exists():
        return  # named as missing already
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # named as changed already
    cited = set()

    def page(p):
        if not p:
            return
        if p.get("screenshot"):
            cited.add(p["screenshot"])
        for f in p.get("findings") or []:
            if f.get("screenshot"):
                cited.add(f["screenshot"])
        choice = ((p.get("consent_evidence") or {}).get("choice") or {})
        if choice.get("screenshot"):
            cited.add(choice["screenshot"])
        for a in p.get("artefacts") or []:
            cited.add(a.get("path", ""))
    for p in data.get("pages") or []:
        page(p)
    for fl in data.get("flows") or []:
        if fl.get("trace"):
            cited.add(fl["trace"])
        for a in fl.get("artefacts") or []:
            cited.add(a.get("path", ""))
        for st in fl.get("steps") or []:
            page(st.get("page"))
    for rel in sorted(c for c in cited if c):
        path = pack / "data" / rel
        if os.path.isabs(rel) or not _inside(pack / "data", path) or not path.is_file():
            verdict.problems.append(f"data/report.json cites {rel}, which is not in the pack")


def _library_agrees(pack: Path, verdict: Verdict) -> None:
    import logging
    import bagit
    logging.getLogger("bagit").setLevel(logging.ERROR)
    try:
        bagit.Bag(str(pack)).validate()
        verdict.facts.append("the bagit library validates the bag")
    except (bagit.BagError, bagit.BagValidationError) as exc:
        verdict.problems.append(f"the bagit library rejects the bag: {str(exc).splitlines()[0][:300]}")


def record(pack: Path, verdict: Verdict, operator: str = "") -> bool:
    """Add a "verified" record to the custody log of an intact pack (False when the pack is read-only)."""
    if not verdict.intact or not os.access(pack / custody.NAME, os.W_OK):
        return False
    custody.append(pack, "verified", operator, result="intact", checks=verdict.facts[:8])
    return True

"""The chain of custody of an evidence pack: ``custody.log``, a tag file of JSON lines, one per event (created,
timestamped, sealed, signed, verified, exported). Each line holds the SHA-256 of the line before it (the first: of
nothing, 64 zeros), so a line edited, removed or inserted anywhere but at the very end breaks the chain at the
next line; and its own hash (``this``, over the record without it), so a damaged line is seen even at the end.
The first line names the tag manifests' hashes, the "signed" line the signature file's, the "timestamped" line
the token's, so they are also held to the pack itself. What a hash chain cannot show: that lines were cut from
the end, or that someone who rewrote the whole log from some line on did so (README, "What a pack proves").
"""

from __future__ import annotations

import getpass
import hashlib
import json
from pathlib import Path

from auditor.browser.page import utc_now

NAME = "custody.log"
GENESIS = "0" * 64


def _digest(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def who() -> str:
    """The account the tool runs under (an operator is named with --operator on top of it)."""
    try:
        return getpass.getuser()
    except Exception:
        return ""


def append(pack: Path, event: str, operator: str = "", signer=None, **detail) -> dict:
    """Add one event to the pack's custody log; returns the line written. ``signer`` (the pack's Ed25519 private
    key): the record also carries a signature over its own hash, so it cannot be rewritten without the key."""
    path = pack / NAME
    prev = GENESIS
    seq = 1
    if path.exists():
        lines = path.read_bytes().splitlines(keepends=True)
        if lines:
            prev = _digest(lines[-1].rstrip(b"\n"))
            seq = len(lines) + 1
    entry = {"seq": seq, "at": utc_now(), "event": event, "account": who(), "operator": operator,
             "detail": detail, "prev": prev}
    entry["this"] = own_hash(entry)
    if signer is not None:
        import base64
        entry["sig"] = base64.b64encode(signer.sign(entry["this"].encode("ascii"))).decode("ascii")
    with open(path, "ab") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n")
    return entry


def own_hash(entry: dict) -> str:
    """The SHA-256 of a record without its ``this`` and ``sig`` fields (canonical JSON)."""
    body = {k: v for k, v in entry.items() if k not in ("this", "sig")}
    return _digest(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8"))


def signed_by(entry: dict, public_key) -> bool:
    """Does the record carry a valid signature by ``public_key`` over its own hash?"""
    import base64
    try:
        public_key.verify(base64.b64decode(entry["sig"], validate=True), own_hash(entry).encode("ascii"))
        return True
    except Exception:
        return False


def check(pack: Path) -> tuple[list[dict], list[str]]:
    """The log's entries and what is wrong with it (one line each, naming the line number)."""
    path = pack / NAME
    if not path.exists():
        return [], [f"{NAME}: missing"]
    if path.is_symlink() or not path.is_file():
        return [], [f"{NAME}: not a regular file"]
    entries, problems = [], []
    prev = GENESIS
    for n, raw in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            entry = json.loads(raw.decode("utf-8"))
            if not isinstance(entry, dict) or not isinstance(entry.get("detail", {}), dict):
                raise ValueError("not an object")
        except (ValueError, UnicodeDecodeError):
            problems.append(f"{NAME}: line {n} is not a custody record")
            prev = _digest(raw)
            continue
        if entry.get("prev") != prev:
            problems.append(f"{NAME}: line {n} does not follow line {n - 1} (a line was edited, removed or "
                            "inserted)" if n > 1 else f"{NAME}: line 1 is not the start of the chain")
        if entry.get("this") != own_hash(entry):
            problems.append(f"{NAME}: line {n} was altered (its own hash does not match)")
        if entry.get("seq") != n:
            problems.append(f"{NAME}: line {n} is numbered {entry.get('seq')!r}")
        entries.append(entry)
        prev = _digest(raw)
    if not entries and not problems:
        problems.append(f"{NAME}: empty")
    return entries, problems

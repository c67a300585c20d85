"""Evidence packs end to end (issue 14): `auditor pack` of the dark demo shop (pages and a flow), signed and
timestamped by a real local TSA (OpenSSL's `ts`), then verified, tampered with file by file, opened offline,
re-judged and rendered again from its HAR with the shop's server stopped; and a redacted pack of a logged-in page
with a planted address, searched byte for byte."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from devserver import serve  # noqa: E402
from tsa import local_tsa  # noqa: E402

PAGES = ("index.html", "signup.html", "checkout.html")
FLOW = ROOT / "fixtures" / "flows" / "dark-checkout.yaml"
PLANTED = "jane.planted@example.org"


def auditor(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "auditor", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A signed, timestamped pack of three dark pages and the dark checkout flow; the shop's server is stopped
    once the pack is made (everything after reads the pack alone)."""
    work = tmp_path_factory.mktemp("pack")
    keys = work / "keys"
    assert auditor("keys", "generate", "--private", keys / "k.pem").returncode == 0
    with local_tsa(work / "tsa") as (tsa_url, ca), serve(ROOT / "fixtures") as (origin, _):
        proc = auditor("pack", work / "pack", *[f"{origin}/site/dark/{p}" for p in PAGES], FLOW,
                       "--base", origin, "--out", work / "out", "--key", keys / "k.pem", "--tsa", tsa_url,
                       "--operator", "Test Operator", "--case", "CASE-2026-001", "--organisation", "Consumer Org",
                       "--contact", "evidence@consumer.example", "--description", "dark demo shop")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr  # findings; the pack itself sealed fine
    assert "evidence pack:" in proc.stderr and "verified" in proc.stderr, proc.stderr
    return {"pack": work / "pack", "pub": keys / "k.pub.pem", "ca": ca, "work": work, "origin": origin}


def _copy(made, tmp_path) -> Path:
    dest = tmp_path / "copy"
    shutil.copytree(made["pack"], dest)
    return dest


@pytest.mark.browser
def test_the_pack_verifies_and_the_bagit_library_accepts_it(made):
    import bagit
    bag = bagit.Bag(str(made["pack"]))
    bag.validate()  # raises on any problem
    assert set(bag.algorithms) == {"sha256", "sha512"}
    info = bag.info
    assert info["Source-Organization"] == "Consumer Org" and info["External-Identifier"] == "CASE-2026-001"
    assert info["Payload-Oxum"] and len(info["Bagging-Time"]) == len("2026-12-03T04:00:00Z")
    proc = auditor("verify", made["pack"], "--key", made["pub"], "--tsa-ca", made["ca"], "--read-only")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "signature valid, by the key given" in proc.stdout
    assert "chains to --tsa-ca" in proc.stdout and "intact" in proc.stdout


@pytest.mark.browser
def test_the_pack_holds_what_the_issue_lists(made):
    data = made["pack"] / "data"
    for name in ("report.json", "report.html", "report.pdf", "run.json", "environment.json"):
        assert (data / name).is_file(), name
    assert (data / "report.pdf").read_bytes().startswith(b"%PDF")
    kinds = {}
    for p in (data / "evidence").rglob("*"):
        kinds.setdefault(p.suffix, []).append(p)
    assert kinds.get(".mhtml") and kinds.get(".har") and kinds.get(".jsonl")
    env = json.loads((data / "environment.json").read_text(encoding="utf-8"))
    assert env["operator"] == "Test Operator" and env["case"] == "CASE-2026-001"
    assert env["browser"]["version"] and env["browser"]["user_agent"] and env["viewport"] == [1280, 800]
    from auditor.registry import discover
    assert env["checks"]["count"] == len(discover()) and env["lexicon"]["hash"].startswith("sha256:")
    assert all(c["source"].startswith("sha256:") for c in env["checks"]["each"])
    assert env["command"].startswith("auditor pack")
    paths = {a["path"] for a in env["artefacts"]}
    on_disk = {p.relative_to(made["pack"]).as_posix() for p in data.rglob("*") if p.is_file()} - {
        "data/environment.json"}
    assert on_disk <= paths, sorted(on_disk - paths)  # every file is described, with its times
    assert all(a["started_at"] and a["finished_at"] for a in env["artefacts"]), env["artefacts"][:3]
    crops = [a for a in env["artefacts"] if a["kind"] == "crop"]
    assert crops and all(a["derived_from"].endswith(".png") for a in crops)
    har = json.loads(next((data / "evidence").rglob("visit.har")).read_text(encoding="utf-8"))
    bodies = [e["response"]["content"].get("text") for e in har["log"]["entries"]]
    assert any(b for b in bodies), "the HAR holds the response bodies"
    flow_dir = next(p for p in (data / "evidence").iterdir() if p.name.startswith("flow"))
    assert (flow_dir / "flow.yaml").read_bytes() == FLOW.read_bytes()
    assert list((data / "traces").glob("*.zip"))
    assert (made["pack"] / "signature.json").exists() and (made["pack"] / "timestamp.tsr").exists()
    events = [json.loads(line)["event"] for line in (made["pack"] / "custody.log").read_text().splitlines()]
    assert events[:4] == ["created", "timestamped", "sealed", "signed"]


def _verify(pack, *extra):
    return auditor("verify", pack, "--read-only", *extra)


@pytest.mark.browser
def test_flipping_one_byte_of_any_file_is_caught_and_named(made, tmp_path):
    pack = _copy(made, tmp_path)
    files = sorted(p for p in pack.rglob("*") if p.is_file())
    assert len(files) > 30
    from auditor.evidence.verify import verify
    missed = []
    for path in files:
        original = path.read_bytes()
        if not original:  # nothing to flip (an empty console log): deleting and adding are tested below
            continue
        flipped = bytearray(original)
        at = len(flipped) // 2
        flipped[at] ^= 0x01
        path.write_bytes(bytes(flipped))
        try:
            verdict = verify(pack, key=made["pub"], tsa_ca=made["ca"])
            rel = path.relative_to(pack).as_posix()
            if verdict.intact or not any(rel in line for line in verdict.lines()):
                missed.append((rel, verdict.lines()[:3]))
        except Exception as exc:  # an unreadable manifest is an error too: it must name the file
            if path.name not in str(exc):
                missed.append((path.name, str(exc)))
        finally:
            path.write_bytes(original)
    assert not missed, missed
    assert verify(pack, key=made["pub"]).intact


@pytest.mark.browser
def test_a_deleted_and_an_added_file_are_named_with_exit_1(made, tmp_path):
    pack = _copy(made, tmp_path)
    victim = next((pack / "data" / "evidence").rglob("page.mhtml"))
    victim.unlink()
    (pack / "data" / "extra.txt").write_text("slipped in")
    (pack / "notes.txt").write_text("also slipped in")
    proc = _verify(pack)
    assert proc.returncode == 1, proc.stdout
    rel = victim.relative_to(pack).as_posix()
    assert f"missing: {rel}" in proc.stdout
    assert "added: data/extra.txt" in proc.stdout and "added: notes.txt" in proc.stdout
    assert "Payload-Oxum" in proc.stdout


@pytest.mark.browser
def test_an_edited_custody_log_is_caught(made, tmp_path):
    pack = _copy(made, tmp_path)
    log = pack / "custody.log"
    lines = log.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[1])
    entry["operator"] = "Someone Else"
    lines[1] = json.dumps(entry, sort_keys=True)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = _verify(pack)
    assert proc.returncode == 1 and "custody.log: line 2" in proc.stdout, proc.stdout
    # a line removed from the middle breaks the chain too
    pack2 = _copy(made, tmp_path / "b")
    lines = (pack2 / "custody.log").read_text(encoding="utf-8").splitlines()
    (pack2 / "custody.log").write_text("\n".join([lines[0]] + lines[2:]) + "\n", encoding="utf-8")
    proc = _verify(pack2)
    assert proc.returncode == 1 and "custody.log: line 2 does not follow line 1" in proc.stdout, proc.stdout


@pytest.mark.browser
def test_the_wrong_key_fails_naming_the_signature(made, tmp_path):
    other = tmp_path / "other.pem"
    assert auditor("keys", "generate", "--private", other).returncode == 0
    proc = _verify(made["pack"], "--key", tmp_path / "other.pub.pem")
    assert proc.returncode == 1
    assert "signature.json: signed by ed25519:" in proc.stdout and "not by the key given" in proc.stdout


@pytest.mark.browser
def test_an_unreadable_pack_is_exit_2(tmp_path):
    proc = _verify(tmp_path)
    assert proc.returncode == 2 and "not an evidence pack" in proc.stderr and "Traceback" not in proc.stderr
    proc = _verify(tmp_path / "nothing-here")
    assert proc.returncode == 2 and "not a folder" in proc.stderr


@pytest.mark.browser
def test_verify_records_and_export_is_logged(made, tmp_path):
    pack = _copy(made, tmp_path)
    plain = auditor("verify", pack, "--operator", "Clerk")  # no key given: intact, but nothing recorded
    assert plain.returncode == 0 and "the signer is not authenticated" in plain.stdout, plain.stdout
    assert auditor("verify", pack, "--key", made["pub"], "--operator", "Clerk").returncode == 0
    proc = auditor("export", pack, tmp_path / "sent.zip", "--operator", "Clerk")
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in (pack / "custody.log").read_text().splitlines()]
    assert [e["event"] for e in events][-2:] == ["verified", "exported"]
    assert events[-1]["operator"] == "Clerk"
    shutil.unpack_archive(tmp_path / "sent.zip", tmp_path / "unpacked")
    assert _verify(tmp_path / "unpacked" / "copy").returncode == 0


@pytest.mark.browser
def test_the_mhtml_opens_offline_and_shows_the_prechecked_box(made, browser):
    """(``browser``: pytest-playwright's, the system Chromium the product uses; see tests/conftest.py)"""
    signup = next(p for p in (made["pack"] / "data" / "evidence").iterdir() if "signup" in p.name)
    context = browser.new_context(offline=True)
    page = context.new_page()
    page.goto((signup / "page.mhtml").as_uri())
    ticked = page.evaluate("() => [...document.querySelectorAll('input[type=checkbox]')].filter(b => b.checked)"
                           ".map(b => (b.closest('label') || b.parentElement).textContent.trim())")
    context.close()
    report = json.loads((made["pack"] / "data" / "report.json").read_text(encoding="utf-8"))
    page_report = next(p for p in report["pages"] if p["url"].endswith("/signup.html"))
    prechecked = [f["text"] for f in page_report["findings"] if f["check"] == "prechecked-consent"]
    assert prechecked and ticked
    assert all(any(t[:30] in box for box in ticked) for t in prechecked), (prechecked, ticked)


@pytest.mark.browser
def test_replay_rejudges_the_snapshots_with_nothing_changed(made, tmp_path):
    proc = auditor("replay", made["pack"], "--out", tmp_path / "replay")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the findings stand
    diff = json.loads((tmp_path / "replay" / "replay.json").read_text())
    original = json.loads((made["pack"] / "data" / "report.json").read_text())
    n = original["summary"]["findings"] + original["summary"]["review"]
    assert not diff["new"] and not diff["gone"] and len(diff["same"]) >= n > 0, (diff["new"], diff["gone"])
    checks = {r["check"] for r in diff["same"]}
    assert {"sneak-into-basket", "drip-pricing"} <= checks  # journey checks re-judged from the flow's steps


@pytest.mark.browser
def test_replay_render_reproduces_the_findings_from_the_har_offline(made, tmp_path):
    """The shop's server is gone: every response comes from the pack's HAR files."""
    proc = auditor("replay", made["pack"], "--render", "--out", tmp_path / "render")
    assert "Traceback" not in proc.stderr, proc.stderr
    diff = json.loads((tmp_path / "render" / "replay.json").read_text())
    original = json.loads((made["pack"] / "data" / "report.json").read_text())
    fails = {f["fingerprint"] for p in original["pages"] for f in p["findings"] if f["status"] == "fail"}
    fails |= {f["fingerprint"] for fl in original["flows"] for st in fl["steps"]
              for f in (st["page"] or {}).get("findings", []) if f["status"] == "fail"}
    same = {r["fingerprint"] for r in diff["same"]}
    assert fails <= same, ([r for r in diff["gone"]], diff["new"])
    rendered = json.loads((tmp_path / "render" / "report.json").read_text())
    assert all(p["error"] is None for p in rendered["pages"]), [p["error"] for p in rendered["pages"]]
    assert all(fl["complete"] for fl in rendered["flows"])


@pytest.mark.browser
def test_redaction_removes_a_planted_address_from_every_file(tmp_path, browser):
    variants = [PLANTED, urllib.parse.quote(PLANTED), urllib.parse.quote(PLANTED, safe=""),
                PLANTED.replace("@", "%40"), base64.b64encode(PLANTED.encode()).decode()[:20]]
    with serve(ROOT / "fixtures") as (origin, _):
        proc = auditor("pack", tmp_path / "pack", f"{origin}/pack/account.html", "--out", tmp_path / "out",
                       "--redact", "email")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    # the unredacted working files do hold it (the planting worked) ...
    assert any(PLANTED.encode() in p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())
    # ... the pack holds it nowhere, in any encoding searched, byte for byte
    leaks = [(p.relative_to(tmp_path).as_posix(), v) for p in (tmp_path / "pack").rglob("*") if p.is_file()
             for v in variants if v.encode() in p.read_bytes()]
    assert not leaks, leaks
    env = json.loads((tmp_path / "pack" / "data" / "environment.json").read_text())
    assert env["redaction"]["replaced"].get("email", 0) >= 5
    # the pictures too: where the address was drawn (the text and the field), the pack's screenshot is black
    from PIL import Image
    text_map = json.loads(next((tmp_path / "out").rglob("text-map.json")).read_text(encoding="utf-8"))
    boxes = [b for item in text_map["items"] if PLANTED in item["text"] for b in item["boxes"]]
    assert len(boxes) >= 2, text_map["items"][:5]
    name = next((tmp_path / "pack" / "data" / "screenshots").glob("*account-html.png")).name
    with Image.open(tmp_path / "pack" / "data" / "screenshots" / name) as masked, \
            Image.open(tmp_path / "out" / "screenshots" / name) as shown:
        for x, y, w, h in boxes:
            assert masked.convert("L").crop((x, y, x + w, y + h)).getextrema()[1] < 16, (x, y, w, h)
            assert shown.convert("L").crop((x, y, x + w, y + h)).getextrema()[1] > 128  # it was drawn there
    assert PLANTED not in json.dumps(env)
    assert auditor("verify", tmp_path / "pack", "--read-only").returncode == 0
    # the redacted archive still opens offline, and shows the box a script ticked (live state, not markup)
    mhtml = next((tmp_path / "pack" / "data" / "evidence").rglob("page.mhtml"))
    context = browser.new_context(offline=True)
    page = context.new_page()
    page.goto(mhtml.as_uri())
    shown = page.evaluate("() => [document.getElementById('partners').checked, "
                          "document.getElementById('email').value, document.body.innerText]")
    context.close()
    assert shown[0] is True, "the script-ticked box is archived ticked"
    assert "[redacted:email]" in shown[1] and PLANTED not in shown[2]


def _rechain(pack: Path, edit) -> None:
    """Rewrite the custody log as a forger would: edit the records, then recompute every hash of the chain."""
    import hashlib
    from auditor.evidence import custody
    entries = [json.loads(line) for line in (pack / "custody.log").read_text(encoding="utf-8").splitlines()]
    edit(entries)
    prev, lines = custody.GENESIS, []
    for e in entries:
        e["prev"] = prev
        e["this"] = custody.own_hash(e)
        line = json.dumps(e, ensure_ascii=False, sort_keys=True)
        lines.append(line)
        prev = hashlib.sha256(line.encode("utf-8")).hexdigest()
    (pack / "custody.log").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _manifest_add(path: Path, name: str, algorithm: str, data: bytes) -> None:
    import hashlib
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"{hashlib.new(algorithm, data).hexdigest()}  {name}\n")


@pytest.mark.browser
def test_forgeries_a_reviewer_tried_are_caught(made, tmp_path):
    """Each forgery edits what it must and fixes up every hash it can reach without the private key."""
    from auditor.evidence.pack import file_sha256
    from auditor.evidence.verify import verify

    def forged(name, change):
        pack = _copy(made, tmp_path / name)
        change(pack)
        verdict = verify(pack, key=made["pub"], tsa_ca=made["ca"])
        assert not verdict.intact, name
        return verdict.lines()

    def extra_tag_file(pack):  # a file listed only in the SHA-512 tag manifest, the custody record fixed up
        (pack / "NOTE.txt").write_text("added later")
        _manifest_add(pack / "tagmanifest-sha512.txt", "NOTE.txt", "sha512", b"added later")
        _rechain(pack, lambda es: es[0]["detail"].update(
            tagmanifest_sha512=file_sha256(pack / "tagmanifest-sha512.txt")))
    assert any("tagmanifest-sha512.txt" in line for line in forged("a2", extra_tag_file))

    def backdated(pack):  # the timestamp's description says another time
        info = json.loads((pack / "timestamp.json").read_text())
        info["time"] = "2020-01-01T00:00:00Z"
        (pack / "timestamp.json").write_text(json.dumps(info, indent=1))
        _rechain(pack, lambda es: [e["detail"].update(file_sha256=file_sha256(pack / "timestamp.json"))
                                   for e in es if e["event"] == "timestamped"])
    assert any("timestamp.json" in line for line in forged("a3", backdated))

    def stripped(pack):  # the timestamp removed altogether, and its record
        (pack / "timestamp.tsr").unlink()
        (pack / "timestamp.json").unlink()
        _rechain(pack, lambda es: es.__setitem__(slice(None), [e for e in es if e["event"] != "timestamped"]))
    assert any("timestamp.tsr" in line for line in forged("t2", stripped))

    def new_operator(pack):  # the creation record says someone else made the pack
        _rechain(pack, lambda es: es[0].update(operator="Someone Else"))
    assert any("line 1" in line and "not signed by the pack's key" in line for line in forged("a6", new_operator))

    def linked(pack):  # a symbolic link to a file outside the pack
        (pack / "data" / "outside").symlink_to("/etc/hostname")
    assert any("not a regular file: data/outside" in line for line in forged("y3", linked))


@pytest.mark.browser
def test_export_never_overwrites_or_archives_into_the_pack(made, tmp_path):
    pack = _copy(made, tmp_path)
    (tmp_path / "x.tar.gz").write_text("someone's file")
    for dest, words in ((tmp_path / "x.tar.gz", "exists"), (tmp_path / "x.tgz", "NAME.zip"),
                        (pack / "inside.zip", "inside the pack")):
        proc = auditor("export", pack, dest)
        assert proc.returncode == 2 and words in proc.stderr, (dest, proc.stderr)
    assert (tmp_path / "x.tar.gz").read_text() == "someone's file"
    assert "exported" not in (pack / "custody.log").read_text()

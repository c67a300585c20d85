"""The custody log's hash chain (auditor/evidence/custody.py): every record follows the one before it and
carries its own hash; an edit, a removal or an insertion is named by line."""

from __future__ import annotations

import json

from auditor.evidence import custody


def _log(tmp_path, n=4):
    for i in range(n):
        custody.append(tmp_path, ["created", "signed", "verified", "exported"][i % 4], "op", n=i)
    return (tmp_path / custody.NAME).read_text(encoding="utf-8").splitlines()


def test_an_untouched_chain_holds(tmp_path):
    lines = _log(tmp_path)
    entries, problems = custody.check(tmp_path)
    assert not problems and [e["seq"] for e in entries] == [1, 2, 3, 4]
    assert entries[0]["prev"] == custody.GENESIS and entries[1]["prev"] != custody.GENESIS
    assert len(lines) == 4


def test_an_edited_middle_line_is_named(tmp_path):
    lines = _log(tmp_path)
    entry = json.loads(lines[1])
    entry["operator"] = "someone else"
    lines[1] = json.dumps(entry, sort_keys=True)
    (tmp_path / custody.NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, problems = custody.check(tmp_path)
    assert any("line 2 was altered" in p for p in problems) and any("line 3 does not follow" in p for p in problems)


def test_an_edited_last_line_is_seen_by_its_own_hash(tmp_path):
    lines = _log(tmp_path)
    lines[-1] = lines[-1].replace('"op"', '"xx"')
    (tmp_path / custody.NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, problems = custody.check(tmp_path)
    assert problems == [f"{custody.NAME}: line 4 was altered (its own hash does not match)"]


def test_a_removed_or_inserted_line_breaks_the_chain(tmp_path):
    lines = _log(tmp_path)
    (tmp_path / custody.NAME).write_text("\n".join(lines[:1] + lines[2:]) + "\n", encoding="utf-8")
    _, problems = custody.check(tmp_path)
    assert any("line 2 does not follow line 1" in p for p in problems)
    (tmp_path / custody.NAME).write_text("\n".join(lines[:2] + [lines[0]] + lines[2:]) + "\n", encoding="utf-8")
    _, problems = custody.check(tmp_path)
    assert any("line 3" in p for p in problems)


def test_garbage_and_absence_are_problems_not_crashes(tmp_path):
    assert custody.check(tmp_path)[1] == [f"{custody.NAME}: missing"]
    (tmp_path / custody.NAME).write_bytes(b"\xff\xfe not json\n")
    _, problems = custody.check(tmp_path)
    assert problems and "line 1 is not a custody record" in problems[0]

"""Tests the JSON export and its verifier: a clean export passes, any changed byte is named."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from testday.reports.json_export import export_json
from testday.reports.verify_export import verify_export
from tests.reports.sample import at, sample_log


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    out = tmp_path / "incidents.json"
    assert export_json(sample_log(), out, at(60)) == 3
    return out


def test_export_holds_states_events_and_hashes_and_verifies(exported: Path) -> None:
    """Every chain entry with its hashes, every incident's state and event seqs; verify passes."""
    doc = json.loads(exported.read_text())
    log = sample_log()
    assert [e["hash"] for e in doc["chain"]] == [e.hash for e in log.entries]
    assert doc["tip_hash"] == log.entries[-1].hash and doc["count"] == len(log.entries)
    first = doc["incidents"][0]
    assert first["id"] == "inc-1" and first["event_seqs"] == [1, 3, 4, 6, 7, 8]
    assert first["state"]["status"] == "approved" and first["state"]["room"] == "112"
    check = verify_export(exported)
    assert check.ok, check.describe()
    assert (check.entries, check.incidents) == (9, 3)
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600


def _flipped(char: str) -> str:
    # Another character of the same class, so the JSON stays valid and only content changes.
    if char.isdigit():
        return "0" if char != "0" else "1"
    return "a" if char != "a" else "b"


@pytest.mark.parametrize("stride", [7, pytest.param(1, marks=pytest.mark.slow)])
def test_every_changed_byte_of_an_entry_or_incident_fails_naming_it(
    exported: Path, stride: int
) -> None:
    """Changing any one letter or digit of any chain entry or incident fails verify, named.

    Every ``stride``-th letter or digit of every line is changed in turn (all of them when slow).
    """
    lines = exported.read_text().splitlines(keepends=True)
    doc = json.loads(exported.read_text())
    chain_lines = range(2, 2 + len(doc["chain"]))
    incident_lines = range(2 + len(doc["chain"]) + 2, 2 + len(doc["chain"]) + 2 + 3)
    assert lines[chain_lines[0]].lstrip().startswith('{"event"')
    assert lines[incident_lines[0]].lstrip().startswith('{"event_seqs"')
    tried = 0
    for number in (*chain_lines, *incident_lines):
        original = lines[number]
        item = json.loads(original.strip().rstrip(","))
        for pos, char in enumerate(original):
            if not char.isalnum() or pos % stride:
                continue
            lines[number] = original[:pos] + _flipped(char) + original[pos + 1 :]
            exported.write_text("".join(lines))
            check = verify_export(exported)
            tried += 1
            assert not check.ok, (number, pos)
            try:
                json.loads(lines[number].strip().rstrip(","))
            except ValueError:  # e.g. null -> aull: the file is no longer JSON; the line is named
                assert f"line {number + 1} " in check.reason, check.reason
                continue
            if number in chain_lines:
                assert check.seq == item["seq"], (check.describe(), number, pos)
            elif check.reason != "incident has no events in the chain":  # its id was the change
                assert check.incident_id == item["id"], (check.describe(), number, pos)
        lines[number] = original
    assert tried > 1000 // stride


def test_cut_tail_reorder_and_state_edit_are_named(exported: Path) -> None:
    """A removed last entry, swapped entries, and an edited state field each name the entry."""
    doc = json.loads(exported.read_text())

    def check_with(change) -> str:
        edited = json.loads(json.dumps(doc))
        change(edited)
        exported.write_text(json.dumps(edited))
        check = verify_export(exported)
        assert not check.ok
        return check.describe()

    def cut(d: dict) -> None:
        d["chain"].pop()
        d["count"] -= 1

    assert "seq 9" in check_with(cut)
    swap = lambda d: d["chain"].__setitem__(slice(1, 3), d["chain"][2:0:-1])  # noqa: E731
    assert "seq 2" in check_with(swap)
    assert "incident inc-2" in check_with(lambda d: d["incidents"][1]["state"].update(room="115"))
    assert "missing" in check_with(lambda d: d["incidents"].pop())
    assert "seq 10" in check_with(lambda d: d.update(count=10))


def test_unreadable_or_foreign_files_fail_cleanly(tmp_path: Path) -> None:
    """Not JSON, or JSON that is not an export: a failed check, not a traceback."""
    bad = tmp_path / "x.json"
    bad.write_text("{not json")
    assert "cannot read" in verify_export(bad).reason
    bad.write_text('{"format": "other"}')
    assert "not a testday incident export" in verify_export(bad).reason
    assert not verify_export(tmp_path / "missing.json").ok

"""Tests the incident hash chain: it verifies, and any edit, removal or reorder is named."""

from __future__ import annotations

import dataclasses
import json

import pytest

from testday.core.hash_chain import (
    GENESIS,
    ChainEntry,
    append,
    canonical_json,
    entry_hash,
    verify,
)


def build(n: int = 5) -> list[ChainEntry]:
    entries: list[ChainEntry] = []
    for i in range(n):
        event = {"kind": "note_added", "incident_id": f"inc-{i % 2}", "data": {"text": f"n{i}"}}
        entries.append(append(entries[-1] if entries else None, event))
    return entries


def tamper(entry: ChainEntry) -> ChainEntry:
    """Change one byte of the event's canonical content, as an edited export would."""
    raw = bytearray(canonical_json(entry.event))
    at = raw.index(b'"n') + 2
    raw[at] = ord("m")
    return dataclasses.replace(entry, event=json.loads(raw))


def test_first_entry_links_to_genesis_and_each_entry_to_the_previous() -> None:
    """The first prev hash is 64 zeros; every later one is its predecessor's hash."""
    entries = build()
    assert entries[0].prev_hash == GENESIS == "0" * 64
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]


def test_an_untouched_chain_verifies() -> None:
    """A chain built by append() verifies, as does the empty chain."""
    assert verify(build()).ok
    assert verify([]).ok


def test_canonical_json_ignores_key_order_and_whitespace() -> None:
    """The same event with keys in another order hashes the same."""
    a = {"b": 1, "a": [1.5, "é"], "c": None}
    b = {"c": None, "a": [1.5, "é"], "b": 1}
    assert canonical_json(a) == canonical_json(b) == '{"a":[1.5,"é"],"b":1,"c":null}'.encode()
    assert append(None, a).hash == append(None, b).hash


@pytest.mark.parametrize("position", [1, 2, 3, 4, 5])
def test_one_changed_byte_names_that_entry(position: int) -> None:
    """Editing any one event's content fails verification at that entry."""
    entries = build()
    entries[position - 1] = tamper(entries[position - 1])
    result = verify(entries)
    assert not result.ok
    assert result.first_bad_seq == position
    assert "content" in result.reason


@pytest.mark.parametrize("position", [1, 2, 3, 4])
def test_a_removed_entry_is_named(position: int) -> None:
    """Deleting an entry fails at the position where it is missing."""
    entries = build()
    del entries[position - 1]
    result = verify(entries)
    assert (result.ok, result.first_bad_seq) == (False, position)


def test_a_removed_entry_is_found_even_when_seqs_are_renumbered() -> None:
    """Renumbering after a deletion still breaks the prev link."""
    entries = build()
    del entries[2]
    entries = [dataclasses.replace(e, seq=i) for i, e in enumerate(entries, start=1)]
    result = verify(entries)
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert "prev_hash" in result.reason


def test_swapped_entries_are_named() -> None:
    """Swapping two entries fails at the first of them."""
    entries = build()
    entries[1], entries[3] = entries[3], entries[1]
    result = verify(entries)
    assert (result.ok, result.first_bad_seq) == (False, 2)


def test_a_wrong_prev_link_is_named() -> None:
    """An entry whose prev hash points elsewhere fails, even if its own hash is recomputed."""
    entries = build()
    bad_prev = "f" * 64
    entries[2] = dataclasses.replace(
        entries[2], prev_hash=bad_prev, hash=entry_hash(bad_prev, entries[2].event)
    )
    result = verify(entries)
    assert (result.ok, result.first_bad_seq) == (False, 3)


def test_a_truncated_tail_is_caught_only_against_a_recorded_tip() -> None:
    """Dropping the last entry leaves a valid chain unless the tip hash is checked."""
    entries = build()
    tip = entries[-1].hash
    assert verify(entries[:-1]).ok
    result = verify(entries[:-1], tip_hash=tip)
    assert (result.ok, result.first_bad_seq) == (False, 5)


def test_non_finite_floats_are_refused() -> None:
    """NaN has no canonical JSON form, so it cannot enter the chain."""
    with pytest.raises(ValueError, match="canonical"):
        append(None, {"x": float("nan")})

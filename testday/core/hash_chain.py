"""Provides the tamper-evident hash chain every incident event is appended to, and its verifier.

Each entry's hash is ``sha256(prev_hash + canonical_json(event))``; the first entry links to
:data:`GENESIS` (64 zeros). Changing a byte of any event, removing an entry or reordering two breaks
a link, and :func:`verify` names the first position that no longer matches. Removing the *last*
entries leaves a valid shorter chain, so callers that keep the tip elsewhere pass ``tip_hash``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

GENESIS = "0" * 64


class Recordable(Protocol):
    """An event that knows its JSON-ready record (``IncidentEvent`` does)."""

    def as_record(self) -> Mapping[str, Any]: ...


class ChainError(ValueError):
    """An event that cannot be put in canonical form (a NaN, a non-string key, an odd type)."""


def _plain(value: Any) -> Any:
    if hasattr(value, "as_record"):
        return _plain(value.as_record())
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise ChainError(f"keys must be strings, got {key!r}")
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise ChainError(f"{value!r} has no canonical JSON form")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float):
        return value
    raise ChainError(f"cannot put {type(value).__name__} in canonical JSON")


def canonical_json(event: Mapping[str, Any] | Recordable) -> bytes:
    """Sorted keys, no spaces, UTF-8; floats use Python's shortest round-tripping repr."""
    text = json.dumps(
        _plain(event), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def entry_hash(prev_hash: str, event: Mapping[str, Any] | Recordable) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(event)).hexdigest()


@dataclass(frozen=True)
class ChainEntry:
    """One link: its position (from 1), the hash it builds on, its own hash, and the event."""

    seq: int
    prev_hash: str
    hash: str
    event: Any  # a JSON-ready mapping or an object with ``as_record()``

    def as_record(self) -> dict[str, Any]:
        return {"seq": self.seq, "prev_hash": self.prev_hash, "hash": self.hash,
                "event": _plain(self.event)}  # fmt: skip


def append(chain_tip: ChainEntry | None, event: Mapping[str, Any] | Recordable) -> ChainEntry:
    """The entry that follows ``chain_tip`` (``None`` for an empty chain)."""
    prev = GENESIS if chain_tip is None else chain_tip.hash
    seq = 1 if chain_tip is None else chain_tip.seq + 1
    return ChainEntry(seq=seq, prev_hash=prev, hash=entry_hash(prev, event), event=event)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    first_bad_seq: int | None = None  # the first position (from 1) that does not match
    reason: str = ""


def verify(entries: Sequence[ChainEntry], tip_hash: str | None = None) -> VerifyResult:
    """Check every link in order; the first mismatch is reported by its expected position."""
    prev = GENESIS
    for position, entry in enumerate(entries, start=1):
        if entry.seq != position:
            why = "removed or reordered" if entry.seq > position else "reordered"
            return VerifyResult(
                False, position, f"expected seq {position}, found {entry.seq} ({why})"
            )
        if entry.prev_hash != prev:
            return VerifyResult(False, position, "prev_hash does not match the previous entry")
        try:
            actual = entry_hash(prev, entry.event)
        except ChainError as exc:
            return VerifyResult(False, position, f"event cannot be hashed: {exc}")
        if actual != entry.hash:
            return VerifyResult(False, position, "hash does not match the event's content")
        prev = entry.hash
    if tip_hash is not None and prev != tip_hash:
        return VerifyResult(False, len(entries) + 1, "chain ends before the recorded tip")
    return VerifyResult(True)

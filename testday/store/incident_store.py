"""Provides IncidentStore: the incident hash chain kept in SQLite, appended durably and reloaded.

Each row holds the canonical JSON that was hashed, so the stored bytes are exactly what
:func:`testday.core.hash_chain.verify` checks. Appends are fsynced (``synchronous=FULL`` for that
commit) because an incident record that vanishes in a power cut is a lost irregularity report.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from testday.core import hash_chain
from testday.core.hash_chain import ChainEntry
from testday.core.incidents import IncidentEvent, IncidentLog
from testday.store.database import Store


class ChainConflictError(RuntimeError):
    """The entries do not follow the stored tip (another writer appended first, or a gap)."""


class ChainBrokenError(RuntimeError):
    """The stored chain does not verify; nothing may be appended until it is looked into."""

    def __init__(self, result: hash_chain.VerifyResult) -> None:
        super().__init__(f"incident chain broken at seq {result.first_bad_seq}: {result.reason}")
        self.result = result


class IncidentStore:
    """The ``incident_chain`` table of a :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def append(self, entries: Sequence[ChainEntry]) -> None:
        """Insert ``entries`` in one fsynced transaction; they must continue the stored tip."""
        if not entries:
            return
        # Encode first: an event without a canonical form fails before the write lock is taken.
        rows = [
            (e.seq, e.prev_hash, e.hash, hash_chain.canonical_json(e.event).decode("utf-8"))
            for e in entries
        ]
        # The Store's transaction helper is package-private; this table is part of the same store.
        async with self.store._transaction(durable=True) as conn:
            tip = await conn.execute_fetchall(
                "SELECT seq, hash FROM incident_chain ORDER BY seq DESC LIMIT 1"
            )
            seq, prev = next(iter(tip), (0, hash_chain.GENESIS))
            # Checked inside the write lock, so two writers can never fork the chain.
            for entry in entries:
                if entry.seq != seq + 1 or entry.prev_hash != prev:
                    raise ChainConflictError(
                        f"entry seq {entry.seq} does not follow the stored tip (seq {seq}); "
                        "reload the incident log and try again"
                    )
                seq, prev = entry.seq, entry.hash
            await conn.executemany(
                "INSERT INTO incident_chain (seq, prev_hash, hash, event) VALUES (?, ?, ?, ?)",
                rows,
            )

    async def load(self) -> list[ChainEntry]:
        """Every stored entry in seq order; events are the decoded JSON mappings."""
        return await self.entries_after(0)

    async def entries_after(self, seq: int) -> list[ChainEntry]:
        """Stored entries past position ``seq``, in order: what other writers appended since."""
        rows = await self.store._fetch(
            "SELECT seq, prev_hash, hash, event FROM incident_chain WHERE seq > ? ORDER BY seq",
            (seq,),
        )
        entries = []
        for seq, prev_hash, digest, raw in rows:
            try:
                event = json.loads(raw)
            except (TypeError, ValueError):
                # Kept as the raw value so verify reports this entry rather than load failing.
                event = raw
            entries.append(ChainEntry(int(seq), prev_hash, digest, event))
        return entries

    async def load_log(self, names_allowed: bool = False) -> IncidentLog:
        """The IncidentLog replayed from the stored chain (ChainBrokenError if it is broken)."""
        return log_from_entries(await self.load(), names_allowed)


def log_from_entries(entries: Sequence[ChainEntry], names_allowed: bool = False) -> IncidentLog:
    """Replay stored entries into an IncidentLog, refusing a chain that does not verify.

    Replaying re-hashes every event, so a tampered chain would otherwise come back looking valid.
    """
    result = hash_chain.verify(entries)
    if not result.ok:
        raise ChainBrokenError(result)
    log = IncidentLog(names_allowed)
    for entry in entries:
        log.append(IncidentEvent.from_record(entry.event))
    if log.entries and log.entries[-1].hash != entries[-1].hash:
        # from_record/as_record did not round-trip some event: its stored form is not canonical.
        bad = next(a.seq for a, b in zip(log.entries, entries, strict=True) if a.hash != b.hash)
        raise ChainBrokenError(
            hash_chain.VerifyResult(False, bad, "event does not replay to the stored hash")
        )
    return log

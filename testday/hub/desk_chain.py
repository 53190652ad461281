"""Provides the running hub's incident chain: the in-memory log, durable appends and its tail."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from testday.core import hash_chain
from testday.core.hash_chain import ChainEntry
from testday.core.incidents import IncidentEvent, IncidentLog
from testday.store.incident_store import ChainBrokenError, ChainConflictError, IncidentStore

log = logging.getLogger(__name__)

# Names in stored events were allowed when they were written; replaying must not refuse them.
REPLAY_NAMES = True

Build = Callable[[IncidentLog], Sequence[IncidentEvent]]
NOT_LOADED = "the incident log is not loaded yet"


class ChainUnavailableError(RuntimeError):
    """The stored chain does not verify (or was never loaded): nothing may be appended to it."""


class IncidentChain:
    """One writer's view of the incident chain in a database file other processes also append to.

    Every change enters the in-memory log the same way, whoever wrote it: appended durably first,
    then read back from the store in seq order (``catch_up``). So the hub's own appends are never
    folded twice, and another process's are never missed. One lock serialises all of it.
    """

    def __init__(self, on_folded: Callable[[IncidentEvent], None]) -> None:
        self.log = IncidentLog(names_allowed=REPLAY_NAMES)
        self.broken: str | None = NOT_LOADED
        self._store: IncidentStore | None = None
        self._on_folded = on_folded
        self._lock = asyncio.Lock()

    async def open(self, store: IncidentStore) -> None:
        """Load the stored chain; a broken one is logged and blocks appends, not the hub."""
        self._store = store
        async with self._lock:
            await self._reload()

    @property
    def tip(self) -> ChainEntry | None:
        return self.log.entries[-1] if self.log.entries else None

    async def catch_up(self) -> None:
        """Fold in what other processes appended since the last look."""
        async with self._lock:
            await self._catch_up()

    async def write(self, build: Build) -> list[IncidentEvent]:
        """Append the events ``build`` makes from the current log, durably, then fold them in.

        ``build`` runs on a caught-up log; if another writer still gets in first
        (ChainConflictError), the log is caught up again and ``build`` runs once more.
        """
        async with self._lock:
            await self._catch_up()
            for attempt in (1, 2):
                store = self._usable()
                events = list(build(self.log))
                if not events:
                    return []
                entries: list[ChainEntry] = []
                tip = self.tip
                for event in events:
                    tip = hash_chain.append(tip, event)
                    entries.append(tip)
                try:
                    await store.append(entries)
                except ChainConflictError:
                    if attempt == 2:
                        raise
                    log.info("incident chain moved under us; catching up and trying again")
                    await self._catch_up()
                    continue
                await self._catch_up()
                return events
        raise AssertionError("unreachable")

    def _usable(self) -> IncidentStore:
        if self.broken is not None or self._store is None:
            raise ChainUnavailableError(f"{self.broken}; run `testday verify` for details")
        return self._store

    async def _catch_up(self) -> None:
        if self._store is None:
            return
        if self.broken is not None:
            await self._reload()  # a chain repaired by hand is picked up again
            return
        tip = self.tip
        for entry in await self._store.entries_after(tip.seq if tip else 0):
            try:
                event = IncidentEvent.from_record(entry.event)
                expected = hash_chain.append(self.tip, event)
                if (expected.seq, expected.prev_hash, expected.hash) != (
                    entry.seq,
                    entry.prev_hash,
                    entry.hash,
                ):
                    raise ChainBrokenError(
                        hash_chain.VerifyResult(False, entry.seq, "does not follow the log")
                    )
                self.log.append(event)
            except Exception as exc:
                # Not a clean continuation (a rewritten chain, an event that does not apply):
                # read the whole chain again, which verifies every link.
                log.warning("incident chain entry %s: %s; reloading the chain", entry.seq, exc)
                await self._reload()
                return
            self._on_folded(event)

    async def _reload(self) -> None:
        assert self._store is not None
        first = self.broken == NOT_LOADED
        try:
            fresh = await self._store.load_log(names_allowed=REPLAY_NAMES)
        except ChainBrokenError as exc:
            if self.broken is None or first:  # said once, not on every tick
                log.error("%s; incidents will not be recorded until it is fixed", exc)
            self.broken = str(exc)
            return
        old, self.log, self.broken = self.log, fresh, None
        if first:
            return  # nothing was shown yet, so nothing changed
        # Tell about every event past the prefix both logs share.
        common = 0
        for before, after in zip(old.entries, fresh.entries, strict=False):
            if before.hash != after.hash:
                break
            common += 1
        for entry in fresh.entries[common:]:
            self._on_folded(entry.event)

"""Tests the incident chain in SQLite: durable appends, reloads, forks refused, tampering found."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from testday.core import hash_chain
from testday.reports.json_export import incident_record
from testday.reports.verify_export import verify_entries
from testday.store.database import Store
from testday.store.incident_store import ChainBrokenError, ChainConflictError, IncidentStore
from testday.store.schema import MIGRATIONS, migrate
from tests.reports.sample import at, sample_log


async def test_append_then_reload_rebuilds_the_same_log(db_path: Path) -> None:
    """Entries survive a reopen byte for byte, and replay into the same incidents."""
    log = sample_log()
    store = await Store.open(db_path)
    await IncidentStore(store).append(log.entries[:4])
    await IncidentStore(store).append(log.entries[4:])
    await store.close()
    store = await Store.open(db_path)
    try:
        incidents = IncidentStore(store)
        loaded = await incidents.load()
        assert [e.hash for e in loaded] == [e.hash for e in log.entries]
        assert hash_chain.verify(loaded).ok and verify_entries(loaded).ok
        rebuilt = await incidents.load_log()
        assert [incident_record(i) for i in rebuilt.incidents()] == [
            incident_record(i) for i in log.incidents()
        ]
        # The rebuilt log carries on the same chain.
        more = rebuilt.append(rebuilt.note("inc-3", "tech", at(30), "Drill over"))
        await incidents.append([more])
        assert len(await incidents.load()) == len(log.entries) + 1
    finally:
        await store.close()


async def test_entries_that_do_not_follow_the_tip_are_refused(store: Store) -> None:
    """A second writer's stale entry, or a gap, is refused and nothing of that batch is kept."""
    log = sample_log()
    incidents = IncidentStore(store)
    await incidents.append(log.entries[:2])
    with pytest.raises(ChainConflictError, match="does not follow"):
        await incidents.append([log.entries[3]])  # gap: seq 3 missing
    with pytest.raises(ChainConflictError):
        await incidents.append(log.entries[1:3])  # seq 2 again
    assert [e.seq for e in await incidents.load()] == [1, 2]


async def test_a_tampered_row_is_named_and_blocks_rebuilding(store: Store, db_path: Path) -> None:
    """Editing one stored event is found at its seq; the log is not silently re-hashed."""
    incidents = IncidentStore(store)
    await incidents.append(sample_log().entries)
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "UPDATE incident_chain SET event = replace(event, 'Switch in 114', 'Switch in 115') "
            "WHERE seq = 5"
        )
    check = verify_entries(await incidents.load())
    assert (check.ok, check.seq, check.incident_id) == (False, 5, "inc-2")
    with pytest.raises(ChainBrokenError, match="seq 5"):
        await incidents.load_log()


async def test_a_version_1_file_gains_the_chain_table(db_path: Path) -> None:
    """An existing database from before incidents is migrated in place, keeping its data."""
    db_path.parent.mkdir(parents=True)
    conn = await aiosqlite.connect(db_path, isolation_level=None)
    await migrate(conn, migrations=MIGRATIONS[:1])
    await conn.execute("INSERT INTO events (ts, kind) VALUES (1.0, 'old')")
    await conn.close()
    store = await Store.open(db_path)
    try:
        assert [e.kind for e in await store.events()] == ["old"]
        assert await IncidentStore(store).load() == []
    finally:
        await store.close()

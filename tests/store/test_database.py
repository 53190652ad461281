"""Tests for Store: batch round trips, upserts, duplicates, queries, atomicity, pruning."""

import sqlite3

import pytest

from testday.store.database import Store, StoreClosedError
from tests.store.rows import device, event, report


async def test_write_batch_round_trip(store: Store) -> None:
    """Devices, reports and events written in one batch read back equal; event ids are set."""
    d, r, e = device(), report(history=True), event(reason="hello", n=[1, 2])
    await store.write_batch([d], [r], [e])
    assert await store.load_devices() == [d]
    assert await store.reports("dev-1") == [r]
    assert e.id is not None
    assert await store.events() == [e]


async def test_device_upsert_replaces_columns_keeps_first_seen_and_key(store: Store) -> None:
    """An upsert replaces the row but keeps the earliest first_seen and a key it does not carry."""
    await store.write_batch([device(first_seen=1000.0, key_hash="k1")], [], [])
    newer = device(first_seen=2000.0, key_hash=None, room="Lab 202", last_seq=9, verdict="warning")
    await store.write_batch([newer], [], [])
    [row] = await store.load_devices()
    assert (row.room, row.last_seq, row.verdict) == ("Lab 202", 9, "warning")
    assert (row.first_seen, row.key_hash) == (1000.0, "k1")
    assert await store.set_device_key("dev-1", None) is True
    assert (await store.load_devices())[0].key_hash is None
    assert await store.set_device_key("unknown", "k") is False


async def test_duplicate_report_is_ignored(store: Store) -> None:
    """A report stored twice (same device and seq) keeps the first copy, without an error."""
    await store.write_batch([], [report(seq=5, facts=b'{"first":1}')], [])
    await store.write_batch([], [report(seq=5, facts=b'{"again":1}', history=True)], [])
    assert await store.count_reports("dev-1") == 1
    assert (await store.reports("dev-1"))[0].facts == b'{"first":1}'


async def test_events_filters_and_keeps_the_newest(store: Store) -> None:
    """events() filters by device and time, and returns the newest `limit`, newest last."""
    rows = [event(ts=1000.0 + i, device_id=f"dev-{i % 2}", i=i) for i in range(10)]
    await store.write_batch([], [], rows)
    assert [e.id for e in rows] == list(range(1, 11))
    assert [e.data["i"] for e in await store.events(limit=3)] == [7, 8, 9]
    assert [e.data["i"] for e in await store.events("dev-1")] == [1, 3, 5, 7, 9]
    assert [e.data["i"] for e in await store.events("dev-0", since=1004.0)] == [4, 6, 8]


async def test_reports_by_seq_since_and_limit(store: Store) -> None:
    """reports() returns one device's latest `limit` reports since a time, ordered by seq."""
    rows = [report(seq=s, ts=1000.0 + s) for s in (3, 1, 2, 5, 4)] + [report("dev-2", seq=1)]
    await store.write_batch([], rows, [])
    assert [r.seq for r in await store.reports("dev-1")] == [1, 2, 3, 4, 5]
    assert [r.seq for r in await store.reports("dev-1", limit=2)] == [4, 5]
    assert [r.seq for r in await store.reports("dev-1", since=1003.0)] == [3, 4, 5]
    assert (await store.count_reports(), await store.count_reports("dev-2")) == (6, 1)


async def test_failed_batch_writes_nothing(store: Store) -> None:
    """A batch with one bad row commits none of its rows."""
    bad = report(seq=2, facts=None)
    with pytest.raises(sqlite3.IntegrityError):
        await store.write_batch([device()], [report(seq=1), bad], [event()])
    assert await store.load_devices() == []
    assert (await store.count_reports(), await store.events()) == (0, [])
    await store.write_batch([device()], [], [])  # and the connection is usable again
    assert len(await store.load_devices()) == 1


async def test_prune_removes_old_reports_only(store: Store) -> None:
    """prune_reports() deletes reports received before the cutoff, across chunks."""
    await store.write_batch([], [report(seq=s, ts=float(s)) for s in range(1, 26)], [])
    assert await store.prune_reports(older_than=21.0, chunk=7) == 20
    assert [r.seq for r in await store.reports("dev-1")] == [21, 22, 23, 24, 25]


async def test_closed_store_says_so(store: Store) -> None:
    """Using a closed store raises StoreClosedError, not an obscure driver error."""
    await store.close()
    with pytest.raises(StoreClosedError):
        await store.load_devices()
    with pytest.raises(StoreClosedError):
        await store.write_batch([device()], [], [])

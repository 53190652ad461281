"""Tests for BatchWriter: coalescing, commit-then-resolve, size and delay triggers, failures."""

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from testday.store.database import Store
from testday.store.writer import BatchWriter
from tests.eventually import eventually
from tests.store.rows import device, event, report


def _count(path: Path, table: str) -> int:
    """Count rows through a second, independent connection: only committed rows are visible."""
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


async def test_device_rows_are_coalesced(store: Store) -> None:
    """Only the latest queued row per device is written."""
    writer = BatchWriter(store, max_delay=60)
    for seq in range(1, 6):
        writer.put_device(device(last_seq=seq))
    writer.put_device(device("dev-2"))
    assert writer.pending == 2
    await writer.flush()
    assert [(d.device_id, d.last_seq) for d in await store.load_devices()] == [
        ("dev-1", 5),
        ("dev-2", 1),
    ]
    assert (writer.batches, writer.rows_written, writer.pending) == (1, 2, 0)


async def test_device_futures_resolve_once_the_device_row_is_committed(
    store: Store, db_path: Path
) -> None:
    """A device row's future (and a replaced row's) resolves only once a row is on disk."""
    writer = BatchWriter(store, max_delay=60)
    first = writer.put_device_durable(device(last_seq=1))
    writer.put_device(device(last_seq=2))
    second = writer.put_device_durable(device(last_seq=3))
    await asyncio.sleep(0)  # a turn of the loop, in which nothing but a flush may resolve them
    assert not first.done() and not second.done()
    assert _count(db_path, "devices") == 0
    await writer.flush()
    assert first.done() and second.done()
    assert _count(db_path, "devices") == 1


async def test_futures_resolve_only_after_commit(store: Store, db_path: Path) -> None:
    """When a future resolves, its row is already visible to another connection."""
    writer = BatchWriter(store, max_delay=0.05)
    writer.start()
    seen: list[int] = []
    futures = [writer.put_report(report(seq=s)) for s in range(1, 4)]
    logged = event()
    futures.append(writer.put_event(logged))
    for f in futures:
        f.add_done_callback(lambda _: seen.append(_count(db_path, "reports")))
    assert _count(db_path, "reports") == 0
    await asyncio.wait_for(asyncio.gather(*futures), 5)
    assert seen == [3, 3, 3, 3]
    assert _count(db_path, "events") == 1 and logged.id == 1
    await writer.stop()


async def test_flush_by_size_before_the_delay(store: Store) -> None:
    """max_rows queued rows (of any kind) are committed at once, not after max_delay."""
    writer = BatchWriter(store, max_delay=60, max_rows=500)
    writer.start()
    futures = [writer.put_report(report(seq=s)) for s in range(1, 400)]
    futures += [writer.put_event(event(i=i)) for i in range(100)]
    writer.put_device(device())
    await asyncio.wait_for(asyncio.gather(*futures), 5)
    assert (writer.batches, writer.rows_written) == (1, 500)
    await writer.stop()


async def test_small_batches_wait_for_the_delay(store: Store, db_path: Path) -> None:
    """A few rows are not committed one by one: they wait for max_delay, then go together."""
    writer = BatchWriter(store, max_delay=0.3)
    writer.start()
    queued = time.monotonic()
    futures = [writer.put_report(report(seq=s)) for s in range(1, 6)]
    await asyncio.wait_for(asyncio.gather(*futures), 10)
    assert time.monotonic() - queued >= 0.3  # not before the delay; a busy machine only adds
    assert writer.batches == 1
    await writer.stop()


async def test_stop_flushes_and_refuses_new_rows(store: Store) -> None:
    """stop() commits what is pending; a put after stop raises."""
    writer = BatchWriter(store, max_delay=60)
    writer.start()
    future = writer.put_event(event())
    writer.put_device(device())
    await writer.stop()
    assert future.done() and future.exception() is None
    assert len(await store.load_devices()) == 1
    with pytest.raises(RuntimeError, match="stopped"):
        writer.put_report(report())


async def test_a_bad_row_is_dropped_alone(store: Store) -> None:
    """A row the database refuses fails its own future; the rest of its batch is committed."""
    writer = BatchWriter(store, max_delay=60)
    good = writer.put_report(report(seq=1))
    bad = writer.put_report(report(seq=2, facts=None))
    logged = writer.put_event(event())
    writer.put_device(device())
    await writer.flush()
    with pytest.raises(sqlite3.IntegrityError):
        await bad
    await asyncio.gather(good, logged)
    assert (await store.count_reports(), len(await store.load_devices())) == (1, 1)
    assert (writer.rows_dropped, writer.pending) == (1, 0)


async def test_locked_database_fails_futures_then_retries(db_path: Path) -> None:
    """While another connection holds the write lock futures fail; rows commit once it is freed."""
    store = await Store.open(db_path, busy_timeout_ms=50)
    writer = BatchWriter(store, max_delay=0.05, max_backoff=0.1)
    writer.start()
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        future = writer.put_report(report(seq=1))
        writer.put_device(device())
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await asyncio.wait_for(future, 5)
        assert writer.failures >= 1 and writer.pending == 2
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    await eventually(lambda: writer.pending == 0, 10, what="the writer's own retry committing")
    assert (await store.count_reports(), len(await store.load_devices())) == (1, 1)
    await writer.stop()
    await store.close()

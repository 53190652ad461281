"""Tests FleetJournal, the one path of fleet changes: state, the durable log, then watchers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path

import pytest
from testday_agent.protocol import Hello

from testday.core.fleet import FleetEvent, FleetState
from testday.hub.fleet_journal import FleetJournal
from testday.store.database import Store
from testday.store.writer import BatchWriter
from tests.core.devices import PROFILE


def hello(device_id: str = "dev-a") -> Hello:
    return Hello(device_id=device_id, agent_version="test", os_family="linux", os_version="12",
                 hostname=f"host-{device_id}", room="112")  # fmt: skip


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "hub.sqlite3")
    yield opened
    await opened.close()


@pytest.fixture
async def writer(store: Store) -> AsyncIterator[BatchWriter]:
    batches = BatchWriter(store, max_delay=60)  # committed when a test flushes, not before
    yield batches
    await batches.stop()


def journal_on(writer: BatchWriter) -> FleetJournal:
    journal = FleetJournal(FleetState(lambda room: PROFILE, interval_s=1.0))
    journal.open(writer)
    return journal


async def test_a_failing_watcher_costs_no_change_and_no_other_watcher(
    store: Store, writer: BatchWriter, caplog: pytest.LogCaptureFixture
) -> None:
    """A watcher that raises is logged; the change is stored and the next watcher still told."""
    journal = journal_on(writer)
    told: list[tuple[list[str], set[str]]] = []

    def broken(events: Sequence[FleetEvent], devices: Iterable[str]) -> None:
        raise RuntimeError("a bug in a watcher")

    journal.watch(broken)
    journal.watch(lambda events, devices: told.append(([e.kind for e in events], set(devices))))
    journal.connect(hello(), "c1", "10.0.0.9:5", time.time())
    await writer.flush()
    assert told == [(["device.connected", "verdict.changed"], {"dev-a"})]
    assert [row.device_id for row in await store.load_devices()] == ["dev-a"]
    assert [e.kind for e in await store.events()] == ["device.connected", "verdict.changed"]
    assert "a bug in a watcher" in caplog.text


async def test_an_enrolled_key_is_stored_when_its_future_resolves(
    store: Store, writer: BatchWriter
) -> None:
    """The future of an enrollment waits for the device row holding the key, and only it."""
    journal = journal_on(writer)
    stored = journal.enroll(hello("dev-k"), "c1", "10.0.0.9:5", time.time(), key_hash="k-hash")
    assert not stored.done()
    await writer.flush()
    assert stored.done()
    assert [(r.device_id, r.key_hash) for r in await store.load_devices()] == [("dev-k", "k-hash")]


def test_recording_before_the_hub_opened_its_store_is_refused() -> None:
    """A change with nowhere to be stored says so, rather than vanishing."""
    journal = FleetJournal(FleetState(lambda room: PROFILE))
    with pytest.raises(RuntimeError, match="before the hub has started"):
        journal.connect(hello(), "c1", "10.0.0.9:5", time.time())

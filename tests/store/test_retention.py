"""Tests for Retention: reports past the horizon are pruned, older ones thinned, events kept."""

from testday.store.database import Store
from testday.store.retention import Retention
from tests.store.rows import event, report

HOUR = 3600.0
NOW = 1_000_000 * 300.0  # a bucket boundary, to keep the arithmetic readable


async def test_prune_keeps_the_last_hours_only(store: Store) -> None:
    """Reports older than keep_hours go; newer ones and every event stay."""
    ages_h = [100, 80, 73, 71, 10, 1]
    await store.write_batch(
        [], [report(seq=i, ts=NOW - a * HOUR) for i, a in enumerate(ages_h)], [event(ts=0.0)]
    )
    retention = Retention(store, keep_hours=72, full_hours=None)
    assert await retention.run_once(NOW) == (3, 0)
    assert [r.seq for r in await store.reports("dev-1")] == [3, 4, 5]
    assert len(await store.events()) == 1
    assert await retention.run_once(NOW) == (0, 0)


async def test_thinning_keeps_one_report_per_device_per_bucket(store: Store) -> None:
    """Past full_hours a device keeps one report per `every_s` of agent time; recent ones stay."""
    start = NOW - 3 * HOUR  # three hours of reports every 10 s from two devices
    rows = [
        report(dev, seq=i, ts=start + 10 * i, agent_ts=start + 10 * i)
        for i in range(int(3 * HOUR / 10))
        for dev in ("dev-1", "dev-2")
    ]
    await store.write_batch([], rows, [])
    retention = Retention(store, keep_hours=72, full_hours=2, every_s=300, chunk=97)
    pruned, thinned = await retention.run_once(NOW)
    # The oldest hour: 360 reports per device become 12; the last two hours are untouched.
    assert (pruned, thinned) == (0, 2 * (360 - 12))
    kept = await store.reports("dev-1", limit=10_000)
    old = [r for r in kept if r.received_ts < NOW - 2 * HOUR]
    assert len(old) == 12 and len(kept) == 12 + 720
    assert len({int(r.agent_ts // 300) for r in old}) == 12
    # A second pass, and a fresh Retention after a restart, delete nothing more.
    assert await retention.run_once(NOW) == (0, 0)
    assert await Retention(store, full_hours=2, chunk=50).run_once(NOW) == (0, 0)


async def test_replayed_history_is_thinned_by_agent_time(store: Store) -> None:
    """Spooled reports replayed in one burst keep one per bucket of when they were collected."""
    burst = NOW - 3 * HOUR
    rows = [
        report(seq=i, ts=burst + i * 0.01, agent_ts=burst - HOUR + 60 * i, history=True)
        for i in range(60)
    ]  # an hour of history (one a minute) received within a second
    await store.write_batch([], rows, [])
    await Retention(store, full_hours=2, every_s=300).run_once(NOW)
    assert await store.count_reports() == 12

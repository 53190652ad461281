"""Provides a benchmark of the store: device upserts and ~1 KiB reports through the BatchWriter.

Run: .venv/bin/python benchmarks/store_throughput.py   (about 15 s; uses a temporary directory)

Two phases, each beside the target (10,000 agents, one report each per 10 s = 1,000 reports/s,
the whole hub within 50 % of one core): a burst of 10,000 reports + 10,000 device upserts as fast
as the writer takes them, then 1,000 reports/s (+ as many upserts, + 20 events/s, so most batches
are fsynced) paced for 12 s. CPU is the process's (all threads: SQLite runs in aiosqlite's), so it
is the store's share of the budget, plus the benchmark's own small producer loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from testday.store.database import Store
from testday.store.records import DeviceRow, EventRow, ReportRow
from testday.store.writer import BatchWriter

DEVICES = 10_000
TARGET_RATE = 1_000  # reports/s
BUDGET = 0.50  # of one core, for the whole hub
PACED_S = 10
EVENT_RATE = 20  # events/s in the paced phase: verdict changes, connects, …


def facts_json(i: int) -> bytes:
    """A report's facts as an agent sends them: about 1 KiB of JSON."""
    facts = {
        "battery": {"present": True, "percent": 40 + i % 60, "plugged": i % 3 == 0},
        "apps": [{"name": "TestNav", "installed": True, "version": "1.13.2", "running": True,
                  "source": r"C:\Program Files (x86)\TestNav\TestNav.exe"}],
        "network": {"interface": "wlan0", "kind": "wifi", "ipv4": f"10.1.{i // 250}.{i % 250}",
                    "gateway": "10.1.0.1", "wifi_signal_percent": 71.0,
                    "dns": [{"host": "testnav.com", "ok": True, "ms": 12.5,
                             "addresses": ["52.1.2.3", "52.1.2.4"]}],
                    "endpoints": [{"name": "delivery", "host": "api.testnav.com", "port": 443,
                                   "ok": True, "connect_ms": 23.1},
                                  {"name": "content", "host": "cdn.testnav.com", "port": 443,
                                   "ok": True, "connect_ms": 18.4}]},
        "system": {"os_family": "windows", "os_version": "10.0.22631", "hostname": f"LAB-{i:05d}",
                   "uptime_s": 3600.0 + i, "disk_path": "C:\\", "disk_free_mb": 51234.5,
                   "memory_total_mb": 8192.0, "memory_available_mb": 4100.0, "cpu_percent": 7.5,
                   "load1": 0.4},
        "agent": {"version": "0.1.0", "rss_mb": 21.4, "cpu_percent": 0.1, "collect_ms": 31.0,
                  "spool_depth": 0, "spool_dropped": 0},
        "errors": {},
    }  # fmt: skip
    return json.dumps(facts).encode()


def device_row(i: int, seq: int, now: float, facts: bytes) -> DeviceRow:
    return DeviceRow(
        f"dev-{i:05d}", "sha256:" + "ab" * 32, f"LAB-{i:05d}", f"Room {i // 30}", f"A{i:05d}",
        "windows", "10.0.22631", "0.1.0", f"uuid-{i}", f"SN{i}", now - 3600, now, seq, facts,
        "ready", b"[]",
    )  # fmt: skip


async def burst(writer: BatchWriter, facts: list[bytes]) -> tuple[float, float]:
    now = time.time()
    devices = [device_row(i, 1, now, facts[i]) for i in range(DEVICES)]
    reports = [ReportRow(d.device_id, 1, now, now, False, d.facts or b"") for d in devices]
    wall, cpu = time.perf_counter(), time.process_time()
    futures = []
    for start in range(0, DEVICES, 500):  # a producer that yields, as a server's handlers do
        for i in range(start, start + 500):
            writer.put_device(devices[i])
            futures.append(writer.put_report(reports[i]))
        await asyncio.sleep(0)
    await asyncio.gather(*futures)
    await writer.flush()
    return time.perf_counter() - wall, time.process_time() - cpu


async def paced(writer: BatchWriter, facts: list[bytes]) -> tuple[float, list[float]]:
    per_tick = TARGET_RATE // 100  # puts every 10 ms
    # Latency is measured over PACED_S; the load runs 2 s longer, so the last measured reports see
    # the steady state and not the final partial batch, which waits the full max_delay.
    measured, total = TARGET_RATE * PACED_S, TARGET_RATE * (PACED_S + 2)
    now = time.time()
    rows = [
        (device_row(i % DEVICES, 2 + i // DEVICES, now, facts[i % DEVICES]),
         ReportRow(f"dev-{i % DEVICES:05d}", 2 + i // DEVICES, now, now, False, facts[i % DEVICES]))
        for i in range(total)
    ]  # fmt: skip
    latencies: list[float] = []

    def acked(t0: float) -> object:
        return lambda _: latencies.append(time.perf_counter() - t0)

    futures = []
    start, cpu = time.perf_counter(), time.process_time()
    for n in range(0, total, per_tick):
        t0 = time.perf_counter()
        for device, report in rows[n : n + per_tick]:
            writer.put_device(device)
            future = writer.put_report(report)
            if n < measured:
                future.add_done_callback(acked(t0))
            futures.append(future)
        if n % (TARGET_RATE // EVENT_RATE) == 0:  # events make their batch fsync (FULL)
            data = {"from": "ready", "to": "warning", "reasons": ["battery.low"]}
            futures.append(writer.put_event(EventRow(now, "verdict.changed", device.device_id,
                                                     device.room, data)))  # fmt: skip
        due = start + (n + per_tick) / TARGET_RATE
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
    await asyncio.gather(*futures)
    elapsed = time.perf_counter() - start
    return (time.process_time() - cpu) / elapsed, latencies


async def main() -> None:
    facts = [facts_json(i) for i in range(DEVICES)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        store = await Store.open(path)
        writer = BatchWriter(store)
        writer.start()
        wall, cpu = await burst(writer, facts)
        burst_batches = writer.batches
        share, latencies = await paced(writer, facts)
        await writer.stop()
        await store.close()
        size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 2**20

    cpu_per_k = cpu / (DEVICES / 1000)
    q = statistics.quantiles(latencies, n=100)
    rows = [
        ("burst: reports/s", f"{DEVICES / wall:,.0f}", f"≥ {TARGET_RATE:,}"),
        ("burst: CPU s per 1,000 reports (+ upserts)", f"{cpu_per_k:.3f}", ""),
        ("burst: % of a core at 1,000 reports/s", f"{cpu_per_k:.1%}", f"hub ≤ {BUDGET:.0%}"),
        (f"paced, + {EVENT_RATE} events/s: % of a core", f"{share:.1%}", f"hub ≤ {BUDGET:.0%}"),
        ("paced: put → commit p50 / p99 / max (ms)",
         f"{q[49] * 1000:.0f} / {q[98] * 1000:.0f} / {max(latencies) * 1000:.0f}", "≤ 1,000"),
    ]  # fmt: skip
    print(f"store throughput: SQLite {sqlite3.sqlite_version}, WAL, synchronous=NORMAL, "
          f"{os.cpu_count()} CPUs, facts {len(facts[0])} B each")  # fmt: skip
    print(f"burst: {DEVICES:,} reports + {DEVICES:,} device upserts in {wall:.2f} s, "
          f"{burst_batches} batches; paced: {writer.batches - burst_batches} batches")  # fmt: skip
    print(f"{'measure':<46}{'achieved':>16}   target")
    for name, value, target in rows:
        print(f"{name:<46}{value:>16}   {target}")
    print(f"database: {size_mb:.0f} MiB for {writer.rows_written:,} rows written")


if __name__ == "__main__":
    asyncio.run(main())

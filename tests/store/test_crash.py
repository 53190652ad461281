"""Tests that whatever the writer acknowledged survives a SIGKILL of the process."""

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from testday.store.database import Store

# The child acknowledges rows exactly as the hub will: only once their futures resolve. Then it
# queues more (never acknowledged) and kills itself without any cleanup.
CHILD = r"""
import asyncio, os, signal, sys
from pathlib import Path
from testday.store.database import Store
from testday.store.records import DeviceRow, EventRow, ReportRow
from testday.store.writer import BatchWriter

async def main(path):
    store = await Store.open(path)
    writer = BatchWriter(store, max_delay=0.05, max_rows=100)
    writer.start()
    futures = []
    for i in range(250):
        writer.put_device(DeviceRow(f"dev-{i % 50}", None, None, None, None, None, None, None,
                                    None, None, 1.0, 2.0, i, b"{}", "ready", b"[]"))
        futures.append(writer.put_report(ReportRow(f"dev-{i % 50}", i, 1.0, 2.0, False, b"{}")))
        if i % 10 == 0:
            row = EventRow(2.0, "device.connected", None, None, {"i": i})
            futures.append(writer.put_event(row))
    await asyncio.gather(*futures)
    await writer.flush()  # device rows carry no future: flush() is how to know they are in
    print("acked", flush=True)
    for i in range(250, 300):
        writer.put_report(ReportRow("dev-late", i, 1.0, 2.0, False, b"{}"))
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(main(Path(sys.argv[1])))
"""


@pytest.mark.slow
async def test_acknowledged_rows_survive_sigkill(db_path: Path) -> None:
    """Rows whose futures resolved are all there after a SIGKILL and a reopen of the file."""
    root = Path(__file__).resolve().parents[2]
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, str(db_path),
        stdout=asyncio.subprocess.PIPE, cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    out, _ = await asyncio.wait_for(child.communicate(), 60)
    assert out.decode().strip() == "acked"
    assert child.returncode == -signal.SIGKILL
    # Nothing was checkpointed: the reopen below really recovers the commits from the WAL.
    assert db_path.with_name(db_path.name + "-wal").stat().st_size > 0

    store = await Store.open(db_path)
    try:
        assert await store.count_reports() - await store.count_reports("dev-late") == 250
        assert len(await store.events()) == 25
        devices = await store.load_devices()
        assert len(devices) == 50
        assert {d.last_seq for d in devices} == set(range(200, 250))
    finally:
        await store.close()

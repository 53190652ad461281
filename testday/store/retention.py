"""Provides Retention: the periodic prune and downsampling of the reports table.

Defaults (all constructor parameters): reports are kept ``keep_hours=72`` hours; those older than
``full_hours=2`` are thinned to about one per device per ``every_s=300`` seconds of device time;
a pass runs every ``interval_s=300`` seconds. Events are never pruned: they are the durable log.

Why thin at all: at the design target (1,000 reports/s, ~1 KiB each) 72 hours at full resolution
is ~260 million rows, ~260 GB. Thinned, it is ~7 million rows for the last 2 hours plus one per
device per 5 minutes (~8.4 million for 10,000 devices over the 70 hours before), ~16 GB.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from testday.store.database import Store

log = logging.getLogger(__name__)


class Retention:
    """Deletes reports past ``keep_hours`` and thins those past ``full_hours``, in small chunks."""

    def __init__(
        self,
        store: Store,
        keep_hours: float = 72.0,
        full_hours: float | None = 2.0,
        every_s: float = 300.0,
        interval_s: float = 300.0,
        chunk: int = 5000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self.keep_s = keep_hours * 3600
        self.full_s = None if full_hours is None else full_hours * 3600
        self.every_s = every_s
        self.interval_s = interval_s
        self._chunk = chunk
        self._clock = clock
        # Thinning walks the table in (received_ts, id) order; it resumes where it stopped. After
        # a restart it walks the survivors once more, which deletes nothing (see run_once).
        self._cursor: tuple[float, int] = (float("-inf"), 0)
        self._last_bucket: dict[str, int] = {}  # per device: agent-time bucket of the last kept
        self._task: asyncio.Task[None] | None = None
        self.pruned = 0
        self.thinned = 0

    def start(self) -> None:
        """Run a pass now and then every ``interval_s``."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="retention")

    async def stop(self) -> None:
        """Stop the periodic task; a chunk in progress is rolled back."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("report retention pass failed; trying again next interval")
            await asyncio.sleep(self.interval_s)

    async def run_once(self, now: float | None = None) -> tuple[int, int]:
        """Prune, then thin; return (pruned, thinned) row counts of this pass."""
        now = self._clock() if now is None else now
        pruned = await self._store.prune_reports(now - self.keep_s, chunk=self._chunk)
        thinned = 0
        if self.full_s is not None:
            # Stop at a bucket boundary, so a bucket is never thinned while it can still grow.
            horizon = (now - self.full_s) // self.every_s * self.every_s
            thinned = await self._thin(horizon)
        self.pruned += pruned
        self.thinned += thinned
        if pruned or thinned:
            log.info("report retention: %d pruned, %d thinned", pruned, thinned)
        return pruned, thinned

    async def _thin(self, horizon: float) -> int:
        """Keep a report only if its device's previous kept report is in another bucket.

        Buckets are by agent time, so a burst of spooled reports replayed at once keeps its shape.
        Applied to its own output the rule deletes nothing, so re-walking survivors is harmless.
        """
        deleted = 0
        while True:
            rows = await self._store.scan_reports(self._cursor, horizon, self._chunk)
            if not rows:
                return deleted
            doomed = []
            for row_id, device_id, _, agent_ts in rows:
                bucket = int(agent_ts // self.every_s)
                if self._last_bucket.get(device_id) == bucket:
                    doomed.append(row_id)
                else:
                    self._last_bucket[device_id] = bucket
            deleted += await self._store.delete_reports(doomed)
            self._cursor = (rows[-1][2], rows[-1][0])

"""Provides BatchWriter: queues rows and commits them in batches (≤ max_delay or ≤ max_rows)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import sqlite3
import time
from dataclasses import dataclass, field

from testday.store.database import Store
from testday.store.records import DeviceRow, EventRow, ReportRow

log = logging.getLogger(__name__)

# Errors that belong to one row, not to the database: retrying the batch would fail forever, so the
# batch is rewritten row by row and only the bad rows are dropped.
_ROW_ERRORS = (
    sqlite3.IntegrityError, sqlite3.InterfaceError, sqlite3.DataError, TypeError, ValueError,
    OverflowError,
)  # fmt: skip

Waiter = asyncio.Future[None] | None
# A queued device row and everyone waiting for it: a newer row for the device replaces the row,
# and its commit answers the waiters of the rows it replaced too.
QueuedDevice = tuple[DeviceRow, list[asyncio.Future[None]]]


@dataclass
class _Batch:
    devices: list[QueuedDevice] = field(default_factory=list)
    reports: list[tuple[ReportRow, Waiter]] = field(default_factory=list)
    events: list[tuple[EventRow, Waiter]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.devices) + len(self.reports) + len(self.events)

    def waiters(self) -> list[Waiter]:
        waiters = [w for _, w in itertools.chain(self.reports, self.events)]
        return waiters + [w for _, ws in self.devices for w in ws]


def _resolve(waiters: list[Waiter], exc: BaseException | None = None) -> None:
    for waiter in waiters:
        if waiter is None or waiter.done():  # the caller may have cancelled or dropped it
            continue
        if exc is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(exc)
            # Mark it retrieved: a fire-and-forget caller must not get "never retrieved" noise;
            # the writer logs the failure itself, and awaiting the future still raises.
            waiter.exception()


class BatchWriter:
    """One background task commits queued rows; a put never waits for the database."""

    def __init__(
        self, store: Store, max_delay: float = 1.0, max_rows: int = 500, max_backoff: float = 10.0
    ) -> None:
        self._store = store
        self._max_delay = max_delay
        self._max_rows = max_rows
        self._max_backoff = max_backoff
        self._devices: dict[str, QueuedDevice] = {}  # coalesced: only the latest row per device
        self._reports: list[tuple[ReportRow, Waiter]] = []
        self._events: list[tuple[EventRow, Waiter]] = []
        self._oldest = 0.0  # monotonic time the oldest pending row was queued
        self._retry_at = 0.0
        self._streak = 0  # consecutive failed commits
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # one batch in flight at a time: events commit in put order
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        # counters for /metrics
        self.batches = 0
        self.rows_written = 0
        self.rows_dropped = 0
        self.failures = 0
        self.last_batch_ms = 0.0

    @property
    def pending(self) -> int:
        """Rows queued and not yet committed."""
        return len(self._devices) + len(self._reports) + len(self._events)

    def start(self) -> None:
        """Start the background task (rows put before this wait for it)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="store-writer")

    async def stop(self) -> None:
        """Commit everything pending, then stop; rows that cannot be committed are logged lost."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
        async with self._lock:
            for attempt in range(3):
                try:
                    while self.pending:
                        await self._flush_once()
                    return
                except Exception:
                    await asyncio.sleep(0.2 * (attempt + 1))
            lost = self._take(self.pending)
            _resolve(lost.waiters(), RuntimeError("store writer stopped before writing the row"))
            log.error("store writer stopped with %d rows not written", len(lost))

    # --- producers ---------------------------------------------------------------------------

    def put_device(self, row: DeviceRow) -> None:
        """Queue a device row; a newer row for the same device replaces the queued one."""
        self._queue_device(row, None)

    def put_device_durable(self, row: DeviceRow) -> asyncio.Future[None]:
        """put_device, with a future that resolves once this row (or a newer one of the same
        device) is committed: a device key must be on disk before the agent is told it."""
        waiter = asyncio.get_running_loop().create_future()
        self._queue_device(row, waiter)
        return waiter

    def put_report(self, row: ReportRow) -> asyncio.Future[None]:
        """Queue a report; the future resolves once it is committed (ack the agent only then)."""
        self._check_open()
        waiter = asyncio.get_running_loop().create_future()
        self._reports.append((row, waiter))
        self._added()
        return waiter

    def put_event(self, row: EventRow) -> asyncio.Future[None]:
        """Queue an event; the future resolves once it is committed (and ``row.id`` is set)."""
        self._check_open()
        waiter = asyncio.get_running_loop().create_future()
        self._events.append((row, waiter))
        self._added()
        return waiter

    async def flush(self) -> None:
        """Commit what is pending now; raises if a commit fails (the rows stay queued)."""
        async with self._lock:
            for _ in range(-(-self.pending // self._max_rows)):
                await self._flush_once()

    def _queue_device(self, row: DeviceRow, waiter: asyncio.Future[None] | None) -> None:
        self._check_open()
        queued = self._devices.get(row.device_id)
        waiters = queued[1] if queued is not None else []
        if waiter is not None:
            waiters.append(waiter)
        self._devices[row.device_id] = (row, waiters)
        self._added()

    def _check_open(self) -> None:
        if self._stopping:
            raise RuntimeError("BatchWriter is stopped")

    def _added(self) -> None:
        # Wake the task only on the transitions that change its plan, not on every put.
        n = self.pending
        if n == 1:
            self._oldest = time.monotonic()
            self._wake.set()
        elif n == self._max_rows:
            self._wake.set()

    # --- the background task -----------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            now = time.monotonic()
            n = self.pending
            if n == 0:
                wait: float | None = None
            elif now < self._retry_at:
                wait = self._retry_at - now
            elif n >= self._max_rows:
                wait = 0.0
            else:
                wait = max(0.0, self._oldest + self._max_delay - now)
            if wait != 0.0:
                # No await since the plan was made, so no put can have been missed by this clear.
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
                continue
            # The task must survive anything: _flush_once has already logged and re-queued.
            with contextlib.suppress(Exception):
                async with self._lock:
                    await self._flush_once()

    def _take(self, limit: int) -> _Batch:
        # Events first (the durable log), then reports (agents wait for their ack), then devices
        # (live state is in memory; the table only matters after a restart).
        batch = _Batch()
        batch.events, self._events = self._events[:limit], self._events[limit:]
        limit -= len(batch.events)
        batch.reports, self._reports = self._reports[:limit], self._reports[limit:]
        limit -= len(batch.reports)
        keys = list(itertools.islice(self._devices, max(0, limit)))
        batch.devices = [self._devices.pop(k) for k in keys]
        return batch

    def _requeue(self, batch: _Batch) -> None:
        # The failed rows are older than anything queued since: put them back in front, and let
        # a newer row of the same device win. Their futures have failed, so none is kept.
        devices: dict[str, QueuedDevice] = {d.device_id: (d, []) for d, _ in batch.devices}
        devices.update(self._devices)
        self._devices = devices
        self._reports[:0] = [(r, None) for r, _ in batch.reports]
        self._events[:0] = [(e, None) for e, _ in batch.events]

    async def _write(self, batch: _Batch) -> None:
        started = time.perf_counter()
        await self._store.write_batch(
            [d for d, _ in batch.devices],
            [r for r, _ in batch.reports],
            [e for e, _ in batch.events],
        )
        self.last_batch_ms = (time.perf_counter() - started) * 1000
        self.batches += 1
        self.rows_written += len(batch)

    async def _flush_once(self) -> None:
        """Commit one batch of at most max_rows; the caller holds the lock."""
        batch = self._take(self._max_rows)
        if not len(batch):
            return
        try:
            await self._write(batch)
        except _ROW_ERRORS:
            await self._isolate(batch)
        except Exception as exc:
            self._failed(batch, exc)
            raise
        else:
            self._streak = 0
            _resolve(batch.waiters())

    def _failed(self, batch: _Batch, exc: Exception) -> None:
        """The database refused a commit: fail the futures, re-queue the rows, back off."""
        self.failures += 1
        self._streak += 1
        backoff = min(self._max_backoff, self._max_delay * 2 ** (self._streak - 1))
        self._retry_at = time.monotonic() + backoff
        _resolve(batch.waiters(), exc)
        self._requeue(batch)
        log.warning(
            "store commit of %d rows failed (%s); %d rows queued, retrying in %.1f s",
            len(batch), exc, self.pending, backoff,
        )  # fmt: skip

    async def _isolate(self, batch: _Batch) -> None:
        """Rewrite a batch one row per transaction so that one bad row cannot block the rest."""
        self.failures += 1
        singles = [_Batch(devices=[d]) for d in batch.devices]
        singles += [_Batch(reports=[r]) for r in batch.reports]
        singles += [_Batch(events=[e]) for e in batch.events]
        for i, single in enumerate(singles):
            try:
                await self._write(single)
            except _ROW_ERRORS as exc:
                self.rows_dropped += 1
                _resolve(single.waiters(), exc)
                log.error("store dropped a row it cannot write (%s): %s", exc, _describe(single))
            except Exception as exc:
                # The database itself failed meanwhile: back to the normal retry path.
                rest = _Batch()
                for s in singles[i:]:
                    rest.devices += s.devices
                    rest.reports += s.reports
                    rest.events += s.events
                self._failed(rest, exc)
                raise
            else:
                _resolve(single.waiters())
        self._streak = 0


def _describe(single: _Batch) -> str:
    # Never log facts: they are large and may name things a log should not keep.
    for d, _ in single.devices:
        return f"device {d.device_id!r}"
    for r, _ in single.reports:
        return f"report {r.device_id!r} seq {r.seq}"
    for e, _ in single.events:
        return f"event {e.kind!r} ts {e.ts} device {e.device_id!r}"
    return "nothing"

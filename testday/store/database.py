"""Provides Store: the hub's one SQLite connection (WAL), its reads and its batched writes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from testday.store.records import DeviceRow, EventRow, ReportRow
from testday.store.schema import check_version, migrate


class StoreClosedError(RuntimeError):
    """The store was used after close()."""


_DEVICE_COLUMNS = (
    "device_id, key_hash, hostname, room, asset_tag, os_family, os_version, agent_version, "
    "hardware_uuid, serial, first_seen, last_seen, last_seq, facts, verdict, reasons"
)
# Every column is replaced, with two exceptions: first_seen keeps the earliest value ever written,
# and a row without a key keeps the stored one (revoke a key with set_device_key(id, None)).
_UPSERT_DEVICE = f"""
    INSERT INTO devices ({_DEVICE_COLUMNS}) VALUES ({", ".join("?" * 16)})
    ON CONFLICT (device_id) DO UPDATE SET
        key_hash = coalesce(excluded.key_hash, key_hash),
        hostname = excluded.hostname, room = excluded.room, asset_tag = excluded.asset_tag,
        os_family = excluded.os_family, os_version = excluded.os_version,
        agent_version = excluded.agent_version, hardware_uuid = excluded.hardware_uuid,
        serial = excluded.serial, first_seen = min(first_seen, excluded.first_seen),
        last_seen = excluded.last_seen, last_seq = excluded.last_seq, facts = excluded.facts,
        verdict = excluded.verdict, reasons = excluded.reasons
"""
# A replayed report already stored is skipped: the agent may resend until it sees an ack. Not
# "INSERT OR IGNORE": that would also skip, silently, a row breaking NOT NULL or CHECK.
_INSERT_REPORT = """
    INSERT INTO reports (device_id, seq, agent_ts, received_ts, history, facts)
    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, seq) DO NOTHING
"""
_INSERT_EVENT = "INSERT INTO events (ts, kind, device_id, room, data) VALUES (?, ?, ?, ?, ?)"
_REPORT_COLUMNS = "device_id, seq, agent_ts, received_ts, history, facts"


def _device_params(d: DeviceRow) -> tuple[Any, ...]:
    return (
        d.device_id, d.key_hash, d.hostname, d.room, d.asset_tag, d.os_family, d.os_version,
        d.agent_version, d.hardware_uuid, d.serial, d.first_seen, d.last_seen, d.last_seq,
        d.facts, d.verdict, d.reasons,
    )  # fmt: skip


def _encode(data: dict[str, Any]) -> str:
    # allow_nan=False: NaN is not JSON and the events.data CHECK would refuse it anyway.
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _report(row: Sequence[Any]) -> ReportRow:
    return ReportRow(row[0], row[1], row[2], row[3], bool(row[4]), row[5])


def private_database(path: Path) -> None:
    """The database holds student IDs: readable by its owner only, whatever the umask. SQLite
    gives its -wal and -shm files the database's own permissions, so those follow."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(f"{path}{suffix}", 0o600)


class Store:
    """One aiosqlite connection; write transactions are serialized by an asyncio lock."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        # One connection carries one transaction at a time; reads take the lock too, so they never
        # see rows of a batch that may still roll back.
        self._lock = asyncio.Lock()
        self._closed = False

    @classmethod
    async def open(cls, path: Path, busy_timeout_ms: int = 5000) -> Store:
        """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
        path = Path(path)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        private_database(path)
        # isolation_level=None: no implicit BEGIN; every transaction here is explicit.
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            await check_version(conn, str(path))  # before changing anything in a newer file
            mode = await conn.execute_fetchall("PRAGMA journal_mode = WAL")
            if next(iter(mode))[0] != "wal":
                raise sqlite3.OperationalError(f"{path}: cannot switch to WAL journal mode")
            # NORMAL in WAL: a commit survives a crash of the process (not of the machine) without
            # an fsync; batches that carry events are committed with FULL (see _transaction).
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await migrate(conn, where=str(path))
        except BaseException:
            await conn.close()
            raise
        return cls(conn, path)

    async def close(self) -> None:
        """Close the connection; SQLite checkpoints the WAL on the last close."""
        async with self._lock:
            if not self._closed:
                self._closed = True
                await self._conn.close()

    def _connection(self) -> aiosqlite.Connection:
        # Called with the lock held.
        if self._closed:
            raise StoreClosedError(f"{self.path}: the store is closed")
        return self._conn

    @contextlib.asynccontextmanager
    async def _transaction(self, durable: bool = False) -> AsyncIterator[aiosqlite.Connection]:
        """Run the body in one write transaction; ``durable`` fsyncs the WAL on commit."""
        async with self._lock:
            conn = self._connection()
            if durable:
                await conn.execute("PRAGMA synchronous = FULL")
            try:
                await conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    await conn.execute("COMMIT")
                except BaseException:
                    # A failed COMMIT may leave the transaction open (SQLITE_BUSY) or not (I/O
                    # error rolls back by itself); either way nothing of it is kept.
                    with contextlib.suppress(sqlite3.Error, ValueError):
                        await conn.execute("ROLLBACK")
                    raise
            finally:
                if durable:
                    with contextlib.suppress(sqlite3.Error, ValueError):
                        await conn.execute("PRAGMA synchronous = NORMAL")

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
        async with self._lock:
            conn = self._connection()
            return list(await conn.execute_fetchall(sql, params))

    # --- reads -------------------------------------------------------------------------------

    async def load_devices(self) -> list[DeviceRow]:
        """Return every known device, for the hub to rebuild its live state at start."""
        rows = await self._fetch(f"SELECT {_DEVICE_COLUMNS} FROM devices ORDER BY device_id")
        return [DeviceRow(*row) for row in rows]

    async def events(
        self, device_id: str | None = None, since: float | None = None, limit: int = 500
    ) -> list[EventRow]:
        """Return the last ``limit`` events (``ts >= since``, one device if given), newest last."""
        where: list[str] = []
        params: list[str | float] = []
        if device_id is not None:
            where.append("device_id = ?")
            params.append(device_id)
        if since is not None:
            where.append("ts >= ?")
            params.append(since)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self._fetch(
            f"SELECT id, ts, kind, device_id, room, data FROM events {clause} "
            "ORDER BY ts DESC, id DESC LIMIT ?",
            [*params, limit],
        )
        return [EventRow(r[1], r[2], r[3], r[4], json.loads(r[5]), id=r[0]) for r in reversed(rows)]

    async def reports(
        self, device_id: str, since: float | None = None, limit: int = 1000
    ) -> list[ReportRow]:
        """Return a device's latest ``limit`` reports (``received_ts >= since``), ordered by seq."""
        since_clause = "AND received_ts >= ?" if since is not None else ""
        params: list[Any] = [device_id] + ([since] if since is not None else [])
        rows = await self._fetch(
            f"SELECT {_REPORT_COLUMNS} FROM reports WHERE device_id = ? {since_clause} "
            "ORDER BY seq DESC LIMIT ?",
            [*params, limit],
        )
        return [_report(r) for r in reversed(rows)]

    async def count_reports(self, device_id: str | None = None) -> int:
        """Return how many reports are stored, in all or for one device."""
        if device_id is None:
            rows = await self._fetch("SELECT count(*) FROM reports")
        else:
            sql = "SELECT count(*) FROM reports WHERE device_id = ?"
            rows = await self._fetch(sql, [device_id])
        return int(rows[0][0])

    async def scan_reports(
        self, after: tuple[float, int], before: float, limit: int
    ) -> list[tuple[int, str, float, float]]:
        """Return ``(id, device_id, received_ts, agent_ts)`` in (received_ts, id) order.

        Starts strictly after the ``(received_ts, id)`` cursor ``after``; stops before ``before``.
        """
        ts, row_id = after
        rows = await self._fetch(
            "SELECT id, device_id, received_ts, agent_ts FROM reports "
            "WHERE received_ts >= ? AND (received_ts > ? OR id > ?) AND received_ts < ? "
            "ORDER BY received_ts, id LIMIT ?",
            [ts, ts, row_id, before, limit],
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    # --- writes ------------------------------------------------------------------------------

    async def write_batch(
        self, devices: list[DeviceRow], reports: list[ReportRow], events: list[EventRow]
    ) -> None:
        """Commit devices (upserted), reports (duplicates ignored) and events in one transaction.

        On success each event's ``id`` is set. A batch with events is fsynced: the log is durable.
        """
        # Encode before the transaction: a bad event fails the batch without taking the lock.
        event_params = [(e.ts, e.kind, e.device_id, e.room, _encode(e.data)) for e in events]
        report_params = [
            (r.device_id, r.seq, r.agent_ts, r.received_ts, 1 if r.history else 0, r.facts)
            for r in reports
        ]
        last = 0
        async with self._transaction(durable=bool(events)) as conn:
            if devices:
                await conn.executemany(_UPSERT_DEVICE, [_device_params(d) for d in devices])
            if report_params:
                await conn.executemany(_INSERT_REPORT, report_params)
            if event_params:
                await conn.executemany(_INSERT_EVENT, event_params)
                # Inside one write transaction the rowids just inserted are consecutive.
                (row,) = await conn.execute_fetchall("SELECT last_insert_rowid()")
                last = int(row[0])
        for offset, event in enumerate(events):
            event.id = last - len(events) + 1 + offset

    async def set_device_key(self, device_id: str, key_hash: str | None) -> bool:
        """Set or revoke (None) a device's key, durably; False if the device is unknown."""
        async with self._transaction(durable=True) as conn:
            cursor = await conn.execute(
                "UPDATE devices SET key_hash = ? WHERE device_id = ?", [key_hash, device_id]
            )
            return cursor.rowcount > 0

    async def delete_reports(self, ids: Sequence[int]) -> int:
        """Delete reports by id in one transaction; return how many were deleted."""
        if not ids:
            return 0
        async with self._transaction() as conn:
            cursor = await conn.executemany("DELETE FROM reports WHERE id = ?", [(i,) for i in ids])
            return cursor.rowcount

    async def prune_reports(self, older_than: float, chunk: int = 5000) -> int:
        """Delete reports received before ``older_than``; return how many were deleted.

        Deletes ``chunk`` rows per transaction so the batch writer is never held off for long.
        """
        total = 0
        while True:
            async with self._transaction() as conn:
                cursor = await conn.execute(
                    "DELETE FROM reports WHERE id IN (SELECT id FROM reports "
                    "WHERE received_ts < ? ORDER BY received_ts LIMIT ?)",
                    [older_than, chunk],
                )
                deleted = cursor.rowcount
            total += deleted
            if deleted < chunk:
                return total

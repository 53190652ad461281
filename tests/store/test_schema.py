"""Tests for the versioned schema: fresh files, re-opening, too-new files, failed steps."""

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from testday.store.database import Store
from testday.store.schema import SCHEMA_VERSION, SchemaError, migrate, user_version


def _inspect(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


async def test_fresh_file_gets_current_schema(db_path: Path) -> None:
    """A new file (and its missing parent folder) gets every table, the version and WAL."""
    store = await Store.open(db_path)
    await store.close()
    tables = {r[0] for r in _inspect(db_path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"devices", "events", "reports"} <= tables
    indexes = {r[0] for r in _inspect(db_path, "SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"events_device_ts", "events_ts", "reports_received_ts"} <= indexes
    assert _inspect(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert _inspect(db_path, "PRAGMA journal_mode") == [("wal",)]


async def test_reopen_is_idempotent(db_path: Path) -> None:
    """Opening an up-to-date file again changes nothing and keeps the data."""
    store = await Store.open(db_path)
    await store.set_device_key("nobody", "k")  # a write that touches no row
    await store.close()
    for _ in range(2):
        store = await Store.open(db_path)
        assert await store.load_devices() == []
        await store.close()
    assert _inspect(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


async def test_newer_schema_is_refused_clearly(db_path: Path) -> None:
    """A file written by a newer release is refused with a message that says so, and not touched."""
    await (await Store.open(db_path)).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.execute("PRAGMA journal_mode = DELETE")
    with pytest.raises(SchemaError, match=r"newer than this testday understands"):
        await Store.open(db_path)
    assert _inspect(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION + 1,)]
    assert _inspect(db_path, "PRAGMA journal_mode") == [("delete",)]


async def test_failed_step_rolls_back_to_previous_version(tmp_path: Path) -> None:
    """A step that fails leaves neither its tables nor its version bump behind."""
    steps = [("CREATE TABLE a (x)",), ("CREATE TABLE b (x)", "INSERT INTO nowhere VALUES (1)")]
    conn = await aiosqlite.connect(tmp_path / "m.db", isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError, match="nowhere"):
            await migrate(conn, migrations=steps)
        assert await user_version(conn) == 1
        names = await conn.execute_fetchall("SELECT name FROM sqlite_master WHERE type='table'")
        assert [n[0] for n in names] == ["a"]
        assert not conn.in_transaction
    finally:
        await conn.close()

"""Provides the versioned SQLite schema and the migrations that bring a database file up to date.

The on-disk version lives in ``PRAGMA user_version``. ``MIGRATIONS[i]`` takes a database from
version ``i`` to ``i + 1``; each step runs in its own transaction together with the version bump,
so a failed step leaves the file at the previous version. Never edit a released step: append one.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence

import aiosqlite

Migration = Sequence[str]  # statements of one step, run in order inside one transaction

MIGRATIONS: tuple[Migration, ...] = (
    # 1: devices, the event log, report history.
    (
        """
        CREATE TABLE devices (
            device_id     TEXT PRIMARY KEY,
            key_hash      TEXT,
            hostname      TEXT,
            room          TEXT,
            asset_tag     TEXT,
            os_family     TEXT,
            os_version    TEXT,
            agent_version TEXT,
            hardware_uuid TEXT,
            serial        TEXT,
            first_seen    REAL NOT NULL,
            last_seen     REAL,
            last_seq      INTEGER,
            facts         BLOB,
            verdict       TEXT,
            reasons       BLOB
        )
        """,
        # AUTOINCREMENT: an event id is never reused, so exports may cite it forever.
        """
        CREATE TABLE events (
            id        INTEGER PRIMARY KEY AUTOINCREMENT,
            ts        REAL NOT NULL,
            kind      TEXT NOT NULL,
            device_id TEXT,
            room      TEXT,
            data      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data))
        )
        """,
        "CREATE INDEX events_device_ts ON events (device_id, ts)",
        "CREATE INDEX events_ts ON events (ts)",
        # No foreign key to devices: a report must never be refused because its device row is
        # still waiting in the same writer queue.
        """
        CREATE TABLE reports (
            id          INTEGER PRIMARY KEY,
            device_id   TEXT NOT NULL,
            seq         INTEGER NOT NULL,
            agent_ts    REAL NOT NULL,
            received_ts REAL NOT NULL,
            history     INTEGER NOT NULL CHECK (history IN (0, 1)),
            facts       BLOB NOT NULL,
            UNIQUE (device_id, seq)
        )
        """,
        "CREATE INDEX reports_received_ts ON reports (received_ts)",
    ),
    # 2: the incident log's hash chain. ``event`` holds the canonical JSON that was hashed; it is
    # declared TEXT rather than JSON because a JSON type name gets NUMERIC affinity in SQLite.
    (
        """
        CREATE TABLE incident_chain (
            seq       INTEGER PRIMARY KEY CHECK (seq >= 1),
            prev_hash TEXT NOT NULL,
            hash      TEXT NOT NULL,
            event     TEXT NOT NULL CHECK (json_valid(event))
        )
        """,
    ),
    # 3: testing sessions as an append-only event log; a session is rebuilt by replaying its
    # events, so its transition history keeps every time and actor.
    (
        """
        CREATE TABLE session_events (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            ts         REAL NOT NULL,
            session_id TEXT NOT NULL,
            kind       TEXT NOT NULL,
            data       TEXT NOT NULL CHECK (json_valid(data))
        )
        """,
        "CREATE INDEX session_events_session ON session_events (session_id, id)",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaError(RuntimeError):
    """The database file cannot be used by this version of testday."""


async def user_version(conn: aiosqlite.Connection) -> int:
    """Return the schema version recorded in the database file."""
    rows = await conn.execute_fetchall("PRAGMA user_version")
    return int(next(iter(rows))[0])


def _too_new(found: int, known: int, where: str) -> SchemaError:
    return SchemaError(
        f"{where}: database schema version {found} is newer than this testday understands "
        f"(up to {known}); it was written by a newer release. Upgrade testday, or use another "
        "database file; the file was left untouched."
    )


async def check_version(
    conn: aiosqlite.Connection, where: str = "database", known: int = SCHEMA_VERSION
) -> int:
    """Return the file's schema version; raise SchemaError if it is newer than ``known``."""
    found = await user_version(conn)
    if found > known:
        raise _too_new(found, known, where)
    return found


async def migrate(
    conn: aiosqlite.Connection,
    where: str = "database",
    migrations: Sequence[Migration] = MIGRATIONS,
) -> int:
    """Apply the missing migration steps in order and return the resulting version.

    ``conn`` must be in autocommit mode (``isolation_level=None``): transactions here are explicit.
    Safe to run from two processes at once: each step re-reads the version under the write lock.
    """
    known = len(migrations)
    found = await check_version(conn, where, known)
    for target in range(found + 1, known + 1):
        # IMMEDIATE takes the write lock first, so the version read below cannot go stale.
        await conn.execute("BEGIN IMMEDIATE")
        try:
            current = await user_version(conn)
            if current > known:
                raise _too_new(current, known, where)
            if current < target:
                for statement in migrations[target - 1]:
                    await conn.execute(statement)
                # PRAGMA takes no parameters; target is an int we computed.
                await conn.execute(f"PRAGMA user_version = {target}")
            await conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error, ValueError):
                await conn.execute("ROLLBACK")
            raise
    return known

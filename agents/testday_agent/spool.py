"""Provides the agent's on-disk report spool: every report is kept until the hub acks it.

Why sqlite3 and not an append-only file: the spool needs deletes in any order (acks),
bounds, ordered reads and crash safety, and sqlite gives all four without a hand-made
log, compactor or recovery pass. WAL mode with ``synchronous=NORMAL`` makes each append
one small transaction written sequentially to the WAL without an fsync: cheap, and it
survives the agent being killed (the bytes are in the OS page cache). A power cut may
lose the last few appends; that is the price of not fsyncing every 15 s all day.

Seqs get more care, since a reused seq could make the hub discard a new report as a
duplicate. They are reserved in blocks; each reservation is fsynced (``synchronous=FULL``)
and mirrored to a sidecar file (``<path>.seq``) before any seq from it is handed out, and
a restart skips the rest of the block. The sidecar keeps the floor when a corrupt
database is moved aside; a brand-new spool starts at the wall clock in milliseconds.

Thread-safety: none of its own. Use a Spool from one thread only (the agent's asyncio
loop thread); sqlite3 enforces this with ProgrammingError.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import msgspec

from testday_agent.protocol import Report, encode

log = logging.getLogger(__name__)
T = TypeVar("T")

SEQ_BLOCK = 100  # seqs per fsynced reservation: one fsync every ~25 min at 15 s
_VACUUM_FREE_PAGES = 256  # give space back once this many pages (1 MiB) are free
_CORRUPT_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS reports"
    " (seq INTEGER PRIMARY KEY, sent_at REAL NOT NULL, body BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS reports_sent_at ON reports (sent_at)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
)


class SpoolError(Exception):
    """The spool could not be read or written (disk full, I/O error, permissions)."""


class _CorruptFile(sqlite3.DatabaseError):
    """Damage found by our own check rather than reported by sqlite."""


def _is_corruption(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None) or 0
    return isinstance(exc, _CorruptFile) or (code & 0xFF) in _CORRUPT_CODES


class Spool:
    """Durable, bounded queue of reports awaiting the hub's ack; oldest dropped first."""

    def __init__(self, path: Path, max_age_s: float = 24 * 3600, max_reports: int = 20_000) -> None:
        self.path = Path(path)
        self.max_age_s = max_age_s
        self.max_reports = max_reports
        self.recovered_from_corruption = False
        self._decoder = msgspec.json.Decoder(Report)
        self._db: sqlite3.Connection | None = None
        self._floor_path = Path(f"{self.path}.seq")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._open()
        except sqlite3.Error as exc:
            if not _is_corruption(exc):
                self.close()
                raise SpoolError(f"cannot open spool {self.path}: {exc}") from exc
            self._recover(exc)

    def _open(self) -> None:
        db = self._db = sqlite3.connect(self.path, isolation_level=None, timeout=5.0)
        # quick_check reads every page once: a few ms for a day's spool, and it turns a
        # damaged file into a clean restart now instead of an error mid-day.
        if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise _CorruptFile("quick_check failed")
        fresh = not db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone()
        if fresh:
            # Must precede the first table: lets acks hand pages back to the filesystem.
            db.execute("PRAGMA auto_vacuum = INCREMENTAL")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        # Checkpoint (the only fsync under NORMAL) every ~1 MiB of WAL, and trim the WAL
        # back to that size after, so the spool's footprint stays near its contents.
        db.execute("PRAGMA wal_autocheckpoint = 256")
        db.execute("PRAGMA journal_size_limit = 1048576")
        with self._tx(full=True):
            for statement in _SCHEMA:  # not executescript: it would commit on its own
                db.execute(statement)
            seed = int(time.time() * 1000)
            for key, value in (("seq_reserved", seed), ("dropped", 0), ("untold", 0)):
                db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (key, value))
        top = db.execute("SELECT MAX(seq) FROM reports").fetchone()[0] or 0
        # Skip whatever was left of the last block: some of it may have been sent.
        self._reserved = max(self._meta("seq_reserved"), top, self._read_floor())
        self._next = self._reserved + 1
        self._depth = db.execute("SELECT COUNT(*) FROM reports").fetchone()[0]

    def _recover(self, exc: sqlite3.Error) -> None:
        """Move a damaged file (and its WAL) aside and start again with an empty spool."""
        log.error("spool %s is corrupt (%s); moving it aside", self.path, exc)
        issued = getattr(self, "_next", 0)
        self.close()
        stamp = time.strftime("%Y%m%dT%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{self.path}{suffix}")
            if part.exists():
                part.replace(Path(f"{self.path}.corrupt-{stamp}{suffix}"))
        self.recovered_from_corruption = True
        try:
            self._open()
        except sqlite3.Error as again:
            self.close()
            raise SpoolError(f"cannot recreate spool {self.path}: {again}") from again
        self._next = max(self._next, issued)  # reserved afresh by the next next_seq()

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    @contextlib.contextmanager
    def _tx(self, full: bool = False) -> Iterator[sqlite3.Connection]:
        db = self._conn()
        if full:
            db.execute("PRAGMA synchronous = FULL")
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")
        finally:
            if full:
                db.execute("PRAGMA synchronous = NORMAL")

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise SpoolError("spool is closed")
        return self._db

    def _meta(self, key: str) -> int:
        return self._conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]

    def _guard(self, what: str, fn: Callable[..., T], *args: object) -> T:
        """Run one operation; a corrupt file is replaced and the operation retried once."""
        try:
            return fn(*args)
        except sqlite3.Error as exc:
            if not _is_corruption(exc):
                raise SpoolError(f"spool {what} failed: {exc}") from exc
            self._recover(exc)
            try:
                return fn(*args)
            except sqlite3.Error as again:
                raise SpoolError(f"spool {what} failed: {again}") from again

    def next_seq(self) -> int:
        """A new report seq, strictly above every seq this spool has handed out before."""
        return self._guard("next_seq", self._next_seq)

    def _next_seq(self) -> int:
        self._reserve(self._next)
        self._next += 1
        return self._next - 1

    def _reserve(self, seq: int) -> None:
        if seq <= self._reserved:
            return
        top = seq + SEQ_BLOCK - 1
        with self._tx(full=True) as db:
            db.execute("UPDATE meta SET value = ? WHERE key = 'seq_reserved'", (top,))
        self._write_floor(top)
        self._reserved = top

    def _read_floor(self) -> int:
        try:
            return int(self._floor_path.read_text().strip() or 0)
        except (OSError, ValueError):  # missing or torn: the database and the clock remain
            return 0

    def _write_floor(self, top: int) -> None:
        try:
            fd = os.open(self._floor_path, os.O_WRONLY | os.O_CREAT, 0o600)
            try:  # fixed width: one overwrite in place, never a half-shortened number
                os.write(fd, f"{top:020d}\n".encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:  # the database copy is already durable
            log.warning("cannot write seq floor %s: %s", self._floor_path, exc)

    def append(self, report: Report) -> None:
        """Store one report (one small transaction), then drop the oldest beyond the bounds."""
        self._guard("append", self._append, report)

    def _append(self, report: Report) -> None:
        if report.seq >= self._next:  # a seq made elsewhere must never be handed out again
            self._reserve(report.seq)
            self._next = report.seq + 1
        # zlib halves a ~1.5 KB report for ~13 us: less to write on every append, all day.
        body = zlib.compress(encode(report), 1)
        with self._tx() as db:
            added = db.execute(
                "INSERT OR IGNORE INTO reports VALUES (?, ?, ?)", (report.seq, report.sent_at, body)
            ).rowcount
            # The sent_at index makes this a no-op lookup when nothing has expired.
            cutoff = time.time() - self.max_age_s
            dropped = db.execute("DELETE FROM reports WHERE sent_at < ?", (cutoff,)).rowcount
            excess = max(0, self._depth + added - dropped - self.max_reports)
            if excess:
                db.execute(
                    "DELETE FROM reports WHERE seq IN "
                    "(SELECT seq FROM reports ORDER BY seq LIMIT ?)",
                    (excess,),
                )
                dropped += excess
            if dropped:
                db.execute(
                    "UPDATE meta SET value = value + ? WHERE key IN ('dropped', 'untold')",
                    (dropped,),
                )
        self._depth += added - dropped

    def pending(
        self, below_seq: int | None = None, limit: int = 100, after_seq: int | None = None
    ) -> list[Report]:
        """Unacked reports with after_seq < seq < below_seq, oldest first, at most ``limit``."""
        return self._guard("pending", self._pending, below_seq, limit, after_seq)

    def _pending(self, below_seq: int | None, limit: int, after_seq: int | None) -> list[Report]:
        below = below_seq if below_seq is not None else 2**63 - 1
        after = after_seq if after_seq is not None else -(2**63)
        rows = self._conn().execute(
            "SELECT body FROM reports WHERE seq < ? AND seq > ? ORDER BY seq LIMIT ?",
            (below, after, limit),
        )
        reports = []
        for (body,) in rows:
            try:
                reports.append(self._decoder.decode(zlib.decompress(body)))
            except (zlib.error, msgspec.DecodeError):
                # Written by another agent version; it can never be sent, so it waits for expiry.
                log.warning("spool holds an undecodable report; skipping it")
        return reports

    def ack(self, seqs: Iterable[int]) -> int:
        """Delete reports the hub has stored; unknown seqs are ignored. Returns how many went."""
        return self._guard("ack", self._ack, list(seqs))

    def _ack(self, seqs: list[int]) -> int:
        if not seqs:
            return 0
        with self._tx() as db:
            removed = db.executemany(
                "DELETE FROM reports WHERE seq = ?", [(s,) for s in seqs]
            ).rowcount
        self._depth -= removed
        db = self._conn()
        if db.execute("PRAGMA freelist_count").fetchone()[0] >= _VACUUM_FREE_PAGES:
            # executescript steps the pragma to the end; execute() would free just one page.
            db.executescript("PRAGMA incremental_vacuum;")
        return removed

    def depth(self) -> int:
        return self._depth

    def dropped(self) -> int:
        """Reports lost to the bounds since this spool file was created."""
        return self._guard("dropped", self._meta, "dropped")

    def take_dropped_since_replay(self) -> int:
        """Drops not yet told to the hub; the count is reset (durably) as it is read."""
        return self._guard("take_dropped", self._take_dropped)

    def _take_dropped(self) -> int:
        with self._tx() as db:
            untold = self._meta("untold")
            if untold:
                db.execute("UPDATE meta SET value = 0 WHERE key = 'untold'")
        return untold

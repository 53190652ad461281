"""Provides the agent's on-disk report spool: every report is kept until the hub acks it.

Plain files, not sqlite3: ``import sqlite3`` alone costs ~1.7 MiB of the 30 MiB RSS budget.
``path`` (any name) is an append-only log, a record a line: ``<crc32 of the rest, 8 hex> <kind>
<fields>``, kind ``A seq sent_at <report JSON>``, ``K seqs`` (acked), ``D seqs`` (dropped by
the bounds) or ``M dropped untold reserved``. JSON has no raw newline, so damage costs only
its own lines. Uncompressed (~1.5 KB a report): zlib would halve that for ~11 us an append
and binary framing. Memory holds an index, four arrays (seq, sent_at, offset, length: 28 bytes
a report); report bodies are read back from the file.

Each change is one unbuffered ``write``, in the page cache once it returns: it survives a
kill; a power cut may lose the last few (no fsync every 15 s all day). Replay skips torn or
damaged lines; a file with no valid line is moved to ``<path>.corrupt-<ts>``. Compaction
writes ``<path>.compact`` and ``os.replace``s the log with it. Seqs are reserved in blocks,
fsynced in the log and in ``<path>.seq`` before use (the hub would drop a reused seq as a
duplicate). Thread-safety: none; use a Spool from one thread (the agent's asyncio loop).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from itertools import islice
from pathlib import Path

import msgspec

from testday_agent.protocol import Report, encode

log = logging.getLogger(__name__)

SEQ_BLOCK = 100  # seqs per fsynced reservation: one fsync every ~25 min at 15 s
_COMPACT_MIN_BYTES = 1 << 20  # below this much dead data a rewrite is not worth it
_MAX_LINE = 1 << 20  # far above any record; a long run of damage is read in pieces
_SEQS_PER_LINE = 4096  # keeps K/D lines short even after a day-long outage


class SpoolError(Exception):
    """The spool could not be read or written (disk full, I/O error, permissions)."""


def _line(body: bytes) -> bytes:
    return b"%08x %s\n" % (zlib.crc32(body), body)


def _seq_lines(kind: bytes, seqs: list[int]) -> list[bytes]:
    chunks = (seqs[i : i + _SEQS_PER_LINE] for i in range(0, len(seqs), _SEQS_PER_LINE))
    return [_line(kind + b" " + b",".join(b"%d" % s for s in chunk)) for chunk in chunks]


class Spool:
    """Durable, bounded queue of reports awaiting the hub's ack; oldest dropped first."""

    def __init__(self, path: Path, max_age_s: float = 24 * 3600, max_reports: int = 20_000) -> None:
        self.path, self.max_age_s, self.max_reports = Path(path), max_age_s, max_reports
        self.recovered_from_corruption = False
        self._decoder = msgspec.json.Decoder(Report)
        self._floor_path, self._tmp_path = Path(f"{self.path}.seq"), Path(f"{self.path}.compact")
        self._reset()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._tmp_path.unlink(missing_ok=True)  # a compaction cut short; the log is whole
            if self.path.exists() and not self._replay():
                aside = Path(f"{self.path}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
                log.error("spool %s holds no valid record; moved to %s", self.path, aside)
                self.path.replace(aside)
                self._reset()  # the seq floor file stays: seqs never go back
                self.recovered_from_corruption = True
            self._f = open(self.path, "a+b", buffering=0)  # noqa: SIM115 -- held until close()
        except OSError as exc:
            raise SpoolError(f"cannot open spool {self.path}: {exc}") from exc
        try:
            floor = int(self._floor_path.read_text().strip() or 0)
        except (OSError, ValueError):  # missing or torn: the log and the clock remain
            floor = 0
        # Skip the rest of the last block (some may have been sent); a new spool: the clock.
        seed = 0 if self._reserved else int(time.time() * 1000)
        self._reserved: int = max(self._reserved, self._seq[-1] if self._seq else 0, floor, seed)
        self._next = self._reserved + 1
        self._maybe_compact()

    def _reset(self) -> None:
        self._seq, self._sent = array("q"), array("d")  # sorted by seq; tombstones too
        self._off, self._len = array("q"), array("i")  # of its line; offset -1 once gone
        self._depth = self._live_bytes = self._size = self._compact_at = 0
        self._dropped = self._untold = self._reserved = 0
        self._torn = False  # the file may end mid-line: the next write must start a new one
        self.skipped_lines = 0  # torn or damaged lines in the log, met when it was replayed

    def _replay(self) -> bool:
        """Rebuild the index from the log; False if it holds no valid line, only damage."""
        valid = 0
        with open(self.path, "rb") as f:
            while line := f.readline(_MAX_LINE):
                try:
                    if line[-1:] != b"\n" or int(line[:8], 16) != zlib.crc32(line[9:-1]):
                        raise ValueError("torn or damaged")
                    self._apply(line, self._size)
                    valid += 1
                except (ValueError, IndexError):
                    self.skipped_lines += 1
                self._torn, self._size = line[-1:] != b"\n", self._size + len(line)
        if self.skipped_lines:
            log.warning("spool %s: skipped %d damaged lines", self.path, self.skipped_lines)
        return valid > 0 or not self.skipped_lines

    def _apply(self, line: bytes, offset: int) -> None:
        """Apply one record to the index: the one path for replay and for live changes."""
        kind, _, rest = line[9:-1].partition(b" ")
        if kind == b"A":
            seq_field, sent_at, _ = rest.split(b" ", 2)
            self._insert(int(seq_field), float(sent_at), offset, len(line))
        elif kind in (b"K", b"D"):
            seqs = [int(s) for s in rest.split(b",")]
            for seq in seqs:
                self._remove(seq)
            self._dropped += len(seqs) if kind == b"D" else 0
            self._untold += len(seqs) if kind == b"D" else 0
        elif kind == b"M":
            self._dropped, self._untold, reserved = (int(v) for v in rest.split(b" "))
            self._reserved = max(self._reserved, reserved)
        else:  # from a newer agent, or damage that kept its CRC: not ours either way
            raise ValueError(f"unknown record kind {kind!r}")

    def _insert(self, seq: int, sent_at: float, offset: int, size: int) -> None:
        if self._find(seq) >= 0:
            return  # already held: the first copy wins, as INSERT OR IGNORE did
        # After any tombstone of the same seq (a re-append); usually at the end, an append.
        i = bisect_right(self._seq, seq)
        for column, value in ((self._seq, seq), (self._off, offset), (self._len, size)):
            column.insert(i, value)
        self._sent.insert(i, sent_at)
        self._depth += 1
        self._live_bytes += size

    def _find(self, seq: int) -> int:
        i = bisect_right(self._seq, seq) - 1  # the last entry with this seq is the one in force
        return i if i >= 0 and self._seq[i] == seq and self._off[i] >= 0 else -1

    def _remove(self, seq: int) -> None:
        if (i := self._find(seq)) < 0:
            return
        self._sent[i], self._off[i] = float("inf"), -1  # a tombstone: never expires, min() skips it
        self._depth -= 1
        self._live_bytes -= self._len[i]

    def close(self) -> None:
        with contextlib.suppress(OSError):  # later use raises SpoolError (a closed file)
            self._f.close()

    def _log(self, lines: list[bytes], sync: bool = False) -> None:
        """Append records in one write, then apply them, so memory always equals a replay."""
        f, data = self._f, b"".join(lines)
        try:
            if self._torn:  # end the fragment a crash or failed write left, so it is skipped
                self._size = os.fstat(f.fileno()).st_size
                data = b"\n" + data
            if f.write(data) != len(data):
                raise OSError("short write (disk full?)")
            if sync:
                os.fsync(f.fileno())
        except (OSError, ValueError) as exc:  # nothing applied: to the caller, nothing stored
            self._torn = True
            raise SpoolError(f"cannot write spool {self.path}: {exc}") from exc
        offset = self._size + self._torn
        self._size, self._torn = self._size + len(data), False
        for line in lines:
            self._apply(line, offset)
            offset += len(line)

    def _read(self, i: int) -> bytes:
        try:
            self._f.seek(self._off[i])
            return self._f.read(self._len[i])
        except (OSError, ValueError) as exc:
            raise SpoolError(f"cannot read spool {self.path}: {exc}") from exc

    def next_seq(self) -> int:
        """A new report seq, strictly above every seq this spool has handed out before."""
        self._reserve(self._next)
        self._next += 1
        return self._next - 1

    def _reserve(self, seq: int) -> None:
        if seq <= self._reserved:
            return
        top = seq + SEQ_BLOCK - 1
        self._log([_line(b"M %d %d %d" % (self._dropped, self._untold, top))], sync=True)
        try:  # fixed width, overwritten in place (no O_TRUNC): never a half-shortened number
            fd = os.open(self._floor_path, os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(fd, "wb", buffering=0) as floor:
                floor.write(b"%020d\n" % top)
                os.fsync(fd)
        except OSError as exc:  # the log's copy is already durable
            log.warning("cannot write seq floor %s: %s", self._floor_path, exc)

    def append(self, report: Report) -> None:
        """Store one report (one write), then drop the oldest beyond the bounds."""
        seq = report.seq
        if seq >= self._next:  # a seq made elsewhere must never be handed out again
            self._reserve(seq)
            self._next = seq + 1
        new = self._find(seq) < 0
        # What the bounds drop once this one is in: the expired, then the oldest by seq.
        cutoff = time.time() - self.max_age_s
        gone = []
        if self._depth and min(self._sent) < cutoff:  # a C-speed test; the scan is rare
            gone = [s for s, t in zip(self._seq, self._sent, strict=True) if t < cutoff]
        if new and report.sent_at < cutoff:
            gone.append(seq)
        if (excess := self._depth + new - len(gone) - self.max_reports) > 0:
            skip = set(gone)
            held = (s for s, o in zip(self._seq, self._off, strict=True) if o >= 0)
            oldest = list(islice((s for s in held if s not in skip), excess))
            gone += sorted([*oldest, seq] if new and seq not in skip else oldest)[:excess]
        lines = [_line(f"A {seq} {report.sent_at!r} ".encode() + encode(report))] if new else []
        if lines or gone:
            self._log(lines + _seq_lines(b"D", gone))
            self._maybe_compact()

    def pending(
        self, below_seq: int | None = None, limit: int = 100, after_seq: int | None = None
    ) -> list[Report]:
        """Unacked reports with after_seq < seq < below_seq, oldest first, at most ``limit``."""
        i = 0 if after_seq is None else bisect_right(self._seq, after_seq)
        end = len(self._seq) if below_seq is None else bisect_left(self._seq, below_seq)
        reports: list[Report] = []
        while i < end and len(reports) < limit:
            if self._off[i] >= 0:
                line = self._read(i)
                try:
                    if int(line[:8], 16) != zlib.crc32(line[9:-1]):
                        raise ValueError("checksum mismatch")
                    reports.append(self._decoder.decode(line[9:-1].split(b" ", 3)[3]))
                except (ValueError, IndexError, msgspec.DecodeError) as exc:
                    # Damaged since replay, or from another version: it waits for expiry.
                    log.warning("spool report %d unreadable (%s); skipped", self._seq[i], exc)
            i += 1
        return reports

    def ack(self, seqs: Iterable[int]) -> int:
        """Delete reports the hub has stored; unknown seqs are ignored. Returns how many went."""
        gone = [s for s in dict.fromkeys(seqs) if self._find(s) >= 0]
        if gone:
            self._log(_seq_lines(b"K", gone))
            self._maybe_compact()
        return len(gone)

    def depth(self) -> int:
        return self._depth

    def dropped(self) -> int:
        """Reports lost to the bounds since this spool file was created."""
        return self._dropped

    def take_dropped_since_replay(self) -> int:
        """Drops not yet told to the hub; the count is reset (durably) as it is read."""
        if untold := self._untold:
            self._log([_line(b"M %d %d %d" % (self._dropped, 0, self._reserved))])
        return untold

    def _maybe_compact(self) -> None:
        # Dead data must outweigh both 1 MiB and the live data; _compact_at backs off failures.
        live = self._live_bytes
        if self._size > max(live + _COMPACT_MIN_BYTES, 2 * live, self._compact_at):
            try:
                self._compact()
            except (OSError, SpoolError) as exc:  # the old log is whole; retry after 1 MiB more
                self._tmp_path.unlink(missing_ok=True)
                self._compact_at = self._size + _COMPACT_MIN_BYTES
                log.warning("cannot compact spool %s: %s", self.path, exc)

    def _compact(self) -> None:
        """Copy the live records to a fresh log; os.replace swaps it in whole or not at all."""
        with open(self._tmp_path, "wb") as out:
            out.write(_line(b"M %d %d %d" % (self._dropped, self._untold, self._reserved)))
            for i in range(len(self._seq)):
                if self._off[i] >= 0:
                    out.write(self._read(i))
            out.flush()
            os.fsync(out.fileno())
        self._f.close()  # Windows cannot replace an open file
        try:
            os.replace(self._tmp_path, self.path)
        finally:
            self._f = open(self.path, "a+b", buffering=0)  # noqa: SIM115 -- held until close()
        self._reset()
        self._replay()  # offsets have all moved; the new log is the truth, as on open
        if os.name != "nt":  # make the rename durable too (Windows cannot open a folder)
            fd = os.open(self.path.parent, os.O_RDONLY)
            with contextlib.suppress(OSError):
                os.fsync(fd)
            os.close(fd)
        log.info("compacted spool %s: %d reports, %d bytes", self.path, self._depth, self._size)

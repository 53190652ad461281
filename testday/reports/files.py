"""Provides private, atomic export files: written beside the target, fsynced, then renamed.

Exports name students and describe incidents, so they are created readable by their owner only
(mode 0600), and a crash or a failed export never leaves a half-written file under the real name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

Progress = Callable[[int, int], None]  # (done, total), called as an export advances
PROGRESS_EVERY = 500  # rows between progress calls: often enough for a bar, cheap for 10,000 rows


@contextlib.contextmanager
def private_atomic_writer(path: Path, newline: str | None = None) -> Iterator[TextIO]:
    """Yield a text handle; on a clean exit the file replaces ``path`` with mode 0600."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    # mkstemp creates the file with O_EXCL and mode 0600, whatever the umask.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            os.fchmod(handle.fileno(), 0o600)
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    # The rename itself is only durable once the directory entry is on disk.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def report(progress: Progress | None, done: int, total: int) -> None:
    """Call ``progress`` every PROGRESS_EVERY items and at the end."""
    if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
        progress(done, total)


def write_private_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically with mode 0600 (for formats built whole, like PDF)."""
    with private_atomic_writer(path) as handle:
        # Nothing went through the text layer, so writing beneath it keeps the bytes exact.
        handle.buffer.write(data)

"""Provides the checks a command makes of its paths before it touches them: one line, no mess.

A mistyped `--data` must not become a new, empty database that a command then reads as "no
sessions"; an `--out` into a folder that does not exist must not end in a traceback.
"""

from __future__ import annotations

from pathlib import Path

from testday.config.files import DATABASE_FILE


class LocalDataError(Exception):
    """A path a command cannot use; the message says which and what to do."""


def database_to_read(data_dir: Path) -> Path:
    """The database a reading command opens; it must exist already."""
    path = data_dir / DATABASE_FILE
    if not path.is_file():
        raise LocalDataError(
            f"no database at {path}: check --data or $TESTDAY_DATA; a hub makes it on its "
            "first start (`testday serve --data DIR`)"
        )
    return path


def database_to_write(data_dir: Path) -> Path:
    """The database a writing command opens: made with its directory on first use (a session
    planned before the hub ever ran), but only where that directory's parent exists."""
    if not data_dir.is_dir() and not data_dir.parent.is_dir():
        raise LocalDataError(
            f"--data {data_dir}: no such directory, nor its parent {data_dir.parent}; check the "
            "path"
        )
    return data_dir / DATABASE_FILE


def output_file(path: Path) -> Path:
    """A file an export may write (replacing it whole); its directory must exist."""
    if path.is_dir():
        raise LocalDataError(f"--out {path} is a directory: give a file name in it")
    if not path.parent.is_dir():
        raise LocalDataError(f"--out {path}: no directory {path.parent}; create it first")
    return path

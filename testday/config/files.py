"""Provides where a hub keeps its files: the data directory and the names of what is in it."""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_FILE = "testday.sqlite3"  # devices, reports, events, sessions, the incident chain
SITE_FILE = "site.toml"  # the school, its rooms and profiles, network devices, deadlines
SECRETS_FILE = "secrets.toml"  # the enrollment and operator secrets, owner-readable only
CONSOLE_LOG = "console.log"  # what an embedded dashboard's hub logs (the screen is taken)


def private_dir(path: Path) -> Path:
    """``path`` made (if need be) and kept readable by its owner only, whatever the umask: a
    hub's data directory holds its secrets, student IDs and logs."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """``path`` created empty if missing, and readable by its owner only (a log, say)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    os.chmod(path, 0o600)
    return path


def default_data_dir() -> Path:
    """$TESTDAY_DATA, else the XDG data home's testday folder."""
    env = os.environ.get("TESTDAY_DATA")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local/share")
    return Path(base) / "testday"

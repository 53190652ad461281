"""Provides where a hub keeps its files: the data directory and the names of what is in it."""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_FILE = "testday.sqlite3"  # devices, reports, events, sessions, the incident chain
SITE_FILE = "site.toml"  # the school, its rooms and profiles, network devices, deadlines
SECRETS_FILE = "secrets.toml"  # the enrollment and operator secrets, owner-readable only
CONSOLE_LOG = "console.log"  # what an embedded dashboard's hub logs (the screen is taken)


def default_data_dir() -> Path:
    """$TESTDAY_DATA, else the XDG data home's testday folder."""
    env = os.environ.get("TESTDAY_DATA")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local/share")
    return Path(base) / "testday"

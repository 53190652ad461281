"""Tests that what a hub keeps on disk is readable by its owner only, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from testday.config.files import DATABASE_FILE, SECRETS_FILE
from testday.hub.hub import Hub, HubSettings
from tests.hub.test_agent_endpoint import greet


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that lets everyone read new files (a common default)."""
    before = os.umask(0o022)
    yield
    os.umask(before)


async def test_the_data_directory_and_database_files_are_private(
    hub_settings: HubSettings, tmp_path: Path, open_umask: None
) -> None:
    """0700 for the directory (even one made 0755 before), 0600 for the database, its -wal and
    -shm, and the secrets; the database holds student IDs."""
    data = tmp_path / "school-hub"
    data.mkdir(mode=0o755)
    (data / "site.toml").write_text((hub_settings.data_dir / "site.toml").read_text())
    settings = replace(hub_settings, data_dir=data, agent_token=None, console_token=None)
    async with Hub(settings) as hub:  # no secrets given: made, and kept in the directory
        ws, _ = await greet(hub, "dev-a", hub.secrets.agent_token)  # a write: the WAL in use
        await ws.close()
        database = data / DATABASE_FILE
        files = [database, Path(f"{database}-wal"), Path(f"{database}-shm"), data / SECRETS_FILE]
        assert {f.name: oct(mode(f)) for f in files} == {f.name: "0o600" for f in files}
    assert oct(mode(data)) == "0o700"

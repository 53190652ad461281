"""Provides tests of the device identity: a persistent private instance ID and device key."""

from __future__ import annotations

import re
import stat
import sys
from pathlib import Path

import pytest
from testday_agent.identity import (
    Identity,
    hardware_ids,
    load_device_key,
    load_identity,
    save_device_key,
)

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_device_id_is_created_once_and_kept(tmp_path: Path) -> None:
    state = tmp_path / "state" / "nested"
    first = load_identity(state)
    assert re.fullmatch(r"dev-[0-9a-f]{16}", first.device_id)
    assert load_identity(state).device_id == first.device_id
    assert (state / "device_id").read_text().strip() == first.device_id
    assert load_identity(tmp_path / "elsewhere").device_id != first.device_id
    assert [p.name for p in state.iterdir()] == ["device_id"]  # no temp file left behind


@posix_only
def test_state_files_are_private(tmp_path: Path) -> None:
    load_identity(tmp_path)
    save_device_key(tmp_path, "k-secret")
    assert _mode(tmp_path / "device_id") == 0o600
    assert _mode(tmp_path / "device_key") == 0o600


@posix_only
def test_rewrite_tightens_a_loose_existing_file(tmp_path: Path) -> None:
    key = tmp_path / "device_key"
    key.write_text("old\n")
    key.chmod(0o644)
    save_device_key(tmp_path, "new")
    assert _mode(key) == 0o600 and load_device_key(tmp_path) == "new"


def test_corrupt_device_id_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "device_id").write_text("not a valid\nid at all\n")
    identity = load_identity(tmp_path)
    assert re.fullmatch(r"dev-[0-9a-f]{16}", identity.device_id)
    assert load_identity(tmp_path).device_id == identity.device_id


def test_device_key_round_trip(tmp_path: Path) -> None:
    assert load_device_key(tmp_path) is None
    save_device_key(tmp_path, "  key-123  ")
    assert load_device_key(tmp_path) == "key-123"
    save_device_key(tmp_path, "key-456")
    assert load_device_key(tmp_path) == "key-456"


def test_hardware_ids_are_best_effort_and_never_placeholders() -> None:
    uuid, serial = hardware_ids()
    for value in (uuid, serial):
        assert value is None or (value.strip() == value and value.lower() != "default string")
    assert uuid is None or uuid == uuid.lower()  # normalised, so dual-boot OSes agree


def test_identity_carries_hardware_ids(tmp_path: Path) -> None:
    identity = load_identity(tmp_path)
    assert isinstance(identity, Identity)
    assert (identity.hardware_uuid, identity.serial) == hardware_ids()

"""Provides the device's identity: a persistent instance ID, hardware UUID/serial and device key."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from testday_agent.collectors.apps import run_bounded

_TIMEOUT_S = 3.0
# Any sane single token is kept, so an ID in another format (or assigned later) survives.
_DEVICE_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Firmware placeholders that many machines share: worse than no value for telling devices apart.
_PLACEHOLDERS = {
    "",
    "0",
    "none",
    "n/a",
    "default string",
    "not specified",
    "not applicable",
    "system serial number",
    "to be filled by o.e.m.",
    "to be filled by oem",
    "chassis serial number",
    "03000200-0400-0500-0006-000700080009",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
}


@dataclass(frozen=True)
class Identity:
    device_id: str
    hardware_uuid: str | None = None
    serial: str | None = None


def write_private(path: Path, text: str) -> None:
    """Write atomically (temp file then rename) with mode 0600, so a crash never leaves half."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)  # O_CREAT's mode is filtered by the umask and ignored if it existed
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return None if value.lower() in _PLACEHOLDERS else value


def _run(argv: list[str]) -> str:
    return run_bounded(argv, _TIMEOUT_S) or ""


def _hardware_linux() -> tuple[str | None, str | None]:
    # Both files are usually root-only; an agent running as a user simply gets None.
    dmi = Path("/sys/class/dmi/id")
    return _read(dmi / "product_uuid"), _read(dmi / "product_serial")


def _hardware_macos() -> tuple[str | None, str | None]:
    text = _run(["ioreg", "-rd1", "-c", "IOPlatformExpertDevice"])
    uuid = re.search(r'"IOPlatformUUID"\s*=\s*"([^"]+)"', text)
    serial = re.search(r'"IOPlatformSerialNumber"\s*=\s*"([^"]+)"', text)
    return (uuid.group(1) if uuid else None), (serial.group(1) if serial else None)


def _hardware_windows() -> tuple[str | None, str | None]:
    # wmic is gone from recent Windows 11 builds; PowerShell is slower to start but always there.
    values = dict(
        line.strip().partition("=")[::2]
        for line in _run(
            ["wmic", "csproduct", "get", "UUID,IdentifyingNumber", "/value"]
        ).splitlines()
        if "=" in line
    )
    if not values:
        script = (
            "$p = Get-CimInstance Win32_ComputerSystemProduct; "
            "'UUID=' + $p.UUID; 'IdentifyingNumber=' + $p.IdentifyingNumber"
        )
        out = _run(["powershell", "-NoProfile", "-NonInteractive", "-Command", script])
        values = dict(line.strip().partition("=")[::2] for line in out.splitlines() if "=" in line)
    return values.get("UUID"), values.get("IdentifyingNumber")


def hardware_ids() -> tuple[str | None, str | None]:
    """(hardware UUID, serial), best effort: any failure is simply None."""
    try:
        if sys.platform == "darwin":
            uuid, serial = _hardware_macos()
        elif sys.platform == "win32":
            uuid, serial = _hardware_windows()
        elif sys.platform.startswith("linux"):
            uuid, serial = _hardware_linux()
        else:
            return None, None
    except Exception:
        return None, None
    uuid = _clean(uuid)
    return (uuid.lower() if uuid else None), _clean(serial)


def load_identity(state_dir: Path) -> Identity:
    """The device's identity; the instance ID is created on first use and kept in state_dir.

    Raises OSError if state_dir cannot be written: an ID that changed on every start would make
    the hub see a new device each time.
    """
    path = Path(state_dir) / "device_id"
    device_id = _read(path)
    if device_id is None or not _DEVICE_ID_RE.fullmatch(device_id):
        device_id = "dev-" + secrets.token_hex(8)
        write_private(path, device_id + "\n")
    uuid, serial = hardware_ids()
    return Identity(device_id=device_id, hardware_uuid=uuid, serial=serial)


def load_device_key(state_dir: Path) -> str | None:
    return _read(Path(state_dir) / "device_key")


def save_device_key(state_dir: Path, key: str) -> None:
    write_private(Path(state_dir) / "device_key", key.strip() + "\n")

"""Provides the system collector: OS family and version, hostname, uptime, disk, memory, load."""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import socket
import sys
import time
from pathlib import Path

import psutil

from testday_agent.protocol import ReportedOsFamily, SystemFacts

_MB = 1024 * 1024

# Inside Crostini (the Linux container on a Chromebook) /etc/lsb-release is the container's,
# but ChromeOS bind-mounts its milestone here.
_CROS_MILESTONE = Path("/dev/.cros_milestone")


def _read_key_values(path: Path) -> dict[str, str]:
    """Parse a KEY=value file (os-release, lsb-release); a missing file is an empty dict."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return values
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().strip("\"'")
    return values


@functools.cache
def os_family() -> ReportedOsFamily:
    """One of "windows", "macos", "linux", "chromeos", "other"; cached, as it cannot change."""
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    if sys.platform.startswith("linux"):
        if _chromeos_version() is not None:
            return "chromeos"
        return "linux"
    return "other"


def _chromeos_version() -> str | None:
    lsb = _read_key_values(Path("/etc/lsb-release"))
    # Vendors publish Chrome milestones (116, 130, 131), not platform builds (16063.45.2).
    milestone = lsb.get("CHROMEOS_RELEASE_CHROME_MILESTONE")
    if milestone and lsb.get("CHROMEOS_RELEASE_VERSION"):
        return f"{milestone} (platform {lsb['CHROMEOS_RELEASE_VERSION']})"
    if lsb.get("CHROMEOS_RELEASE_VERSION"):
        return lsb["CHROMEOS_RELEASE_VERSION"]
    try:
        milestone = _CROS_MILESTONE.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return f"{milestone} (milestone)" if milestone else None


def _windows_version() -> str:
    # platform.release() says "10" on Windows 11 with older Pythons; the build number decides.
    version = platform.version()  # e.g. "10.0.22631"
    parts = version.split(".")
    build = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0
    name = "Windows 11" if build >= 22000 else f"Windows {platform.release()}"
    edition = getattr(platform, "win32_edition", lambda: None)()
    return f"{version} ({name}{' ' + edition if edition else ''})"


def _linux_version() -> str:
    release = _read_key_values(Path("/etc/os-release")) or _read_key_values(
        Path("/usr/lib/os-release")
    )
    name = release.get("NAME") or "Linux"
    version = release.get("VERSION") or release.get("VERSION_ID") or ""
    if version and not version[0].isdigit() and release.get("VERSION_ID"):
        version = f"{release['VERSION_ID']} ({version})"
    if not version:
        # Rolling distributions (Arch) have no version: the kernel is the useful number.
        return f"{platform.release()} ({release.get('PRETTY_NAME') or name} kernel)"
    return f"{version}, {name}"


@functools.cache
def os_version() -> str:
    """A version string a technician recognises, starting with its numeric version."""
    family = os_family()
    try:
        if family == "macos":
            return platform.mac_ver()[0] or platform.release()
        if family == "windows":
            return _windows_version()
        if family == "chromeos":
            return _chromeos_version() or platform.release()
        if family == "linux":
            return _linux_version()
    except Exception:
        pass  # a strange platform still gets a version: the kernel release below
    return platform.release() or "unknown"


def _existing_ancestor(path: Path) -> Path:
    """The path itself or its nearest existing parent: the app may not have created it yet."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return path


def resolve_disk_path(disk_path: str | None) -> Path:
    if disk_path:
        return Path(os.path.expandvars(os.path.expanduser(disk_path)))
    return Path.home()


# psutil measures CPU between two calls: the first call has no baseline and a call right after
# another (a "collect now" on top of the schedule) measures a blip, so both keep the last figure.
_CPU_MIN_INTERVAL_S = 1.0
_cpu_last: tuple[float, float | None] | None = None


def collect_system(disk_path: str | None = None) -> SystemFacts:
    """Gather the system facts; disk_path defaults to the user's home directory."""
    global _cpu_last
    facts = SystemFacts(os_family=os_family(), os_version=os_version(), hostname=_hostname())
    with contextlib.suppress(Exception):
        facts.uptime_s = round(max(0.0, time.time() - psutil.boot_time()), 1)
    path = resolve_disk_path(disk_path)
    facts.disk_path = str(path)
    try:
        usage = psutil.disk_usage(str(_existing_ancestor(path)))
        facts.disk_free_mb = round(usage.free / _MB, 1)
    except OSError:
        pass  # an unreadable mount: no figure rather than no system facts at all
    memory = psutil.virtual_memory()
    facts.memory_total_mb = round(memory.total / _MB, 1)
    facts.memory_available_mb = round(memory.available / _MB, 1)
    now = time.monotonic()
    if _cpu_last is None:
        psutil.cpu_percent(interval=None)
        _cpu_last = (now, None)
    elif now - _cpu_last[0] >= _CPU_MIN_INTERVAL_S:
        _cpu_last = (now, psutil.cpu_percent(interval=None))
    facts.cpu_percent = _cpu_last[1]
    if hasattr(os, "getloadavg"):
        with contextlib.suppress(OSError):
            facts.load1 = round(os.getloadavg()[0], 2)
    return facts


def _hostname() -> str:
    try:
        return socket.gethostname() or platform.node() or "unknown"
    except OSError:
        return platform.node() or "unknown"

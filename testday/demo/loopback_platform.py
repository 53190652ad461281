"""Provides a stand-in testing platform on loopback, for tests, benchmarks and local trials."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

PROFILE_ID = "loopback-test"


def write_loopback_profile(folder: Path, platform_port: int) -> Path:
    """Write a profile whose endpoint is a listener on 127.0.0.1 and whose app this machine has.

    The "kiosk app" is found by running this Python with a version-printing one-liner, so the
    real app collector, probes and readiness rules all run without leaving the machine.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{PROFILE_ID}.toml"
    path.write_text(
        f"""
id = "{PROFILE_ID}"
name = "Loopback test platform"
vendor = "testday"
typical_test_minutes = 60

[battery]
warn_percent = 40
critical_percent = 20
floor_percent = 10

[network]
hosts = ["localhost"]
connect_timeout_s = 1.0
slow_connect_ms = 500

[[network.endpoints]]
name = "platform"
host = "127.0.0.1"
port = {platform_port}

[[apps]]
name = "FakeKiosk"
min_version = "1.13.2"

[apps.detect.linux]
version_command = [{json.dumps(sys.executable)}, "-c", "print('FakeKiosk 1.13.2')"]
process_names = ["python", "python3"]
"""
    )
    return path


def write_site(data_dir: Path, name: str = "Test School") -> Path:
    """Write a site.toml putting the loopback profile in force; returns the data dir."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "site.toml").write_text(
        f'[site]\nname = "{name}"\ndefault_profile = "{PROFILE_ID}"\n'
    )
    return data_dir


def loopback_hub_command(
    data_dir: Path, profiles_dir: Path, interval_s: float, port: int = 0
) -> list[str]:
    """The argv of a `testday serve` on 127.0.0.1 (port 0: the OS picks a free one)."""
    return [
        sys.executable,
        "-m",
        "testday.cli.main",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data",
        str(data_dir),
        "--profiles",
        str(profiles_dir),
        "--interval",
        f"{interval_s:g}",
    ]


def port_from_banner(line: str) -> int | None:
    """The port in `testday serve`'s first line ("… listening on ws://H:PORT (data: …)")."""
    match = re.search(r":(\d+) \(data", line)
    return int(match.group(1)) if match else None

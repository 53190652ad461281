"""Tests that the commands `testday serve` prints on start work as printed, for a --data hub."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from testday.demo.loopback_platform import loopback_hub_command, write_site
from tests.eventually import eventually_blocking

pytestmark = pytest.mark.slow


def banner(hub: subprocess.Popen[str]) -> str:
    """What `testday serve` printed on start, up to its last line (the fleet command)."""
    assert hub.stdout is not None
    lines = [hub.stdout.readline()]
    while lines[-1] and "fleet: " not in lines[-1]:
        lines.append(hub.stdout.readline())
    return "".join(lines)


def test_the_printed_fleet_command_reaches_the_hub_it_names(
    tmp_path: Path, profiles_dir: Path
) -> None:
    """A hub kept in its own data directory prints `testday devices … --data DIR`: run as
    printed (no secret in the environment), it lists the fleet."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TESTDAY_")}
    data = write_site(tmp_path / "school")
    hub = subprocess.Popen(loopback_hub_command(data, profiles_dir, 1.0), stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, env=clean)  # fmt: skip
    try:
        lines = banner(hub).splitlines()
        (hint,) = [line.split("fleet: ", 1)[1] for line in lines if "fleet: " in line]
        argv = shlex.split(hint)
        assert argv[:2] == ["testday", "devices"] and argv[-2:] == ["--data", str(data)]
        command = [sys.executable, "-m", "testday.cli.main", *argv[1:]]
        shown = eventually_blocking(
            lambda: subprocess.run(command, capture_output=True, text=True, env=clean, timeout=30),
            30, what="`testday devices` as printed",
        )  # fmt: skip
        assert shown.returncode == 0, shown.stderr
        assert "0 devices" in shown.stdout
    finally:
        hub.terminate()
        hub.wait(10)


def test_the_site_secret_is_printed_when_made_and_never_again(
    tmp_path: Path, profiles_dir: Path
) -> None:
    """The first start shows the new enrollment secret; a restart points at the file instead."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TESTDAY_")}
    data = write_site(tmp_path / "school")
    banners = []
    for _ in range(2):
        hub = subprocess.Popen(loopback_hub_command(data, profiles_dir, 1.0),
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env=clean)  # fmt: skip
        banners.append(banner(hub))
        hub.terminate()
        hub.wait(10)
    secret = tomllib.loads((data / "secrets.toml").read_text())["agent_token"]
    assert f"TESTDAY_AGENT_TOKEN={secret} " in banners[0] and "only time" in banners[0]
    assert secret not in banners[1] and "<agent_token in" in banners[1]

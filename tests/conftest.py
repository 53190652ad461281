"""Provides shared fixtures: a loopback profile, a hub on port 0, hub and agent processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from testday.demo.loopback_platform import (
    loopback_hub_command,
    port_from_banner,
    write_loopback_profile,
    write_site,
)
from testday.hub.hub import Hub, HubSettings
from tests.eventually import eventually_blocking

AGENT_TOKEN = "test-enrollment-secret"
CONSOLE_TOKEN = "test-operator-secret"


@pytest.fixture
def platform_port() -> Iterator[int]:
    """A real TCP listener standing in for the testing platform; the kernel completes connects."""
    server = socket.create_server(("127.0.0.1", 0), backlog=128)
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def profiles_dir(tmp_path: Path, platform_port: int) -> Path:
    return write_loopback_profile(tmp_path / "profiles", platform_port).parent


@pytest.fixture
def hub_settings(tmp_path: Path, profiles_dir: Path) -> HubSettings:
    return HubSettings(
        data_dir=write_site(tmp_path / "hub"),
        host="127.0.0.1",
        port=0,
        interval_s=1.0,
        profiles_dir=profiles_dir,
        agent_token=AGENT_TOKEN,
        console_token=CONSOLE_TOKEN,
    )


@pytest.fixture
async def hub(hub_settings: HubSettings) -> AsyncIterator[Hub]:
    async with Hub(hub_settings) as running:
        yield running


def api_devices(port: int, token: str = CONSOLE_TOKEN) -> list[dict[str, Any]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/devices", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


class HubProcess:
    """`testday serve` in a subprocess, on port 0 the first time, the same port on restart."""

    def __init__(self, data_dir: Path, profiles: Path, port: int = 0) -> None:
        self.data_dir = data_dir
        self.profiles = profiles
        self.port = port
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> HubProcess:
        env = {
            **os.environ,
            "TESTDAY_AGENT_TOKEN": AGENT_TOKEN,
            "TESTDAY_CONSOLE_TOKEN": CONSOLE_TOKEN,
        }
        self.proc = subprocess.Popen(
            loopback_hub_command(self.data_dir, self.profiles, 1.0, self.port),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        port = port_from_banner(line)
        if port is None:
            self.proc.kill()
            raise AssertionError(f"hub did not start: {line!r} {self.proc.stderr.read()!r}")
        self.port = port
        return self

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class AgentProcess:
    """The real `testday-agent` in a subprocess."""

    def __init__(self, hub_url: str, state_dir: Path, room: str, interval: float = 1.0) -> None:
        env = {**os.environ, "TESTDAY_AGENT_TOKEN": AGENT_TOKEN}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "testday_agent",
                "--hub",
                hub_url,
                "--state-dir",
                str(state_dir),
                "--room",
                room,
                "--interval",
                str(interval),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.state_dir = state_dir

    def device_id(self, timeout: float = 10) -> str:
        path = self.state_dir / "device_id"
        return eventually_blocking(
            lambda: path.exists() and path.read_text().strip(), timeout, what="agent device id"
        )

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

"""Tests the testday-agent command line as a user runs it: --once --json, config errors, --help."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testday.hub.hub import Hub
from tests.eventually import eventually

ROOT = Path(__file__).resolve().parents[2]


def agent(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TESTDAY_")}
    return subprocess.run(
        [sys.executable, "-m", "testday_agent", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **(env or {})},
    )


def test_once_json_prints_one_collection_without_a_hub(tmp_path: Path) -> None:
    """--once --json needs no hub and prints battery, network, system and agent facts."""
    done = agent("--once", "--json", "--state-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout)
    assert "present" in facts["battery"]
    assert facts["system"]["hostname"] and facts["system"]["os_family"] == "linux"
    assert facts["agent"]["version"] and facts["agent"]["collect_ms"] >= 0
    assert "network" in facts


def test_config_file_error_names_the_file_and_field(tmp_path: Path) -> None:
    """A wrong type in the agent's TOML config is reported with the file and the field."""
    config = tmp_path / "agent.toml"
    config.write_text('hub = "ws://127.0.0.1:1"\ninterval = "often"\n')
    done = agent("--config", str(config), "--state-dir", str(tmp_path))
    assert done.returncode != 0
    assert str(config) in done.stderr and "interval" in done.stderr


def test_unknown_config_key_is_refused(tmp_path: Path) -> None:
    """A misspelt key is an error, not silently ignored."""
    config = tmp_path / "agent.toml"
    config.write_text('hubb = "ws://127.0.0.1:1"\n')
    done = agent("--config", str(config))
    assert done.returncode != 0 and "hubb" in done.stderr


def test_missing_hub_is_a_clear_error(tmp_path: Path) -> None:
    """Without --hub or TESTDAY_HUB the agent says what to give it."""
    done = agent("--state-dir", str(tmp_path))
    assert done.returncode == 2 and "--hub" in done.stderr


def test_hub_must_be_a_websocket_address(tmp_path: Path) -> None:
    """An http:// hub address is refused with the value named."""
    done = agent("--hub", "http://127.0.0.1:1", "--state-dir", str(tmp_path))
    assert done.returncode == 2 and "http://127.0.0.1:1" in done.stderr


def test_help_explains_the_options() -> None:
    """--help lists the hub, room, interval and the environment variables."""
    done = agent("--help")
    assert done.returncode == 0
    for word in ("--hub", "--room", "--interval", "--once", "TESTDAY_AGENT_TOKEN"):
        assert word in done.stdout


@pytest.mark.slow
def test_agent_installs_alone_with_its_small_dependency_set(tmp_path: Path) -> None:
    """pip install ./agents into an empty venv brings only websockets, psutil and msgspec."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(ROOT / "agents")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if install.returncode != 0 and os.environ.get("CI") != "true":
        pytest.skip(f"cannot install from the package index here: {install.stderr[-300:]}")
    assert install.returncode == 0, install.stderr
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    names = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert names - {"pip", "setuptools", "wheel"} == {
        "testday-agent",
        "websockets",
        "psutil",
        "msgspec",
    }
    run = subprocess.run(
        [
            str(venv / "bin" / "testday-agent"),
            "--once",
            "--json",
            "--state-dir",
            str(tmp_path / "state"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["system"]["hostname"]


def test_no_key_and_no_secret_is_a_clear_error(tmp_path: Path) -> None:
    """A device never enrolled, started without the site secret, says what to give it."""
    done = agent("--hub", "ws://127.0.0.1:1", "--state-dir", str(tmp_path))
    assert done.returncode == 2 and "no enrollment secret was given" in done.stderr
    assert "TESTDAY_AGENT_TOKEN" in done.stderr


async def test_a_wrong_secret_is_said_once_in_words(tmp_path: Path, hub: Hub) -> None:
    """Refused with HTTP 401, the agent says the enrollment secret is wrong, and only once."""
    command = [sys.executable, "-m", "testday_agent", "--hub", f"ws://127.0.0.1:{hub.port}",
               "--state-dir", str(tmp_path), "--token", "not-the-secret"]  # fmt: skip
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TESTDAY_")}
    proc = await asyncio.create_subprocess_exec(
        *command, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL, env=clean
    )
    try:
        assert proc.stderr is not None
        line = await asyncio.wait_for(proc.stderr.readline(), 30)
        assert b"the hub refused the enrollment secret (HTTP 401)" in line, line
        # It goes on trying (backing off) without saying it again.
        await eventually(lambda: hub.metrics.handshakes_rejected["bad_credential"] >= 3, 30,
                         what="three refused attempts")  # fmt: skip
    finally:
        proc.terminate()
        _, rest = await proc.communicate()
    assert b"refused the enrollment secret" not in rest

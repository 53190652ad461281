"""Tests the real agent and hub processes end to end: visibility, loss detection, hub restart."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from testday.demo.loopback_platform import write_site
from tests.conftest import (
    CONSOLE_TOKEN,
    AgentProcess,
    HubProcess,
    api_devices,
    wait_for,
)

pytestmark = pytest.mark.slow


def devices_json(hub: HubProcess) -> list[dict[str, Any]]:
    """What `testday devices --json` prints, run as a user would."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "testday.cli.main",
            "devices",
            "--hub",
            hub.url,
            "--json",
            "--console-token",
            CONSOLE_TOKEN,
        ],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    return json.loads(out.stdout)


def api_verdict(hub: HubProcess, device_id: str) -> str | None:
    found = next((d for d in api_devices(hub.port) if d["id"] == device_id), None)
    return found["verdict"] if found else None


def find(hub: HubProcess, device_id: str) -> dict[str, Any] | None:
    return next((d for d in devices_json(hub) if d["id"] == device_id), None)


@pytest.fixture
def hub_process(tmp_path: Path, profiles_dir: Path) -> Any:
    hub = HubProcess(write_site(tmp_path / "hub"), profiles_dir).start()
    yield hub
    hub.stop()


def test_agent_shows_up_with_facts_and_goes_offline_on_stop_and_freeze(
    tmp_path: Path, hub_process: HubProcess
) -> None:
    """Shown within 2 s with facts and a verdict; offline within 1 s of a stop, 20 s of SIGSTOP."""
    agent = AgentProcess(hub_process.url, tmp_path / "agent-a", room="112")
    try:
        device_id = agent.device_id()

        def complete() -> bool:
            device = find(hub_process, device_id)
            return bool(
                device
                and device["facts"]
                and device["facts"].get("apps")
                and device["facts"].get("network", {}).get("endpoints")
            )

        shown_after = wait_for(complete, timeout=10)
        device = find(hub_process, device_id)
        assert device is not None
        facts = device["facts"]
        assert {"battery", "apps", "network", "system", "agent"} <= set(facts)
        assert facts["apps"][0] == {
            **facts["apps"][0],
            "name": "FakeKiosk",
            "installed": True,
            "version": "1.13.2",
        }
        assert facts["network"]["endpoints"][0]["ok"] is True
        assert device["room"] == "112" and device["presence"] == "online"
        assert device["verdict"] in ("ready", "warning", "not_ready")
        for reason in device["reasons"]:
            assert reason["code"] and reason["message"] and reason["runbook"]
        assert shown_after < 2.0, f"took {shown_after:.2f} s to show complete facts"

        agent.signal(signal.SIGSTOP)
        frozen_after = wait_for(
            lambda: find(hub_process, device_id)["verdict"] == "offline", timeout=25, interval=0.5
        )
        assert frozen_after <= 20.0
        agent.signal(signal.SIGCONT)
        wait_for(
            lambda: find(hub_process, device_id)["verdict"] != "offline", timeout=60, interval=0.2
        )

        agent.signal(signal.SIGTERM)
        # Read the API directly: a `testday devices` per poll costs its start-up time, which would
        # blur "offline at once" (a clean close) against "offline after the ping timeout" (16 s).
        stopped_after = wait_for(
            lambda: api_verdict(hub_process, device_id) == "offline", timeout=5, interval=0.05
        )
        assert stopped_after < 1.0
        assert find(hub_process, device_id)["verdict"] == "offline"  # as the CLI shows it
    finally:
        agent.stop()


def stored_reports(data_dir: Path, device_id: str) -> list[tuple[int, float, int]]:
    with sqlite3.connect(f"file:{data_dir / 'testday.sqlite3'}?mode=ro", uri=True) as db:
        return db.execute(
            "SELECT seq, agent_ts, history FROM reports WHERE device_id = ? ORDER BY seq",
            (device_id,),
        ).fetchall()


def test_hub_killed_and_restarted_keeps_devices_and_receives_spooled_reports(
    tmp_path: Path, profiles_dir: Path
) -> None:
    """After SIGKILL and restart: devices and verdicts are back, agents reconnect, spool replays."""
    data_dir = write_site(tmp_path / "hub")
    hub = HubProcess(data_dir, profiles_dir).start()
    agents = [AgentProcess(hub.url, tmp_path / f"agent-{n}", room=f"R{n}") for n in range(2)]
    try:
        ids = [a.device_id() for a in agents]
        wait_for(lambda: all((d := find(hub, i)) and d["facts"] for i in ids), timeout=15)
        time.sleep(2)  # a few reports, so the hub's batched writer has committed one
        before = {i: find(hub, i)["verdict"] for i in ids}

        hub.kill()
        down_at = time.time()
        time.sleep(4)  # agents keep collecting at 1 s intervals into their spools
        up_at = time.time()

        restarted = HubProcess(data_dir, profiles_dir, port=hub.port).start()
        hub = restarted
        restored = {d["id"]: d for d in devices_json(hub)}
        assert set(ids) <= set(restored)
        assert {i: restored[i]["last_online_verdict"]["status"] for i in ids} == before, [
            restored[i]["last_online_verdict"] for i in ids
        ]
        assert all(restored[i]["facts"] for i in ids), "last facts survive the restart"

        wait_for(
            lambda: all(find(hub, i)["presence"] == "online" for i in ids), timeout=70, interval=0.2
        )
        assert {i: find(hub, i)["verdict"] for i in ids} == before

        def replayed(device_id: str) -> bool:
            rows = stored_reports(data_dir, device_id)
            return any(history and down_at < ts < up_at for _, ts, history in rows)

        wait_for(lambda: all(replayed(i) for i in ids), timeout=30, interval=0.2)
        for device_id in ids:
            during = [r for r in stored_reports(data_dir, device_id) if down_at < r[1] < up_at]
            assert len(during) >= 3, f"{device_id}: only {len(during)} reports from the outage"
    finally:
        for agent in agents:
            agent.stop()
        hub.stop()

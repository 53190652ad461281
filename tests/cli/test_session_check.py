"""Tests `testday session check` against a real in-process hub and a real session store."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from testday_agent.protocol import Ack, BatteryFacts, Facts, Report, encode
from websockets.asyncio.client import ClientConnection

from testday.cli.main import main
from testday.hub.hub import Hub
from tests.conftest import CONSOLE_TOKEN
from tests.eventually import eventually
from tests.hub.test_agent_endpoint import greet, recv_message

SID = "check-me"
PLUGGED_IN = BatteryFacts(present=True, percent=90.0, plugged=True)
# Above the profile's warn level, but the battery says 20 minutes left: a 3-hour session fails.
WONT_LAST = BatteryFacts(present=True, percent=50.0, plugged=False, minutes_left=20.0)


async def create_session(data: Path, profiles: Path) -> None:
    """A session in room 112 (where greet() puts devices) that ends about three hours from now."""
    start = datetime.now() + timedelta(minutes=5)
    end = start + timedelta(hours=3)
    code = await asyncio.to_thread(main, [
        "session", "create", "--id", SID, "--name", "Grade 7 Math", "--program", "State",
        "--test", "Math", "--profile", "loopback-test", "--room", "112",
        "--start", start.strftime("%Y-%m-%dT%H:%M"), "--end", end.strftime("%Y-%m-%dT%H:%M"),
        "--profiles", str(profiles), "--data", str(data), "--by", "tech",
    ])  # fmt: skip
    assert code == 0


@asynccontextmanager
async def online(hub: Hub, battery: dict[str, BatteryFacts]) -> AsyncIterator[None]:
    """Devices connected and reporting ``battery`` every half second, as a live agent would."""
    sockets = {device_id: (await greet(hub, device_id))[0] for device_id in battery}
    acked: set[str] = set()

    async def report(device_id: str, ws: ClientConnection) -> None:
        for seq in itertools.count(1):
            facts = Facts(battery=battery[device_id])
            await ws.send(encode(Report(seq=seq, sent_at=time.time(), facts=facts)))
            await recv_message(ws, Ack)
            acked.add(device_id)
            await asyncio.sleep(0.5)  # an agent's reporting interval, not a wait

    tasks = [asyncio.create_task(report(d, ws)) for d, ws in sockets.items()]
    await eventually(lambda: acked >= set(battery), 10, what="every device's first report acked")
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for ws in sockets.values():
            await ws.close()


async def check(data: Path, hub: Hub, profiles: Path, *extra: str) -> int:
    argv = [
        "session", "check", SID, "--data", str(data), "--hub", f"http://127.0.0.1:{hub.port}",
        "--console-token", CONSOLE_TOKEN, "--profiles", str(profiles), *extra,
    ]  # fmt: skip
    return await asyncio.to_thread(main, argv)


async def test_battery_that_wont_last_is_must_fix(
    hub: Hub, tmp_path: Path, profiles_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "cli"  # not the hub's data dir: the hub holds its own SQLite connection
    await create_session(data, profiles_dir)
    capsys.readouterr()
    async with online(hub, {"dev-good": PLUGGED_IN, "dev-weak": WONT_LAST}):
        assert await check(data, hub, profiles_dir) == 1
        out = capsys.readouterr().out
        assert "NOT READY" in out and "room 112: 2 devices, 1 ready, 1 must fix" in out
        weak_line = next(line for line in out.splitlines() if "host-dev-weak" in line)
        assert "MUST FIX" in weak_line and "host-dev-good" not in out
        assert "run out" in out and "[runbook: battery-will-not-last]" in out

        assert await check(data, hub, profiles_dir, "--json") == 1
        report = json.loads(capsys.readouterr().out)
        assert report["ready"] is False and report["must_fix"] == 1
        (fix,) = report["rooms"][0]["fixes"]
        assert fix["device"] == "dev-weak" and fix["must_fix"] and fix["status"] == "not_ready"
        assert [r["code"] for r in fix["reasons"]] == ["battery.forecast"]


async def test_all_fine_exits_0(
    hub: Hub, tmp_path: Path, profiles_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "cli"
    await create_session(data, profiles_dir)
    capsys.readouterr()
    async with online(hub, {"dev-a": PLUGGED_IN, "dev-b": PLUGGED_IN}):
        assert await check(data, hub, profiles_dir) == 0
        out = capsys.readouterr().out
        assert "READY" in out and "NOT READY" not in out and "0 must be fixed" in out
        assert "room 112: 2 devices, 2 ready, 0 must fix" in out


async def test_errors_exit_2(
    hub: Hub, tmp_path: Path, profiles_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "cli"
    await create_session(data, profiles_dir)
    capsys.readouterr()
    argv = ["session", "check", "no-such", "--data", str(data), "--profiles", str(profiles_dir)]
    assert await asyncio.to_thread(main, argv) == 2
    assert "no session 'no-such'" in capsys.readouterr().err

    port = hub.port
    await hub.__aexit__(None, None, None)  # the hub goes away: nothing listens on its port
    argv = ["session", "check", SID, "--data", str(data), "--profiles", str(profiles_dir),
            "--hub", f"http://127.0.0.1:{port}", "--console-token", CONSOLE_TOKEN]  # fmt: skip
    assert await asyncio.to_thread(main, argv) == 2
    assert "cannot reach the hub" in capsys.readouterr().err

"""Tests `testday network`: its report and exit status, on payloads and against real hubs."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from datetime import UTC

import pytest

from testday.cli.main import main
from testday.cli.network import exit_code, render_network
from testday.console_client.network_text import EMPTY
from testday.console_protocol.network_views import NetworkReport
from testday.hub.hub import Hub, HubSettings
from tests.conftest import CONSOLE_TOKEN
from tests.core.devices import NOW
from tests.eventually import eventually
from tests.tui.net_data import net_device, net_devices, net_reason, net_rooms, room_net

DOWN = net_reason(
    "net.ap_unreachable", "problem", "ap-101",
    "Access point ap-101 has not answered since 07:58 — check it has power",
)  # fmt: skip


def payload(problem: bool = False) -> NetworkReport:
    devices, rooms = net_devices(), net_rooms()
    if problem:
        devices[1] = net_device(
            "ap-101", "access_point", ("101",), reachable=False, unreachable_since=NOW - 120,
            failure="timeout", detail="no answer within 2 s (2 tries)",
        )  # fmt: skip
        rooms[0] = room_net("101", "problem", "AP ap-101 unreachable since 07:58", DOWN)
    return NetworkReport(devices=tuple(devices), rooms=tuple(rooms), trap_port=10162)


async def network_cli(*args: str) -> int:
    """`testday network ARGS` in a thread: the hub answering it runs on this loop."""
    return await asyncio.to_thread(main, ["network", *args])


def test_report_lists_problem_rooms_first_with_reasons_then_devices() -> None:
    text = render_network(payload(problem=True), NOW, UTC)
    lines = text.splitlines()
    assert lines[0].split() == ["ROOM", "NETWORK", "SUMMARY"]
    assert lines[1].split()[:2] == ["101", "problem"]
    assert lines[2] == "    problem: " + DOWN.message
    assert lines[3].split()[:2] == ["112", "warning"]
    assert lines[4].startswith("    warning: Access point ap-112 carries 28 devices")
    devices = lines[lines.index("") + 1 :]
    assert devices[0].split()[:4] == ["DEVICE", "KIND", "ROOMS", "STATE"]
    assert devices[1].split() == ["ap-101", "AP", "101", "unreachable", "since", "07:58", "12s",
                                  "ago"]  # fmt: skip
    assert devices[2] == "    no answer within 2 s (2 tries)"
    assert "sw-1" in devices[4] and "all up · 41 %" in devices[4]
    assert "on mains · 100 %" in devices[5]
    assert "traps: listening on UDP 10162" in lines
    assert lines[-1] == "2 rooms: 1 problem, 1 warning · 4 devices, 1 unreachable"


def test_exit_status_fails_only_on_a_problem() -> None:
    assert exit_code(payload()) == 0  # a warning is not a failure
    assert exit_code(payload(problem=True)) == 1
    unknown = NetworkReport(rooms=(room_net("101", "unknown", ""),))
    assert exit_code(unknown) == 0


async def test_a_hub_watching_no_network_says_so(
    hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{hub.port}"
    assert await network_cli("--hub", url, "--console-token", CONSOLE_TOKEN) == 0
    assert capsys.readouterr().out.strip() == EMPTY
    assert await network_cli("--hub", url, "--console-token", CONSOLE_TOKEN, "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"devices": [], "rooms": [], "trap_port": None}


async def test_hub_errors_exit_2_naming_the_hub(
    hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{hub.port}"
    assert await network_cli("--hub", url, "--console-token", "wrong") == 2
    assert f"{url} refused the operator secret" in capsys.readouterr().err
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"
        assert await network_cli("--hub", nowhere, "--console-token", CONSOLE_TOKEN) == 2
    assert f"cannot reach the hub at {nowhere}" in capsys.readouterr().err


@pytest.fixture
async def watching_hub(hub_settings: HubSettings) -> AsyncIterator[Hub]:
    """A real hub watching an access point that never answers: a UDP port nobody reads."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        site = hub_settings.data_dir / "site.toml"
        site.write_text(site.read_text() + SILENT_AP.format(port=silent.getsockname()[1]))
        async with Hub(hub_settings) as running:
            yield running


SILENT_AP = """
[network]
poll_interval_s = 1

[[network.devices]]
name = "ap-112"
address = "127.0.0.1"
port = {port}
kind = "access_point"
community = "public"
rooms = ["112"]
timeout_s = 0.2
retries = 1
"""


async def test_an_unreachable_access_point_fails_the_check(
    watching_hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    """Within a poll, room 112's AP is unreachable: a problem, so exit 1, with the reason."""
    url = f"http://127.0.0.1:{watching_hub.port}"

    async def polled() -> tuple[int, dict] | None:
        code = await network_cli("--hub", url, "--console-token", CONSOLE_TOKEN, "--json")
        answer = json.loads(capsys.readouterr().out)
        # The first answers may come before the first poll: the room is "unknown" until then.
        return (code, answer) if any(r["status"] != "unknown" for r in answer["rooms"]) else None

    code, answer = await eventually(polled, 15, what="room 112 judged after a poll")
    assert code == 1
    assert answer["devices"][0]["reachable"] is False
    assert await network_cli("--hub", url, "--console-token", CONSOLE_TOKEN) == 1
    out = capsys.readouterr().out
    assert "112   problem  AP ap-112 unreachable since" in out
    assert "    problem: Access point ap-112 has not answered since" in out
    assert "ap-112  AP    112    unreachable since" in out

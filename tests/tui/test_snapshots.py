"""Tests the dashboard's layout, every screen and state at 100×30 and 80×24, against stored SVGs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import pytest
from textual.pilot import Pilot

from testday.config.runbooks import ENV_VAR
from testday.console_protocol.desk_views import (
    DeadlineView,
    SweepDevice,
    SweepReason,
    SweepView,
)
from testday.console_protocol.messages import ConnectionState, HubMessage, Snapshot
from testday.console_protocol.requests import Answer, RequestError
from testday.tui.app import TestdayApp
from tests.core.devices import NOW
from tests.tui.desk_data import desk, make_incident, make_session, paused
from tests.tui.net_data import network_snapshot
from tests.tui.scripted import FrozenClock, ScriptedClient, settle, snapshot

# 100×30 is the size the dashboard is designed for; 80×24 the smallest terminal it must serve.
SIZES = {"100x30": (100, 30), "80x24": (80, 24)}
HUB = "ws://10.0.0.5:8765/console"
UNREACHABLE = f"hub unreachable at {HUB}: connection refused"  # as RemoteClient words it


def with_sessions() -> tuple[HubMessage, ...]:
    """The sample fleet, one session paused long enough to warn, one still to start."""
    sweep = SweepView(
        checked_at=NOW - 900,
        ready=False,
        must_fix=1,
        rooms={
            "112": (
                SweepDevice(
                    device_id="c112-04",
                    hostname="c112-04",
                    verdict="offline",
                    reasons=(
                        SweepReason(
                            code="device.offline",
                            message="Device has not reported for 20 min",
                            runbook="device-offline",
                        ),
                    ),
                ),
            )
        },
    )
    later = make_session("s-sci", "Science 5", ("Library",), start=NOW + 3600)
    return snapshot(), desk(paused(since=NOW - 16 * 60, sweep=sweep), later)


def with_incidents() -> tuple[HubMessage, ...]:
    """The sample fleet with two incidents, the newer one serious and its deadline running."""
    older = make_incident("inc-0001", at=NOW - 300)
    notify = DeadlineView(label="notify", due=NOW + 3 * 3600, met=False)
    newer = make_incident(
        "inc-0002", "101", at=NOW - 60, severity="serious", devices=("lab-05",), deadlines=(notify,)
    )
    return snapshot(), desk(incidents=(older, newer))


def no_devices() -> tuple[HubMessage, ...]:
    return (Snapshot(devices=[], events=[], hub_time=NOW),)


def stale() -> tuple[HubMessage, ...]:
    return snapshot(), ConnectionState(False, f"connection lost to {HUB}")


@dataclass(frozen=True)
class Scene:
    """One picture: what the hub sends, the replies it gives, then the keys a user presses."""

    messages: Callable[[], tuple[HubMessage, ...]] = lambda: (snapshot(),)
    keys: tuple[str, ...] = ()
    replies: tuple[Answer | Exception, ...] = ()


SCENES = {
    # every screen
    "rooms": Scene(),
    "devices": Scene(keys=("d",)),
    "device_detail": Scene(keys=("d", "slash", *"c112-06", "enter", "enter")),
    "incidents": Scene(with_incidents, keys=("i",)),
    "incident_detail": Scene(with_incidents, keys=("i", "enter")),
    "incident_form": Scene(keys=("d", "n", *"Tablet went dark")),
    "sessions": Scene(with_sessions, keys=("s",)),
    "session_detail": Scene(with_sessions, keys=("s", "enter")),
    "network": Scene(lambda: (network_snapshot(),), keys=("w",)),
    "network_device": Scene(
        lambda: (network_snapshot(),), keys=("w", "tab", "down", "down", "enter")
    ),
    "runbook": Scene(keys=("d", "down", "b")),
    "help": Scene(keys=("question_mark",)),
    "confirm": Scene(with_sessions, keys=("s", "e")),
    # states
    "connecting": Scene(lambda: ()),
    "hub_unreachable": Scene(lambda: (ConnectionState(False, UNREACHABLE),)),
    "no_devices": Scene(no_devices),
    "stale_hub": Scene(stale, keys=("d",)),
    "refused_incident": Scene(
        keys=("d", "n", *"Tablet went dark", "enter"),
        replies=(RequestError("room 112 has no open session: start it or name another"),),
    ),
    "refused_action": Scene(
        with_sessions,
        keys=("s", "u"),
        replies=(RequestError(f"not connected to the hub at {HUB}; try again when it is"),),
    ),
}


@pytest.fixture(autouse=True)
def shipped_runbooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)  # the checkout's runbooks/, whatever the shell says


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
@pytest.mark.parametrize("scene", SCENES.values(), ids=SCENES.keys())
def test_dashboard_looks_right(snap_compare: Any, scene: Scene, size: tuple[int, int]) -> None:
    """Each screen and state, reached by the user's keys, at each supported terminal size."""
    client = ScriptedClient(*scene.messages())
    client.reply(*scene.replies)
    app = TestdayApp(client, clock=FrozenClock(), tz=UTC, operator="proctor1")

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot, client)
        for key in scene.keys:
            await pilot.press(key)
            await pilot.pause()
        await settle(pilot, client)

    assert snap_compare(app, terminal_size=size, run_before=run_before)

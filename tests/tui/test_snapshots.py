"""Tests the dashboard's layout at 100×30 against stored SVG snapshots (pytest-textual-snapshot)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import Any

from textual.pilot import Pilot

from testday.tui.app import TestdayApp
from tests.core.devices import NOW
from tests.tui.desk_data import desk, make_session, paused
from tests.tui.scripted import FrozenClock, ScriptedClient, settle, snapshot

SIZE = (100, 30)


def scripted_app(
    *keys: str, sessions: bool = False
) -> tuple[TestdayApp, Callable[[Pilot[Any]], Awaitable[None]]]:
    """The dashboard on the sample fleet, and a run_before that loads it then presses ``keys``."""
    client = ScriptedClient(snapshot())
    if sessions:  # one paused long enough to warn, one still to start
        later = make_session("s-sci", "Science 5", ("Library",), start=NOW + 3600)
        client.push(desk(paused(since=NOW - 16 * 60), later))
    app = TestdayApp(client, clock=FrozenClock(), tz=UTC)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot, client)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await settle(pilot, client)

    return app, run_before


def test_rooms_screen(snap_compare: Any) -> None:
    """The default view: one card per room, coloured by its worst device."""
    app, run_before = scripted_app()
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_devices_screen(snap_compare: Any) -> None:
    """The devices table, problems first, with the selected device's problem underneath."""
    app, run_before = scripted_app("d")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_device_detail_screen(snap_compare: Any) -> None:
    """One device's reasons, battery trend and forecast, facts and history."""
    app, run_before = scripted_app("d", "slash", *"c112-06", "enter", "enter")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_sessions_screen(snap_compare: Any) -> None:
    """The sessions table under a paused-too-long warning, which the room cards echo."""
    app, run_before = scripted_app("s", sessions=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)

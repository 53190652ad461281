"""Tests the Sessions view, session actions, pause warnings and sessions on the room cards."""

from __future__ import annotations

from textual.pilot import Pilot

from testday.console_protocol.desk_views import SweepDevice, SweepReason, SweepView
from testday.console_protocol.requests import RequestError, SessionActionRequest
from testday.tui.app import TestdayApp
from testday.tui.screens.confirm import ConfirmScreen
from testday.tui.screens.rooms import RoomsScreen
from testday.tui.screens.session_detail import SessionDetailScreen
from testday.tui.screens.sessions import SessionsScreen
from testday.tui.widgets.field import Field
from testday.tui.widgets.session_table import SessionTable
from testday.tui.widgets.status_line import StatusLine
from tests.core.devices import NOW
from tests.eventually import eventually
from tests.tui.desk_data import desk, make_session, paused, running
from tests.tui.scripted import (
    OPERATOR,
    ScriptedClient,
    room_card,
    row_texts,
    settle,
    snapshot,
)
from tests.tui.scripted import noting_dashboard as dashboard


async def sessions_table(app: TestdayApp, pilot: Pilot[None]) -> SessionTable:
    await pilot.press("s")
    assert isinstance(app.screen, SessionsScreen)
    return app.screen.query_one(SessionTable)


async def ticks(pilot: Pilot[None], count: int = 2) -> None:
    """Let the refresh timer run ``count`` more times (it re-reads the frozen clock)."""
    app = pilot.app
    assert isinstance(app, TestdayApp)
    until = app.tick_count + count
    await eventually(lambda: app.tick_count >= until, 10, what=f"{count} refresh ticks")
    await pilot.pause()


async def test_sessions_are_listed_under_way_first_with_clock_and_readiness() -> None:
    sweep = SweepView(checked_at=NOW, ready=False, must_fix=3)
    client = ScriptedClient(
        snapshot(),
        desk(make_session("s-sci", "Science 5", ("Library",), sweep=sweep), running()),
    )
    async with dashboard(client) as (app, pilot, _notes):
        table = await sessions_table(app, pilot)
        assert row_texts(table, "s-ela") == {
            "name": "ELA 7",
            "rooms": "112",
            "state": "in progress",
            "clock": "in progress · 50 min left",
            "readiness": "—",
        }
        assert row_texts(table, "s-sci")["clock"] == "starts 09:00"
        assert row_texts(table, "s-sci")["readiness"] == "3 to fix"
        assert table.cursor_id == "s-ela"  # under way first


async def test_p_pauses_the_selected_session_and_end_asks_first() -> None:
    """`p` asks the hub to pause; `e` asks to confirm: `n` sends nothing, `y` sends end."""
    client = ScriptedClient(snapshot(), desk(running()))
    async with dashboard(client) as (app, pilot, _notes):
        await sessions_table(app, pilot)
        await pilot.press("p")
        await pilot.pause()
        pause = SessionActionRequest(session_id="s-ela", action="pause")
        assert client.requests == [(pause, OPERATOR)]
        await pilot.press("e")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, SessionsScreen)
        assert len(client.requests) == 1
        await pilot.press("e", "y")
        await pilot.pause()
        end = SessionActionRequest(session_id="s-ela", action="end")
        assert client.requests[-1] == (end, OPERATOR)
        await pilot.press("u")  # resume is not allowed while in progress: not sent
        await pilot.pause()
        assert len(client.requests) == 2


async def test_a_refused_action_is_notified_with_the_hubs_reason() -> None:
    client = ScriptedClient(snapshot(), desk(running()))
    client.reply(RequestError("cannot pause: the hub's copy is already paused"))
    async with dashboard(client) as (app, pilot, notes):
        await sessions_table(app, pilot)
        await pilot.press("p")
        await pilot.pause()
        assert "Could not pause ELA 7: cannot pause: the hub's copy is already paused" in notes


async def test_a_desk_change_updates_the_row_in_place() -> None:
    """A DeskChanged pausing a session rewrites its cells; rows and cursor stay put."""
    client = ScriptedClient(
        snapshot(), desk(running(), make_session("s-sci", "Science 5", ("Library",)))
    )
    async with dashboard(client) as (app, pilot, _notes):
        table = await sessions_table(app, pilot)
        await pilot.press("down")
        assert table.cursor_id == "s-sci"
        client.push(desk(paused(since=NOW)))
        await settle(pilot, client)
        assert row_texts(table, "s-ela")["state"] == "paused"
        assert row_texts(table, "s-ela")["clock"] == "paused 0 s · resume by 08:20"
        assert table.row_count == 2
        assert table.cursor_id == "s-sci" and table.cursor_row == 1


async def test_a_long_pause_warns_before_it_expires_then_marks_it_expired() -> None:
    """Lead 5 min before the 20 min limit: a warning (notified once), then "expired"."""
    client = ScriptedClient(snapshot(), desk(paused(since=NOW)))
    async with dashboard(client) as (app, pilot, notes):
        clock = app.clock
        status = app.screen.query_one(StatusLine)
        clock.advance(14 * 60)  # type: ignore[attr-defined]
        await ticks(pilot)
        assert not status.has_class("-pause-warning") and status.pause_text == ""
        clock.advance(2 * 60)  # type: ignore[attr-defined]  # 16 min: inside the lead
        await ticks(pilot, 3)
        assert status.has_class("-pause-warning")
        assert "ELA 7 paused since 08:00: resume by 08:20 (4 min left)" in status.pause_text
        assert room_card(app, "112").has_class("-pause-warning")
        assert len([n for n in notes if n.startswith("Pause running long")]) == 1
        clock.advance(5 * 60)  # type: ignore[attr-defined]  # 21 min: past the limit
        await ticks(pilot)
        assert status.has_class("-pause-expired") and not status.has_class("-pause-warning")
        assert "pause limit passed at 08:20" in status.pause_text
        assert room_card(app, "112").has_class("-pause-expired")
        assert len([n for n in notes if n.startswith("Pause limit passed")]) == 1
        table = await sessions_table(app, pilot)
        assert table.pause_levels == {"s-ela": "expired"}


async def test_room_card_shows_its_session_and_clock() -> None:
    client = ScriptedClient(snapshot(), desk(running()))
    async with dashboard(client) as (app, pilot, _notes):
        assert isinstance(app.screen, RoomsScreen)
        texts = [f.text for f in room_card(app, "112").query(Field)]
        assert "ELA 7 · in progress" in texts and "50 min left" in texts
        app.clock.advance(60)  # type: ignore[attr-defined]
        await ticks(pilot)
        assert "49 min left" in [f.text for f in room_card(app, "112").query(Field)]
        assert "no session" in [f.text for f in room_card(app, "101").query(Field)]


async def test_enter_opens_the_session_detail() -> None:
    """Plan, the sweep's must-fix list with runbooks, the roster and the history."""
    reason = SweepReason(
        code="device.offline", message="Device has not reported", runbook="device-offline"
    )
    broken = SweepDevice(
        device_id="c112-04", hostname="c112-04", verdict="offline", reasons=(reason,)
    )
    sweep = SweepView(checked_at=NOW, ready=False, must_fix=1, rooms={"112": (broken,)})
    client = ScriptedClient(snapshot(), desk(running(sweep=sweep)))
    async with dashboard(client) as (app, pilot, _notes):
        await sessions_table(app, pilot)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, SessionDetailScreen)

        def text(key: str) -> str:
            return screen.query_one(f"#session-{key}", Field).text

        assert "Ms Rivera" in text("plan") and "07:50–08:50" in text("plan")
        assert "c112-04      offline   Device has not reported  (runbook device-offline)" in text(
            "sweep"
        )
        assert "1001" in text("roster") and "c112-04" in text("roster")
        assert "start   scheduled → in progress  by rivera" in text("history")
        await pilot.press("p")  # the action keys act on this session here too
        await pilot.pause()
        assert client.requests[-1][0] == SessionActionRequest(session_id="s-ela", action="pause")
        await pilot.press("escape")
        assert isinstance(app.screen, SessionsScreen)


async def test_sessions_arriving_on_an_empty_screen_take_the_focus() -> None:
    """An empty list says so; the first session shows the table, ready for Enter."""
    client = ScriptedClient(snapshot())
    async with dashboard(client) as (app, pilot, _notes):
        table = await sessions_table(app, pilot)
        assert app.screen.has_class("-empty")
        client.push(desk(running()))
        await settle(pilot, client)
        assert not app.screen.has_class("-empty")
        assert app.focused is table
        await pilot.press("enter")
        assert isinstance(app.screen, SessionDetailScreen)

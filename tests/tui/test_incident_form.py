"""Tests logging incidents from the dashboard: the form's prefill, its keys and the hub's answer."""

from __future__ import annotations

from textual.widgets import Input, Select

from testday.console_protocol.requests import Answer, IncidentAddRequest, RequestError
from testday.tui.screens.incident_detail import IncidentDetailScreen
from testday.tui.screens.incident_form import IncidentForm
from testday.tui.screens.incidents import IncidentsScreen
from testday.tui.widgets.field import Field
from testday.tui.widgets.incident_table import IncidentTable
from tests.core.devices import NOW
from tests.tui.desk_data import desk, make_incident, running
from tests.tui.scripted import OPERATOR, ScriptedClient, settle, snapshot
from tests.tui.scripted import noting_dashboard as dashboard


def asked(client: ScriptedClient) -> IncidentAddRequest:
    """The last request the dashboard made, which must be a new incident."""
    ask, _actor = client.requests[-1]
    assert isinstance(ask, IncidentAddRequest)
    return ask


async def test_logging_an_incident_on_the_selected_device_takes_three_keys() -> None:
    """`d`, `n`, the description, Enter: the request names the device, its room, session,
    student and a category from its worst reason."""
    client = ScriptedClient(snapshot(), desk(running()))
    client.reply(Answer(incident=make_incident("inc-0042")))
    async with dashboard(client) as (app, pilot, notes):
        keys = 0

        async def press(*names: str) -> None:
            nonlocal keys
            keys += len(names)
            await pilot.press(*names)

        await press("d")  # problems first: c112-04, offline, is the selected row
        await press("n")
        assert isinstance(app.screen, IncidentForm)
        assert app.focused is app.screen.query_one("#form-description", Input)
        await pilot.press(*"Tablet went dark mid-test")  # the description: not counted
        await press("enter")
        await pilot.pause()
        assert keys == 3 and keys <= 5
        asked = IncidentAddRequest(
            category="technical",
            subcategory="device_lost",
            severity="procedural",
            room="112",
            description="Tablet went dark mid-test",
            devices=("c112-04",),
            students=("1001",),
            session_id="s-ela",
        )
        assert client.requests == [(asked, OPERATOR)]
        assert not isinstance(app.screen, IncidentForm)
        assert "Incident logged: inc-0042 · room 112" in notes


async def test_a_refused_incident_keeps_the_form_open_with_the_reason() -> None:
    """A RequestError leaves the form and its text in place and shows the hub's message."""
    client = ScriptedClient(snapshot())
    client.reply(RequestError("room 112 has no open session"), Answer(incident=make_incident("i2")))
    async with dashboard(client) as (app, pilot, _notes):
        await pilot.press("d", "n", *"Noise", "enter")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, IncidentForm)
        assert form.has_class("-error")
        assert form.query_one("#form-error", Field).text == "room 112 has no open session"
        assert form.query_one("#form-description", Input).value == "Noise"
        await pilot.press("enter")  # try again: this time the hub takes it
        await pilot.pause()
        assert not isinstance(app.screen, IncidentForm)
        assert len(client.requests) == 2
        await pilot.press("n", "escape")  # Escape cancels without asking the hub
        assert not isinstance(app.screen, IncidentForm)
        assert len(client.requests) == 2


async def test_the_category_can_be_changed_with_tab() -> None:
    """Category, subcategory and severity are Selects after the description, reached by Tab."""
    client = ScriptedClient(snapshot())
    async with dashboard(client) as (app, pilot, _notes):
        await pilot.press("d", "down", "n")  # lab-05: battery critical
        form = app.screen
        assert isinstance(form, IncidentForm)
        assert form.query_one("#form-subcategory", Select).value == "battery"
        await pilot.press("tab")
        assert app.focused is form.query_one("#form-category", Select)
        form.query_one("#form-category", Select).value = "disruption"
        await pilot.pause()
        assert form.query_one("#form-subcategory", Select).value == "fire_drill"
        await pilot.press("shift+tab", *"Fire alarm", "enter")
        await pilot.pause()
        ask = asked(client)
        assert (ask.category, ask.subcategory) == ("disruption", "fire_drill")
        assert ask.devices == ("lab-05",) and ask.room == "101"


async def test_room_and_session_keys_prefill_without_a_device() -> None:
    """`n` on a room card names the room and its session; on a session, its room."""
    client = ScriptedClient(snapshot(), desk(running()))
    async with dashboard(client) as (_app, pilot, _notes):
        await pilot.press("right", "n", *"Fire drill", "enter")  # the 112 card
        await pilot.pause()
        ask = asked(client)
        assert (ask.room, ask.devices, ask.session_id) == ("112", (), "s-ela")
        await pilot.press("s", "n", *"Late start", "enter")
        await pilot.pause()
        ask = asked(client)
        assert (ask.room, ask.session_id) == ("112", "s-ela")


async def test_incidents_screen_lists_incidents_newest_first_and_shows_their_timeline() -> None:
    """Incidents above the notable events; Enter shows every field and the drafted timeline."""
    older = make_incident("inc-0001", at=NOW - 300)
    newer = make_incident("inc-0002", "101", at=NOW - 60, severity="serious", devices=())
    client = ScriptedClient(snapshot(), desk(incidents=(older, newer)))
    async with dashboard(client) as (app, pilot, _notes):
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, IncidentsScreen)
        table = screen.query_one(IncidentTable)
        assert [table.get_row_at(r)[1].plain for r in range(table.row_count)] == [
            "inc-0002",
            "inc-0001",
        ]
        assert table.get_row_at(1)[3].plain == "technical/device lost"
        client.push(desk(incidents=(make_incident("inc-0003", at=NOW),)))
        await settle(pilot, client)
        assert table.get_row_at(0)[1].plain == "inc-0003"
        assert table.cursor_id == "inc-0002"  # the cursor stays on its incident
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, IncidentDetailScreen)
        fields = detail.query_one("#incident-fields", Field).text
        assert "serious" in fields and "by rivera" in fields
        timeline = detail.query_one("#incident-timeline", Field).text
        assert "07:59:00  c112-04 went offline" in timeline
        await pilot.press("escape")
        assert app.screen is screen


async def test_n_on_the_incidents_screen_asks_for_the_room_when_none_is_known() -> None:
    """With no incident selected there is no room: the form asks for it, focused first."""
    client = ScriptedClient(snapshot())
    async with dashboard(client) as (app, pilot, _notes):
        await pilot.press("i", "n")
        form = app.screen
        assert isinstance(form, IncidentForm)
        room = form.query_one("#form-room", Input)
        assert app.focused is room
        await pilot.press("enter")  # no room yet: moves on to the description
        await pilot.press(*"Power cut", "enter")
        await pilot.pause()
        assert form.query_one("#form-error", Field).text == "Which room? Type it first."
        assert not client.requests
        await pilot.press(*"Gym", "enter")
        await pilot.pause()
        assert asked(client).room == "Gym"
        assert asked(client).category == "other"

"""Tests the runbook screen with Pilot: any reason's runbook is at most 2 keys from the device."""

from __future__ import annotations

from pathlib import Path

import pytest
from testday_agent.protocol import AppFacts, BatteryFacts
from textual.pilot import Pilot
from textual.widgets import MarkdownViewer

from testday.config.runbooks import ENV_VAR
from testday.console_protocol.device_views import DeviceView
from testday.tui.app import TestdayApp
from testday.tui.screens.detail import DeviceDetailScreen
from testday.tui.screens.devices import DevicesScreen
from testday.tui.screens.runbook import NO_PROBLEM, RunbookScreen, runbook_choices
from testday.tui.widgets.device_table import DeviceTable
from testday.tui.widgets.field import Field
from tests.core.devices import healthy, system, with_
from tests.tui.scripted import (
    ScriptedClient,
    fleet,
    make_device,
    noting_dashboard,
    row_ids,
    snapshot,
)

MAX_PRESSES = 2  # the promise: a device's reason to its runbook in at most two keys
# lab-09's reasons, worst first, and the title of each one's runbook.
TITLES = ("Battery critical", "Disk nearly full", "Testing app outdated")


def lab_09() -> DeviceView:
    """Battery critical, disk low and the app outdated at once, judged by the real engine."""
    facts = with_(
        healthy(),
        battery=BatteryFacts(present=True, percent=8.0, plugged=False),
        apps=[AppFacts(name="TestApp", installed=True, version="1.12.0")],
        system=system(disk_free_mb=100),
    )
    return make_device("lab-09", "101", facts)


def troubled() -> ScriptedClient:
    """The sample fleet plus lab-09."""
    return ScriptedClient(snapshot([*fleet(), lab_09()]))


@pytest.fixture(autouse=True)
def shipped_runbooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)  # the checkout's runbooks/, whatever the shell says


async def select(app: TestdayApp, pilot: Pilot[None], device_id: str) -> None:
    """The Devices view with ``device_id`` under the cursor (the starting point, no key counted)."""
    app.show_view("devices")
    await pilot.pause()
    table = app.screen.query_one(DeviceTable)
    table.move_cursor(row=row_ids(table).index(device_id))
    await pilot.pause()


async def press(pilot: Pilot[None], *keys: str) -> int:
    """Press ``keys`` one by one, letting each land; returns how many were pressed."""
    for key in keys:
        await pilot.press(key)
        await pilot.pause()
    return len(keys)


def shown_title(app: TestdayApp) -> str:
    assert isinstance(app.screen, RunbookScreen)
    return app.screen.query_one("#runbook-title", Field).text


def test_device_reasons_map_to_runbooks_worst_first() -> None:
    """One choice per distinct runbook, in the order the device lists its reasons."""
    choices = runbook_choices(lab_09())
    assert [c.runbook for c in choices] == ["battery-critical", "disk-low", "kiosk-app-outdated"]
    assert [c.codes for c in choices] == [("battery.critical",), ("disk.low",), ("app.outdated",)]


@pytest.mark.parametrize(
    ("keys", "title"),
    [
        (("b",), TITLES[0]),
        (("b", "2"), TITLES[1]),
        (("b", "b"), TITLES[1]),
        (("b", "3"), TITLES[2]),
    ],
)
async def test_each_reason_is_at_most_two_presses_from_the_devices_list(
    keys: tuple[str, ...], title: str
) -> None:
    """`b` opens the first reason's runbook; a second key (`b` next, or its number) any other."""
    async with noting_dashboard(troubled()) as (app, pilot, _notes):
        await select(app, pilot, "lab-09")
        presses = await press(pilot, *keys)
        assert presses <= MAX_PRESSES
        assert shown_title(app) == title
        reasons = app.screen.query_one("#runbook-reasons", Field).text
        assert reasons.startswith("lab-09 · reason ")
        assert await press(pilot, "escape") == 1  # one key back, however many runbooks stepped
        assert isinstance(app.screen, DevicesScreen)


async def test_runbook_screen_shows_front_matter_above_the_markdown() -> None:
    """Title, reasons and platforms above; the body in a MarkdownViewer, proctor's steps first."""
    async with noting_dashboard(troubled()) as (app, pilot, _notes):
        await select(app, pilot, "c112-05")  # the outdated app only
        assert await press(pilot, "b") == 1
        assert shown_title(app) == "Testing app outdated"
        meta = app.screen.query_one("#runbook-meta", Field).text
        assert "reasons app.outdated" in meta
        assert "platforms all" in meta
        assert "2 remote actions (macos, linux)" in meta
        assert app.screen.query_one("#runbook-reasons", Field).text == "c112-05 · app.outdated"
        source = app.screen.query_one(MarkdownViewer).document.source
        assert source.index("## In the room") < source.index("## For the technician")


async def test_detail_screen_b_then_b_steps_through_the_reasons() -> None:
    """On the device detail, `b` opens the first reason's runbook and `b` again the next."""
    async with noting_dashboard(troubled()) as (app, pilot, _notes):
        await select(app, pilot, "lab-09")
        await press(pilot, "enter")
        assert isinstance(app.screen, DeviceDetailScreen)
        seen = []
        for _ in TITLES:
            await press(pilot, "b")
            seen.append(shown_title(app))
        assert seen == list(TITLES)
        await press(pilot, "b")  # past the last reason it wraps to the first
        assert shown_title(app) == TITLES[0]
        await press(pilot, "escape")
        assert isinstance(app.screen, DeviceDetailScreen)


async def test_a_device_with_no_problem_has_no_runbook() -> None:
    """`b` on a ready device says there is nothing to look up, and stays put."""
    async with noting_dashboard(troubled()) as (app, pilot, notes):
        await select(app, pilot, "lab-01")
        await press(pilot, "b")
        assert isinstance(app.screen, DevicesScreen)
        assert f"Runbook: {NO_PROBLEM}" in notes


async def test_a_missing_runbook_is_said_on_the_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder without the file: the screen opens and says which file is missing where."""
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    async with noting_dashboard(troubled()) as (app, pilot, _notes):
        await select(app, pilot, "lab-05")
        await press(pilot, "b")
        assert shown_title(app) == "Battery critical"  # the reason's own title stands in
        assert app.screen.query_one("#runbook-meta", Field).text.endswith("missing")
        source = app.screen.query_one(MarkdownViewer).document.source
        assert f"`battery-critical.md` in `{tmp_path}`" in source

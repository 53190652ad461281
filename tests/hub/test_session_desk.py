"""Tests the hub's session desk: requests, other writers on the same file, the feed, drafts."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from testday_agent.protocol import (
    DEVICE_HEADER,
    BatteryFacts,
    Facts,
    Hello,
    Report,
    Welcome,
    decode_hub_message,
    encode,
)
from websockets.asyncio.client import ClientConnection, connect

from testday.config.files import DATABASE_FILE
from testday.console_protocol.desk_views import IncidentView, SessionView
from testday.console_protocol.desk_views import RosterEntry as RosterView
from testday.console_protocol.messages import DeskChanged, Snapshot
from testday.console_protocol.requests import (
    IncidentAddRequest,
    RequestError,
    SessionActionRequest,
)
from testday.core import hash_chain
from testday.core.incident_fields import TimedLine
from testday.core.sessions import RosterEntry, Session, apply
from testday.hub.hub import Hub, HubSettings
from testday.store.database import Store
from testday.store.incident_store import ChainConflictError, IncidentStore
from testday.store.session_store import SessionStore
from tests.conftest import AGENT_TOKEN, CONSOLE_TOKEN
from tests.eventually import eventually
from tests.hub.desk_clock import add_clock_session, swept_after

WINDOW_S = 0.5


@pytest.fixture
def settings(hub_settings: HubSettings) -> HubSettings:
    return dataclasses.replace(hub_settings, tick_s=0.2, detect_window_s=WINDOW_S)


@pytest.fixture
async def hub(settings: HubSettings) -> AsyncIterator[Hub]:
    async with Hub(settings) as running:
        yield running


def planned(session_id: str = "g7-math", roster: dict[str, str] | None = None) -> Session:
    now = time.time()
    entries = tuple(RosterEntry(s, d) for s, d in (roster or {"1000001": "dev-a"}).items())
    return Session(
        id=session_id, name="Grade 7 Math", profile_id="loopback-test", rooms=("112",),
        scheduled_start=now, scheduled_end=now + 3600, program="State Assessment",
        test="Mathematics", grade="7", proctor="Rivera", roster=entries,
    )  # fmt: skip


async def other_writer(hub: Hub) -> Store:
    """A second connection to the hub's database file, as a CLI command in another process."""
    return await Store.open(hub.settings.data_dir / DATABASE_FILE)


async def create(hub: Hub, session: Session) -> None:
    store = await other_writer(hub)
    try:
        await SessionStore(store).create(session, time.time(), "coordinator")
    finally:
        await store.close()


async def act(hub: Hub, action: str, session_id: str = "g7-math", note: str = "") -> SessionView:
    ask = SessionActionRequest(session_id=session_id, action=action, note=note)  # type: ignore[arg-type]
    answer = await hub.answer(ask, "ta")
    assert answer.session is not None
    return answer.session


def new_incident(**extra: Any) -> IncidentAddRequest:
    fields = {"category": "technical", "subcategory": "device_failure", "severity": "procedural",
              "room": "112", "description": "Screen froze; student moved", **extra}  # fmt: skip
    return IncidentAddRequest(**fields)


async def add_incident(hub: Hub, actor: str = "ta", **extra: Any) -> IncidentView:
    answer = await hub.answer(new_incident(**extra), actor)
    assert answer.incident is not None
    return answer.incident


def api_get(port: int, what: str) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/{what}", headers={"Authorization": f"Bearer {CONSOLE_TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


async def agent(hub: Hub, device_id: str, room: str = "112") -> ClientConnection:
    """A raw agent connection that says hello and sends one report."""
    ws = await connect(
        f"ws://127.0.0.1:{hub.port}/agent",
        additional_headers={"Authorization": f"Bearer {AGENT_TOKEN}", DEVICE_HEADER: device_id},
    )
    hello = Hello(device_id=device_id, agent_version="test", os_family="linux", os_version="12",
                  hostname=f"lab-{device_id}", room=room)  # fmt: skip
    await ws.send(encode(hello))
    assert isinstance(decode_hub_message(await ws.recv()), Welcome)
    facts = Facts(battery=BatteryFacts(present=True, percent=90.0, plugged=True))
    await ws.send(encode(Report(seq=1, sent_at=time.time(), facts=facts)))
    return ws


async def test_session_actions_move_the_session_and_are_stored(hub: Hub) -> None:
    """start, pause, resume and end through the hub; each transition is in the store."""
    await create(hub, planned())
    assert (await act(hub, "start")).state == "in_progress"
    paused = await act(hub, "pause", note="fire drill")
    assert paused.state == "paused" and paused.paused_since is not None
    assert paused.pause_limit_s == 20 * 60 and paused.pause_lead_s == 5 * 60
    assert (await act(hub, "resume")).state == "in_progress"
    ended = await act(hub, "end")
    assert ended.state == "completed"
    assert [(h.action, h.actor) for h in ended.history] == [
        ("start", "ta"), ("pause", "ta"), ("resume", "ta"), ("end", "ta"),
    ]  # fmt: skip
    assert ended.history[1].note == "fire drill"
    assert ended.roster == (RosterView(student="1000001", device_id="dev-a"),)
    assert hub.store is not None
    assert (await SessionStore(hub.store).load())["g7-math"].state == "completed"


async def test_illegal_action_unknown_session_and_bad_requests_are_refused(hub: Hub) -> None:
    """Each refusal says why, in words an operator can act on."""
    await create(hub, planned())
    with pytest.raises(RequestError, match="it is scheduled; pause is allowed only when in prog"):
        await act(hub, "pause")
    with pytest.raises(RequestError, match="no session 'nope'"):
        await act(hub, "start", session_id="nope")
    with pytest.raises(RequestError, match="unknown action 'fly'"):
        await act(hub, "fly")
    with pytest.raises(RequestError, match=r"session.action needs session_id"):
        await act(hub, "start", session_id=" ")
    with pytest.raises(RequestError, match=r"unknown request str \(known: session.action"):
        await hub.answer("session.delete", "ta")  # type: ignore[arg-type]
    assert hub.desk.session_views()[0].state == "scheduled"


async def test_check_sweeps_the_session_rooms_on_the_live_fleet(hub: Hub) -> None:
    """check runs the readiness sweep: what must be fixed, and rostered devices not in the room."""
    ws = await agent(hub, "dev-a")
    await eventually(lambda: "dev-a" in hub.fleet.devices, 10, what="dev-a known")
    await create(hub, planned(roster={"1000001": "dev-a", "1000002": "dev-gone"}))
    session = await act(hub, "check")
    sweep = session.sweep
    assert session.state == "checking" and sweep is not None
    assert sweep.ready is False
    assert [u.device_id for u in sweep.unseen_roster] == ["dev-gone"]
    must_fix_here = [f.device_id for f in sweep.rooms["112"]]
    assert sweep.must_fix == len(must_fix_here) + 1

    hub.desk.sweep_every_s = 0.2  # a checking session is swept again as the fleet changes
    async with hub.subscribe() as feed:
        assert isinstance(await anext(feed), Snapshot)
        late = await agent(hub, "dev-gone")

        async def roster_found() -> None:
            # Other re-sweeps may come first (dev-a's verdict, say): wait for the one that
            # finds dev-gone, not merely the next change.
            async for message in feed:
                sessions = message.sessions if isinstance(message, DeskChanged) else []
                sweep = sessions[0].sweep if sessions else None
                if sweep is not None and sweep.unseen_roster == ():
                    return

        await asyncio.wait_for(roster_found(), 10)
    later = await swept_after(hub, time.time(), session_id="g7-math")  # re-swept: still found
    assert later.unseen_roster == ()
    await ws.close()
    await late.close()


async def test_sessions_and_incidents_are_served_to_operators(hub: Hub) -> None:
    """GET /api/sessions and /api/incidents answer with the feed's views, behind the secret."""
    await create(hub, planned())
    await act(hub, "start")
    await add_incident(hub)
    sessions = await asyncio.to_thread(api_get, hub.port, "sessions")
    incidents = await asyncio.to_thread(api_get, hub.port, "incidents")
    assert [s["state"] for s in sessions] == ["in_progress"]
    assert [i["id"] for i in incidents] == ["INC-00001"]


async def test_incident_add_survives_a_restart_and_the_chain_verifies(
    settings: HubSettings,
) -> None:
    """A dashboard incident is durable, hash-chained, and named by its fields after a restart."""
    async with Hub(settings) as hub:
        await create(hub, planned())
        await act(hub, "start")
        incident = await add_incident(hub, "rivera", devices=("dev-a",))
        assert (incident.id, incident.source, incident.created_by) == (
            "INC-00001", "dashboard", "rivera",
        )  # fmt: skip
        assert incident.session_id == "g7-math"
        assert incident.students == ("1000001",)  # from the room's live session roster
        assert incident.sequence[0].text == "Screen froze; student moved"
    async with Hub(settings) as again:
        assert again.incidents.incident_views() == [incident]
        assert again.store is not None
        entries = await IncidentStore(again.store).load()
        assert hash_chain.verify(entries).ok and len(entries) == 1


async def test_incident_add_refusals_name_the_field(hub: Hub) -> None:
    """A bad category, a missing description or a non-state-ID student is refused by name."""
    with pytest.raises(RequestError, match=r"^category: 'weather' is not one of"):
        await add_incident(hub, category="weather")
    with pytest.raises(RequestError, match=r"incident.add needs description"):
        await add_incident(hub, description="")
    with pytest.raises(RequestError, match="affected_students: 'Jane Doe' is not a state ID"):
        await add_incident(hub, students=("Jane Doe",))
    with pytest.raises(RequestError, match="subcategory: 'fire_drill' is not one of technical"):
        await add_incident(hub, subcategory="fire_drill")
    assert hub.incidents.incident_views() == []


async def test_a_session_started_by_another_writer_shows_up(hub: Hub) -> None:
    """Sessions created and started through another connection to the file are followed."""
    session = planned()
    store = await other_writer(hub)
    try:
        await SessionStore(store).create(session, time.time(), "coordinator")
        await SessionStore(store).append(apply(session, "start", time.time(), "cli")[1])
    finally:
        await store.close()
    states = await eventually(
        lambda: [s.state for s in hub.desk.session_views()], 10, what="session followed"
    )
    assert states == ["in_progress"]
    assert hub.desk.live_session("112") is not None


async def test_an_incident_logged_by_the_cli_shows_up_and_the_next_id_follows(hub: Hub) -> None:
    """`testday incident add` run while the hub is up: the hub folds it in and appends after it."""
    command = [sys.executable, "-m", "testday.cli.main", "incident", "add",
               "--data", str(hub.settings.data_dir), "--category", "technical",
               "--subcategory", "device_lost", "--severity", "procedural", "--room", "112",
               "--description", "Lost power", "--by", "chen"]  # fmt: skip
    done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    cli = await eventually(hub.incidents.incident_views, 10, what="CLI incident followed")
    assert [(i.id, i.source, i.created_by) for i in cli] == [("INC-00001", "cli", "chen")]
    assert (await add_incident(hub, "rivera")).id == "INC-00002"


async def test_a_subscriber_gets_the_desk_in_its_snapshot_and_changes_after(hub: Hub) -> None:
    """The snapshot carries sessions and incidents; an action arrives as one DeskChanged."""
    await create(hub, planned())
    await eventually(hub.desk.session_views, 10, what="session followed")
    async with hub.subscribe() as feed:
        snapshot = await anext(feed)
        assert isinstance(snapshot, Snapshot)
        assert [s.id for s in snapshot.sessions] == ["g7-math"] and snapshot.incidents == []
        await act(hub, "start")
        await add_incident(hub)
        sessions: list[SessionView] = []
        incidents: list[IncidentView] = []
        while not (sessions and incidents):
            message = await asyncio.wait_for(anext(feed), 5)
            if isinstance(message, DeskChanged):
                sessions += message.sessions
                incidents += message.incidents
    assert sessions[-1].state == "in_progress"
    assert incidents[-1].id == "INC-00001"


async def test_a_lost_device_is_drafted_but_a_persons_sequence_is_never_redrafted(
    hub: Hub,
) -> None:
    """The detector opens an incident; once a person rewrites its sequence, the hub leaves it."""
    await add_clock_session(hub)
    ws = await agent(hub, "dev-a")
    await eventually(lambda: "dev-a" in hub.fleet.devices, 10, what="dev-a known")
    await create(hub, planned())
    await act(hub, "start")
    await ws.close()
    # Released a detection window (0.5 s) after the loss; the bound is only a bound.
    found = await eventually(hub.incidents.incident_views, 10, what="device_lost incident")
    assert [(i.subcategory, i.devices, i.students) for i in found] == [
        ("device_lost", ("dev-a",), ("1000001",))
    ]
    assert found[0].sequence[0].text.endswith("lab-dev-a (room 112) disconnected")

    store = await other_writer(hub)  # the technician edits it from another console
    try:
        incidents = IncidentStore(store)
        log = await incidents.load_log(names_allowed=True)
        mine = (TimedLine(datetime.now().astimezone(), "Cable pulled by a student"),)
        log.append(log.change(found[0].id, "rivera", datetime.now().astimezone(), sequence=mine))
        await incidents.append(log.entries[-1:])
    finally:
        await store.close()
    await eventually(lambda: len(hub.incidents.incident_views()[0].sequence) == 1 and
                     hub.incidents.incident_views()[0].sequence[0].text.startswith("Cable"),
                     10, what="edit followed")  # fmt: skip
    ws = await agent(hub, "dev-a")  # back: a draft would now say "reconnected"
    await eventually(lambda: hub.fleet.devices["dev-a"].connections, 10, what="dev-a back")
    await swept_after(hub, time.time())  # a whole tick since: the one that would have redrafted
    sequence = hub.incidents.incident_views()[0].sequence
    assert [line.text for line in sequence] == ["Cable pulled by a student"]
    await ws.close()


async def test_a_writer_racing_the_hub_never_forks_the_chain(hub: Hub) -> None:
    """Another connection appends incidents as fast as it can while the hub logs its own."""
    store = await other_writer(hub)
    stop = asyncio.Event()

    async def cli_like() -> int:
        incidents, written = IncidentStore(store), 0
        while not stop.is_set():
            log = await incidents.load_log(names_allowed=True)
            now = datetime.now().astimezone()
            event = log.create(f"CLI-{written:04d}", "chen", now, category="other",
                               subcategory="other", severity="procedural", room="112")  # fmt: skip
            try:
                await incidents.append([log.append(event)])
                written += 1
            except ChainConflictError:
                pass  # the hub got in first: read again, as `testday incident add` would
            await asyncio.sleep(0)
        return written

    racer = asyncio.create_task(cli_like())
    logged = []
    for _ in range(10):
        try:
            logged.append(await add_incident(hub))
        except RequestError as exc:
            assert "try again" in str(exc)  # two conflicts in a row: the operator retries
        await asyncio.sleep(0.01)  # a pause for the racer's writes, not a wait for anything
    stop.set()
    written = await racer
    await store.close()
    assert logged and written
    assert hub.store is not None
    entries = await IncidentStore(hub.store).load()
    assert hash_chain.verify(entries).ok
    assert len(entries) == written + len(logged)
    ids = [i.id for i in logged]
    assert len(set(ids)) == len(ids)
    await eventually(
        lambda: len(hub.incidents.incident_views()) == len(entries), 10, what="all followed"
    )


async def test_incidents_carry_the_sites_deadline_clocks(settings: HubSettings) -> None:
    """With Washoe's rules an incident has two clocks: notify in 24 h, file in 14 days."""
    site = settings.data_dir / "site.toml"
    site.write_text(site.read_text() + '\n[site.deadlines]\nstate = "washoe"\n')
    async with Hub(settings) as hub:
        incident = await add_incident(hub, "rivera")
    start = incident.occurred_at
    assert start is not None
    assert [(c.label, round((c.due - start) / 3600), c.met) for c in incident.deadlines] == [
        ("notify", 24, False),
        ("file", 14 * 24, False),
    ]
    assert incident.deadline == incident.deadlines[0].due
